// Plan stage: the registry modules mirror would carry, from the module registry's
// version lists only (nothing is fetched). Each module the request names, or a
// configuration calls, resolves to a version as mirror resolves it; it is `present` when
// the bundle already carries that version intact, else `download` with its size unknown
// until it is fetched and packed. The modules a carried version calls are only known
// after fetching it: for a version the bundle already has, its airgap.lock.json says
// which it called (those are kept); a new version's calls show up when mirror runs.

import type { ModuleRegistry } from '../../adapters/registry/module-registry-client.js';
import { parseResolvedModules } from '../../core/bundle/resolved.js';
import { AirgapError, AirgapErrors, isAirgapError } from '../../core/errors.js';
import { BUNDLE, modulePackagePath } from '../../core/layout/names.js';
import { selectModuleVersion } from '../../core/module/select.js';
import type { ModuleWanted } from '../../core/mirror/request.js';
import type { PlanItem } from '../../core/plan/index.js';
import type { BundleState } from './bundle-state.js';

export interface ModulePlanInput {
  wanted: readonly ModuleWanted[];
  configurations: readonly string[];
  defaultHost: string;
  base: string;
}

export async function planModules(
  input: ModulePlanInput,
  deps: { registry: ModuleRegistry; bundle: BundleState },
): Promise<{ items: PlanItem[]; keep: string[] }> {
  // Nothing asked for: the modules stage (git, zip, HCL and JSON handling) is not even loaded.
  if (input.wanted.length === 0 && input.configurations.length === 0) return { items: [], keep: [] };
  const { moduleRequests } = await import('../mirror/stages/modules.js');
  const requests = await moduleRequests(input);
  const chosen = new Map<string, { key: string; version: string; path: string }>();
  const errors: AirgapError[] = [];
  await Promise.all(
    requests.map(async (r) => {
      try {
        const version = selectModuleVersion(
          await deps.registry.versions(r.address),
          r.constraint,
          r.key,
          r.where,
        );
        chosen.set(`${r.key} ${version}`, {
          key: r.key,
          version,
          path: modulePackagePath(r.address, version),
        });
      } catch (e) {
        if (!isAirgapError(e)) throw e;
        errors.push(
          e.message.startsWith(`${r.where}:`)
            ? e
            : new AirgapError(e.code, `${r.where}: ${e.message}`, e.details, e.remedy),
        );
      }
    }),
  );
  if (errors.length > 0) throw errors.length === 1 ? errors[0]! : new AirgapErrors(errors);

  const carried = new Map((deps.bundle.manifest?.modules ?? []).map((m) => [`${m.source} ${m.version}`, m]));
  const lock = parseResolvedModules(await deps.bundle.text(BUNDLE.resolved));
  // Nested modules a present version called when it was carried: kept, and present too.
  const queue = [...chosen.keys()].filter((k) => carried.has(k));
  while (queue.length > 0) {
    const by = queue.shift()!;
    for (const m of lock.filter((l) => l.requestedBy.includes(by))) {
      const id = `${m.source} ${m.version}`;
      const entry = carried.get(id);
      if (chosen.has(id) || entry === undefined) continue;
      chosen.set(id, { key: m.source, version: m.version, path: entry.path });
      queue.push(id);
    }
  }

  const items: PlanItem[] = [];
  for (const [id, c] of chosen) {
    const entry = carried.get(id);
    const size = entry === undefined ? undefined : await deps.bundle.size(c.path);
    const present = entry !== undefined && size === entry.size;
    items.push({
      kind: 'module',
      subject: `${c.key} ${c.version}`,
      path: c.path,
      size: present ? entry.size : null,
      sizeSource: present ? 'bundle' : null,
      action: present ? 'present' : 'download',
      ...(present ? {} : { note: 'after fetch' }),
    });
  }
  return { items, keep: [...chosen.values()].map((c) => c.path) };
}
