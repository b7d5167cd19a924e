// `airgap serve --workers 2` through the real executable: two worker processes share the
// port. Many concurrent requests (each on its own connection, so both workers answer)
// all get their exact bytes and one whole log line each; after `airgap import` switches
// generations, every worker serves the new one; SIGTERM drains both workers (each with a
// request in flight), refuses new connections, and every process exits. A start that
// fails in the workers (the port in use) exits 2 and leaves no worker behind.

import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runImport, type ImportOptions } from '../../../src/services/import/import-service.js';
import { runCli } from '../../helpers/cli.js';
import { thisProcess } from '../../helpers/host.js';
import { rawRequest, rest, startPaused } from '../../helpers/https-get.js';
import { readFixtureDirectory, writeFixtureBundle } from '../../helpers/import-fixtures.js';
import { addModulesToBundle } from '../../helpers/module-bundle.js';
import { startServeProcess, type ServeProcess } from '../../helpers/serve-process.js';
import { makeTempDir } from '../../helpers/tmp.js';

const TFR = 'registry.terraform.io';
const BIG = `/modules/${TFR}/acme/big/aws/1.0.0.zip`;
const VERSIONS = `/v1/modules/${TFR}/acme/net/aws/versions`;
const LOG_LINE = /^127\.0\.0\.1 GET (\S+) (\d{3}) (\d+)$/;
let work: string;
let bundleA: string;
let bundleB: string;
const running: ServeProcess[] = [];

/** Incompressible, deterministic: far more than socket buffers hold, so a paused response stays in flight. */
function bigText(seed: string): string {
  const key = crypto.createHash('sha256').update(seed).digest();
  const stream = crypto.createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return stream.update(Buffer.alloc(8 << 20)).toString('base64');
}

async function bundleWith(name: string, createdAt: string, version: string, seed: string): Promise<string> {
  const dir = path.join(work, name);
  await writeFixtureBundle(dir, {
    createdAt,
    providers: [{ namespace: 'hashicorp', type: 'null', version: '3.2.1', platforms: ['linux_amd64'] }],
    packageCache: path.join(work, 'cache'),
  });
  await addModulesToBundle(dir, [
    { source: `${TFR}/acme/net/aws`, version, files: { 'main.tf': `# ${seed}\n` } },
    {
      source: `${TFR}/acme/big/aws`,
      version: '1.0.0',
      files: { 'main.tf': `# ${seed}\n`, 'blob.txt': bigText(seed) },
    },
  ]);
  return dir;
}

function importInto(source: string, dest: string): Promise<unknown> {
  const options: ImportOptions = {
    source,
    dest,
    trustedKeyFiles: [],
    insecureSkipSignature: true,
    allowDowngrade: false,
    host: thisProcess(),
    platform: 'linux_amd64',
  };
  return runImport(
    options,
    { info: () => undefined, warn: () => undefined },
    { readBundle: readFixtureDirectory },
  );
}

/** The PIDs of a process's children (its serve workers), from `ps`. */
async function childPids(pid: number): Promise<number[]> {
  const { stdout } = await promisify(execFile)('ps', ['-o', 'pid=', '--ppid', String(pid)]).catch(
    (e: { stdout?: string; code?: number }) => {
      // ps exits 1 when it lists nothing.
      if (e.code === 1) return { stdout: e.stdout ?? '' };
      throw e;
    },
  );
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map(Number)
    .sort((a, b) => a - b);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The request log lines on stderr (anything else there is a warning or the SIGTERM line). */
function logLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('127.0.0.1 '));
}

async function serveWorkers(dir: string, out: string): Promise<ServeProcess> {
  const s = await startServeProcess([
    dir,
    '--listen',
    '127.0.0.1:0',
    '--self-signed',
    '--workers',
    '2',
    '--out',
    out,
  ]);
  running.push(s);
  return s;
}

beforeAll(async () => {
  work = await makeTempDir();
  bundleA = await bundleWith('a', '2026-01-01T00:00:00Z', '1.0.0', 'a');
  bundleB = await bundleWith('b', '2026-02-01T00:00:00Z', '2.0.0', 'b');
}, 120_000);

afterAll(async () => {
  for (const s of running) await s.stop();
});

it('two workers: 24 concurrent requests all get their exact bytes and one whole log line; an import is seen by both', async () => {
  const dest = path.join(work, 'dest-1');
  await importInto(bundleA, dest);
  const s = await serveWorkers(dest, path.join(work, 'out-1'));
  expect(s.stdout()).toContain('Worker processes: 2\n');
  expect((await childPids(s.child.pid!)).length).toBe(2);
  const ca = await fs.readFile(s.caCertPath, 'utf8');
  const bigA = await fs.readFile(path.join(bundleA, BIG));
  const bigB = await fs.readFile(path.join(bundleB, BIG));
  const etagA = `"sha256:${crypto.createHash('sha256').update(bigA).digest('hex')}"`;
  const etagB = `"sha256:${crypto.createHash('sha256').update(bigB).digest('hex')}"`;

  const answers = await Promise.all(
    Array.from({ length: 24 }, (_, i) =>
      rawRequest({ port: s.port, ca }, 'GET', i % 2 === 0 ? BIG : VERSIONS),
    ),
  );
  answers.forEach((a, i) => {
    expect(a.status).toBe(200);
    if (i % 2 === 0) {
      expect(a.body.equals(bigA)).toBe(true);
      expect(a.headers.etag).toBe(etagA);
    } else expect(a.body.toString()).toBe('{"modules":[{"versions":[{"version":"1.0.0"}]}]}\n');
  });

  await importInto(bundleB, dest);
  // Each on its own connection: the workers take connections in turn, so both answer.
  const after = await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      rawRequest({ port: s.port, ca }, 'GET', i % 2 === 0 ? BIG : VERSIONS),
    ),
  );
  after.forEach((a, i) => {
    expect(a.status).toBe(200);
    if (i % 2 === 0) {
      expect(a.body.equals(bigB)).toBe(true);
      expect(a.headers.etag).toBe(etagB);
    } else
      expect(a.body.toString()).toBe(
        '{"modules":[{"versions":[{"version":"1.0.0"},{"version":"2.0.0"}]}]}\n',
      );
  });

  expect(await s.stop()).toBe(0);
  const lines = logLines(s.stderr());
  expect(lines.length).toBe(32);
  for (const line of lines) {
    const m = LOG_LINE.exec(line);
    expect(m, line).not.toBeNull();
    const [, target, status, bytes] = m!;
    expect(status).toBe('200');
    if (target === BIG) expect([String(bigA.length), String(bigB.length)]).toContain(bytes);
    else expect(target).toBe(VERSIONS);
  }
  expect(lines.filter((l) => l.endsWith(`${BIG} 200 ${bigA.length}`)).length).toBe(12);
  expect(lines.filter((l) => l.endsWith(`${BIG} 200 ${bigB.length}`)).length).toBe(4);
}, 180_000);

it('SIGTERM drains both workers: both requests in flight finish with exact bytes, new connections are refused, every process exits 0', async () => {
  const dest = path.join(work, 'dest-2');
  await importInto(bundleA, dest);
  const s = await serveWorkers(dest, path.join(work, 'out-2'));
  const workers = await childPids(s.child.pid!);
  expect(workers.length).toBe(2);
  const ca = await fs.readFile(s.caCertPath, 'utf8');
  const bigA = await fs.readFile(path.join(bundleA, BIG));
  // Two connections: one to each worker.
  const inFlight = [await startPaused(s.port, ca, BIG), await startPaused(s.port, ca, BIG)];
  s.child.kill('SIGTERM');
  for (;;) {
    if (s.stderr().includes('SIGTERM: finishing the requests in flight')) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  await expect(rawRequest({ port: s.port, ca }, 'GET', BIG)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  for (const f of inFlight) {
    const body = Buffer.concat([f.first, await rest(f.res)]);
    expect(f.res.statusCode).toBe(200);
    expect(body.equals(bigA)).toBe(true);
  }
  expect(await s.stop()).toBe(0);
  expect(s.stdout()).toContain('Stopped.');
  expect(logLines(s.stderr())).toEqual([
    `127.0.0.1 GET ${BIG} 200 ${bigA.length}`,
    `127.0.0.1 GET ${BIG} 200 ${bigA.length}`,
  ]);
  expect(workers.filter(alive)).toEqual([]);
}, 180_000);

it('a port in use with --workers 2: exit 2 naming the address, nothing served, no worker left', async () => {
  const busy = net.createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  try {
    const port = (busy.address() as net.AddressInfo).port;
    const dest = path.join(work, 'dest-3');
    await importInto(bundleA, dest);
    const r = await runCli([
      'serve',
      dest,
      '--self-signed',
      '--listen',
      `127.0.0.1:${port}`,
      '--workers',
      '2',
      '--out',
      path.join(work, 'out-3'),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot listen on 127\.0\.0\.1:\d+: the port is in use/);
    expect(r.stdout).not.toContain('Serving');
  } finally {
    await new Promise((resolve) => busy.close(resolve));
  }
  const r0 = await runCli(['serve', bundleA, '--self-signed', '--workers', '0']);
  expect(r0.code).toBe(2);
  expect(r0.stderr).toMatch(/--workers/);
}, 120_000);
