// `airgap mirror --image`: the Spacelift runner image, built without a Docker
// daemon into an OCI image layout at BUNDLE/image (docs/IMAGE-FORMAT.md).
// For each platform: the base's layers are fetched into the layout (digest-checked),
// its root filesystem is read for the checks the seeds ask for (ps, uid 1983) and
// for the CA bundle, then one layer is added (src/core/image/layer-plan.ts), then
// config and manifest; an index goes over them and index.json is written last, so
// a crash leaves the previous image or the new one. Blobs no longer referenced are
// removed afterwards.

import fs from 'node:fs/promises';
import path from 'node:path';
import { removeStaleTemps, tempPathBeside, writeFileAtomic } from '../../adapters/fs/atomic.js';
import { sha256File } from '../../adapters/fs/sha256-file.js';
import { tarArchiveSize } from '../../adapters/archive/tar-write.js';
import { openZipMember } from '../../adapters/archive/zip-entry.js';
import { writeLayerBlob } from '../../adapters/oci/layer-write.js';
import { scanRootfs, type RootfsView } from '../../adapters/oci/rootfs-scan.js';
import type { FileRef, ManifestBinary, ManifestImage, ManifestProvider } from '../../core/bundle/manifest.js';
import { compareStrings } from '../../core/compare.js';
import { IMAGE_CLI_CONFIG_PATH, RUNNER_USER } from '../../core/config/dockerfile.js';
import { AirgapError, isAirgapError } from '../../core/errors.js';
import {
  IMAGE_PATHS,
  LAYER_INPUTS_ANNOTATION,
  layerInputsKey,
  planRunnerLayer,
  type LayerEntry,
  type LayerPlan,
} from '../../core/image/layer-plan.js';
import {
  OCI_LAYOUT,
  formatOciPlatform,
  layoutBlobPath,
  ociPlatformOf,
  parseImageDocument,
  sha256Of,
  type Descriptor,
} from '../../core/image/oci-image.js';
import {
  renderLayoutIndex,
  renderRunnerConfig,
  renderRunnerIndex,
  renderRunnerManifest,
  type PlatformManifestRef,
  type RenderedBlob,
} from '../../core/image/runner-image.js';
import { BUNDLE, CONFIG_FILES } from '../../core/layout/names.js';
import type { BasePlatformImage, ImageSource, Reporter } from '../../core/ports.js';
import { parsePlatform } from '../../core/provider/platform.js';
import { compareVersions, parseVersion } from '../../core/provider/version.js';
import { mapLimit } from '../concurrency.js';

/** The ref index.json gives the image index: `oci:BUNDLE/image:latest`. */
export const IMAGE_REF = 'latest';
/** Where `ps` may live; Spacelift's worker runs it. */
const PS_PATHS = ['bin/ps', 'usr/bin/ps', 'sbin/ps', 'usr/sbin/ps', 'usr/local/bin/ps'];
const PASSWD = 'etc/passwd';
const RUNNER_UID = 1983;
const BLOB_FETCHES = 3;
/** Layers written at once: each hashes on its own worker thread while its I/O runs in the pool. */
const LAYERS_AT_ONCE = 2;

export interface ImageBuildOptions {
  bundleDir: string;
  /** OS_ARCH platforms wanted; those the base lacks are skipped with a warning. */
  platforms: string[];
  source: ImageSource;
  providers: readonly ManifestProvider[];
  binaries: readonly ManifestBinary[];
  /** Which executable goes to /bin (the newest bundled version of it). */
  tool: 'tofu' | 'terraform';
  /** In-image mirror path, e.g. /providers. */
  mirrorPath: string;
  /** PEM text appended to the base's CA bundle (--ca-cert-into-image). */
  caCerts?: { file: string; text: string };
  /** The CLI configuration's bytes (image.serve); absent: the bundle's config/tofurc. */
  cliConfig?: Uint8Array;
  /** Config `created` and every layer entry's mtime. */
  created: Date;
  toolVersion: string;
}

export interface ImageBuildResult {
  image: ManifestImage;
  warnings: string[];
  /** Per platform: the base's manifest digest and our manifest's. */
  manifests: { platform: string; manifest: string; base: string }[];
}

export async function buildRunnerImage(
  options: ImageBuildOptions,
  reporter: Reporter,
): Promise<ImageBuildResult> {
  const layoutDir = path.join(options.bundleDir, BUNDLE.imageDir);
  const blobsDir = path.join(layoutDir, OCI_LAYOUT.blobsDir, 'sha256');
  await fs.mkdir(blobsDir, { recursive: true });
  await removeStaleTemps(layoutDir);
  const warnings: string[] = [];
  const warn = (message: string): void => {
    warnings.push(message);
    reporter.warn(message);
  };
  const ref = options.source.reference;
  const tool = newestRelease(options.binaries, options.tool);

  const resolved = await options.source.resolve(options.platforms.map(parsePlatform));
  for (const missing of resolved.missing) {
    warn(
      `base image ${ref} has no ${formatOciPlatform(ociPlatformOf(parsePlatform(missing)))} image ` +
        `(it offers ${resolved.available.join(', ') || 'none'}); the runner image is built without ${missing}`,
    );
  }
  if (resolved.images.length === 0) {
    throw new AirgapError(
      'IMAGE_INVALID',
      `base image ${ref} has none of the platforms ${options.platforms.join(', ')}`,
      {
        address: ref,
        expected: options.platforms.join(', '),
        actual: resolved.available.join(', ') || 'none',
      },
      `pick a --base-image built for ${options.platforms.join(' and ')}, or drop the --platform it lacks`,
    );
  }

  // Every base layer once, even when platforms share it.
  const layers = new Map<string, Descriptor>();
  for (const image of resolved.images) for (const l of image.layers) layers.set(l.digest, l);
  reporter.info(`fetching ${layers.size} base layer(s) of ${ref}`);
  const fetching = taskProgress(
    reporter,
    'fetching base layers',
    [...layers.values()].reduce((n, l) => n + l.size, 0),
  );
  await mapLimit([...layers.values()], BLOB_FETCHES, (l) =>
    ensureBlob(options.source, l, layoutDir, fetching),
  );

  const referenced = new Map<string, number>();
  for (const l of layers.values()) referenced.set(l.digest, l.size);
  const built: PlatformManifestRef[] = [];
  const manifests: ImageBuildResult['manifests'] = [];
  // Plans first, one platform after the other (warnings in a stable order); then the
  // layers, two at a time (src/adapters/oci/layer-write.ts); then the documents.
  const images = [...resolved.images].sort((a, b) => compareStrings(a.platform, b.platform));
  const cliConfig =
    options.cliConfig ?? (await fs.readFile(path.join(options.bundleDir, CONFIG_FILES.tofurc)));
  const planned: { image: BasePlatformImage; plan: LayerPlan; ca: boolean }[] = [];
  for (const image of images) {
    const where = `base image ${ref} (${image.platform})`;
    const view = await inspectBase(image, layoutDir, where, options.caCerts !== undefined, warn);
    const caBundle =
      options.caCerts === undefined ? undefined : caBundleFor(view, options.caCerts, where, warn);
    const binary = tool.platforms.find((p) => p.platform === image.platform);
    if (binary === undefined) {
      throw new AirgapError(
        'PLATFORM_MISSING',
        `the bundle has no ${tool.tool} ${tool.version} for ${image.platform}`,
        {
          platform: image.platform,
          expected: `${tool.tool} ${tool.version} for ${image.platform}`,
          actual: tool.platforms.map((p) => p.platform).join(', '),
        },
        `mirror ${tool.tool} for ${image.platform} too (it is left out when its release lacks that platform)`,
      );
    }
    const member = await openZipMember(path.join(options.bundleDir, binary.path), tool.tool, binary.path);
    member.close();
    const plan = planRunnerLayer({
      platform: image.platform,
      providers: options.providers,
      tool: { name: tool.tool, zip: binary.path, zipSha256: binary.sha256, size: member.size },
      mirrorPath: options.mirrorPath,
      cliConfig,
      ...(caBundle === undefined ? {} : { caBundle }),
      baseHasDirectory: (d) => (view === undefined ? STANDARD_DIRS.has(d) : view.stat(d) !== undefined),
    });
    reporter.info(
      `writing the ${image.platform} layer: ${tool.tool} ${tool.version}, ${plan.zips} provider package(s)`,
    );
    planned.push({ image, plan, ca: caBundle !== undefined });
  }
  // A layer made from the very same inputs by an earlier run is kept as it is.
  const previous = await previousLayers(layoutDir);
  const layerBytes = (entries: readonly LayerEntry[]): number =>
    tarArchiveSize(
      entries.map((e) => ({ ...e, size: e.type === 'directory' ? 0 : e.size, mtime: options.created })),
    );
  const writing = taskProgress(
    reporter,
    'writing the image layers',
    planned.reduce((n, p) => n + layerBytes(p.plan.entries), 0),
  );
  const written = await mapLimit(planned, LAYERS_AT_ONCE, async ({ image, plan }) => {
    const inputs = layerInputsKey(plan.entries, options.created);
    const kept = previous.get(inputs);
    if (kept !== undefined && (await blobPresent(layoutDir, kept))) {
      reporter.info(`the ${image.platform} layer is unchanged since the last run: kept ${kept.digest}`);
      writing(layerBytes(plan.entries));
      return { ...kept, inputs };
    }
    const layer = await writeLayerBlob({
      entries: plan.entries,
      bundleDir: options.bundleDir,
      blobsDir,
      mtime: options.created,
      onBytes: writing,
    });
    return { ...layer, inputs };
  });
  for (const [i, { image, plan, ca }] of planned.entries()) {
    const layer = written[i]!;
    const config = renderRunnerConfig({
      base: image.parsedConfig,
      diffId: layer.digest,
      created: rfc3339(options.created),
      cliConfigPath: IMAGE_CLI_CONFIG_PATH,
      createdBy:
        `airgap mirror --image: /${IMAGE_PATHS.binDir}/${tool.tool} ${tool.version}, ` +
        `${plan.zips} provider package(s) in ${options.mirrorPath}, ${IMAGE_CLI_CONFIG_PATH}` +
        (ca ? `, CA bundle + ${options.caCerts?.file ?? ''}` : ''),
      comment: `airgap ${options.toolVersion}`,
    });
    const manifest = renderRunnerManifest({
      config,
      baseLayers: image.layers,
      layer,
      base: { name: ref, digest: image.manifestDigest },
      where: `base image ${ref} (${image.platform})`,
    });
    await putBlob(layoutDir, config);
    await putBlob(layoutDir, manifest);
    referenced.set(layer.digest, layer.size);
    referenced.set(config.digest, config.size);
    referenced.set(manifest.digest, manifest.size);
    built.push({
      platform: image.platform,
      ociPlatform: ociPlatformOf(parsePlatform(image.platform)),
      manifest,
    });
    manifests.push({ platform: image.platform, manifest: manifest.digest, base: image.manifestDigest });
  }

  const index = renderRunnerIndex(built);
  await putBlob(layoutDir, index);
  referenced.set(index.digest, index.size);
  const layoutIndex = renderLayoutIndex(index, IMAGE_REF, built);
  const marker = new TextEncoder().encode(OCI_LAYOUT.markerText);
  await writeFileAtomic(path.join(layoutDir, OCI_LAYOUT.markerFile), marker);
  await writeFileAtomic(path.join(layoutDir, OCI_LAYOUT.index), layoutIndex);
  await removeUnreferenced(blobsDir, referenced);

  const files: FileRef[] = [
    fileRef(OCI_LAYOUT.markerFile, marker),
    fileRef(OCI_LAYOUT.index, layoutIndex),
    ...[...referenced].map(([digest, size]) => ({
      path: `${BUNDLE.imageDir}/${layoutBlobPath(digest)}`,
      size,
      sha256: digest.slice('sha256:'.length),
    })),
  ].sort((a, b) => compareStrings(a.path, b.path));
  return {
    image: {
      layout: BUNDLE.imageDir,
      ref: IMAGE_REF,
      digest: index.digest,
      base: { reference: ref, digest: resolved.digest },
      platforms: manifests.map((m) => ({ platform: m.platform, manifest: m.manifest })),
      tool: { name: tool.tool, version: tool.version },
      files,
    },
    warnings,
    manifests,
  };
}

/** Directories every Linux base has; used when its layers cannot be read (zstd). */
const STANDARD_DIRS = new Set(['bin', 'etc', 'etc/ssl', 'etc/ssl/certs']);

function newestRelease(binaries: readonly ManifestBinary[], tool: 'tofu' | 'terraform'): ManifestBinary {
  const releases = binaries
    .filter((b) => b.tool === tool)
    .sort((a, b) => compareVersions(parseVersion(b.version), parseVersion(a.version)));
  const newest = releases[0];
  if (newest === undefined) {
    throw new AirgapError(
      'USAGE',
      `--image puts ${tool} at /bin/${tool}, but the bundle has no ${tool} release`,
      {
        expected: `--${tool} VERSION`,
        actual: 'none',
      },
    );
  }
  return newest;
}

/** A stage's byte count for the progress bar: call it with each step's bytes. */
function taskProgress(reporter: Reporter, label: string, total: number): (bytes: number) => void {
  let done = 0;
  reporter.progress?.({ phase: 'task', label, done, total });
  return (bytes) => {
    done += bytes;
    reporter.progress?.({ phase: 'task', label, done, total });
  };
}

/** Fetches a base layer into the layout unless a blob with its digest and size is already there. */
async function ensureBlob(
  source: ImageSource,
  layer: Descriptor,
  layoutDir: string,
  onBytes: (n: number) => void,
): Promise<void> {
  const file = path.join(layoutDir, ...layoutBlobPath(layer.digest).split('/'));
  const have = await sha256File(file).catch(() => undefined);
  if (have !== undefined && have.size === layer.size && `sha256:${have.sha256}` === layer.digest) {
    onBytes(layer.size);
    return;
  }
  const tmp = tempPathBeside(file);
  try {
    await source.copyBlob(layer, tmp, onBytes);
    await fs.rename(tmp, file);
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

/**
 * Our layers in the layout an earlier run left, by their inputs annotation. Anything
 * unreadable means nothing to keep: the layers are then simply written again.
 */
async function previousLayers(layoutDir: string): Promise<Map<string, { digest: string; size: number }>> {
  const found = new Map<string, { digest: string; size: number }>();
  const read = async (digest: string): Promise<Uint8Array | undefined> =>
    fs.readFile(path.join(layoutDir, ...layoutBlobPath(digest).split('/'))).catch(() => undefined);
  try {
    const index = parseImageDocument(await fs.readFile(path.join(layoutDir, OCI_LAYOUT.index)), 'index.json');
    if (index.kind !== 'index') return found;
    for (const entry of index.doc.manifests) {
      const bytes = await read(entry.digest);
      if (bytes === undefined) continue;
      const doc = parseImageDocument(bytes, entry.digest, entry.mediaType);
      if (doc.kind !== 'manifest') continue;
      for (const layer of doc.doc.layers) {
        const inputs = layer.annotations?.[LAYER_INPUTS_ANNOTATION];
        if (inputs !== undefined) found.set(inputs, { digest: layer.digest, size: layer.size });
      }
    }
  } catch {
    // No earlier image, or one in a shape this version does not know: nothing kept.
  }
  return found;
}

async function blobPresent(layoutDir: string, blob: { digest: string; size: number }): Promise<boolean> {
  const st = await fs
    .stat(path.join(layoutDir, ...layoutBlobPath(blob.digest).split('/')))
    .catch(() => undefined);
  return st?.isFile() === true && st.size === blob.size;
}

async function putBlob(layoutDir: string, blob: RenderedBlob): Promise<void> {
  await writeFileAtomic(path.join(layoutDir, ...layoutBlobPath(blob.digest).split('/')), blob.bytes);
}

/** The base's root filesystem, and the seeds' checks on it; undefined when its layers cannot be read. */
async function inspectBase(
  image: BasePlatformImage,
  layoutDir: string,
  where: string,
  needCa: boolean,
  warn: (message: string) => void,
): Promise<RootfsView | undefined> {
  let view: RootfsView;
  try {
    view = await scanRootfs(
      image.layers.map((l) => ({
        path: path.join(layoutDir, ...layoutBlobPath(l.digest).split('/')),
        mediaType: l.mediaType,
      })),
      [PASSWD, IMAGE_PATHS.caBundle],
    );
  } catch (e) {
    if (!isAirgapError(e) || e.code !== 'IMAGE_INVALID' || needCa) throw e;
    warn(`${where}: cannot check for ps and the ${RUNNER_USER} user: ${e.message}`);
    return undefined;
  }
  if (!PS_PATHS.some((p) => view.resolve(p) !== undefined)) {
    warn(
      `${where} has no ps (looked in /${PS_PATHS.join(', /')}); Spacelift's worker needs ps in the runner image`,
    );
  }
  if (!view.hasUser(RUNNER_UID)) {
    warn(
      `${where}: /etc/passwd has no user with uid ${RUNNER_UID}; Spacelift runs as ${RUNNER_USER} (uid ${RUNNER_UID}), which the base must define`,
    );
  }
  return view;
}

function caBundleFor(
  view: RootfsView | undefined,
  ca: { file: string; text: string },
  where: string,
  warn: (message: string) => void,
): Uint8Array {
  const added = ca.text.endsWith('\n') ? ca.text : `${ca.text}\n`;
  const base = view?.read(IMAGE_PATHS.caBundle);
  if (base === undefined) {
    warn(`${where} has no /${IMAGE_PATHS.caBundle}; the image gets one holding only ${ca.file}`);
    return new TextEncoder().encode(added);
  }
  const text = Buffer.from(base).toString('utf8');
  return new TextEncoder().encode(`${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${added}`);
}

async function removeUnreferenced(blobsDir: string, referenced: ReadonlyMap<string, number>): Promise<void> {
  const keep = new Set([...referenced.keys()].map((d) => d.slice('sha256:'.length)));
  for (const name of await fs.readdir(blobsDir)) {
    if (!keep.has(name)) await fs.rm(path.join(blobsDir, name), { recursive: true, force: true });
  }
}

/** A layout file this run wrote from `bytes`: its reference from the same bytes, not read back. */
function fileRef(name: string, bytes: Uint8Array): FileRef {
  return {
    path: `${BUNDLE.imageDir}/${name}`,
    size: bytes.length,
    sha256: sha256Of(bytes).slice('sha256:'.length),
  };
}

function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
