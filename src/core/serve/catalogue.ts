// What `airgap serve` may answer with: every file it serves, by root-relative path,
// with the sha256 and size it knows for it, and the registry modules by address. Built
// from a bundle's airgap.json, or from an import generation's state and mirror JSON;
// a path the catalogue does not list is never opened (docs/SERVE.md).

import type { BundleManifest, FileRef } from '../bundle/manifest.js';
import { compareStrings } from '../compare.js';
import { modulePackagePath, type ModuleCoords } from '../layout/names.js';

export interface ServedFile {
  /** Root-relative POSIX path (the bundle directory's, or the live generation's). */
  path: string;
  /** Lower-case hex, when known: the ETag, and a size/identity check at open. */
  sha256?: string;
  size?: number;
}

export interface ServedModule extends ModuleCoords {
  version: string;
  /** Root-relative path of the module's zip. */
  path: string;
  subdir?: string;
}

export interface ServeCatalogue {
  files: ReadonlyMap<string, ServedFile>;
  /** Key: moduleKey(); versions in ascending string order. */
  modules: ReadonlyMap<string, ServedModule[]>;
}

/** One carried module version as airgap.json and airgap-state.json record it. */
export interface ModuleRecord extends FileRef {
  /** "HOST/NS/NAME/SYSTEM" */
  source: string;
  version: string;
  subdir?: string;
}

/** Registry module addresses compare case-insensitively, as the registries treat them. */
export function moduleKey(m: ModuleCoords): string {
  return `${m.hostname}/${m.namespace}/${m.name}/${m.system}`.toLowerCase();
}

export function parseModuleSource(source: string): ModuleCoords | undefined {
  const parts = source.split('/');
  if (parts.length !== 4 || parts.some((p) => p === '')) return undefined;
  const [hostname, namespace, name, system] = parts as [string, string, string, string];
  return { hostname, namespace, name, system };
}

export function buildCatalogue(
  files: readonly ServedFile[],
  modules: readonly ModuleRecord[],
): ServeCatalogue {
  const fileMap = new Map<string, ServedFile>();
  for (const f of files) fileMap.set(f.path, f);
  const moduleMap = new Map<string, ServedModule[]>();
  for (const m of modules) {
    const coords = parseModuleSource(m.source);
    if (coords === undefined) continue;
    // The zip's place follows from the address: a record naming another path is not served.
    if (m.path !== modulePackagePath(coords, m.version)) continue;
    fileMap.set(m.path, { path: m.path, sha256: m.sha256, size: m.size });
    const key = moduleKey(coords);
    const list = moduleMap.get(key) ?? [];
    list.push({
      ...coords,
      version: m.version,
      path: m.path,
      ...(m.subdir === undefined ? {} : { subdir: m.subdir }),
    });
    moduleMap.set(key, list);
  }
  for (const list of moduleMap.values()) list.sort((a, b) => compareStrings(a.version, b.version));
  return { files: fileMap, modules: moduleMap };
}

/** A bundle directory: the provider zips, the network-mirror JSON and the modules airgap.json lists. */
export function catalogueFromManifest(manifest: BundleManifest): ServeCatalogue {
  const files: ServedFile[] = [];
  for (const p of manifest.providers) for (const k of p.packages) files.push(fileOf(k));
  for (const j of manifest.mirrorIndexes) files.push(fileOf(j));
  return buildCatalogue(files, manifest.modules ?? []);
}

function fileOf(f: FileRef): ServedFile {
  return { path: f.path, sha256: f.sha256, size: f.size };
}

/** The original registry hosts of the carried modules, in display form, sorted. */
export function moduleHosts(catalogue: ServeCatalogue): string[] {
  const hosts = new Set<string>();
  for (const list of catalogue.modules.values()) for (const m of list) hosts.add(m.hostname);
  return [...hosts].sort(compareStrings);
}
