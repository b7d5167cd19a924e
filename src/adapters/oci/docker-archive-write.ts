// The docker-archive writer: one platform's image from an OCI image layout as the
// tar `docker load` reads (Docker's image spec v1.2 "combined image" tar, the
// shape skopeo's docker-archive transport and `docker save` before Docker 25 write).
//
// Entries, in this order, each mode 0644, uid/gid 0, no user names, one fixed mtime:
//   <config-hex>.json    the layout's config blob, byte for byte (image ID == config digest)
//   <diffid-hex>.tar     each distinct layer, uncompressed, in manifest order
//   manifest.json        [{"Config":...,"RepoTags":[repoTag],"Layers":[...]}]
//   repositories         {"REPO":{"TAG":"<config-hex>"}}; docker reads it only from an
//                        archive without manifest.json, so it is informational here
// skopeo writes the layers before the config; either way the two indexes come last,
// as skopeo and `docker save` put them: an archive cut short lacks manifest.json, so
// `docker load` refuses it instead of loading part of an image. No legacy v1 layer
// directories are written.
//
// A tar header carries the body's size, unknown for a gzip layer until it has been
// inflated. Each layer is therefore read twice: a first pass over every layer inflates
// and hashes (checking the blob digest and the config's diff_id) before the archive is
// started, and the second pass streams into the archive, re-hashing to be sure the
// bytes are those measured. Inflating twice costs CPU; a temp copy of each inflated
// layer would cost disk (the largest layer again, beside an archive already as big as
// the image) and write every byte twice. Memory stays at a few stream buffers.
// Whether a layer is gzip is read from its first bytes, as `docker load` does; the
// media type only rules out zstd and non-layers (see planLayers).

import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { AirgapError } from '../../core/errors.js';
import {
  layerCompression,
  layoutBlobPath,
  parseImageConfig,
  parseImageDocument,
  type Descriptor,
} from '../../core/image/oci-image.js';
import { isValidRegistryHost, isValidRepositoryName, isValidTag } from '../../core/oci/reference.js';
import { encodeTarHeader, tarPadding, TAR_END_SIZE } from '../archive/tar-write.js';
import { commitFile, tempPathBeside } from '../fs/atomic.js';

export interface DockerArchiveOptions {
  /** An OCI image layout. */
  layoutDir: string;
  /** The platform's image manifest (a blob in the layout). */
  manifestDigest: string;
  /** e.g. "airgap/runner:latest"; becomes the image's RepoTags. */
  repoTag: string;
  /** Written to a temp path beside it, then renamed; nothing is left on failure. */
  dest: string;
  /** For every tar entry; default 1970-01-01 (deterministic output). */
  mtime?: Date;
}

export interface DockerArchiveResult {
  path: string;
  size: number;
  /** Hex sha256 of the archive file. */
  sha256: string;
  /** "sha256:..." of the config, which is the image ID `docker load` reports. */
  configDigest: string;
  /** Layers of the image (a layer repeated in the manifest counts each time). */
  layers: number;
}

const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;
const ENTRY_MODE = 0o644;
const READ_CHUNK = 256 << 10;
const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

interface LayerPlan {
  index: number;
  descriptor: Descriptor;
  blobPath: string;
  diffId: string;
  /** Archive entry name: "<diffid-hex>.tar". */
  name: string;
  gzip: boolean;
  /** False for a layer whose diff_id an earlier layer already wrote. */
  write: boolean;
}

interface Measured {
  size: number;
  sha256: string;
}

export async function writeDockerArchive(options: DockerArchiveOptions): Promise<DockerArchiveResult> {
  const { repository, tag } = parseRepoTag(options.repoTag);
  const mtime = options.mtime ?? new Date(0);
  if (Number.isNaN(mtime.getTime()) || mtime.getTime() < 0) {
    throw new AirgapError('USAGE', `docker-archive mtime must be a date from 1970 on, got ${String(mtime)}`, {
      path: options.dest,
      actual: String(mtime),
    });
  }
  const { layoutDir, manifestDigest } = options;
  if (!SHA256_DIGEST.test(manifestDigest)) {
    throw new AirgapError(
      'IMAGE_INVALID',
      `manifest digest ${JSON.stringify(manifestDigest)} is not sha256:<64 hex>`,
      {
        path: layoutDir,
        expected: 'sha256:<64 lower-case hex>',
        actual: manifestDigest,
      },
    );
  }

  const manifestPath = blobFile(layoutDir, manifestDigest);
  const manifestBytes = await readBlob(manifestPath, manifestDigest, 'image manifest');
  const parsed = parseImageDocument(manifestBytes, manifestPath);
  if (parsed.kind !== 'manifest') {
    throw new AirgapError(
      'IMAGE_INVALID',
      `${manifestPath} is an image index (${parsed.mediaType}), not one platform's image manifest`,
      { path: manifestPath, expected: 'an image manifest', actual: parsed.mediaType },
    );
  }
  const manifest = parsed.doc;
  const configDigest = manifest.config.digest;
  const configPath = blobFile(layoutDir, configDigest);
  const configBytes = await readBlob(configPath, configDigest, 'image config');
  const config = parseImageConfig(configBytes, configPath);
  const diffIds = config.rootfs.diff_ids;
  if (diffIds.length !== manifest.layers.length) {
    throw new AirgapError(
      'IMAGE_INVALID',
      `${configPath}: rootfs.diff_ids lists ${diffIds.length} layers, manifest ${manifestPath} ${manifest.layers.length}`,
      { path: configPath, expected: String(manifest.layers.length), actual: String(diffIds.length) },
    );
  }

  const layers = await planLayers(layoutDir, manifest.layers, diffIds, configPath);
  // Every layer is proven against its diff_id before the archive is started.
  const measured: Measured[] = [];
  for (const layer of layers) measured.push(await measureLayer(layer));

  const configHex = configDigest.slice('sha256:'.length);
  const manifestJson = Buffer.from(
    JSON.stringify([
      { Config: `${configHex}.json`, RepoTags: [options.repoTag], Layers: layers.map((l) => l.name) },
    ]),
    'utf8',
  );
  const repositoriesJson = Buffer.from(JSON.stringify({ [repository]: { [tag]: configHex } }), 'utf8');

  await fs.mkdir(path.dirname(options.dest), { recursive: true });
  const tmp = tempPathBeside(options.dest);
  let sink: ArchiveSink | undefined;
  let archive: { size: number; sha256: string };
  try {
    const out = await openSink(tmp);
    sink = out;
    await out.entry(`${configHex}.json`, configBytes, mtime);
    for (const layer of layers) {
      if (!layer.write) continue;
      const expected = measured[layer.index]!;
      await out.write(
        encodeTarHeader({ name: layer.name, type: 'file', mode: ENTRY_MODE, size: expected.size, mtime }),
      );
      const written = await streamLayer(layer, (chunk) => out.write(chunk));
      if (written.size !== expected.size || written.sha256 !== expected.sha256) {
        throw new AirgapError(
          'CHECKSUM_MISMATCH',
          `layer ${layer.index} (${layer.blobPath}) changed while being written: first read ${expected.size} bytes sha256:${expected.sha256}, then ${written.size} bytes sha256:${written.sha256}`,
          {
            path: layer.blobPath,
            expected: `sha256:${expected.sha256}`,
            actual: `sha256:${written.sha256}`,
          },
        );
      }
      await out.write(Buffer.alloc(tarPadding(expected.size)));
    }
    await out.entry('manifest.json', manifestJson, mtime);
    await out.entry('repositories', repositoriesJson, mtime);
    await out.write(Buffer.alloc(TAR_END_SIZE));
    await out.close();
    archive = { size: out.size(), sha256: out.sha256() };
  } catch (e) {
    await sink?.close().catch(() => undefined);
    await fs.rm(tmp, { force: true });
    if (e instanceof AirgapError) throw e;
    throw new AirgapError(
      'FS_ERROR',
      `cannot write docker-archive ${options.dest}: ${(e as Error).message}`,
      {
        path: options.dest,
        cause: e,
      },
    );
  }
  await commitFile(tmp, options.dest);
  return {
    path: options.dest,
    size: archive.size,
    sha256: archive.sha256,
    configDigest,
    layers: layers.length,
  };
}

/** "REPO:TAG", REPO optionally led by a registry host, as `docker tag` takes it; digests are refused. */
export function parseRepoTag(repoTag: string): { repository: string; tag: string } {
  const fail = (why: string): AirgapError =>
    new AirgapError('OCI_REFERENCE_INVALID', `docker-archive tag ${JSON.stringify(repoTag)} ${why}`, {
      address: repoTag,
      expected: '[REGISTRY/]REPOSITORY:TAG',
      actual: repoTag,
    });
  if (repoTag.includes('@')) throw fail('names a digest; RepoTags hold REPOSITORY:TAG only');
  const colon = repoTag.lastIndexOf(':');
  if (colon < 0 || repoTag.indexOf('/', colon) >= 0) throw fail('has no :TAG');
  const repository = repoTag.slice(0, colon);
  const tag = repoTag.slice(colon + 1);
  if (!isValidTag(tag)) throw fail(`has tag ${JSON.stringify(tag)}, not 1-128 of [A-Za-z0-9_.-]`);
  const slash = repository.indexOf('/');
  const first = slash < 0 ? '' : repository.slice(0, slash);
  // Docker's rule: a first component with "." or ":", or "localhost", is a registry host.
  const hasHost = first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasHost && !isValidRegistryHost(first))
    throw fail(`has registry ${JSON.stringify(first)}, not host[:port]`);
  const name = hasHost ? repository.slice(slash + 1) : repository;
  if (!isValidRepositoryName(name)) {
    throw fail(`has repository ${JSON.stringify(name)}, not lower-case components joined by "/"`);
  }
  return { repository, tag };
}

function blobFile(layoutDir: string, digest: string): string {
  return path.join(layoutDir, layoutBlobPath(digest));
}

function missingBlob(file: string, what: string, digest: string, cause: unknown): AirgapError {
  return new AirgapError('IMAGE_INVALID', `${what} ${digest} is missing from the image layout: no ${file}`, {
    path: file,
    expected: `blob ${digest}`,
    actual: 'no such file',
    cause,
  });
}

function fsError(file: string, e: unknown): AirgapError {
  return new AirgapError('FS_ERROR', `cannot read ${file}: ${(e as Error).message}`, {
    path: file,
    cause: e,
  });
}

function isNotFound(e: unknown): boolean {
  return (e as NodeJS.ErrnoException).code === 'ENOENT';
}

/** A small blob (manifest, config), read whole and checked against its digest. */
async function readBlob(file: string, digest: string, what: string): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (e) {
    if (isNotFound(e)) throw missingBlob(file, what, digest, e);
    throw fsError(file, e);
  }
  const actual = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  if (actual !== digest) {
    throw new AirgapError('CHECKSUM_MISMATCH', `${what} ${file} has digest ${actual}, expected ${digest}`, {
      path: file,
      expected: digest,
      actual,
    });
  }
  return bytes;
}

async function planLayers(
  layoutDir: string,
  descriptors: Descriptor[],
  diffIds: string[],
  configPath: string,
): Promise<LayerPlan[]> {
  const seen = new Set<string>();
  const plans: LayerPlan[] = [];
  for (const [index, descriptor] of descriptors.entries()) {
    const diffId = diffIds[index]!;
    // The diff_id becomes an entry name: only the plain digest form may pass.
    if (!SHA256_DIGEST.test(diffId)) {
      throw new AirgapError(
        'IMAGE_INVALID',
        `${configPath}: rootfs.diff_ids[${index}] should be sha256:<64 lower-case hex>, found ${JSON.stringify(diffId)}`,
        { path: configPath, expected: 'sha256:<64 lower-case hex>', actual: diffId },
      );
    }
    const blobPath = blobFile(layoutDir, descriptor.digest);
    const compression = layerCompression(descriptor.mediaType);
    if (compression === undefined) {
      throw new AirgapError(
        'IMAGE_INVALID',
        `layer ${index} (${descriptor.digest}) has media type ${descriptor.mediaType}, not a layer tar (plain or gzip) a docker-archive can carry`,
        {
          path: blobPath,
          expected: 'an OCI or Docker layer tar, plain or gzip',
          actual: descriptor.mediaType,
        },
      );
    }
    const magic = await readMagic(blobPath, descriptor.digest);
    if (compression === 'zstd' || magic.subarray(0, 4).equals(ZSTD_MAGIC)) {
      throw new AirgapError(
        'IMAGE_INVALID',
        `layer ${index} (${descriptor.digest}) is zstd-compressed (${descriptor.mediaType}); Node.js 20 cannot inflate zstd, and a docker-archive needs layers uncompressed: use an image with gzip or plain layers`,
        { path: blobPath, expected: 'a gzip or uncompressed layer', actual: descriptor.mediaType },
      );
    }
    plans.push({
      index,
      descriptor,
      blobPath,
      diffId,
      name: `${diffId.slice('sha256:'.length)}.tar`,
      // By content, as `docker load` decides: skopeo 1.9.3 stores plain layers from a
      // docker-archive under a +gzip media type. The diff_id check makes this safe.
      gzip: magic.subarray(0, 2).equals(GZIP_MAGIC),
      write: !seen.has(diffId),
    });
    seen.add(diffId);
  }
  return plans;
}

async function readMagic(file: string, digest: string): Promise<Buffer> {
  let fh: FileHandle;
  try {
    fh = await fs.open(file, 'r');
  } catch (e) {
    if (isNotFound(e)) throw missingBlob(file, 'layer', digest, e);
    throw fsError(file, e);
  }
  try {
    const buf = Buffer.alloc(4);
    const { bytesRead } = await fh.read(buf, 0, 4, 0);
    return buf.subarray(0, bytesRead);
  } catch (e) {
    throw fsError(file, e);
  } finally {
    await fh.close();
  }
}

/** First pass: the layer's uncompressed size and sha256, with its blob digest and diff_id checked. */
async function measureLayer(layer: LayerPlan): Promise<Measured> {
  const result = await streamLayer(layer, undefined);
  const actual = `sha256:${result.sha256}`;
  if (actual !== layer.diffId) {
    throw new AirgapError(
      'CHECKSUM_MISMATCH',
      `layer ${layer.index} (${layer.blobPath}) uncompressed has sha256 ${actual}, but the config's rootfs.diff_ids[${layer.index}] is ${layer.diffId}`,
      { path: layer.blobPath, expected: layer.diffId, actual },
    );
  }
  return result;
}

/** Streams a layer blob, inflated if gzip, into `onChunk`; checks the blob's own digest. */
async function streamLayer(
  layer: LayerPlan,
  onChunk: ((chunk: Buffer) => Promise<void>) | undefined,
): Promise<Measured> {
  const blobHash = createHash('sha256');
  const tarHash = createHash('sha256');
  let size = 0;
  const inflate: Transform = layer.gzip ? createGunzip() : new PassThrough();
  try {
    await pipeline(
      createReadStream(layer.blobPath, { highWaterMark: READ_CHUNK }),
      hashing(blobHash),
      inflate,
      async function (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          tarHash.update(chunk);
          size += chunk.length;
          if (onChunk !== undefined) await onChunk(chunk);
        }
      },
    );
  } catch (e) {
    if (e instanceof AirgapError) throw e;
    if (isNotFound(e)) throw missingBlob(layer.blobPath, 'layer', layer.descriptor.digest, e);
    if (
      typeof (e as NodeJS.ErrnoException).code === 'string' &&
      /^Z_/.test((e as NodeJS.ErrnoException).code!)
    ) {
      throw new AirgapError(
        'IMAGE_INVALID',
        `layer ${layer.index} (${layer.blobPath}) is not a readable gzip stream: ${(e as Error).message}`,
        { path: layer.blobPath, expected: 'gzip', actual: (e as Error).message, cause: e },
      );
    }
    throw e;
  }
  const blobDigest = `sha256:${blobHash.digest('hex')}`;
  if (blobDigest !== layer.descriptor.digest) {
    throw new AirgapError(
      'CHECKSUM_MISMATCH',
      `layer ${layer.index} blob ${layer.blobPath} has digest ${blobDigest}, but the manifest names ${layer.descriptor.digest}`,
      { path: layer.blobPath, expected: layer.descriptor.digest, actual: blobDigest },
    );
  }
  return { size, sha256: tarHash.digest('hex') };
}

function hashing(hash: Hash): (source: AsyncIterable<Buffer>) => AsyncGenerator<Buffer> {
  return async function* (source) {
    for await (const chunk of source) {
      hash.update(chunk);
      yield chunk;
    }
  };
}

interface ArchiveSink {
  write(bytes: Buffer): Promise<void>;
  /** Header, body and padding of one small in-memory entry. */
  entry(name: string, body: Buffer, mtime: Date): Promise<void>;
  close(): Promise<void>;
  size(): number;
  /** Hex sha256 of everything written; known once closed. */
  sha256(): string;
}

/** Sequential writes to a new file, hashing what goes out so the result needs no re-read. */
async function openSink(file: string): Promise<ArchiveSink> {
  const fh = await fs.open(file, 'wx', 0o644);
  const hash = createHash('sha256');
  let written = 0;
  let digest: string | undefined;
  async function write(bytes: Buffer): Promise<void> {
    let offset = 0;
    while (offset < bytes.length) {
      const { bytesWritten } = await fh.write(bytes, offset, bytes.length - offset);
      offset += bytesWritten;
    }
    hash.update(bytes);
    written += bytes.length;
  }
  return {
    write,
    async entry(name, body, mtime) {
      await write(encodeTarHeader({ name, type: 'file', mode: ENTRY_MODE, size: body.length, mtime }));
      await write(body);
      await write(Buffer.alloc(tarPadding(body.length)));
    },
    async close() {
      if (digest !== undefined) return;
      digest = hash.digest('hex');
      await fh.close();
    },
    size: () => written,
    sha256: () => {
      if (digest === undefined) throw new Error('docker-archive sink read before it was closed');
      return digest;
    },
  };
}
