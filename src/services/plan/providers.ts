// Plan stage: every provider package of the request, as mirror would handle it, found
// from metadata only. A package mirror would keep (its VERSION.json lists it with the
// zh: it was verified with, and the file still hashes to that) is present, with the
// registry asked only where mirror asks it (the spec's providers, a lock file lacking
// the package). Any other package is looked up as mirror looks it up before its
// download: the version list, the download answer, the SHA256SUMS with its signature
// verified against the registry's keys, the promised sha256 against its signed line;
// its size is the answer's package_size, else a HEAD of the download URL. No zip is
// fetched. An in-house package (--local-provider) is read, and zipped into the temp
// directory when it is a bare executable, to tell whether the bundle holds it already.
//
// The package-level lookups follow ProviderPackageMirror.mirrorOne
// (src/services/mirror/provider-packages.ts) step by step, up to its download.

import fs from 'node:fs/promises';
import path from 'node:path';
import { digestZip } from '../../adapters/archive/zip-read.js';
import { writeDeterministicZip } from '../../adapters/archive/zip-write.js';
import { sha256File } from '../../adapters/fs/sha256-file.js';
import { parseSha256Sums } from '../../core/checksums/sha256sums.js';
import { AirgapError, fromUnknown, isAirgapError } from '../../core/errors.js';
import { hashZh } from '../../core/hash/package-hash.js';
import { BUNDLE, TEMP_PREFIX, providerZipName, providerZipPath } from '../../core/layout/names.js';
import {
  checkAgainstLockfiles,
  checkChecksums,
  checkPackagesExtension,
  needsSignedChecksums,
  signedChecksums,
  type PackageDigest,
  type PackageIdentity,
  type SignedChecksums,
} from '../../core/mirror/package-check.js';
import type { PackageJob } from '../../core/mirror/plan.js';
import type { PlanItem, PlanSkipped } from '../../core/plan/index.js';
import type { HttpClient, ProviderRegistry, Reporter } from '../../core/ports.js';
import { formatPlatform } from '../../core/provider/platform.js';
import { statedPackageSize, type DownloadInfo } from '../../core/registry/protocol.js';
import { readPublicKeys, verifyDetachedSignature } from '../../core/signature/index.js';
import { mapLimit } from '../concurrency.js';
import type { BundleState } from './bundle-state.js';
import { lookUpPackage } from '../mirror/package-lookup.js';

/** How many packages may be in their metadata phase per concurrency slot (as mirror runs them). */
const METADATA_FANOUT = 4;

const UNSIGNED_REMEDY =
  'do not use this package: its checksum list is not signed by a key the registry vouches for';

export interface PackagePlan {
  job: PackageJob;
  /** Absent when mirror would skip the package. */
  item?: PlanItem;
  skipped?: PlanSkipped;
  /** The package's hashes as far as metadata tells: zh: always (but for a bare executable), h1: when known. */
  zh?: string;
  h1?: string;
  /** The version's verified SHA256SUMS, when the plan fetched it. */
  signedSums?: ReadonlyMap<string, string>;
}

export interface ProvidersPlanResult {
  packages: PackagePlan[];
  failures: AirgapError[];
}

export async function planProviderPackages(
  input: { jobs: readonly PackageJob[]; concurrency: number; skipMissingPlatforms: boolean; tempDir: string },
  deps: { http: HttpClient; registry: ProviderRegistry; reporter: Reporter; bundle: BundleState },
): Promise<ProvidersPlanResult> {
  const planner = new PackagePlanner(deps.http, deps.registry, deps.reporter, deps.bundle, input.tempDir);
  const failures: AirgapError[] = [];
  const planned = await mapLimit(
    input.jobs,
    Math.max(1, input.concurrency) * METADATA_FANOUT,
    async (job): Promise<PackagePlan | undefined> => {
      try {
        return await planner.planOne(job, input.skipMissingPlatforms);
      } catch (e) {
        const err = fromUnknown(e, `${job.key} ${job.version} (${formatPlatform(job.platform)})`);
        if (!failures.some((f) => f.message === err.message)) failures.push(err);
        return undefined;
      }
    },
  );
  return { packages: planned.filter((p): p is PackagePlan => p !== undefined), failures };
}

/** A package's item from what is known of its size and fate. */
type ItemOf = (fields: Pick<PlanItem, 'size' | 'sizeSource' | 'action'> & { note?: string }) => PlanItem;

class PackagePlanner {
  private readonly sums = new Map<string, Promise<Map<string, string>>>();

  constructor(
    private readonly http: HttpClient,
    private readonly registry: ProviderRegistry,
    private readonly reporter: Reporter,
    private readonly bundle: BundleState,
    private readonly tempDir: string,
  ) {}

  async planOne(job: PackageJob, skipMissing: boolean): Promise<PackagePlan> {
    const platform = formatPlatform(job.platform);
    const filename = providerZipName(job.address.type, job.version, job.platform);
    const rel = `${BUNDLE.providersDir}/${providerZipPath(job.address, job.version, job.platform)}`;
    const id: PackageIdentity = { provider: job.key, version: job.version, platform, filename };
    const item: ItemOf = (fields) => ({
      kind: 'provider',
      subject: `${job.key} ${job.version} ${platform}`,
      path: rel,
      ...fields,
    });

    if (job.localPath !== undefined) return this.planLocal(job, id, rel, item);
    const kept = await this.keptPackage(job, id, rel);
    if (kept !== undefined) return this.planKept(job, id, kept, item);
    return this.planDownload(job, id, skipMissing, item);
  }

  /** A package mirror keeps: the registry is asked about it only where mirror asks, and it is checked again. */
  private async planKept(
    job: PackageJob,
    id: PackageIdentity,
    kept: { sha256: string; size: number; h1: string; zh: string },
    item: ItemOf,
  ): Promise<PackagePlan> {
    const digest: PackageDigest = { sha256: kept.sha256, h1: kept.h1, zh: kept.zh };
    let signedSums: ReadonlyMap<string, string> | undefined;
    let signed: SignedChecksums | undefined;
    if (job.wantsSignedSums === true || needsSignedChecksums(digest, job.recorded)) {
      const info = await this.registry.download(job.address, job.version, job.platform);
      const sums = await this.verifiedSums(job, info);
      checkChecksums(
        id,
        { sha256: kept.sha256 },
        { shasum: info.shasum, sumsLine: sums.get(id.filename), sumsUrl: info.shasumsUrl },
      );
      signedSums = sums;
      signed = signedChecksums(info.shasumsUrl, sums);
    }
    checkAgainstLockfiles(id, digest, job.recorded, signed);
    return {
      job,
      item: item({ size: kept.size, sizeSource: 'bundle', action: 'present' }),
      zh: kept.zh,
      h1: kept.h1,
      ...(signedSums === undefined ? {} : { signedSums }),
    };
  }

  /** A package mirror would download: looked up as mirror looks it up, up to the download. */
  private async planDownload(
    job: PackageJob,
    id: PackageIdentity,
    skipMissing: boolean,
    item: ItemOf,
  ): Promise<PackagePlan> {
    const { platform, filename } = id;
    const found = await lookUpPackage(this.registry, job, id, skipMissing);
    if ('skipped' in found) {
      this.reporter.warn(`mirror would skip: ${found.skipped}`);
      return { job, skipped: { address: job.key, version: job.version, platform, reason: found.skipped } };
    }
    const { info } = found;
    // The signature on the checksum list, then what the answer promises against its line:
    // a download answer that disagrees with the signed list fails mirror after the download.
    const sums = await this.verifiedSums(job, info);
    const line = sums.get(filename);
    if (line !== undefined && line !== info.shasum) {
      throw new AirgapError(
        'CHECKSUM_MISMATCH',
        `${job.key} ${job.version} (${platform}): the registry's download answer promises sha256 ${info.shasum} for ${filename}, but the signed ${info.shasumsUrl} lists ${line}; mirror would refuse the package`,
        {
          provider: job.key,
          version: job.version,
          platform,
          address: info.shasumsUrl,
          expected: line,
          actual: info.shasum,
        },
        'the registry contradicts its own signed checksum list: do not trust this release until it is fixed',
      );
    }
    // A missing line fails as it fails mirror.
    checkChecksums(
      id,
      { sha256: info.shasum },
      { shasum: info.shasum, sumsLine: line, sumsUrl: info.shasumsUrl },
    );
    const zh = hashZh(info.shasum);
    const ext = info.packages?.[platform]?.hashes;
    const h1 = ext?.find((h) => h.startsWith('h1:'));
    if (h1 !== undefined) {
      const digest: PackageDigest = { sha256: info.shasum, h1, zh };
      checkPackagesExtension(id, digest, ext);
      // With the package's h1: known, the lock files' verdict is known before the download.
      checkAgainstLockfiles(id, digest, job.recorded, signedChecksums(info.shasumsUrl, sums));
    }
    const stated = statedPackageSize(info, platform);
    let sized: Pick<PlanItem, 'size' | 'sizeSource'> & { note?: string };
    if (stated !== undefined) sized = { size: stated, sizeSource: 'registry package_size' };
    else {
      const head = await this.http.head(info.downloadUrl, {
        headers: await this.registry.headersFor(job.address, info.downloadUrl),
      });
      sized =
        head.size === undefined
          ? { size: null, sizeSource: null, note: 'not stated' }
          : { size: head.size, sizeSource: 'Content-Length' };
    }
    return {
      job,
      item: item({ ...sized, action: 'download' }),
      zh,
      ...(h1 === undefined ? {} : { h1 }),
      signedSums: sums,
    };
  }

  /** What mirror keeps: the VERSION.json entry with both hashes, and the file still hashing to its zh:. */
  private async keptPackage(
    job: PackageJob,
    id: PackageIdentity,
    rel: string,
  ): Promise<{ sha256: string; size: number; h1: string; zh: string } | undefined> {
    const entry = (await this.bundle.versionJson(job.address, job.version))[id.platform];
    if (entry === undefined || entry.url !== id.filename) return undefined;
    const zh = entry.hashes.find((h) => h.startsWith('zh:'));
    const h1 = entry.hashes.find((h) => h.startsWith('h1:'));
    if (zh === undefined || h1 === undefined) return undefined;
    const actual = await this.bundle.digest(rel);
    if (actual === undefined) return undefined;
    if (hashZh(actual.sha256) !== zh) {
      this.reporter.warn(
        `${id.provider} ${id.version} (${id.platform}): ${id.filename} in the bundle is damaged (sha256 ${actual.sha256}, recorded ${zh}); mirror would fetch it again`,
      );
      return undefined;
    }
    return { ...actual, h1, zh };
  }

  private async planLocal(
    job: PackageJob,
    id: PackageIdentity,
    rel: string,
    item: ItemOf,
  ): Promise<PackagePlan> {
    const src = job.localPath!;
    const zip = await this.localZip(job, src);
    try {
      const { sha256, size } = await sha256File(zip.path);
      const digest: PackageDigest = { sha256, h1: (await digestZip(zip.path)).h1, zh: hashZh(sha256) };
      // An in-house package has no signed checksum list (as mirror checks it).
      checkAgainstLockfiles(id, digest, job.recorded, undefined);
      const entry = (await this.bundle.versionJson(job.address, job.version))[id.platform];
      const inBundle = await this.bundle.digest(rel);
      const present = entry?.hashes.includes(digest.zh) === true && inBundle?.sha256 === sha256;
      return {
        job,
        item: present
          ? item({ size, sizeSource: 'bundle', action: 'present' })
          : item({ size, sizeSource: 'local', action: 'build', note: `from ${src}` }),
        zh: digest.zh,
        h1: digest.h1,
      };
    } finally {
      if (zip.cleanup !== undefined) await fs.rm(zip.cleanup, { recursive: true, force: true });
    }
  }

  /**
   * The package mirror would put in the bundle for `src`: the file itself when it is a
   * zip; else the zip mirror packs it into (mirrorLocal in provider-packages.ts: one
   * entry, 0755, named after the executable when it names the provider, else
   * terraform-provider-TYPE_vVERSION), written to the temp directory.
   */
  private async localZip(job: PackageJob, src: string): Promise<{ path: string; cleanup?: string }> {
    let head: Buffer;
    try {
      const fh = await fs.open(src, 'r');
      try {
        head = Buffer.alloc(4);
        await fh.read(head, 0, 4, 0);
      } finally {
        await fh.close();
      }
    } catch (e) {
      throw new AirgapError(
        'LOCAL_PROVIDER_INVALID',
        `--local-provider ${job.key}@${job.version}: cannot read ${src} (${(e as Error).message})`,
        { path: src, provider: job.key, cause: e },
      );
    }
    if (head.equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]))) return { path: src };
    const base = path.basename(src);
    const name = base.startsWith(`terraform-provider-${job.address.type}`)
      ? base
      : `terraform-provider-${job.address.type}_v${job.version}`;
    const dir = await fs.mkdtemp(path.join(this.tempDir, `${TEMP_PREFIX}plan-`));
    const tmp = path.join(dir, 'package.zip');
    await writeDeterministicZip(tmp, [{ name, mode: 0o755, path: src }]);
    return { path: tmp, cleanup: dir };
  }

  private verifiedSums(job: PackageJob, info: DownloadInfo): Promise<Map<string, string>> {
    const key = `${info.shasumsUrl} ${info.shasumsSignatureUrl}`;
    let p = this.sums.get(key);
    if (p === undefined) {
      p = this.fetchVerifiedSums(job, info);
      this.sums.set(key, p);
    }
    return p;
  }

  /** The version's SHA256SUMS, its signature verified against the keys the download answer names. */
  private async fetchVerifiedSums(job: PackageJob, info: DownloadInfo): Promise<Map<string, string>> {
    const subject = `${job.key} ${job.version} ${path.posix.basename(new URL(info.shasumsUrl).pathname)}`;
    if (info.signingKeys.length === 0) {
      throw new AirgapError(
        'SIGNATURE_INVALID',
        `${subject}: the registry's download response lists no signing keys, so the checksums cannot be verified`,
        { provider: job.key, version: job.version, expected: 'signing_keys.gpg_public_keys', actual: 'none' },
        UNSIGNED_REMEDY,
      );
    }
    const [sumsBytes, sigBytes] = await Promise.all([
      this.http.getBytes(info.shasumsUrl, {
        headers: await this.registry.headersFor(job.address, info.shasumsUrl),
      }),
      this.http.getBytes(info.shasumsSignatureUrl, {
        headers: await this.registry.headersFor(job.address, info.shasumsSignatureUrl),
      }),
    ]);
    const keys = await readPublicKeys(info.signingKeys.map((k) => k.asciiArmor).join('\n'));
    try {
      await verifyDetachedSignature({ data: sumsBytes, signature: sigBytes, keys, subject });
    } catch (e) {
      if (!isAirgapError(e)) throw e;
      e.details.provider ??= job.key;
      e.details.version ??= job.version;
      throw e.remedy === undefined ? e.withRemedy(UNSIGNED_REMEDY) : e;
    }
    return parseSha256Sums(Buffer.from(sumsBytes).toString('utf8'), info.shasumsUrl);
  }
}
