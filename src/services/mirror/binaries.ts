// `airgap mirror --tofu/--terraform`: OpenTofu and Terraform release zips, verified
// and stored under DIR/tofu/V/ and DIR/terraform/V/ with their SHA256SUMS and
// signature as downloaded, so that an audit can verify them again offline.
//
// Per release: the signature on SHA256SUMS first (pinned vendor key, or --*-key),
// then each zip's sha256 against its line. A release is stored whole or not at all:
// its zips go to temp names and are renamed into place only when every requested
// platform has passed; SHA256SUMS and the signature are written last. A re-run
// re-verifies the stored SHA256SUMS and signature (no network) and skips zips that
// still match their line.
//
// planBinaries (for `airgap plan`) makes the same decisions and checks up to the
// downloads, and writes nothing.

import fs from 'node:fs/promises';
import path from 'node:path';
import { commitFile, removeStaleTemps, tempPathBeside, writeFileAtomic } from '../../adapters/fs/atomic.js';
import { sha256File } from '../../adapters/fs/sha256-file.js';
import { expectSha256, parseSha256Sums } from '../../core/checksums/sha256sums.js';
import { compareStrings } from '../../core/compare.js';
import { AirgapError, AirgapErrors, fromUnknown, isAirgapError } from '../../core/errors.js';
import { releaseDir, releaseToolDir } from '../../core/layout/names.js';
import type { HttpClient, Reporter } from '../../core/ports.js';
import { formatPlatform, parsePlatform } from '../../core/provider/platform.js';
import {
  DEFAULT_TERRAFORM_API_URL,
  needsReleaseList,
  parseReleaseList,
  releaseFiles,
  releaseUrl,
  resolveToolVersions,
  type ReleaseListing,
  type ReleaseManifestEntry,
  type ReleasePlatformFile,
  type ReleaseTool,
  type ReleaseVerification,
} from '../../core/releases/index.js';
import {
  readPublicKeys,
  verifyDetachedSignature,
  type PublicKeySet,
  type SignatureCheck,
} from '../../core/signature/index.js';
import {
  HASHICORP_RELEASE_KEY,
  loadPinnedKey,
  OPENTOFU_RELEASE_KEY,
  type PinnedKey,
} from '../../core/trust/pinned-keys.js';
import { createLimiter, mapLimit } from '../concurrency.js';
import { gatheredBytes } from './progress-bytes.js';

export interface BinaryMirrorOptions {
  outDir: string;
  /** OS_ARCH, e.g. linux_amd64; every requested release is mirrored for each. */
  platforms: string[];
  /** Versions or constraints (tofu syntax); empty for none. */
  tofu: string[];
  /** OpenTofu's api.json; fetched only when a --tofu value is a constraint. */
  tofuApiUrl: string;
  /** Files at BASE/vV/NAME. */
  tofuBaseUrl: string;
  /** Trusted keys replacing the pinned OpenTofu key (an internal re-signing). */
  tofuKeyFile?: string;
  terraform: string[];
  /** HashiCorp's index.json; default https://releases.hashicorp.com/terraform/index.json. */
  terraformApiUrl?: string;
  /** Files at BASE/V/NAME. */
  terraformBaseUrl: string;
  terraformKeyFile?: string;
}

export interface BinaryMirrorDeps {
  http: HttpClient;
  reporter: Reporter;
  /** Downloads (and hashes of stored zips) in flight at once. */
  concurrency: number;
  /** The run's download slots, shared with the provider packages; else `concurrency` of its own. */
  slot?: <R>(fn: () => Promise<R>) => Promise<R>;
}

/** How many releases may be in their metadata phase per download slot. */
const METADATA_FANOUT = 4;

interface ToolRequest {
  tool: ReleaseTool;
  requested: string[];
  apiUrl: string;
  baseUrl: string;
  keyFile: string | undefined;
  pinned: PinnedKey;
}

interface ToolPlan {
  tool: ReleaseTool;
  baseUrl: string;
  versions: string[];
  /** The release list, when one was fetched: version -> listed files. */
  listing: Map<string, ReleaseListing> | undefined;
  apiUrl: string;
  keys: PublicKeySet;
}

interface VerifiedSums {
  sums: Map<string, string>;
  check: SignatureCheck;
}

interface PlatformResult extends ReleasePlatformFile {
  /** Set for a fresh download still at its temp name. */
  tmp?: string;
}

export async function mirrorBinaries(
  options: BinaryMirrorOptions,
  deps: BinaryMirrorDeps,
): Promise<ReleaseManifestEntry[]> {
  const entries = await eachRelease(
    options,
    deps,
    (job) => job.run(),
    async (plans) => {
      for (const plan of plans) {
        const stale = await removeStaleTemps(path.join(options.outDir, releaseToolDir(plan.tool)));
        if (stale > 0)
          deps.reporter.info(`${plan.tool}: removed ${stale} partial file(s) left by an earlier run`);
      }
    },
  );
  // Stable: within a tool, the resolver's ascending version order stays.
  return entries.sort((a, b) => compareStrings(a.tool, b.tool));
}

/** One platform of a release as `mirror` would handle it (planBinaries). */
export interface ReleasePlatformPlan {
  platform: string;
  filename: string;
  /** Bundle-relative: tofu/1.8.5/tofu_1.8.5_linux_amd64.zip. */
  path: string;
  /** Where mirror would download it from. */
  url: string;
  /** The zip is in the bundle and a verified SHA256SUMS still vouches for it: mirror keeps it. */
  stored?: { sha256: string; size: number };
  /** Its line in the freshly fetched, verified SHA256SUMS (absent when mirror would not fetch the list). */
  sha256?: string;
}

/** One release as `mirror` would handle it, found without downloading a zip (planBinaries). */
export interface ReleasePlan {
  tool: ReleaseTool;
  version: string;
  /** Sorted by platform. */
  platforms: ReleasePlatformPlan[];
}

/**
 * What mirrorBinaries would do, for `airgap plan`, reading metadata only: the versions
 * resolved against the release lists, the stored SHA256SUMS re-verified and the stored
 * zips hashed against it (as a mirror re-run does), and, for a release mirror would go
 * to the network for, its SHA256SUMS fetched and its signature verified, every platform
 * checked against the list and its line. Nothing is written and no zip is downloaded.
 * Fails as mirrorBinaries would before its downloads.
 */
export async function planBinaries(
  options: BinaryMirrorOptions,
  deps: BinaryMirrorDeps,
): Promise<ReleasePlan[]> {
  const planned = await eachRelease(options, deps, (job) => job.planRelease());
  return planned.sort((a, b) => compareStrings(a.tool, b.tool));
}

/**
 * Resolves the requested versions (one tool's failure does not stop the other), then
 * runs `work` on every release; every failure is reported together.
 */
async function eachRelease<T>(
  options: BinaryMirrorOptions,
  deps: BinaryMirrorDeps,
  work: (job: ReleaseJob) => Promise<T>,
  beforeJobs?: (plans: ToolPlan[]) => Promise<void>,
): Promise<T[]> {
  const prepared = toolRequests(options);
  if (prepared === undefined) return [];
  const { requests, platforms } = prepared;

  // Absolute: the mirror service resolved it against the command's working directory.
  const outDir = options.outDir;
  const { http, reporter } = deps;
  const concurrency = Math.max(1, Math.floor(deps.concurrency));
  const slot = deps.slot ?? createLimiter(concurrency);

  const failures: AirgapError[] = [];
  // One tool's unreadable key or release list does not stop the other tool.
  const plans: ToolPlan[] = [];
  for (const [i, settled] of (
    await Promise.allSettled(requests.map((r) => planTool(r, http, reporter)))
  ).entries()) {
    if (settled.status === 'fulfilled') plans.push(settled.value);
    else failures.push(...flatten(settled.reason, requests[i]!.tool));
  }
  await beforeJobs?.(plans);

  const jobs = plans.flatMap((plan) => plan.versions.map((version) => ({ plan, version })));
  const results = await mapLimit(jobs, concurrency * METADATA_FANOUT, async ({ plan, version }) => {
    try {
      return await work(new ReleaseJob(plan, version, platforms, outDir, http, reporter, slot));
    } catch (e) {
      for (const err of flatten(e, `${plan.tool} ${version}`)) {
        err.details.version ??= version;
        failures.push(err);
      }
      return undefined;
    }
  });
  if (failures.length > 0) throw failures.length === 1 ? failures[0]! : new AirgapErrors(failures);
  return results.filter((r): r is Awaited<T> => r !== undefined);
}

/** The tools asked for and the platforms, checked; undefined when no release is asked for. */
function toolRequests(
  options: BinaryMirrorOptions,
): { requests: ToolRequest[]; platforms: string[] } | undefined {
  const requests: ToolRequest[] = [
    {
      tool: 'tofu' as const,
      requested: options.tofu,
      apiUrl: options.tofuApiUrl,
      baseUrl: options.tofuBaseUrl,
      keyFile: options.tofuKeyFile,
      pinned: OPENTOFU_RELEASE_KEY,
    },
    {
      tool: 'terraform' as const,
      requested: options.terraform,
      apiUrl: options.terraformApiUrl ?? DEFAULT_TERRAFORM_API_URL,
      baseUrl: options.terraformBaseUrl,
      keyFile: options.terraformKeyFile,
      pinned: HASHICORP_RELEASE_KEY,
    },
  ].filter((r) => r.requested.length > 0);
  if (requests.length === 0) return undefined;

  const platforms = [...new Set(options.platforms.map((p) => formatPlatform(parsePlatform(p))))].sort(
    compareStrings,
  );
  if (platforms.length === 0) {
    throw new AirgapError('USAGE', 'mirroring tofu/terraform binaries needs at least one --platform', {
      expected: 'a platform such as linux_amd64',
      actual: 'none',
    });
  }
  // Bad constraint syntax fails before any network or disk work.
  for (const r of requests) needsReleaseList(r.requested, r.tool);
  return { requests, platforms };
}

async function planTool(r: ToolRequest, http: HttpClient, reporter: Reporter): Promise<ToolPlan> {
  // Keys first: a bad --*-key file is a local mistake, reported before any network round trip.
  const keys = await trustedKeys(r);
  let listing: Map<string, ReleaseListing> | undefined;
  if (needsReleaseList(r.requested, r.tool)) {
    const json = await http.getJson(r.apiUrl);
    listing = new Map(parseReleaseList(r.tool, json, r.apiUrl).map((l) => [l.version, l]));
  }
  const versions = resolveToolVersions(
    r.requested,
    listing === undefined ? undefined : [...listing.keys()],
    r.tool,
  );
  if (listing !== undefined) reporter.info(`${r.tool}: ${r.requested.join(' | ')} -> ${versions.join(', ')}`);
  return {
    tool: r.tool,
    baseUrl: r.baseUrl,
    versions,
    listing,
    apiUrl: r.apiUrl,
    keys,
  };
}

/** The pinned vendor key, or every key in --tofu-key / --terraform-key FILE (an internal re-signing). */
async function trustedKeys(r: ToolRequest): Promise<PublicKeySet> {
  if (r.keyFile === undefined) return loadPinnedKey(r.pinned);
  let material: Buffer;
  try {
    material = await fs.readFile(r.keyFile);
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw new AirgapError(
      missing ? 'INPUT_NOT_FOUND' : 'FS_ERROR',
      `--${r.tool}-key ${r.keyFile}: ${missing ? 'no such file' : (e as Error).message}`,
      { path: r.keyFile, cause: e },
    );
  }
  return readPublicKeys(material, `--${r.tool}-key ${r.keyFile}`);
}

/** Mirroring one release: all requested platforms of one tool version. */
class ReleaseJob {
  private readonly dir: string;
  private readonly sumsName: string;
  private readonly sigName: string;
  private readonly sumsUrl: string;
  private readonly sigUrl: string;

  constructor(
    private readonly plan: ToolPlan,
    private readonly version: string,
    private readonly platforms: string[],
    private readonly outDir: string,
    private readonly http: HttpClient,
    private readonly reporter: Reporter,
    private readonly slot: <R>(fn: () => Promise<R>) => Promise<R>,
  ) {
    const first = releaseFiles(plan.tool, version, platforms[0]!);
    this.dir = path.join(outDir, releaseDir(plan.tool, version));
    this.sumsName = first.sums;
    this.sigName = first.sig;
    this.sumsUrl = releaseUrl(plan.baseUrl, first.sumsPath);
    this.sigUrl = releaseUrl(plan.baseUrl, first.sigPath);
  }

  private get label(): string {
    return `${this.plan.tool} ${this.version}`;
  }

  async run(): Promise<ReleaseManifestEntry> {
    const stored = await this.storedSums();
    const cached = new Map<string, ReleasePlatformFile>();
    if (stored !== undefined) {
      for (const platform of this.platforms) {
        const file = await this.cachedZip(platform, stored.sums);
        if (file !== undefined) cached.set(platform, file);
      }
      if (cached.size === this.platforms.length) {
        for (const file of cached.values()) this.progress(file.platform, 'cached', file.size);
        return this.entry([...cached.values()], stored.check);
      }
    }

    this.checkListed();
    const { sumsBytes, sigBytes, sums, check } = await this.fetchSums();

    const created = await this.makeDirs();
    const settled = await Promise.allSettled(
      this.platforms.map((platform) => {
        const hit = cached.get(platform);
        // A zip kept from an earlier run counts only if the list just verified still names its hash.
        if (hit !== undefined && sums.get(hit.filename) === hit.sha256)
          return Promise.resolve<PlatformResult>(hit);
        return this.slot(() => this.download(platform, sums));
      }),
    );
    const results: PlatformResult[] = [];
    const errors: unknown[] = [];
    for (const [i, s] of settled.entries()) {
      if (s.status === 'fulfilled') results.push(s.value);
      else errors.push(annotate(s.reason, this.platforms[i]!));
    }
    try {
      if (errors.length > 0)
        throw errors.length === 1
          ? errors[0]
          : new AirgapErrors(errors.flatMap((e) => flatten(e, this.label)));
      for (const r of results) {
        if (r.tmp !== undefined) await commitFile(r.tmp, path.join(this.dir, r.filename));
      }
      // Last: a crash before this leaves zips that a re-run cannot trust without fetching the list again.
      await writeFileAtomic(path.join(this.dir, this.sumsName), sumsBytes);
      await writeFileAtomic(path.join(this.dir, this.sigName), sigBytes);
    } catch (e) {
      await Promise.all(
        results.map((r) => (r.tmp === undefined ? undefined : fs.rm(r.tmp, { force: true }))),
      );
      await this.removeDirsIfEmpty(created);
      throw e;
    }
    return this.entry(
      results.map(({ platform, filename, sha256, size }) => ({ platform, filename, sha256, size })),
      check,
    );
  }

  /**
   * What run() would do, without downloading or writing anything: the zips it would
   * keep, and, when it would go to the network, the verified list's line for each.
   */
  async planRelease(): Promise<ReleasePlan> {
    const stored = await this.storedSums();
    const cached = new Map<string, ReleasePlatformFile>();
    if (stored !== undefined) {
      for (const platform of this.platforms) {
        const file = await this.cachedZip(platform, stored.sums);
        if (file !== undefined) cached.set(platform, file);
      }
    }
    const describe = (platform: string): ReleasePlatformPlan => {
      const files = releaseFiles(this.plan.tool, this.version, platform);
      return {
        platform,
        filename: files.zip,
        path: `${releaseDir(this.plan.tool, this.version)}/${files.zip}`,
        url: releaseUrl(this.plan.baseUrl, files.zipPath),
      };
    };
    const keep = (hit: ReleasePlatformFile): { sha256: string; size: number } => ({
      sha256: hit.sha256,
      size: hit.size,
    });
    if (cached.size === this.platforms.length) {
      return {
        tool: this.plan.tool,
        version: this.version,
        platforms: this.platforms.map((p) => ({ ...describe(p), stored: keep(cached.get(p)!) })),
      };
    }
    this.checkListed();
    const { sums } = await this.fetchSums();
    return {
      tool: this.plan.tool,
      version: this.version,
      platforms: this.platforms.map((platform) => {
        const hit = cached.get(platform);
        const line = sums.get(releaseFiles(this.plan.tool, this.version, platform).zip)!;
        return {
          ...describe(platform),
          sha256: line,
          ...(hit !== undefined && hit.sha256 === line ? { stored: keep(hit) } : {}),
        };
      }),
    };
  }

  /** SHA256SUMS and its signature from the release host, the signature verified, every platform's line required. */
  private async fetchSums(): Promise<{
    sumsBytes: Uint8Array;
    sigBytes: Uint8Array;
    sums: Map<string, string>;
    check: SignatureCheck;
  }> {
    const [sumsBytes, sigBytes] = await Promise.all([
      this.http.getBytes(this.sumsUrl),
      this.http.getBytes(this.sigUrl),
    ]).catch((e: unknown) => {
      // An exact version is fetched without the release list; a 404 on its SUMS means
      // there is no such release, which deserves that name, not an HTTP error.
      if (
        isAirgapError(e) &&
        e.code === 'HTTP_ERROR' &&
        e.details.status === 404 &&
        this.plan.listing === undefined
      ) {
        throw new AirgapError(
          'RELEASE_NOT_FOUND',
          `${this.label} is not released at ${this.plan.baseUrl}: ${e.details.address ?? this.sumsUrl} is 404 Not Found (check the version, or --${this.plan.tool}-base-url)`,
          {
            address: e.details.address ?? this.sumsUrl,
            expected: `${this.plan.tool} ${this.version}`,
            actual: '404',
            status: 404,
            cause: e,
          },
        );
      }
      throw e;
    });
    // The signature before any hash: an unsigned list vouches for nothing.
    const check = await this.verify(sumsBytes, sigBytes, this.sumsUrl);
    const sums = parseSha256Sums(Buffer.from(sumsBytes).toString('utf8'), this.sumsUrl);
    for (const platform of this.platforms) this.requireLine(sums, platform);
    return { sumsBytes, sigBytes, sums, check };
  }

  /** The stored SHA256SUMS, if it and its stored signature still verify; a stale copy is refetched. */
  private async storedSums(): Promise<VerifiedSums | undefined> {
    const sumsPath = path.join(this.dir, this.sumsName);
    const sigPath = path.join(this.dir, this.sigName);
    let sumsBytes: Buffer;
    let sigBytes: Buffer;
    try {
      [sumsBytes, sigBytes] = await Promise.all([fs.readFile(sumsPath), fs.readFile(sigPath)]);
    } catch {
      return undefined;
    }
    try {
      const check = await this.verify(sumsBytes, sigBytes, sumsPath);
      return { sums: parseSha256Sums(sumsBytes.toString('utf8'), sumsPath), check };
    } catch (e) {
      if (!isAirgapError(e)) throw e;
      this.reporter.warn(
        `${this.label}: the stored ${this.sumsName} no longer verifies (${e.message}); fetching it again`,
      );
      return undefined;
    }
  }

  private async cachedZip(
    platform: string,
    sums: Map<string, string>,
  ): Promise<ReleasePlatformFile | undefined> {
    const filename = releaseFiles(this.plan.tool, this.version, platform).zip;
    const expected = sums.get(filename);
    if (expected === undefined) return undefined;
    let actual: { sha256: string; size: number };
    try {
      actual = await this.slot(() => sha256File(path.join(this.dir, filename)));
    } catch {
      return undefined;
    }
    if (actual.sha256 !== expected) {
      this.reporter.warn(
        `${this.label} (${platform}): the stored ${filename} is damaged (sha256 ${actual.sha256}, ${this.sumsName} lists ${expected}); fetching it again`,
      );
      return undefined;
    }
    return { platform, filename, sha256: actual.sha256, size: actual.size };
  }

  private async verify(data: Uint8Array, signature: Uint8Array, where: string): Promise<SignatureCheck> {
    try {
      return await verifyDetachedSignature({
        data,
        signature,
        keys: this.plan.keys,
        subject: `${this.label} ${this.sumsName} (${where})`,
      });
    } catch (e) {
      if (!isAirgapError(e)) throw e;
      e.details.address ??= where;
      const flag = this.plan.tool === 'tofu' ? '--tofu-key' : '--terraform-key';
      throw e.code === 'SIGNATURE_INVALID' && e.remedy === undefined
        ? e.withRemedy(
            `do not use this release: ${this.sumsName} is not signed by the ${this.plan.tool} release key (pinned, or ${flag} for an internal re-signing)`,
          )
        : e;
    }
  }

  /** With a release list at hand, a platform it does not list fails before anything is fetched. */
  private checkListed(): void {
    const files = this.plan.listing?.get(this.version)?.files;
    if (files === undefined) return;
    for (const platform of this.platforms) {
      const zip = releaseFiles(this.plan.tool, this.version, platform).zip;
      if (files.includes(zip)) continue;
      const zips = files.filter((f) => f.endsWith('.zip'));
      throw new AirgapError(
        'PLATFORM_MISSING',
        `${this.label}: the release list ${this.plan.apiUrl} has no ${zip} for ${platform} (it lists ${zips.join(', ') || 'no zips'})`,
        {
          address: this.plan.apiUrl,
          version: this.version,
          platform,
          expected: zip,
          actual: zips.join(', '),
        },
        `drop --platform ${platform}, or pick a ${this.plan.tool} version released for it`,
      );
    }
  }

  private requireLine(sums: Map<string, string>, platform: string): void {
    const zip = releaseFiles(this.plan.tool, this.version, platform).zip;
    if (sums.has(zip)) return;
    throw new AirgapError(
      'CHECKSUM_MISSING',
      `${this.label} (${platform}): ${this.sumsUrl} has no line for ${zip}; an unlisted artifact is not trusted`,
      {
        address: this.sumsUrl,
        path: zip,
        version: this.version,
        platform,
        expected: `a line for ${zip}`,
        actual: 'no line',
      },
      `drop --platform ${platform}: the signed ${this.sumsName} does not vouch for a ${platform} build`,
    );
  }

  private async download(platform: string, sums: Map<string, string>): Promise<PlatformResult> {
    const files = releaseFiles(this.plan.tool, this.version, platform);
    const url = releaseUrl(this.plan.baseUrl, files.zipPath);
    const tmp = tempPathBeside(path.join(this.dir, files.zip));
    try {
      this.progress(platform, 'start');
      const dl = await this.http.download(url, tmp, {
        onProgress: gatheredBytes((bytes) => this.progress(platform, 'bytes', bytes)),
        onTotal: (total) => this.progress(platform, 'start', undefined, total),
      });
      expectSha256(sums, files.zip, dl.sha256, {
        sumsFile: this.sumsUrl,
        artifact: url,
        remedy: `the download differs from the signed ${this.sumsName}: re-run to fetch it again; if it persists, do not trust ${this.plan.baseUrl}`,
      });
      this.progress(platform, 'done', dl.size);
      return { platform, filename: files.zip, sha256: dl.sha256, size: dl.size, tmp };
    } catch (e) {
      await fs.rm(tmp, { force: true });
      this.progress(platform, 'failed');
      throw e;
    }
  }

  /** Creates the release directory; returns the directories this run created, deepest first. */
  private async makeDirs(): Promise<string[]> {
    const toolDir = path.dirname(this.dir);
    const created: string[] = [];
    for (const d of [this.dir, toolDir]) {
      if (!(await exists(d))) created.push(d);
    }
    await fs.mkdir(this.dir, { recursive: true });
    return created;
  }

  /** Undoes makeDirs for a failed release; a directory another release wrote into stays. */
  private async removeDirsIfEmpty(created: string[]): Promise<void> {
    for (const d of created) {
      await fs.rmdir(d).catch(() => undefined);
    }
  }

  private entry(platforms: ReleasePlatformFile[], check: SignatureCheck): ReleaseManifestEntry {
    const verifiedBy: ReleaseVerification = {
      primaryKeyFingerprint: check.primaryKeyFingerprint,
      signingKeyFingerprint: check.signingKeyFingerprint,
      keyExpiredSince: check.keyExpiredSince,
    };
    return {
      tool: this.plan.tool,
      version: this.version,
      platforms: [...platforms].sort((a, b) => compareStrings(a.platform, b.platform)),
      sums: this.sumsName,
      signature: this.sigName,
      verifiedBy,
    };
  }

  private progress(
    platform: string,
    phase: 'start' | 'bytes' | 'done' | 'cached' | 'failed',
    bytes?: number,
    total?: number,
  ): void {
    this.reporter.progress?.({
      id: `${this.plan.tool}@${this.version}/${platform}`,
      label: `${this.label} ${platform}`,
      phase,
      ...(bytes === undefined ? {} : { bytes }),
      ...(total === undefined ? {} : { total }),
    });
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.stat(p);
    return true;
  } catch {
    return false;
  }
}

function annotate(e: unknown, platform: string): unknown {
  if (isAirgapError(e)) e.details.platform ??= platform;
  return e;
}

/** Every AirgapError inside `e`; anything else as fromUnknown sees it, naming the release. */
function flatten(e: unknown, label: string): AirgapError[] {
  if (e instanceof AirgapErrors) return e.errors;
  return [fromUnknown(e, label)];
}
