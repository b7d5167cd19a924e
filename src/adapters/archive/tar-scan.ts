// A tar listed in one pass from a buffer in memory (gzipped or not): every entry's name
// (pax `path` and GNU long names applied) and the bytes of one named file. Only headers,
// extended header records and that file are copied; every other entry's data is skipped
// by counting, and a gzip stream is inflated on this thread into one reused buffer
// (inflater.ts), so nothing of the inflated archive is kept beyond what is asked for.
// The tool package check (npm/pack-tool.ts) reads `npm pack` archives with it.

import { createInflater, InflateError } from './inflater.js';
import { BLOCK, cString, isZero, parseHeader, parsePax } from './tar-header.js';
import { isGzip } from './tar-read.js';

/** The largest pax or GNU long-name record read. */
const MAX_META_BYTES = 1 << 20;

/** Why the archive does not read; the caller says which file it was. */
export class TarScanError extends Error {}

export interface TarListing {
  /** Every entry's name, in archive order. */
  names: Set<string>;
  /** The bytes of the regular file asked for, or undefined when the archive has none. */
  file: Buffer | undefined;
}

/**
 * Lists the tar in `data` and keeps the bytes of the regular file `wanted` (at most
 * `maxWantedBytes`). Throws TarScanError on anything that is not a whole tar, or gzip of one
 * followed by nothing but zero padding.
 */
export async function scanTar(data: Buffer, wanted: string, maxWantedBytes: number): Promise<TarListing> {
  const scanner = new TarScanner(wanted, maxWantedBytes);
  await scanInto(data, scanner);
  return { names: scanner.names, file: scanner.file };
}

/**
 * The names of a tar stream's entries and the bytes of one file, from chunks pushed in
 * order. A chunk may be a view of a buffer its producer reuses: nothing is kept of it
 * but what is copied.
 */
class TarScanner {
  readonly names = new Set<string>();
  file: Buffer | undefined;
  /** Whether the end-of-archive (zero) block was seen: what follows is not read. */
  ended = false;
  private consumed = 0;
  private readonly header = Buffer.alloc(BLOCK);
  private headerFill = 0;
  private skip = 0;
  private collect: { kind: 'x' | 'L' | 'file'; buf: Buffer; fill: number; pad: number } | undefined;
  private paxPath: string | undefined;
  private longName: string | undefined;
  private entry = '';

  constructor(
    private readonly wanted: string,
    private readonly maxWantedBytes: number,
  ) {}
  write(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && !this.ended) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - at);
        this.skip -= n;
        at += n;
      } else if (this.collect !== undefined) {
        const c = this.collect;
        const n = Math.min(c.buf.length - c.fill, chunk.length - at);
        chunk.copy(c.buf, c.fill, at, at + n);
        c.fill += n;
        at += n;
        if (c.fill === c.buf.length) this.collected(c);
      } else {
        const n = Math.min(BLOCK - this.headerFill, chunk.length - at);
        chunk.copy(this.header, this.headerFill, at, at + n);
        this.headerFill += n;
        at += n;
        if (this.headerFill === BLOCK) {
          this.headerFill = 0;
          this.onHeader(this.consumed + at - BLOCK);
        }
      }
    }
    this.consumed += at;
  }

  /** Throws unless the stream stopped between entries. */
  end(): void {
    if (this.ended) return;
    if (this.skip > 0 || this.collect !== undefined) {
      throw new TarScanError(`the tar ends inside the data of ${JSON.stringify(this.entry)}`);
    }
    if (this.headerFill > 0) {
      throw new TarScanError(`the tar ends inside a header, ${this.headerFill} bytes into it`);
    }
  }

  private onHeader(offset: number): void {
    if (isZero(this.header)) {
      this.ended = true;
      return;
    }
    let h: ReturnType<typeof parseHeader>;
    try {
      h = parseHeader(this.header, 'tar', offset);
    } catch (e) {
      throw new TarScanError((e as Error).message);
    }
    const pad = Math.ceil(h.size / BLOCK) * BLOCK - h.size;
    if (h.typeflag === 'x' || h.typeflag === 'L' || h.typeflag === 'K') {
      if (h.size > MAX_META_BYTES) {
        throw new TarScanError(
          `tar: the extended header at byte ${offset} holds ${h.size} bytes, more than ${MAX_META_BYTES}`,
        );
      }
      this.entry = `extended header at byte ${offset}`;
      if (h.typeflag === 'K') this.skip = h.size + pad;
      else this.startCollect(h.typeflag, h.size, pad);
      return;
    }
    if (h.typeflag === 'g') {
      this.entry = `global header at byte ${offset}`;
      this.skip = h.size + pad;
      return;
    }
    const name = this.paxPath ?? this.longName ?? h.name;
    this.paxPath = undefined;
    this.longName = undefined;
    this.entry = name;
    this.names.add(name);
    if (name === this.wanted && (h.typeflag === '0' || h.typeflag === '7')) {
      if (h.size > this.maxWantedBytes) {
        throw new TarScanError(`tar: ${name} holds ${h.size} bytes, more than ${this.maxWantedBytes}`);
      }
      this.startCollect('file', h.size, pad);
    } else {
      this.skip = h.size + pad;
    }
  }

  private startCollect(kind: 'x' | 'L' | 'file', size: number, pad: number): void {
    const c = { kind, buf: Buffer.alloc(size), fill: 0, pad };
    if (size === 0) this.collected(c);
    else this.collect = c;
  }

  private collected(c: { kind: 'x' | 'L' | 'file'; buf: Buffer; pad: number }): void {
    this.collect = undefined;
    this.skip = c.pad;
    if (c.kind === 'file') this.file = c.buf;
    else if (c.kind === 'L') this.longName = cString(c.buf);
    else {
      let records: Record<string, string>;
      try {
        records = parsePax(c.buf, 'tar', this.consumed);
      } catch (e) {
        throw new TarScanError((e as Error).message);
      }
      if (records.path !== undefined) this.paxPath = records.path;
    }
  }
}

/** The bytes to inflate at a time. */
const INFLATE_INPUT = 1 << 20;

/** Pushes the tar in `data` (gzipped or not) through `scanner`, inflating as it goes. */
async function scanInto(data: Buffer, scanner: TarScanner): Promise<void> {
  if (!isGzip(data)) {
    try {
      scanner.write(data);
      scanner.end();
    } catch (e) {
      // Not a tar from its first block: say what it starts with instead.
      if (e instanceof TarScanError && !scanner.ended && scanner.names.size === 0) {
        const start = JSON.stringify(data.subarray(0, 16).toString('latin1'));
        throw new TarScanError(`neither gzip nor tar: it starts with ${start}`);
      }
      throw e;
    }
    return;
  }
  const inflater = createInflater('gzip', (chunk) => scanner.write(chunk));
  try {
    for (let at = 0; at < data.length; at += INFLATE_INPUT) {
      const chunk = data.subarray(at, Math.min(at + INFLATE_INPUT, data.length));
      const taken = inflater.ended ? 0 : await inflater.write(chunk);
      if (taken < chunk.length && !isZero(chunk.subarray(taken))) {
        throw new TarScanError('gzip: data after the end of the gzip stream');
      }
    }
    await inflater.finish();
  } catch (e) {
    if (e instanceof InflateError) throw new TarScanError(`gzip: ${e.message}`);
    throw e;
  } finally {
    inflater.close();
  }
  scanner.end();
}
