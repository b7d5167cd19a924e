// The verify part of `npm run bench` (unthrottled mode, each corpus shape): `airgap verify`
// of the bundle directory just mirrored (every file's sha256 against airgap.json, and every
// provider zip inflated for its h1) against `sha256sum` of the same files, alternating,
// median of three. Printed under the mode's rows; not part of the table.

import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../test/helpers/realdata.js';
import type { S3Measure, Timed } from './bench-s3.js';

const execFileP = promisify(execFile);

type Measure = S3Measure;

const REPEATS = 3;

export async function runVerifyBench(bundleDir: string, timed: Timed): Promise<void> {
  const cli = path.join(REPO_ROOT, 'bin/run.js');
  const samples: Record<string, Measure[]> = {
    'airgap verify (directory)': [],
    'sha256sum (same files)': [],
  };
  for (let i = 0; i < REPEATS; i++) {
    await execFileP('sync');
    samples['airgap verify (directory)']!.push(await timed(process.execPath, [cli, 'verify', bundleDir]));
    await execFileP('sync');
    samples['sha256sum (same files)']!.push(
      await timed('sh', ['-c', `find ${path.resolve(bundleDir)} -type f -print0 | xargs -0 sha256sum`]),
    );
  }
  const median: Record<string, Measure> = {};
  for (const [name, list] of Object.entries(samples)) {
    const sorted = [...list].sort((a, b) => a.wallSeconds - b.wallSeconds);
    median[name] = sorted[Math.floor(sorted.length / 2)]!;
    console.log(
      `  ${name.padEnd(28)} ${list.map((m) => m.wallSeconds.toFixed(2)).join(' / ')} s  ` +
        `(median ${median[name].wallSeconds.toFixed(2)} s, CPU ${median[name].cpuSeconds?.toFixed(2) ?? '?'} s, ` +
        `peak RSS ${median[name].peakRssMb.toFixed(0)} MB)`,
    );
  }
  const ours = median['airgap verify (directory)']!;
  const floor = median['sha256sum (same files)']!;
  console.log(
    `  verify (directory) / sha256sum: wall ${(ours.wallSeconds / floor.wallSeconds).toFixed(2)}x, ` +
      `CPU ${((ours.cpuSeconds ?? NaN) / (floor.cpuSeconds ?? NaN)).toFixed(2)}x`,
  );
}
