// Completes the generation an import stages, once the reader has verified every
// file: carries the live generation's providers and binaries over by hard link,
// merges the network-mirror JSON, unpacks the host platform's tofu/terraform,
// checks the runner image's OCI layout (image/) against airgap.json, carries registry
// modules (modules/: the live generation's, the bundle's replacing), writes tofurc
// and the new airgap-state.json, and flushes it all to disk.

import fs from 'node:fs/promises';
import path from 'node:path';
import type { BundleManifest } from '../../core/bundle/manifest.js';
import { renderTofurc } from '../../core/config/tofurc.js';
import { AirgapError, isAirgapError } from '../../core/errors.js';
import { BUNDLE, IMPORT } from '../../core/layout/names.js';
import type { Reporter } from '../../core/ports.js';
import {
  mergeMirrorJson,
  mergeModules,
  planProvidersMerge,
  type ProvidersMergePlan,
} from '../../core/transfer/import-merge.js';
import { chooseHostBinaries } from '../../core/transfer/import-platform.js';
import {
  buildImportState,
  renderImportState,
  type ImportedModule,
  type ImportSigner,
  type ImportState,
} from '../../core/transfer/import-state.js';
import { sha256File } from '../../adapters/fs/sha256-file.js';
import type { BaseBinary } from './delta-base-check.js';
import type { Destination } from './destination.js';
import { extractExecutable } from './extract-binary.js';
import { fsError, fsyncPath, linkOrCopy, walkDirs, walkFiles, writeFileSynced } from './fs-ops.js';
import { REBUILD_BUNDLE } from './remedies.js';
import type { ImportStaging } from './staging.js';

export interface BuildGenerationInput {
  dest: Destination;
  staging: ImportStaging;
  manifest: BundleManifest;
  bundleDigest: string;
  signer: ImportSigner | null;
  hostPlatform: string;
  sequence: number;
  downgrade: boolean;
  generation: string;
  /** sha256 of the bundle's airgap.json as packed, when the reader knows it. */
  manifestSha256?: string;
  /** A delta's host release zips left to the base: the live executables unpacked from them. */
  baseBinaries?: ReadonlyMap<string, BaseBinary>;
}

export interface InstalledBinary {
  tool: 'tofu' | 'terraform';
  version: string;
  /** DIR-relative, e.g. "bin/tofu". */
  path: string;
}

export interface BuiltGeneration {
  state: ImportState;
  providers: ProvidersMergePlan;
  installed: InstalledBinary[];
  /** Files carried over from the live generation that could not be hard-linked and were copied. */
  copied: number;
}

export async function buildGeneration(
  input: BuildGenerationInput,
  reporter: Reporter,
): Promise<BuiltGeneration> {
  const { dest, staging, manifest } = input;
  const gen = staging.generationRoot;
  const liveProviders = dest.liveDir === undefined ? undefined : path.join(dest.liveDir, IMPORT.providersDir);
  const newProviders = path.join(gen, IMPORT.providersDir);
  let copied = 0;
  const carry = async (from: string, to: string): Promise<void> => {
    await fs.mkdir(path.dirname(to), { recursive: true });
    if ((await linkOrCopy(from, to)) === 'copied') copied += 1;
  };

  // Providers: live files the bundle does not carry are kept; mirror JSON is merged.
  const live = liveProviders === undefined ? [] : await walkFiles(liveProviders);
  const plan = planProvidersMerge(live, staging.providerFiles, [...staging.providerJson.keys()]);
  for (const rel of plan.keep) await carry(path.join(liveProviders!, rel), path.join(newProviders, rel));
  for (const rel of plan.merge) {
    const liveText = await fs.readFile(path.join(liveProviders!, rel), 'utf8');
    const merged = mergeMirrorJson(rel, liveText, staging.providerJson.get(rel) ?? '', `providers/${rel}`);
    await writeJson(path.join(newProviders, rel), merged);
  }
  for (const rel of plan.addJson)
    await writeJson(path.join(newProviders, rel), staging.providerJson.get(rel) ?? '');

  // Binaries: the newest build of each tool for the host platform replaces bin/TOOL.
  const choice = chooseHostBinaries(manifest, input.hostPlatform);
  for (const m of choice.missing) {
    reporter.warn(
      `the bundle carries ${m.tool} ${m.versions.join(', ')} but no build for ${input.hostPlatform}; bin/${m.tool} is not updated`,
    );
  }
  const installed: InstalledBinary[] = [];
  const recorded = new Map<
    'tofu' | 'terraform',
    { version: string; path: string; sha256: string; zipSha256: string }
  >();
  const newBin = path.join(gen, IMPORT.binDir);
  const zipSha = new Map(
    manifest.binaries.flatMap((b) => b.platforms).map((p) => [p.path, p.sha256] as const),
  );
  for (const b of choice.install) {
    const staged = staging.releaseZips.get(b.zipPath);
    const fromBase = input.baseBinaries?.get(b.zipPath);
    if (staged === undefined && fromBase !== undefined) {
      // The live bin/ executable came from this very zip (delta-base-check.ts): carried below.
      recorded.set(b.tool, { ...fromBase, version: b.version });
      continue;
    }
    if (staged === undefined) {
      throw new AirgapError(
        'MANIFEST_INVALID',
        `airgap.json lists ${b.zipPath} for ${b.tool} ${b.version}, but the bundle did not deliver it`,
        { path: b.zipPath, expected: 'the release zip in the bundle', actual: 'missing' },
        REBUILD_BUNDLE,
      );
    }
    const exe = path.join(newBin, b.entry);
    await extractExecutable(staged, b.entry, exe, b.zipPath);
    installed.push({ tool: b.tool, version: b.version, path: `${IMPORT.binDir}/${b.entry}` });
    const { sha256 } = await sha256File(exe).catch((e: unknown) => {
      throw fsError('read', exe, e);
    });
    recorded.set(b.tool, {
      version: b.version,
      path: `${IMPORT.binDir}/${b.entry}`,
      sha256,
      zipSha256: zipSha.get(b.zipPath) ?? '',
    });
  }
  if (dest.liveDir !== undefined) {
    const fresh = new Set(installed.map((i) => path.posix.basename(i.path)));
    for (const name of await walkFiles(path.join(dest.liveDir, IMPORT.binDir))) {
      if (!fresh.has(name))
        await carry(path.join(dest.liveDir, IMPORT.binDir, name), path.join(newBin, name));
    }
  }

  await checkStagedImage(input);
  const modules = await carryModules(input, carry);

  // tofurc names DIR/providers, the stable symlink, so every generation's copy is the same.
  await writeFileSynced(
    path.join(gen, IMPORT.tofurc),
    renderTofurc({ mirrorPath: path.join(dest.dir, IMPORT.providersDir) }),
  );
  const state = buildImportState({
    previous: dest.state,
    manifest,
    bundleDigest: input.bundleDigest,
    signer: input.signer,
    hostPlatform: input.hostPlatform,
    sequence: input.sequence,
    generation: input.generation,
    downgrade: input.downgrade,
    installed: recorded,
    ...(input.manifestSha256 === undefined ? {} : { manifestSha256: input.manifestSha256 }),
    files: { count: staging.files, bytes: staging.bytes },
    modules,
  });
  await writeFileSynced(path.join(gen, IMPORT.state), renderImportState(state));

  // The files the bundle brought (written unflushed while it streamed), then the directory entries.
  await staging.syncWritten();
  for (const d of await walkDirs(gen)) {
    await fsyncPath(d).catch((e: unknown) => {
      throw fsError('flush', d, e);
    });
  }
  return { state, providers: plan, installed, copied };
}

/**
 * The staged image/ is the bundle's (the reader checked every file, the sink every blob's
 * name); here it must also be the image airgap.json describes, since airgap-state.json
 * records that description and `import --push` pushes by it.
 */
async function checkStagedImage(input: BuildGenerationInput): Promise<void> {
  const { manifest, staging } = input;
  const image = manifest.image;
  if (image === undefined) {
    if (staging.imageFiles.length === 0) return;
    throw new AirgapError(
      'MANIFEST_INVALID',
      `the bundle carries ${BUNDLE.imageDir}/${staging.imageFiles[0]}, but airgap.json describes no image`,
      { path: `${BUNDLE.imageDir}/${staging.imageFiles[0]}`, expected: 'an image section', actual: 'none' },
      REBUILD_BUNDLE,
    );
  }
  if (image.layout !== BUNDLE.imageDir) {
    throw new AirgapError(
      'MANIFEST_INVALID',
      `airgap.json puts the image layout at ${JSON.stringify(image.layout)}; this airgap reads it at "${BUNDLE.imageDir}"`,
      { path: BUNDLE.manifest, expected: BUNDLE.imageDir, actual: image.layout },
      "this airgap cannot read the bundle's image: import it with the airgap version that made it (tool/ in the bundle)",
    );
  }
  const staged = new Set(staging.imageFiles.map((f) => `${BUNDLE.imageDir}/${f}`));
  const missing = image.files.find((f) => !staged.has(f.path));
  if (missing !== undefined) {
    throw new AirgapError(
      'MANIFEST_INVALID',
      `airgap.json lists ${missing.path} in the image, but the bundle did not deliver it`,
      { path: missing.path, expected: 'the file in the bundle', actual: 'missing' },
      REBUILD_BUNDLE,
    );
  }
  // The layout reader lives with `import --push`'s code: loaded for a bundle with an image only.
  const { readImageLayout } = await import('./push-image.js');
  try {
    await readImageLayout(
      path.join(staging.generationRoot, IMPORT.imageDir),
      BUNDLE.imageDir,
      { ref: image.ref, digest: image.digest, platforms: image.platforms },
      { hashBlobs: false },
    );
  } catch (e) {
    // The layout reader serves `import --push` too; here the layout is the bundle's, as signed.
    throw isAirgapError(e) && e.remedy === undefined ? e.withRemedy(REBUILD_BUNDLE) : e;
  }
}

/**
 * modules/: every module airgap.json lists must have been delivered (the reader checked its
 * bytes); the live generation's modules the bundle does not carry are hard-linked over.
 */
async function carryModules(
  input: BuildGenerationInput,
  carry: (from: string, to: string) => Promise<void>,
): Promise<ImportedModule[]> {
  const { manifest, staging, dest } = input;
  const staged = new Set(staging.moduleFiles);
  const incoming: ImportedModule[] = (manifest.modules ?? []).map((m) => {
    if (!staged.has(m.path)) {
      throw new AirgapError(
        'MANIFEST_INVALID',
        `airgap.json lists ${m.path} for module ${m.source} ${m.version}, but the bundle did not deliver it`,
        { path: m.path, expected: 'the module zip in the bundle', actual: 'missing' },
        REBUILD_BUNDLE,
      );
    }
    return {
      source: m.source,
      version: m.version,
      path: m.path,
      size: m.size,
      sha256: m.sha256,
      ...(m.subdir === undefined ? {} : { subdir: m.subdir }),
    };
  });
  const listed = new Set(incoming.map((m) => m.path));
  const unlisted = staging.moduleFiles.find((p) => !listed.has(p));
  if (unlisted !== undefined) {
    throw new AirgapError(
      'MANIFEST_INVALID',
      `the bundle carries ${unlisted}, but airgap.json lists no module there`,
      { path: unlisted, expected: 'a modules entry in airgap.json', actual: 'none' },
      REBUILD_BUNDLE,
    );
  }
  const live = dest.state?.current.contents.modules ?? [];
  if (dest.liveDir !== undefined) {
    for (const m of live) {
      if (listed.has(m.path)) continue;
      await carry(
        path.join(dest.liveDir, ...m.path.split('/')),
        path.join(staging.generationRoot, ...m.path.split('/')),
      );
    }
  }
  return mergeModules(live, incoming);
}

async function writeJson(p: string, text: string): Promise<void> {
  await fs.mkdir(path.dirname(p), { recursive: true });
  await writeFileSynced(p, text);
}
