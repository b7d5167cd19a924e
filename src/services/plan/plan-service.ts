// `airgap plan`: what `airgap mirror` would do with the same request, from metadata
// only. The request is checked and the lock files read by mirror's own stages; the
// spec's providers are resolved as mirror resolves them; then each part of the bundle
// is planned (./providers.ts, ./binaries.ts, ./generated.ts, ./image.ts, ./removals.ts)
// against the bundle directory as it stands (./bundle-state.ts). Nothing is written,
// and no package, release zip or image layer is downloaded. Takes options, never flags.

import path from 'node:path';
import { loadRegistryHosts } from '../../adapters/fs/cli-config-file.js';
import { createHttpClient } from '../../adapters/http/client.js';
import { createRegistryClient } from '../../adapters/registry/registry-client.js';
import {
  createModuleRegistryClient,
  type ModuleRegistry,
} from '../../adapters/registry/module-registry-client.js';
import { compareVersions, parseVersion } from '../../core/provider/version.js';
import { AirgapErrors } from '../../core/errors.js';
import {
  mergeVersionRequests,
  parseLocalProviderSpec,
  planPackageJobs,
  planProviderVersions,
  providerVersionKey,
} from '../../core/mirror/plan.js';
import type { MirrorRequest } from '../../core/mirror/request.js';
import { buildPlanDocument, type PlanDocument, type PlanItem } from '../../core/plan/index.js';
import type { HttpClient, ImageSource, ProviderRegistry, RegistryHosts, Reporter } from '../../core/ports.js';
import { formatPlatform, parsePlatform } from '../../core/provider/platform.js';
import { createLimiter } from '../concurrency.js';
import { checkRequest } from '../mirror/stages/check.js';
import { readInputs } from '../mirror/stages/inputs.js';
import { resolveSpecProviders } from '../mirror/stages/resolve.js';
import { TOOL_VERSION, USER_AGENT } from '../tool-version.js';
import { planReleases } from './binaries.js';
import { BundleState } from './bundle-state.js';
import { planConfigItems, planLockfileItems } from './generated.js';
import { planImage } from './image.js';
import { planModules } from './modules.js';
import { planProviderPackages } from './providers.js';
import { planRemovals } from './removals.js';

export type { PlanDocument } from '../../core/plan/index.js';

export interface PlanOptions {
  request: MirrorRequest;
  /** As for mirror: metadata requests and file hashes in flight. */
  concurrency: number;
  /** As mirror would be run: lock files completed (their bundle copies), constraints normalised. */
  updateLockfiles: boolean;
  /** As mirror would be run: a missing package is skipped, not a failure. */
  skipMissingPlatforms: boolean;
  /** Proxies, CAs, tokens, SOURCE_DATE_EPOCH are read from here. */
  env: Record<string, string | undefined>;
  /** Relative paths are resolved against this. */
  cwd: string;
  /** Scratch space: an in-house executable is zipped here to compare it with the bundle's. */
  tempDir: string;
}

export interface PlanDeps {
  http?: HttpClient;
  registry?: ProviderRegistry;
  moduleRegistry?: ModuleRegistry;
  imageSource?: ImageSource;
}

export async function runPlan(
  options: PlanOptions,
  reporter: Reporter,
  deps: PlanDeps = {},
): Promise<PlanDocument> {
  const { request } = options;
  // Warnings go into the document as well as to the terminal; per-package progress does not.
  const warnings: string[] = [];
  const report: Reporter = {
    info: (m) => reporter.info(m),
    warn: (m) => {
      warnings.push(m);
      reporter.warn(m);
    },
  };
  const platforms = [...new Set(request.platforms)].map(parsePlatform);
  const platformNames = platforms.map(formatPlatform);
  const locals = request.localProviders.map(parseLocalProviderSpec);
  const inputs = await readInputs(request, options.updateLockfiles, options.cwd);
  const checked = await checkRequest(request, inputs.length > 0, options.cwd);
  const { outDir } = checked;
  const concurrency = Math.max(1, options.concurrency);
  const bundle = await BundleState.open(outDir, createLimiter(concurrency));

  const ownHttp =
    deps.http === undefined
      ? createHttpClient({ userAgent: USER_AGENT, env: options.env, caCertFiles: request.caCertFiles })
      : undefined;
  const http = deps.http ?? ownHttp!;
  try {
    let hosts: RegistryHosts | undefined;
    const registryHosts = async (): Promise<RegistryHosts> =>
      (hosts ??= await openRegistryHosts(options.env, report));
    const registry = deps.registry ?? createRegistryClient({ http, hosts: await registryHosts() });
    const fromSpec = await resolveSpecProviders(
      {
        file: request.specFile ?? 'airgap.yaml',
        providers: request.providers,
        platforms: platformNames,
        skipMissingPlatforms: options.skipMissingPlatforms,
      },
      { registry, reporter: report },
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

    report.info(
      `plan: ${jobs.length} provider package(s) for ${platformNames.join(', ')}, against ${outDir}`,
    );
    const [providers, releases] = await Promise.all([
      planProviderPackages(
        {
          jobs,
          concurrency,
          skipMissingPlatforms: options.skipMissingPlatforms,
          tempDir: options.tempDir,
        },
        { http, registry, reporter: report, bundle },
      ),
      planReleases(
        { outDir, platforms: platformNames, binaries: request.binaries, concurrency },
        { http, reporter: report },
      ),
    ]);
    const failures = [...providers.failures, ...releases.failures];
    if (failures.length > 0) throw failures.length === 1 ? failures[0]! : new AirgapErrors(failures);
    const packages = providers.packages;

    const modules = await planModules(
      {
        wanted: request.modules,
        configurations: request.configurations.map((d) => path.resolve(options.cwd, d)),
        defaultHost: request.moduleDefaultHost,
        base:
          request.specFile === undefined
            ? options.cwd
            : path.dirname(path.resolve(options.cwd, request.specFile)),
      },
      {
        registry: deps.moduleRegistry ?? createModuleRegistryClient({ http, hosts: await registryHosts() }),
        bundle,
      },
    );

    const configs = await planConfigItems(request.configs, releases.releases, bundle);
    const lockfiles = await planLockfileItems(
      {
        inputs,
        packages,
        updateLockfiles: options.updateLockfiles,
        cwd: options.cwd,
        specProviders: fromSpec.resolved,
        tool: request.configs.workflowTool,
      },
      bundle,
    );
    const removed = await planRemovals(
      {
        packages,
        releaseFiles: releases.files,
        configs: configs.flatMap((c) => (c.path === null ? [] : [c.path])),
        modules: modules.keep,
      },
      bundle,
    );

    const providerItems = packages.flatMap((p) => (p.item === undefined ? [] : [p.item]));
    const toolName = request.configs.workflowTool;
    const newest = releases.releases
      .filter((r) => r.tool === toolName)
      .sort((a, b) => compareVersions(parseVersion(b.version), parseVersion(a.version)))[0];
    if (checked.image !== undefined) report.info(`plan: resolving the base image ${checked.image.baseImage}`);
    const image = await planImage(
      {
        platforms: platformNames,
        ...(checked.image === undefined ? {} : { image: checked.image }),
        tool: { name: toolName, version: newest?.version },
        layerInputsChange:
          removed.files.length > 0 ||
          [...providerItems, ...releases.items, ...configs].some((i) => i.action !== 'present'),
        caCertFiles: request.caCertFiles,
        env: options.env,
      },
      {
        reporter: report,
        bundle,
        ...(deps.imageSource === undefined ? {} : { imageSource: deps.imageSource }),
      },
    );

    const items: PlanItem[] = [
      ...providerItems,
      ...releases.items,
      ...modules.items,
      ...image.items,
      ...configs,
      ...lockfiles,
      ...removed.items,
    ];
    return buildPlanDocument({
      tool: `airgap/${TOOL_VERSION}`,
      outDir,
      platforms: platformNames,
      items,
      removals: [...removed.lines, ...image.removals],
      removedFiles: [...removed.files, ...removedItems(image.items), ...removedItems(lockfiles)],
      skipped: packages.flatMap((p) => (p.skipped === undefined ? [] : [p.skipped])),
      warnings,
    });
  } finally {
    await (ownHttp as { close?: () => Promise<void> } | undefined)?.close?.();
  }
}

function removedItems(items: readonly PlanItem[]): string[] {
  return items.flatMap((i) => (i.action === 'remove' && i.path !== null ? [i.path] : []));
}

async function openRegistryHosts(
  env: Record<string, string | undefined>,
  reporter: Reporter,
): Promise<RegistryHosts> {
  const { hosts, warnings } = await loadRegistryHosts(env);
  for (const w of warnings) reporter.warn(w);
  return hosts;
}
