// `airgap mirror`: lock files in, a bundle directory out: the verified
// multi-platform provider mirror (provider-packages.ts), release binaries
// (binaries.ts), completed lock files (lockfiles.ts), config/ (config-writer.ts)
// and airgap.json (bundle-writer.ts). Takes options, never flags.

import fs from 'node:fs/promises';
import path from 'node:path';
import { removeStaleTemps } from '../../adapters/fs/atomic.js';
import { loadRegistryHosts } from '../../adapters/fs/cli-config-file.js';
import { sha256File } from '../../adapters/fs/sha256-file.js';
import { createHttpClient } from '../../adapters/http/client.js';
import { createRegistryClient } from '../../adapters/registry/registry-client.js';
import { lockfileCopyNames } from '../../core/bundle/lockfile-names.js';
import { creationTime, type ManifestBinary } from '../../core/bundle/manifest.js';
import { compareStrings } from '../../core/compare.js';
import { AirgapError, AirgapErrors, fromUnknown, isAirgapError } from '../../core/errors.js';
import { DEFAULT_MIRROR_PATH } from '../../core/config/index.js';
import { BUNDLE, releaseDir, providerDir } from '../../core/layout/names.js';
import { parseLocalProviderSpec, planProviderVersions, providerVersionKey } from '../../core/mirror/plan.js';
import type { HttpClient, ImageSource, ProviderRegistry, Reporter } from '../../core/ports.js';
import { formatPlatform, parsePlatform, type Platform } from '../../core/provider/platform.js';
import { needsReleaseList, type ReleaseManifestEntry } from '../../core/releases/index.js';
import { createLimiter, mapLimit } from '../concurrency.js';
import { exportBundle, type ExportOptions, type ExportResult } from '../export/export-service.js';
import { mirrorBinaries, type BinaryMirrorOptions } from './binaries.js';
import { checkConfigOptions, writeConfigs, type ConfigOptions } from './config-writer.js';
import {
  readPreviousManifest,
  scanProviders,
  writeLockfileCopies,
  writeManifest,
  type KnownPackage,
} from './bundle-writer.js';
import { TOOL_VERSION, USER_AGENT } from '../tool-version.js';
import { readLockfiles, updateLockfiles, type LockfileReport } from './lockfiles.js';
import {
  buildBundleImage,
  checkImageOptions,
  removeStaleImage,
  type RunnerImageOptions,
  type RunnerImageSummary,
} from './runner-image.js';
import {
  ProviderPackageMirror,
  directoryEntryWarnings,
  formatAddr,
  jobId,
  jobLabel,
  unconfirmedLockWarnings,
  writeNetworkMirrorJson,
  type Job,
  type JobOutcome,
  type MirroredVersion,
  type SkippedPackage,
} from './provider-packages.js';

export type { LockfileReport } from './lockfiles.js';
export type { MirroredPackage, MirroredVersion, PackageStatus, SkippedPackage } from './provider-packages.js';

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
  /** --tarball: pack the finished bundle (airgap export). */
  pack?: Omit<ExportOptions, 'bundleDir'>;
  /** --image: build the runner image into BUNDLE/image. */
  image?: RunnerImageOptions;
}

/** How many jobs may be in their metadata phase per download slot. */
const METADATA_FANOUT = 4;

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
  /** With --tarball: what airgap export wrote. */
  export?: ExportResult;
  /** With --image: the runner image built into BUNDLE/image. */
  image?: RunnerImageSummary;
}

export interface MirrorDeps {
  http?: HttpClient;
  registry?: ProviderRegistry;
  imageSource?: ImageSource;
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

  // Every option that can be checked without the network is checked before anything
  // is written: a typo must not leave a half-made bundle behind.
  needsReleaseList(options.binaries.tofu, 'tofu');
  needsReleaseList(options.binaries.terraform, 'terraform');
  checkConfigOptions(options.config);
  const tool = options.config.workflowTool;
  const imageOptions =
    options.image === undefined
      ? undefined
      : await checkImageOptions(options.image, {
          outDir: options.outDir,
          platforms: platforms.map(formatPlatform),
          tool,
          toolRequested: options.binaries[tool].length > 0,
        });

  const outDir = path.resolve(options.outDir);
  await checkOutDir(outDir);
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
      const { hosts, warnings } = await loadRegistryHosts(options.env);
      for (const w of warnings) reporter.warn(w);
      registry = createRegistryClient({ http, hosts });
    }
    const concurrency = Math.max(1, options.concurrency);
    const ctx = new ProviderPackageMirror(mirrorRoot, http, registry, reporter, createLimiter(concurrency));

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
        const err = fromUnknown(e, `${job.key} ${job.version} (${formatPlatform(job.platform)})`);
        if (!failures.some((f) => f.message === err.message)) failures.push(err);
        reporter.progress?.({ id: jobId(job), label: jobLabel(job), phase: 'failed' });
        return { job } satisfies JobOutcome;
      }
    });

    await writeNetworkMirrorJson(mirrorRoot, outcomes);
    const warnings = [
      ...unconfirmedLockWarnings(outcomes, options.updateLockfiles),
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
    const names = lockfileCopyNames(
      inputs.map((i) => ({ path: i.path, ...(i.dir === undefined ? {} : { dir: i.dir }) })),
      options.cwd ?? process.cwd(),
      BUNDLE.lockfilesDir,
    );
    const lockfileEntries = await writeLockfileCopies(
      outDir,
      updates.map((u, i) => ({ source: u.report.path, name: names[i]!, text: u.text, complete: u.complete })),
    );
    const previous = await readPreviousManifest(outDir);
    const known = new Map<string, KnownPackage>();
    for (const o of outcomes) {
      if (o.pkg === undefined) continue;
      const rel = `${BUNDLE.providersDir}/${providerDir(o.job.address)}/${o.pkg.filename}`;
      known.set(rel, { path: rel, sha256: o.pkg.sha256, size: o.pkg.size, local: o.pkg.status === 'local' });
    }
    const providerEntries = await scanProviders(outDir, known, previous);
    let image: Awaited<ReturnType<typeof buildBundleImage>> | undefined;
    if (imageOptions === undefined) await removeStaleImage(outDir, reporter);
    else {
      image = await buildBundleImage(
        {
          outDir,
          platforms: platforms.map(formatPlatform),
          providers: providerEntries.providers,
          binaries,
          tool,
          mirrorPath: options.config.mirrorPath ?? DEFAULT_MIRROR_PATH,
          caCertFiles: options.caCertFiles,
          env: options.env,
          image: imageOptions,
          ...(deps.imageSource === undefined ? {} : { source: deps.imageSource }),
        },
        reporter,
      );
      warnings.push(...image.warnings);
    }
    await writeManifest(outDir, {
      toolVersion: TOOL_VERSION,
      createdAt: creationTime(options.env),
      platforms: platforms.map(formatPlatform),
      lockfiles: lockfileEntries,
      ...providerEntries,
      binaries,
      configs,
      ...(image === undefined ? {} : { image: image.image }),
    });
    return {
      ...summarize(
        outDir,
        platforms,
        outcomes,
        updates.map((u) => u.report),
        warnings,
      ),
      ...(image === undefined ? {} : { image: image.summary }),
      ...(options.pack === undefined
        ? {}
        : { export: await exportBundle({ ...options.pack, bundleDir: outDir }, reporter) }),
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

/** --out must be a directory or absent: a file there is a usage error, not a crash. */
async function checkOutDir(outDir: string): Promise<void> {
  const st = await fs.stat(outDir).catch(() => undefined);
  if (st !== undefined && !st.isDirectory()) {
    throw new AirgapError(
      'USAGE',
      `--out ${outDir} is a file; the bundle is a directory`,
      { path: outDir, expected: 'a directory (or a path that does not exist yet)', actual: 'a file' },
      'pass a directory path to --out, or remove the file',
    );
  }
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
