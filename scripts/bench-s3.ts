// The S3 part of `npm run bench` (BENCH_MODES=s3, or with the default modes): on a
// bundle directory, `airgap export --tarball s3://...` against `aws s3 cp` of the same
// tarball up, and `airgap import s3://...` (and verify) against `aws s3 cp` of it down,
// all to the same s3rver on 127.0.0.1 (the server is the same bottleneck for both).
// The uploads run twice each in ABBA order (airgap, aws, aws, airgap) and are reported
// as the mean of the two, so the order does not favour either side.
// Reports wall time, the ratios and peak RSS. Targets: no slower than aws s3 cp, peak
// RSS under 250 MB.

import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { AWS_CLI, startS3Server } from '../test/helpers/s3-server.js';

const execFileP = promisify(execFile);

export interface S3Measure {
  wallSeconds: number;
  peakRssMb: number;
  /** user + sys of the command: on a shared two-core machine, steadier than the wall time. */
  cpuSeconds?: number;
}

export type Timed = (
  cmd: string,
  args: string[],
  options?: { cwd?: string; env?: Record<string, string | undefined> },
) => Promise<S3Measure>;

/** The mean wall and CPU time of `runs`, and their highest peak RSS. */
function meanOf(runs: S3Measure[]): S3Measure {
  const mean = (f: (m: S3Measure) => number): number => runs.reduce((a, m) => a + f(m), 0) / runs.length;
  const cpu = runs.every((m) => m.cpuSeconds !== undefined) ? mean((m) => m.cpuSeconds!) : undefined;
  return {
    wallSeconds: mean((m) => m.wallSeconds),
    peakRssMb: Math.max(...runs.map((m) => m.peakRssMb)),
    ...(cpu === undefined ? {} : { cpuSeconds: cpu }),
  };
}

export async function runS3Bench(
  bundleDir: string,
  benchDir: string,
  cliPath: string,
  keys: { sign: string; trust: string; toolTgz: string },
  timed: Timed,
): Promise<Record<string, S3Measure>> {
  const dir = path.join(benchDir, 's3');
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(dir, { recursive: true });
  const s3 = await startS3Server({ dir });
  const r: Record<string, S3Measure> = {};
  try {
    await s3.createBucket('bench');
    const env = { ...s3.env };
    const endpoint = ['--s3-endpoint', s3.endpoint, '--s3-path-style'];
    const awsArgs = ['--endpoint-url', s3.endpoint];
    const local = path.join(dir, 'local.tar');
    await execFileP(process.execPath, [
      cliPath,
      'export',
      bundleDir,
      '--tarball',
      local,
      '--sign-key',
      keys.sign,
      '--tool-package',
      keys.toolTgz,
    ]);
    const size = (await fs.stat(local)).size;
    console.log(`\n[s3] tarball ${(size / 1e6).toFixed(0)} MB, s3rver on ${s3.endpoint}`);
    const sync = (): Promise<unknown> => execFileP('sync');

    // Upload order, ABBA: airgap, aws, aws, airgap against the same server, and each
    // row is the mean of its two runs, so neither side is always the one that finds
    // the server fresh (an empty bucket, a cold s3rver) or warmed by the other's upload.
    const exportArgs = [
      cliPath,
      'export',
      bundleDir,
      '--tarball',
      's3://bench/ours.tar',
      '--sign-key',
      keys.sign,
      '--tool-package',
      keys.toolTgz,
      ...endpoint,
    ];
    const upRuns: Record<'ours' | 'aws', S3Measure[]> = { ours: [], aws: [] };
    for (const side of ['ours', 'aws', 'aws', 'ours'] as const) {
      await sync();
      upRuns[side].push(
        side === 'ours'
          ? await timed(process.execPath, exportArgs, { env })
          : await timed(AWS_CLI, [...awsArgs, 's3', 'cp', local, 's3://bench/theirs.tar'], {
              env: { ...env, HOME: dir },
            }),
      );
    }
    for (const [side, runs] of Object.entries(upRuns)) {
      console.log(
        `  ${side === 'ours' ? 'airgap export s3' : 'aws s3 cp up'} runs (ABBA order): ${runs.map((m) => `${m.wallSeconds.toFixed(2)} s / CPU ${m.cpuSeconds?.toFixed(2) ?? '?'} s`).join(', ')}`,
      );
    }
    r['airgap export s3'] = meanOf(upRuns.ours);
    r['aws s3 cp up'] = meanOf(upRuns.aws);
    const dest = path.join(dir, 'imported');
    await sync();
    r['airgap import s3'] = await timed(
      process.execPath,
      [cliPath, 'import', 's3://bench/ours.tar', '--dest', dest, '--trusted-key', keys.trust, ...endpoint],
      { env },
    );
    await sync();
    r['airgap verify s3'] = await timed(
      process.execPath,
      [cliPath, 'verify', 's3://bench/ours.tar', '--trusted-key', keys.trust, ...endpoint],
      { env },
    );
    await sync();
    r['aws s3 cp down'] = await timed(
      AWS_CLI,
      [...awsArgs, 's3', 'cp', 's3://bench/theirs.tar', path.join(dir, 'down.tar')],
      {
        env: { ...env, HOME: dir },
      },
    );
    for (const [name, m] of Object.entries(r)) {
      console.log(
        `  ${name.padEnd(20)} ${m.wallSeconds.toFixed(2)} s  CPU ${m.cpuSeconds?.toFixed(2) ?? '?'} s  peak RSS ${m.peakRssMb.toFixed(0)} MB`,
      );
    }
    const ratio = (a: string, b: string): string => (r[a]!.wallSeconds / r[b]!.wallSeconds).toFixed(2);
    console.log(
      `\nTargets (s3; uploads: means of ABBA runs): export <= 1x aws s3 cp up: ${ratio('airgap export s3', 'aws s3 cp up')}x; ` +
        `import <= 1x aws s3 cp down: ${ratio('airgap import s3', 'aws s3 cp down')}x ` +
        `(verify ${ratio('airgap verify s3', 'aws s3 cp down')}x); ` +
        `peak RSS < 250 MB: ${Math.max(...['airgap export s3', 'airgap import s3', 'airgap verify s3'].map((k) => r[k]!.peakRssMb)).toFixed(0)} MB`,
    );
    return r;
  } finally {
    await s3.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
}
