// HttpClient.head, the size probe of `airgap plan`, against real local HTTPS servers:
// GET's credential, redirect and retry rules; Content-Length as the size; the answers
// that leave the size unknown (405, 501, no Content-Length, 403 at a redirect target)
// and those that fail (404, the rest).
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient, type ClosableHttpClient } from '../../../src/adapters/http/client.js';
import { AirgapError } from '../../../src/core/errors.js';
import { parseDownload, statedPackageSize } from '../../../src/core/registry/protocol.js';
import { SERVICES_PATH, startTestRegistry } from '../../helpers/registry/index.js';
import { createSelfSignedCert, type TestCert } from '../../helpers/tls.js';
import { makeTempDir } from '../../helpers/tmp.js';
import { startHttpServer, startHttpsServer, type Handler, type TestServer } from './servers.js';

const UA = 'airgap/0.1.0-test';
const ZIP = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 31 + 7) & 0xff));

let cert: TestCert;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  cert = await createSelfSignedCert(undefined, undefined, await makeTempDir('airgap-cert-'));
});

afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

function client(): ClosableHttpClient {
  const c = createHttpClient({ userAgent: UA, caCertFiles: [cert.certPath], retryBaseDelayMs: 1 });
  cleanups.push(() => c.close());
  return c;
}

async function server(handler: Handler): Promise<TestServer> {
  const s = await startHttpsServer(cert, handler);
  cleanups.push(() => s.close());
  return s;
}

/** A file server that answers GET with the bytes and HEAD with their length, as release hosts do. */
const files: Handler = (req, res) => {
  res.writeHead(200, { 'content-type': 'application/zip', 'content-length': String(ZIP.length) });
  res.end(req.method === 'HEAD' ? undefined : ZIP);
};

async function failure(promise: Promise<unknown>): Promise<AirgapError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AirgapError);
  return error as AirgapError;
}

describe('head: sizes', () => {
  it('gives the exact size a GET fetches, asking with HEAD and reading no body', async () => {
    const s = await server(files);
    const c = client();
    expect(await c.head(`${s.origin}/pkg.zip`)).toEqual({ size: 300_000, status: 200 });
    expect((await c.getBytes(`${s.origin}/pkg.zip`)).length).toBe(300_000);
    expect(s.requests.map((r) => [r.method, r.url, r.headers['user-agent']])).toEqual([
      ['HEAD', '/pkg.zip', UA],
      ['GET', '/pkg.zip', UA],
    ]);
  });

  it('gives the size of each package the test registry serves, the one its packages extension states', async () => {
    const registry = await startTestRegistry({
      providers: [
        {
          namespace: 'acme',
          type: 'widget',
          versions: ['1.2.0'],
          platforms: ['linux_amd64'],
          payloadSize: 5000,
        },
      ],
      packagesExtension: true,
    });
    cleanups.push(() => registry.close());
    const c = createHttpClient({ userAgent: UA, caCertFiles: [registry.caCertPath] });
    cleanups.push(() => c.close());
    const url = `${registry.url}${SERVICES_PATH}acme/widget/1.2.0/download/linux/amd64`;
    const info = parseDownload(await c.getJson(url), url);
    const pkg = registry.packages[0]!;
    expect(await c.head(info.downloadUrl)).toEqual({ size: pkg.size, status: 200 });
    expect(statedPackageSize(info, 'linux_amd64')).toBe(pkg.size);
    expect(registry.requests.at(-1)?.method).toBe('HEAD');
  });

  it('leaves the size unknown when the answer has no Content-Length', async () => {
    const s = await server((_req, res) => res.writeHead(200, { 'transfer-encoding': 'chunked' }).end());
    expect(await client().head(`${s.origin}/stream`)).toEqual({ status: 200 });
  });

  it('leaves the size unknown, without retrying, when the server does not do HEAD (405, 501)', async () => {
    for (const status of [405, 501]) {
      const s = await server((req, res) =>
        // The length of the error page a GET would get: not the file's size.
        req.method === 'HEAD'
          ? res.writeHead(status, { allow: 'GET', 'content-length': '17' }).end()
          : files(req, res, 0),
      );
      expect(await client().head(`${s.origin}/pkg.zip`)).toEqual({ status });
      expect(s.requests.length).toBe(1);
    }
  });
});

describe('head: the rules GET follows', () => {
  it('follows a redirect to another origin, and the credential stays behind', async () => {
    const cdn = await server(files);
    const s = await server((_req, res) =>
      res.writeHead(302, { location: `${cdn.origin}/blob/pkg.zip` }).end(),
    );
    const result = await client().head(`${s.origin}/download/pkg.zip`, {
      headers: { Authorization: 'Bearer tok-1', 'X-Trace': 't1' },
    });
    expect(result).toEqual({ size: 300_000, status: 200 });
    expect(s.requests.map((r) => [r.method, r.headers.authorization])).toEqual([['HEAD', 'Bearer tok-1']]);
    expect(cdn.requests.map((r) => [r.method, r.url, r.headers.authorization, r.headers['x-trace']])).toEqual(
      [['HEAD', '/blob/pkg.zip', undefined, 't1']],
    );
  });

  it('leaves the size unknown when the redirect target refuses HEAD with 403 (a URL presigned for GET)', async () => {
    const bucket = await server((req, res) =>
      req.method === 'HEAD' ? res.writeHead(403).end() : files(req, res, 0),
    );
    const s = await server((_req, res) =>
      res.writeHead(307, { location: `${bucket.origin}/pkg.zip?X-Amz-Signature=abc` }).end(),
    );
    expect(await client().head(`${s.origin}/pkg.zip`)).toEqual({ status: 403 });
    expect(bucket.requests.length).toBe(1);
  });

  it('fails on a 403 from the origin asked, with the credentials hint, as GET does', async () => {
    const s = await server((_req, res) => res.writeHead(403).end());
    const url = `${s.origin}/pkg.zip`;
    const e = await failure(client().head(url));
    expect(e.code).toBe('HTTP_ERROR');
    expect(e.message).toBe(`HEAD ${url} failed: 403 Forbidden`);
    expect(e.remedy).toBe(
      'check the credentials for ' +
        `127.0.0.1:${s.port}: TF_TOKEN_<host>, a credentials block, or credentials_helper in the CLI configuration`,
    );
  });

  it('fails on a 404 without retrying, naming the URL', async () => {
    const s = await server((_req, res) => res.writeHead(404).end());
    const url = `${s.origin}/gone.zip`;
    const e = await failure(client().head(url));
    expect(e.code).toBe('HTTP_ERROR');
    expect(e.details).toMatchObject({ status: 404, address: url });
    expect(e.message).toBe(`HEAD ${url} failed: 404 Not Found`);
    expect(s.requests.length).toBe(1);
  });

  it('names the redirect target that answered 404', async () => {
    const s = await server((req, res) =>
      req.url === '/start' ? res.writeHead(302, { location: '/gone' }).end() : res.writeHead(404).end(),
    );
    const e = await failure(client().head(`${s.origin}/start`));
    expect(e.message).toBe(`HEAD ${s.origin}/start failed: 404 Not Found (at ${s.origin}/gone)`);
  });

  it('retries 503 as GET does, then reads the size', async () => {
    const s = await server((req, res, i) => (i < 2 ? res.writeHead(503).end() : files(req, res, i)));
    expect(await client().head(`${s.origin}/pkg.zip`)).toEqual({ size: 300_000, status: 200 });
    expect(s.requests.map((r) => r.method)).toEqual(['HEAD', 'HEAD', 'HEAD']);
  });

  it('refuses a redirect from https to http', async () => {
    const plain = await startHttpServer(files);
    cleanups.push(() => plain.close());
    const s = await server((_req, res) => res.writeHead(302, { location: `${plain.origin}/pkg.zip` }).end());
    const e = await failure(client().head(`${s.origin}/pkg.zip`));
    expect(e.message).toBe(
      `HEAD ${s.origin}/pkg.zip failed: refusing redirect from https to http (${plain.origin}/pkg.zip)`,
    );
    expect(plain.requests.length).toBe(0);
  });
});
