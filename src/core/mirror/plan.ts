// What to mirror: every provider version named by the input lock files, on every
// requested platform, plus in-house packages given with --local-provider.

import { compareStrings } from '../compare.js';
import { AirgapError } from '../errors.js';
import type { LockFile } from '../lockfile/model.js';
import { formatProviderAddress, parseProviderAddress, type ProviderAddress } from '../provider/address.js';
import { parsePlatform, type Platform } from '../provider/platform.js';

export interface LockfileInput {
  path: string;
  lock: LockFile;
  /** The file's text as read, kept so an unchanged file is copied byte for byte. */
  text: string;
  /** The --dir it was found under, if any (names its copy in the bundle). */
  dir?: string;
}

/** Hashes one lock file records for one provider version. */
export interface RecordedHashes {
  lockfile: string;
  hashes: string[];
}

export interface ProviderVersionRequest {
  address: ProviderAddress;
  /** "host/ns/type" */
  key: string;
  version: string;
  /** Each lock file that names this version, with the hashes it records (possibly none). */
  recorded: RecordedHashes[];
}

export function providerVersionKey(key: string, version: string): string {
  return `${key}@${version}`;
}

/** Deduplicates provider versions across lock files; a provider at several versions yields one request per version. */
export function planProviderVersions(inputs: LockfileInput[]): ProviderVersionRequest[] {
  const byKey = new Map<string, ProviderVersionRequest>();
  for (const { path, lock } of inputs) {
    for (const p of lock.providers) {
      const key = formatProviderAddress(p.address);
      const id = providerVersionKey(key, p.version);
      let req = byKey.get(id);
      if (req === undefined) {
        req = { address: p.address, key, version: p.version, recorded: [] };
        byKey.set(id, req);
      }
      req.recorded.push({ lockfile: path, hashes: [...p.hashes] });
    }
  }
  return [...byKey.values()].sort(
    (a, b) => compareStrings(a.key, b.key) || compareStrings(a.version, b.version),
  );
}

/**
 * The lock files' versions and the spec's, each version once: a version both name keeps
 * what the lock files record of it (so their hashes are still checked).
 */
export function mergeVersionRequests(
  fromLockfiles: readonly ProviderVersionRequest[],
  fromSpec: readonly ProviderVersionRequest[],
): ProviderVersionRequest[] {
  const byKey = new Map(fromLockfiles.map((r) => [providerVersionKey(r.key, r.version), r]));
  for (const r of fromSpec) {
    const k = providerVersionKey(r.key, r.version);
    if (!byKey.has(k)) byKey.set(k, r);
  }
  return [...byKey.values()].sort(
    (a, b) => compareStrings(a.key, b.key) || compareStrings(a.version, b.version),
  );
}

export interface LocalProviderSpec {
  address: ProviderAddress;
  key: string;
  version: string;
  platform: Platform;
  /** A zip, or a bare executable that gets packaged as one. */
  path: string;
}

const LOCAL_RE = /^([^@=]+)@([^=]+)=([a-z0-9]+_[a-z0-9]+):(.+)$/;

/** Parses `HOST/NS/TYPE@VERSION=OS_ARCH:PATH`. */
export function parseLocalProviderSpec(text: string): LocalProviderSpec {
  const m = LOCAL_RE.exec(text);
  if (!m || m[1] === undefined || m[2] === undefined || m[3] === undefined || m[4] === undefined) {
    throw new AirgapError(
      'LOCAL_PROVIDER_INVALID',
      `invalid --local-provider "${text}": expected HOST/NS/TYPE@VERSION=OS_ARCH:PATH`,
      {
        expected:
          'HOST/NS/TYPE@VERSION=OS_ARCH:PATH, e.g. registry.myorg.io/myorg/sops@1.0.0=linux_amd64:./sops.zip',
        actual: text,
      },
    );
  }
  const source = m[1];
  if (source.split('/').length !== 3) {
    throw new AirgapError(
      'LOCAL_PROVIDER_INVALID',
      `invalid --local-provider "${text}": the address must be fully qualified HOST/NS/TYPE`,
      {
        expected: 'HOST/NS/TYPE',
        actual: source,
      },
    );
  }
  const address = parseProviderAddress(source);
  const version = m[2];
  if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(version)) {
    throw new AirgapError(
      'LOCAL_PROVIDER_INVALID',
      `invalid version "${version}" in --local-provider "${text}": expected MAJOR.MINOR.PATCH`,
      {
        expected: 'MAJOR.MINOR.PATCH',
        actual: version,
      },
    );
  }
  return { address, key: formatProviderAddress(address), version, platform: parsePlatform(m[3]), path: m[4] };
}

/** One package to put in the mirror: a provider version on one platform. */
export interface PackageJob {
  address: ProviderAddress;
  /** "host/ns/type" */
  key: string;
  version: string;
  platform: Platform;
  /** What each input lock file records for this version. */
  recorded: RecordedHashes[];
  /** An in-house package (--local-provider): taken from this file, not a registry. */
  localPath?: string;
  /**
   * Keep the version's signed SHA256SUMS in the outcome, even for a package already in
   * the mirror (the lock file airgap writes for the spec's providers lists every line).
   */
  wantsSignedSums?: boolean;
}

/**
 * Every package of the run: each requested provider version on each platform, then the
 * in-house packages, which replace a registry package of the same version and platform.
 * A local package records what the lock files say of its version, so they are checked.
 */
export function planPackageJobs(
  versions: readonly ProviderVersionRequest[],
  locals: readonly LocalProviderSpec[],
  platforms: readonly Platform[],
  inputs: readonly LockfileInput[],
): PackageJob[] {
  const jobs: PackageJob[] = [];
  for (const req of versions) {
    for (const platform of platforms) {
      jobs.push({
        address: req.address,
        key: req.key,
        version: req.version,
        platform,
        recorded: req.recorded,
      });
    }
  }
  for (const l of locals) {
    const recorded = inputs.flatMap((i) =>
      i.lock.providers
        .filter((p) => formatProviderAddress(p.address) === l.key && p.version === l.version)
        .map((p) => ({ lockfile: i.path, hashes: p.hashes })),
    );
    const job: PackageJob = {
      address: l.address,
      key: l.key,
      version: l.version,
      platform: l.platform,
      recorded,
      localPath: l.path,
    };
    const dup = jobs.findIndex(
      (j) => j.key === l.key && j.version === l.version && samePlatform(j.platform, l.platform),
    );
    if (dup >= 0) jobs[dup] = job;
    else jobs.push(job);
  }
  return jobs;
}

function samePlatform(a: Platform, b: Platform): boolean {
  return a.os === b.os && a.arch === b.arch;
}
