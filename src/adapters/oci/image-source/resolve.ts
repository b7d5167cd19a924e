// From a base image's top document to one image per wanted platform, the same for
// every source kind: an index is searched for the first manifest whose platform
// serves each wanted OS_ARCH (attestation and other artifact manifests skipped),
// a single manifest serves the platform its config names. Each chosen manifest's
// config is fetched, parsed and checked against the platform it is meant to serve.
import { AirgapError } from '../../../core/errors.js';
import {
  formatOciPlatform,
  IMAGE_MEDIA_TYPES,
  ociLayerMediaType,
  parseImageConfig,
  parseImageDocument,
  platformMatches,
  sha256Of,
  type Descriptor,
  type ImageManifestDoc,
  type OciPlatform,
} from '../../../core/image/oci-image.js';
import type { BasePlatformImage, ResolvedBaseImage } from '../../../core/ports.js';
import { formatPlatform, type Platform } from '../../../core/provider/platform.js';

/** The distribution spec lets registries refuse manifests above 4 MiB; configs get the same cap. */
export const MAX_DOCUMENT_BYTES = 4 * 1024 * 1024;

export interface TopDocument {
  bytes: Uint8Array;
  /** What the reference names, as the source stores it. */
  digest: string;
  /** Media type from the descriptor or Content-Type, when the document itself may not say. */
  mediaType?: string;
}

export interface DocumentStore {
  /** --base-image as given, for messages. */
  reference: string;
  top(): Promise<TopDocument>;
  /** A manifest or config blob, checked against `descriptor` (size, digest) and MAX_DOCUMENT_BYTES. */
  fetch(descriptor: Descriptor, what: 'manifest' | 'config'): Promise<Uint8Array>;
}

const MANIFEST_TYPES: string[] = [IMAGE_MEDIA_TYPES.ociManifest, IMAGE_MEDIA_TYPES.dockerManifest];

export async function resolveFromStore(
  store: DocumentStore,
  platforms: Platform[],
): Promise<ResolvedBaseImage> {
  const top = await store.top();
  const where = `${store.reference} (${top.digest})`;
  const parsed = parseImageDocument(top.bytes, where, top.mediaType);
  if (parsed.kind === 'manifest') {
    const image = await imageFor(store, top.digest, parsed.doc, undefined);
    const offered = configPlatform(image.parsedConfig);
    const served = platforms.filter((p) => platformMatches(offered, p));
    return {
      digest: top.digest,
      images: served.map((p) => ({ ...image, platform: formatPlatform(p) })),
      missing: platforms.filter((p) => !served.includes(p)).map(formatPlatform),
      available: [formatOciPlatform(offered)],
    };
  }
  const candidates = parsed.doc.manifests.filter(
    (d) =>
      d.artifactType === undefined &&
      d.platform !== undefined &&
      d.platform.os !== 'unknown' &&
      MANIFEST_TYPES.includes(d.mediaType),
  );
  const images: BasePlatformImage[] = [];
  const missing: string[] = [];
  for (const platform of platforms) {
    const descriptor = candidates.find((d) => platformMatches(d.platform, platform));
    if (descriptor === undefined) {
      missing.push(formatPlatform(platform));
      continue;
    }
    const bytes = await store.fetch(descriptor, 'manifest');
    const manifestWhere = `${store.reference}: manifest ${descriptor.digest}`;
    const manifest = parseImageDocument(bytes, manifestWhere, descriptor.mediaType);
    if (manifest.kind !== 'manifest') {
      throw new AirgapError(
        'IMAGE_INVALID',
        `${manifestWhere} for ${formatPlatform(platform)} is an index, expected an image manifest`,
        {
          address: store.reference,
          platform: formatPlatform(platform),
          expected: 'image manifest',
          actual: manifest.mediaType,
        },
      );
    }
    images.push(await imageFor(store, descriptor.digest, manifest.doc, platform));
  }
  const available = [...new Set(candidates.map((d) => formatOciPlatform(d.platform as OciPlatform)))];
  return { digest: top.digest, images, missing, available };
}

/** Config fetched and parsed, layers checked; `platform` undefined for a single-manifest base. */
async function imageFor(
  store: DocumentStore,
  manifestDigest: string,
  manifest: ImageManifestDoc,
  platform: Platform | undefined,
): Promise<BasePlatformImage> {
  const where = `${store.reference}: manifest ${manifestDigest}`;
  const config = await store.fetch(manifest.config, 'config');
  const parsedConfig = parseImageConfig(config, `${store.reference}: config ${manifest.config.digest}`);
  const offered = configPlatform(parsedConfig);
  if (platform !== undefined && !platformMatches(offered, platform)) {
    throw new AirgapError(
      'IMAGE_INVALID',
      `${where}: listed for ${formatPlatform(platform)}, but its config ${manifest.config.digest} says ${formatOciPlatform(offered)}`,
      {
        address: store.reference,
        platform: formatPlatform(platform),
        expected: formatPlatform(platform),
        actual: formatOciPlatform(offered),
      },
    );
  }
  manifest.layers.forEach((layer, i) => ociLayerMediaType(layer.mediaType, `${where}: layers[${i}]`));
  if (manifest.layers.length !== parsedConfig.rootfs.diff_ids.length) {
    throw new AirgapError(
      'IMAGE_INVALID',
      `${where}: ${manifest.layers.length} layers, but its config lists ${parsedConfig.rootfs.diff_ids.length} diff_ids`,
      {
        address: store.reference,
        expected: `${parsedConfig.rootfs.diff_ids.length} layers`,
        actual: `${manifest.layers.length} layers`,
      },
    );
  }
  return {
    platform: platform === undefined ? '' : formatPlatform(platform),
    manifestDigest,
    config,
    parsedConfig,
    layers: manifest.layers,
  };
}

function configPlatform(config: { os: string; architecture: string; variant?: string }): OciPlatform {
  return {
    os: config.os,
    architecture: config.architecture,
    ...(typeof config.variant === 'string' && config.variant !== '' ? { variant: config.variant } : {}),
  };
}

/** Size and digest of a whole small blob against its descriptor: CHECKSUM_MISMATCH naming it. */
export function checkDocument(
  bytes: Uint8Array,
  descriptor: Descriptor,
  source: string,
  what: string,
): Uint8Array {
  if (bytes.length !== descriptor.size) {
    throw new AirgapError(
      'CHECKSUM_MISMATCH',
      `${what} ${descriptor.digest} of ${source}: size is ${bytes.length}, expected ${descriptor.size}`,
      { address: source, expected: String(descriptor.size), actual: String(bytes.length) },
    );
  }
  const actual = sha256Of(bytes);
  if (actual !== descriptor.digest) {
    throw new AirgapError(
      'CHECKSUM_MISMATCH',
      `${what} ${descriptor.digest} of ${source}: digest is ${actual}, expected ${descriptor.digest}`,
      { address: source, expected: descriptor.digest, actual },
    );
  }
  return bytes;
}

/** Refuses a document above MAX_DOCUMENT_BYTES before reading it. */
export function checkDocumentSize(descriptor: Descriptor, source: string, what: string): void {
  if (descriptor.size <= MAX_DOCUMENT_BYTES) return;
  throw new AirgapError(
    'IMAGE_INVALID',
    `${what} ${descriptor.digest} of ${source} is ${descriptor.size} bytes, more than ${MAX_DOCUMENT_BYTES}`,
    { address: source, expected: `<= ${MAX_DOCUMENT_BYTES} bytes`, actual: String(descriptor.size) },
  );
}
