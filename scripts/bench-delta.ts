// The delta part of `npm run bench` (BENCH_MODES=delta, or with the default modes): a
// routine update packed as a delta (issue 14 §3). v1 carries ~12 providers x 2 platforms
// (~1 GB at BENCH_SCALE=1, as the mirror bench) and a tofu release; v2 bumps one provider
// version (both platforms) and the tofu release. It prints the delta tarball's size
// against the bytes of the changed files (the files of v2 whose sha256 v1 lacks) plus
// 64 KiB: target <= 1.05x. Both tarballs are packed with the same tool archive
// (tool/airgap-VERSION.tgz), which the delta so leaves to its base like any unchanged file;
// the report says whether the delta carried it.
// It also times the delta's export and its import over v1 (min/median/max of 3 runs).

import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { manifestFiles, parseManifest } from '../src/core/bundle/manifest.js';
import { writeFixtureBundle, type FixtureProvider } from '../test/helpers/import-fixtures.js';
import { generateSigningKey } from '../test/helpers/pgp.js';
import { REPO_ROOT } from '../test/helpers/realdata.js';
import { BENCH_PLATFORMS, BENCH_TYPES } from './bench-providers.js';

const execFileP = promisify(execFile);
const PLATFORMS = BENCH_PLATFORMS;
const TYPES = BENCH_TYPES;
const SLACK = 64 * 1024;
const RUNS = 3;

function providers(scale: number, bumped: boolean): FixtureProvider[] {
  return TYPES.map((type, i) => ({
    namespace: 'bench',
    type,
    // The routine update: `aws` moves to its next version on both platforms.
    version: bumped && type === 'aws' ? '1.1.0' : '1.0.0',
    platforms: PLATFORMS,
    payloadSize: Math.round((20 + ((i * 17) % 41)) * 1e6 * scale),
  }));
}

async function seconds(run: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await run();
  return (performance.now() - t0) / 1000;
}

function spread(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  return `min ${s[0]!.toFixed(2)} s, median ${s[Math.floor(s.length / 2)]!.toFixed(2)} s, max ${s.at(-1)!.toFixed(2)} s`;
}

/** The report, for scripts/bench.ts: in .bench/ at BENCH_SCALE, as the other sections. */
export async function deltaReport(): Promise<string> {
  return `\n${await runDeltaBench(path.join(REPO_ROOT, '.bench'), Number(process.env.BENCH_SCALE ?? '1'))}`;
}

export async function runDeltaBench(benchDir: string, scale: number): Promise<string> {
  const dir = path.join(benchDir, 'delta');
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(dir, { recursive: true });
  const cache = path.join(benchDir, 'delta-cache');
  const cli = path.join(REPO_ROOT, 'bin/run.js');
  const key = await generateSigningKey({ name: 'bench delta' });
  const sign = path.join(dir, 'sign.asc');
  const trust = path.join(dir, 'trust.asc');
  await fs.writeFile(sign, key.privateKeyArmored);
  await fs.writeFile(trust, key.publicKeyArmored);
  const { stdout: packed } = await execFileP('npm', ['pack', '--silent', '--pack-destination', dir], {
    cwd: REPO_ROOT,
  });
  const tool = path.join(dir, packed.trim().split('\n').at(-1)!);
  const v1 = path.join(dir, 'v1');
  const v2 = path.join(dir, 'v2');
  const tofu = (version: string) => [{ tool: 'tofu' as const, version, platforms: PLATFORMS }];
  await writeFixtureBundle(v1, {
    createdAt: '2026-01-01T00:00:00Z',
    packageCache: cache,
    providers: providers(scale, false),
    releases: tofu('1.8.5'),
  });
  await writeFixtureBundle(v2, {
    createdAt: '2026-02-01T00:00:00Z',
    packageCache: cache,
    providers: providers(scale, true),
    releases: tofu('1.8.6'),
  });
  const env = { ...process.env, SOURCE_DATE_EPOCH: '1764000000' };
  const exportArgs = (bundle: string, out: string, ...more: string[]) => [
    cli,
    'export',
    bundle,
    '--tarball',
    out,
    '--sign-key',
    sign,
    '--tool-package',
    tool,
    ...more,
  ];
  const v1Tar = path.join(dir, 'v1.tar');
  const deltaTar = path.join(dir, 'delta.tar');
  await execFileP(process.execPath, exportArgs(v1, v1Tar), { env });
  const exportTimes: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    await fs.rm(deltaTar, { force: true });
    exportTimes.push(
      await seconds(() =>
        execFileP(process.execPath, exportArgs(v2, deltaTar, '--base', v1Tar, '--trusted-key', trust), {
          env,
        }),
      ),
    );
  }

  // The changed files: those of v2's complete state whose sha256 v1 lacks.
  const read = async (d: string) => parseManifest(await fs.readFile(path.join(d, 'airgap.json'), 'utf8'), d);
  const before = new Set(manifestFiles(await read(v1)).map((f) => f.sha256));
  const changed = manifestFiles(await read(v2)).filter((f) => !before.has(f.sha256));
  const changedBytes = changed.reduce((n, f) => n + f.size, 0);
  const toolBytes = (await fs.stat(tool)).size;
  const deltaBytes = (await fs.stat(deltaTar)).size;
  const fullBytes = (await fs.stat(v1Tar)).size;

  const dest = path.join(dir, 'dest');
  const importArgs = (t: string) => [
    cli,
    'import',
    t,
    '--dest',
    dest,
    '--trusted-key',
    trust,
    '--platform',
    'linux_amd64',
  ];
  const importTimes: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    await fs.rm(dest, { recursive: true, force: true });
    await execFileP(process.execPath, importArgs(v1Tar));
    await execFileP('sync');
    importTimes.push(await seconds(() => execFileP(process.execPath, importArgs(deltaTar))));
  }

  const { stdout: members } = await execFileP('tar', ['-tf', deltaTar], { maxBuffer: 64 << 20 });
  const toolCarried = members.split('\n').some((m) => m.startsWith('tool/') && m.endsWith('.tgz'));
  const ratio = deltaBytes / (changedBytes + SLACK);
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
  return [
    `[delta] v1 tarball ${mb(fullBytes)}; v2 = one provider bumped on ${PLATFORMS.length} platforms + tofu 1.8.5 -> 1.8.6`,
    `  changed files: ${changed.length}, ${changedBytes} bytes; tool archive: ${toolBytes} bytes, ${toolCarried ? 'carried by the delta' : 'left to the base (same sha256)'}`,
    `  delta tarball: ${deltaBytes} bytes (${((100 * deltaBytes) / fullBytes).toFixed(1)}% of the full tarball)`,
    `  export --base: ${spread(exportTimes)}; import of the delta over v1: ${spread(importTimes)}`,
    `Targets (delta): size <= 1.05x (changed + 64 KiB): ${ratio.toFixed(3)}x (${deltaBytes} / ${changedBytes + SLACK} bytes)`,
  ].join('\n');
}
