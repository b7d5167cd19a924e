// `airgap serve` through the executable, when it cannot start: each failure names the
// thing, says what was expected, and exits 2 before anything is served or written.

import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { writeFixtureBundle } from '../../helpers/import-fixtures.js';
import { makeTempDir } from '../../helpers/tmp.js';

let work: string;
let bundle: string;
let busy: net.Server;
let busyPort: number;

beforeAll(async () => {
  work = await makeTempDir();
  bundle = path.join(work, 'bundle');
  await writeFixtureBundle(bundle, {
    createdAt: '2026-01-01T00:00:00Z',
    providers: [{ namespace: 'hashicorp', type: 'null', version: '3.2.1', platforms: ['linux_amd64'] }],
    packageCache: path.join(work, 'cache'),
  });
  busy = net.createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  busyPort = (busy.address() as net.AddressInfo).port;
}, 60_000);

afterAll(async () => {
  await new Promise((resolve) => busy?.close(resolve));
});

async function serve(args: string[]): Promise<{ code: number | null; stderr: string; out: string[] }> {
  const out = path.join(work, `out-${Math.random().toString(16).slice(2)}`);
  const r = await runCli(['serve', ...args, '--out', out]);
  const written = await fs.readdir(out).catch(() => []);
  return { code: r.code, stderr: r.stderr, out: written };
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
    () => [bundle, '--self-signed', '--listen', `127.0.0.1:${busyPort}`],
    /cannot listen on 127\.0\.0\.1:\d+: the port is in use/,
  ],
  [
    'every address without --url',
    () => [bundle, '--self-signed', '--listen', '0.0.0.0:0'],
    /names no address runners can use/,
  ],
  [
    'a bad --listen',
    () => [bundle, '--self-signed', '--listen', 'localhost'],
    /--listen "localhost" is not ADDR:PORT/,
  ],
  [
    'a bad --url',
    () => [bundle, '--self-signed', '--listen', '127.0.0.1:0', '--url', 'http://x'],
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
  const r = await serve([bundle, '--listen', '127.0.0.1:0', '--tls-cert', cert, '--tls-key', cert]);
  expect(r.stderr).toContain('cannot start the HTTPS server on 127.0.0.1:0');
  expect(r.stderr).toContain('Hint: check --tls-cert and --tls-key');
  expect(r.code).toBe(2);
  expect(r.out).toEqual([]);
});
