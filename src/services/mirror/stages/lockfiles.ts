// Stage: the input lock files completed (--update-lockfiles) and copied into
// BUNDLE/lockfiles, each under a short, machine-independent name.

import { lockfileCopyNames } from '../../../core/bundle/lockfile-names.js';
import type { ManifestLockfile } from '../../../core/bundle/manifest.js';
import { AirgapError } from '../../../core/errors.js';
import { BUNDLE, PROVIDERS_LOCKFILE } from '../../../core/layout/names.js';
import type { LockTool } from '../../../core/lockfile/model.js';
import {
  renderProvidersLockFile,
  type MirroredProviderVersion,
} from '../../../core/mirror/providers-lockfile.js';
import type { ResolvedProvider } from '../../../core/mirror/resolve-providers.js';
import type { LockfileInput } from '../../../core/mirror/plan.js';
import type { Reporter } from '../../../core/ports.js';
import { writeLockfileCopies } from '../bundle-writer.js';
import { updateLockfiles, type LockfileReport } from '../lockfiles.js';
import type { JobOutcome } from '../provider-packages.js';

/** What the run verified of each version the spec's providers resolved to. */
function specProviderVersions(
  resolved: readonly ResolvedProvider[],
  outcomes: readonly JobOutcome[],
): MirroredProviderVersion[] {
  const out: MirroredProviderVersion[] = [];
  for (const r of resolved) {
    for (const v of r.versions) {
      const mine = outcomes.filter(
        (o) => o.pkg !== undefined && o.job.key === r.key && o.job.version === v.version,
      );
      const sums = mine.find((o) => o.signedSums !== undefined)?.signedSums;
      if (mine.length === 0 || sums === undefined) continue; // every platform skipped
      out.push({
        address: r.address,
        version: v.version,
        constraints: v.constraints.map((c) => c.value),
        packages: mine.map((o) => ({ platform: o.pkg!.platform, h1: o.pkg!.h1 })),
        sha256sums: sums,
      });
    }
  }
  return out;
}

export async function writeLockfiles(
  input: {
    outDir: string;
    inputs: LockfileInput[];
    outcomes: JobOutcome[];
    updateLockfiles: boolean;
    /** Relative lock-file paths are named relative to this. */
    cwd: string;
    /** The spec's providers as resolved: their lock file is written too. */
    specProviders: readonly ResolvedProvider[];
    /** Whose `init` header the written lock file carries. */
    tool: LockTool;
  },
  reporter: Reporter,
): Promise<{ reports: LockfileReport[]; entries: ManifestLockfile[] }> {
  const updates = await updateLockfiles(input.inputs, input.outcomes, reporter, input.updateLockfiles);
  const names = lockfileCopyNames(
    input.inputs.map((i) => ({ path: i.path, ...(i.dir === undefined ? {} : { dir: i.dir }) })),
    input.cwd,
    BUNDLE.lockfilesDir,
  );
  const copies = updates.map((u, i) => ({
    source: u.report.path,
    name: names[i]!,
    text: u.text,
    complete: u.complete,
  }));
  const clash = copies.find((c) => c.name === PROVIDERS_LOCKFILE);
  if (clash !== undefined) {
    throw new AirgapError(
      'USAGE',
      `the lock file ${clash.source} would be copied to ${PROVIDERS_LOCKFILE}, the name of the lock file airgap writes for the spec's providers`,
      { path: clash.source, expected: 'a lock file named .terraform.lock.hcl', actual: clash.source },
      'rename the lock file to .terraform.lock.hcl (the name tofu and terraform use)',
    );
  }
  if (input.specProviders.length > 0) {
    copies.push({
      source: 'providers',
      name: PROVIDERS_LOCKFILE,
      text: renderProvidersLockFile(specProviderVersions(input.specProviders, input.outcomes), input.tool),
      complete: true,
    });
  }
  const entries = await writeLockfileCopies(input.outDir, copies);
  return { reports: updates.map((u) => u.report), entries };
}
