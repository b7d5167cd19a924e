// Stage: the input lock files completed (--update-lockfiles) and copied into
// BUNDLE/lockfiles, each under a short, machine-independent name.

import { lockfileCopyNames } from '../../../core/bundle/lockfile-names.js';
import type { ManifestLockfile } from '../../../core/bundle/manifest.js';
import { BUNDLE } from '../../../core/layout/names.js';
import type { LockfileInput } from '../../../core/mirror/plan.js';
import type { Reporter } from '../../../core/ports.js';
import { writeLockfileCopies } from '../bundle-writer.js';
import { updateLockfiles, type LockfileReport } from '../lockfiles.js';
import type { JobOutcome } from '../provider-packages.js';

export async function writeLockfiles(
  input: {
    outDir: string;
    inputs: LockfileInput[];
    outcomes: JobOutcome[];
    updateLockfiles: boolean;
    /** Relative lock-file paths are named relative to this. */
    cwd: string;
  },
  reporter: Reporter,
): Promise<{ reports: LockfileReport[]; entries: ManifestLockfile[] }> {
  const updates = await updateLockfiles(input.inputs, input.outcomes, reporter, input.updateLockfiles);
  const names = lockfileCopyNames(
    input.inputs.map((i) => ({ path: i.path, ...(i.dir === undefined ? {} : { dir: i.dir }) })),
    input.cwd,
    BUNDLE.lockfilesDir,
  );
  const entries = await writeLockfileCopies(
    input.outDir,
    updates.map((u, i) => ({ source: u.report.path, name: names[i]!, text: u.text, complete: u.complete })),
  );
  return { reports: updates.map((u) => u.report), entries };
}
