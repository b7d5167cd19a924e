// `npm run bench`: speed and memory of `airgap mirror` against the real peers, in one run.
//
// The test registry serves ~12 providers x 2 platforms of incompressible 20-60 MB
// packages (~1 GB), first unthrottled, then shaped like the internet (latency before
// each response, a per-connection throughput cap, as a CDN gives one client
// connection). For each it measures:
//   - airgap mirror, cold (empty output) and warm (re-run, nothing new);
//   - terraform providers mirror of the same set;
//   - the floor: every package fetched in parallel with curl, then sha256sum over them.
// On the unthrottled bundle it also measures export, import and verify (against tar -cf
// and sha256sum -c) and the runner image build (against tar -cf of the providers).
// Wall time and peak RSS come from GNU time.
//
// Two corpus shapes, each measured against terraform and the floor in the same run:
//   - release: packages shaped like real provider releases (deflated executables, sizes in
//     local headers), made from the real binaries on this machine (terraform, skopeo,
//     docker-registry, umoci), distinct per package. Built once into the OS temp dir
//     (airgap-bench-corpus-<scale>), reused by later runs at the same BENCH_SCALE.
//   - stored: the fast test shape (incompressible, stored), cached in .bench/. The transfer
//     and image rows run on this bundle.
//
// Section "serve" (scripts/bench-serve.ts): `airgap serve` throughput for the zips against
// nginx over TLS, and its RSS under that load.
// With mode s3 (scripts/bench-s3.ts): export to and import from S3 (s3rver) against
// `aws s3 cp` of the same tarball each way.
//
// Env: BENCH_SCALE (default 1; 0.25 gives a ~250 MB quick run), BENCH_MODES
// (unthrottled,shaped,serve,s3; BENCH_MODES=s3 alone mirrors the bundle once, then runs the S3 part),
// BENCH_SHAPES (release,stored).

import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { writeBaseImageLayout } from '../test/helpers/base-image.js';
import { runServeBench, serveBenchReport } from './bench-serve.js';
import { runS3Bench } from './bench-s3.js';
import { runVerifyBench } from './bench-verify.js';
import { generateSigningKey } from '../test/helpers/pgp.js';
import { REPO_ROOT } from '../test/helpers/realdata.js';
import { startReleaseServer } from '../test/helpers/release-server/index.js';
import {
  FILES_PATH,
  startTestRegistry,
  type TestProviderSpec,
  type TestRegistry,
} from '../test/helpers/registry/index.js';
import { BENCH_PLATFORMS, BENCH_TYPES } from './bench-providers.js';

const execFileP = promisify(execFile);
const HOST = 'registry.airgap.test';
const PLATFORMS = BENCH_PLATFORMS;
const SCALE = Number(process.env.BENCH_SCALE ?? '1');
const MODES = (process.env.BENCH_MODES ?? 'unthrottled,shaped,serve,s3,delta').split(',');
const SHAPES = (process.env.BENCH_SHAPES ?? 'release,stored').split(',') as Shape[];
const BENCH_DIR = path.join(REPO_ROOT, '.bench');
/**
 * The release-shaped corpus: outside the repository, kept between runs. One per scale: two
 * scales share file names with different contents, and a run serving one scale's files
 * while another run rebuilt them at its own scale failed (correctly) on sha256 mismatches.
 */
const CORPUS_DIR = path.join(os.tmpdir(), `airgap-bench-corpus-${SCALE}`);
/** Real Go executables the release-shaped payloads are made of. */
const RELEASE_SOURCES = [
  '/usr/local/bin/terraform',
  '/usr/bin/skopeo',
  '/usr/bin/docker-registry',
  '/usr/bin/umoci',
];

type Shape = 'release' | 'stored';
const TYPES = BENCH_TYPES;

interface Measure {
  wallSeconds: number;
  peakRssMb: number;
  /** User + system CPU seconds: less at the mercy of a busy machine than the wall time. */
  cpuSeconds?: number;
}

function specs(shape: Shape = 'stored'): TestProviderSpec[] {
  return TYPES.map((type, i) => ({
    namespace: 'bench',
    type,
    versions: ['1.0.0'],
    platforms: PLATFORMS,
    // 20..60 MB, spread deterministically.
    payloadSize: Math.round((20 + ((i * 17) % 41)) * 1e6 * SCALE),
    // Release-shaped zips are written as goreleaser's Go archive/zip writes provider zips:
    // deflated entries closed by signed 32-bit data descriptors.
    ...(shape === 'release'
      ? {
          shape: 'release' as const,
          payloadFiles: RELEASE_SOURCES,
          dataDescriptor: { signature: true, zip64: false },
        }
      : {}),
  }));
}

function packagesDir(shape: Shape): string {
  return shape === 'release' ? CORPUS_DIR : path.join(BENCH_DIR, 'packages');
}

async function timed(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string | undefined> } = {},
): Promise<Measure> {
  const tfile = path.join(BENCH_DIR, `time-${process.pid}.txt`);
  await new Promise<void>((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', '%e %M %U %S', '-o', tfile, cmd, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${err.slice(-2000)}`)),
    );
  });
  const [wall, rssKb, user, sys] = (await fs.readFile(tfile, 'utf8'))
    .trim()
    .split(/\s+/)
    .slice(-4)
    .map(Number);
  return {
    wallSeconds: wall ?? NaN,
    peakRssMb: (rssKb ?? NaN) / 1024,
    cpuSeconds: (user ?? NaN) + (sys ?? NaN),
  };
}

async function setupWorkspace(): Promise<{ dir: string; lockfile: string }> {
  const dir = path.join(BENCH_DIR, 'stack');
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(dir, { recursive: true });
  const req = TYPES.map(
    (t) => `    ${t} = {\n      source  = "${HOST}/bench/${t}"\n      version = "1.0.0"\n    }\n`,
  ).join('');
  await fs.writeFile(path.join(dir, 'main.tf'), `terraform {\n  required_providers {\n${req}  }\n}\n`);
  const blocks = TYPES.map((t) => `provider "${HOST}/bench/${t}" {\n  version = "1.0.0"\n}\n`).join('\n');
  const lockfile = path.join(dir, '.terraform.lock.hcl');
  await fs.writeFile(
    lockfile,
    `# This file is maintained automatically by "tofu init".\n# Manual edits may be lost in future updates.\n\n${blocks}`,
  );
  return { dir, lockfile };
}

async function runMode(
  mode: string,
  shape: Shape,
  lockfile: string,
  stackDir: string,
): Promise<Record<string, Measure>> {
  const shaping = mode === 'shaped' ? { latencyMs: 100, bytesPerSecondPerConnection: 20e6 } : undefined;
  const built = Date.now();
  const registry: TestRegistry = await startTestRegistry({
    providers: specs(shape),
    workDir: packagesDir(shape),
    ...(shaping ? { shaping } : {}),
  });
  try {
    const totalMb = registry.packages.reduce((a, p) => a + p.size, 0) / 1e6;
    const insideMb = specs(shape).reduce((a, s) => a + (s.payloadSize ?? 0) * s.platforms.length, 0) / 1e6;
    console.log(
      `\n[${mode}, ${shape}] ${registry.packages.length} packages, ${totalMb.toFixed(0)} MB of zips, ${insideMb.toFixed(0)} MB inside` +
        `${shaping ? ', 100 ms latency, 20 MB/s per connection' : ''} (corpus ready in ${((Date.now() - built) / 1000).toFixed(1)} s)`,
    );
    const cfg = path.join(BENCH_DIR, 'registry.tfrc');
    await fs.writeFile(cfg, registry.cliConfigText());
    const env = { TF_CLI_CONFIG_FILE: cfg, SSL_CERT_FILE: registry.caCertPath, CHECKPOINT_DISABLE: '1' };
    const out = path.join(BENCH_DIR, 'out-airgap');
    const tfOut = path.join(BENCH_DIR, 'out-terraform');
    const floorOut = path.join(BENCH_DIR, 'out-floor');
    const results: Record<string, Measure> = {};
    const airgap = (extra: string[] = []): Promise<Measure> =>
      timed(
        process.execPath,
        [
          path.join(REPO_ROOT, 'bin/run.js'),
          'mirror',
          '--lockfile',
          lockfile,
          '--out',
          out,
          ...PLATFORMS.flatMap((p) => ['--platform', p]),
          ...extra,
        ],
        { env },
      );

    await fs.rm(out, { recursive: true, force: true });
    results['airgap cold'] = await airgap();
    console.log(`  airgap cold (concurrency 8)   ${results['airgap cold'].wallSeconds.toFixed(2)} s`);
    results['airgap warm'] = await airgap();
    console.log(`  airgap warm                   ${results['airgap warm'].wallSeconds.toFixed(2)} s`);
    await fs.rm(out, { recursive: true, force: true });
    results['airgap cold c24'] = await airgap(['--concurrency', '24']);
    console.log(`  airgap cold (concurrency 24)  ${results['airgap cold c24'].wallSeconds.toFixed(2)} s`);

    if (mode === 'unthrottled') await runVerifyBench(out, timed);
    if (mode === 'unthrottled' && shape === 'stored') {
      Object.assign(results, await runTransfer(out));
      Object.assign(results, await runImage(out, airgap));
    }

    await fs.rm(tfOut, { recursive: true, force: true });
    results['terraform providers mirror'] = await timed(
      'terraform',
      ['providers', 'mirror', ...PLATFORMS.map((p) => `-platform=${p}`), tfOut],
      { cwd: stackDir, env },
    );
    console.log(
      `  terraform providers mirror    ${results['terraform providers mirror'].wallSeconds.toFixed(2)} s`,
    );

    await fs.rm(floorOut, { recursive: true, force: true });
    await fs.mkdir(floorOut, { recursive: true });
    const urls = registry.packages.map(
      (p) => `${registry.url}${FILES_PATH}${p.namespace}/${p.type}/${p.version}/${p.filename}`,
    );
    const script =
      `cd ${floorOut} && printf '%s\\n' ${urls.map((u) => `'${u}'`).join(' ')} | ` +
      `xargs -P ${urls.length} -n 1 curl -sSf --cacert ${registry.caCertPath} -O && sha256sum *.zip > SUMS`;
    results.floor = await timed('sh', ['-c', script]);
    console.log(`  floor (curl -P${urls.length} + sha256sum) ${results.floor.wallSeconds.toFixed(2)} s`);
    return results;
  } finally {
    await registry.close();
  }
}

// Transfer side, on the bundle just mirrored (~1 GB): export against `tar -cf` of the same
// tree, and import (which verifies every file while streaming) and verify against
// `sha256sum -c` of the same tree. Reported in their own table rows with their own floors.
async function runTransfer(bundleDir: string): Promise<Record<string, Measure>> {
  const r: Record<string, Measure> = {};
  const key = await generateSigningKey({ name: 'bench' });
  const keyDir = path.join(BENCH_DIR, 'keys');
  await fs.mkdir(keyDir, { recursive: true });
  await fs.writeFile(path.join(keyDir, 'sign.asc'), key.privateKeyArmored);
  await fs.writeFile(path.join(keyDir, 'trust.asc'), key.publicKeyArmored);
  // npm pack's fixed cost (seconds, independent of bundle size) is not what this measures:
  // pack once, outside the timed runs, and hand the result to export.
  const { stdout: packed } = await execFileP('npm', ['pack', '--silent', '--pack-destination', keyDir], {
    cwd: REPO_ROOT,
  });
  const toolTgz = path.join(keyDir, packed.trim().split('\n').at(-1)!);
  const tarball = path.join(BENCH_DIR, 'bundle.tar');
  const floorTar = path.join(BENCH_DIR, 'floor.tar');
  const dest = path.join(BENCH_DIR, 'imported');
  const extracted = path.join(BENCH_DIR, 'extracted');
  const cli = path.join(REPO_ROOT, 'bin/run.js');
  const trust = path.join(keyDir, 'trust.asc');
  // Disk writeback from the previous step skews whichever run comes next: flush before
  // every run, alternate ours and the floor, and report the median of three.
  const sync = (): Promise<unknown> => execFileP('sync');
  const samples: Record<string, Measure[]> = {};
  const add = (name: string, m: Measure): void => {
    (samples[name] ??= []).push(m);
  };
  for (let i = 0; i < TRANSFER_REPEATS; i++) {
    await fs.rm(tarball, { force: true });
    await fs.rm(floorTar, { force: true });
    await sync();
    add(
      'airgap export',
      await timed(process.execPath, [
        cli,
        'export',
        bundleDir,
        '--tarball',
        tarball,
        '--sign-key',
        path.join(keyDir, 'sign.asc'),
        '--tool-package',
        toolTgz,
      ]),
    );
    await sync();
    add('tar -cf (export floor)', await timed('tar', ['-cf', floorTar, '-C', bundleDir, '.']));
    await fs.rm(dest, { recursive: true, force: true });
    await sync();
    add(
      'airgap import',
      await timed(process.execPath, [cli, 'import', tarball, '--dest', dest, '--trusted-key', trust]),
    );
    await sync();
    add(
      'airgap verify (tarball)',
      await timed(process.execPath, [cli, 'verify', tarball, '--trusted-key', trust]),
    );
    await fs.rm(extracted, { recursive: true, force: true });
    await fs.mkdir(extracted);
    await execFileP('tar', ['-xf', tarball, '-C', extracted]);
    await sync();
    add(
      'sha256sum -c (import floor)',
      await timed('sh', ['-c', `cd ${extracted} && sha256sum --quiet -c SHA256SUMS`]),
    );
  }
  for (const [name, list] of Object.entries(samples)) {
    const sorted = [...list].sort((a, b) => a.wallSeconds - b.wallSeconds);
    r[name] = sorted[Math.floor(sorted.length / 2)]!;
    console.log(
      `  ${name.padEnd(30)} ${list.map((m) => m.wallSeconds.toFixed(2)).join(' / ')} s  (median ${r[name].wallSeconds.toFixed(2)})`,
    );
  }
  await fs.rm(extracted, { recursive: true, force: true });
  await fs.rm(dest, { recursive: true, force: true });
  await fs.rm(tarball, { force: true });
  await fs.rm(floorTar, { force: true });
  return r;
}

const TRANSFER_REPEATS = 3;

/** The S3 rows: on the unthrottled bundle when that mode ran, else on one mirrored here. */
async function runS3Mode(lockfile: string): Promise<Record<string, Measure>> {
  const out = path.join(BENCH_DIR, 'out-airgap');
  const registry = await startTestRegistry({ providers: specs(), workDir: path.join(BENCH_DIR, 'packages') });
  try {
    const cfg = path.join(BENCH_DIR, 'registry.tfrc');
    await fs.writeFile(cfg, registry.cliConfigText());
    await execFileP(
      process.execPath,
      [
        path.join(REPO_ROOT, 'bin/run.js'),
        'mirror',
        '--lockfile',
        lockfile,
        '--out',
        out,
        ...PLATFORMS.flatMap((p) => ['--platform', p]),
      ],
      {
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          TF_CLI_CONFIG_FILE: cfg,
          SSL_CERT_FILE: registry.caCertPath,
        },
      },
    );
  } finally {
    await registry.close();
  }
  const key = await generateSigningKey({ name: 'bench' });
  const keyDir = path.join(BENCH_DIR, 'keys');
  await fs.mkdir(keyDir, { recursive: true });
  await fs.writeFile(path.join(keyDir, 'sign.asc'), key.privateKeyArmored);
  await fs.writeFile(path.join(keyDir, 'trust.asc'), key.publicKeyArmored);
  const { stdout: packed } = await execFileP('npm', ['pack', '--silent', '--pack-destination', keyDir], {
    cwd: REPO_ROOT,
  });
  return runS3Bench(
    out,
    BENCH_DIR,
    path.join(REPO_ROOT, 'bin/run.js'),
    {
      sign: path.join(keyDir, 'sign.asc'),
      trust: path.join(keyDir, 'trust.asc'),
      toolTgz: path.join(keyDir, packed.trim().split('\n').at(-1)!),
    },
    timed,
  );
}

// The runner image over the same ~1 GB bundle: `mirror --image` once (adds tofu and the
// image), then the image build alone (scripts/bench-image-build.mjs, no network) against
// `tar -cf` of the providers it packs, alternating, median of three.
async function runImage(
  bundleDir: string,
  airgap: (extra: string[]) => Promise<Measure>,
): Promise<Record<string, Measure>> {
  const releases = await startReleaseServer({ tofu: { versions: ['1.8.5'], platforms: PLATFORMS } });
  try {
    const base = await writeBaseImageLayout(path.join(BENCH_DIR, 'base-image'));
    const extra = [...releases.mirrorArgs('tofu', '1.8.5'), '--image', '--base-image', base.reference];
    const first = await airgap(extra);
    console.log(`  airgap mirror --image (warm providers, first image) ${first.wallSeconds.toFixed(2)} s`);
    const floorTar = path.join(BENCH_DIR, 'floor-image.tar');
    const samples: Record<string, Measure[]> = {};
    const add = (name: string, m: Measure): void => {
      (samples[name] ??= []).push(m);
    };
    for (let i = 0; i < TRANSFER_REPEATS; i++) {
      // A fresh build, as tar -cf makes a fresh file (a re-build in place finds its blobs).
      await fs.rm(path.join(bundleDir, 'image'), { recursive: true, force: true });
      await execFileP('sync');
      add(
        'airgap image build',
        await timed(process.execPath, [
          path.join(REPO_ROOT, 'scripts/bench-image-build.mjs'),
          bundleDir,
          base.reference,
        ]),
      );
      await fs.rm(floorTar, { force: true });
      await execFileP('sync');
      add(
        'tar -cf providers (image floor)',
        await timed('tar', ['-cf', floorTar, '-C', bundleDir, 'providers']),
      );
    }
    await fs.rm(floorTar, { force: true });
    // A re-run over the image the last sample left: its layers are kept (same inputs).
    await execFileP('sync');
    const warm = await timed(process.execPath, [
      path.join(REPO_ROOT, 'scripts/bench-image-build.mjs'),
      bundleDir,
      base.reference,
    ]);
    console.log(`  airgap image build (warm)       ${warm.wallSeconds.toFixed(2)} s`);
    const r: Record<string, Measure> = { 'airgap image build (warm)': warm };
    for (const [name, list] of Object.entries(samples)) {
      const sorted = [...list].sort((a, b) => a.wallSeconds - b.wallSeconds);
      r[name] = sorted[Math.floor(sorted.length / 2)]!;
      console.log(
        `  ${name.padEnd(30)} ${list.map((m) => m.wallSeconds.toFixed(2)).join(' / ')} s  (median ${r[name].wallSeconds.toFixed(2)})`,
      );
    }
    return r;
  } finally {
    await releases.close();
  }
}

const TRANSFER_ROWS = new Set([
  'airgap export',
  'tar -cf (export floor)',
  'airgap import',
  'airgap verify (tarball)',
  'sha256sum -c (import floor)',
  'airgap image build',
  'airgap image build (warm)',
  'tar -cf providers (image floor)',
]);

function table(all: Record<string, Record<string, Measure>>): string {
  const rows = [['mode/corpus', 'run', 'wall s', 'cpu s', 'peak RSS MB', 'vs terraform', 'vs floor']];
  for (const [mode, r] of Object.entries(all)) {
    const tf = r['terraform providers mirror']!.wallSeconds;
    const floor = r.floor!.wallSeconds;
    for (const [name, m] of Object.entries(r)) {
      rows.push([
        mode,
        name,
        m.wallSeconds.toFixed(2),
        m.cpuSeconds?.toFixed(2) ?? '-',
        m.peakRssMb.toFixed(0),
        TRANSFER_ROWS.has(name) ? '-' : `${(m.wallSeconds / tf).toFixed(2)}x`,
        TRANSFER_ROWS.has(name) ? '-' : `${(m.wallSeconds / floor).toFixed(2)}x`,
      ]);
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ')).join('\n');
}

async function main(): Promise<void> {
  for (const tool of ['terraform', 'curl', 'sha256sum', '/usr/bin/time']) {
    try {
      await execFileP('sh', ['-c', `command -v ${tool}`]);
    } catch {
      throw new Error(`bench needs ${tool} (apt-get install -y curl coreutils time; terraform on PATH)`);
    }
  }
  await fs.mkdir(BENCH_DIR, { recursive: true });
  const { dir, lockfile } = await setupWorkspace();
  const all: Record<string, Record<string, Measure>> = {};
  for (const mode of MODES.filter((m) => m !== 'serve' && m !== 's3')) {
    for (const shape of SHAPES) {
      if (shape === 'release') {
        for (const f of RELEASE_SOURCES) {
          await fs.access(f).catch(() => {
            throw new Error(
              `the release-shaped corpus is made of ${RELEASE_SOURCES.join(', ')}: ${f} is missing`,
            );
          });
        }
      }
      all[`${mode}/${shape}`] = await runMode(mode, shape, lockfile, dir);
    }
  }
  if (Object.keys(all).length > 0) console.log(`\n${table(all)}`);
  if (MODES.includes('serve')) {
    for (const tool of ['nginx', 'curl']) {
      await execFileP('sh', ['-c', `command -v ${tool}`]).catch(() => {
        throw new Error(`bench serve needs ${tool} (apt-get install -y nginx curl)`);
      });
    }
    console.log(`\n${serveBenchReport(await runServeBench())}`);
  }
  if (MODES.includes('s3')) await runS3Mode(lockfile);
  if (MODES.includes('delta')) console.log(await (await import('./bench-delta.js')).deltaReport());
  const un = all['unthrottled/stored'];
  if (un?.['airgap export']) {
    const ratio = (a: string, b: string): string => (un[a]!.wallSeconds / un[b]!.wallSeconds).toFixed(2);
    console.log(
      `\nTargets (transfer): export <= 1.3x tar -cf: ${ratio('airgap export', 'tar -cf (export floor)')}x; ` +
        `import <= 1.5x sha256sum -c: ${ratio('airgap import', 'sha256sum -c (import floor)')}x ` +
        `(verify: ${ratio('airgap verify (tarball)', 'sha256sum -c (import floor)')}x); ` +
        `peak RSS < 250 MB: ${Math.max(...['airgap export', 'airgap import', 'airgap verify (tarball)'].map((k) => un[k]!.peakRssMb)).toFixed(0)} MB`,
    );
  }
  if (un?.['airgap image build']) {
    const image = un['airgap image build'];
    console.log(
      `\nTargets (image): build <= 1.3x tar -cf: ${(image.wallSeconds / un['tar -cf providers (image floor)']!.wallSeconds).toFixed(2)}x; ` +
        `peak RSS < 250 MB: ${image.peakRssMb.toFixed(0)} MB; warm re-run ${un['airgap image build (warm)']!.wallSeconds.toFixed(2)} s`,
    );
  }
  const unRelease = all['unthrottled/release'];
  const shapedRelease = all['shaped/release'];
  if (unRelease || shapedRelease) {
    const parts: string[] = [];
    const rss: number[] = [];
    if (unRelease) {
      const cold = unRelease['airgap cold']!.wallSeconds;
      parts.push(
        `unthrottled cold <= 0.5x terraform: ${(cold / unRelease['terraform providers mirror']!.wallSeconds).toFixed(2)}x, ` +
          `<= 2x floor: ${(cold / unRelease.floor!.wallSeconds).toFixed(2)}x; warm < 2 s: ${unRelease['airgap warm']!.wallSeconds.toFixed(2)} s`,
      );
      rss.push(...['airgap cold', 'airgap warm', 'airgap cold c24'].map((k) => unRelease[k]!.peakRssMb));
    }
    if (shapedRelease) {
      parts.push(
        `shaped cold <= 1.15x floor: ${(shapedRelease['airgap cold']!.wallSeconds / shapedRelease.floor!.wallSeconds).toFixed(2)}x; ` +
          `warm < 2 s: ${shapedRelease['airgap warm']!.wallSeconds.toFixed(2)} s`,
      );
      rss.push(...['airgap cold', 'airgap warm', 'airgap cold c24'].map((k) => shapedRelease[k]!.peakRssMb));
    }
    console.log(
      `\nTargets (release-shaped corpus): ${parts.join('; ')}; peak RSS < 150 MB: ${Math.max(...rss).toFixed(0)} MB`,
    );
  }
  const shaped = all['shaped/stored'];
  if (shaped) {
    const cold = shaped['airgap cold']!;
    console.log(
      `\nTargets (shaped): cold >= 3x faster than terraform: ${(shaped['terraform providers mirror']!.wallSeconds / cold.wallSeconds).toFixed(2)}x; ` +
        `cold within 1.5x of floor: ${(cold.wallSeconds / shaped.floor!.wallSeconds).toFixed(2)}x; warm < 2 s: ${shaped['airgap warm']!.wallSeconds.toFixed(2)} s; ` +
        `peak RSS < 250 MB: ${Math.max(...['airgap cold', 'airgap warm', 'airgap cold c24'].map((k) => shaped[k]!.peakRssMb)).toFixed(0)} MB`,
    );
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
