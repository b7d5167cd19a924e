// airgap.lock.json: what the run was asked for and what each request resolved to, so
// an auditor reading a bundle sees the spec's intent next to the exact versions, files
// and digests it produced (docs/BUNDLE-FORMAT.md, "airgap.lock.json"). Deterministic:
// no times, every list sorted; an unchanged spec against an unchanged registry gives
// the same bytes.

import { compareStrings } from '../compare.js';

export const RESOLVED_FORMAT_VERSION = 1;

export interface ResolvedInputFile {
  /** As named in the spec or on the command line. */
  path: string;
  sha256: string;
}

export interface ResolvedProvider {
  /** "host/namespace/type" */
  address: string;
  /** Where the request came from: a lock file path, "providers" (the spec), or "localProviders". */
  requestedBy: string[];
  /** The constraints asked for, where the request was a constraint (the spec's providers). */
  constraints: string[];
  versions: string[];
}

export interface ResolvedRelease {
  tool: 'tofu' | 'terraform';
  /** As asked for: versions or constraints. */
  requested: string[];
  versions: string[];
}

/** One registry module version carried (docs/BUNDLE-FORMAT.md, "airgap.lock.json"). */
export interface ResolvedModule {
  /** "HOST/NS/NAME/SYSTEM" */
  source: string;
  version: string;
  /**
   * What asked for it: "modules" (the spec), "--module", a configuration's .tf file, or
   * "HOST/NS/NAME/SYSTEM VERSION" for a module another module calls.
   */
  requestedBy: string[];
  /** The constraints that picked this version ("" stands for a call without one). */
  constraints: string[];
  /** Where the registry said the source was, credentials redacted. */
  location: string;
  /** For git locations: the commit the ref resolved to. */
  commit?: string;
  subdir?: string;
  /** Of the module's zip in the bundle. */
  sha256: string;
}

export interface ResolvedSpecDocument {
  formatVersion: typeof RESOLVED_FORMAT_VERSION;
  /** The spec file read, with its sha256; absent when the run was described by flags alone. */
  spec?: ResolvedInputFile;
  platforms: string[];
  /** Every lock file and in-house package the run read. */
  inputs: ResolvedInputFile[];
  providers: ResolvedProvider[];
  binaries: ResolvedRelease[];
  /** The runner image's base as asked for, and the digest it resolved to. */
  image?: { base: string; digest: string };
  /** Registry modules (absent when the run carries none). */
  modules?: ResolvedModule[];
}

export function renderResolved(doc: ResolvedSpecDocument): string {
  const sorted: ResolvedSpecDocument = {
    formatVersion: doc.formatVersion,
    ...(doc.spec === undefined ? {} : { spec: doc.spec }),
    platforms: [...new Set(doc.platforms)].sort(compareStrings),
    inputs: [...doc.inputs].sort((a, b) => compareStrings(a.path, b.path)),
    providers: doc.providers
      .map((p) => ({
        address: p.address,
        requestedBy: [...new Set(p.requestedBy)].sort(compareStrings),
        constraints: [...new Set(p.constraints)].sort(compareStrings),
        versions: [...new Set(p.versions)].sort(compareStrings),
      }))
      .sort((a, b) => compareStrings(a.address, b.address)),
    binaries: doc.binaries
      .map((b) => ({
        tool: b.tool,
        requested: [...b.requested],
        versions: [...new Set(b.versions)].sort(compareStrings),
      }))
      .sort((a, b) => compareStrings(a.tool, b.tool)),
    ...(doc.image === undefined ? {} : { image: doc.image }),
    ...(doc.modules === undefined || doc.modules.length === 0
      ? {}
      : {
          modules: doc.modules
            .map((m) => ({
              source: m.source,
              version: m.version,
              requestedBy: [...new Set(m.requestedBy)].sort(compareStrings),
              constraints: [...new Set(m.constraints)].sort(compareStrings),
              location: m.location,
              ...(m.commit === undefined ? {} : { commit: m.commit }),
              ...(m.subdir === undefined ? {} : { subdir: m.subdir }),
              sha256: m.sha256,
            }))
            .sort((a, b) => compareStrings(a.source, b.source) || compareStrings(a.version, b.version)),
        }),
  };
  return `${JSON.stringify(sorted, null, 2)}\n`;
}

/**
 * The modules of an airgap.lock.json as far as they can be read; anything else (no file,
 * an older or damaged one) gives none: a plan only uses them as a hint.
 */
export function parseResolvedModules(text: string | undefined): ResolvedModule[] {
  if (text === undefined) return [];
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return [];
  }
  const modules = (doc as { modules?: unknown }).modules;
  if (!Array.isArray(modules)) return [];
  return modules.filter(
    (m): m is ResolvedModule =>
      typeof m === 'object' &&
      m !== null &&
      typeof (m as ResolvedModule).source === 'string' &&
      typeof (m as ResolvedModule).version === 'string' &&
      Array.isArray((m as ResolvedModule).requestedBy),
  );
}
