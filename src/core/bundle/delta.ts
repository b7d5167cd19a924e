// Differential bundles (issue 14, docs/BUNDLE-FORMAT.md "Delta bundles"): which files of
// a new bundle are carried and which are expected from a base the receiver already holds.
// Files are matched by sha256 alone, wherever they sit in either bundle: a zip that moved
// is not re-sent, and an OCI blob (named by its digest) already in the base is not either.
// Pure: the caller reads the base's airgap.json and hands in its digests.

import { compareStrings } from '../compare.js';
import { AirgapError } from '../errors.js';
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

/** The sha256 of every file a base bundle accounts for (a delta base lists its complete state too). */
export function baseDigests(base: BundleManifest): Set<string> {
  return new Set(manifestFiles(base).map((f) => f.sha256));
}

/** Splits the new bundle's complete file list into what is carried and what the base already has. */
export function planDelta(files: readonly FileRef[], base: ReadonlySet<string>): DeltaPlan {
  const carried: FileRef[] = [];
  const fromBase: FileRef[] = [];
  for (const f of [...files].sort((a, b) => compareStrings(a.path, b.path))) {
    const ref = { path: f.path, size: f.size, sha256: f.sha256 };
    (base.has(f.sha256) ? fromBase : carried).push(ref);
  }
  return { carried, fromBase };
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

/**
 * What `airgap import` says of a delta until it can apply one: refused before anything is
 * placed, so a destination never gets a generation missing the files the base held.
 */
export function deltaImportUnsupported(manifest: BundleManifest, source: string): AirgapError {
  const base = manifest.delta?.base;
  const needs = base === undefined ? '' : ` on top of ${describeBase(base)}`;
  return new AirgapError(
    'USAGE',
    `${source} is a delta bundle (it carries only what changed${needs}); this airgap cannot import a delta bundle yet`,
    { path: source, expected: 'a full bundle (kind "full")', actual: 'kind "delta"' },
    'export the bundle again without --base (airgap export DIR --tarball FILE) and import that full bundle',
  );
}
