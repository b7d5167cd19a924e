// Streams a planned image layer (src/core/image/layer-plan.ts) into a blob of an
// OCI layout: a deterministic, uncompressed POSIX tar, hashed while it is written,
// renamed to blobs/sha256/DIGEST when complete. Memory stays flat whatever the
// layer's size: bodies are copied in 1 MiB chunks. Uncompressed because the layer
// is almost all provider zips, which gzip cannot shrink but would make the build
// several times slower; the layer's digest is then also its diff_id.

import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { AirgapError } from '../../core/errors.js';
import type { LayerEntry, LayerFile } from '../../core/image/layer-plan.js';
import { TEMP_PREFIX } from '../../core/layout/names.js';
import { encodeTarHeader, tarPadding, TAR_END_SIZE } from '../archive/tar-write.js';
import { openZipMember } from '../archive/zip-entry.js';

const CHUNK = 1 << 20;
const WRITES_IN_FLIGHT = 4;

export interface LayerWriteOptions {
  entries: readonly LayerEntry[];
  /** Root that bundle-file and zip-member sources are relative to. */
  bundleDir: string;
  /** The layout's blobs/sha256 directory. */
  blobsDir: string;
  mtime: Date;
  onBytes?: (n: number) => void;
}

export interface WrittenLayer {
  digest: string;
  size: number;
}

export async function writeLayerBlob(options: LayerWriteOptions): Promise<WrittenLayer> {
  await fs.mkdir(options.blobsDir, { recursive: true });
  const tmp = path.join(options.blobsDir, `${TEMP_PREFIX}layer-${process.pid}-${Date.now()}`);
  const fh = await fs.open(tmp, 'wx', 0o644).catch((e: unknown) => {
    throw fsError(`cannot create ${tmp}`, tmp, e);
  });
  const hash = createHash('sha256');
  let size = 0;
  // Writes go out positioned and a few at a time, so the disk works while this thread
  // hashes the next chunk: hashing is as costly as the I/O, and done in turn they add up.
  const inFlight: Promise<unknown>[] = [];
  const put = async (bytes: Uint8Array): Promise<void> => {
    if (bytes.length === 0) return;
    const written = fh.write(bytes, 0, bytes.length, size).catch((e: unknown) => {
      throw fsError(`cannot write ${tmp}`, tmp, e);
    });
    // Settled later; never an unhandled rejection in between.
    written.catch(() => undefined);
    inFlight.push(written);
    hash.update(bytes);
    size += bytes.length;
    options.onBytes?.(bytes.length);
    if (inFlight.length >= WRITES_IN_FLIGHT) await inFlight.shift();
  };
  let ok = false;
  try {
    for (const entry of options.entries) {
      if (entry.type === 'directory') {
        await put(encodeTarHeader({ ...entry, size: 0, mtime: options.mtime }));
        continue;
      }
      await put(encodeTarHeader({ ...entry, mtime: options.mtime }));
      const written = await copyBody(entry, options.bundleDir, put);
      if (written !== entry.size) {
        throw new AirgapError(
          'BUNDLE_MISMATCH',
          `${sourceLabel(entry)} changed while the image layer was written: ${written} bytes, expected ${entry.size}`,
          { path: sourceLabel(entry), expected: String(entry.size), actual: String(written) },
        );
      }
      await put(new Uint8Array(tarPadding(entry.size)));
    }
    await put(new Uint8Array(TAR_END_SIZE));
    await Promise.all(inFlight);
    ok = true;
  } finally {
    await Promise.allSettled(inFlight);
    await fh.close();
    if (!ok) await fs.rm(tmp, { force: true });
  }
  const digest = `sha256:${hash.digest('hex')}`;
  const final = path.join(options.blobsDir, digest.slice('sha256:'.length));
  // A blob is named by its digest: one already there with our size holds our bytes. Keep
  // it; renaming over it would also make ext4 (auto_da_alloc) flush the new file at once.
  const existing = await fs.stat(final).catch(() => undefined);
  if (existing?.isFile() === true && existing.size === size) {
    await fs.rm(tmp, { force: true });
    return { digest, size };
  }
  await fs.rename(tmp, final).catch(async (e: unknown) => {
    await fs.rm(tmp, { force: true });
    throw fsError(`cannot move the layer to ${final}`, final, e);
  });
  return { digest, size };
}

async function copyBody(
  entry: LayerFile,
  bundleDir: string,
  put: (bytes: Uint8Array) => Promise<void>,
): Promise<number> {
  const source = entry.source;
  if (source.kind === 'bytes') {
    await put(source.bytes);
    return source.bytes.length;
  }
  let stream: Readable;
  let done = (): void => undefined;
  if (source.kind === 'bundle-file') {
    const file = path.join(bundleDir, ...source.path.split('/'));
    // Never more than the planned size: a file that grew must not shift the tar.
    stream = createReadStream(file, {
      highWaterMark: CHUNK,
      ...(entry.size > 0 ? { end: entry.size - 1 } : {}),
    });
  } else {
    const member = await openZipMember(
      path.join(bundleDir, ...source.zip.split('/')),
      source.member,
      source.zip,
    );
    done = () => member.close();
    stream = await member.open();
  }
  let n = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      n += chunk.length;
      if (n > entry.size) break;
      await put(chunk);
    }
  } catch (e) {
    if (e instanceof AirgapError) throw e;
    throw fsError(`cannot read ${sourceLabel(entry)}`, sourceLabel(entry), e);
  } finally {
    stream.destroy();
    done();
  }
  return n;
}

function sourceLabel(entry: LayerFile): string {
  const s = entry.source;
  return s.kind === 'bundle-file' ? s.path : s.kind === 'zip-member' ? `${s.zip}:${s.member}` : entry.name;
}

function fsError(message: string, p: string, e: unknown): AirgapError {
  return new AirgapError('FS_ERROR', `${message}: ${(e as Error).message}`, { path: p, cause: e });
}
