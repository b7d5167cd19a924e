// Plan stage: the files mirror writes from the request rather than fetches: config/
// (tofurc, workflow.yml, Dockerfile) and lockfiles/ (the input lock files as copied or
// completed, and the lock file of the spec's providers). Each is computed as mirror
// would write it, with the same core functions, and compared with the bundle's copy.
// A lock file whose completion needs a package's h1: that only its download tells has
// an unknown text until then.

import { lockfileCopyNames } from '../../core/bundle/lockfile-names.js';
import { BUNDLE, PROVIDERS_LOCKFILE } from '../../core/layout/names.js';
import { formatLockFile } from '../../core/lockfile/index.js';
import type { LockTool } from '../../core/lockfile/model.js';
import { completeLockFile } from '../../core/mirror/lock-completion.js';
import { providerVersionKey, type LockfileInput } from '../../core/mirror/plan.js';
import {
  renderProvidersLockFile,
  type MirroredProviderVersion,
} from '../../core/mirror/providers-lockfile.js';
import type { ConfigRequest } from '../../core/mirror/request.js';
import type { ResolvedProvider } from '../../core/mirror/resolve-providers.js';
import { formatProviderAddress } from '../../core/provider/address.js';
import { formatPlatform } from '../../core/provider/platform.js';
import { plannedConfigs, type PlannedRelease, type PlanItem } from '../../core/plan/index.js';
import type { BundleState } from './bundle-state.js';
import type { PackagePlan } from './providers.js';

/** Why a lock file's size is unknown (short: the table's SOURCE column shows it). */
const AFTER_DOWNLOAD = 'after download';

/** One generated file: present when the bundle holds exactly `text`; unknown text is built. */
async function generatedItem(
  bundle: BundleState,
  kind: 'config' | 'lockfile',
  rel: string,
  text: string | undefined,
): Promise<PlanItem> {
  const base = { kind, subject: rel, path: rel };
  if (text === undefined) {
    return { ...base, size: null, sizeSource: null, action: 'build', note: AFTER_DOWNLOAD };
  }
  const present = (await bundle.text(rel)) === text;
  return {
    ...base,
    size: Buffer.byteLength(text),
    sizeSource: present ? 'bundle' : 'local',
    action: present ? 'present' : 'build',
  };
}

export async function planConfigItems(
  configs: ConfigRequest,
  releases: readonly PlannedRelease[],
  bundle: BundleState,
): Promise<PlanItem[]> {
  return Promise.all(
    plannedConfigs(configs, releases).map((c) => generatedItem(bundle, 'config', c.path, c.text)),
  );
}

export async function planLockfileItems(
  input: {
    inputs: readonly LockfileInput[];
    packages: readonly PackagePlan[];
    updateLockfiles: boolean;
    cwd: string;
    specProviders: readonly ResolvedProvider[];
    tool: LockTool;
  },
  bundle: BundleState,
): Promise<PlanItem[]> {
  // Every hash mirror will hold per provider version; a version with a hash not known yet is unknown.
  const hashes = new Map<string, string[]>();
  const unknown = new Set<string>();
  for (const p of input.packages) {
    if (p.item === undefined) continue;
    const k = providerVersionKey(p.job.key, p.job.version);
    if (p.h1 === undefined || p.zh === undefined) unknown.add(k);
    else hashes.set(k, [...(hashes.get(k) ?? []), p.h1, p.zh]);
  }

  const names = lockfileCopyNames(
    input.inputs.map((i) => ({ path: i.path, ...(i.dir === undefined ? {} : { dir: i.dir }) })),
    input.cwd,
    BUNDLE.lockfilesDir,
  );
  const items: PlanItem[] = [];
  for (const [n, lockInput] of input.inputs.entries()) {
    items.push(
      await generatedItem(
        bundle,
        'lockfile',
        names[n]!,
        copyText(lockInput, input.updateLockfiles, hashes, unknown),
      ),
    );
  }
  if (input.specProviders.length > 0) {
    items.push(
      await generatedItem(
        bundle,
        'lockfile',
        PROVIDERS_LOCKFILE,
        providersLockText(input.specProviders, input.packages, input.tool),
      ),
    );
  }
  // mirror replaces lockfiles/ with this run's copies: any other file there goes.
  const planned = new Set(items.map((i) => i.path));
  for (const rel of await bundle.list(BUNDLE.lockfilesDir)) {
    if (planned.has(rel)) continue;
    const size = (await bundle.size(rel)) ?? null;
    items.push({
      kind: 'lockfile',
      subject: rel,
      path: rel,
      size,
      sizeSource: size === null ? null : 'bundle',
      action: 'remove',
      note: 'no input lock file is copied there',
    });
  }
  return items;
}

/** The copy mirror puts in the bundle (src/services/mirror/lockfiles.ts, updateLockfiles). */
function copyText(
  input: LockfileInput,
  update: boolean,
  hashes: ReadonlyMap<string, readonly string[]>,
  unknown: ReadonlySet<string>,
): string | undefined {
  if (!update) return input.text;
  const versions = input.lock.providers.map((p) =>
    providerVersionKey(formatProviderAddress(p.address), p.version),
  );
  if (versions.some((v) => unknown.has(v))) return undefined;
  const { lock, changed } = completeLockFile(input.lock, hashes);
  const renormalised = input.lock.providers.some((p) => p.constraintsAsWritten !== undefined);
  return changed || renormalised ? formatLockFile(lock) : input.text;
}

/** The lock file of the spec's providers (src/services/mirror/stages/lockfiles.ts, specProviderVersions). */
function providersLockText(
  resolved: readonly ResolvedProvider[],
  packages: readonly PackagePlan[],
  tool: LockTool,
): string | undefined {
  const mirrored: MirroredProviderVersion[] = [];
  for (const r of resolved) {
    for (const v of r.versions) {
      const mine = packages.filter(
        (p) => p.item !== undefined && p.job.key === r.key && p.job.version === v.version,
      );
      const sums = mine.find((p) => p.signedSums !== undefined)?.signedSums;
      if (mine.length === 0 || sums === undefined) continue;
      if (mine.some((p) => p.h1 === undefined)) return undefined;
      mirrored.push({
        address: r.address,
        version: v.version,
        constraints: v.constraints.map((c) => c.value),
        packages: mine.map((p) => ({ platform: formatPlatform(p.job.platform), h1: p.h1! })),
        sha256sums: sums,
      });
    }
  }
  return renderProvidersLockFile(mirrored, tool);
}
