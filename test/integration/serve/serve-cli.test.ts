// `airgap serve` through the executable, when it cannot start: each failure names the
// thing, says what was expected, and exits 2 (1 for a bundle directory that fails
// verification) before anything is served or written.

import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { FIXTURE_HOST, sha256Hex, writeFixtureBundle } from '../../helpers/import-fixtures.js';
import { generateSigningKey } from '../../helpers/pgp.js';
import { signBundleDir } from '../../helpers/signed-bundle.js';
import { makeTempDir } from '../../helpers/tmp.js';

let work: string;
let bundle: string;
let busy: net.Server;
let busyPort: number;
let key: string;
const ZIP = `providers/${FIXTURE_HOST}/hashicorp/null/terraform-provider-null_3.2.1_linux_amd64.zip`;

beforeAll(async () => {
  work = await makeTempDir();
  bundle = path.join(work, 'bundle');
  await writeFixtureBundle(bundle, {
    createdAt: '2026-01-01T00:00:00Z',
    providers: [{ namespace: 'hashicorp', type: 'null', version: '3.2.1', platforms: ['linux_amd64'] }],
    packageCache: path.join(work, 'cache'),
  });
  key = (await signBundleDir(bundle, path.join(work, 'signer.pub.asc'))).trustedKeyFile;
  busy = net.createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  busyPort = (busy.address() as net.AddressInfo).port;
}, 60_000);

afterAll(async () => {
  await new Promise((resolve) => busy?.close(resolve));
});

async function serve(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string; out: string[] }> {
  const out = path.join(work, `out-${Math.random().toString(16).slice(2)}`);
  const r = await runCli(['serve', ...args, '--out', out]);
  const written = await fs.readdir(out).catch(() => []);
  return { code: r.code, stdout: r.stdout, stderr: r.stderr, out: written };
}

it.each([
  [
    'a missing DIR',
    () => [path.join(work, 'nope'), '--self-signed', '--listen', '127.0.0.1:0'],
    /Error: .*nope does not exist/,
  ],
  [
    'a DIR that is neither a bundle nor an import destination',
    () => [work, '--self-signed', '--listen', '127.0.0.1:0'],
    /has neither airgap\.json \(a bundle directory\) nor a live import generation/,
  ],
  [
    'no certificate',
    () => [bundle, '--listen', '127.0.0.1:0'],
    /serve needs a certificate: --tls-cert and --tls-key, or --self-signed/,
  ],
  [
    'a port in use',
    () => [bundle, '--self-signed', '--listen', `127.0.0.1:${busyPort}`, '--trusted-key', key],
    /cannot listen on 127\.0\.0\.1:\d+: the port is in use/,
  ],
  [
    'every address without --url',
    () => [bundle, '--self-signed', '--listen', '0.0.0.0:0', '--trusted-key', key],
    /names no address runners can use/,
  ],
  [
    'a bad --listen',
    () => [bundle, '--self-signed', '--listen', 'localhost', '--trusted-key', key],
    /--listen "localhost" is not ADDR:PORT/,
  ],
  [
    'a bad --url',
    () => [bundle, '--self-signed', '--listen', '127.0.0.1:0', '--url', 'http://x', '--trusted-key', key],
    /--url "http:\/\/x" is not https:\/\/HOST\[:PORT\]/,
  ],
])('%s: exit 2, named', async (_name, args, message) => {
  const r = await serve(args());
  expect(r.stderr).toMatch(message);
  expect(r.code).toBe(2);
});

it('a certificate that is not one: exit 2 naming the flags, nothing written', async () => {
  const cert = path.join(work, 'cert.pem');
  await fs.writeFile(cert, 'not a certificate\n');
  const r = await serve([
    bundle,
    '--trusted-key',
    key,
    '--listen',
    '127.0.0.1:0',
    '--tls-cert',
    cert,
    '--tls-key',
    cert,
  ]);
  expect(r.stderr).toContain('cannot start the HTTPS server on 127.0.0.1:0');
  expect(r.stderr).toContain('Hint: check --tls-cert and --tls-key');
  expect(r.code).toBe(2);
  expect(r.out).toEqual([]);
});

/** A free port on 127.0.0.1, closed again: serve is told to listen there. */
async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A copy of the signed bundle with one byte of the provider zip changed (same size). */
async function tamperedCopy(name: string): Promise<{ dir: string; was: string; is: string }> {
  const dir = path.join(work, name);
  await fs.cp(bundle, dir, { recursive: true });
  const zip = path.join(dir, ZIP);
  const bytes = await fs.readFile(zip);
  const was = sha256Hex(bytes);
  bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
  await fs.writeFile(zip, bytes);
  return { dir, was, is: sha256Hex(bytes) };
}

it('a tampered zip in a bundle directory: exit 1 naming the file, never listens, nothing written', async () => {
  const { dir, was, is } = await tamperedCopy('tampered');
  const port = await freePort();
  const r = await serve([dir, '--trusted-key', key, '--self-signed', '--listen', `127.0.0.1:${port}`]);
  expect(r.stderr).toContain(`Error: ${dir}: ${ZIP} has sha256 ${is}, but SHA256SUMS lists ${was}\n`);
  expect(r.stderr).toContain(
    'Hint: the bundle directory is damaged or was altered after it was signed: do not serve it',
  );
  expect(r.code).toBe(1);
  expect(r.stdout).not.toContain('Serving');
  expect(r.out).toEqual([]);
  expect(await connects(port)).toBe(false);
});

it('--insecure-skip-signature skips only the signature: the tampered zip is still refused, exit 1', async () => {
  const { dir, was, is } = await tamperedCopy('tampered-insecure');
  const r = await serve([dir, '--insecure-skip-signature', '--self-signed', '--listen', '127.0.0.1:0']);
  expect(r.stderr).toContain(`--insecure-skip-signature: the signature of ${dir} is NOT checked`);
  expect(r.stderr).toContain(`Error: ${dir}: ${ZIP} has sha256 ${is}, but SHA256SUMS lists ${was}\n`);
  expect(r.code).toBe(1);
  expect(r.stdout).not.toContain('Serving');
  expect(r.out).toEqual([]);
});

it('a key that did not sign the bundle: exit 1, SHA256SUMS named, nothing written', async () => {
  const other = path.join(work, 'other.pub.asc');
  const someoneElse = await generateSigningKey({ name: 'someone else' });
  await fs.writeFile(other, someoneElse.publicKeyArmored);
  const r = await serve([bundle, '--trusted-key', other, '--self-signed', '--listen', '127.0.0.1:0']);
  expect(r.stderr).toContain(`Error: signature of ${bundle}: SHA256SUMS: signature was made by key `);
  expect(r.stderr).toContain(`which is not a trusted key or subkey (trusted: ${someoneElse.fingerprint}`);
  expect(r.stderr).toContain('Hint: nothing a --trusted-key vouches for signed this bundle: do not serve it');
  expect(r.code).toBe(1);
  expect(r.out).toEqual([]);
});

it('no --trusted-key and no --insecure-skip-signature: exit 2 naming both, nothing written', async () => {
  const r = await serve([bundle, '--self-signed', '--listen', '127.0.0.1:0']);
  expect(r.stderr).toContain(
    `Error: no --trusted-key given to check the bundle directory ${bundle}: pass the public key that signed the bundle (--trusted-key FILE), or --insecure-skip-signature`,
  );
  expect(r.code).toBe(2);
  expect(r.out).toEqual([]);
});

it('an unpacked bundle directory (no SHA256SUMS) with --trusted-key: exit 1, nothing vouches for it', async () => {
  const dir = path.join(work, 'unpacked');
  await fs.cp(bundle, dir, { recursive: true });
  await fs.rm(path.join(dir, 'SHA256SUMS'));
  await fs.rm(path.join(dir, 'SHA256SUMS.sig'));
  const r = await serve([dir, '--trusted-key', key, '--self-signed', '--listen', '127.0.0.1:0']);
  expect(r.stderr).toContain('an unpacked bundle directory (no SHA256SUMS, no signature)');
  expect(r.stderr).toContain(
    'or pass --insecure-skip-signature to serve it checked against airgap.json only',
  );
  expect(r.code).toBe(1);
  expect(r.out).toEqual([]);
});
