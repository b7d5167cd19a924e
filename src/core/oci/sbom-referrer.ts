// The SBOM as an OCI artifact that refers to the runner image's index (image-spec 1.1
// "artifacts", distribution-spec 1.1 "referrers"): an image manifest with
// artifactType application/vnd.cyclonedx+json, the empty config, one layer (the
// SBOM's bytes) and `subject` = the index's descriptor. Where a registry does not
// index referrers itself, the client keeps the referrers tag schema: the tag
// ALG-HEX of the subject's digest names an image index listing every referrer.
// Pure: documents and digests in, bytes out (docs/SBOM-FORMAT.md, "In the registry").

import { createHash } from 'node:crypto';
import { AirgapError } from '../errors.js';
import { IMAGE_MEDIA_TYPES, type Descriptor } from '../image/oci-image.js';
import { CDX_MEDIA_TYPE } from '../sbom/cyclonedx.js';

/** image-spec's empty descriptor: the two bytes "{}". */
export const EMPTY_CONFIG = {
  mediaType: 'application/vnd.oci.empty.v1+json',
  digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
  size: 2,
  bytes: new TextEncoder().encode('{}'),
} as const;

export const TITLE_ANNOTATION = 'org.opencontainers.image.title';
export const CREATED_ANNOTATION = 'org.opencontainers.image.created';

export interface ReferrerDocument {
  mediaType: string;
  bytes: Uint8Array;
  digest: string;
}

function digestOf(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function encode(doc: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(doc));
}

export interface SbomArtifact {
  manifest: ReferrerDocument;
  /** The SBOM layer's descriptor (the blob to push, besides the empty config). */
  layer: { mediaType: string; digest: string; size: number };
  /** The manifest's descriptor as a referrers index lists it. */
  descriptor: Descriptor;
}

/**
 * The artifact manifest for `sbom` (its bytes), referring to `subject`. `created`
 * (the SBOM's own timestamp) makes the manifest, and so its digest, repeat for the
 * same SBOM.
 */
export function sbomArtifact(input: {
  sbom: Uint8Array;
  fileName: string;
  subject: { mediaType: string; digest: string; size: number };
  created: string;
}): SbomArtifact {
  const layer = { mediaType: CDX_MEDIA_TYPE, digest: digestOf(input.sbom), size: input.sbom.length };
  const annotations = { [CREATED_ANNOTATION]: input.created };
  const bytes = encode({
    schemaVersion: 2,
    mediaType: IMAGE_MEDIA_TYPES.ociManifest,
    artifactType: CDX_MEDIA_TYPE,
    config: { mediaType: EMPTY_CONFIG.mediaType, digest: EMPTY_CONFIG.digest, size: EMPTY_CONFIG.size },
    layers: [{ ...layer, annotations: { [TITLE_ANNOTATION]: input.fileName } }],
    subject: { mediaType: input.subject.mediaType, digest: input.subject.digest, size: input.subject.size },
    annotations,
  });
  const digest = digestOf(bytes);
  return {
    manifest: { mediaType: IMAGE_MEDIA_TYPES.ociManifest, bytes, digest },
    layer,
    descriptor: {
      mediaType: IMAGE_MEDIA_TYPES.ociManifest,
      digest,
      size: bytes.length,
      artifactType: CDX_MEDIA_TYPE,
      annotations,
    },
  };
}

/** The referrers tag schema's tag for a subject digest: "sha256:HEX" -> "sha256-HEX". */
export function referrersTag(digest: string): string {
  const m = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/.exec(digest);
  if (m === null) {
    throw new AirgapError('OCI_REFERENCE_INVALID', `${digest} is not a digest ALG:HEX`, {
      expected: 'ALG:HEX',
      actual: digest,
    });
  }
  // A tag is at most 128 characters: the spec truncates ALG to 32 and HEX to 64.
  return `${m[1]!.slice(0, 32)}-${m[2]!.slice(0, 64)}`;
}

/**
 * The referrers index after adding `descriptor`: the existing one (when the tag names
 * an image index) with every other entry kept, or a new one. `undefined` when the
 * descriptor is listed already, so nothing needs pushing.
 */
export function withReferrer(
  existing: { mediaType: string; bytes: Uint8Array } | undefined,
  descriptor: Descriptor,
  where: string,
): ReferrerDocument | undefined {
  let manifests: Descriptor[] = [];
  if (existing !== undefined) {
    let doc: { mediaType?: unknown; manifests?: unknown };
    try {
      doc = JSON.parse(new TextDecoder().decode(existing.bytes)) as typeof doc;
    } catch {
      doc = {};
    }
    if (existing.mediaType !== IMAGE_MEDIA_TYPES.ociIndex || !Array.isArray(doc.manifests)) {
      throw new AirgapError(
        'OCI_REGISTRY_ERROR',
        `${where} is not an OCI image index, so it cannot be the referrers tag schema's list; it is left as it is`,
        { address: where, expected: IMAGE_MEDIA_TYPES.ociIndex, actual: existing.mediaType },
        'remove or rename that tag (it is reserved for the referrers of the image), then push again',
      );
    }
    manifests = doc.manifests as Descriptor[];
    if (manifests.some((d) => d.digest === descriptor.digest)) return undefined;
  }
  // Appended: the other referrers stay as whoever pushed them left them.
  const bytes = encode({
    schemaVersion: 2,
    mediaType: IMAGE_MEDIA_TYPES.ociIndex,
    manifests: [...manifests, descriptor],
  });
  return { mediaType: IMAGE_MEDIA_TYPES.ociIndex, bytes, digest: digestOf(bytes) };
}
