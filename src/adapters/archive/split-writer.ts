// The export's output file(s): one FILE, or FILE.000, FILE.001, ... of exactly
// `splitSize` bytes each but the last (docs/TRANSFER-FORMAT.md, "Split parts").
// Bytes go to temp names beside the targets and are renamed into place only by
// commit(), so a failed export leaves no FILE. A write's callback fires once its
// bytes are in the file, which is what lets the caller reuse the chunk's memory.

import fs, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';

import { AirgapError } from '../../core/errors.js';
import { MAX_SPLIT_PARTS, partLimitExceeded, partName } from '../../core/transfer/pack-size.js';
import { tempPathBeside } from '../fs/atomic.js';

export interface SplitWriterOptions {
  /** FILE; parts are FILE.000, FILE.001, ... when splitSize is set. */
  target: string;
  /** Bytes per part; absent: one unsplit FILE. */
  splitSize?: number;
}

export interface WrittenPart {
  path: string;
  size: number;
}

export interface WrittenOutput {
  parts: WrittenPart[];
  bytes: number;
}

interface OpenPart {
  final: string;
  temp: string;
  size: number;
}

export class SplitWriter extends Writable {
  readonly #target: string;
  readonly #splitSize: number | undefined;
  readonly #parts: OpenPart[] = [];
  #fh: FileHandle | undefined;
  #bytes = 0;
  #result: WrittenOutput | undefined;

  constructor(options: SplitWriterOptions) {
    super({ highWaterMark: 8 << 20 });
    this.#target = path.resolve(options.target);
    this.#splitSize = options.splitSize;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#append(chunk).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#closePart().then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const fh = this.#fh;
    this.#fh = undefined;
    if (fh === undefined) {
      callback(error);
      return;
    }
    fh.close().then(
      () => callback(error),
      () => callback(error),
    );
  }

  async #append(chunk: Buffer): Promise<void> {
    this.#bytes += chunk.length;
    let rest = chunk;
    while (rest.length > 0) {
      const part = await this.#currentPart();
      const room = this.#splitSize === undefined ? rest.length : this.#splitSize - part.size;
      const piece = rest.subarray(0, room);
      await this.#writeAll(piece, part);
      part.size += piece.length;
      rest = rest.subarray(piece.length);
      if (this.#splitSize !== undefined && part.size === this.#splitSize) await this.#closePart();
    }
  }

  async #writeAll(piece: Buffer, part: OpenPart): Promise<void> {
    const fh = this.#fh;
    if (fh === undefined) throw new Error('split writer: no open part');
    let off = 0;
    try {
      while (off < piece.length) {
        const { bytesWritten } = await fh.write(piece, off, piece.length - off);
        off += bytesWritten;
      }
    } catch (e) {
      throw new AirgapError('FS_ERROR', `cannot write ${part.final}: ${(e as Error).message}`, {
        path: part.final,
        cause: e,
      });
    }
  }

  /** The part being written, opening the next one when none is open. */
  async #currentPart(): Promise<OpenPart> {
    const open = this.#parts.at(-1);
    if (this.#fh !== undefined && open !== undefined) return open;
    // A write still in flight when the stream was destroyed must not start a part abort() missed.
    if (this.destroyed) throw new Error('split writer: destroyed');
    const index = this.#parts.length;
    if (this.#splitSize !== undefined && index >= MAX_SPLIT_PARTS) {
      throw partLimitExceeded(this.#target, this.#splitSize);
    }
    const final = this.#splitSize === undefined ? this.#target : partName(this.#target, index);
    const temp = tempPathBeside(final);
    try {
      await fs.mkdir(path.dirname(final), { recursive: true });
      this.#fh = await fs.open(temp, 'wx', 0o644);
    } catch (e) {
      throw new AirgapError('FS_ERROR', `cannot create ${final}: ${(e as Error).message}`, {
        path: final,
        cause: e,
      });
    }
    const part = { final, temp, size: 0 };
    this.#parts.push(part);
    return part;
  }

  async #closePart(): Promise<void> {
    const fh = this.#fh;
    this.#fh = undefined;
    await fh?.close();
  }

  /**
   * After the stream has finished: moves every part into place (the first part last, so
   * a crash part-way leaves no FILE.000 to import), then deletes higher-numbered parts an
   * earlier, larger export left, which `cat FILE.*` would otherwise append.
   */
  async commit(): Promise<WrittenOutput> {
    if (this.#result !== undefined) return this.#result;
    if (!this.writableFinished) throw new Error('split writer: commit() before the stream finished');
    for (const part of [...this.#parts].reverse()) await this.#rename(part);
    if (this.#splitSize !== undefined) await this.#removeStaleParts();
    this.#result = {
      parts: this.#parts.map((p) => ({ path: p.final, size: p.size })),
      bytes: this.#bytes,
    };
    return this.#result;
  }

  // Not fsynced, unlike commitFile: flushing gigabytes first would double the export's time
  // (tar -cf does not either), and a tarball a crash damaged cannot pass import, which checks
  // the archive's structure, SHA256SUMS and its signature. The rename still means that a
  // failed export never leaves a FILE.
  async #rename(part: OpenPart): Promise<void> {
    try {
      await fs.rename(part.temp, part.final);
    } catch (e) {
      await fs.rm(part.temp, { force: true });
      throw new AirgapError(
        'FS_ERROR',
        `cannot move ${part.temp} into place at ${part.final}: ${(e as Error).message}`,
        { path: part.final, cause: e },
      );
    }
  }

  /** Removes every temp file written; the targets are untouched. */
  async abort(): Promise<void> {
    await this.#closePart().catch(() => undefined);
    if (!this.destroyed) this.destroy();
    await Promise.all(this.#parts.map((p) => fs.rm(p.temp, { force: true })));
  }

  async #removeStaleParts(): Promise<void> {
    const dir = path.dirname(this.#target);
    const base = path.basename(this.#target);
    const count = this.#parts.length;
    for (const name of await fs.readdir(dir)) {
      if (!name.startsWith(`${base}.`)) continue;
      const suffix = name.slice(base.length + 1);
      if (!/^\d{3,}$/.test(suffix) || Number(suffix) < count) continue;
      if (name !== path.basename(partName(this.#target, Number(suffix)))) continue;
      await fs.rm(path.join(dir, name), { force: true });
    }
  }
}
