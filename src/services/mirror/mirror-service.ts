// `airgap mirror`: a request (airgap.yaml and flags, src/core/mirror/request.ts) in, a
// bundle directory out. The run is a list of stages (./stages/), each with narrow
// inputs: check, read the lock files, plan the packages, mirror providers and binaries,
// then configs, lock files, image, manifest, and pack. Takes options, never flags.
//
// The stages a run may not need (modules, the image, the tarball) are imported when the
// request asks for them: loaded at every start, they would bring git and zip handling,
// the OCI clients, tar and openpgp (test/integration/startup-modules.test.ts).

import type { S3AccessOptions } from '../../adapters/s3/client.js';
import path from 'node:path';
import { createHttpClient } from '../../adapters/http/client.js';
import { loadRegistryHosts } from '../../adapters/fs/cli-config-file.js';
import { createRegistryClient } from '../../adapters/registry/registry-client.js';
import type { ModuleRegistry } from '../../adapters/registry/module-registry-client.js';
import { compareStrings } from '../../core/compare.js';
import { AirgapErrors } from '../../core/errors.js';
import { DEFAULT_MIRROR_PATH } from '../../core/config/index.js';
import {
  mergeVersionRequests,
  parseLocalProviderSpec,
  planPackageJobs,
  planProviderVersions,
  providerVersionKey,
} from '../../core/mirror/plan.js';
import type { MirrorRequest } from '../../core/mirror/request.js';
import type {
  HttpClient,
  HttpObserver,
  ImageSource,
  ProviderRegistry,
  RegistryHosts,
  Reporter,
} from '../../core/ports.js';
import { formatPlatform, parsePlatform } from '../../core/provider/platform.js';
import { createLimiter } from '../concurrency.js';
import type { ExportResult } from '../export/export-service.js';
import { TOOL_VERSION, USER_AGENT } from '../tool-version.js';
import type { LockfileReport } from './lockfiles.js';
import type { JobOutcome, MirroredVersion, SkippedPackage } from './provider-packages.js';
import type { RunnerImageSummary } from './runner-image.js';
import { binaryManifestEntries, mirrorReleaseBinaries } from './stages/binaries.js';
import { checkRequest } from './stages/check.js';
import { readInputs } from './stages/inputs.js';
import { resolveSpecProviders } from './stages/resolve.js';
import type { ModulesResult } from './stages/modules.js';
import { mirrorProviders } from './stages/providers.js';

export type { LockfileReport } from './lockfiles.js';
export type { MirroredPackage, MirroredVersion, PackageStatus, SkippedPackage } from './provider-packages.js';

export interface MirrorOptions {
  request: MirrorRequest;
  /** How the run behaves, not what the bundle holds (flags only). */
  concurrency: number;
  updateLockfiles: boolean;
  skipMissingPlatforms: boolean;
  /** Proxies, CAs, tokens, SOURCE_DATE_EPOCH, AIRGAP_SIGN_PASSPHRASE are read from here. */
  env: Record<string, string | undefined>;
  /** Relative paths (and lock-file copy names) are resolved against this. */
  cwd: string;
  /** Scratch space for packing (npm pack of the tool). */
  tempDir: string;
  /** Told of every HTTP request the run makes (--verbose). */
  httpObserver?: HttpObserver;
  /** How to reach S3, for --tarball s3://BUCKET/KEY (docs/S3.md). */
  s3?: S3AccessOptions;
  /** --s3-abort-incomplete. */
  s3AbortIncomplete?: boolean;
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
  /** With --tarball: what airgap export wrote. */
  export?: ExportResult;
  /** With --image: the runner image built into BUNDLE/image. */
  image?: RunnerImageSummary;
  /** What this run removed because the request no longer names it, one line each. */
  removed: string[];
  /** Registry modules carried (docs/JSON-OUTPUT.md). */
  modules: { source: string; version: string; path: string; sha256: string; commit?: string }[];
}

export interface MirrorDeps {
  http?: HttpClient;
  registry?: ProviderRegistry;
  moduleRegistry?: ModuleRegistry;
  imageSource?: ImageSource;
}

export async function runMirror(
  options: MirrorOptions,
  reporter: Reporter,
  deps: MirrorDeps = {},
): Promise<MirrorResult> {
  const { request } = options;
  const platforms = [...new Set(request.platforms)].map(parsePlatform);
  const platformNames = platforms.map(formatPlatform);
  const locals = request.localProviders.map(parseLocalProviderSpec);
  const inputs = await readInputs(request, options.updateLockfiles, options.cwd);
  const checked = await checkRequest(request, inputs.length > 0, options.cwd);
  const { outDir } = checked;

  const ownHttp =
    deps.http === undefined
      ? createHttpClient({
          userAgent: USER_AGENT,
          env: options.env,
          caCertFiles: request.caCertFiles,
          ...(options.httpObserver === undefined ? {} : { observer: options.httpObserver }),
        })
      : undefined;
  const http = deps.http ?? ownHttp!;
  const base =
    request.specFile === undefined ? options.cwd : path.dirname(path.resolve(options.cwd, request.specFile));
  try {
    let hosts: RegistryHosts | undefined;
    const registryHosts = async (): Promise<RegistryHosts> =>
      (hosts ??= await openRegistryHosts(options.env, reporter));
    const registry = deps.registry ?? createRegistryClient({ http, hosts: await registryHosts() });
    const fromSpec = await resolveSpecProviders(
      {
        file: request.specFile ?? 'airgap.yaml',
        providers: request.providers,
        platforms: platformNames,
        skipMissingPlatforms: options.skipMissingPlatforms,
      },
      { registry, reporter },
    );
    const specVersions = new Set(fromSpec.versions.map((v) => providerVersionKey(v.key, v.version)));
    const jobs = planPackageJobs(
      mergeVersionRequests(planProviderVersions(inputs), fromSpec.versions),
      locals,
      platforms,
      inputs,
    ).map((j) =>
      specVersions.has(providerVersionKey(j.key, j.version)) ? { ...j, wantsSignedSums: true } : j,
    );

    // Release binaries download alongside the providers, in the same --concurrency slots;
    // failures are reported together.
    const slot = createLimiter(Math.max(1, options.concurrency));
    const finishing = finishStagesOnceBytesFlow(reporter);
    const [providers, released] = await Promise.all([
      mirrorProviders(
        {
          outDir,
          jobs,
          concurrency: options.concurrency,
          skipMissingPlatforms: options.skipMissingPlatforms,
          updateLockfiles: options.updateLockfiles,
        },
        { http, registry, reporter: finishing.reporter, slot },
      ),
      mirrorReleaseBinaries(
        { outDir, platforms: platformNames, binaries: request.binaries, concurrency: options.concurrency },
        { http, reporter: finishing.reporter, slot },
      ),
    ]);
    const failures = [...providers.failures, ...released.failures];
    if (failures.length > 0) throw failures.length === 1 ? failures[0]! : new AirgapErrors(failures);
    const { outcomes } = providers;
    const warnings = [...providers.warnings];

    let carried: ModulesResult = { modules: [], resolved: [] };
    if (request.modules.length > 0 || request.configurations.length > 0) {
      const [{ mirrorModules }, { createModuleRegistryClient }] = await Promise.all([
        import('./stages/modules.js'),
        import('../../adapters/registry/module-registry-client.js'),
      ]);
      carried = await mirrorModules(
        {
          outDir,
          wanted: request.modules,
          configurations: request.configurations.map((d) => path.resolve(options.cwd, d)),
          defaultHost: request.moduleDefaultHost,
          base,
          caCertFiles: request.caCertFiles,
          env: options.env,
          concurrency: options.concurrency,
        },
        {
          http,
          registry: deps.moduleRegistry ?? createModuleRegistryClient({ http, hosts: await registryHosts() }),
          reporter,
        },
      );
    }

    const {
      writeConfigs,
      writeLockfiles,
      pruneBundle,
      removeStaleImage,
      listProviders,
      writeBundleManifest,
      writeResolved,
      writeSbom,
    } = await finishing.stages();
    const binaries = await binaryManifestEntries(outDir, released.entries);
    const configs = await writeConfigs(outDir, request.configs, binaries, reporter);
    const lockfiles = await writeLockfiles(
      {
        outDir,
        inputs,
        outcomes,
        updateLockfiles: options.updateLockfiles,
        cwd: options.cwd,
        specProviders: fromSpec.resolved,
        tool: request.configs.workflowTool,
      },
      reporter,
    );
    const removed = await pruneBundle(
      outDir,
      { outcomes, binaries, configs, modules: carried.modules },
      reporter,
    );
    const providerEntries = await listProviders(outDir, outcomes);

    let image: Awaited<ReturnType<typeof import('./runner-image.js').buildBundleImage>> | undefined;
    if (checked.image === undefined) await removeStaleImage(outDir, reporter);
    else {
      const { buildBundleImage } = await import('./runner-image.js');
      image = await buildBundleImage(
        {
          outDir,
          platforms: platformNames,
          providers: providerEntries.providers,
          binaries,
          tool: request.configs.workflowTool,
          mirrorPath: request.configs.mirrorPath ?? DEFAULT_MIRROR_PATH,
          caCertFiles: request.caCertFiles,
          env: options.env,
          image: checked.image,
          configs: request.configs,
          moduleSources: carried.modules.map((m) => m.source),
          ...(deps.imageSource === undefined ? {} : { source: deps.imageSource }),
          ...(options.httpObserver === undefined ? {} : { httpObserver: options.httpObserver }),
        },
        reporter,
      );
      warnings.push(...image.warnings);
    }

    const resolved = await writeResolved(outDir, {
      request,
      base,
      inputs,
      inputCopies: lockfiles.entries.slice(0, inputs.length),
      locals,
      outcomes,
      binaries,
      modules: carried.resolved,
      ...(image === undefined ? {} : { image: image.image.base }),
    });
    const parts = {
      platforms: platformNames,
      lockfiles: lockfiles.entries,
      ...providerEntries,
      binaries,
      configs,
      ...(image === undefined ? {} : { image: image.image }),
      resolved,
      modules: carried.modules,
    };
    const sbom = await writeSbom({ outDir, parts, outcomes, binaries: request.binaries, env: options.env });
    await writeBundleManifest(outDir, { ...parts, sbom }, options.env);

    let exported: ExportResult | undefined;
    if (request.pack !== undefined) {
      const { exportBundle } = await import('../export/export-service.js');
      exported = await exportBundle(
        {
          ...request.pack,
          bundleDir: outDir,
          env: options.env,
          cwd: options.cwd,
          tempDir: options.tempDir,
          ...(options.s3 === undefined ? {} : { s3: options.s3 }),
          ...(options.s3AbortIncomplete === undefined
            ? {}
            : { s3AbortIncomplete: options.s3AbortIncomplete }),
          ...(options.env.AIRGAP_SIGN_PASSPHRASE === undefined
            ? {}
            : { passphrase: options.env.AIRGAP_SIGN_PASSPHRASE }),
        },
        reporter,
      );
    }

    return {
      ...summarize(outDir, platformNames, outcomes, lockfiles.reports, warnings),
      removed,
      modules: carried.modules.map((m) => ({
        source: m.source,
        version: m.version,
        path: m.path,
        sha256: m.sha256,
        ...(m.commit === undefined ? {} : { commit: m.commit }),
      })),
      ...(image === undefined ? {} : { image: image.summary }),
      ...(exported === undefined ? {} : { export: exported }),
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

/**
 * The stages after the downloads (configs, lock files, prune, manifest, SBOM: a quarter of
 * the modules a run loads) are loaded once package bytes flow, when this thread has time to
 * spare, rather than on the way to the first request; at the latest when they are needed.
 */
function finishStagesOnceBytesFlow(reporter: Reporter): {
  reporter: Reporter;
  stages: () => Promise<FinishStages>;
} {
  let loading: Promise<FinishStages> | undefined;
  const stages = (): Promise<FinishStages> =>
    (loading ??= Promise.all([
      import('./config-writer.js'),
      import('./stages/lockfiles.js'),
      import('./stages/manifest.js'),
      import('./stages/prune.js'),
      import('./stages/sbom.js'),
    ]).then(([configs, lockfiles, manifest, prune, sbom]) => ({
      ...configs,
      ...lockfiles,
      ...manifest,
      ...prune,
      ...sbom,
    })));
  const watching: Reporter = {
    info: (message) => reporter.info(message),
    warn: (message) => reporter.warn(message),
    progress: (e) => {
      if (e.phase === 'bytes' && loading === undefined) void stages().catch(() => undefined);
      reporter.progress?.(e);
    },
  };
  return { reporter: watching, stages };
}

type FinishStages = typeof import('./config-writer.js') &
  typeof import('./stages/lockfiles.js') &
  typeof import('./stages/manifest.js') &
  typeof import('./stages/prune.js') &
  typeof import('./stages/sbom.js');

async function openRegistryHosts(
  env: Record<string, string | undefined>,
  reporter: Reporter,
): Promise<RegistryHosts> {
  const { hosts, warnings } = await loadRegistryHosts(env);
  for (const w of warnings) reporter.warn(w);
  return hosts;
}

function summarize(
  outDir: string,
  platforms: string[],
  outcomes: JobOutcome[],
  lockfiles: LockfileReport[],
  warnings: string[],
): Omit<MirrorResult, 'binaries' | 'configs' | 'removed' | 'modules'> {
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
    else if (o.pkg.status === 'downloaded') {
      packagesDownloaded += 1;
      bytesDownloaded += o.pkg.size;
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
    platforms,
    providers,
    bytesDownloaded,
    packagesDownloaded,
    packagesCached,
    skipped,
    lockfiles,
    warnings,
  };
}
