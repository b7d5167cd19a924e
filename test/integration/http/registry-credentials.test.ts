// The provider registry's token through the real CLI (`airgap mirror`), against a
// small registry on 127.0.0.1 that also speaks plain http on its own port: the token
// goes to https://HOST:PORT only, never to http://HOST:PORT (same host and port,
// other scheme) nor to another origin a redirect leads to. Also: a presigned URL in a
// failure is shown redacted, and an oversized versions document fails as exit 3.
import fs from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../../src/adapters/http/client.js';
import { createRegistryClient } from '../../../src/adapters/registry/registry-client.js';
import type { RegistryHosts } from '../../../src/core/ports.js';
import { runCli, type CliResult } from '../../helpers/cli.js';
import { createSelfSignedCert, type TestCert } from '../../helpers/tls.js';
import { makeTempDir } from '../../helpers/tmp.js';
import { startDualServer, startHttpsServer, type DualServer, type TestServer } from './servers.js';

const TOKEN = 'tok-7f3a9c2e51';
const SHASUM = 'a'.repeat(64);
const FILENAME = 'terraform-provider-widget_1.0.0_linux_amd64.zip';

let cert: TestCert;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  cert = await createSelfSignedCert(undefined, undefined, await makeTempDir('airgap-cert-'));
});

afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

/** The registry's answers; `download` builds the download JSON from the server's own origins. */
interface Routes {
  download(self: DualServer): Record<string, unknown>;
  files?: (req: http.IncomingMessage, res: http.ServerResponse) => void;
  versions?: (res: http.ServerResponse) => void;
}

async function registry(routes: Routes): Promise<DualServer> {
  const s: DualServer = await startDualServer(cert, (req, res) => {
    const url = req.url ?? '';
    if (url === '/.well-known/terraform.json') {
      return void res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ 'providers.v1': '/v1/providers/' }));
    }
    if (url === '/v1/providers/acme/widget/versions') {
      if (routes.versions) return routes.versions(res);
      const versions = [
        { version: '1.0.0', protocols: ['5.0'], platforms: [{ os: 'linux', arch: 'amd64' }] },
      ];
      return void res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ versions }));
    }
    if (url === '/v1/providers/acme/widget/1.0.0/download/linux/amd64') {
      return void res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify(routes.download(s)));
    }
    if (routes.files) return routes.files(req, res);
    res.writeHead(404).end();
  });
  cleanups.push(() => s.close());
  return s;
}

async function otherServer(handler: Parameters<typeof startHttpsServer>[1]): Promise<TestServer> {
  const s = await startHttpsServer(cert, handler);
  cleanups.push(() => s.close());
  return s;
}

function downloadJson(urls: { zip: string; sums: string; sig: string }): Record<string, unknown> {
  return {
    protocols: ['5.0'],
    os: 'linux',
    arch: 'amd64',
    filename: FILENAME,
    download_url: urls.zip,
    shasums_url: urls.sums,
    shasums_signature_url: urls.sig,
    shasum: SHASUM,
    signing_keys: { gpg_public_keys: [] },
  };
}

/** `airgap mirror` of 127.0.0.1:PORT/acme/widget 1.0.0 with the token in a credentials block. */
async function mirror(s: DualServer, extra: string[] = []): Promise<CliResult> {
  const dir = await makeTempDir();
  const host = `127.0.0.1:${s.port}`;
  const lockfile = path.join(dir, '.terraform.lock.hcl');
  await fs.writeFile(lockfile, `provider "${host}/acme/widget" {\n  version = "1.0.0"\n}\n`);
  const config = path.join(dir, 'cli.tfrc');
  await fs.writeFile(config, `credentials "${host}" {\n  token = "${TOKEN}"\n}\n`);
  return runCli(
    ['mirror', '--lockfile', lockfile, '--out', path.join(dir, 'out'), '--platform', 'linux_amd64', ...extra],
    { env: { TF_CLI_CONFIG_FILE: config, SSL_CERT_FILE: cert.certPath } },
  );
}

function seen(s: TestServer): Array<[string, string, string | undefined]> {
  return s.requests.map((r) => [r.scheme, r.url, r.headers.authorization]);
}

describe('the registry token', () => {
  it('goes to https://HOST:PORT, never to http://HOST:PORT nor after a redirect to another origin', async () => {
    const cdn = await otherServer((_req, res) => res.writeHead(200).end(`${SHASUM}  ${FILENAME}\n`));
    const s = await registry({
      download: (self) =>
        downloadJson({
          zip: `${self.plainOrigin}/files/${FILENAME}`,
          // Same origin as the registry, then a redirect away from it.
          sums: `${self.origin}/files/SHA256SUMS`,
          // The registry's own host and port, over plain http.
          sig: `${self.plainOrigin}/files/SHA256SUMS.sig`,
        }),
      files: (req, res) => {
        if (req.url === '/files/SHA256SUMS') {
          return void res.writeHead(302, { location: `${cdn.origin}/sums/SHA256SUMS` }).end();
        }
        res.writeHead(200).end('not a signature');
      },
    });
    const r = await mirror(s);
    // No signing keys in the download JSON: the run stops at the signature, after both fetches.
    expect(r.stderr).toContain('lists no signing keys');
    expect(r.code).toBe(1);
    const api = `Bearer ${TOKEN}`;
    expect(seen(s).slice(0, 3)).toEqual([
      ['https', '/.well-known/terraform.json', api],
      ['https', '/v1/providers/acme/widget/versions', api],
      ['https', '/v1/providers/acme/widget/1.0.0/download/linux/amd64', api],
    ]);
    // The sums and its signature are fetched together: their order on the wire is not fixed.
    // The package downloads (into a temporary file) while they are checked, so its request
    // may or may not have been made when the signature failed; it carries no token either way.
    const rest = seen(s).slice(3).sort();
    const zipPath = `/files/${FILENAME}`;
    expect(rest.filter((r) => r[1] !== zipPath)).toEqual([
      ['http', '/files/SHA256SUMS.sig', undefined],
      ['https', '/files/SHA256SUMS', api],
    ]);
    expect([[], [['http', zipPath, undefined]]]).toContainEqual(rest.filter((r) => r[1] === zipPath));
    expect(seen(cdn)).toEqual([['https', '/sums/SHA256SUMS', undefined]]);
  });

  it('is not handed out for http://HOST:PORT, nor for another port or host', async () => {
    const s = await registry({ download: () => ({}) });
    const http = createHttpClient({ userAgent: 'airgap/test', caCertFiles: [cert.certPath] });
    cleanups.push(() => http.close());
    const host = `127.0.0.1:${s.port}`;
    const hosts: RegistryHosts = {
      services: () => undefined,
      servicesSource: () => undefined,
      token: (name) => Promise.resolve(name === host ? TOKEN : undefined),
    };
    const client = createRegistryClient({ http, hosts });
    const provider = { hostname: host, namespace: 'acme', type: 'widget' };
    expect(await client.headersFor(provider, `${s.origin}/files/x.zip`)).toEqual({
      Authorization: `Bearer ${TOKEN}`,
    });
    expect(await client.headersFor(provider, `${s.plainOrigin}/files/x.zip`)).toEqual({});
    expect(await client.headersFor(provider, `https://127.0.0.1:${s.port + 1}/x.zip`)).toEqual({});
    expect(await client.headersFor(provider, `https://localhost:${s.port}/x.zip`)).toEqual({});
  });
});

describe('through the CLI', () => {
  it('shows a presigned URL that fails with its signature and credential redacted, in stderr and --json', async () => {
    const secretSig = '5e3c7a9b1d2f4e6a8c0b';
    const secretCred = 'AKIAIOSFODNN7SECRET';
    const query = `X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${secretCred}%2F20250101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=${secretSig}`;
    const s = await registry({
      download: (self) =>
        downloadJson({
          zip: `${self.origin}/files/${FILENAME}?${query}`,
          sums: `${self.origin}/files/SHA256SUMS?${query}`,
          sig: `${self.origin}/files/SHA256SUMS.sig?${query}`,
        }),
      files: (req, res) => {
        if (req.url?.startsWith('/files/SHA256SUMS.sig')) return void res.writeHead(200).end('sig');
        res.writeHead(403).end('<Error><Code>SignatureDoesNotMatch</Code></Error>');
      },
    });
    const shown = `${s.origin}/files/SHA256SUMS?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=REDACTED&X-Amz-Signature=REDACTED`;
    const plain = await mirror(s);
    expect(plain.code).toBe(3);
    expect(plain.stderr).toContain(`GET ${shown} failed: 403 Forbidden`);
    expect(plain.stderr + plain.stdout).not.toMatch(new RegExp(`${secretSig}|${secretCred}`));

    // --verbose logs the request with the same redaction.
    const verbose = await mirror(s, ['--verbose']);
    expect(verbose.code).toBe(3);
    expect(verbose.stderr).toContain(`\nGET ${shown} -> 403\n`);
    expect(verbose.stderr + verbose.stdout).not.toMatch(new RegExp(`${secretSig}|${secretCred}`));

    const json = await mirror(s, ['--json']);
    expect(json.code).toBe(3);
    expect(json.stdout + json.stderr).not.toMatch(new RegExp(`${secretSig}|${secretCred}`));
    const error = (JSON.parse(json.stdout) as { error: { code: string; message: string; details: unknown } })
      .error;
    expect(error.code).toBe('HTTP_ERROR');
    expect(error.message).toBe(`GET ${shown} failed: 403 Forbidden`);
    expect(error.details).toEqual({ address: shown, status: 403, actual: '403' });
  });

  it('fails an oversized versions document as a network error (exit 3) naming the URL and the limit', async () => {
    const s = await registry({
      download: () => ({}),
      versions: (res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(734_003_200) });
        res.write('{"versions":[');
      },
    });
    const r = await mirror(s, ['--json']);
    expect(r.code).toBe(3);
    const url = `${s.origin}/v1/providers/acme/widget/versions`;
    const error = (JSON.parse(r.stdout) as { error: { code: string; message: string; details: unknown } })
      .error;
    expect(error.code).toBe('HTTP_ERROR');
    expect(error.message).toBe(
      `GET ${url}: response of 734003200 bytes (Content-Length) is over the 8388608-byte limit for metadata read into memory`,
    );
    expect(error.details).toEqual({
      address: url,
      expected: '<= 8388608 bytes',
      actual: '734003200 bytes (Content-Length)',
    });
  });
});
