// Streams the tar: headers, bodies and padding into a Writable (the part writer,
// or gzip in front of it), reading each file once, into a shared slab that the
// writer and the two hashing threads (shared-hash.ts) all use in place. Memory is
// the slab pool plus about a MiB of gathered small pieces, whatever the bundle's size.

import fs, { type FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';

import {
  encodeTarHeader,
  tarPadding,
  TAR_END_SIZE,
  type TarWriteEntry,
} from '../../adapters/archive/tar-write.js';
import { AirgapError } from '../../core/errors.js';
import { SLAB_SIZE, type HashThread, type SharedSlabs } from '../../adapters/fs/shared-hash.js';

export type StreamSource = { bytes: Uint8Array } | { file: string };

export interface StreamEntry extends TarWriteEntry {
  /** A file's body; none for directories. */
  source?: StreamSource;
}

export interface StreamTarballOptions<T extends StreamEntry> {
  /** Receives the archive; ended when the archive is complete. */
  sink: Writable;
  slabs: SharedSlabs;
  /** Hashes each file body; its digest is handed to afterFile. */
  fileHash: HashThread;
  /** Hashes every byte given to the sink (leave out when the sink transforms them, e.g. gzip). */
  outputHash?: HashThread;
  /** Receives each file's sha256 to come; the stream does not wait for it. */
  afterFile: (entry: T, sha256: Promise<string>) => void;
  /** Checked before each chunk, and ends a wait for a free slab: abort it to stop the stream. */
  signal?: AbortSignal;
  /** Told how many tar bytes each write hands to the sink, for progress. */
  onWrite?: (bytes: number) => void;
}

const GATHER = 1 << 20;

function changed(file: string, expected: number, actual: string): AirgapError {
  return new AirgapError(
    'FS_ERROR',
    `${file} changed while it was being packed: expected ${expected} bytes, found ${actual}`,
    { path: file, expected: `${expected} bytes`, actual },
  );
}

function readError(file: string, e: unknown): AirgapError {
  if (e instanceof AirgapError) return e;
  return new AirgapError('FS_ERROR', `cannot read ${file}: ${(e as Error).message}`, {
    path: file,
    cause: e,
  });
}

/** Resolves on 'drain'; rejects if the stream fails or closes first. */
function drained(sink: Writable): Promise<void> {
  if (sink.destroyed) return Promise.reject(sink.errored ?? new Error('the output stream was closed'));
  return new Promise((resolve, reject) => {
    const done = (err?: Error): void => {
      sink.off('drain', onDrain);
      sink.off('error', onError);
      sink.off('close', onClose);
      if (err === undefined) resolve();
      else reject(err);
    };
    const onDrain = (): void => done();
    const onError = (e: Error): void => done(e);
    const onClose = (): void => done(sink.errored ?? new Error('the output stream was closed'));
    sink.on('drain', onDrain);
    sink.on('error', onError);
    sink.on('close', onClose);
  });
}

export async function streamTarball<T extends StreamEntry>(
  entries: Iterable<T>,
  options: StreamTarballOptions<T>,
): Promise<void> {
  const { sink, slabs, fileHash, outputHash, signal } = options;
  let pending: Buffer[] = [];
  let pendingBytes = 0;

  async function write(chunk: Buffer, done?: () => void): Promise<void> {
    const ok = sink.write(chunk, () => done?.());
    options.onWrite?.(chunk.length);
    if (!ok) await drained(sink);
  }

  async function flush(): Promise<void> {
    if (pendingBytes === 0) return;
    const chunk = Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    outputHash?.update(chunk);
    await write(chunk);
  }

  async function add(piece: Buffer): Promise<void> {
    pending.push(piece);
    pendingBytes += piece.length;
    if (pendingBytes >= GATHER) await flush();
  }

  async function body(file: string, size: number): Promise<void> {
    let fh: FileHandle;
    try {
      fh = await fs.open(file, 'r');
    } catch (e) {
      throw readError(file, e);
    }
    try {
      let pos = 0;
      while (pos < size) {
        signal?.throwIfAborted();
        const slab = await slabs.acquire(signal);
        let n: number;
        try {
          ({ bytesRead: n } = await fh.read(slabs.view(slab), 0, Math.min(SLAB_SIZE, size - pos), pos));
        } catch (e) {
          slabs.release(slab);
          throw readError(file, e);
        }
        if (n === 0) {
          slabs.release(slab);
          throw changed(file, size, `${pos} bytes`);
        }
        pos += n;
        fileHash.updateSlab(slab, n);
        await flush();
        outputHash?.updateSlab(slab, n);
        slabs.retain(slab);
        const wrote = write(slabs.view(slab, n), () => slabs.release(slab));
        slabs.release(slab);
        await wrote;
      }
      const { bytesRead } = await fh.read(Buffer.alloc(1), 0, 1, size).catch((e: unknown) => {
        throw readError(file, e);
      });
      if (bytesRead > 0) throw changed(file, size, `more than ${size} bytes`);
    } finally {
      await fh.close();
    }
  }

  for (const entry of entries) {
    signal?.throwIfAborted();
    await add(encodeTarHeader(entry));
    if (entry.type === 'directory') continue;
    const source = entry.source;
    if (source === undefined) throw new Error(`tar entry ${entry.name} has no body`);
    if ('bytes' in source) {
      if (source.bytes.length !== entry.size)
        throw changed(entry.name, entry.size, `${source.bytes.length} bytes`);
      fileHash.update(source.bytes);
      await add(Buffer.from(source.bytes));
    } else {
      await body(source.file, entry.size);
    }
    options.afterFile(entry, fileHash.digest());
    const pad = tarPadding(entry.size);
    if (pad > 0) await add(Buffer.alloc(pad));
  }
  await add(Buffer.alloc(TAR_END_SIZE));
  await flush();
  sink.end();
}
