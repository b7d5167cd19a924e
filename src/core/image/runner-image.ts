// The documents of the runner image `mirror --image` builds, rendered as exact
// bytes (their digests are the image's identity): per platform a config (the
// base's, plus our layer's diff_id, one history entry, TF_CLI_CONFIG_FILE and
// `created`) and an image manifest (the base's layers, then ours); over them an
// image index; and the layout's index.json naming the index by its ref and each
// platform manifest by its OS_ARCH (umoci and `skopeo copy oci:DIR:linux_arm64`
// take one platform at a time). Format: docs/IMAGE-FORMAT.md. Pure.

import { compareStrings } from '../compare.js';
import {
  IMAGE_MEDIA_TYPES,
  OCI_LAYOUT,
  ociLayerMediaType,
  sha256Of,
  type Descriptor,
  type ImageConfigDoc,
  type OciPlatform,
} from './oci-image.js';
import { LAYER_INPUTS_ANNOTATION } from './layer-plan.js';

/** image-spec's pre-defined annotations for where an image came from. */
export const BASE_ANNOTATIONS = {
  name: 'org.opencontainers.image.base.name',
  digest: 'org.opencontainers.image.base.digest',
} as const;

export const CLI_CONFIG_ENV = 'TF_CLI_CONFIG_FILE';

export interface RenderedBlob {
  mediaType: string;
  digest: string;
  size: number;
  bytes: Uint8Array;
}

export interface RunnerConfigInput {
  /** The base config as parsed (key order kept). */
  base: ImageConfigDoc;
  /** Our layer's digest (uncompressed, so also its diff_id). */
  diffId: string;
  /** RFC 3339, UTC. */
  created: string;
  /** Absolute in-image path of the CLI configuration. */
  cliConfigPath: string;
  /** What went into the layer, for `docker history`. */
  createdBy: string;
  /** e.g. "airgap 0.1.0". */
  comment: string;
}

/** The base's config with our layer added; user, entrypoint, cmd, workdir and other env entries are kept as they are. */
export function renderRunnerConfig(input: RunnerConfigInput): RenderedBlob {
  const base = input.base;
  const runtime = { ...(base.config ?? {}) };
  const envEntry = `${CLI_CONFIG_ENV}=${input.cliConfigPath}`;
  const env = (runtime.Env ?? []).filter((e) => !e.startsWith(`${CLI_CONFIG_ENV}=`));
  runtime.Env = [...env, envEntry];
  const config: ImageConfigDoc = {
    ...base,
    created: input.created,
    config: runtime,
    rootfs: { type: 'layers', diff_ids: [...base.rootfs.diff_ids, input.diffId] },
    history: [
      ...(base.history ?? []),
      { created: input.created, created_by: input.createdBy, comment: input.comment },
    ],
  };
  return blob(IMAGE_MEDIA_TYPES.ociConfig, config);
}

export interface RunnerManifestInput {
  config: RenderedBlob;
  /** The base manifest's layers (Docker media types are converted; same bytes, same digests). */
  baseLayers: readonly Descriptor[];
  /** Our layer; `inputs` (layerInputsKey) goes into its descriptor's annotations. */
  layer: { digest: string; size: number; inputs: string };
  /** Where the base came from, as annotations. */
  base: { name: string; digest: string };
  /** For messages about a bad base layer. */
  where: string;
}

export function renderRunnerManifest(input: RunnerManifestInput): RenderedBlob {
  const layers: Descriptor[] = input.baseLayers.map((l, i) => ({
    mediaType: ociLayerMediaType(l.mediaType, `${input.where} layers[${i}]`),
    digest: l.digest,
    size: l.size,
  }));
  layers.push({
    mediaType: IMAGE_MEDIA_TYPES.ociLayer,
    digest: input.layer.digest,
    size: input.layer.size,
    annotations: { [LAYER_INPUTS_ANNOTATION]: input.layer.inputs },
  });
  return blob(IMAGE_MEDIA_TYPES.ociManifest, {
    schemaVersion: 2,
    mediaType: IMAGE_MEDIA_TYPES.ociManifest,
    config: { mediaType: input.config.mediaType, digest: input.config.digest, size: input.config.size },
    layers,
    annotations: { [BASE_ANNOTATIONS.digest]: input.base.digest, [BASE_ANNOTATIONS.name]: input.base.name },
  });
}

export interface PlatformManifestRef {
  /** OS_ARCH */
  platform: string;
  ociPlatform: OciPlatform;
  manifest: RenderedBlob;
}

/** The image index over every platform's manifest, in OS_ARCH order. */
export function renderRunnerIndex(manifests: readonly PlatformManifestRef[]): RenderedBlob {
  return blob(IMAGE_MEDIA_TYPES.ociIndex, {
    schemaVersion: 2,
    mediaType: IMAGE_MEDIA_TYPES.ociIndex,
    manifests: sorted(manifests).map((m) => descriptorOf(m.manifest, m.ociPlatform)),
  });
}

/** index.json of the layout: the index under `ref`, then each platform manifest under its OS_ARCH. */
export function renderLayoutIndex(
  index: RenderedBlob,
  ref: string,
  manifests: readonly PlatformManifestRef[],
): Uint8Array {
  const doc = {
    schemaVersion: 2,
    mediaType: IMAGE_MEDIA_TYPES.ociIndex,
    manifests: [
      { ...descriptorOf(index), annotations: { [OCI_LAYOUT.refName]: ref } },
      ...sorted(manifests).map((m) => ({
        ...descriptorOf(m.manifest, m.ociPlatform),
        annotations: { [OCI_LAYOUT.refName]: m.platform },
      })),
    ],
  };
  return new TextEncoder().encode(`${JSON.stringify(doc)}\n`);
}

function sorted(manifests: readonly PlatformManifestRef[]): PlatformManifestRef[] {
  return [...manifests].sort((a, b) => compareStrings(a.platform, b.platform));
}

function descriptorOf(b: RenderedBlob, platform?: OciPlatform): Descriptor {
  return {
    mediaType: b.mediaType,
    digest: b.digest,
    size: b.size,
    ...(platform === undefined ? {} : { platform }),
  };
}

function blob(mediaType: string, doc: unknown): RenderedBlob {
  const bytes = new TextEncoder().encode(JSON.stringify(doc));
  return { mediaType, digest: sha256Of(bytes), size: bytes.length, bytes };
}
