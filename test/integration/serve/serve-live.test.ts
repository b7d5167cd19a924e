// `airgap serve` over an import destination follows the live generation: after
// `airgap import` switches generations, new requests see the new content without a
// restart, while a request in flight finishes on the file it opened. And through the
// real executable: SIGTERM stops accepting, lets the request in flight finish, exit 0.

import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseListen } from '../../../src/core/serve/listen.js';
import { runImport, type ImportOptions } from '../../../src/services/import/import-service.js';
import { startServe, type ServeHandle } from '../../../src/services/serve/serve-service.js';
import { thisProcess } from '../../helpers/host.js';
import { rawRequest, rest, startPaused } from '../../helpers/https-get.js';
import { readFixtureDirectory, writeFixtureBundle } from '../../helpers/import-fixtures.js';
import { addModulesToBundle } from '../../helpers/module-bundle.js';
import { startServeProcess } from '../../helpers/serve-process.js';
import { signBundleDir } from '../../helpers/signed-bundle.js';
import { makeTempDir } from '../../helpers/tmp.js';

const TFR = 'registry.terraform.io';
const BIG = `/modules/${TFR}/acme/big/aws/1.0.0.zip`;
let work: string;

/** Incompressible, deterministic: far more than socket buffers hold, so a paused response stays in flight. */
function bigText(seed: string): string {
  const key = crypto.createHash('sha256').update(seed).digest();
  const stream = crypto.createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return stream.update(Buffer.alloc(12 << 20)).toString('base64');
}

async function bundleWith(
  name: string,
  createdAt: string,
  modules: Parameters<typeof addModulesToBundle>[1],
): Promise<string> {
  const dir = path.join(work, name);
  await writeFixtureBundle(dir, {
    createdAt,
    providers: [{ namespace: 'hashicorp', type: 'null', version: '3.2.1', platforms: ['linux_amd64'] }],
    packageCache: path.join(work, 'cache'),
  });
  await addModulesToBundle(dir, modules);
  return dir;
}

function importOptions(source: string, dest: string): ImportOptions {
  return {
    source,
    dest,
    trustedKeyFiles: [],
    insecureSkipSignature: true,
    allowDowngrade: false,
    host: thisProcess(),
    platform: 'linux_amd64',
  };
}

const silent = { info: () => undefined, warn: () => undefined };

let bundleA: string;
let bundleB: string;
let handle: ServeHandle | undefined;

beforeAll(async () => {
  work = await makeTempDir();
  bundleA = await bundleWith('a', '2026-01-01T00:00:00Z', [
    { source: `${TFR}/acme/net/aws`, version: '1.0.0', files: { 'main.tf': '# a\n' } },
    {
      source: `${TFR}/acme/big/aws`,
      version: '1.0.0',
      files: { 'main.tf': '# a\n', 'blob.txt': bigText('a') },
    },
  ]);
  bundleB = await bundleWith('b', '2026-02-01T00:00:00Z', [
    { source: `${TFR}/acme/net/aws`, version: '2.0.0', files: { 'main.tf': '# b\n' } },
    {
      source: `${TFR}/acme/big/aws`,
      version: '1.0.0',
      files: { 'main.tf': '# b\n', 'blob.txt': bigText('b') },
    },
  ]);
}, 120_000);

afterAll(async () => {
  await handle?.close();
});

it('serves the live generation: new requests see an import at once, a request in flight finishes on its file', async () => {
  const dest = path.join(work, 'dest');
  await runImport(importOptions(bundleA, dest), silent, { readBundle: readFixtureDirectory });
  handle = await startServe(
    {
      dir: dest,
      listen: parseListen('127.0.0.1:0'),
      tls: { selfSigned: true },
      outDir: path.join(work, 'out'),
      now: new Date(),
      logRequests: false,
      // No key: `airgap import` verified what the destination holds.
      verify: { trustedKeyFiles: [], insecureSkipSignature: false, tempDir: work },
    },
    silent,
  );
  expect(handle.kind).toBe('destination');
  expect(handle.verified).toBeUndefined();
  const port = Number(new URL(handle.url).port);
  const ca = await fs.readFile(handle.caCertPath!, 'utf8');
  const versions = async (): Promise<string> =>
    (await rawRequest({ port, ca }, 'GET', `/v1/modules/${TFR}/acme/net/aws/versions`)).body.toString();
  const bigA = await fs.readFile(path.join(bundleA, BIG));
  const bigB = await fs.readFile(path.join(bundleB, BIG));
  expect(bigA.equals(bigB)).toBe(false);

  expect(await versions()).toBe('{"modules":[{"versions":[{"version":"1.0.0"}]}]}\n');
  const inFlight = await startPaused(port, ca, BIG);

  await runImport(importOptions(bundleB, dest), silent, { readBundle: readFixtureDirectory });
  // Merged with what the earlier import brought; the replaced zip is B's for new requests.
  expect(await versions()).toBe('{"modules":[{"versions":[{"version":"1.0.0"},{"version":"2.0.0"}]}]}\n');
  const fresh = await rawRequest({ port, ca }, 'GET', BIG);
  expect(fresh.status).toBe(200);
  expect(fresh.body.equals(bigB)).toBe(true);
  expect(fresh.headers.etag).toBe(`"sha256:${crypto.createHash('sha256').update(bigB).digest('hex')}"`);

  const old = Buffer.concat([inFlight.first, await rest(inFlight.res)]);
  expect(inFlight.res.statusCode).toBe(200);
  expect(old.length).toBe(bigA.length);
  expect(old.equals(bigA)).toBe(true);
}, 120_000);

it('SIGTERM through the real executable: the request in flight finishes, new connections are refused, exit 0', async () => {
  const signed = await signBundleDir(bundleA, path.join(work, 'signer.pub.asc'));
  const s = await startServeProcess([
    bundleA,
    '--trusted-key',
    signed.trustedKeyFile,
    '--listen',
    '127.0.0.1:0',
    '--self-signed',
    '--out',
    path.join(work, 'out-cli'),
  ]);
  const ca = await fs.readFile(s.caCertPath, 'utf8');
  const bigA = await fs.readFile(path.join(bundleA, BIG));
  const inFlight = await startPaused(s.port, ca, BIG);
  s.child.kill('SIGTERM');
  await new Promise<void>((resolve) => {
    const check = (): void => {
      if (s.stderr().includes('SIGTERM: finishing the requests in flight')) resolve();
      else setTimeout(check, 20);
    };
    check();
  });
  await expect(rawRequest({ port: s.port, ca }, 'GET', BIG)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  const body = Buffer.concat([inFlight.first, await rest(inFlight.res)]);
  expect(body.equals(bigA)).toBe(true);
  expect(await s.stop()).toBe(0);
  expect(s.stdout()).toContain('Stopped.');
  expect(s.stderr()).toContain(`GET ${BIG} 200 ${bigA.length}`);
}, 120_000);
