// Streams a planned image layer (src/core/image/layer-plan.ts) into a blob of an
// OCI layout: a deterministic, uncompressed POSIX tar, hashed while it is written,
// renamed to blobs/sha256/DIGEST when complete. Uncompressed because the layer is
// almost all provider zips, which gzip cannot shrink but would make the build several
// times slower; the layer's digest is then also its diff_id.
//
// Speed and memory: the bytes pass through a fixed ring of 1 MiB slots in one
// SharedArrayBuffer. Files are read straight into a slot; from there the slot is
// written to the layer (positioned, in the I/O pool) and hashed on a worker thread
// that reads the same memory. This thread only moves slot numbers. Hashing a
// gigabyte costs as much CPU as copying it, so on the main thread it would be the
// bottleneck; shared slots mean no copies, no transfers, no garbage, and memory that
// does not grow with the layer (SLOTS MiB per layer, whatever its size).

import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { AirgapError } from '../../core/errors.js';
import type { LayerEntry, LayerFile } from '../../core/image/layer-plan.js';
import { TEMP_PREFIX } from '../../core/layout/names.js';
import { encodeTarHeader, tarPadding, TAR_END_SIZE } from '../archive/tar-write.js';
import { openZipMember } from '../archive/zip-entry.js';

const SLOT = 1 << 20;
const SLOTS = 8;

// CommonJS, evaluated: no worker file to find beside either the compiled or the TypeScript source.
const HASH_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const memory = new Uint8Array(workerData.memory);
const hash = createHash('sha256');
parentPort.on('message', (m) => {
  if (m.end) {
    parentPort.postMessage({ digest: hash.digest('hex') });
    return;
  }
  hash.update(memory.subarray(m.slot * workerData.slot, m.slot * workerData.slot + m.length));
  parentPort.postMessage({ slot: m.slot });
});
`;

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
  const sink = new SlotSink(fh, tmp, options.onBytes);
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
 * The ring of slots. A slot is busy from the moment it is filled until both its write
 * and its hash are done; slots are hashed in the order they were filled, which is the
 * tar's order, while writes land at their own offsets in any order.
 */
class SlotSink {
  size = 0;
  private readonly memory = new SharedArrayBuffer(SLOT * SLOTS);
  private readonly worker: Worker;
  private readonly free: number[] = [];
  private readonly pending = new Map<number, number>();
  private readonly writes = new Set<Promise<void>>();
  private waiter: (() => void) | undefined;
  private failure: unknown;
  private finished: ((digest: string) => void) | undefined;

  constructor(
    private readonly fh: fs.FileHandle,
    private readonly file: string,
    private readonly onBytes?: (n: number) => void,
  ) {
    for (let i = 0; i < SLOTS; i++) this.free.push(i);
    this.worker = new Worker(HASH_WORKER, { eval: true, workerData: { memory: this.memory, slot: SLOT } });
    this.worker.on('message', (m: { slot?: number; digest?: string }) => {
      if (m.digest !== undefined) this.finished?.(m.digest);
      else if (m.slot !== undefined) this.release(m.slot);
    });
    this.worker.on('error', (e) => this.fail(e));
  }

  /** A free slot's bytes, to fill; then `commit(slot, length)`. */
  async acquire(): Promise<{ slot: number; bytes: Uint8Array }> {
    for (;;) {
      if (this.failure !== undefined) throw this.failure;
      const slot = this.free.pop();
      if (slot !== undefined) return { slot, bytes: new Uint8Array(this.memory, slot * SLOT, SLOT) };
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  /** Writes the slot's first `length` bytes at the end of the layer and hashes them. */
  commit(slot: number, length: number): void {
    if (length === 0) {
      this.free.push(slot);
      return;
    }
    const at = this.size;
    this.size += length;
    this.pending.set(slot, 2);
    this.worker.postMessage({ slot, length });
    const write = this.fh.write(new Uint8Array(this.memory, slot * SLOT, length), 0, length, at).then(
      () => this.release(slot),
      (e: unknown) => this.fail(fsError(`cannot write ${this.file}`, this.file, e)),
    );
    this.writes.add(write);
    void write.finally(() => this.writes.delete(write));
    this.onBytes?.(length);
  }

  /** Copies bytes in (headers, padding, generated files, a zip member's stream). */
  async put(bytes: Uint8Array): Promise<void> {
    for (let done = 0; done < bytes.length;) {
      const { slot, bytes: into } = await this.acquire();
      const n = Math.min(SLOT, bytes.length - done);
      into.set(bytes.subarray(done, done + n));
      this.commit(slot, n);
      done += n;
    }
  }

  /** Waits for every write and hash; the layer's hex digest. */
  async finish(): Promise<string> {
    while (this.free.length < SLOTS) {
      if (this.failure !== undefined) throw this.failure;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
    if (this.failure !== undefined) throw this.failure;
    return new Promise<string>((resolve, reject) => {
      this.finished = resolve;
      this.waiter = () => reject(this.failure);
      this.worker.postMessage({ end: true });
    });
  }

  async close(): Promise<void> {
    // No write may still use the memory or the file handle when the caller closes it.
    await Promise.allSettled([...this.writes]);
    await this.worker.terminate();
  }

  private release(slot: number): void {
    const left = (this.pending.get(slot) ?? 1) - 1;
    if (left > 0) {
      this.pending.set(slot, left);
      return;
    }
    this.pending.delete(slot);
    this.free.push(slot);
    this.wake();
  }

  private fail(e: unknown): void {
    if (this.failure === undefined) this.failure = e;
    this.wake();
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }
}

async function copyBody(entry: LayerFile, bundleDir: string, sink: SlotSink): Promise<number> {
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
async function copyFile(entry: LayerFile, file: string, sink: SlotSink): Promise<number> {
  const label = sourceLabel(entry);
  const src = await fs.open(file, 'r').catch((e: unknown) => {
    throw fsError(`cannot read ${label}`, label, e);
  });
  let n = 0;
  try {
    while (n < entry.size) {
      const { slot, bytes } = await sink.acquire();
      let got: number;
      try {
        got = (await src.read(bytes, 0, Math.min(SLOT, entry.size - n), n)).bytesRead;
      } catch (e) {
        sink.commit(slot, 0);
        throw fsError(`cannot read ${label}`, label, e);
      }
      sink.commit(slot, got);
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
