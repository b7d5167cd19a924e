// `airgap mirror`: lock files in, a verified multi-platform provider mirror out.
// Wires the pure core (planning, checks, network-mirror JSON, lock completion)
// to the adapters (HTTP, registry, zip, filesystem). Takes options, never flags.

import fs from 'node:fs/promises';
import path from 'node:path';
import { digestZip } from '../../adapters/archive/zip-read.js';
import { writeDeterministicZip } from '../../adapters/archive/zip-write.js';
import {
  commitFile,
  readFileIfExists,
  removeStaleTemps,
  tempPathBeside,
  writeFileAtomic,
} from '../../adapters/fs/atomic.js';
import { loadCliConfig } from '../../adapters/fs/cli-config-file.js';
import { findLockfiles } from '../../adapters/fs/find-lockfiles.js';
import { sha256File } from '../../adapters/fs/sha256-file.js';
import { createHttpClient } from '../../adapters/http/client.js';
import { createRegistryClient } from '../../adapters/registry/registry-client.js';
import { parseSha256Sums } from '../../core/checksums/sha256sums.js';
import { creationTime, type ManifestBinary } from '../../core/bundle/manifest.js';
import { compareStrings } from '../../core/compare.js';
import { AirgapError, AirgapErrors, isAirgapError } from '../../core/errors.js';
import { hashZh } from '../../core/hash/package-hash.js';
import {
  BUNDLE,
  releaseDir,
  providerDir,
  providerIndexPath,
  providerVersionJsonPath,
  providerZipName,
} from '../../core/layout/names.js';
import { formatLockFile, parseLockFile } from '../../core/lockfile/index.js';
import { completeLockFile } from '../../core/mirror/lock-completion.js';
import {
  parseIndexJson,
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
  type LockCheck,
  type PackageDigest,
  type PackageIdentity,
} from '../../core/mirror/package-check.js';
import {
  parseLocalProviderSpec,
  planProviderVersions,
  providerVersionKey,
  type LockfileInput,
  type RecordedHashes,
} from '../../core/mirror/plan.js';
import type { HttpClient, ProviderRegistry, Reporter } from '../../core/ports.js';
import type { ProviderAddress } from '../../core/provider/address.js';
import { formatPlatform, parsePlatform, type Platform } from '../../core/provider/platform.js';
import type { DownloadInfo } from '../../core/registry/protocol.js';
import type { ReleaseManifestEntry } from '../../core/releases/index.js';
import { readPublicKeys, verifyDetachedSignature } from '../../core/signature/index.js';
import { createLimiter, mapLimit } from '../concurrency.js';
import { mirrorBinaries, type BinaryMirrorOptions } from './binaries.js';
import { writeConfigs, type ConfigOptions } from './config-writer.js';
import {
  readPreviousManifest,
  scanProviders,
  writeLockfileCopies,
  writeManifest,
  type KnownPackage,
} from './bundle-writer.js';
import { TOOL_VERSION, USER_AGENT } from '../tool-version.js';

export interface MirrorOptions {
  lockfiles: string[];
  dirs: string[];
  platforms: string[];
  outDir: string;
  concurrency: number;
  updateLockfiles: boolean;
  skipMissingPlatforms: boolean;
  localProviders: string[];
  caCertFiles: string[];
  env: Record<string, string | undefined>;
  /** Relative lock-file paths are named under lockfiles/ relative to this; default process.cwd(). */
  cwd?: string;
  /** tofu/terraform release binaries (empty lists: none). */
  binaries: Omit<BinaryMirrorOptions, 'outDir' | 'platforms'>;
  config: ConfigOptions;
}

/** How many jobs may be in their metadata phase per download slot. */
const METADATA_FANOUT = 4;

export type PackageStatus = 'downloaded' | 'cached' | 'local';

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

export interface LockfileReport {
  path: string;
  updated: boolean;
  hashesAdded: number;
}

/** The `--json` summary. Schema documented in docs/JSON-OUTPUT.md; version bumps on incompatible change. */
export interface MirrorResult {
  schemaVersion: 1;
  tool: string;
  outDir: string;
  platforms: string[];
  providers: MirroredVersion[];
  bytesDownloaded: number;
  packagesDownloaded: number;
  packagesCached: number;
  skipped: SkippedPackage[];
  lockfiles: LockfileReport[];
  warnings: string[];
  binaries: { tool: string; version: string; platforms: string[] }[];
  /** Bundle-relative paths of the generated configuration. */
  configs: string[];
}

interface Job {
  address: ProviderAddress;
  key: string;
  version: string;
  platform: Platform;
  recorded: RecordedHashes[];
  localPath?: string;
}

interface JobOutcome {
  job: Job;
  pkg?: MirroredPackage;
  lockCheck?: LockCheck;
  skipped?: SkippedPackage;
  hasDirectoryEntries?: boolean;
}

export interface MirrorDeps {
  http?: HttpClient;
  registry?: ProviderRegistry;
}

export async function runMirror(
  options: MirrorOptions,
  reporter: Reporter,
  deps: MirrorDeps = {},
): Promise<MirrorResult> {
  const platforms = [...new Set(options.platforms)].map(parsePlatform);
  const locals = options.localProviders.map(parseLocalProviderSpec);
  const inputs = await readLockfiles(options);
  const wantsBinaries = options.binaries.tofu.length > 0 || options.binaries.terraform.length > 0;
  if (inputs.length === 0 && locals.length === 0 && !wantsBinaries) {
    throw new AirgapError(
      'USAGE',
      'nothing to mirror: pass --lockfile FILE, --dir DIR, --local-provider, --tofu or --terraform',
      {
        expected: 'at least one lock file or local provider',
        actual: 'none',
      },
    );
  }

  const outDir = path.resolve(options.outDir);
  const mirrorRoot = path.join(outDir, BUNDLE.providersDir);
  await fs.mkdir(mirrorRoot, { recursive: true });
  const stale = await removeStaleTemps(mirrorRoot);
  if (stale > 0) reporter.info(`removed ${stale} partial file(s) left by an earlier run`);

  const ownHttp =
    deps.http === undefined
      ? createHttpClient({ userAgent: USER_AGENT, env: options.env, caCertFiles: options.caCertFiles })
      : undefined;
  const http = deps.http ?? ownHttp!;
  try {
    let registry = deps.registry;
    if (registry === undefined) {
      const { config, warnings } = await loadCliConfig(options.env);
      for (const w of warnings) reporter.warn(w);
      registry = createRegistryClient({ http, cliConfig: config, env: options.env });
    }
    const concurrency = Math.max(1, options.concurrency);
    const ctx = new MirrorContext(mirrorRoot, http, registry, reporter, createLimiter(concurrency));

    const jobs: Job[] = [];
    for (const req of planProviderVersions(inputs)) {
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
          .filter((p) => formatAddr(p.address) === l.key && p.version === l.version)
          .map((p) => ({ lockfile: i.path, hashes: p.hashes })),
      );
      const dup = jobs.findIndex(
        (j) =>
          j.key === l.key &&
          j.version === l.version &&
          formatPlatform(j.platform) === formatPlatform(l.platform),
      );
      const job = {
        address: l.address,
        key: l.key,
        version: l.version,
        platform: l.platform,
        recorded,
        localPath: l.path,
      };
      if (dup >= 0) jobs[dup] = job;
      else jobs.push(job);
    }

    // Release binaries download alongside the providers; their failures are reported with the rest.
    const binariesRun = mirrorBinaries(
      { ...options.binaries, outDir, platforms: platforms.map(formatPlatform) },
      { http, reporter, concurrency },
    ).then(
      (entries) => ({ entries, error: undefined as unknown }),
      (error: unknown) => ({ entries: [] as ReleaseManifestEntry[], error }),
    );

    const failures: AirgapError[] = [];
    // Metadata (versions, download JSON, signed SUMS) is latency-bound: run it wider, so
    // that the --concurrency download slots never wait on round trips.
    const outcomes = await mapLimit(jobs, concurrency * METADATA_FANOUT, async (job) => {
      try {
        return await ctx.mirrorOne(job, options.skipMissingPlatforms);
      } catch (e) {
        const err = isAirgapError(e)
          ? e
          : new AirgapError(
              'FS_ERROR',
              `${job.key} ${job.version} (${formatPlatform(job.platform)}): ${(e as Error).message}`,
              { cause: e },
            );
        if (!failures.some((f) => f.message === err.message)) failures.push(err);
        reporter.progress?.({ id: jobId(job), label: jobLabel(job), phase: 'failed' });
        return { job } satisfies JobOutcome;
      }
    });

    await writeNetworkMirrorJson(mirrorRoot, outcomes);
    const warnings = [
      ...unconfirmedLockWarnings(outcomes),
      ...directoryEntryWarnings(outcomes, options.updateLockfiles),
    ];
    for (const w of warnings) reporter.warn(w);

    const released = await binariesRun;
    if (released.error !== undefined) {
      const e = released.error;
      if (e instanceof AirgapErrors) failures.push(...e.errors);
      else if (isAirgapError(e)) failures.push(e);
      else throw e;
    }
    if (failures.length > 0) {
      throw failures.length === 1 ? failures[0]! : new AirgapErrors(failures);
    }
    const binaries = await binaryManifestEntries(outDir, released.entries);
    const configs = await writeConfigs(outDir, options.config, binaries, reporter);

    const updates = await updateLockfiles(inputs, outcomes, reporter, options.updateLockfiles);
    const lockfileEntries = await writeLockfileCopies(
      outDir,
      updates.map((u) => ({ source: u.report.path, text: u.text, complete: u.complete })),
      options.cwd ?? process.cwd(),
    );
    const known = new Map<string, KnownPackage>();
    for (const o of outcomes) {
      if (o.pkg === undefined) continue;
      const rel = `${BUNDLE.providersDir}/${providerDir(o.job.address)}/${o.pkg.filename}`;
      known.set(rel, { path: rel, sha256: o.pkg.sha256, size: o.pkg.size, local: o.pkg.status === 'local' });
    }
    const previous = await readPreviousManifest(outDir);
    await writeManifest(outDir, {
      toolVersion: TOOL_VERSION,
      createdAt: creationTime(options.env),
      platforms: platforms.map(formatPlatform),
      lockfiles: lockfileEntries,
      ...(await scanProviders(outDir, known, previous)),
      binaries,
      configs,
    });
    return {
      ...summarize(
        outDir,
        platforms,
        outcomes,
        updates.map((u) => u.report),
        warnings,
      ),
      binaries: binaries.map((b) => ({
        tool: b.tool,
        version: b.version,
        platforms: b.platforms.map((p) => p.platform),
      })),
      configs: configs.map((c) => c.path).sort(compareStrings),
    };
  } finally {
    await (ownHttp as { close?: () => Promise<void> } | undefined)?.close?.();
  }
}

async function readLockfiles(options: MirrorOptions): Promise<LockfileInput[]> {
  const paths: string[] = [...options.lockfiles];
  for (const d of options.dirs) paths.push(...(await findLockfiles(d)));
  const seen = new Set<string>();
  const inputs: LockfileInput[] = [];
  const errors: AirgapError[] = [];
  for (const p of paths) {
    let real: string;
    try {
      real = await fs.realpath(p);
    } catch (e) {
      errors.push(new AirgapError('INPUT_NOT_FOUND', `lock file ${p} does not exist`, { path: p, cause: e }));
      continue;
    }
    if (seen.has(real)) continue;
    seen.add(real);
    const text = await fs.readFile(real, 'utf8');
    try {
      inputs.push({ path: p, lock: parseLockFile(text, p), text });
    } catch (e) {
      if (e instanceof AirgapErrors) errors.push(...e.errors);
      else if (isAirgapError(e)) errors.push(e);
      else throw e;
    }
  }
  if (errors.length > 0) throw errors.length === 1 ? errors[0]! : new AirgapErrors(errors);
  return inputs;
}

function formatAddr(a: ProviderAddress): string {
  return `${a.hostname}/${a.namespace}/${a.type}`;
}

function jobId(job: Job): string {
  return `${job.key}@${job.version}/${formatPlatform(job.platform)}`;
}

function jobLabel(job: Job): string {
  return `${job.key} ${job.version} ${formatPlatform(job.platform)}`;
}

/** Per-run caches and the work of mirroring one package. */
class MirrorContext {
  private readonly versionJson = new Map<string, Promise<MirrorArchives>>();
  private readonly sums = new Map<string, Promise<Map<string, string>>>();

  constructor(
    private readonly root: string,
    private readonly http: HttpClient,
    private readonly registry: ProviderRegistry,
    private readonly reporter: Reporter,
    private readonly downloadSlot: <R>(fn: () => Promise<R>) => Promise<R>,
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

    const versions = await this.registry.versions(job.address);
    const v = versions.find((x) => x.version === job.version);
    if (v === undefined) {
      throw new AirgapError(
        'PROVIDER_NOT_FOUND',
        `${job.key} ${job.version}: the registry has no such version (it has ${versions.length} versions${versions.length ? `, newest ${versions[versions.length - 1]?.version}` : ''})`,
        {
          provider: job.key,
          version: job.version,
          expected: job.version,
          actual: versions
            .map((x) => x.version)
            .slice(-5)
            .join(', '),
        },
      );
    }
    if (v.platforms.length > 0 && !v.platforms.includes(platform)) {
      const reason = `the registry lists no ${platform} package for ${job.key} ${job.version} (it has ${v.platforms.join(', ')})`;
      if (skipMissing) {
        this.reporter.warn(`skipping: ${reason}`);
        return { job, skipped: { address: job.key, version: job.version, platform, reason } };
      }
      throw new AirgapError('PLATFORM_MISSING', reason, {
        provider: job.key,
        version: job.version,
        platform,
        expected: platform,
        actual: v.platforms.join(', '),
      });
    }

    let info: DownloadInfo;
    try {
      info = await this.registry.download(job.address, job.version, job.platform);
    } catch (e) {
      if (skipMissing && isAirgapError(e) && e.code === 'PLATFORM_MISSING') {
        this.reporter.warn(`skipping: ${e.message}`);
        return { job, skipped: { address: job.key, version: job.version, platform, reason: e.message } };
      }
      throw e;
    }
    if (info.filename !== filename) {
      throw new AirgapError(
        'REGISTRY_PROTOCOL',
        `${job.key} ${job.version} (${platform}): the registry names the package ${info.filename}, expected ${filename}`,
        {
          ...id,
          expected: filename,
          actual: info.filename,
        },
      );
    }

    // The signature on the checksum list first, then the package against it.
    const sums = await this.verifiedSums(job, info);
    const tmp = tempPathBeside(target);
    try {
      this.reporter.progress?.({
        id: jobId(job),
        label: jobLabel(job),
        phase: 'start',
        total: info.packages?.[platform]?.packageSize,
      });
      const dl = await this.http.download(info.downloadUrl, tmp, {
        headers: await this.registry.headersFor(job.address, info.downloadUrl),
        onProgress: (bytes) =>
          this.reporter.progress?.({ id: jobId(job), label: jobLabel(job), phase: 'bytes', bytes }),
      });
      // Hashes before parsing: a tampered zip is a checksum failure, not a zip-format one.
      checkChecksums(id, dl, { shasum: info.shasum, sumsLine: sums.get(filename), sumsUrl: info.shasumsUrl });
      const zip = await digestZip(tmp);
      const digest: PackageDigest = { sha256: dl.sha256, h1: zip.h1, zh: hashZh(dl.sha256) };
      checkPackagesExtension(id, digest, info.packages?.[platform]?.hashes);
      const lockCheck = checkAgainstLockfiles(id, digest, job.recorded);
      await commitFile(tmp, target);
      this.reporter.progress?.({ id: jobId(job), label: jobLabel(job), phase: 'done', bytes: dl.size });
      return {
        job,
        lockCheck,
        hasDirectoryEntries: zip.hasDirectoryEntries,
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
    const lockCheck = checkAgainstLockfiles(id, digest, job.recorded);
    return {
      job,
      lockCheck,
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

  private verifiedSums(job: Job, info: DownloadInfo): Promise<Map<string, string>> {
    const cacheKey = `${info.shasumsUrl} ${info.shasumsSignatureUrl}`;
    let p = this.sums.get(cacheKey);
    if (p === undefined) {
      p = this.fetchVerifiedSums(job, info);
      this.sums.set(cacheKey, p);
    }
    return p;
  }

  private async fetchVerifiedSums(job: Job, info: DownloadInfo): Promise<Map<string, string>> {
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
      );
    }
    const keys = await readPublicKeys(info.signingKeys.map((k) => k.asciiArmor).join('\n'));
    try {
      await verifyDetachedSignature({ data: sumsBytes, signature: sigBytes, keys, subject });
    } catch (e) {
      if (isAirgapError(e)) {
        e.details.provider ??= job.key;
        e.details.version ??= job.version;
      }
      throw e;
    }
    return parseSha256Sums(Buffer.from(sumsBytes).toString('utf8'), info.shasumsUrl);
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
      const { sha256, size } = await sha256File(tmp);
      const zip = await digestZip(tmp);
      const digest: PackageDigest = { sha256, h1: zip.h1, zh: hashZh(sha256) };
      const lockCheck = checkAgainstLockfiles(id, digest, job.recorded);
      await commitFile(tmp, target);
      this.reporter.progress?.({ id: jobId(job), label: jobLabel(job), phase: 'done', bytes: size });
      return {
        job,
        lockCheck,
        hasDirectoryEntries: zip.hasDirectoryEntries,
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

async function writeNetworkMirrorJson(root: string, outcomes: JobOutcome[]): Promise<void> {
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
    const indexFile = path.join(root, providerIndexPath(address));
    const existingIndex = await readFileIfExists(indexFile);
    const existingVersions = existingIndex === undefined ? [] : parseIndexJson(existingIndex, indexFile);
    for (const [version, added] of versions) {
      const file = path.join(root, providerVersionJsonPath(address, version));
      const existing = await readFileIfExists(file);
      const text = renderVersionJson(existing === undefined ? {} : parseVersionJson(existing, file), added);
      if (text !== existing) await writeFileAtomic(file, text);
    }
    const indexText = renderIndexJson(existingVersions, [...versions.keys()]);
    if (indexText !== existingIndex) await writeFileAtomic(indexFile, indexText);
  }
}

/** h1:-only lock files that no mirrored platform of a version could confirm (see checkAgainstLockfiles). */
function unconfirmedLockWarnings(outcomes: JobOutcome[]): string[] {
  const confirmed = new Set<string>();
  const unconfirmed = new Map<
    string,
    { lockfile: string; key: string; version: string; platforms: string[] }
  >();
  for (const o of outcomes) {
    if (o.lockCheck === undefined || o.pkg === undefined) continue;
    const v = providerVersionKey(o.job.key, o.job.version);
    for (const l of o.lockCheck.confirmedBy) confirmed.add(`${l}\0${v}`);
    for (const l of o.lockCheck.unconfirmedBy) {
      const k = `${l}\0${v}`;
      const u = unconfirmed.get(k) ?? { lockfile: l, key: o.job.key, version: o.job.version, platforms: [] };
      u.platforms.push(o.pkg.platform);
      unconfirmed.set(k, u);
    }
  }
  const warnings: string[] = [];
  for (const [k, u] of unconfirmed) {
    if (confirmed.has(k)) continue;
    warnings.push(
      `${u.lockfile} records only h1: hashes for ${u.key} ${u.version}, and none matches the mirrored packages (${u.platforms.sort().join(', ')}): ` +
        `it was probably written on another platform, so it cannot confirm them. They were verified against the registry's signed SHA256SUMS; ` +
        `--update-lockfiles records their hashes.`,
    );
  }
  return warnings;
}

function directoryEntryWarnings(outcomes: JobOutcome[], updating: boolean): string[] {
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

interface LockfileUpdate {
  report: LockfileReport;
  /** The text now on disk (completed, or as it was). */
  text: string;
  /** It now holds every hash the mirror has for its providers. */
  complete: boolean;
}

async function updateLockfiles(
  inputs: LockfileInput[],
  outcomes: JobOutcome[],
  reporter: Reporter,
  update: boolean,
): Promise<LockfileUpdate[]> {
  const hashes = new Map<string, string[]>();
  for (const o of outcomes) {
    if (o.pkg === undefined) continue;
    const k = providerVersionKey(o.job.key, o.job.version);
    hashes.set(k, [...(hashes.get(k) ?? []), o.pkg.h1, o.pkg.zh]);
  }
  const updates: LockfileUpdate[] = [];
  for (const input of inputs) {
    const { lock, changed, added } = completeLockFile(input.lock, hashes);
    if (update && changed) {
      const text = formatLockFile(lock);
      const st = await fs.stat(input.path);
      await writeFileAtomic(input.path, text, st.mode & 0o777);
      reporter.info(`${input.path}: added ${added} hash(es)`);
      updates.push({ report: { path: input.path, updated: true, hashesAdded: added }, text, complete: true });
    } else {
      updates.push({
        report: { path: input.path, updated: false, hashesAdded: 0 },
        text: input.text,
        complete: !changed,
      });
    }
  }
  return updates;
}

function summarize(
  outDir: string,
  platforms: Platform[],
  outcomes: JobOutcome[],
  lockfiles: LockfileReport[],
  warnings: string[],
): Omit<MirrorResult, 'binaries' | 'configs'> {
  const versions = new Map<string, MirroredVersion>();
  const skipped: SkippedPackage[] = [];
  let bytesDownloaded = 0;
  let packagesDownloaded = 0;
  let packagesCached = 0;
  for (const o of outcomes) {
    if (o.skipped) skipped.push(o.skipped);
    if (o.pkg === undefined) continue;
    const k = providerVersionKey(o.job.key, o.job.version);
    const v = versions.get(k) ?? { address: o.job.key, version: o.job.version, packages: [] };
    v.packages.push(o.pkg);
    versions.set(k, v);
    if (o.pkg.status === 'cached') packagesCached += 1;
    else {
      packagesDownloaded += o.pkg.status === 'downloaded' ? 1 : 0;
      bytesDownloaded += o.pkg.status === 'downloaded' ? o.pkg.size : 0;
    }
  }
  const providers = [...versions.values()].sort(
    (a, b) => compareStrings(a.address, b.address) || compareStrings(a.version, b.version),
  );
  for (const p of providers) p.packages.sort((a, b) => compareStrings(a.platform, b.platform));
  return {
    schemaVersion: 1,
    tool: `airgap/${TOOL_VERSION}`,
    outDir,
    platforms: platforms.map(formatPlatform),
    providers,
    bytesDownloaded,
    packagesDownloaded,
    packagesCached,
    skipped,
    lockfiles,
    warnings,
  };
}

async function binaryManifestEntries(
  outDir: string,
  entries: ReleaseManifestEntry[],
): Promise<ManifestBinary[]> {
  const out: ManifestBinary[] = [];
  for (const e of entries) {
    const dir = releaseDir(e.tool, e.version);
    const ref = async (name: string): Promise<{ path: string; size: number; sha256: string }> => {
      const { size, sha256 } = await sha256File(path.join(outDir, dir, name));
      return { path: `${dir}/${name}`, size, sha256 };
    };
    out.push({
      tool: e.tool,
      version: e.version,
      platforms: e.platforms.map((p) => ({
        platform: p.platform,
        path: `${dir}/${p.filename}`,
        size: p.size,
        sha256: p.sha256,
      })),
      sums: await ref(e.sums),
      signature: await ref(e.signature),
      verifiedBy: e.verifiedBy,
    });
  }
  return out;
}
