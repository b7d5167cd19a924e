// What `airgap import --push REGISTRY/REPO:TAG` sends, in which order, planned from
// the documents of the runner image's OCI layout (DIR/image): the layout's
// index.json entry for the bundle's ref, the image index it names, and the image
// manifests that index lists. Order: every blob (configs and layers, each once),
// then each platform manifest by digest, then the image index by tag, last, so a
// failure half way never leaves the tag on an index whose parts are missing.
// Pure: the service reads the bytes and hashes the blobs.

import { AirgapError } from '../errors.js';
import {
  IMAGE_MEDIA_TYPES,
  OCI_LAYOUT,
  parseImageDocument,
  sha256Of,
  type Descriptor,
} from '../image/oci-image.js';

/** A document of the layout (an index or manifest) read into memory, with the descriptor that names it. */
export interface LayoutDocument {
  descriptor: Descriptor;
  bytes: Uint8Array;
}

/** A manifest or index to PUT: its exact bytes, digest-checked against its descriptor. */
export interface PushDocument {
  mediaType: string;
  digest: string;
  size: number;
  bytes: Uint8Array;
}

export interface PlatformPushDocument extends PushDocument {
  /** tofu's OS_ARCH, e.g. "linux_arm64". */
  platform: string;
}

/** One platform manifest the bundle's airgap.json (and so airgap-state.json) names. */
export interface ExpectedPlatform {
  platform: string;
  manifest: string;
}

export interface ImagePushPlan {
  /** The image index: pushed by tag, last. */
  index: PushDocument;
  /** Each platform's image manifest, in the index's order: pushed by digest. */
  manifests: PlatformPushDocument[];
  /** Configs and layers, each digest once, in manifest order (config, then layers): pushed first. */
  blobs: Descriptor[];
}

/** Manifests and indexes airgap reads into memory; the distribution spec lets registries refuse bigger ones. */
export const MAX_DOCUMENT_BYTES = 4 * 1024 * 1024;

/**
 * The descriptor of the layout's index.json entry named `ref` (annotation
 * org.opencontainers.image.ref.name). It must be the one entry with that name, an
 * image index, and carry `digest`: what airgap.json and airgap-state.json record.
 */
export function findLayoutEntry(
  layoutIndex: Uint8Array,
  ref: string,
  digest: string,
  where: string,
): Descriptor {
  const parsed = parseImageDocument(layoutIndex, where, IMAGE_MEDIA_TYPES.ociIndex);
  if (parsed.kind !== 'index') {
    throw invalid(
      where,
      `an OCI layout's ${OCI_LAYOUT.index} must be an image index`,
      'an index',
      parsed.kind,
    );
  }
  const named = parsed.doc.manifests.filter((m) => m.annotations?.[OCI_LAYOUT.refName] === ref);
  if (named.length !== 1) {
    const refs = parsed.doc.manifests
      .map((m) => m.annotations?.[OCI_LAYOUT.refName])
      .filter((r): r is string => r !== undefined);
    throw invalid(
      where,
      named.length === 0
        ? `no entry is named ${JSON.stringify(ref)} (${OCI_LAYOUT.refName}); it names ${refs.map((r) => JSON.stringify(r)).join(', ') || 'nothing'}`
        : `${named.length} entries are named ${JSON.stringify(ref)}; the ref must name one image`,
      `one entry named ${JSON.stringify(ref)}`,
      String(named.length),
    );
  }
  const entry = named[0]!;
  if (entry.digest !== digest) {
    throw new AirgapError(
      'CHECKSUM_MISMATCH',
      `${where}: the entry named ${JSON.stringify(ref)} is ${entry.digest}, but the bundle's airgap.json names the image index ${digest}`,
      { path: where, expected: digest, actual: entry.digest },
    );
  }
  if (entry.mediaType !== IMAGE_MEDIA_TYPES.ociIndex) {
    throw invalid(
      where,
      `the entry named ${JSON.stringify(ref)} is ${entry.mediaType}, not an OCI image index`,
      IMAGE_MEDIA_TYPES.ociIndex,
      entry.mediaType,
    );
  }
  return entry;
}

/** Throws CHECKSUM_MISMATCH (naming `where`) unless `bytes` have the descriptor's size and digest. */
export function checkDocumentBytes(descriptor: Descriptor, bytes: Uint8Array, where: string): void {
  if (bytes.length !== descriptor.size) {
    throw new AirgapError(
      'CHECKSUM_MISMATCH',
      `${where}: ${bytes.length} bytes, but its descriptor says ${descriptor.size}`,
      { path: where, expected: `${descriptor.size} bytes`, actual: `${bytes.length} bytes` },
    );
  }
  const digest = sha256Of(bytes);
  if (digest !== descriptor.digest) {
    throw new AirgapError(
      'CHECKSUM_MISMATCH',
      `${where}: sha256 is ${digest}, but it is named ${descriptor.digest}`,
      {
        path: where,
        expected: descriptor.digest,
        actual: digest,
      },
    );
  }
}

/** The image manifests the image index lists, in order; anything but image manifests is refused. */
export function indexManifests(index: LayoutDocument, where: string): Descriptor[] {
  const parsed = parseImageDocument(index.bytes, where, index.descriptor.mediaType);
  if (parsed.kind !== 'index') throw invalid(where, 'it should be an image index', 'an index', parsed.kind);
  if (parsed.mediaType !== index.descriptor.mediaType) {
    throw invalid(
      where,
      `it declares media type ${parsed.mediaType}, but its descriptor says ${index.descriptor.mediaType}`,
      index.descriptor.mediaType,
      parsed.mediaType,
    );
  }
  if (parsed.doc.manifests.length === 0) throw invalid(where, 'it lists no manifest', 'at least one', '0');
  parsed.doc.manifests.forEach((m, i) => {
    if (m.mediaType !== IMAGE_MEDIA_TYPES.ociManifest && m.mediaType !== IMAGE_MEDIA_TYPES.dockerManifest) {
      throw invalid(
        where,
        `manifests[${i}] is ${m.mediaType}: airgap pushes an index over image manifests only`,
        IMAGE_MEDIA_TYPES.ociManifest,
        m.mediaType,
      );
    }
  });
  return parsed.doc.manifests;
}

/**
 * The push plan. `manifests` are the documents `indexManifests` listed, read and
 * checked (checkDocumentBytes); `expected` are the platforms airgap-state.json
 * records: each must be in the index under its digest.
 */
export function planImagePush(
  index: LayoutDocument,
  manifests: readonly LayoutDocument[],
  expected: readonly ExpectedPlatform[],
  where: (digest: string) => string,
): ImagePushPlan {
  const listed = indexManifests(index, where(index.descriptor.digest));
  if (
    listed.length !== manifests.length ||
    listed.some((d, i) => d.digest !== manifests[i]?.descriptor.digest)
  ) {
    throw invalid(
      where(index.descriptor.digest),
      'the manifests read are not the ones the index lists',
      listed.map((d) => d.digest).join(', '),
      manifests.map((m) => m.descriptor.digest).join(', '),
    );
  }
  for (const e of expected) {
    if (!listed.some((d) => d.digest === e.manifest)) {
      throw invalid(
        where(index.descriptor.digest),
        `the bundle's airgap.json names ${e.manifest} as the ${e.platform} manifest, which the index does not list`,
        e.manifest,
        listed.map((d) => d.digest).join(', '),
      );
    }
  }

  const blobs: Descriptor[] = [];
  const seen = new Map<string, number>();
  const addBlob = (d: Descriptor, at: string): void => {
    const size = seen.get(d.digest);
    if (size === undefined) {
      seen.set(d.digest, d.size);
      blobs.push({ mediaType: d.mediaType, digest: d.digest, size: d.size });
      return;
    }
    if (size !== d.size) {
      throw invalid(
        at,
        `blob ${d.digest} is described as ${d.size} bytes here and ${size} bytes elsewhere`,
        String(size),
        String(d.size),
      );
    }
  };

  const pushManifests = manifests.map((m): PlatformPushDocument => {
    const at = where(m.descriptor.digest);
    const parsed = parseImageDocument(m.bytes, at, m.descriptor.mediaType);
    if (parsed.kind !== 'manifest')
      throw invalid(at, 'it should be an image manifest', 'a manifest', parsed.kind);
    if (parsed.mediaType !== m.descriptor.mediaType) {
      throw invalid(
        at,
        `it declares media type ${parsed.mediaType}, but the index lists it as ${m.descriptor.mediaType}`,
        m.descriptor.mediaType,
        parsed.mediaType,
      );
    }
    addBlob(parsed.doc.config, at);
    for (const layer of parsed.doc.layers) addBlob(layer, at);
    const named = expected.find((e) => e.manifest === m.descriptor.digest)?.platform;
    const p = m.descriptor.platform;
    return {
      mediaType: parsed.mediaType,
      digest: m.descriptor.digest,
      size: m.descriptor.size,
      bytes: m.bytes,
      platform: named ?? (p === undefined ? 'unknown' : `${p.os}_${p.architecture}`),
    };
  });
  return {
    index: {
      mediaType: parseImageDocument(index.bytes, where(index.descriptor.digest), index.descriptor.mediaType)
        .mediaType,
      digest: index.descriptor.digest,
      size: index.descriptor.size,
      bytes: index.bytes,
    },
    manifests: pushManifests,
    blobs,
  };
}

function invalid(where: string, why: string, expected: string, actual: string): AirgapError {
  return new AirgapError('IMAGE_INVALID', `${where}: ${why}`, { path: where, expected, actual });
}
