// `airgap import --push-modules REGISTRY/PREFIX`: pushes every registry module version
// the live generation holds (modules/HOST/NS/NAME/SYSTEM/VERSION.zip) to
// REGISTRY/PREFIX/HOST/NS/NAME/SYSTEM:VERSION as an OpenTofu module package
// (src/core/oci/module-package.ts), for sites whose stacks use `oci://` module sources.
//
// Runs after the import has verified and switched (or found the bundle live already),
// and reads the generation `.airgap/current` names when it starts, throughout. Every
// zip is hashed against the sha256 airgap-state.json records (airgap.json's, which the
// signed SHA256SUMS covered) before the first request: a zip changed since the import is
// refused by name, and nothing is sent. Per version: a GET of the tag (naming this very
// manifest already: nothing more), the empty config and the zip (each HEAD first), then
// the manifest PUT by tag, last. Errors name the module, its version and the target.

import path from 'node:path';
import { pushSingleManifestArtifact } from '../../adapters/oci/artifact-push.js';
import { sha256File } from '../../adapters/fs/sha256-file.js';
import { compareStrings } from '../../core/compare.js';
import { AirgapError, isAirgapError } from '../../core/errors.js';
import { IMPORT, modulePackagePath, type ModuleCoords } from '../../core/layout/names.js';
import {
  buildModulePackageManifest,
  moduleRegistryAccessNotes,
  moduleRepository,
  modulePackageFilename,
  moduleVersionTag,
  ociModuleSource,
  type ModulePackageManifest,
} from '../../core/oci/module-package.js';
import { EMPTY_CONFIG, parseOciTarget } from '../../core/oci/provider-artifact.js';
import type { OciRegistryClient, Reporter } from '../../core/ports.js';
import { readLiveState } from './live-state.js';
import type { ImportedModule } from '../../core/transfer/import-state.js';

export interface PushModulesOptions {
  /** The import destination DIR, absolute. */
  dest: string;
  /** REGISTRY/PREFIX, e.g. registry.corp.example/tofu-modules. */
  target: string;
  /** Made for the target's registry. */
  client: OciRegistryClient;
  reporter: Reporter;
  /** The push went over plain HTTP (--registry-insecure): tofu cannot follow (see `warnings`). */
  insecure?: boolean;
  /** --ca-cert files the push trusted: tofu has no such setting (see `warnings`). */
  caCertFiles?: readonly string[];
}

export interface PushedModule {
  /** HOST/NS/NAME/SYSTEM, as airgap.json names it. */
  source: string;
  version: string;
  /** PREFIX/HOST/NS/NAME/SYSTEM, lower case (HOST in ASCII, ":PORT" as "_PORT"). */
  repository: string;
  /** The version, `+` as `_`. */
  tag: string;
  /** The manifest's digest, which the tag names. */
  digest: string;
  /** The zip's digest ("sha256:" + airgap.json's sha256): the one layer. */
  layerDigest: string;
  /** What a module block's `source` says to install it: oci://REGISTRY/REPOSITORY[//SUBDIR]?tag=TAG. */
  ociSource: string;
  /** "unchanged": the tag named this very manifest already; nothing was sent. */
  action: 'pushed' | 'unchanged';
  blobs: { uploaded: number; existing: number; mounted: number };
}

export interface PushModulesResult {
  registry: string;
  prefix: string;
  /** Sorted by source, then version (as airgap-state.json lists them). */
  modules: PushedModule[];
  /** What the hosts running tofu need that this push did not show (plain HTTP, a private CA). */
  warnings: string[];
}

interface LocalModule {
  record: ImportedModule;
  coords: ModuleCoords;
  file: string;
  repository: string;
  tag: string;
  manifest: ModulePackageManifest;
}

export async function pushModules(options: PushModulesOptions): Promise<PushModulesResult> {
  const { client, reporter, dest } = options;
  const target = parseOciTarget(options.target);
  const { generation, modules } = await liveModules(dest);
  const local = modules.map((record) => planModule(record, generation, target.prefix));
  checkCollisions(local);
  // Before any request: a zip changed since the import is not pushed, nor anything else.
  for (const m of local) await checkZip(m, dest);

  const pushed: PushedModule[] = [];
  for (const m of local) {
    const ref = `${target.registry}/${m.repository}:${m.tag}`;
    const what = `module ${m.record.source} ${m.record.version}`;
    const r = await pushSingleManifestArtifact(client, {
      repository: m.repository,
      tag: m.tag,
      manifest: m.manifest,
      blobs: [
        { digest: EMPTY_CONFIG.digest, size: EMPTY_CONFIG.size, bytes: EMPTY_CONFIG.bytes },
        { digest: m.manifest.layerDigest, size: m.record.size, path: m.file },
      ],
    }).catch((e: unknown) => {
      throw naming(e, `${what}, pushing to ${ref}`, m.record.version);
    });
    reporter.info(
      r.action === 'unchanged'
        ? `${ref} is up to date (${what})`
        : `pushed ${what} to ${ref} (${r.blobs.uploaded} blob(s) uploaded, ${r.blobs.existing + r.blobs.mounted} already there)`,
    );
    pushed.push({
      source: m.record.source,
      version: m.record.version,
      repository: m.repository,
      tag: m.tag,
      digest: m.manifest.digest,
      layerDigest: m.manifest.layerDigest,
      ociSource: ociModuleSource(target.registry, m.repository, m.tag, m.record.subdir),
      action: r.action,
      blobs: r.blobs,
    });
  }
  const warnings = moduleRegistryAccessNotes({
    registry: target.registry,
    insecure: options.insecure ?? false,
    caCert: (options.caCertFiles ?? []).length > 0,
  });
  return { registry: target.registry, prefix: target.prefix, modules: pushed, warnings };
}

/** The registry's error, its message led by the module and target it concerns. */
function naming(e: unknown, where: string, version: string): unknown {
  if (!isAirgapError(e)) return e;
  return new AirgapError(e.code, `${where}: ${e.message}`, { ...e.details, version, cause: e }, e.remedy);
}

/** The modules airgap-state.json of the live generation records, and that generation's path. */
async function liveModules(dest: string): Promise<{ generation: string; modules: ImportedModule[] }> {
  const { generation, state } = await readLiveState(dest, 'a bundle that carries modules');
  const modules = state.current.contents.modules ?? [];
  if (modules.length === 0) {
    throw new AirgapError(
      'INPUT_NOT_FOUND',
      `${dest} holds no registry module to push: the imports into it carried none (airgap-state.json lists no modules)`,
      {
        path: path.join(dest, IMPORT.modulesDir),
        expected: 'a bundle made with modules (airgap.yaml `modules:` or `configurations:`)',
        actual: 'no modules in airgap-state.json',
      },
    );
  }
  return {
    generation,
    modules: [...modules].sort(
      (a, b) => compareStrings(a.source, b.source) || compareStrings(a.version, b.version),
    ),
  };
}

function planModule(record: ImportedModule, generation: string, prefix: string): LocalModule {
  const coords = moduleCoords(record);
  const repository = moduleRepository(prefix, coords, record.source);
  const tag = moduleVersionTag(record.source, record.version);
  const manifest = buildModulePackageManifest({
    sha256: record.sha256,
    size: record.size,
    filename: modulePackageFilename(coords, record.version),
  });
  return {
    record,
    coords,
    file: path.join(generation, ...record.path.split('/')),
    repository,
    tag,
    manifest,
  };
}

/** HOST/NS/NAME/SYSTEM of a state record, whose path must be the one that address gives. */
function moduleCoords(record: ImportedModule): ModuleCoords {
  const parts = record.source.split('/');
  const [hostname, namespace, name, system] = parts;
  const coords =
    parts.length === 4 && parts.every((p) => p !== '')
      ? { hostname: hostname!, namespace: namespace!, name: name!, system: system! }
      : undefined;
  if (coords === undefined || modulePackagePath(coords, record.version) !== record.path) {
    throw new AirgapError(
      'IMPORT_DEST_INVALID',
      `airgap-state.json: module ${record.source} ${record.version} is recorded at ${record.path}, not where its address puts it`,
      {
        path: record.path,
        expected: coords === undefined ? 'HOST/NS/NAME/SYSTEM' : modulePackagePath(coords, record.version),
        actual: coords === undefined ? record.source : record.path,
      },
    );
  }
  return coords;
}

/** Two module versions on one repository:tag (names differing only in case) would overwrite each other. */
function checkCollisions(local: readonly LocalModule[]): void {
  const seen = new Map<string, LocalModule>();
  for (const m of local) {
    const key = `${m.repository}:${m.tag}`;
    const other = seen.get(key);
    if (other !== undefined) {
      const a = `${other.record.source} ${other.record.version}`;
      const b = `${m.record.source} ${m.record.version}`;
      throw new AirgapError(
        'USAGE',
        `modules ${a} and ${b} would both be pushed to ${key}: repository names are lower case, and tags write + as _`,
        { address: key, expected: 'one module version per repository and tag', actual: `${a}, ${b}` },
        'import only one of the two module versions into this destination, or push them to different prefixes',
      );
    }
    seen.set(key, m);
  }
}

async function checkZip(m: LocalModule, dest: string): Promise<void> {
  const shown = path.join(dest, ...m.record.path.split('/'));
  let actual: { sha256: string; size: number };
  try {
    actual = await sha256File(m.file);
  } catch (e) {
    throw new AirgapError(
      'FS_ERROR',
      `module ${m.record.source} ${m.record.version}: cannot read ${shown}: ${(e as Error).message}`,
      { path: shown, cause: e },
    );
  }
  if (actual.sha256 !== m.record.sha256 || actual.size !== m.record.size) {
    throw new AirgapError(
      'CHECKSUM_MISMATCH',
      `module ${m.record.source} ${m.record.version}: ${shown} is not the zip the import verified (sha256 ${actual.sha256}, ${actual.size} bytes; airgap-state.json records ${m.record.sha256}, ${m.record.size} bytes); nothing was pushed`,
      { path: shown, expected: m.record.sha256, actual: actual.sha256 },
      'the destination changed after the import: see `airgap verify DIR`, restore the zip (or import a newer bundle), then push again',
    );
  }
}
