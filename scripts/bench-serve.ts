// `npm run bench`, section "serve": throughput of `airgap serve` for the provider zips
// against nginx (Debian's) serving the same directory over TLS with the same certificate,
// and airgap serve's RSS under that load: the primary and its worker processes together
// (VmRSS from /proc, summed over the processes, sampled during the load; the highest sum).
//
// The bundle: 8 providers x 2 platforms of incompressible packages (32 MB each at
// BENCH_SCALE=1), cached in .bench/serve-bundle. The load: CLIENTS curl processes at
// once, each fetching every zip, ROUNDS times per server, alternating airgap and nginx;
// the median of each is reported. airgap serve runs with its default --workers (one per
// available core) unless BENCH_SERVE_WORKERS says otherwise; the count is reported. nginx runs in the foreground as a child process with a
// config written to a temp directory, and is stopped by its PID.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { AIRGAP_BIN } from '../test/helpers/cli.js';
import { writeFixtureBundle } from '../test/helpers/import-fixtures.js';
import { signBundleDir } from '../test/helpers/signed-bundle.js';
import { REPO_ROOT } from '../test/helpers/realdata.js';
import { createSelfSignedCert } from '../test/helpers/tls.js';

const SCALE = Number(process.env.BENCH_SCALE ?? '1');
const CLIENTS = Number(process.env.BENCH_SERVE_CLIENTS ?? '8');
const ROUNDS = 3;
const BENCH_DIR = path.join(REPO_ROOT, '.bench');
const TYPES = ['aws', 'azurerm', 'google', 'kubernetes', 'helm', 'random', 'tls', 'vault'];
const PLATFORMS = ['linux_amd64', 'linux_arm64'];
const HOST = 'registry.airgap.test';

export interface ServeBench {
  /** MB/s (10^6 bytes) of each run, in order. */
  airgap: number[];
  nginx: number[];
  /**
   * CPU seconds per GB sent (all the server's processes, user + system) of each run: the
   * steadier signal on a shared machine, where wall-clock throughput moves with the load.
   */
  airgapCpuPerGb: number[];
  nginxCpuPerGb: number[];
  airgapMedian: number;
  nginxMedian: number;
  ratio: number;
  /** Highest sampled RSS of airgap serve (primary + workers, summed) over all its runs. */
  airgapPeakRssMb: number;
  /** At that sample: the primary's, then each worker's. */
  airgapRssPartsMb: number[];
  /** Worker processes airgap serve ran with (1: no workers, the primary serves). */
  airgapWorkers: number;
  totalBytes: number;
  nginxWorkers: string;
}

async function bundle(): Promise<{ dir: string; urls: string[]; bytes: number; trustedKey: string }> {
  const dir = path.join(BENCH_DIR, `serve-bundle-${SCALE}`);
  // Signed, as serve verifies a bundle directory at start; written last, so it marks a complete bundle.
  const done = path.join(dir, 'SHA256SUMS.sig');
  const trustedKey = path.join(BENCH_DIR, `serve-bundle-${SCALE}.pub.asc`);
  if (
    !(await fs.stat(done).then(
      () => true,
      () => false,
    ))
  ) {
    await fs.rm(dir, { recursive: true, force: true });
    await writeFixtureBundle(dir, {
      createdAt: '2026-01-01T00:00:00Z',
      providers: TYPES.map((type) => ({
        namespace: 'bench',
        type,
        version: '1.0.0',
        platforms: PLATFORMS,
        payloadSize: Math.round(32e6 * SCALE),
      })),
      packageCache: path.join(BENCH_DIR, 'serve-packages'),
    });
    await signBundleDir(dir, trustedKey);
  }
  const urls: string[] = [];
  let bytes = 0;
  for (const type of TYPES) {
    for (const p of PLATFORMS) {
      const rel = `providers/${HOST}/bench/${type}/terraform-provider-${type}_1.0.0_${p}.zip`;
      urls.push(rel);
      bytes += (await fs.stat(path.join(dir, rel))).size;
    }
  }
  return { dir, urls, bytes, trustedKey };
}

/** CLIENTS curls at once, each fetching every URL; MB/s over the wall time of all of them. */
async function load(base: string, ca: string, urls: string[], bytes: number): Promise<number> {
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CLIENTS }, (_, i) =>
      run('curl', [
        '-sS',
        '--fail',
        '--cacert',
        ca,
        ...rotate(urls, i).flatMap((u) => ['-o', '/dev/null', `${base}/${u}`]),
      ]),
    ),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return (bytes * CLIENTS) / 1e6 / seconds;
}

function rotate<T>(list: T[], by: number): T[] {
  const k = by % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}: ${err.slice(-500)}`)),
    );
  });
}

async function waitFor(read: () => string, pattern: RegExp, child: ChildProcess): Promise<RegExpExecArray> {
  for (;;) {
    const m = pattern.exec(read());
    if (m !== null) return m;
    if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${read()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('close', () => resolve());
    child.kill(signal);
  });
}

/** CPU seconds (user + system) `pid` and its children have used so far. */
async function treeCpuSeconds(pid: number): Promise<number> {
  const children = await fs.readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  let ticks = 0;
  for (const p of [String(pid), ...children.split(/\s+/).filter(Boolean)]) {
    const stat = await fs.readFile(`/proc/${p}/stat`, 'utf8').catch(() => '');
    // Fields after the command (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  }
  return ticks / 100; // USER_HZ
}

/** `load` and the CPU seconds the server's processes spent on it. */
async function measured(pid: number, run: () => Promise<number>): Promise<{ mbs: number; cpu: number }> {
  const before = await treeCpuSeconds(pid);
  const mbs = await run();
  return { mbs, cpu: (await treeCpuSeconds(pid)) - before };
}

/** RSS in MB of `pid` and of each of its children (the serve workers), by PID. */
async function treeRssMb(pid: number): Promise<Map<number, number>> {
  const children = await fs.readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  const rss = new Map<number, number>();
  for (const p of [String(pid), ...children.split(/\s+/).filter(Boolean)]) {
    const status = await fs.readFile(`/proc/${p}/status`, 'utf8').catch(() => '');
    rss.set(Number(p), Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024);
  }
  return rss;
}

interface RssPeak {
  /** The highest sum over the processes. */
  totalMb: number;
  /** The processes' RSS at that moment: the primary first. */
  partsMb: number[];
}

/** Runs `work` while sampling the tree's RSS every 100 ms; the sample with the highest sum. */
async function sampling<T>(pid: number, work: () => Promise<T>): Promise<{ value: T; peak: RssPeak }> {
  const peak: RssPeak = { totalMb: 0, partsMb: [] };
  let running = true;
  const sampler = (async () => {
    while (running) {
      const parts = [...(await treeRssMb(pid)).values()];
      const total = parts.reduce((a, b) => a + b, 0);
      if (total > peak.totalMb) Object.assign(peak, { totalMb: total, partsMb: parts });
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  try {
    return { value: await work(), peak };
  } finally {
    running = false;
    await sampler;
  }
}

async function startAirgap(
  dir: string,
  trustedKey: string,
  cert: { certPath: string; keyPath: string },
  work: string,
) {
  const child = spawn(
    process.execPath,
    [
      AIRGAP_BIN,
      'serve',
      dir,
      '--trusted-key',
      trustedKey,
      '--listen',
      '127.0.0.1:0',
      '--tls-cert',
      cert.certPath,
      '--tls-key',
      cert.keyPath,
      '--out',
      work,
      '--quiet',
      ...(process.env.BENCH_SERVE_WORKERS === undefined
        ? []
        : ['--workers', process.env.BENCH_SERVE_WORKERS]),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const m = await waitFor(() => out, /at (https:\/\/[^\s]+?)\/\n/, child);
  const w = await waitFor(() => out, /Worker processes: (\d+|none)/, child);
  return { child, base: m[1]!, workers: w[1] === 'none' ? 1 : Number(w[1]) };
}

async function startNginx(
  dir: string,
  cert: { certPath: string; keyPath: string },
  work: string,
  workers: string,
) {
  const prefix = path.join(work, 'nginx');
  await fs.mkdir(prefix, { recursive: true });
  const port = 20000 + (process.pid % 20000);
  const conf = path.join(prefix, 'nginx.conf');
  await fs.writeFile(
    conf,
    `worker_processes ${workers};
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  sendfile on;
  types { application/zip zip; application/json json; }
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${cert.certPath};
    ssl_certificate_key ${cert.keyPath};
    # nginx before 1.23.4 (Debian 12 has 1.22) offers TLS 1.2 at most by default; node offers
    # 1.3. Both then use AES-256-GCM, but the same protocol too keeps the comparison exact.
    ssl_protocols TLSv1.2 TLSv1.3;
    root ${dir};
  }
}
`,
  );
  const child = spawn('nginx', ['-p', prefix, '-c', conf, '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  // Ready once it answers.
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited ${child.exitCode}: ${err}`);
    try {
      await run('curl', [
        '-sS',
        '-o',
        '/dev/null',
        '--cacert',
        cert.certPath,
        `https://127.0.0.1:${port}/airgap.json`,
      ]);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { child, base: `https://127.0.0.1:${port}` };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function runServeBench(): Promise<ServeBench> {
  const work = await fs.mkdtemp(path.join(BENCH_DIR, 'serve-'));
  try {
    const { dir, urls, bytes, trustedKey } = await bundle();
    const cert = await createSelfSignedCert('airgap bench', ['IP:127.0.0.1'], work);
    const workers = process.env.BENCH_NGINX_WORKERS ?? 'auto';
    const airgap = await startAirgap(dir, trustedKey, cert, work);
    const nginx = await startNginx(dir, cert, work, workers);
    const a: number[] = [];
    const n: number[] = [];
    const aCpu: number[] = [];
    const nCpu: number[] = [];
    let rss: RssPeak = { totalMb: 0, partsMb: [] };
    try {
      // One warm-up each (page cache, TLS session setup), then alternating rounds.
      await load(airgap.base, cert.certPath, urls, bytes);
      await load(nginx.base, cert.certPath, urls, bytes);
      const gb = (bytes * CLIENTS) / 1e9;
      for (let i = 0; i < ROUNDS; i++) {
        const run = await sampling(airgap.child.pid!, () =>
          measured(airgap.child.pid!, () => load(airgap.base, cert.certPath, urls, bytes)),
        );
        a.push(run.value.mbs);
        aCpu.push(run.value.cpu / gb);
        if (run.peak.totalMb > rss.totalMb) rss = run.peak;
        const nr = await measured(nginx.child.pid!, () => load(nginx.base, cert.certPath, urls, bytes));
        n.push(nr.mbs);
        nCpu.push(nr.cpu / gb);
      }
    } finally {
      await stop(airgap.child, 'SIGTERM');
      await stop(nginx.child, 'SIGQUIT');
    }
    const am = median(a);
    const nm = median(n);
    return {
      airgap: a,
      nginx: n,
      airgapCpuPerGb: aCpu,
      nginxCpuPerGb: nCpu,
      airgapMedian: am,
      nginxMedian: nm,
      ratio: am / nm,
      airgapPeakRssMb: rss.totalMb,
      airgapRssPartsMb: rss.partsMb,
      airgapWorkers: airgap.workers,
      totalBytes: bytes * CLIENTS,
      nginxWorkers: workers,
    };
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

export function serveBenchReport(b: ServeBench): string {
  const fmt = (xs: number[]): string => xs.map((x) => x.toFixed(0)).join(', ');
  const cpu = (xs: number[]): string => xs.map((x) => x.toFixed(2)).join(', ');
  return [
    `serve: ${CLIENTS} curl clients at once, ${(b.totalBytes / 1e6).toFixed(0)} MB of provider zips per round over TLS (127.0.0.1)`,
    `  airgap serve (worker processes: ${b.airgapWorkers})  MB/s ${fmt(b.airgap)}  median ${b.airgapMedian.toFixed(0)}  peak RSS ${b.airgapPeakRssMb.toFixed(0)} MB (all its processes: ${b.airgapRssPartsMb.map((x) => x.toFixed(0)).join(' + ')})`,
    `  nginx (worker_processes ${b.nginxWorkers})  MB/s ${fmt(b.nginx)}  median ${b.nginxMedian.toFixed(0)}`,
    `  CPU s/GB (server processes, user+sys): airgap ${cpu(b.airgapCpuPerGb)}; nginx ${cpu(b.nginxCpuPerGb)}; ` +
      `median ratio nginx/airgap ${(median(b.nginxCpuPerGb) / median(b.airgapCpuPerGb)).toFixed(2)}`,
    `Targets (serve): >= 0.8x nginx: ${b.ratio.toFixed(2)}x; RSS < 250 MB: ${b.airgapPeakRssMb.toFixed(0)} MB`,
  ].join('\n');
}
