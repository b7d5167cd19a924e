// Plan stage: the runner image (`--image`). The base reference is resolved to its
// per-platform manifests, as mirror resolves it: their layer descriptors give each
// layer's size without fetching a layer. A base layer is present when the bundle's image
// layout holds its blob intact (as mirror checks it before fetching). The layer airgap
// adds to each platform is built on this machine, so its size is not known before the
// build: it is reported present (the bundle's layer kept as it is) only when the
// bundle's image was built on the same base digest with the same tool release, the same
// platforms and creation time, and nothing that goes into the layer changes (no
// provider, binary or config item to download, build or remove). A changed
// --ca-cert-into-image file is not seen by this check: plan then says present, and
// mirror writes the layer again.
//
// Without --image, an image/ an earlier run built is removed by mirror, and said so.

import { readDockerConfig } from '../../adapters/oci/docker-config.js';
import { creationTime } from '../../core/bundle/manifest.js';
import { AirgapError } from '../../core/errors.js';
import { LAYER_INPUTS_ANNOTATION } from '../../core/image/layer-plan.js';
import {
  formatOciPlatform,
  layoutBlobPath,
  ociPlatformOf,
  parseImageDocument,
  type Descriptor,
} from '../../core/image/oci-image.js';
import { BUNDLE } from '../../core/layout/names.js';
import type { PlanItem } from '../../core/plan/index.js';
import type { ImageSource, Reporter } from '../../core/ports.js';
import { parsePlatform } from '../../core/provider/platform.js';
import { PACK_DEFAULT_MTIME } from '../../core/transfer/pack-plan.js';
import type { CheckedImageOptions } from '../mirror/runner-image.js';
import { USER_AGENT } from '../tool-version.js';
import type { BundleState } from './bundle-state.js';

export interface ImagePlanInput {
  platforms: string[];
  /** Absent: mirror builds no image (and removes one an earlier run built). */
  image?: CheckedImageOptions;
  /** The tool put at /bin and its newest release in the bundle after the run. */
  tool: { name: 'tofu' | 'terraform'; version: string | undefined };
  /** Whether anything that goes into airgap's own layer changes (providers, binaries, configs). */
  layerInputsChange: boolean;
  caCertFiles: string[];
  env: Record<string, string | undefined>;
}

export interface ImagePlanResult {
  items: PlanItem[];
  removals: string[];
}

/** What the bundle's image is: per platform, its layers (the last one airgap's own). */
interface PreviousImage {
  baseDigest: string;
  tool: { name: string; version: string };
  platforms: Map<string, { layers: Descriptor[]; ours?: Descriptor; created?: string }>;
}

export async function planImage(
  input: ImagePlanInput,
  deps: { reporter: Reporter; bundle: BundleState; imageSource?: ImageSource },
): Promise<ImagePlanResult> {
  const { bundle } = deps;
  const previous = await readPreviousImage(bundle);
  if (input.image === undefined) return planRemoval(bundle, previous);

  const ref = input.image.baseImage;
  // The OCI clients are loaded for --image only.
  const { openImageSource } = await import('../../adapters/oci/image-source/index.js');
  const source =
    deps.imageSource ??
    openImageSource(ref, {
      insecure: input.image.baseRegistryInsecure,
      caCertFiles: input.caCertFiles,
      dockerConfig: await readDockerConfig(input.env),
      env: input.env,
      userAgent: USER_AGENT,
    });
  let resolved;
  try {
    resolved = await source.resolve(input.platforms.map(parsePlatform));
  } finally {
    await source.close();
  }
  for (const missing of resolved.missing) {
    deps.reporter.warn(
      `base image ${ref} has no ${formatOciPlatform(ociPlatformOf(parsePlatform(missing)))} image ` +
        `(it offers ${resolved.available.join(', ') || 'none'}); the runner image would be built without ${missing}`,
    );
  }
  if (resolved.images.length === 0) {
    throw new AirgapError(
      'IMAGE_INVALID',
      `base image ${ref} has none of the platforms ${input.platforms.join(', ')}`,
      {
        address: ref,
        expected: input.platforms.join(', '),
        actual: resolved.available.join(', ') || 'none',
      },
      `pick a --base-image built for ${input.platforms.join(' and ')}, or drop the --platform it lacks`,
    );
  }

  const items: PlanItem[] = [];
  const base = new Map<string, { layer: Descriptor; platforms: string[] }>();
  for (const image of resolved.images) {
    for (const l of image.layers) {
      const seen = base.get(l.digest) ?? { layer: l, platforms: [] };
      seen.platforms.push(image.platform);
      base.set(l.digest, seen);
    }
  }
  for (const { layer, platforms } of base.values()) {
    const rel = `${BUNDLE.imageDir}/${layoutBlobPath(layer.digest)}`;
    const have = await bundle.digest(rel);
    const present =
      have !== undefined && have.size === layer.size && `sha256:${have.sha256}` === layer.digest;
    items.push({
      kind: 'image-layer',
      subject: `${layer.digest} ${platforms.sort().join(', ')}`,
      path: rel,
      size: layer.size,
      sizeSource: present ? 'bundle' : 'manifest',
      action: present ? 'present' : 'download',
    });
  }

  const created = rfc3339(creationTime(input.env, () => PACK_DEFAULT_MTIME));
  const platforms = resolved.images.map((i) => i.platform).sort();
  const sameImage =
    previous !== undefined &&
    !input.layerInputsChange &&
    previous.baseDigest === resolved.digest &&
    previous.tool.name === input.tool.name &&
    previous.tool.version === input.tool.version &&
    [...previous.platforms.keys()].sort().join(',') === platforms.join(',');
  const kept = new Set<string>();
  for (const platform of platforms) {
    const prev = previous?.platforms.get(platform);
    const ours = prev?.ours;
    const subject = `airgap layer ${platform}`;
    if (sameImage && ours !== undefined && prev?.created === created) {
      const rel = `${BUNDLE.imageDir}/${layoutBlobPath(ours.digest)}`;
      const have = await bundle.size(rel);
      if (have === ours.size) {
        kept.add(ours.digest);
        items.push({
          kind: 'image-layer',
          subject,
          path: rel,
          size: ours.size,
          sizeSource: 'bundle',
          action: 'present',
        });
        continue;
      }
    }
    items.push({
      kind: 'image-layer',
      subject,
      path: null,
      size: null,
      sizeSource: null,
      action: 'build',
      note: 'built locally',
    });
  }

  // Layers of the bundle's image the new one does not use: mirror deletes their blobs.
  const gone = previousLayers(previous).filter((l) => !base.has(l.digest) && !kept.has(l.digest));
  items.push(...(await removedLayers(bundle, gone)));
  return { items, removals: [] };
}

/** No image asked for: an image/ in the bundle goes, every layer with it. */
async function planRemoval(
  bundle: BundleState,
  previous: PreviousImage | undefined,
): Promise<ImagePlanResult> {
  const files = await bundle.list(BUNDLE.imageDir);
  if (files.length === 0) return { items: [], removals: [] };
  const items = await removedLayers(bundle, previousLayers(previous));
  return {
    items,
    removals: [
      `removed ${BUNDLE.imageDir}/ (the runner image an earlier run built): this request builds no image`,
    ],
  };
}

/** The layers of the bundle's image, each once, named as plan names them. */
function previousLayers(previous: PreviousImage | undefined): { digest: string; subject: string }[] {
  const byDigest = new Map<string, { platforms: string[]; ours: boolean }>();
  for (const [platform, p] of previous?.platforms ?? []) {
    for (const l of p.layers) {
      const seen = byDigest.get(l.digest) ?? { platforms: [], ours: l.digest === p.ours?.digest };
      seen.platforms.push(platform);
      byDigest.set(l.digest, seen);
    }
  }
  return [...byDigest].map(([digest, { platforms, ours }]) => ({
    digest,
    subject: ours
      ? `airgap layer ${platforms.sort().join(', ')}`
      : `${digest} ${platforms.sort().join(', ')}`,
  }));
}

async function removedLayers(
  bundle: BundleState,
  layers: readonly { digest: string; subject: string }[],
): Promise<PlanItem[]> {
  const items: PlanItem[] = [];
  for (const l of layers) {
    const rel = `${BUNDLE.imageDir}/${layoutBlobPath(l.digest)}`;
    const size = await bundle.size(rel);
    if (size === undefined) continue;
    items.push({
      kind: 'image-layer',
      subject: l.subject,
      path: rel,
      size,
      sizeSource: 'bundle',
      action: 'remove',
    });
  }
  return items;
}

/** The bundle's image as airgap.json describes it, its platform manifests read from the layout. */
async function readPreviousImage(bundle: BundleState): Promise<PreviousImage | undefined> {
  const image = bundle.manifest?.image;
  if (image === undefined) return undefined;
  const platforms: PreviousImage['platforms'] = new Map();
  for (const p of image.platforms) {
    try {
      const text = await bundle.text(`${BUNDLE.imageDir}/${layoutBlobPath(p.manifest)}`);
      if (text === undefined) continue;
      const doc = parseImageDocument(Buffer.from(text), p.manifest);
      if (doc.kind !== 'manifest') continue;
      const layers = doc.doc.layers;
      const ours = layers.find((l) => l.annotations?.[LAYER_INPUTS_ANNOTATION] !== undefined);
      const config = await bundle.text(`${BUNDLE.imageDir}/${layoutBlobPath(doc.doc.config.digest)}`);
      const created = config === undefined ? undefined : createdOf(config);
      platforms.set(p.platform, {
        layers,
        ...(ours === undefined ? {} : { ours }),
        ...(created === undefined ? {} : { created }),
      });
    } catch {
      // An image this version cannot read is simply built again.
    }
  }
  return { baseDigest: image.base.digest, tool: image.tool, platforms };
}

function createdOf(configText: string): string | undefined {
  const doc = JSON.parse(configText) as { created?: unknown };
  return typeof doc.created === 'string' ? doc.created : undefined;
}

function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
