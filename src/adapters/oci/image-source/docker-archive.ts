// `docker-archive:FILE[:NAME:TAG]`: what `docker save` and `skopeo copy ...
// docker-archive:` write. manifest.json lists `[{Config, RepoTags, Layers}]`; the
// config is a member, layers are members (skopeo also writes `<id>/layer.tar`
// symlinks to them, which are followed inside the archive only), plain tar or gzip.
// Such an archive stores no image manifest, so one is synthesized: a Docker schema 2
// manifest in the shape `skopeo inspect --raw docker-archive:FILE` prints
// ({schemaVersion, mediaType, config{mediaType,size,digest}, layers[...]}, compact
// JSON), except that each layer's media type is the true one found by sniffing
// (skopeo labels every layer tar.gzip). Layer digests are the sha256 of the member
// as stored (for a plain tar, its diff_id), computed by hashing each member once.
// An archive that also holds an OCI layout (Docker 25+: oci-layout and index.json)
// is read as that layout, so the image keeps its real manifests.
import { createHash } from 'node:crypto';
import { AirgapError } from '../../../core/errors.js';
import { IMAGE_MEDIA_TYPES, OCI_LAYOUT, sha256Of, type Descriptor } from '../../../core/image/oci-image.js';
import { normalizeImageName } from '../../../core/oci/base-reference.js';
import type { ImageSource } from '../../../core/ports.js';
import { copyVerified } from './blob-file.js';
import { archiveLayoutReader, indexArchive } from './oci-archive.js';
import { layoutImageSource } from './oci-layout.js';
import { checkDocument, MAX_DOCUMENT_BYTES, resolveFromStore } from './resolve.js';
import { findFile, memberStream, readMember, type TarIndex, type TarMember } from './tar-index.js';

interface SavedImage {
  Config: string;
  RepoTags: string[];
  Layers: string[];
}

interface LegacyArchive {
  kind: 'legacy';
  index: TarIndex;
  manifest: Uint8Array;
  manifestDigest: string;
  config: Uint8Array;
  /** Layer digest -> its member. */
  layers: Map<string, TarMember>;
}

type Loaded = LegacyArchive | { kind: 'layout'; source: ImageSource };

export function openDockerArchive(reference: string, file: string, ref: string | undefined): ImageSource {
  let pending: Promise<Loaded> | undefined;
  const load = (): Promise<Loaded> => (pending ??= loadArchive(reference, file, ref));
  return {
    reference,
    async resolve(platforms) {
      const loaded = await load();
      if (loaded.kind === 'layout') return loaded.source.resolve(platforms);
      return resolveFromStore(
        {
          reference,
          top: async () => ({
            bytes: loaded.manifest,
            digest: loaded.manifestDigest,
            mediaType: IMAGE_MEDIA_TYPES.dockerManifest,
          }),
          fetch: async (descriptor, what) => checkDocument(loaded.config, descriptor, reference, what),
        },
        platforms,
      );
    },
    async copyBlob(descriptor, dest, onBytes) {
      const loaded = await load();
      if (loaded.kind === 'layout') return loaded.source.copyBlob(descriptor, dest, onBytes);
      const member = loaded.layers.get(descriptor.digest);
      if (member === undefined) {
        throw new AirgapError('INPUT_NOT_FOUND', `${reference}: no layer ${descriptor.digest} in ${file}`, {
          address: reference,
          path: file,
          expected: descriptor.digest,
        });
      }
      await copyVerified(memberStream(loaded.index, member), dest, descriptor, reference, onBytes);
    },
    async close() {
      if (pending === undefined) return;
      const loaded = await pending.catch(() => undefined);
      if (loaded?.kind === 'layout') await loaded.source.close();
    },
  };
}

async function loadArchive(reference: string, file: string, ref: string | undefined): Promise<Loaded> {
  const index = await indexArchive(reference, file);
  if (index.members.has(OCI_LAYOUT.markerFile) && index.members.has(OCI_LAYOUT.index)) {
    const reader = archiveLayoutReader(reference, index);
    return { kind: 'layout', source: layoutImageSource(reference, { imageName: ref }, async () => reader) };
  }
  const manifestMember = member(reference, index, 'manifest.json');
  const saved = pickImage(
    reference,
    parseSavedManifest(reference, await readMember(index, manifestMember, MAX_DOCUMENT_BYTES, reference)),
    ref,
  );
  const config = await readMember(
    index,
    member(reference, index, saved.Config),
    MAX_DOCUMENT_BYTES,
    reference,
  );
  const configDescriptor: Descriptor = {
    mediaType: IMAGE_MEDIA_TYPES.dockerConfig,
    size: config.length,
    digest: sha256Of(config),
  };
  const layers = new Map<string, TarMember>();
  const layerDescriptors: Descriptor[] = [];
  for (const name of saved.Layers) {
    const layer = member(reference, index, name);
    const { digest, compression } = await hashMember(reference, index, layer);
    layers.set(digest, layer);
    layerDescriptors.push({
      mediaType: compression === 'gzip' ? IMAGE_MEDIA_TYPES.dockerLayerGzip : IMAGE_MEDIA_TYPES.dockerLayer,
      size: layer.size,
      digest,
    });
  }
  // Key order as containers/image's docker-archive source writes it.
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: IMAGE_MEDIA_TYPES.dockerManifest,
      config: {
        mediaType: configDescriptor.mediaType,
        size: configDescriptor.size,
        digest: configDescriptor.digest,
      },
      layers: layerDescriptors.map((l) => ({ mediaType: l.mediaType, size: l.size, digest: l.digest })),
    }),
    'utf8',
  );
  return {
    kind: 'legacy',
    index,
    manifest,
    manifestDigest: sha256Of(manifest),
    config,
    layers,
  };
}

function member(reference: string, index: TarIndex, name: string): TarMember {
  const found = findFile(index, name, reference);
  if (found !== undefined) return found;
  throw new AirgapError('INPUT_NOT_FOUND', `${reference}: ${index.archive} has no member ${name}`, {
    address: reference,
    path: `${index.archive}:${name}`,
  });
}

function parseSavedManifest(reference: string, bytes: Uint8Array): SavedImage[] {
  const where = `${reference}: manifest.json`;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (cause) {
    throw new AirgapError('IMAGE_INVALID', `${where} is not valid JSON`, { address: reference, cause });
  }
  const fail = (why: string, actual: unknown): AirgapError =>
    new AirgapError('IMAGE_INVALID', `${where}: ${why}`, {
      address: reference,
      expected: '[{"Config": "...", "RepoTags": [...], "Layers": ["..."]}]',
      actual: String(JSON.stringify(actual)).slice(0, 120),
    });
  if (!Array.isArray(json) || json.length === 0) throw fail('expected a non-empty array of images', json);
  return json.map((entry: unknown, i) => {
    const e = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
    if (typeof e['Config'] !== 'string') throw fail(`[${i}].Config should be a member name`, e['Config']);
    const layers = e['Layers'];
    if (!Array.isArray(layers) || !layers.every((l) => typeof l === 'string')) {
      throw fail(`[${i}].Layers should be an array of member names`, layers);
    }
    const tags = e['RepoTags'] ?? [];
    if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string')) {
      throw fail(`[${i}].RepoTags should be an array of names`, tags);
    }
    return { Config: e['Config'], RepoTags: tags as string[], Layers: layers as string[] };
  });
}

function pickImage(reference: string, images: SavedImage[], ref: string | undefined): SavedImage {
  const allTags = images.flatMap((i) => i.RepoTags);
  const listed = allTags.length === 0 ? 'none tagged' : allTags.join(', ');
  if (ref !== undefined) {
    const wanted = normalizeImageName(ref);
    const found = images.find((i) => i.RepoTags.some((t) => normalizeImageName(t) === wanted));
    if (found !== undefined) return found;
    throw new AirgapError(
      'IMAGE_INVALID',
      `${reference}: manifest.json has no image tagged ${ref} (RepoTags: ${listed})`,
      {
        address: reference,
        expected: ref,
        actual: listed,
      },
    );
  }
  if (images.length === 1) return images[0]!;
  throw new AirgapError(
    'IMAGE_INVALID',
    `${reference}: manifest.json holds ${images.length} images; name one as ${reference}:NAME:TAG (RepoTags: ${listed})`,
    { address: reference, expected: 'exactly one image, or NAME:TAG', actual: listed },
  );
}

/** sha256 of the member as stored, and its compression by magic bytes; zstd is refused. */
async function hashMember(
  reference: string,
  index: TarIndex,
  layer: TarMember,
): Promise<{ digest: string; compression: 'gzip' | 'none' }> {
  const hash = createHash('sha256');
  let head: Buffer | undefined;
  for await (const chunk of memberStream(index, layer) as AsyncIterable<Buffer>) {
    head ??= chunk.subarray(0, 4);
    hash.update(chunk);
  }
  if (head !== undefined && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) {
    throw new AirgapError(
      'IMAGE_INVALID',
      `${reference}: layer ${layer.name} is zstd-compressed, which a docker-archive cannot declare`,
      {
        address: reference,
        path: `${index.archive}:${layer.name}`,
        expected: 'a plain or gzip tar',
        actual: 'zstd',
      },
    );
  }
  const gzip = head !== undefined && head[0] === 0x1f && head[1] === 0x8b;
  return { digest: `sha256:${hash.digest('hex')}`, compression: gzip ? 'gzip' : 'none' };
}
