// The OCI push client against the real CNCF distribution registry (Debian's
// docker-registry), read back with the real skopeo: open, htpasswd Basic and token
// (Bearer) auth with a local token server (both over TLS: a login never goes over
// plain http), and TLS with a private CA. Then small local servers for what the
// registry cannot show: which requests carried credentials, and redirects.

import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createOciRegistryClient,
  parseChallenge,
  type ClosableOciRegistryClient,
  type OciRegistryClientOptions,
} from '../../src/adapters/oci/registry-client.js';
import { AirgapError } from '../../src/core/errors.js';
import { parseDockerConfig } from '../../src/core/oci/docker-auths.js';
import type { OciBlob } from '../../src/core/ports.js';
import {
  startDockerRegistry,
  startTokenServer,
  type DockerRegistry,
  type TokenServer,
} from '../helpers/docker-registry.js';
import { realdata } from '../helpers/realdata.js';
import { createSelfSignedCert, type TestCert } from '../helpers/tls.js';
import { makeTempDir } from '../helpers/tmp.js';
import { describeWithTools } from '../helpers/tools.js';
import { startHttpServer, startHttpsServer } from './http/servers.js';

const run = promisify(execFile);
const UA = 'airgap-test/0';

const EMPTY_CONFIG: OciBlob = {
  digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
  size: 2,
  bytes: new TextEncoder().encode('{}'),
};
// A real provider zip from terraform's own test data.
const NULL_ZIP: OciBlob = {
  digest: 'sha256:299dd806df78cb0537e5c111019eaca6e6b7797e1b63cb37cc6a76f91c6c0782',
  size: 271,
  path: realdata(
    'vectors/terraform/internal/providercache/testdata/terraform-provider-null_2.1.0_linux_amd64.zip',
  ),
};

function imageManifest(layer: OciBlob): Uint8Array {
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactType: 'application/vnd.opentofu.provider',
    config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: EMPTY_CONFIG.digest, size: 2 },
    layers: [{ mediaType: 'archive/zip', digest: layer.digest, size: layer.size }],
  };
  return new TextEncoder().encode(JSON.stringify(manifest, null, 2));
}

function sha256(bytes: Uint8Array): string {
  return `sha256:${crypto.createHash('sha256').update(bytes).digest('hex')}`;
}

async function skopeoRaw(host: string, ref: string, extra: string[] = []): Promise<Buffer> {
  const { stdout } = await run(
    'skopeo',
    ['inspect', '--raw', '--tls-verify=false', ...extra, `docker://${host}/${ref}`],
    {
      encoding: 'buffer',
    },
  );
  return stdout;
}

async function rejection(promise: Promise<unknown>): Promise<AirgapError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AirgapError);
    return error as AirgapError;
  }
  throw new Error('expected a rejection');
}

function uploadPosts(registry: DockerRegistry, repo: string): string[] {
  return registry.requests().filter((r) => r.startsWith(`POST /v2/${repo}/blobs/uploads/`));
}

describeWithTools(
  ['docker-registry', 'skopeo', 'htpasswd'],
  'OCI registry client against docker-registry',
  () => {
    describe('open registry', () => {
      let registry: DockerRegistry;
      let client: ClosableOciRegistryClient;

      beforeAll(async () => {
        registry = await startDockerRegistry();
        client = createOciRegistryClient({ registry: registry.host, insecure: true, userAgent: UA });
      });
      afterAll(async () => {
        await client?.close();
        await registry?.stop();
      });

      it('pushes blobs monolithically, a manifest and an index that skopeo reads back byte for byte', async () => {
        expect(await client.hasBlob('tofu/hashicorp/null', NULL_ZIP.digest)).toBe(false);
        expect(await client.pushBlob('tofu/hashicorp/null', NULL_ZIP)).toBe('uploaded');
        expect(await client.pushBlob('tofu/hashicorp/null', EMPTY_CONFIG)).toBe('uploaded');
        expect(await client.hasBlob('tofu/hashicorp/null', NULL_ZIP.digest)).toBe(true);
        // One PUT per blob, with the digest appended to the session's query.
        const puts = registry
          .requests()
          .filter((r) => r.startsWith('PUT /v2/tofu/hashicorp/null/blobs/uploads/'));
        expect(puts).toHaveLength(2);
        expect(puts[0]).toMatch(
          /\?_state=[^&]+&digest=sha256%3A299dd806df78cb0537e5c111019eaca6e6b7797e1b63cb37cc6a76f91c6c0782$/,
        );
        expect(registry.requests().filter((r) => r.startsWith('PATCH '))).toEqual([]);

        // The registry stored exactly the file's bytes.
        const stored = await fs.readFile(
          path.join(
            registry.storageDir,
            'docker/registry/v2/blobs/sha256/29/299dd806df78cb0537e5c111019eaca6e6b7797e1b63cb37cc6a76f91c6c0782/data',
          ),
        );
        expect(stored.equals(await fs.readFile(NULL_ZIP.path as string))).toBe(true);

        const manifestBytes = imageManifest(NULL_ZIP);
        const manifestDigest = await client.pushManifest('tofu/hashicorp/null', '2.1.0-linux_amd64', {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          bytes: manifestBytes,
        });
        expect(manifestDigest).toBe(sha256(manifestBytes));
        expect(
          (await skopeoRaw(registry.host, 'tofu/hashicorp/null:2.1.0-linux_amd64')).equals(
            Buffer.from(manifestBytes),
          ),
        ).toBe(true);

        const index = new TextEncoder().encode(
          JSON.stringify({
            schemaVersion: 2,
            mediaType: 'application/vnd.oci.image.index.v1+json',
            manifests: [
              {
                mediaType: 'application/vnd.oci.image.manifest.v1+json',
                digest: manifestDigest,
                size: manifestBytes.length,
                platform: { os: 'linux', architecture: 'amd64' },
              },
            ],
          }),
        );
        const indexDigest = await client.pushManifest('tofu/hashicorp/null', '2.1.0', {
          mediaType: 'application/vnd.oci.image.index.v1+json',
          bytes: index,
        });
        expect(indexDigest).toBe(sha256(index));
        expect((await skopeoRaw(registry.host, 'tofu/hashicorp/null:2.1.0')).equals(Buffer.from(index))).toBe(
          true,
        );
        expect(
          (await skopeoRaw(registry.host, `tofu/hashicorp/null@${indexDigest}`)).equals(Buffer.from(index)),
        ).toBe(true);

        const got = await client.getManifest('tofu/hashicorp/null', '2.1.0');
        expect(got?.mediaType).toBe('application/vnd.oci.image.index.v1+json');
        expect(got?.digest).toBe(indexDigest);
        expect(Buffer.from(got?.bytes ?? []).equals(Buffer.from(index))).toBe(true);
        const byDigest = await client.getManifest('tofu/hashicorp/null', manifestDigest);
        expect(byDigest?.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
        expect(Buffer.from(byDigest?.bytes ?? []).equals(Buffer.from(manifestBytes))).toBe(true);
        expect(await client.getManifest('tofu/hashicorp/null', '9.9.9')).toBeUndefined();
        expect(await client.getManifest('tofu/hashicorp/absent', 'latest')).toBeUndefined();
      });

      it('skips a blob that is already there after one HEAD: no upload POST', async () => {
        const repo = 'skip/test';
        expect(await client.pushBlob(repo, EMPTY_CONFIG)).toBe('uploaded');
        expect(uploadPosts(registry, repo)).toHaveLength(1);
        const before = registry.requests().length;
        expect(await client.pushBlob(repo, EMPTY_CONFIG)).toBe('exists');
        expect(registry.requests().slice(before)).toEqual([`HEAD /v2/${repo}/blobs/${EMPTY_CONFIG.digest}`]);
        expect(uploadPosts(registry, repo)).toHaveLength(1);
      });

      it('uploads in PATCH chunks with Content-Range, then a PUT with the digest', async () => {
        const dir = await makeTempDir();
        const bytes = Buffer.alloc(2500);
        for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + 3) % 251;
        const file = path.join(dir, 'blob.bin');
        await fs.writeFile(file, bytes);
        const blob: OciBlob = { digest: sha256(bytes), size: bytes.length, path: file };
        const chunked = createOciRegistryClient({
          registry: registry.host,
          insecure: true,
          userAgent: UA,
          chunkSize: 1000,
        });
        try {
          expect(await chunked.pushBlob('chunked/file', blob)).toBe('uploaded');
          // Bytes given in memory go the same way.
          const small = new Uint8Array(bytes.subarray(0, 1500));
          expect(
            await chunked.pushBlob('chunked/bytes', { digest: sha256(small), size: 1500, bytes: small }),
          ).toBe('uploaded');
        } finally {
          await chunked.close();
        }
        const calls = registry.requests().filter((r) => r.includes('/v2/chunked/file/blobs/uploads/'));
        expect(calls.map((r) => r.split(' ')[0])).toEqual(['POST', 'PATCH', 'PATCH', 'PATCH', 'PUT']);
        expect(calls[4]).toContain(`&digest=${encodeURIComponent(blob.digest)}`);
        const bytesCalls = registry.requests().filter((r) => r.includes('/v2/chunked/bytes/blobs/uploads/'));
        expect(bytesCalls.map((r) => r.split(' ')[0])).toEqual(['POST', 'PATCH', 'PATCH', 'PUT']);
        const stored = await fs.readFile(
          path.join(
            registry.storageDir,
            'docker/registry/v2/blobs/sha256',
            blob.digest.slice(7, 9),
            blob.digest.slice(7),
            'data',
          ),
        );
        expect(stored.equals(bytes)).toBe(true);
      });

      it('mounts across repositories, and falls back to uploading when the source lacks the blob', async () => {
        expect(await client.pushBlob('mount/source', NULL_ZIP)).toBe('uploaded');
        expect(await client.pushBlob('mount/target', NULL_ZIP, { mountFrom: 'mount/source' })).toBe(
          'mounted',
        );
        expect(uploadPosts(registry, 'mount/target')).toEqual([
          `POST /v2/mount/target/blobs/uploads/?mount=${encodeURIComponent(NULL_ZIP.digest)}&from=mount%2Fsource`,
        ]);
        expect(registry.requests().filter((r) => r.startsWith('PUT /v2/mount/target/'))).toEqual([]);
        expect(await client.hasBlob('mount/target', NULL_ZIP.digest)).toBe(true);

        // mount/empty never had the blob: the registry opens an upload session instead (202).
        expect(await client.pushBlob('mount/other', NULL_ZIP, { mountFrom: 'mount/empty' })).toBe('uploaded');
        expect(
          registry.requests().filter((r) => r.startsWith('PUT /v2/mount/other/blobs/uploads/')),
        ).toHaveLength(1);
      });

      it('reports the registry error code and message with URL and status', async () => {
        // A manifest whose layer was never pushed.
        const missing: OciBlob = { digest: `sha256:${'ab'.repeat(32)}`, size: 5, bytes: new Uint8Array(5) };
        const error = await rejection(
          client.pushManifest('errors/test', 'v1', {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            bytes: imageManifest(missing),
          }),
        );
        expect(error.code).toBe('OCI_REGISTRY_ERROR');
        expect(error.details.status).toBe(400);
        expect(error.message).toBe(
          `PUT ${registry.url}/v2/errors/test/manifests/v1 failed: 400 Bad Request: ` +
            `MANIFEST_BLOB_UNKNOWN: blob unknown to registry (${EMPTY_CONFIG.digest}); ` +
            `MANIFEST_BLOB_UNKNOWN: blob unknown to registry (${missing.digest})`,
        );

        // Bytes that do not hash to the digest claimed: the registry refuses the upload.
        const lie: OciBlob = { digest: EMPTY_CONFIG.digest, size: 2, bytes: new TextEncoder().encode('[]') };
        const digestError = await rejection(client.pushBlob('errors/test', lie));
        expect(digestError.code).toBe('OCI_REGISTRY_ERROR');
        expect(digestError.details.status).toBe(400);
        expect(digestError.message).toMatch(
          new RegExp(
            `^PUT ${registry.url}/v2/errors/test/blobs/uploads/[0-9a-f-]+\\?_state=\\.\\.\\.&digest=sha256%3A44136fa3[0-9a-f]+ failed: 400 Bad Request: DIGEST_INVALID: provided digest did not match uploaded content$`,
          ),
        );

        const refError = await rejection(
          client.pushManifest('errors/test', EMPTY_CONFIG.digest, {
            mediaType: 'application/json',
            bytes: new Uint8Array([1]),
          }),
        );
        expect(refError.code).toBe('OCI_REFERENCE_INVALID');
        expect(refError.details.expected).toBe(EMPTY_CONFIG.digest);
        expect(refError.details.actual).toBe(
          'sha256:4bf5122f344554c53bde2ebb8cd2b7e3d1600ad631c385a5d7cce23c7785459a',
        );

        const badRepo = await rejection(client.hasBlob('Upper/Case', EMPTY_CONFIG.digest));
        expect(badRepo.code).toBe('OCI_REFERENCE_INVALID');
      });
    });

    describe('htpasswd Basic auth', () => {
      let registry: DockerRegistry;
      beforeAll(async () => {
        registry = await startDockerRegistry({
          htpasswd: { username: 'pusher', password: 's3cret-pw' },
          tls: true,
        });
      });
      afterAll(async () => {
        await registry?.stop();
      });

      it('pushes with --registry-username style credentials and with docker config auths', async () => {
        const client = createOciRegistryClient({
          registry: registry.host,
          caCertFiles: [registry.caCertPath as string],
          userAgent: UA,
          credentials: { username: 'pusher', password: 's3cret-pw' },
        });
        try {
          expect(await client.pushBlob('basic/a', EMPTY_CONFIG)).toBe('uploaded');
          const digest = await client.pushManifest('basic/a', 'v1', {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            bytes: imageManifest(EMPTY_CONFIG),
          });
          expect(digest).toBe(sha256(imageManifest(EMPTY_CONFIG)));
        } finally {
          await client.close();
        }
        const raw = await skopeoRaw(registry.host, 'basic/a:v1', ['--creds', 'pusher:s3cret-pw']);
        expect(raw.equals(Buffer.from(imageManifest(EMPTY_CONFIG)))).toBe(true);

        const config = parseDockerConfig(
          JSON.stringify({
            auths: {
              [`https://${registry.host}`]: { auth: Buffer.from('pusher:s3cret-pw').toString('base64') },
            },
          }),
          'config.json',
        );
        const fromConfig = createOciRegistryClient({
          registry: registry.host,
          caCertFiles: [registry.caCertPath as string],
          userAgent: UA,
          dockerConfig: config,
        });
        try {
          expect(await fromConfig.pushBlob('basic/b', EMPTY_CONFIG, { mountFrom: 'basic/a' })).toBe(
            'mounted',
          );
        } finally {
          await fromConfig.close();
        }
      });

      it('fails with OCI_REGISTRY_ERROR 401 on a wrong password or none, never echoing the password', async () => {
        const wrong = createOciRegistryClient({
          registry: registry.host,
          caCertFiles: [registry.caCertPath as string],
          userAgent: UA,
          credentials: { username: 'pusher', password: 'wrong-pw-123' },
        });
        try {
          const error = await rejection(wrong.pushBlob('basic/c', EMPTY_CONFIG));
          expect(error.code).toBe('OCI_REGISTRY_ERROR');
          expect(error.details.status).toBe(401);
          expect(error.message).toBe(
            `HEAD ${registry.url}/v2/basic/c/blobs/${EMPTY_CONFIG.digest} failed: 401 Unauthorized (the registry rejected the Basic credentials sent for user pusher)`,
          );
          expect(JSON.stringify({ ...error.details, message: error.message })).not.toContain('wrong-pw-123');
          expect(error.message).not.toContain(Buffer.from('pusher:wrong-pw-123').toString('base64'));
        } finally {
          await wrong.close();
        }

        const anonymous = createOciRegistryClient({
          registry: registry.host,
          caCertFiles: [registry.caCertPath as string],
          userAgent: UA,
        });
        try {
          const error = await rejection(
            anonymous.pushManifest('basic/c', 'v1', {
              mediaType: 'application/json',
              bytes: new Uint8Array([123, 125]),
            }),
          );
          expect(error.code).toBe('OCI_REGISTRY_ERROR');
          expect(error.details.status).toBe(401);
          expect(error.message).toBe(
            `PUT ${registry.url}/v2/basic/c/manifests/v1 failed: 401 Unauthorized: UNAUTHORIZED: authentication required (the registry requires Basic auth and no credentials for ${registry.host} were given)`,
          );
        } finally {
          await anonymous.close();
        }
      });
    });

    describe('Bearer token auth (docker-registry auth.token + a local token server)', () => {
      let tokens: TokenServer;
      let registry: DockerRegistry;
      beforeAll(async () => {
        tokens = await startTokenServer({ user: { username: 'robot', password: 'tok-pw' }, tls: true });
        registry = await startDockerRegistry({ token: tokens, tls: true });
      });
      afterAll(async () => {
        await registry?.stop();
        await tokens?.stop();
      });

      it('gets a token per scope with Basic credentials and pushes, mounts and reads', async () => {
        const client = createOciRegistryClient({
          registry: registry.host,
          caCertFiles: [registry.caCertPath as string, tokens.certPath],
          userAgent: UA,
          credentials: { username: 'robot', password: 'tok-pw' },
        });
        try {
          expect(await client.pushBlob('bearer/a', NULL_ZIP)).toBe('uploaded');
          expect(await client.pushBlob('bearer/a', EMPTY_CONFIG)).toBe('uploaded');
          const bytes = imageManifest(NULL_ZIP);
          expect(
            await client.pushManifest('bearer/a', 'v1', {
              mediaType: 'application/vnd.oci.image.manifest.v1+json',
              bytes,
            }),
          ).toBe(sha256(bytes));
          expect(await client.pushBlob('bearer/b', NULL_ZIP, { mountFrom: 'bearer/a' })).toBe('mounted');
          const got = await client.getManifest('bearer/a', 'v1');
          expect(Buffer.from(got?.bytes ?? []).equals(Buffer.from(bytes))).toBe(true);
        } finally {
          await client.close();
        }
        // One token per scope set, cached for every later request in it.
        expect(tokens.requests).toEqual([
          {
            username: 'robot',
            service: 'airgap-test-registry',
            scopes: ['repository:bearer/a:pull,push'],
            status: 200,
          },
          {
            username: 'robot',
            service: 'airgap-test-registry',
            scopes: ['repository:bearer/b:pull,push'],
            status: 200,
          },
          {
            username: 'robot',
            service: 'airgap-test-registry',
            scopes: ['repository:bearer/b:pull,push', 'repository:bearer/a:pull'],
            status: 200,
          },
          {
            username: 'robot',
            service: 'airgap-test-registry',
            scopes: ['repository:bearer/a:pull'],
            status: 200,
          },
        ]);
      });

      it('reports a token server refusal with the realm and status, without the password', async () => {
        const client = createOciRegistryClient({
          registry: registry.host,
          caCertFiles: [registry.caCertPath as string, tokens.certPath],
          userAgent: UA,
          credentials: { username: 'robot', password: 'not-the-pw' },
        });
        try {
          const error = await rejection(client.hasBlob('bearer/a', NULL_ZIP.digest));
          expect(error.code).toBe('OCI_REGISTRY_ERROR');
          expect(error.details.status).toBe(401);
          expect(error.message).toBe(
            `token request to ${tokens.realm}?service=airgap-test-registry&scope=repository%3Abearer%2Fa%3Apull%2Cpush (for HEAD ${registry.url}/v2/bearer/a/blobs/${NULL_ZIP.digest}) failed as robot: 401: UNAUTHORIZED: bad credentials`,
          );
          expect(error.message).not.toContain('not-the-pw');
        } finally {
          await client.close();
        }
      });
    });

    describe('TLS with a private CA', () => {
      let registry: DockerRegistry;
      beforeAll(async () => {
        registry = await startDockerRegistry({ tls: true });
      });
      afterAll(async () => {
        await registry?.stop();
      });

      it('pushes over https when given --ca-cert, and names the certificate problem without it', async () => {
        const trusted = createOciRegistryClient({
          registry: registry.host,
          userAgent: UA,
          caCertFiles: [registry.caCertPath as string],
        });
        try {
          expect(await trusted.pushBlob('tls/a', EMPTY_CONFIG)).toBe('uploaded');
        } finally {
          await trusted.close();
        }
        const untrusted = createOciRegistryClient({ registry: registry.host, userAgent: UA });
        try {
          const error = await rejection(untrusted.hasBlob('tls/a', EMPTY_CONFIG.digest));
          expect(error.code).toBe('OCI_REGISTRY_ERROR');
          expect(error.message).toContain(
            `HEAD https://${registry.host}/v2/tls/a/blobs/${EMPTY_CONFIG.digest}: `,
          );
          expect(error.message).toMatch(/certificate/i);
        } finally {
          await untrusted.close();
        }
      });
    });
  },
);

describe('credentials and redirects, against small local servers', () => {
  const USER = { username: 'pusher', password: 'pw-9c41e7' };
  const BASIC = `Basic ${Buffer.from(`${USER.username}:${USER.password}`).toString('base64')}`;
  const BLOB = `/v2/a/b/blobs/${EMPTY_CONFIG.digest}`;
  let cert: TestCert;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    cert = await createSelfSignedCert(undefined, undefined, await makeTempDir('airgap-cert-'));
  });
  afterEach(async () => {
    await Promise.all(cleanups.splice(0).map((c) => c()));
  });

  async function tracked<T extends { close(): Promise<void> }>(made: Promise<T>): Promise<T> {
    const value = await made;
    cleanups.push(() => value.close());
    return value;
  }

  function client(host: string, extra: Partial<OciRegistryClientOptions> = {}): ClosableOciRegistryClient {
    const made = createOciRegistryClient({
      registry: host,
      userAgent: UA,
      caCertFiles: [cert.certPath],
      ...extra,
    });
    cleanups.push(() => made.close());
    return made;
  }

  function hostOf(origin: string): string {
    return new URL(origin).host;
  }

  it('never sends a login to a plain-http (insecure) registry, and says so on its 401', async () => {
    const registry = await tracked(
      startHttpServer((_req, res) => res.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end()),
    );
    const host = hostOf(registry.origin);
    const error = await rejection(
      client(host, { insecure: true, credentials: USER }).hasBlob('a/b', EMPTY_CONFIG.digest),
    );
    expect(error.code).toBe('OCI_REGISTRY_ERROR');
    expect(error.details.status).toBe(401);
    expect(error.message).toBe(
      `HEAD ${registry.origin}${BLOB} failed: 401 Unauthorized (the registry requires Basic auth, and credentials are never sent over plain http: reach ${host} over https, with --ca-cert for a private CA)`,
    );
    expect(registry.requests.map((r) => [r.method, r.url, r.headers.authorization])).toEqual([
      ['HEAD', BLOB, undefined],
    ]);
  });

  it('with an insecure registry, asks the token realm anonymously and sends only that anonymous token', async () => {
    const realm = await tracked(
      startHttpServer((_req, res) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"token":"anon-tok"}'),
      ),
    );
    const registry = await tracked(
      startHttpServer((req, res) => {
        if (req.headers.authorization === 'Bearer anon-tok') return void res.writeHead(200).end();
        res
          .writeHead(401, { 'www-authenticate': `Bearer realm="${realm.origin}/token",service="svc"` })
          .end();
      }),
    );
    const c = client(hostOf(registry.origin), { insecure: true, credentials: USER });
    expect(await c.hasBlob('a/b', EMPTY_CONFIG.digest)).toBe(true);
    expect(realm.requests.map((r) => [r.url, r.headers.authorization])).toEqual([
      ['/token?service=svc&scope=repository%3Aa%2Fb%3Apull%2Cpush', undefined],
    ]);
    expect(registry.requests.map((r) => r.headers.authorization)).toEqual([undefined, 'Bearer anon-tok']);
  });

  it('sends the login to an https token realm, and the token it buys to the https registry only', async () => {
    const realm = await tracked(
      startHttpsServer(cert, (req, res) => {
        if (req.headers.authorization !== BASIC) return void res.writeHead(401).end();
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"access_token":"user-tok"}');
      }),
    );
    const registry = await tracked(
      startHttpsServer(cert, (req, res) => {
        if (req.headers.authorization === 'Bearer user-tok') return void res.writeHead(404).end();
        res.writeHead(401, { 'www-authenticate': `Bearer realm="${realm.origin}/token"` }).end();
      }),
    );
    expect(
      await client(hostOf(registry.origin), { credentials: USER }).hasBlob('a/b', EMPTY_CONFIG.digest),
    ).toBe(false);
    expect(realm.requests.map((r) => r.headers.authorization)).toEqual([BASIC]);
    expect(registry.requests.map((r) => r.headers.authorization)).toEqual([undefined, 'Bearer user-tok']);
  });

  it('drops the login on a blob redirect to another origin, and does not restore it when led back', async () => {
    const layer = Buffer.from('layer bytes');
    let registryOrigin = '';
    const cdn = await tracked(
      startHttpsServer(cert, (_req, res) => res.writeHead(302, { location: `${registryOrigin}/back` }).end()),
    );
    const registry = await tracked(
      startHttpsServer(cert, (req, res) => {
        if (req.url === '/back')
          return void res.writeHead(200, { 'content-length': String(layer.length) }).end(layer);
        if (req.headers.authorization === undefined) {
          return void res.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end();
        }
        res.writeHead(307, { location: `${cdn.origin}/cdn/blob?sig=abc` }).end();
      }),
    );
    registryOrigin = registry.origin;
    const opened = await client(hostOf(registry.origin), { credentials: USER }).openBlob(
      'a/b',
      EMPTY_CONFIG.digest,
    );
    const chunks: Buffer[] = [];
    for await (const chunk of opened.body as AsyncIterable<Buffer>) chunks.push(chunk);
    expect(Buffer.concat(chunks)).toEqual(layer);
    expect(registry.requests.map((r) => [r.url, r.headers.authorization])).toEqual([
      [BLOB, undefined],
      [BLOB, BASIC],
      ['/back', undefined],
    ]);
    expect(cdn.requests.map((r) => [r.url, r.headers.authorization])).toEqual([
      ['/cdn/blob?sig=abc', undefined],
    ]);
  });

  it('refuses a blob redirect from https to http, naming it with its signature redacted', async () => {
    const plain = await tracked(startHttpServer((_req, res) => res.writeHead(200).end('x')));
    const registry = await tracked(
      startHttpsServer(cert, (_req, res) =>
        res.writeHead(302, { location: `${plain.origin}/blob?X-Amz-Signature=feedface` }).end(),
      ),
    );
    const error = await rejection(client(hostOf(registry.origin)).openBlob('a/b', EMPTY_CONFIG.digest));
    expect(error.code).toBe('OCI_REGISTRY_ERROR');
    expect(error.message).toBe(
      `GET ${registry.origin}${BLOB} failed: refusing redirect from https to http (${plain.origin}/blob?X-Amz-Signature=REDACTED)`,
    );
    expect(plain.requests).toEqual([]);
  });

  it('refuses a token answer over the metadata limit, naming the realm', async () => {
    const realm = await tracked(
      startHttpsServer(cert, (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(600_000_000) });
        res.write('{"token":"');
      }),
    );
    const registry = await tracked(
      startHttpsServer(cert, (_req, res) =>
        res.writeHead(401, { 'www-authenticate': `Bearer realm="${realm.origin}/token"` }).end(),
      ),
    );
    const error = await rejection(client(hostOf(registry.origin)).hasBlob('a/b', EMPTY_CONFIG.digest));
    expect(error.code).toBe('OCI_REGISTRY_ERROR');
    expect(error.message).toBe(
      `GET ${realm.origin}/token?scope=repository%3Aa%2Fb%3Apull%2Cpush: response of 600000000 bytes (Content-Length) is over the 8388608-byte limit for a token answer`,
    );
  });
});

describe('parseChallenge', () => {
  it('reads Bearer params with quoted commas and Basic realms', () => {
    expect(
      parseChallenge(
        'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"',
      ),
    ).toEqual({
      scheme: 'bearer',
      params: {
        realm: 'https://auth.example/token',
        service: 'registry.example',
        scope: 'repository:a/b:pull,push',
      },
    });
    expect(parseChallenge('Basic realm="x \\"y\\""')).toEqual({
      scheme: 'basic',
      params: { realm: 'x "y"' },
    });
    expect(parseChallenge('Negotiate abc')).toBeUndefined();
    expect(parseChallenge(undefined)).toBeUndefined();
  });
});
