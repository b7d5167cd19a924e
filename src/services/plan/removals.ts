// Plan stage: what mirror's prune would delete (src/services/mirror/stages/prune.ts):
// the files of providers/, tofu/, terraform/, config/ and modules/ that the run would neither keep
// nor write, decided by the same planPrune, with its report lines. Removed provider
// zips, release zips and configs are items too, sized from the bundle.

import { BUNDLE, providerIndexPath, providerVersionJsonPath } from '../../core/layout/names.js';
import { planPrune, PRUNED_AREAS } from '../../core/mirror/prune.js';
import type { PlanItem } from '../../core/plan/index.js';
import type { BundleState } from './bundle-state.js';
import type { PackagePlan } from './providers.js';

const PROVIDER_ZIP = /^terraform-provider-.+_([^_]+)_([a-z0-9]+_[a-z0-9]+)\.zip$/;
const RELEASE_ZIP = /^(tofu|terraform)_(.+)_([a-z0-9]+_[a-z0-9]+)\.zip$/;

export async function planRemovals(
  kept: {
    packages: readonly PackagePlan[];
    /** Release files (zips, SHA256SUMS, signatures), bundle-relative. */
    releaseFiles: readonly string[];
    /** Generated configs, bundle-relative. */
    configs: readonly string[];
    /** Module zips mirror would keep or write, bundle-relative. */
    modules: readonly string[];
  },
  bundle: BundleState,
): Promise<{ items: PlanItem[]; lines: string[]; files: string[] }> {
  const keep = new Set<string>([...kept.releaseFiles, ...kept.configs, ...kept.modules]);
  for (const p of kept.packages) {
    if (p.item?.path === undefined || p.item.path === null) continue;
    keep.add(p.item.path);
    keep.add(`${BUNDLE.providersDir}/${providerVersionJsonPath(p.job.address, p.job.version)}`);
    keep.add(`${BUNDLE.providersDir}/${providerIndexPath(p.job.address)}`);
  }
  const found: string[] = [];
  for (const area of PRUNED_AREAS) found.push(...(await bundle.list(area)));
  const plan = planPrune(found, keep);

  const items: PlanItem[] = [];
  for (const rel of plan.remove) {
    const parts = rel.split('/');
    const name = parts[parts.length - 1]!;
    let item: Pick<PlanItem, 'kind' | 'subject'> | undefined;
    const zip = PROVIDER_ZIP.exec(name);
    const release = RELEASE_ZIP.exec(name);
    if (parts[0] === BUNDLE.providersDir && parts.length === 5 && zip !== null) {
      item = { kind: 'provider', subject: `${parts.slice(1, 4).join('/')} ${zip[1]!} ${zip[2]!}` };
    } else if ((parts[0] === BUNDLE.tofuDir || parts[0] === BUNDLE.terraformDir) && release !== null) {
      item = { kind: 'binary', subject: `${release[1]!} ${release[2]!} ${release[3]!}` };
    } else if (parts[0] === BUNDLE.modulesDir && parts.length === 6 && name.endsWith('.zip')) {
      item = { kind: 'module', subject: `${parts.slice(1, 5).join('/')} ${name.slice(0, -4)}` };
    } else if (parts[0] === BUNDLE.configDir) {
      item = { kind: 'config', subject: rel };
    }
    if (item === undefined) continue;
    const size = (await bundle.size(rel)) ?? null;
    items.push({ ...item, path: rel, size, sizeSource: size === null ? null : 'bundle', action: 'remove' });
  }
  return { items, lines: plan.lines, files: plan.remove };
}
