// Streams a planned image layer (src/core/image/layer-plan.ts) into a blob of an
// OCI layout: a deterministic, uncompressed POSIX tar, hashed while it is written,
// renamed to blobs/sha256/DIGEST when complete. Uncompressed because the layer is
// almost all provider zips, which gzip cannot shrink but would make the build several
// times slower; the layer's digest is then also its diff_id.
//
// Speed and memory: file bodies are read straight into slabs of shared memory
// (src/adapters/fs/shared-hash.ts, as export does), written from there (positioned,
// in the I/O pool) and hashed by a worker thread reading the same memory; this
// thread only hands slabs on. Hashing a gigabyte costs as much CPU as copying it,
// so on the main thread it would be the bottleneck. No copies, and memory fixed by
// the slab count whatever the layer's size.

import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { AirgapError } from '../../core/errors.js';
import type { LayerEntry, LayerFile } from '../../core/image/layer-plan.js';
import { TEMP_PREFIX } from '../../core/layout/names.js';
import { encodeTarHeader, tarPadding, TAR_END_SIZE } from '../archive/tar-write.js';
import { openZipMember } from '../archive/zip-entry.js';
import { HashThread, SharedSlabs, SLAB_SIZE } from '../fs/shared-hash.js';

/** Small writes (headers, a zip member's chunks) in flight at once, before waiting for the oldest. */
const SMALL_WRITES = 16;

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
  const tmp = path.join(options.blobsDir, `${TEMP_PREFIX}layer-${randomUUID()}`);
  const fh = await fs.open(tmp, 'wx', 0o644).catch((e: unknown) => {
    throw fsError(`cannot create ${tmp}`, tmp, e);
  });
  const sink = new LayerSink(fh, tmp, options.onBytes);
  let ok = false;
  let digest = '';
  try {
    for (const entry of options.entries) {
      if (entry.type === 'directory') {
        await sink.put(encodeTarHeader({ ...entry, size: 0, mtime: options.mtime }));
        continue;
      }
      await sink.put(encodeTarHeader({ ...entry, mtime: options.mtime }));
      const written = await copyBody(entry, options.bundleDir, sink);
      if (written !== entry.size) {
        throw new AirgapError(
          'BUNDLE_MISMATCH',
          `${sourceLabel(entry)} changed while the image layer was written: ${written} bytes, expected ${entry.size}`,
          { path: sourceLabel(entry), expected: String(entry.size), actual: String(written) },
          'something changed the bundle while `airgap mirror --image` ran: run it again',
        );
      }
      await sink.put(new Uint8Array(tarPadding(entry.size)));
    }
    await sink.put(new Uint8Array(TAR_END_SIZE));
    digest = `sha256:${await sink.finish()}`;
    ok = true;
  } finally {
    await sink.close();
    await fh.close();
    if (!ok) await fs.rm(tmp, { force: true });
  }
  const size = sink.size;
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

/**
 * Where the layer's bytes go: each chunk is written at its offset and handed to the
 * hashing thread in the tar's order. A slab is reused only once both are done.
 */
class LayerSink {
  size = 0;
  private readonly slabs = new SharedSlabs();
  private readonly hash = new HashThread(this.slabs);
  private readonly writes = new Set<Promise<void>>();
  private failure: unknown;

  constructor(
    private readonly fh: fs.FileHandle,
    private readonly file: string,
    private readonly onBytes?: (n: number) => void,
  ) {}

  /** A free slab to read into; then `commit(slab, length)`. */
  async acquire(): Promise<{ slab: number; bytes: Uint8Array }> {
    if (this.failure !== undefined) throw this.failure;
    const slab = await this.slabs.acquire();
    return { slab, bytes: this.slabs.view(slab) };
  }

  /** Writes the slab's first `length` bytes at the end of the layer and hashes them. */
  commit(slab: number, length: number): void {
    if (length === 0 || this.failure !== undefined) {
      this.slabs.release(slab);
      return;
    }
    this.hash.updateSlab(slab, length);
    this.track(this.write(this.slabs.view(slab, length)).finally(() => this.slabs.release(slab)));
  }

  /** Bytes outside the slabs (headers, padding, generated files, a zip member's stream). */
  async put(bytes: Uint8Array): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (bytes.length === 0) return;
    this.hash.update(bytes);
    this.track(this.write(bytes));
    while (this.writes.size >= SMALL_WRITES) await Promise.race(this.writes);
  }

  /** Waits for every write; the layer's hex digest. */
  async finish(): Promise<string> {
    await Promise.all(this.writes);
    if (this.failure !== undefined) throw this.failure;
    return this.hash.digest();
  }

  async close(): Promise<void> {
    // No write may still use the memory or the file handle when the caller closes it.
    await Promise.allSettled([...this.writes]);
    await this.hash.close();
  }

  private write(bytes: Uint8Array): Promise<void> {
    const at = this.size;
    this.size += bytes.length;
    this.onBytes?.(bytes.length);
    return this.fh.write(bytes, 0, bytes.length, at).then(
      () => undefined,
      (e: unknown) => {
        this.failure ??= fsError(`cannot write ${this.file}`, this.file, e);
      },
    );
  }

  private track(write: Promise<void>): void {
    this.writes.add(write);
    void write.then(() => this.writes.delete(write));
  }
}

async function copyBody(entry: LayerFile, bundleDir: string, sink: LayerSink): Promise<number> {
  const source = entry.source;
  if (source.kind === 'bytes') {
    await sink.put(source.bytes);
    return source.bytes.length;
  }
  if (source.kind === 'bundle-file')
    return copyFile(entry, path.join(bundleDir, ...source.path.split('/')), sink);
  const member = await openZipMember(
    path.join(bundleDir, ...source.zip.split('/')),
    source.member,
    source.zip,
  );
  let stream: Readable | undefined;
  let n = 0;
  try {
    stream = await member.open();
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      n += chunk.length;
      if (n > entry.size) break;
      await sink.put(chunk);
    }
  } catch (e) {
    if (e instanceof AirgapError) throw e;
    throw fsError(`cannot read ${sourceLabel(entry)}`, sourceLabel(entry), e);
  } finally {
    stream?.destroy();
    member.close();
  }
  return n;
}

/** Reads a bundle file straight into slots; never more than the planned size, so a file that grew cannot shift the tar. */
async function copyFile(entry: LayerFile, file: string, sink: LayerSink): Promise<number> {
  const label = sourceLabel(entry);
  const src = await fs.open(file, 'r').catch((e: unknown) => {
    throw fsError(`cannot read ${label}`, label, e);
  });
  let n = 0;
  try {
    while (n < entry.size) {
      const { slab, bytes } = await sink.acquire();
      let got: number;
      try {
        got = (await src.read(bytes, 0, Math.min(SLAB_SIZE, entry.size - n), n)).bytesRead;
      } catch (e) {
        sink.commit(slab, 0);
        throw fsError(`cannot read ${label}`, label, e);
      }
      sink.commit(slab, got);
      if (got === 0) break;
      n += got;
    }
  } finally {
    await src.close();
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
