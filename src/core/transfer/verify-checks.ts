// The checks of `airgap verify` that go beyond reading the bundle: provider zips
// against the h1:/zh: airgap.json records, release zips against their vendor's
// signed SHA256SUMS, and lock files against what the bundle carries. Pure: digests
// and documents in, report rows out.

import type { BundleManifest, FileRef, ManifestBinary } from '../bundle/manifest.js';
import { describeBase, MISSING_LISTED } from '../bundle/delta.js';
import { compareStrings } from '../compare.js';
import { AirgapError } from '../errors.js';
import { formatProviderAddress, parseProviderAddress } from '../provider/address.js';
import type { CheckRow } from './verify-report.js';

/** What reading one provider zip gave. */
export interface ZipDigestResult {
  /** Lower-case hex sha256 of the zip, as read. */
  sha256: string;
  /** "h1:..." when the zip could be read as a zip. */
  h1?: string;
  /** Why it could not (ZIP_INVALID). */
  error?: AirgapError;
}

export function packageSubject(address: string, version: string, platform: string): string {
  return `${address} ${version} ${platform}`;
}

/**
 * Every provider package of the manifest against the zip that was read: its zh: (the
 * zip's sha256) and its h1: (the unpacked files) must both be among the hashes
 * airgap.json records, which are what the mirror's VERSION.json serves to tofu.
 */
export function providerRows(
  manifest: BundleManifest,
  digests: ReadonlyMap<string, ZipDigestResult>,
): CheckRow[] {
  const rows: CheckRow[] = [];
  for (const p of manifest.providers) {
    for (const k of p.packages) {
      const subject = packageSubject(p.address, p.version, k.platform);
      const d = digests.get(k.path);
      if (d === undefined) {
        rows.push({
          check: 'provider',
          subject,
          status: 'skipped',
          detail: `${k.path} was not read intact (see its file row)`,
        });
        continue;
      }
      const zh = `zh:${d.sha256}`;
      const recorded = k.hashes.join(', ');
      if (!k.hashes.includes(zh)) {
        rows.push({
          check: 'provider',
          subject,
          status: 'failed',
          code: 'CHECKSUM_MISMATCH',
          detail: `${k.path}: ${zh} is not among the hashes airgap.json records (${recorded})`,
        });
        continue;
      }
      if (d.h1 === undefined) {
        rows.push({
          check: 'provider',
          subject,
          status: 'failed',
          code: d.error?.code ?? 'ZIP_INVALID',
          detail: d.error?.message ?? `${k.path} could not be read as a zip`,
        });
        continue;
      }
      if (!k.hashes.includes(d.h1)) {
        rows.push({
          check: 'provider',
          subject,
          status: 'failed',
          code: 'CHECKSUM_MISMATCH',
          detail: `${k.path}: ${d.h1} (its unpacked files) is not among the hashes airgap.json records (${recorded})`,
        });
        continue;
      }
      rows.push({ check: 'provider', subject, status: 'ok', detail: `${d.h1} ${zh}` });
    }
  }
  return rows;
}

/** One release's signed SHA256SUMS, as checked by the caller. */
export interface ReleaseSumsCheck {
  binary: ManifestBinary;
  /** The parsed, signature-verified list; undefined when it could not be trusted. */
  sums?: ReadonlyMap<string, string>;
}

/** Each release zip against its line in the vendor's SHA256SUMS (once that list's signature passed). */
export function binaryRows(check: ReleaseSumsCheck, actual: ReadonlyMap<string, string>): CheckRow[] {
  const b = check.binary;
  return b.platforms.map((pl): CheckRow => {
    const subject = `${b.tool} ${b.version} ${pl.platform}`;
    const name = pl.path.slice(pl.path.lastIndexOf('/') + 1);
    const sha = actual.get(pl.path);
    if (check.sums === undefined) {
      return {
        check: 'binary',
        subject,
        status: 'skipped',
        detail: `${b.sums.path} is not trusted (see its binary-signature row)`,
      };
    }
    const listed = check.sums.get(name);
    if (listed === undefined) {
      return {
        check: 'binary',
        subject,
        status: 'failed',
        code: 'CHECKSUM_MISSING',
        detail: `${b.sums.path} has no line for ${name}; an unlisted artifact is not trusted`,
      };
    }
    if (sha === undefined) {
      return {
        check: 'binary',
        subject,
        status: 'skipped',
        detail: `${pl.path} was not read intact (see its file row)`,
      };
    }
    if (sha !== listed) {
      return {
        check: 'binary',
        subject,
        status: 'failed',
        code: 'CHECKSUM_MISMATCH',
        detail: `${pl.path} has sha256 ${sha}, but ${b.sums.path} lists ${listed}`,
      };
    }
    return {
      check: 'binary',
      subject,
      status: 'ok',
      detail: `sha256 ${sha} matches ${name}'s line in the signed ${b.sums.path.slice(b.sums.path.lastIndexOf('/') + 1)}`,
    };
  });
}

/** Where packages are: a bundle manifest, or what an import destination's mirror JSON lists. */
export interface PackageIndex {
  platforms: readonly string[];
  providers: readonly {
    address: string;
    version: string;
    packages: readonly { platform: string; path: string }[];
  }[];
}

/** What one lock file needs: a provider version and the hashes it records. */
export interface LockNeed {
  lockfile: string;
  /** Canonical "host/namespace/type". */
  address: string;
  version: string;
  hashes: string[];
}

function canonical(address: string): string {
  try {
    return formatProviderAddress(parseProviderAddress(address));
  } catch {
    return address;
  }
}

/**
 * For every provider version the lock files name, on every platform of the bundle: a
 * package must be there, and one of its verified hashes (h1: or zh:) must be among the
 * lock file's, as `tofu init` will demand.
 */
export function lockfileRows(
  needs: readonly LockNeed[],
  manifest: PackageIndex,
  digests: ReadonlyMap<string, ZipDigestResult>,
): CheckRow[] {
  const rows: CheckRow[] = [];
  const platforms = [...manifest.platforms].sort(compareStrings);
  for (const need of needs) {
    const provider = manifest.providers.find(
      (p) => canonical(p.address) === canonical(need.address) && p.version === need.version,
    );
    for (const platform of platforms) {
      const subject = `${need.lockfile}: ${packageSubject(need.address, need.version, platform)}`;
      const pkg = provider?.packages.find((k) => k.platform === platform);
      if (pkg === undefined) {
        rows.push({
          check: 'lockfile',
          subject,
          status: 'failed',
          code: 'PLATFORM_MISSING',
          detail:
            provider === undefined
              ? `the bundle has no ${need.address} ${need.version}, which ${need.lockfile} needs`
              : `the bundle has no ${need.address} ${need.version} package for ${platform}, which ${need.lockfile} needs`,
        });
        continue;
      }
      const d = digests.get(pkg.path);
      const verified = d === undefined ? [] : [...(d.h1 === undefined ? [] : [d.h1]), `zh:${d.sha256}`];
      if (need.hashes.length === 0) {
        rows.push({
          check: 'lockfile',
          subject,
          status: 'warning',
          detail: `${need.lockfile} records no hashes for ${need.address} ${need.version}; nothing to match (run mirror --update-lockfiles)`,
        });
        continue;
      }
      if (verified.length === 0) {
        rows.push({
          check: 'lockfile',
          subject,
          status: 'skipped',
          detail: `${pkg.path} was not read intact (see its file row)`,
        });
        continue;
      }
      const match = verified.find((h) => need.hashes.includes(h));
      if (match === undefined) {
        rows.push({
          check: 'lockfile',
          subject,
          status: 'failed',
          code: 'LOCK_HASH_MISMATCH',
          detail: `none of the ${need.hashes.length} hashes ${need.lockfile} records matches the package (${verified.join(', ')})`,
        });
        continue;
      }
      rows.push({ check: 'lockfile', subject, status: 'ok', detail: `matches ${match}` });
    }
  }
  return rows;
}

/**
 * A delta bundle (export --base) proves only what it carries: one row names the base it
 * needs and what it expects from it, left unchecked (skipped) as nothing here holds the base.
 */
export function deltaBaseRows(manifest: BundleManifest): CheckRow[] {
  const delta = manifest.delta;
  if (manifest.kind !== 'delta' || delta === undefined) return [];
  const bytes = delta.fromBase.reduce((n, f) => n + f.size, 0);
  return [
    {
      check: 'delta-base',
      subject: describeBase(delta.base),
      status: 'skipped',
      detail: `a delta bundle: ${delta.fromBase.length} of its files (${bytes} bytes) are not carried but expected from this base, which an import destination must already hold`,
    },
  ];
}

/** What `verify --against DEST` found of a delta's base in DEST (services/import/delta-base-check.ts). */
export interface BaseFound {
  dest: string;
  /** Files placed from the base found by sha256, host executables found, files no import keeps. */
  placed: number;
  binaries: number;
  unused: number;
  /** Sorted by path. */
  missing: readonly FileRef[];
}

/**
 * `verify DELTA --against DEST`: the delta-base row says whether DEST's live generation holds
 * everything an import of the delta would take from it, then one failed row for each of the
 * first missing files (MISSING_LISTED). A full bundle needs nothing from DEST.
 */
export function deltaAgainstRows(manifest: BundleManifest, found: BaseFound): CheckRow[] {
  const delta = manifest.delta;
  if (manifest.kind !== 'delta' || delta === undefined) {
    return [
      {
        check: 'delta-base',
        subject: found.dest,
        status: 'ok',
        detail: 'a full bundle: it needs nothing from this destination',
      },
    ];
  }
  const subject = describeBase(delta.base);
  const total = delta.fromBase.length;
  if (found.missing.length === 0) {
    return [
      {
        check: 'delta-base',
        subject,
        status: 'ok',
        detail: `${found.dest} holds the base: ${found.placed} files found by sha256 in its live generation, ${found.binaries} bin/ executables unpacked from the expected zips; ${found.unused} of the ${total} files are kept by no import and not needed`,
      },
    ];
  }
  const more = found.missing.length - Math.min(found.missing.length, MISSING_LISTED);
  return [
    {
      check: 'delta-base',
      subject,
      status: 'failed',
      code: 'DELTA_BASE_MISSING',
      detail: `${found.dest} does not hold ${found.missing.length} of the ${total} files the delta expects from this base (matched by sha256)${more > 0 ? `; the first ${MISSING_LISTED} are listed` : ''}`,
      hint: `import ${subject} into ${found.dest} first, or export a full bundle (without --base) for it`,
    },
    ...found.missing.slice(0, MISSING_LISTED).map((f): CheckRow => ({
      check: 'delta-base',
      subject: f.path,
      status: 'failed',
      code: 'DELTA_BASE_MISSING',
      detail: `sha256 ${f.sha256} (${f.size} bytes) is not in ${found.dest}`,
    })),
  ];
}

/**
 * Each registry module the manifest lists: its zip was read intact (its file row), and
 * that is all there is to check, for modules are unsigned in both ecosystems; the row
 * says what pins it.
 */
export function moduleRows(
  manifest: BundleManifest,
  fileState: ReadonlyMap<string, 'ok' | 'failed'>,
): CheckRow[] {
  return (manifest.modules ?? []).map((m) => {
    const subject = `${m.source} ${m.version}`;
    if (fileState.get(m.path) !== 'ok') {
      return {
        check: 'module' as const,
        subject,
        status: 'failed' as const,
        code: 'CHECKSUM_MISMATCH' as const,
        detail: `${m.path} was not read intact (see its file row)`,
      };
    }
    const commit = m.commit === undefined ? '' : `, git commit ${m.commit}`;
    return {
      check: 'module' as const,
      subject,
      status: 'ok' as const,
      detail: `${m.path}: sha256 ${m.sha256}${commit}; no signature (modules are unsigned), pinned by the bundle`,
    };
  });
}
