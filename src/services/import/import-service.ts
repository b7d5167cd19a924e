// `airgap import`: verifies a transfer bundle in one streaming pass straight into
// a staging directory inside DIR, builds the next generation of DIR (providers
// merged, bin/ for the host platform, tofurc, airgap-state.json) and makes it live
// with one atomic symlink switch (commit.ts). Any failure before the switch
// removes everything the import wrote; a crash leaves the old generation live
// and the next import cleans up. A delta bundle is applied only when the live generation
// holds its base by sha256 (delta-base-check.ts, checked before any payload is placed);
// the base's files are then linked into the new generation. Then, on request, pushes
// DIR/providers (push-providers.ts), DIR/modules (push-modules.ts) and the runner image
// DIR/image (push-image.ts) to OCI registries. Layout and state format: docs/IMPORT-STATE.md.

import type { S3AccessOptions } from '../../adapters/s3/client.js';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { BundleManifest } from '../../core/bundle/manifest.js';
import type { DeltaBase } from '../../core/bundle/delta.js';
import { deltaBaseMissing, describeBase } from '../../core/bundle/delta.js';
import { renderTofurc } from '../../core/config/tofurc.js';
import { isValidRepositoryName } from '../../core/oci/reference.js';
import { AirgapError } from '../../core/errors.js';
import { BUNDLE, IMPORT } from '../../core/layout/names.js';
import type { Reporter } from '../../core/ports.js';
import { formatPlatform, parsePlatform } from '../../core/provider/platform.js';
import type { SignatureCheck } from '../../core/signature/index.js';
import { generationName } from '../../core/transfer/import-layout.js';
import { hostPlatformName } from '../../core/transfer/import-platform.js';
import {
  decideImport,
  type ImportedProvider,
  type ImportSigner,
  type ImportState,
} from '../../core/transfer/import-state.js';
import { planCommit, sweepLeftovers, type CommitPlan } from './commit.js';
import { matchDeltaBase, type DeltaBaseMatch } from './delta-base-check.js';
import { inspectDestination, type Destination } from './destination.js';
import { buildGeneration, type InstalledBinary } from './generation-builder.js';
import { acquireImportLock, type ImportLock } from './lock.js';
import { ImportStaging, type PayloadSink } from './staging.js';
import type { PushResult } from './push-providers.js';
import type { PushModulesResult } from './push-modules.js';
import type { PushImageResult } from './push-image.js';
import type { HttpObserver, OciRegistryClient } from '../../core/ports.js';
import { USER_AGENT } from '../tool-version.js';

/**
 * The push code (OCI clients, artifact and image pushes, their planning), loaded only
 * for an import that pushes: an import without --push* never runs it, and its modules
 * cost every start their compile time.
 */
async function loadPush() {
  const [providers, modules, image, failure, artifact] = await Promise.all([
    import('./push-providers.js'),
    import('./push-modules.js'),
    import('./push-image.js'),
    import('./push-failure.js'),
    import('../../core/oci/provider-artifact.js'),
  ]);
  return {
    pushProviders: providers.pushProviders,
    pushModules: modules.pushModules,
    locateImage: image.locateImage,
    parseImageTarget: image.parseImageTarget,
    pushImage: image.pushImage,
    pushFailed: failure.pushFailed,
    parseOciTarget: artifact.parseOciTarget,
  };
}

export interface ImportOptions {
  /** A transfer tarball, its first split part (FILE.000), or a bundle directory; or s3://BUCKET/KEY. */
  source: string;
  /** How to reach S3, for an s3:// source. */
  s3?: S3AccessOptions;
  /** DIR; relative to `host.cwd`. */
  dest: string;
  trustedKeyFiles: string[];
  insecureSkipSignature: boolean;
  allowDowngrade: boolean;
  /**
   * --force: import into a DIR that holds files airgap import did not make. They are left
   * exactly as they are (never changed, moved or removed); the names import needs must still
   * be absent or its own.
   */
  force?: boolean;
  /** OS_ARCH whose tofu/terraform is unpacked into bin/; default: this host's. */
  platform?: string;
  /** After the import (or finding it done already), push DIR/providers to an OCI registry. */
  pushProviders?: PushProvidersRequest;
  /** After the import (and the providers' push), push the runner image DIR/image to REGISTRY/REPO:TAG. */
  pushImage?: PushImageRequest;
  /** After the import, push DIR/modules as OpenTofu module packages to REGISTRY/PREFIX (push-modules.ts). */
  pushModules?: PushProvidersRequest;
  host: ImportHost;
  /** Told of every registry request (--verbose). */
  httpObserver?: HttpObserver;
}

/**
 * What the import knows of the process it runs in. The command reads it from `process`
 * (src/commands/import.ts); services never do (eslint.config.js).
 */
export interface ImportHost {
  /** The working directory: a relative --dest is relative to it. */
  cwd: string;
  /** For the registry pushes: docker config logins (DOCKER_CONFIG, HOME), proxies, SSL_CERT_FILE. */
  env: Record<string, string | undefined>;
  /** Node's platform and arch (process.platform, process.arch): the default --platform. */
  platform: string;
  arch: string;
  /** This process's id: the holder DIR's import lock names. */
  pid: number;
}

/** The registry access flags, shared by --push-providers and --push. */
export interface RegistryAccess {
  /** Plain HTTP, or HTTPS without certificate checks. */
  insecure: boolean;
  caCertFiles: string[];
  username?: string;
  password?: string;
}

/** `--push-providers REGISTRY/PREFIX` and the registry access flags. */
export interface PushProvidersRequest extends RegistryAccess {
  target: string;
}

/** `--push REGISTRY/REPO:TAG` and the registry access flags. */
export interface PushImageRequest extends RegistryAccess {
  target: string;
  /** --push-mount-from REPO: where in the same registry the base's layers may already be. */
  mountFrom?: string;
}

export interface OciClientRequest extends RegistryAccess {
  /** The push target as given. */
  target: string;
  /** host[:port] from the target. */
  registry: string;
}

/** What the import needs from src/services/transfer/bundle-reader.ts (readVerifiedBundle). */
export interface BundleReadRequest {
  source: string;
  trustedKeyFiles: string[];
  insecureSkipSignature: boolean;
  sink?: PayloadSink;
  /** The progress bar's word for the read ("importing"). */
  progressVerb?: string;
  /** Told the verified manifest before the first payload byte; a throw (or rejection) stops the read. */
  onManifest?: (manifest: BundleManifest) => void | Promise<void>;
}

export interface VerifiedBundleView {
  manifest: BundleManifest;
  /** SHA256SUMS as read (path -> sha256), when the reader keeps it: gives airgap.json's sha256. */
  sums?: ReadonlyMap<string, string>;
  /** sha256 of SHA256SUMS, lower-case hex. */
  bundleDigest: string;
  signature?: SignatureCheck;
}

export type BundleReader = (request: BundleReadRequest, reporter: Reporter) => Promise<VerifiedBundleView>;

export interface ImportDeps {
  readBundle: BundleReader;
  /** Default: the real client (src/adapters/oci/registry-client.ts), with docker config logins. */
  createOciClient?: (request: OciClientRequest) => Promise<OciRegistryClient & { close(): Promise<void> }>;
}

/** The `--json` result (schema in docs/IMPORT-STATE.md). */
export interface ImportResult {
  schemaVersion: 1;
  /** Absolute. */
  dest: string;
  /** "unchanged": this bundle is the live one already; nothing was written. */
  action: 'imported' | 'unchanged';
  bundleDigest: string;
  createdAt: string;
  generation: string;
  previousGeneration: string | null;
  downgrade: boolean;
  signer: ImportSigner | null;
  hostPlatform: string;
  providers: ImportedProvider[];
  /** Binaries unpacked into bin/ by this import. */
  binaries: InstalledBinary[];
  /**
   * Files under providers/: carried over from the previous generation (hard links), present
   * there too but taken from the bundle (identical or not), new, and network-mirror JSON merged.
   */
  providerFiles: { kept: number; replaced: number; added: number; merged: number };
  /** Absolute path of the CLI configuration to use as TF_CLI_CONFIG_FILE. */
  tofurc: string;
  /** With --push-providers: what was pushed, and DIR/tofurc.oci. */
  push?: PushResult;
  /** With --push: the runner image pushed. */
  image?: PushImageResult;
  /** With --push-modules: the module packages pushed. */
  pushModules?: PushModulesResult;
  /** A delta bundle: its base, and the files taken from the live generation (by sha256). */
  delta?: { base: DeltaBase; fromBase: number; linked: number; binaries: number };
}

/** An import verified and staged, ready to be made live; `plan` is absent when there is nothing to do. */
export interface PreparedImport {
  result: ImportResult;
  plan?: CommitPlan;
  /** Removes everything the import wrote, releases DIR's lock and restores DIR; only before the plan's `switch`. */
  abort(): Promise<void>;
  /** Releases DIR's import lock once the plan has run. */
  release(): Promise<void>;
}

export async function runImport(
  options: ImportOptions,
  reporter: Reporter,
  deps: ImportDeps,
): Promise<ImportResult> {
  const push = options.pushProviders;
  const pushImg = options.pushImage;
  const pushMods = options.pushModules;
  if (push === undefined && pushImg === undefined && pushMods === undefined) {
    return commitImport(await prepareImport(options, reporter, deps), reporter);
  }
  const { pushProviders, pushModules, locateImage, parseImageTarget, pushImage, pushFailed, parseOciTarget } =
    await loadPush();
  // A bad target or flag combination fails before the bundle is read.
  const providersTarget =
    push === undefined ? undefined : checkPushRequest(push, parseOciTarget(push.target));
  const imageTarget =
    pushImg === undefined ? undefined : checkPushRequest(pushImg, parseImageTarget(pushImg.target));
  const modulesTarget =
    pushMods === undefined ? undefined : checkPushRequest(pushMods, parseOciTarget(pushMods.target));
  if (pushImg?.mountFrom !== undefined && !isValidRepositoryName(pushImg.mountFrom)) {
    throw new AirgapError(
      'OCI_REFERENCE_INVALID',
      `--push-mount-from ${JSON.stringify(pushImg.mountFrom)} is not a repository name of the target registry`,
      {
        expected: 'lower-case [a-z0-9] components joined by "/", e.g. mirror/spacelift/runner-terraform',
        actual: pushImg.mountFrom,
      },
      'pass --push-mount-from the repository path (no registry host, no tag) that holds the base image',
    );
  }
  let result = await commitImport(await prepareImport(options, reporter, deps), reporter);
  const env = options.host.env;
  const create =
    deps.createOciClient ??
    ((request: OciClientRequest) => createDefaultOciClient(request, env, options.httpObserver));
  if (push !== undefined && providersTarget !== undefined) {
    const pushed = await withClient(create, { ...push, registry: providersTarget.registry }, (client) =>
      pushProviders({
        dest: result.dest,
        target: push.target,
        client,
        reporter,
        // tofu can follow neither: pushProviders says so in its warnings and in tofurc.oci.
        insecure: push.insecure,
        caCertFiles: push.caCertFiles,
      }),
    ).catch((e: unknown) => {
      const context = { dest: result.dest, what: 'providers', target: push.target, insecure: push.insecure };
      throw pushFailed(e, context, reporter);
    });
    result = { ...result, push: pushed };
  }
  if (pushMods !== undefined && modulesTarget !== undefined) {
    const pushed = await withClient(create, { ...pushMods, registry: modulesTarget.registry }, (client) =>
      pushModules({
        dest: result.dest,
        target: pushMods.target,
        client,
        reporter,
        insecure: pushMods.insecure,
        caCertFiles: pushMods.caCertFiles,
      }),
    ).catch((e: unknown) => {
      const context = {
        dest: result.dest,
        what: 'modules',
        target: pushMods.target,
        insecure: pushMods.insecure,
      };
      throw pushFailed(e, context, reporter);
    });
    result = { ...result, pushModules: pushed };
  }
  if (pushImg !== undefined && imageTarget !== undefined) {
    // No image is no failure of the push to resume: say only that (exit 2), before any request.
    await locateImage(result.dest);
    const pushed = await withClient(create, { ...pushImg, registry: imageTarget.registry }, (client) =>
      pushImage({
        dest: result.dest,
        target: pushImg.target,
        client,
        reporter,
        ...(pushImg.mountFrom === undefined ? {} : { mountFrom: pushImg.mountFrom }),
      }),
    ).catch((e: unknown) => {
      const context = {
        dest: result.dest,
        what: 'image',
        target: pushImg.target,
        insecure: pushImg.insecure,
      };
      throw pushFailed(e, context, reporter);
    });
    result = { ...result, image: pushed };
  }
  return result;
}

async function withClient<T>(
  create: NonNullable<ImportDeps['createOciClient']>,
  request: OciClientRequest,
  run: (client: OciRegistryClient) => Promise<T>,
): Promise<T> {
  const client = await create(request);
  try {
    return await run(client);
  } finally {
    await client.close();
  }
}

function checkPushRequest<T extends { registry: string }>(push: RegistryAccess, target: T): T {
  if ((push.username === undefined) !== (push.password === undefined)) {
    throw new AirgapError(
      'USAGE',
      'a registry username needs a password and a password needs a username: pass both --registry-username and --registry-password-stdin',
      {
        expected: 'both or neither',
        actual: push.username === undefined ? 'a password only' : 'a username only',
      },
      'pass both, or neither to use the docker config logins',
    );
  }
  return target;
}

async function createDefaultOciClient(
  request: OciClientRequest,
  env: Record<string, string | undefined>,
  observer: HttpObserver | undefined,
): Promise<OciRegistryClient & { close(): Promise<void> }> {
  const [{ createOciRegistryClient }, { readDockerConfig }] = await Promise.all([
    import('../../adapters/oci/registry-client.js'),
    import('../../adapters/oci/docker-config.js'),
  ]);
  return createOciRegistryClient({
    ...(observer === undefined ? {} : { observer }),
    registry: request.registry,
    insecure: request.insecure,
    caCertFiles: request.caCertFiles,
    ...(request.username === undefined || request.password === undefined
      ? { dockerConfig: await readDockerConfig(env) }
      : { credentials: { username: request.username, password: request.password } }),
    userAgent: USER_AGENT,
    env,
  });
}

/** Verifies the bundle into staging and builds the next generation; DIR's visible state is unchanged. */
export async function prepareImport(
  options: ImportOptions,
  reporter: Reporter,
  deps: ImportDeps,
): Promise<PreparedImport> {
  if (options.trustedKeyFiles.length === 0 && !options.insecureSkipSignature) {
    throw new AirgapError(
      'USAGE',
      'no --trusted-key given: pass the public key the bundle was signed with (--trusted-key FILE), or --insecure-skip-signature',
      { expected: '--trusted-key FILE', actual: 'none' },
      'pass --trusted-key FILE, the public key of whoever ran `airgap export --sign-key`',
    );
  }
  if (options.insecureSkipSignature) {
    reporter.warn(
      '--insecure-skip-signature: the bundle signature is NOT checked; anyone who could alter the bundle could alter what is installed',
    );
  }
  const { host } = options;
  const hostPlatform =
    options.platform === undefined
      ? hostPlatformName(host.platform, host.arch)
      : formatPlatform(parsePlatform(options.platform));

  const destDir = path.resolve(host.cwd, options.dest);
  // tofurc names DIR/providers: refuse a DIR it cannot name before reading anything.
  renderTofurc({ mirrorPath: path.join(destDir, IMPORT.providersDir) });
  const inspect = { force: options.force === true };
  // Refuse a DIR we may not use before writing anything to it, then look again under the lock.
  const first = await inspectDestination(destDir, inspect);
  let lock: ImportLock;
  try {
    lock = await acquireImportLock(first.dir, host.pid);
  } catch (e) {
    await removeCreatedDirs(first);
    throw e;
  }
  let dest: Destination = first;
  let staging: ImportStaging | undefined;
  let plan: CommitPlan | undefined;
  const release = async (): Promise<void> => {
    await lock.release();
    await restoreTimes(dest).catch(() => undefined);
  };
  const abort = async (): Promise<void> => {
    await plan?.rollback().catch(() => undefined);
    await staging?.remove().catch(() => undefined);
    await lock.release().catch(() => undefined);
    if (first.before === undefined) await removeCreatedDirs(first);
    else await restoreTimes(dest).catch(() => undefined);
  };
  try {
    dest = { ...(await inspectDestination(first.dir, inspect)), beforeTimes: first.beforeTimes };
    staging = await ImportStaging.create(dest, hostPlatform);
    // A delta: the destination must hold its base, by sha256, before any payload is placed.
    let base: DeltaBaseMatch | undefined;
    const live = dest;
    const checkBase = async (m: BundleManifest): Promise<void> => {
      if (m.kind !== 'delta' || base !== undefined) return;
      base = await matchDeltaBase(live, m, hostPlatform);
      if (base.missing.length > 0) throw deltaBaseMissing(m, options.source, live.dir, base.missing);
    };
    const verified = await deps.readBundle(
      {
        source: options.source,
        trustedKeyFiles: options.trustedKeyFiles,
        insecureSkipSignature: options.insecureSkipSignature,
        sink: staging.sink,
        progressVerb: 'importing',
        ...(options.s3 === undefined ? {} : { s3: options.s3 }),
        onManifest: checkBase,
      },
      reporter,
    );
    const { manifest, bundleDigest } = verified;
    await checkBase(manifest);
    const decision = decideImport(
      dest.state,
      { bundleDigest, createdAt: manifest.createdAt },
      options.allowDowngrade,
    );
    if (decision.action === 'noop') {
      // Recovery only: in a DIR no crash has touched, there is nothing to sweep.
      await sweepLeftovers(dest, liveGenerations(dest));
      await staging.remove();
      await release();
      reporter.info(
        `${dest.dir} already holds bundle ${bundleDigest.slice(0, 16)} (import #${decision.record.sequence}): nothing to do`,
      );
      const done = async (): Promise<void> => undefined;
      return { result: unchangedResult(dest, dest.state!), abort: done, release: done };
    }
    if (decision.downgrade && decision.newest !== undefined) {
      reporter.warn(
        `--allow-downgrade: importing a bundle created at ${manifest.createdAt} over one created at ${decision.newest.createdAt}`,
      );
    }
    if (base !== undefined) {
      for (const [bundlePath, liveFile] of base.placed) await staging.placeFromBase(bundlePath, liveFile);
      reporter.info(
        `delta on top of ${describeBase(manifest.delta!.base)}: ${base.placed.size + base.binaries.size} files taken from the live generation, matched by sha256`,
      );
    }
    const generation = generationName(decision.sequence, bundleDigest);
    const signer = verified.signature === undefined ? null : signerOf(verified.signature);
    const built = await buildGeneration(
      {
        dest,
        staging,
        manifest,
        bundleDigest,
        signer,
        hostPlatform,
        sequence: decision.sequence,
        downgrade: decision.downgrade,
        generation,
        ...manifestShaOf(verified),
        ...(base === undefined ? {} : { baseBinaries: base.binaries }),
      },
      reporter,
    );
    plan = planCommit(dest, staging, generation);
    const result: ImportResult = {
      schemaVersion: 1,
      dest: dest.dir,
      action: 'imported',
      bundleDigest,
      createdAt: manifest.createdAt,
      generation,
      previousGeneration: built.state.previousGeneration,
      downgrade: decision.downgrade,
      signer,
      hostPlatform,
      providers: built.state.current.contents.providers,
      binaries: built.installed,
      providerFiles: {
        kept: built.providers.keep.length,
        replaced: built.providers.replaced.length,
        added:
          staging.providerFiles.length - built.providers.replaced.length + built.providers.addJson.length,
        merged: built.providers.merge.length,
      },
      tofurc: path.join(dest.dir, IMPORT.tofurc),
      ...(base === undefined || manifest.delta === undefined
        ? {}
        : {
            delta: {
              base: manifest.delta.base,
              fromBase: manifest.delta.fromBase.length,
              linked: base.placed.size,
              binaries: base.binaries.size,
            },
          }),
    };
    return { result, plan, abort, release: () => lock.release() };
  } catch (e) {
    await abort();
    throw e;
  }
}

/** What a failed first import made of DIR's path: removed again, from DIR up, as long as each is empty. */
async function removeCreatedDirs(dest: Destination): Promise<void> {
  const top = dest.createdRoot;
  if (top === undefined) return;
  for (let p = dest.dir; ; p = path.dirname(p)) {
    try {
      // rmdir, never rm -r: another import may be using DIR by now.
      await fs.rmdir(p);
    } catch {
      return;
    }
    if (p === top) return;
  }
}

/** Runs the commit steps; a failure before the switch undoes the import, one after it is only reported. */
export async function commitImport(prepared: PreparedImport, reporter: Reporter): Promise<ImportResult> {
  const { plan, result } = prepared;
  if (plan === undefined) return result;
  for (const step of plan.steps) {
    try {
      await step.run();
    } catch (e) {
      if (!plan.switched()) {
        await prepared.abort();
        throw e;
      }
      // The new generation is live; a leftover is swept by the next import.
      reporter.warn(`imported, but could not clean up (${(e as Error).message}); the next import retries`);
      break;
    }
  }
  await prepared.release();
  reporter.info(
    `imported bundle ${result.bundleDigest.slice(0, 16)} into ${result.dest} (generation ${result.generation})`,
  );
  return result;
}

function manifestShaOf(verified: VerifiedBundleView): { manifestSha256?: string } {
  const sha = verified.sums?.get(BUNDLE.manifest);
  return sha === undefined ? {} : { manifestSha256: sha };
}

function liveGenerations(dest: Destination): Set<string> {
  return new Set([dest.live, dest.state?.previousGeneration].filter((g): g is string => !!g));
}

function signerOf(s: SignatureCheck): ImportSigner {
  return { primaryKeyFingerprint: s.primaryKeyFingerprint, signingKeyFingerprint: s.signingKeyFingerprint };
}

/**
 * Creating and removing the staging directory touched DIR's times; put them back. utimes
 * through Node (libuv) has microsecond resolution: the half microsecond added keeps the
 * double's rounding from landing on the microsecond below.
 */
async function restoreTimes(dest: Destination): Promise<void> {
  if (dest.beforeTimes === undefined) return;
  const seconds = (ns: bigint): number => (Number(ns / 1000n) + 0.5) / 1e6;
  await fs.utimes(dest.dir, seconds(dest.beforeTimes.atimeNs), seconds(dest.beforeTimes.mtimeNs));
}

function unchangedResult(dest: Destination, state: ImportState): ImportResult {
  const c = state.current;
  return {
    schemaVersion: 1,
    dest: dest.dir,
    action: 'unchanged',
    bundleDigest: c.bundleDigest,
    createdAt: c.createdAt,
    generation: c.generation,
    previousGeneration: state.previousGeneration,
    downgrade: c.downgrade,
    signer: c.signer,
    hostPlatform: state.hostPlatform,
    providers: c.contents.providers,
    binaries: [],
    providerFiles: { kept: 0, replaced: 0, added: 0, merged: 0 },
    tofurc: path.join(dest.dir, IMPORT.tofurc),
  };
}
