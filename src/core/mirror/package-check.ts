// The checks a downloaded provider package must pass before it enters the mirror,
// after the SHA256SUMS signature has been verified (src/core/signature/):
//   1. its sha256 equals the download endpoint's `shasum` and its SHA256SUMS line;
//   2. where the registry sent OpenTofu's `packages` extension, its hashes agree;
//   3. against every lock file that records hashes for this version: it matches
//      one, or the lock file merely lacks this platform (all its zh: are in the
//      signed SHA256SUMS), or the release changed under the lock file (refused).
// Pure: hashes in, verdicts out.

import { AirgapError } from '../errors.js';
import type { RecordedHashes } from './plan.js';

export interface PackageIdentity {
  /** "host/ns/type" */
  provider: string;
  version: string;
  platform: string;
  filename: string;
}

export interface PackageDigest {
  sha256: string;
  /** h1: of the package's regular files (what the unpacked directory hashes to) */
  h1: string;
  zh: string;
}

function label(id: PackageIdentity): string {
  return `${id.provider} ${id.version} (${id.platform})`;
}

function details(id: PackageIdentity): { provider: string; version: string; platform: string } {
  return { provider: id.provider, version: id.version, platform: id.platform };
}

const REFETCH =
  'the package differs from what the registry signed: run mirror again to fetch it again; if it persists, do not trust this registry';

/** The zip's sha256 against the download response and the (already signature-checked) SHA256SUMS. */
export function checkChecksums(
  id: PackageIdentity,
  digest: Pick<PackageDigest, 'sha256'>,
  promised: { shasum: string; sumsLine: string | undefined; sumsUrl: string },
): void {
  if (digest.sha256 !== promised.shasum) {
    throw new AirgapError(
      'CHECKSUM_MISMATCH',
      `${label(id)}: ${id.filename} has sha256 ${digest.sha256}, but the registry's download response says ${promised.shasum}`,
      { ...details(id), expected: promised.shasum, actual: digest.sha256 },
      REFETCH,
    );
  }
  if (promised.sumsLine === undefined) {
    throw new AirgapError(
      'CHECKSUM_MISSING',
      `${label(id)}: ${promised.sumsUrl} has no line for ${id.filename}`,
      {
        ...details(id),
        address: promised.sumsUrl,
        expected: `a line for ${id.filename}`,
        actual: 'none',
      },
      'do not use this package: the signed checksum list does not vouch for it',
    );
  }
  if (digest.sha256 !== promised.sumsLine) {
    throw new AirgapError(
      'CHECKSUM_MISMATCH',
      `${label(id)}: ${id.filename} has sha256 ${digest.sha256}, but the signed ${promised.sumsUrl} says ${promised.sumsLine}`,
      { ...details(id), address: promised.sumsUrl, expected: promised.sumsLine, actual: digest.sha256 },
      REFETCH,
    );
  }
}

/** OpenTofu's `packages` extension, where the registry sent it, must agree with the package. */
export function checkPackagesExtension(
  id: PackageIdentity,
  digest: PackageDigest,
  ext: readonly string[] | undefined,
): void {
  if (ext !== undefined && ext.length > 0) {
    for (const h of ext) {
      const scheme = h.slice(0, 3);
      const ours = scheme === 'zh:' ? digest.zh : scheme === 'h1:' ? digest.h1 : undefined;
      if (ours !== undefined && ours !== h && !ext.includes(ours)) {
        throw new AirgapError(
          'CHECKSUM_MISMATCH',
          `${label(id)}: the registry's "packages" hashes list ${h}, but the package hashes to ${ours}`,
          { ...details(id), expected: h, actual: ours },
          REFETCH,
        );
      }
    }
  }
}

/** The zh: of every line of a release's signed SHA256SUMS, already signature-checked. */
export interface SignedChecksums {
  /** Where the list came from, named in messages. */
  url: string;
  zh: ReadonlySet<string>;
}

/** A parsed SHA256SUMS (file name -> hex sha256) as the zh: hashes terraform and tofu record from it. */
export function signedChecksums(url: string, sums: ReadonlyMap<string, string>): SignedChecksums {
  return { url, zh: new Set([...sums.values()].map((sha) => `zh:${sha}`)) };
}

export interface LockCheck {
  /** Lock files that list one of this package's hashes. */
  confirmedBy: string[];
  /**
   * Lock files holding zh: hashes, every one of them in the signed SHA256SUMS, but
   * not this package's: they lack this platform (pruned by hand, or written before
   * the release gained it). --update-lockfiles completes them.
   */
  lackingPlatformIn: string[];
  /** Lock files that record only h1: hashes, none of this package's: probably written on another platform. */
  unconfirmedBy: string[];
}

/** True when some lock file with zh: hashes lacks this package's: only the signed list can tell why. */
export function needsSignedChecksums(digest: PackageDigest, recorded: RecordedHashes[]): boolean {
  return recorded.some(
    (r) =>
      !r.hashes.includes(digest.h1) &&
      !r.hashes.includes(digest.zh) &&
      r.hashes.some((h) => h.startsWith('zh:')),
  );
}

/**
 * A package, already checked against the signed SHA256SUMS, against the hashes
 * each lock file records for its version. Per lock file:
 * - the package's zh: or h1: is there: confirmed;
 * - it holds only h1: hashes: unconfirmed (it knows only the platforms it was
 *   used on; the caller requires some platform of the version to confirm, or warns);
 * - every zh: it records is in the signed list: it lacks this platform. Terraform
 *   and tofu accept such a file and `providers lock` adds the missing hashes;
 * - a zh: it records is not in the signed list: LOCK_HASH_MISMATCH. The release
 *   is not the one the lock file was written for.
 * `signed` is undefined for an in-house package (--local-provider): nothing can
 * tell a missing platform from a changed package then, so a zh: lock file that
 * lacks the package is refused.
 */
export function checkAgainstLockfiles(
  id: PackageIdentity,
  digest: PackageDigest,
  recorded: RecordedHashes[],
  signed: SignedChecksums | undefined,
): LockCheck {
  const result: LockCheck = { confirmedBy: [], lackingPlatformIn: [], unconfirmedBy: [] };
  for (const r of recorded) {
    if (r.hashes.length === 0) continue;
    if (r.hashes.includes(digest.h1) || r.hashes.includes(digest.zh)) {
      result.confirmedBy.push(r.lockfile);
      continue;
    }
    const zh = r.hashes.filter((h) => h.startsWith('zh:'));
    if (zh.length === 0) {
      result.unconfirmedBy.push(r.lockfile);
      continue;
    }
    if (signed === undefined) {
      throw new AirgapError(
        'LOCK_HASH_MISMATCH',
        `${label(id)}: the package matches none of the ${r.hashes.length} hashes ${r.lockfile} records for this version ` +
          `(package: ${digest.h1}, ${digest.zh})`,
        {
          ...details(id),
          path: r.lockfile,
          expected: `one of ${r.hashes.join(', ')}`,
          actual: `${digest.h1}, ${digest.zh}`,
        },
        `the lock file records other hashes for this version: pass the package it was written for, or check where the lock file came from`,
      );
    }
    const unsigned = zh.filter((h) => !signed.zh.has(h));
    if (unsigned.length === 0) {
      result.lackingPlatformIn.push(r.lockfile);
      continue;
    }
    throw new AirgapError(
      'LOCK_HASH_MISMATCH',
      `${label(id)}: ${r.lockfile} records ${unsigned.join(', ')} for this version, which the signed ${signed.url} does not list, ` +
        `and none of its ${r.hashes.length} hashes matches the package (${digest.h1}, ${digest.zh}): ` +
        `the registry serves a different release than the one the lock file was written for`,
      {
        ...details(id),
        path: r.lockfile,
        address: signed.url,
        expected: `every zh: of ${r.lockfile} in ${signed.url}`,
        actual: `not listed: ${unsigned.join(', ')}`,
      },
      'find out why the release changed before trusting it (a re-published or tampered release); never "fix" this by deleting hashes',
    );
  }
  return result;
}

/**
 * The golang/go#53448 trap: a zip holding directory entries hashes differently
 * packed (Terraform's HashZip counts the entries) than unpacked (what lock files
 * record). `init` from a packed mirror then fails unless the lock file also has
 * the package's zh:. Returns the lock files that need the fix.
 */
export function lockfilesAtRiskFromDirectoryEntries(
  digest: PackageDigest,
  hasDirectoryEntries: boolean,
  recorded: RecordedHashes[],
): string[] {
  if (!hasDirectoryEntries) return [];
  return recorded.filter((r) => r.hashes.length > 0 && !r.hashes.includes(digest.zh)).map((r) => r.lockfile);
}
