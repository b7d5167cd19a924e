// The checks `airgap verify DIR` makes when DIR holds a tofurc.oci (a push with
// --push-providers happened): its oci_mirror blocks against tofu's rules, and, with
// --lockfile, each lock file against what tofu demands of a provider it installs from
// an OCI mirror. Pure: the parsed file, lock needs and digests in, report rows out.
//
// The lock-file rule, from opentofu internal/getproviders/package_location_oci_blob_archive.go
// (PackageOCIBlobArchive.InstallProviderPackage): when the lock file pins the version
// being installed and records hashes, the layer's digest, as "zh:" + its hex, must be
// one of them, or the install fails before the download. An h1: cannot stand in: it is
// computed from the unpacked files, which tofu never gets to see. A lock file made from
// a filesystem mirror (tofu providers lock -fs-mirror, or init against one) holds h1:
// only. providercache/installer.go passes the lock's PreferredHashes (h1: and zh:) as
// the allowed hashes, and none when the lock has no entry for the version.

import type { ReadOciMirror } from '../config/tofurc-oci.js';
import { providerPatternMatches } from '../config/tofurc-oci.js';
import { compareStrings } from '../compare.js';
import { formatProviderAddress, parseProviderAddress } from '../provider/address.js';
import { packageSubject, type LockNeed, type PackageIndex, type ZipDigestResult } from './verify-checks.js';
import type { CheckRow } from './verify-report.js';

/** One row for the file: ok, or a warning per block tofu would drop (or for a file without any). */
export function ociTofurcRows(file: string, mirrors: readonly ReadOciMirror[]): CheckRow[] {
  const dropped = mirrors.filter((m) => m.problem !== undefined);
  if (dropped.length > 0) {
    return dropped.map((m) => ({
      check: 'state',
      subject: file,
      status: 'warning',
      detail: `tofu drops this oci_mirror block (include ${m.block.include.join(', ') || 'none'}): ${m.problem!}; push the providers again (airgap import --push-providers) to rewrite ${file}`,
    }));
  }
  if (mirrors.length === 0) {
    return [
      {
        check: 'state',
        subject: file,
        status: 'warning',
        detail: `${file} has no oci_mirror block: tofu installs nothing with it; push the providers again (airgap import --push-providers) to rewrite it`,
      },
    ];
  }
  const hosts = [...new Set(mirrors.flatMap((m) => m.block.include.map((p) => p.split('/')[0]!)))];
  return [
    {
      check: 'state',
      subject: file,
      status: 'ok',
      detail: `${mirrors.length} oci_mirror block(s), valid by tofu's rules, for ${hosts.sort(compareStrings).join(', ')}`,
    },
  ];
}

/**
 * For every provider version a lock file names that a valid block of tofurc.oci
 * serves, on every platform of the destination whose package verified: the lock file
 * must record the package's zh:, which is the layer the push wrote (a warning when it
 * does not, naming the fix). Packages that are missing or unverified, and lock entries
 * without hashes, are left to the lockfile rows.
 */
export function ociLockfileRows(
  file: string,
  mirrors: readonly ReadOciMirror[],
  needs: readonly LockNeed[],
  index: PackageIndex,
  digests: ReadonlyMap<string, ZipDigestResult>,
): CheckRow[] {
  const rows: CheckRow[] = [];
  const served = mirrors.filter((m) => m.problem === undefined).flatMap((m) => m.block.include);
  const platforms = [...index.platforms].sort(compareStrings);
  for (const need of needs) {
    if (need.hashes.length === 0 || !served.some((p) => providerPatternMatches(p, need.address))) continue;
    const provider = index.providers.find(
      (p) => canonical(p.address) === canonical(need.address) && p.version === need.version,
    );
    for (const platform of platforms) {
      const pkg = provider?.packages.find((k) => k.platform === platform);
      const d = pkg === undefined ? undefined : digests.get(pkg.path);
      if (d === undefined) continue;
      const zh = `zh:${d.sha256}`;
      const subject = `${need.lockfile}: ${packageSubject(need.address, need.version, platform)} (oci_mirror)`;
      rows.push(
        need.hashes.includes(zh)
          ? { check: 'lockfile', subject, status: 'ok', detail: `records ${zh}, the layer ${file} installs` }
          : {
              check: 'lockfile',
              subject,
              status: 'warning',
              detail: `${need.lockfile} does not record ${zh}, the layer ${file} installs: tofu accepts a provider from an OCI mirror only when the lock file holds its zh: (an h1: does not count); run airgap mirror --update-lockfiles and use the lock file it completes`,
            },
      );
    }
  }
  return rows;
}

function canonical(address: string): string {
  try {
    return formatProviderAddress(parseProviderAddress(address));
  } catch {
    return address;
  }
}
