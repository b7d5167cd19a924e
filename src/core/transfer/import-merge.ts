// Merge planning for DIR/providers on import: which files of the live generation
// are carried into the new one unchanged (hard links, never re-read), which the
// bundle replaces, and how the network-mirror index.json / VERSION.json files of
// both sides combine. Providers and versions already imported are kept; for a
// file both sides have, the bundle's (just verified) copy wins.

import { compareStrings } from '../compare.js';
import {
  parseIndexJson,
  parseVersionJson,
  renderIndexJson,
  renderVersionJson,
  type MirrorArchives,
} from '../mirror/network-mirror-json.js';
import { MIRROR } from '../layout/names.js';
import type { ImportedModule } from './import-state.js';

export type MirrorJsonKind = 'index' | 'version';

/**
 * The network-mirror JSON files sit beside the zips, at HOST/NAMESPACE/TYPE/index.json
 * and HOST/NAMESPACE/TYPE/VERSION.json (paths relative to the mirror root).
 */
export function mirrorJsonKind(mirrorPath: string): MirrorJsonKind | undefined {
  const parts = mirrorPath.split('/');
  if (parts.length !== 4) return undefined;
  const name = parts[3] ?? '';
  if (name === MIRROR.index) return 'index';
  return name.endsWith('.json') && name.length > '.json'.length ? 'version' : undefined;
}

export interface ProvidersMergePlan {
  /** In the live generation and not in the bundle: hard-linked into the new generation. */
  keep: string[];
  /** In both: the bundle's copy replaces the live one (mirror JSON excepted, see `merge`). */
  replaced: string[];
  /** Mirror JSON in both: the new generation gets mergeMirrorJson(live, bundle). */
  merge: string[];
  /** Mirror JSON only the bundle has: written as the bundle carries it. */
  addJson: string[];
}

/**
 * `live`: every regular file under the live generation's providers/; `incomingFiles`: the
 * bundle's providers/ files other than mirror JSON; `incomingJson`: its mirror JSON files.
 * All mirror-relative. Every list in the result is sorted.
 */
export function planProvidersMerge(
  live: readonly string[],
  incomingFiles: readonly string[],
  incomingJson: readonly string[],
): ProvidersMergePlan {
  const files = new Set(incomingFiles);
  const json = new Set(incomingJson);
  const plan: ProvidersMergePlan = { keep: [], replaced: [], merge: [], addJson: [] };
  const liveSet = new Set(live);
  for (const p of live) {
    if (json.has(p)) plan.merge.push(p);
    else if (files.has(p)) plan.replaced.push(p);
    else plan.keep.push(p);
  }
  for (const p of incomingJson) if (!liveSet.has(p)) plan.addJson.push(p);
  for (const list of Object.values(plan) as string[][]) list.sort(compareStrings);
  return plan;
}

/**
 * index.json: the union of both version lists. VERSION.json: the live archives, with
 * every platform the bundle lists replaced by the bundle's entry (its URL and hashes:
 * stale hashes of a replaced zip must not survive). `file` names the path in messages.
 */
export function mergeMirrorJson(
  mirrorPath: string,
  liveText: string,
  incomingText: string,
  file: string,
): string {
  const kind = mirrorJsonKind(mirrorPath);
  if (kind === 'index') {
    return renderIndexJson(parseIndexJson(liveText, `${file} (live)`), parseIndexJson(incomingText, file));
  }
  const live = parseVersionJson(liveText, `${file} (live)`);
  const incoming = parseVersionJson(incomingText, file);
  const kept: MirrorArchives = {};
  for (const [platform, archive] of Object.entries(live)) {
    if (incoming[platform] === undefined) kept[platform] = archive;
  }
  return renderVersionJson(kept, incoming);
}

/**
 * The modules of a new generation: the live generation's, with the bundle's replacing any
 * at the same path (the bundle's were just verified), sorted by path.
 */
export function mergeModules(
  live: readonly ImportedModule[],
  incoming: readonly ImportedModule[],
): ImportedModule[] {
  const byPath = new Map<string, ImportedModule>();
  for (const m of live) byPath.set(m.path, m);
  for (const m of incoming) byPath.set(m.path, m);
  return [...byPath.values()].sort((a, b) => compareStrings(a.path, b.path));
}
