// Base images from a registry: the real CNCF distribution registry (open, htpasswd
// Basic and Bearer tokens from a local token server, those two over TLS as a login
// never goes over plain http) holding the fixture pushed by skopeo, and small node
// servers on 127.0.0.1 for what a real registry will not do on demand: redirect
// blobs to another origin, reset a connection mid-body, ignore Range, fail with 503
// or ask to wait (Retry-After), or serve bytes that do not match their digest.
import fs from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../../src/adapters/http/retry.js';
import { openImageSource } from '../../../src/adapters/oci/image-source/index.js';
import { openRegistrySource } from '../../../src/adapters/oci/image-source/registry.js';
import { parseBaseImageReference } from '../../../src/core/oci/base-reference.js';
import { IMAGE_MEDIA_TYPES, type Descriptor } from '../../../src/core/image/oci-image.js';
import { parseDockerConfig } from '../../../src/core/oci/docker-auths.js';
import type { ImageSource } from '../../../src/core/ports.js';
import type { Platform } from '../../../src/core/provider/platform.js';
import {
  pushFixtureToRegistry,
  writeBaseImageLayout,
  type BaseImageFixture,
} from '../../helpers/base-image.js';
import {
  startDockerRegistry,
  startTokenServer,
  type DockerRegistry,
  type TokenServer,
} from '../../helpers/docker-registry.js';
import { createSelfSignedCert, type TestCert } from '../../helpers/tls.js';
import { makeTempDir } from '../../helpers/tmp.js';
import { describeWithTools } from '../../helpers/tools.js';
import { blobFile, exists, rejection, sha256, UA } from './helpers.js';

const AMD64: Platform = { os: 'linux', arch: 'amd64' };
const ARM64: Platform = { os: 'linux', arch: 'arm64' };
const USER = { username: 'puller', password: 's3cret-pull' };
const REPO = 'base/runner';

let dir: string;
let fixture: BaseImageFixture;
let layer: Descriptor;
let layerBytes: Buffer;

beforeAll(async () => {
  dir = await makeTempDir('airgap-registry-source-');
  fixture = await writeBaseImageLayout(path.join(dir, 'layout'));
  const l = fixture.images['linux_amd64']!.layers[0]!;
  layer = { mediaType: IMAGE_MEDIA_TYPES.ociLayerGzip, digest: l.digest, size: l.size };
  layerBytes = await fs.readFile(blobFile(fixture.layoutDir, l.digest));
});

/** Resolves both platforms and copies every layer; checks them against the fixture. */
async function resolveAndCopy(source: ImageSource): Promise<void> {
  const resolved = await source.resolve([AMD64, ARM64]);
  expect(resolved.digest).toBe(fixture.indexDigest);
  expect(resolved.missing).toEqual([]);
  expect(resolved.available).toEqual(['linux/amd64', 'linux/arm64/v8']);
  for (const image of resolved.images) {
    const f = fixture.images[image.platform]!;
    expect(image.manifestDigest).toBe(f.manifestDigest);
    expect(sha256(image.config)).toBe(f.configDigest);
    expect(image.layers.map((l) => l.digest)).toEqual(f.layers.map((l) => l.digest));
    for (const [i, l] of image.layers.entries()) {
      const dest = path.join(dir, `copy-${image.platform}-${i}-${Math.random().toString(16).slice(2)}`);
      let bytes = 0;
      await source.copyBlob(l, dest, (n) => (bytes += n));
      expect(await fs.readFile(dest)).toEqual(await fs.readFile(blobFile(fixture.layoutDir, l.digest)));
      expect(bytes).toBe(l.size);
    }
  }
}

describeWithTools(
  ['docker-registry', 'skopeo', 'htpasswd'],
  'registry sources against docker-registry',
  () => {
    describe('open registry', () => {
      let registry: DockerRegistry;
      beforeAll(async () => {
        registry = await startDockerRegistry();
        await pushFixtureToRegistry(fixture, `${registry.host}/${REPO}:base`);
      });
      afterAll(() => registry.stop());

      it('resolves by tag and by digest, and copies every layer byte for byte', async () => {
        for (const reference of [
          `${registry.host}/${REPO}:base`,
          `docker://${registry.host}/${REPO}@${fixture.indexDigest}`,
        ]) {
          const source = openImageSource(reference, { insecure: true, userAgent: UA });
          await resolveAndCopy(source);
          await source.close();
        }
        const gets = registry.requests().filter((r) => r.includes('/blobs/'));
        expect(gets).toContain(`GET /v2/${REPO}/blobs/${fixture.images['linux_arm64']!.configDigest}`);
      });

      it('reports a tag the registry does not have as a 404', async () => {
        const reference = `${registry.host}/${REPO}:nope`;
        const source = openImageSource(reference, { insecure: true, userAgent: UA });
        const error = await rejection(source.resolve([AMD64]));
        expect(error.code).toBe('OCI_REGISTRY_ERROR');
        expect(error.message).toBe(`${reference}: the registry has no manifest nope in ${REPO} (404)`);
        expect(error.details.status).toBe(404);
        await source.close();
      });
    });

    describe('htpasswd Basic auth', () => {
      let registry: DockerRegistry;
      beforeAll(async () => {
        registry = await startDockerRegistry({ htpasswd: USER, tls: true });
        await pushFixtureToRegistry(fixture, `${registry.host}/${REPO}:base`, {
          creds: `${USER.username}:${USER.password}`,
        });
      });
      afterAll(() => registry.stop());

      it('pulls with the docker config auths for the host, and fails with 401 without them', async () => {
        const config = JSON.stringify({
          auths: {
            [registry.host]: { auth: Buffer.from(`${USER.username}:${USER.password}`).toString('base64') },
          },
        });
        const source = openImageSource(`${registry.host}/${REPO}:base`, {
          caCertFiles: [registry.caCertPath as string],
          userAgent: UA,
          dockerConfig: parseDockerConfig(config, 'test-config.json'),
        });
        await resolveAndCopy(source);
        await source.close();

        const anonymous = openImageSource(`${registry.host}/${REPO}:base`, {
          caCertFiles: [registry.caCertPath as string],
          userAgent: UA,
        });
        const error = await rejection(anonymous.resolve([AMD64]));
        expect(error.code).toBe('OCI_REGISTRY_ERROR');
        expect(error.details.status).toBe(401);
        expect(error.message).toContain(`no credentials for ${registry.host} were given`);
        await anonymous.close();
      });
    });

    describe('Bearer tokens', () => {
      let tokens: TokenServer;
      let registry: DockerRegistry;
      beforeAll(async () => {
        tokens = await startTokenServer({ user: USER, tls: true });
        registry = await startDockerRegistry({ token: tokens, tls: true });
        await pushFixtureToRegistry(fixture, `${registry.host}/${REPO}:base`, {
          creds: `${USER.username}:${USER.password}`,
        });
      });
      afterAll(async () => {
        await registry.stop();
        await tokens.stop();
      });

      it('gets a pull token with the credentials and pulls', async () => {
        const before = tokens.requests.length;
        const source = openImageSource(`${registry.host}/${REPO}:base`, {
          caCertFiles: [registry.caCertPath as string, tokens.certPath],
          userAgent: UA,
          credentials: USER,
        });
        await resolveAndCopy(source);
        await source.close();
        const ours = tokens.requests.slice(before);
        // One token per scope, cached for every later request.
        expect(ours).toEqual([
          {
            username: USER.username,
            service: tokens.service,
            scopes: [`repository:${REPO}:pull`],
            status: 200,
          },
        ]);
      });
    });
  },
);

interface Recorded {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

interface TestServer {
  host: string;
  requests: Recorded[];
  close(): Promise<void>;
}

const servers: TestServer[] = [];
afterAll(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

let cert: TestCert;
beforeAll(async () => {
  cert = await createSelfSignedCert(undefined, undefined, await makeTempDir('airgap-cert-'));
});

/** A plain-http server, or with `tls` an https one whose certificate `source(..., { tls })` trusts. */
async function serve(
  handler: (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void,
  options: { tls?: boolean } = {},
): Promise<TestServer> {
  const requests: Recorded[] = [];
  const listener: http.RequestListener = (req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    handler(req, res, requests.length);
  };
  const server = options.tls
    ? https.createServer({ key: cert.keyPem, cert: cert.certPem }, listener)
    : http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const s: TestServer = {
    host: `127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(s);
  return s;
}

function source(
  host: string,
  extra: { credentials?: { username: string; password: string }; retries?: number; tls?: boolean } = {},
): ImageSource {
  const { tls, ...rest } = extra;
  return openImageSource(`${host}/${REPO}:base`, {
    ...(tls ? { caCertFiles: [cert.certPath] } : { insecure: true }),
    userAgent: UA,
    retryBackoffMs: 10,
    ...rest,
  });
}

/** A clock that answers at once and remembers every wait asked of it. */
function recordingClock(): Clock & { delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    now: () => 1_700_000_000_000,
    sleep: (ms) => {
      delays.push(ms);
      return Promise.resolve();
    },
  };
}

function blobPath(): string {
  return `/v2/${REPO}/blobs/${layer.digest}`;
}

describe('registry blob downloads against small local servers', () => {
  it('follows a redirect to another origin without the Authorization header', async () => {
    const cdn = await serve(
      (_req, res) => {
        res.writeHead(200, { 'content-length': String(layerBytes.length) });
        res.end(layerBytes);
      },
      { tls: true },
    );
    const registry = await serve(
      (req, res) => {
        if (req.headers.authorization === undefined) {
          res.writeHead(401, { 'www-authenticate': 'Basic realm="test"' });
          res.end();
          return;
        }
        res.writeHead(307, { location: `https://${cdn.host}/cdn/blob?sig=abc` });
        res.end();
      },
      { tls: true },
    );
    const dest = path.join(dir, 'redirected');
    await source(registry.host, { credentials: USER, tls: true }).copyBlob(layer, dest);
    expect(await fs.readFile(dest)).toEqual(layerBytes);
    const basic = `Basic ${Buffer.from(`${USER.username}:${USER.password}`).toString('base64')}`;
    expect(registry.requests.map((r) => [r.url, r.headers.authorization])).toEqual([
      [blobPath(), undefined],
      [blobPath(), basic],
    ]);
    expect(cdn.requests.map((r) => [r.method, r.url])).toEqual([['GET', '/cdn/blob?sig=abc']]);
    expect(cdn.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('gives up after 10 redirects, the one limit every client shares', async () => {
    const loop = await serve((req, res) => {
      res.writeHead(302, { location: `${req.url}x` });
      res.end();
    });
    const dest = path.join(dir, 'looped');
    const error = await rejection(source(loop.host).copyBlob(layer, dest));
    expect(error.code).toBe('OCI_REGISTRY_ERROR');
    expect(error.message).toBe(
      `GET http://${loop.host}${blobPath()} failed: more than 10 redirects (last at http://${loop.host}${blobPath()}${'x'.repeat(10)})`,
    );
    expect(loop.requests).toHaveLength(11);
    // A redirect failure is not retried.
    expect(await exists(dest)).toBe(false);
  });

  it('waits as long as Retry-After says (capped at 30 s) between attempts, recorded by the clock', async () => {
    const server = await serve((_req, res, n) => {
      if (n === 1) return void res.writeHead(503, { 'retry-after': '2' }).end();
      if (n === 2) return void res.writeHead(429, { 'retry-after': '86400' }).end();
      if (n === 3) return void res.writeHead(503).end();
      res.writeHead(200, { 'content-length': String(layerBytes.length) });
      res.end(layerBytes);
    });
    const clock = recordingClock();
    const reference = `${server.host}/${REPO}:base`;
    const ref = parseBaseImageReference(reference);
    if (ref.kind !== 'registry') throw new Error(`${reference} is not a registry reference`);
    const registrySource = openRegistrySource(reference, ref, {
      insecure: true,
      userAgent: UA,
      attempts: 4,
      backoffMs: 1_000,
      clock,
    });
    const dest = path.join(dir, 'waited');
    await registrySource.copyBlob(layer, dest);
    await registrySource.close();
    expect(await fs.readFile(dest)).toEqual(layerBytes);
    expect(server.requests).toHaveLength(4);
    // 2 s as asked; a day cut to 30 s; no Retry-After: the third back-off step (4 s) with jitter.
    expect(clock.delays.slice(0, 2)).toEqual([2_000, 30_000]);
    expect(clock.delays).toHaveLength(3);
    expect(clock.delays[2]).toBeGreaterThanOrEqual(2_000);
    expect(clock.delays[2]).toBeLessThanOrEqual(4_000);
  });

  it('retries after a connection reset mid-body and resumes with Range from the bytes written', async () => {
    const half = Math.floor(layerBytes.length / 2);
    const server = await serve((req, res, n) => {
      if (n === 1) {
        res.writeHead(200, { 'content-length': String(layerBytes.length) });
        // Flushed first, then the connection dies: the client holds exactly `half` bytes.
        res.write(layerBytes.subarray(0, half), () => setTimeout(() => res.socket?.destroy(), 50));
        return;
      }
      const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1]);
      res.writeHead(206, {
        'content-length': String(layerBytes.length - start),
        'content-range': `bytes ${start}-${layerBytes.length - 1}/${layerBytes.length}`,
      });
      res.end(layerBytes.subarray(start));
    });
    const dest = path.join(dir, 'resumed');
    let bytes = 0;
    await source(server.host).copyBlob(layer, dest, (k) => (bytes += k));
    expect(await fs.readFile(dest)).toEqual(layerBytes);
    expect(server.requests.map((r) => r.headers.range)).toEqual([undefined, `bytes=${half}-`]);
    expect(bytes).toBe(layerBytes.length);
  });

  it('starts over when the server ignores Range, and retries a 503', async () => {
    const half = Math.floor(layerBytes.length / 2);
    const server = await serve((_req, res, n) => {
      if (n === 1) {
        res.writeHead(503);
        res.end();
        return;
      }
      res.writeHead(200, { 'content-length': String(layerBytes.length) });
      if (n === 2) {
        res.write(layerBytes.subarray(0, half), () => setTimeout(() => res.socket?.destroy(), 50));
        return;
      }
      res.end(layerBytes);
    });
    const dest = path.join(dir, 'restarted');
    let bytes = 0;
    await source(server.host).copyBlob(layer, dest, (k) => (bytes += k));
    expect(await fs.readFile(dest)).toEqual(layerBytes);
    expect(server.requests.map((r) => r.headers.range)).toEqual([undefined, undefined, `bytes=${half}-`]);
    // The replayed half is counted again.
    expect(bytes).toBe(half + layerBytes.length);
  });

  it('does not retry a 404 or a digest mismatch, and stops retrying 503 after the attempts allowed', async () => {
    const missing = await serve((_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown to registry' }] }));
    });
    const dest = path.join(dir, 'failed');
    const notFound = await rejection(source(missing.host).copyBlob(layer, dest));
    expect(notFound.code).toBe('OCI_REGISTRY_ERROR');
    expect(notFound.message).toBe(
      `GET http://${missing.host}${blobPath()} failed: 404 Not Found: BLOB_UNKNOWN: blob unknown to registry`,
    );
    expect(missing.requests).toHaveLength(1);
    expect(await exists(dest)).toBe(false);

    const wrong = Buffer.from(layerBytes);
    wrong[0] = wrong[0]! ^ 0xff;
    const tampering = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': String(wrong.length) });
      res.end(wrong);
    });
    const reference = `${tampering.host}/${REPO}:base`;
    const mismatch = await rejection(source(tampering.host).copyBlob(layer, dest));
    expect(mismatch.code).toBe('CHECKSUM_MISMATCH');
    expect(mismatch.message).toBe(
      `blob ${layer.digest} of ${reference}: digest is ${sha256(wrong)}, expected ${layer.digest}`,
    );
    expect(tampering.requests).toHaveLength(1);
    expect(await exists(dest)).toBe(false);

    const down = await serve((_req, res) => {
      res.writeHead(503);
      res.end();
    });
    const unavailable = await rejection(source(down.host, { retries: 2 }).copyBlob(layer, dest));
    expect(unavailable.code).toBe('OCI_REGISTRY_ERROR');
    expect(unavailable.details.status).toBe(503);
    expect(down.requests).toHaveLength(2);
    expect(await exists(dest)).toBe(false);
  });

  it('refuses a manifest whose bytes do not hash to the digest the reference pins', async () => {
    const amd = fixture.images['linux_amd64']!;
    const served = await fs.readFile(blobFile(fixture.layoutDir, amd.manifestDigest));
    const server = await serve((_req, res) => {
      res.writeHead(200, {
        'content-type': IMAGE_MEDIA_TYPES.ociManifest,
        'content-length': String(served.length),
      });
      res.end(served);
    });
    const reference = `${server.host}/${REPO}@${fixture.indexDigest}`;
    const error = await rejection(
      openImageSource(reference, { insecure: true, userAgent: UA }).resolve([AMD64]),
    );
    expect(error.code).toBe('CHECKSUM_MISMATCH');
    expect(error.message).toBe(
      `GET http://${server.host}/v2/${REPO}/manifests/${fixture.indexDigest}: the manifest served hashes to ${amd.manifestDigest}, not the digest asked for`,
    );
    expect(error.details).toMatchObject({ expected: fixture.indexDigest, actual: amd.manifestDigest });
    expect(server.requests.map((r) => r.url)).toEqual([`/v2/${REPO}/manifests/${fixture.indexDigest}`]);
  });
});
