// Mirroring one provider package: the cache check against the recorded zh:, the
// registry round trips, the signature on SHA256SUMS, the streamed download, every
// check in src/core/mirror/package-check.ts, and the rename into place; plus the
// network-mirror JSON and the warnings derived from all packages of a run.

import fs from 'node:fs/promises';
import path from 'node:path';
import { digestZip, type ZipDigest } from '../../adapters/archive/zip-read.js';
import type { ZipStreamOutcome } from '../../adapters/archive/zip-stream.js';
import { writeDeterministicZip } from '../../adapters/archive/zip-write.js';
import { commitFile, readFileIfExists, tempPathBeside, writeFileAtomic } from '../../adapters/fs/atomic.js';
import { sha256File } from '../../adapters/fs/sha256-file.js';
import { parseSha256Sums } from '../../core/checksums/sha256sums.js';
import { AirgapError, fromUnknown, isAirgapError } from '../../core/errors.js';
import { hashZh } from '../../core/hash/package-hash.js';
import {
  providerDir,
  providerIndexPath,
  providerVersionJsonPath,
  providerZipName,
} from '../../core/layout/names.js';
import {
  parseVersionJson,
  renderIndexJson,
  renderVersionJson,
  type MirrorArchives,
} from '../../core/mirror/network-mirror-json.js';
import {
  checkAgainstLockfiles,
  checkChecksums,
  checkPackagesExtension,
  lockfilesAtRiskFromDirectoryEntries,
  needsSignedChecksums,
  signedChecksums,
  type LockCheck,
  type PackageDigest,
  type PackageIdentity,
  type SignedChecksums,
} from '../../core/mirror/package-check.js';
import { providerVersionKey, type PackageJob } from '../../core/mirror/plan.js';
import type { DownloadTap, HttpClient, ProviderRegistry, Reporter } from '../../core/ports.js';
import type { ProviderAddress } from '../../core/provider/address.js';
import { formatPlatform } from '../../core/provider/platform.js';
import { statedPackageSize, type DownloadInfo } from '../../core/registry/protocol.js';
import { redactUrl } from '../../core/redact.js';
import type { ProviderProvenance, SignedBy } from '../../core/sbom/build.js';
import { readPublicKeys, verifyDetachedSignature } from '../../core/signature/index.js';
import { lookUpPackage } from './package-lookup.js';
import { gatheredBytes } from './progress-bytes.js';
export type PackageStatus = 'downloaded' | 'cached' | 'local';

interface VerifiedSums {
  sums: Map<string, string>;
  signedBy: SignedBy;
}

/** URLs as the SBOM records them: never a credential (a presigned download URL's signature). */
function provenanceOf(info: DownloadInfo, signedBy: SignedBy): ProviderProvenance {
  return { downloadUrl: redactUrl(info.downloadUrl), sumsUrl: redactUrl(info.shasumsUrl), signedBy };
}

export interface MirroredPackage {
  platform: string;
  filename: string;
  size: number;
  sha256: string;
  h1: string;
  zh: string;
  status: PackageStatus;
}

export interface MirroredVersion {
  address: string;
  version: string;
  packages: MirroredPackage[];
}

export interface SkippedPackage {
  address: string;
  version: string;
  platform: string;
  reason: string;
}

export type Job = PackageJob;

/** Digests zips as they download (adapters/workers/zip-hash-pool.ts). */
export interface StreamDigests {
  start(label: string): StreamDigest;
  /** A package is to be fetched: get ready to digest (start the worker threads). */
  warm?(): void;
}

export interface StreamDigest extends DownloadTap {
  /** After the download: the zip's digest, or why the stream could not give one. */
  result(): Promise<ZipStreamOutcome>;
  abort(): void;
}

export interface JobOutcome {
  job: Job;
  /** The version's signed SHA256SUMS (file name -> sha256), when the run fetched it. */
  signedSums?: ReadonlyMap<string, string>;
  /** Where the package came from and which key signed its SHA256SUMS, when this run checked (the SBOM's). */
  provenance?: ProviderProvenance;
  pkg?: MirroredPackage;
  lockCheck?: LockCheck;
  skipped?: SkippedPackage;
  hasDirectoryEntries?: boolean;
  /** Where a downloaded or local package's h1 came from: its bytes as they were read once, or a second read of the file. */
  digestedFrom?: 'stream' | 'file';
}

export function formatAddr(a: ProviderAddress): string {
  return `${a.hostname}/${a.namespace}/${a.type}`;
}

export function jobId(job: Job): string {
  return `${job.key}@${job.version}/${formatPlatform(job.platform)}`;
}

export function jobLabel(job: Job): string {
  return `${job.key} ${job.version} ${formatPlatform(job.platform)}`;
}

/** Per-run caches and the work of mirroring one package. */
const UNSIGNED_REMEDY =
  'do not use this package: its checksum list is not signed by a key the registry vouches for';

export class ProviderPackageMirror {
  private readonly versionJson = new Map<string, Promise<MirrorArchives>>();
  private readonly sums = new Map<string, Promise<VerifiedSums>>();

  constructor(
    private readonly root: string,
    private readonly http: HttpClient,
    private readonly registry: ProviderRegistry,
    private readonly reporter: Reporter,
    private readonly downloadSlot: <R>(fn: () => Promise<R>) => Promise<R>,
    private readonly digests: StreamDigests,
  ) {}

  async mirrorOne(job: Job, skipMissing: boolean): Promise<JobOutcome> {
    const platform = formatPlatform(job.platform);
    const filename = providerZipName(job.address.type, job.version, job.platform);
    const dir = path.join(this.root, providerDir(job.address));
    const target = path.join(dir, filename);
    const id: PackageIdentity = { provider: job.key, version: job.version, platform, filename };
    await fs.mkdir(dir, { recursive: true });

    if (job.localPath !== undefined) return this.mirrorLocal(job, id, target);

    const cached = await this.cachedPackage(job, id, target);
    if (cached !== undefined) {
      this.reporter.progress?.({
        id: jobId(job),
        label: jobLabel(job),
        phase: 'cached',
        bytes: cached.pkg?.size,
      });
      return cached;
    }

    this.digests.warm?.();
    const found = await lookUpPackage(this.registry, job, id, skipMissing);
    if ('skipped' in found) {
      this.reporter.warn(`skipping: ${found.skipped}`);
      return { job, skipped: { address: job.key, version: job.version, platform, reason: found.skipped } };
    }
    const { info } = found;

    // The signature on the checksum list is checked while the package downloads (into a
    // temporary file): the package is checked against the list once both are done, and
    // nothing is renamed into place before. A bad list stops the download at its next chunk.
    const signed = this.verifiedSums(job, info);
    let sumsFailed: unknown;
    signed.catch((e: unknown) => (sumsFailed ??= e ?? new Error('the checksum list failed')));
    const stopIfSumsFailed = (): void => {
      if (sumsFailed !== undefined) throw fromUnknown(sumsFailed, jobLabel(job));
    };
    const tmp = tempPathBeside(target);
    const headers = await this.registry.headersFor(job.address, info.downloadUrl);
    const event = { id: jobId(job), label: jobLabel(job) };
    const stream = this.digests.start(`${job.key} ${job.version} (${platform}): ${filename}`);
    const tap: DownloadTap = {
      begin: (offset) => stream.begin(offset),
      write: (chunk) => {
        stopIfSumsFailed();
        return stream.write(chunk);
      },
      ...(stream.sha256 === undefined ? {} : { sha256: () => stream.sha256!() }),
      // The digest's worker writes the zip too: the main thread only copies each chunk once.
      ...(stream.writesFile === undefined || stream.flushed === undefined
        ? {}
        : {
            writesFile: (file: string, offset: number) => stream.writesFile!(file, offset),
            flushed: () => stream.flushed!(),
          }),
    };
    try {
      // The slot bounds the downloads themselves (--concurrency); metadata runs wider.
      let dl;
      try {
        dl = await this.downloadSlot(() => {
          stopIfSumsFailed();
          this.reporter.progress?.({ ...event, phase: 'start', total: statedPackageSize(info, platform) });
          return this.http.download(info.downloadUrl, tmp, {
            headers,
            onProgress: gatheredBytes((bytes) =>
              this.reporter.progress?.({ ...event, phase: 'bytes', bytes }),
            ),
            onTotal: (total) => this.reporter.progress?.({ ...event, phase: 'start', total }),
            tap,
          });
        });
      } catch (e) {
        // The list's own failure is the one to report, whatever it cut short.
        await signed.catch(() => undefined);
        if (sumsFailed !== undefined) throw sumsFailed;
        throw e;
      }
      const { sums, signedBy } = await signed;
      // Hashes before parsing: a tampered zip is a checksum failure, not a zip-format one.
      checkChecksums(id, dl, { shasum: info.shasum, sumsLine: sums.get(filename), sumsUrl: info.shasumsUrl });
      // The signed sha256 matched; now the central directory must confirm the streamed entries.
      const { zip, from } = await digestDownloaded(await stream.result(), tmp);
      const digest: PackageDigest = { sha256: dl.sha256, h1: zip.h1, zh: hashZh(dl.sha256) };
      checkPackagesExtension(id, digest, info.packages?.[platform]?.hashes);
      const lockCheck = checkAgainstLockfiles(
        id,
        digest,
        job.recorded,
        signedChecksums(info.shasumsUrl, sums),
      );
      await commitFile(tmp, target);
      this.reporter.progress?.({ ...event, phase: 'done', bytes: dl.size });
      return {
        job,
        lockCheck,
        signedSums: sums,
        provenance: provenanceOf(info, signedBy),
        hasDirectoryEntries: zip.hasDirectoryEntries,
        digestedFrom: from,
        pkg: {
          platform,
          filename,
          size: dl.size,
          sha256: dl.sha256,
          h1: zip.h1,
          zh: digest.zh,
          status: 'downloaded',
        },
      };
    } finally {
      stream.abort();
      await fs.rm(tmp, { force: true });
    }
  }

  /** A package already in the mirror counts only if its bytes still match the zh: we recorded when we verified it. */
  private async cachedPackage(
    job: Job,
    id: PackageIdentity,
    target: string,
  ): Promise<JobOutcome | undefined> {
    const archives = await this.readVersionJson(job.address, job.version);
    const entry = archives[id.platform];
    if (entry === undefined || entry.url !== id.filename) return undefined;
    const zh = entry.hashes.find((h) => h.startsWith('zh:'));
    const h1 = entry.hashes.find((h) => h.startsWith('h1:'));
    if (zh === undefined || h1 === undefined) return undefined;
    let actual;
    try {
      // Hashing is disk- and CPU-bound: the same slots as downloads, not the wide metadata fan-out.
      actual = await this.downloadSlot(() => sha256File(target));
    } catch {
      return undefined;
    }
    if (hashZh(actual.sha256) !== zh) {
      this.reporter.warn(
        `${id.provider} ${id.version} (${id.platform}): ${id.filename} in the mirror is damaged (sha256 ${actual.sha256}, recorded ${zh}); fetching it again`,
      );
      return undefined;
    }
    const digest: PackageDigest = { sha256: actual.sha256, h1, zh };
    const fetched =
      job.wantsSignedSums === true || needsSignedChecksums(digest, job.recorded)
        ? await this.signedChecksumsFor(job, id, actual.sha256)
        : undefined;
    const lockCheck = checkAgainstLockfiles(id, digest, job.recorded, fetched?.signed);
    return {
      job,
      lockCheck,
      ...(fetched === undefined ? {} : { signedSums: fetched.sums, provenance: fetched.provenance }),
      pkg: {
        platform: id.platform,
        filename: id.filename,
        size: actual.size,
        sha256: actual.sha256,
        h1,
        zh,
        status: 'cached',
      },
    };
  }

  /**
   * A lock file lacks a package already in the mirror: whether it merely lacks the
   * platform or the release changed, only the release's signed list can tell. It is
   * fetched (not the package), and the package is checked against it again.
   */
  private async signedChecksumsFor(
    job: Job,
    id: PackageIdentity,
    sha256: string,
  ): Promise<{ signed: SignedChecksums; sums: ReadonlyMap<string, string>; provenance: ProviderProvenance }> {
    const info = await this.registry.download(job.address, job.version, job.platform);
    const { sums, signedBy } = await this.verifiedSums(job, info);
    checkChecksums(
      id,
      { sha256 },
      { shasum: info.shasum, sumsLine: sums.get(id.filename), sumsUrl: info.shasumsUrl },
    );
    return { signed: signedChecksums(info.shasumsUrl, sums), sums, provenance: provenanceOf(info, signedBy) };
  }

  private readVersionJson(address: ProviderAddress, version: string): Promise<MirrorArchives> {
    const rel = providerVersionJsonPath(address, version);
    let p = this.versionJson.get(rel);
    if (p === undefined) {
      const file = path.join(this.root, rel);
      p = readFileIfExists(file).then((text) => (text === undefined ? {} : parseVersionJson(text, file)));
      this.versionJson.set(rel, p);
    }
    return p;
  }

  private verifiedSums(job: Job, info: DownloadInfo): Promise<VerifiedSums> {
    const cacheKey = `${info.shasumsUrl} ${info.shasumsSignatureUrl}`;
    let p = this.sums.get(cacheKey);
    if (p === undefined) {
      p = this.fetchVerifiedSums(job, info);
      this.sums.set(cacheKey, p);
    }
    return p;
  }

  private async fetchVerifiedSums(job: Job, info: DownloadInfo): Promise<VerifiedSums> {
    const [sumsBytes, sigBytes] = await Promise.all([
      this.http.getBytes(info.shasumsUrl, {
        headers: await this.registry.headersFor(job.address, info.shasumsUrl),
      }),
      this.http.getBytes(info.shasumsSignatureUrl, {
        headers: await this.registry.headersFor(job.address, info.shasumsSignatureUrl),
      }),
    ]);
    const subject = `${job.key} ${job.version} ${path.posix.basename(new URL(info.shasumsUrl).pathname)}`;
    if (info.signingKeys.length === 0) {
      throw new AirgapError(
        'SIGNATURE_INVALID',
        `${subject}: the registry's download response lists no signing keys, so the checksums cannot be verified`,
        {
          provider: job.key,
          version: job.version,
          expected: 'signing_keys.gpg_public_keys',
          actual: 'none',
        },
        UNSIGNED_REMEDY,
      );
    }
    const keys = await readPublicKeys(info.signingKeys.map((k) => k.asciiArmor).join('\n'));
    let check;
    try {
      check = await verifyDetachedSignature({ data: sumsBytes, signature: sigBytes, keys, subject });
    } catch (e) {
      if (!isAirgapError(e)) throw e;
      e.details.provider ??= job.key;
      e.details.version ??= job.version;
      throw e.remedy === undefined ? e.withRemedy(UNSIGNED_REMEDY) : e;
    }
    return {
      sums: parseSha256Sums(Buffer.from(sumsBytes).toString('utf8'), info.shasumsUrl),
      signedBy: {
        primaryKeyFingerprint: check.primaryKeyFingerprint,
        signingKeyFingerprint: check.signingKeyFingerprint,
      },
    };
  }

  private async mirrorLocal(job: Job, id: PackageIdentity, target: string): Promise<JobOutcome> {
    const src = job.localPath!;
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
        {
          path: src,
          provider: job.key,
          cause: e,
        },
      );
    }
    const tmp = tempPathBeside(target);
    try {
      if (head.equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]))) {
        await fs.copyFile(src, tmp);
      } else {
        const base = path.basename(src);
        const name = base.startsWith(`terraform-provider-${job.address.type}`)
          ? base
          : `terraform-provider-${job.address.type}_v${job.version}`;
        await writeDeterministicZip(tmp, [{ name, mode: 0o755, path: src }]);
      }
      // One read: the zip's sha256 and its stream digest together (the file again only
      // for a zip the stream reader does not follow).
      const { sha256, size, zip, from } = await readOnce(
        tmp,
        this.digests.start(`--local-provider ${job.key} ${job.version} (${id.platform}): ${src}`),
      );
      const digest: PackageDigest = { sha256, h1: zip.h1, zh: hashZh(sha256) };
      // An in-house package has no signed checksum list.
      const lockCheck = checkAgainstLockfiles(id, digest, job.recorded, undefined);
      await commitFile(tmp, target);
      this.reporter.progress?.({ id: jobId(job), label: jobLabel(job), phase: 'done', bytes: size });
      return {
        job,
        lockCheck,
        hasDirectoryEntries: zip.hasDirectoryEntries,
        digestedFrom: from,
        pkg: {
          platform: id.platform,
          filename: id.filename,
          size,
          sha256,
          h1: zip.h1,
          zh: digest.zh,
          status: 'local',
        },
      };
    } finally {
      await fs.rm(tmp, { force: true });
    }
  }
}

/**
 * The streamed digest when the central directory confirmed it; else (stored entries with data descriptors,
 * a layout the stream reader does not follow, a corrupt entry) the written file, read once.
 */
async function digestDownloaded(
  outcome: ZipStreamOutcome,
  file: string,
): Promise<{ zip: ZipDigest; from: 'stream' | 'file' }> {
  if (outcome.confirmed) return { zip: outcome.digest, from: 'stream' };
  return { zip: await digestZip(file), from: 'file' };
}

/** A written zip's sha256 and its digest in one read of the file (two for a zip the stream reader does not follow). */
async function readOnce(
  file: string,
  stream: StreamDigest,
): Promise<{ sha256: string; size: number; zip: ZipDigest; from: 'stream' | 'file' }> {
  try {
    stream.begin(0);
    const { sha256, size } = await sha256File(file, (chunk) => stream.write(chunk));
    return { sha256, size, ...(await digestDownloaded(await stream.result(), file)) };
  } finally {
    stream.abort();
  }
}

/**
 * The network-mirror index.json and VERSION.json of every provider version the run
 * holds, exactly those (a version or platform no longer requested is left out; the
 * prune stage deletes its files). Unchanged files are not rewritten.
 */
export async function writeNetworkMirrorJson(root: string, outcomes: JobOutcome[]): Promise<void> {
  const byProvider = new Map<string, { address: ProviderAddress; versions: Map<string, MirrorArchives> }>();
  for (const o of outcomes) {
    if (o.pkg === undefined) continue;
    const key = o.job.key;
    let entry = byProvider.get(key);
    if (entry === undefined) {
      entry = { address: o.job.address, versions: new Map() };
      byProvider.set(key, entry);
    }
    const archives = entry.versions.get(o.job.version) ?? {};
    archives[o.pkg.platform] = { url: o.pkg.filename, hashes: [o.pkg.h1, o.pkg.zh] };
    entry.versions.set(o.job.version, archives);
  }
  for (const { address, versions } of byProvider.values()) {
    for (const [version, archives] of versions) {
      const file = path.join(root, providerVersionJsonPath(address, version));
      const text = renderVersionJson({}, archives);
      if (text !== (await readFileIfExists(file))) await writeFileAtomic(file, text);
    }
    const indexFile = path.join(root, providerIndexPath(address));
    const indexText = renderIndexJson([], [...versions.keys()]);
    if (indexText !== (await readFileIfExists(indexFile))) await writeFileAtomic(indexFile, indexText);
  }
}

/** Platforms of one provider version that one lock file did not confirm. */
export interface LockGap {
  lockfile: string;
  key: string;
  version: string;
  /** Sorted. */
  platforms: string[];
}

/** The lock-file check results of a run, gathered per lock file and provider version. */
export function lockGaps(outcomes: JobOutcome[], pick: (c: LockCheck) => string[]): LockGap[] {
  const gaps = new Map<string, LockGap>();
  for (const o of outcomes) {
    if (o.lockCheck === undefined || o.pkg === undefined) continue;
    for (const lockfile of pick(o.lockCheck)) {
      const k = `${lockfile}\0${providerVersionKey(o.job.key, o.job.version)}`;
      const g = gaps.get(k) ?? { lockfile, key: o.job.key, version: o.job.version, platforms: [] };
      g.platforms.push(o.pkg.platform);
      gaps.set(k, g);
    }
  }
  return [...gaps.values()].map((g) => ({ ...g, platforms: g.platforms.sort() }));
}

/**
 * What the lock-file checks (checkAgainstLockfiles) leave to say:
 * - an h1:-only lock file that no mirrored platform of a version could confirm;
 * - a lock file that lacks some platforms of a version (all its zh: signed):
 *   a warning, unless --update-lockfiles completes it (updateLockfiles says so).
 */
export function unconfirmedLockWarnings(outcomes: JobOutcome[], updating: boolean): string[] {
  const confirmed = new Set(
    lockGaps(outcomes, (c) => c.confirmedBy).map(
      (g) => `${g.lockfile}\0${providerVersionKey(g.key, g.version)}`,
    ),
  );
  const warnings: string[] = [];
  for (const u of lockGaps(outcomes, (c) => c.unconfirmedBy)) {
    if (confirmed.has(`${u.lockfile}\0${providerVersionKey(u.key, u.version)}`)) continue;
    warnings.push(
      `${u.lockfile} records only h1: hashes for ${u.key} ${u.version}, and none matches the mirrored packages (${u.platforms.join(', ')}): ` +
        `it was probably written on another platform, so it cannot confirm them. They were verified against the registry's signed SHA256SUMS; ` +
        `--update-lockfiles records their hashes.`,
    );
  }
  if (updating) return warnings;
  for (const g of lockGaps(outcomes, (c) => c.lackingPlatformIn)) {
    const these =
      g.platforms.length === 1 ? 'this platform; its package was' : 'these platforms; their packages were';
    warnings.push(
      `${g.lockfile} has no hash for ${g.key} ${g.version} on ${g.platforms.join(', ')}. Every zh: it records is in the registry's signed SHA256SUMS, ` +
        `so it just lacks ${these} verified against that list alone. --update-lockfiles completes it.`,
    );
  }
  return warnings;
}

export function directoryEntryWarnings(outcomes: JobOutcome[], updating: boolean): string[] {
  const warnings: string[] = [];
  for (const o of outcomes) {
    if (o.pkg === undefined || !o.hasDirectoryEntries) continue;
    const atRisk = lockfilesAtRiskFromDirectoryEntries(o.pkg, true, o.job.recorded);
    if (atRisk.length === 0 || updating) continue;
    warnings.push(
      `${o.job.key} ${o.job.version} (${o.pkg.platform}): ${o.pkg.filename} holds directory entries, so \`init\` from this packed mirror ` +
        `computes a different h1: than the one recorded in ${atRisk.join(', ')} (golang/go#53448). ` +
        `Fix: re-run with --update-lockfiles to record ${o.pkg.zh}.`,
    );
  }
  return warnings;
}
