// The checks a downloaded provider package must pass before it enters the mirror,
// after the SHA256SUMS signature has been verified (src/core/signature/):
//   1. its sha256 equals the download endpoint's `shasum` and its SHA256SUMS line;
//   2. where the registry sent OpenTofu's `packages` extension, its hashes agree;
//   3. for every lock file that records hashes for this version, it matches one.
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
    );
  }
  if (digest.sha256 !== promised.sumsLine) {
    throw new AirgapError(
      'CHECKSUM_MISMATCH',
      `${label(id)}: ${id.filename} has sha256 ${digest.sha256}, but the signed ${promised.sumsUrl} says ${promised.sumsLine}`,
      { ...details(id), address: promised.sumsUrl, expected: promised.sumsLine, actual: digest.sha256 },
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
        );
      }
    }
  }
}

export interface LockCheck {
  /** Lock files that list one of this package's hashes. */
  confirmedBy: string[];
  /** Lock files that record only h1: hashes, none of this package's: probably written on another platform. */
  unconfirmedBy: string[];
}

/**
 * A package against the hashes each lock file records for its version.
 * - A lock file holding zh: hashes holds the whole signed checksum list of the
 *   release (tofu records every SHA256SUMS line), so the package's zh: (or h1:)
 *   must be there: LOCK_HASH_MISMATCH otherwise.
 * - A lock file holding only h1: hashes knows only the platforms it was used on.
 *   A miss is not proof of tampering (it is the incomplete lock file that
 *   --update-lockfiles exists to fix), so it is returned as unconfirmed; the
 *   caller requires some platform of the version to confirm, or warns.
 */
export function checkAgainstLockfiles(
  id: PackageIdentity,
  digest: PackageDigest,
  recorded: RecordedHashes[],
): LockCheck {
  const result: LockCheck = { confirmedBy: [], unconfirmedBy: [] };
  for (const r of recorded) {
    if (r.hashes.length === 0) continue;
    if (r.hashes.includes(digest.h1) || r.hashes.includes(digest.zh)) {
      result.confirmedBy.push(r.lockfile);
      continue;
    }
    if (!r.hashes.some((h) => h.startsWith('zh:'))) {
      result.unconfirmedBy.push(r.lockfile);
      continue;
    }
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
