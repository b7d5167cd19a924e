// Container images as the OCI image-spec (and Docker's schema 2, which it grew from)
// describe them: media types, descriptors, the index, the image manifest and the
// image config. Parsers take exact bytes and say which document and which field
// broke, so a bad base image is reported by name. Pure: no I/O.

import { createHash } from 'node:crypto';
import { AirgapError } from '../errors.js';
import type { Platform } from '../provider/platform.js';

export const IMAGE_MEDIA_TYPES = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
} as const;

/** The OCI image layout's marker file and index (image-spec, image-layout.md). */
export const OCI_LAYOUT = {
  markerFile: 'oci-layout',
  markerText: '{"imageLayoutVersion":"1.0.0"}',
  index: 'index.json',
  blobsDir: 'blobs',
  /** Annotation on an index.json entry that names it (the TAG of `oci:PATH:TAG`). */
  refName: 'org.opencontainers.image.ref.name',
} as const;

/** Blob path inside an OCI layout: blobs/ALG/HEX. */
export function layoutBlobPath(digest: string): string {
  const colon = digest.indexOf(':');
  return `${OCI_LAYOUT.blobsDir}/${digest.slice(0, colon)}/${digest.slice(colon + 1)}`;
}

export interface OciPlatform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: OciPlatform;
  annotations?: Record<string, string>;
  artifactType?: string;
}

export interface ImageIndexDoc {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageManifestDoc {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** The parts of an image config airgap reads or sets; everything else is carried over untouched. */
export interface ImageConfigDoc {
  architecture: string;
  os: string;
  variant?: string;
  created?: string;
  config?: {
    User?: string;
    Env?: string[];
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    WorkingDir?: string;
    [key: string]: unknown;
  };
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: HistoryEntry[];
  [key: string]: unknown;
}

export type ParsedImageDocument =
  | { kind: 'index'; mediaType: string; doc: ImageIndexDoc }
  | { kind: 'manifest'; mediaType: string; doc: ImageManifestDoc };

export function sha256Of(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Layer compression by media type; undefined for a media type that is not a layer airgap can read. */
export function layerCompression(mediaType: string): 'gzip' | 'zstd' | 'none' | undefined {
  switch (mediaType) {
    case IMAGE_MEDIA_TYPES.ociLayer:
    case IMAGE_MEDIA_TYPES.dockerLayer:
      return 'none';
    case IMAGE_MEDIA_TYPES.ociLayerGzip:
    case IMAGE_MEDIA_TYPES.dockerLayerGzip:
      return 'gzip';
    case IMAGE_MEDIA_TYPES.ociLayerZstd:
      return 'zstd';
    default:
      return undefined;
  }
}

/** The OCI media type for a layer given in Docker's (same bytes, same digest), as `skopeo copy` converts it. */
export function ociLayerMediaType(mediaType: string, where: string): string {
  const compression = layerCompression(mediaType);
  if (compression === 'none') return IMAGE_MEDIA_TYPES.ociLayer;
  if (compression === 'gzip') return IMAGE_MEDIA_TYPES.ociLayerGzip;
  if (compression === 'zstd') return IMAGE_MEDIA_TYPES.ociLayerZstd;
  throw new AirgapError('IMAGE_INVALID', `${where}: layer media type ${mediaType} is not a Linux layer tar`, {
    address: where,
    expected: 'an OCI or Docker layer tar (plain, gzip or zstd)',
    actual: mediaType,
  });
}

/** tofu's OS_ARCH as an OCI platform; arm64 images are published with variant v8 or none. */
export function ociPlatformOf(p: Platform): OciPlatform {
  return { os: p.os, architecture: p.arch, ...(p.arch === 'arm64' ? { variant: 'v8' } : {}) };
}

/** Whether an image's platform serves tofu's OS_ARCH (arm64 with variant v8 or none). */
export function platformMatches(image: OciPlatform | undefined, p: Platform): boolean {
  if (image === undefined) return false;
  if (image.os !== p.os || image.architecture !== p.arch) return false;
  if (p.arch === 'arm64') return image.variant === undefined || image.variant === 'v8';
  return true;
}

/** "linux/arm64/v8", as docker and skopeo print platforms. */
export function formatOciPlatform(p: OciPlatform): string {
  return [p.os, p.architecture, ...(p.variant === undefined ? [] : [p.variant])].join('/');
}

/** An index or image manifest (OCI or Docker schema 2), told apart by media type or by shape. */
export function parseImageDocument(
  bytes: Uint8Array,
  where: string,
  mediaTypeHint?: string,
): ParsedImageDocument {
  const doc = parseJsonObject(bytes, where);
  if (doc['schemaVersion'] !== 2) throw invalid(where, 'schemaVersion', '2', doc['schemaVersion']);
  const declared = typeof doc['mediaType'] === 'string' ? doc['mediaType'] : undefined;
  const mediaType = declared ?? mediaTypeHint ?? '';
  const isIndex =
    mediaType === IMAGE_MEDIA_TYPES.ociIndex ||
    mediaType === IMAGE_MEDIA_TYPES.dockerManifestList ||
    (mediaType === '' && Array.isArray(doc['manifests']));
  if (isIndex) {
    const manifests = doc['manifests'];
    if (!Array.isArray(manifests)) throw invalid(where, 'manifests', 'an array', manifests);
    return {
      kind: 'index',
      mediaType: mediaType || IMAGE_MEDIA_TYPES.ociIndex,
      doc: {
        ...(doc as unknown as ImageIndexDoc),
        manifests: manifests.map((m, i) => checkDescriptor(m, where, `manifests[${i}]`)),
      },
    };
  }
  if (
    mediaType !== '' &&
    mediaType !== IMAGE_MEDIA_TYPES.ociManifest &&
    mediaType !== IMAGE_MEDIA_TYPES.dockerManifest
  ) {
    throw invalid(where, 'mediaType', 'an OCI or Docker schema 2 index or image manifest', mediaType);
  }
  const layers = doc['layers'];
  if (!Array.isArray(layers)) throw invalid(where, 'layers', 'an array', layers);
  return {
    kind: 'manifest',
    mediaType: mediaType || IMAGE_MEDIA_TYPES.ociManifest,
    doc: {
      ...(doc as unknown as ImageManifestDoc),
      config: checkDescriptor(doc['config'], where, 'config'),
      layers: layers.map((l, i) => checkDescriptor(l, where, `layers[${i}]`)),
    },
  };
}

export function parseImageConfig(bytes: Uint8Array, where: string): ImageConfigDoc {
  const doc = parseJsonObject(bytes, where);
  for (const key of ['architecture', 'os'] as const) {
    if (typeof doc[key] !== 'string' || doc[key] === '') throw invalid(where, key, 'a string', doc[key]);
  }
  const rootfs = doc['rootfs'] as { type?: unknown; diff_ids?: unknown } | undefined;
  if (typeof rootfs !== 'object' || rootfs === null || rootfs.type !== 'layers') {
    throw invalid(where, 'rootfs.type', '"layers"', rootfs?.type);
  }
  if (!Array.isArray(rootfs.diff_ids) || !rootfs.diff_ids.every((d) => typeof d === 'string')) {
    throw invalid(where, 'rootfs.diff_ids', 'an array of digests', rootfs.diff_ids);
  }
  if (doc['config'] !== undefined && (typeof doc['config'] !== 'object' || doc['config'] === null)) {
    throw invalid(where, 'config', 'an object', doc['config']);
  }
  const env = (doc['config'] as { Env?: unknown } | undefined)?.Env;
  if (env !== undefined && env !== null && !(Array.isArray(env) && env.every((e) => typeof e === 'string'))) {
    throw invalid(where, 'config.Env', 'an array of strings', env);
  }
  if (doc['history'] !== undefined && !Array.isArray(doc['history'])) {
    throw invalid(where, 'history', 'an array', doc['history']);
  }
  return doc as unknown as ImageConfigDoc;
}

function checkDescriptor(value: unknown, where: string, field: string): Descriptor {
  if (typeof value !== 'object' || value === null) throw invalid(where, field, 'a descriptor object', value);
  const d = value as Record<string, unknown>;
  if (typeof d['mediaType'] !== 'string')
    throw invalid(where, `${field}.mediaType`, 'a string', d['mediaType']);
  if (typeof d['digest'] !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(d['digest'])) {
    throw invalid(where, `${field}.digest`, 'sha256:<64 lower-case hex>', d['digest']);
  }
  if (!Number.isSafeInteger(d['size']) || (d['size'] as number) < 0) {
    throw invalid(where, `${field}.size`, 'a byte count', d['size']);
  }
  const platform = d['platform'];
  if (platform !== undefined) {
    const p = platform as Record<string, unknown>;
    if (
      typeof p !== 'object' ||
      p === null ||
      typeof p['os'] !== 'string' ||
      typeof p['architecture'] !== 'string'
    ) {
      throw invalid(where, `${field}.platform`, '{"os": ..., "architecture": ...}', platform);
    }
  }
  return d as unknown as Descriptor;
}

function parseJsonObject(bytes: Uint8Array, where: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (e) {
    throw new AirgapError('IMAGE_INVALID', `${where} is not valid JSON: ${(e as Error).message}`, {
      address: where,
      cause: e,
    });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw invalid(where, 'top level', 'an object', doc);
  }
  return doc as Record<string, unknown>;
}

function invalid(where: string, field: string, expected: string, actual: unknown): AirgapError {
  const shown = actual === undefined ? 'nothing' : JSON.stringify(actual)?.slice(0, 120);
  return new AirgapError('IMAGE_INVALID', `${where}: ${field} should be ${expected}, found ${shown}`, {
    address: where,
    expected,
    actual: String(shown),
  });
}
