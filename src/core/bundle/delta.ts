// Differential bundles (issue 14, docs/BUNDLE-FORMAT.md "Delta bundles"): which files of
// a new bundle are carried and which are expected from a base the receiver already holds.
// Files are matched by sha256 alone, wherever they sit in either bundle: a zip that moved
// is not re-sent, and an OCI blob (named by its digest) already in the base is not either.
// Pure: the caller reads the base's airgap.json and hands in its digests.

import { compareStrings } from '../compare.js';
import { AirgapError } from '../errors.js';
import { BUNDLE } from '../layout/names.js';
import { manifestFiles, type BundleManifest, type FileRef } from './manifest.js';

/** The bundle a delta was measured against. */
export interface DeltaBase {
  /** sha256 of the base's airgap.json bytes, as read (packed, with toolPackage, when read from a tarball). */
  manifestSha256: string;
  /** sha256 of the base's SHA256SUMS (its bundle digest), when the base was a packed bundle. */
  bundleDigest?: string;
  /** The base's createdAt, to name it to a person. */
  createdAt: string;
}

/** airgap.json's `delta` section, present exactly when `kind` is "delta". */
export interface DeltaSection {
  base: DeltaBase;
  /** Files of the complete new state that the tarball does not carry, sorted by path. */
  fromBase: FileRef[];
}

export interface DeltaPlan {
  /** Files the delta tarball carries, sorted by path. */
  carried: FileRef[];
  /** Files expected from the base (by sha256), sorted by path. */
  fromBase: FileRef[];
}

/**
 * The tool archive a packed airgap.json names (`toolPackage`, docs/TRANSFER-FORMAT.md), when
 * it is a well-formed file reference; undefined for an unpacked bundle's airgap.json.
 */
export function packedToolRef(manifest: BundleManifest): FileRef | undefined {
  const raw = (manifest as BundleManifest & { toolPackage?: unknown }).toolPackage;
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Partial<Record<keyof FileRef, unknown>>;
  if (typeof r.path !== 'string' || typeof r.size !== 'number' || typeof r.sha256 !== 'string')
    return undefined;
  return { path: r.path, size: r.size, sha256: r.sha256 };
}

/**
 * Every file a bundle accounts for: airgap.json's complete list and, for a packed one, the
 * tool archive; sorted by path.
 */
export function bundleFileList(manifest: BundleManifest): FileRef[] {
  const tool = packedToolRef(manifest);
  const files = manifestFiles(manifest);
  if (tool === undefined || files.some((f) => f.path === tool.path)) return files;
  return [...files, tool].sort((a, b) => compareStrings(a.path, b.path));
}

/**
 * The sha256 of every file a base bundle accounts for (a delta base lists its complete state
 * too), the tool archive of a packed base included: a delta made by the same airgap leaves it out.
 */
export function baseDigests(base: BundleManifest): Set<string> {
  return new Set(bundleFileList(base).map((f) => f.sha256));
}

/**
 * Splits the new bundle's complete file list into what is carried and what the base already
 * has. Files in `alwaysCarry` (the network-mirror JSON, manifest.mirrorIndexes) are carried
 * even when the base has them: an import merges them with what the destination held, so the
 * receiver's copy is not the base's bytes and could not be matched by sha256; they are small.
 */
export function planDelta(
  files: readonly FileRef[],
  base: ReadonlySet<string>,
  alwaysCarry: ReadonlySet<string> = new Set(),
): DeltaPlan {
  const carried: FileRef[] = [];
  const fromBase: FileRef[] = [];
  for (const f of [...files].sort((a, b) => compareStrings(a.path, b.path))) {
    const ref = { path: f.path, size: f.size, sha256: f.sha256 };
    (base.has(f.sha256) && !alwaysCarry.has(f.path) ? fromBase : carried).push(ref);
  }
  return { carried, fromBase };
}

/**
 * The paths a delta always carries (planDelta's `alwaysCarry`): the network-mirror JSON, and
 * the SBOM, which an import keeps with the generation it builds (for `import --push`) and
 * which names its bundle's creation time, so it differs between bundles anyway (it is small).
 */
export function alwaysCarried(manifest: BundleManifest): Set<string> {
  return new Set([
    ...manifest.mirrorIndexes.map((f) => f.path),
    ...(manifest.sbom === undefined ? [] : [manifest.sbom.path]),
  ]);
}

/** The new bundle's manifest turned into a delta's: the complete state plus the delta section. */
export function deltaManifest(
  manifest: BundleManifest,
  base: DeltaBase,
  plan: DeltaPlan,
): BundleManifest & { delta: DeltaSection } {
  const { delta: _old, ...rest } = manifest;
  return {
    ...rest,
    kind: 'delta',
    delta: {
      base: {
        manifestSha256: base.manifestSha256,
        ...(base.bundleDigest === undefined ? {} : { bundleDigest: base.bundleDigest }),
        createdAt: base.createdAt,
      },
      fromBase: plan.fromBase,
    },
  };
}

/** Paths a delta's tarball leaves out (empty for a full bundle). */
export function pathsFromBase(manifest: BundleManifest): Set<string> {
  return new Set((manifest.delta?.fromBase ?? []).map((f) => f.path));
}

/**
 * The part of a delta's manifest its tarball can prove: provider packages and release zips
 * left to the base are dropped, so checks of what was carried do not report them as unread.
 */
export function carriedManifest(manifest: BundleManifest): BundleManifest {
  const fromBase = pathsFromBase(manifest);
  if (fromBase.size === 0) return manifest;
  return {
    ...manifest,
    providers: manifest.providers
      .map((p) => ({ ...p, packages: p.packages.filter((k) => !fromBase.has(k.path)) }))
      .filter((p) => p.packages.length > 0),
    binaries: manifest.binaries
      .map((b) => ({ ...b, platforms: b.platforms.filter((k) => !fromBase.has(k.path)) }))
      .filter((b) => b.platforms.length > 0),
    ...(manifest.modules === undefined
      ? {}
      : { modules: manifest.modules.filter((m) => !fromBase.has(m.path)) }),
  };
}

/** How a delta's base is named in messages: its bundle digest when known, else its airgap.json's. */
export function describeBase(base: DeltaBase): string {
  const id =
    base.bundleDigest === undefined
      ? `airgap.json sha256 ${base.manifestSha256}`
      : `bundle digest ${base.bundleDigest}`;
  return `the bundle created at ${base.createdAt} (${id})`;
}

/** Top-level bundle folders an import places as they are into the generation it builds. */
const PLACED_DIRS = [BUNDLE.providersDir, BUNDLE.modulesDir, BUNDLE.imageDir].map((d) => `${d}/`);

/** Whether an import keeps this bundle file, at the same path, in the generation it builds. */
export function isPlacedInGeneration(bundlePath: string): boolean {
  return PLACED_DIRS.some((d) => bundlePath.startsWith(d));
}

/**
 * What a delta's import must find at the destination, by sha256: files it places
 * (providers/, modules/, image/: `placed`, matched against the live generation's files
 * wherever they sit), and the host platform's release zips it would unpack into bin/
 * (`hostZips`, matched against the executables the live generation unpacked from them).
 * Lock files, configs, other platforms' releases and the tool archive (tool/airgap-VERSION.tgz)
 * are verified and dropped by every import, so no destination holds them and none is needed
 * (`unused`): a delta that leaves the tool archive to its base is imported without it.
 */
export interface DeltaNeeds {
  placed: FileRef[];
  hostZips: FileRef[];
  unused: FileRef[];
}

export function deltaNeeds(manifest: BundleManifest, hostZipPaths: ReadonlySet<string>): DeltaNeeds {
  const needs: DeltaNeeds = { placed: [], hostZips: [], unused: [] };
  for (const f of manifest.delta?.fromBase ?? []) {
    if (isPlacedInGeneration(f.path)) needs.placed.push(f);
    else if (hostZipPaths.has(f.path)) needs.hostZips.push(f);
    else needs.unused.push(f);
  }
  return needs;
}

/** How many missing files a refusal lists by name. */
export const MISSING_LISTED = 10;

/**
 * The refusal of a delta whose base the destination does not hold (DELTA_BASE_MISSING):
 * the first missing files by name and sha256, how many more, and which bundle to import first.
 */
export function deltaBaseMissing(
  manifest: BundleManifest,
  source: string,
  dest: string,
  missing: readonly FileRef[],
): AirgapError {
  const base = manifest.delta?.base;
  const named = base === undefined ? 'its base' : describeBase(base);
  const shown = missing.slice(0, MISSING_LISTED).map((f) => `  ${f.path} (sha256 ${f.sha256})`);
  const more = missing.length - shown.length;
  const lines = [...shown, ...(more > 0 ? [`  ... and ${more} more`] : [])].join('\n');
  const total = (manifest.delta?.fromBase ?? []).length;
  return new AirgapError(
    'DELTA_BASE_MISSING',
    `${source} is a delta bundle on top of ${named}, but ${dest} does not hold ${missing.length} of the ${total} files it expects from that base (matched by sha256); nothing was placed:\n${lines}`,
    {
      path: dest,
      expected: `the files of ${named}`,
      actual: `${missing.length} missing, first ${missing[0]?.path ?? ''}`,
    },
    `import ${named} into ${dest} first, or export a full bundle (without --base) for this destination`,
  );
}
