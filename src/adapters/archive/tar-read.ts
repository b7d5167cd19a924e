// A strict, streaming tar reader for transfer archives (ustar, pax, GNU long names).
//
// Not node-tar's Parser: that one repairs what it can (skips headers with a bad
// checksum, merges pax records into the entry, warns instead of failing on a
// truncated body), while a transfer archive must be refused at the first anomaly,
// and the policy (src/core/transfer/entry-policy.ts) needs the raw header name and
// the pax `path` record side by side. This reader yields every entry as stored,
// with its body as a stream that pulls from the input on demand (memory stays flat),
// and throws ARCHIVE_INVALID on a bad header checksum, a malformed number or pax
// record, data past the end marker, and any truncation. Extended headers are bounded
// per entry in number and bytes (and, for a transfer archive, in pax keys), and merged
// in place, so the work before an entry's header stays linear and small whatever the
// archive holds.
//
// Gzip is recognized by its magic bytes and undone in the same pass, on this thread
// (inflater.ts), into chunks of 256 KiB.

import { Buffer } from 'node:buffer';
import { finished, Readable } from 'node:stream';

import { AirgapError, isAirgapError } from '../../core/errors.js';
import { createInflater, InflateError } from './inflater.js';
import {
  entryKindOf,
  type EntryHeader,
  type ExtendedHeaderLimits,
} from '../../core/transfer/entry-policy.js';
import { BLOCK, cString, invalid, isZero, parseHeader, parsePax } from './tar-header.js';

/**
 * Extended headers are metadata, buffered before the header that says what they describe:
 * bounded per entry. A layer of an image may carry xattrs in them (SCHILY.xattr.*), hence
 * no key list by default; a transfer archive passes TRANSFER_EXTENDED_HEADERS.
 */
export const DEFAULT_EXTENDED_HEADERS: ExtendedHeaderLimits = { maxHeaders: 8, maxBytes: 1 << 20 };

export interface TarReadOptions {
  /** Default DEFAULT_EXTENDED_HEADERS. */
  extendedHeaders?: ExtendedHeaderLimits;
  /**
   * Called with the archive's first bytes (one block, or fewer when the archive is
   * shorter) before they are parsed: may throw to say the input is not a tar at all.
   */
  checkFirstBlock?: (bytes: Buffer) => void;
}

export interface TarEntry extends EntryHeader {
  typeflag: string;
  mode: number;
  /** Byte offset of the entry's (first) header in the uncompressed archive. */
  offset: number;
  /**
   * The entry's data. Read it to the end (or not at all) before asking for the next
   * entry: unread bytes are skipped then. A truncated archive makes it fail with
   * ARCHIVE_INVALID naming the entry.
   */
  body: Readable;
}

export function isGzip(firstBytes: Uint8Array): boolean {
  return firstBytes[0] === 0x1f && firstBytes[1] === 0x8b;
}

/** `input` as the tar byte stream: gunzipped when it starts with the gzip magic. */
export function tarStream(input: Readable, gzip: boolean): Readable {
  if (!gzip) return input;
  const output = Readable.from(gunzipChunks(input), { objectMode: false, highWaterMark: 1 << 20 });
  output.on('close', () => input.destroy());
  return output;
}

/**
 * The gzip stream `input` (one member or several, as zlib reads them), inflated. Each
 * output chunk is copied out of the inflater's reused buffer: the tar reader keeps
 * chunks. After the last member, only zero bytes (padding) may follow.
 */
async function* gunzipChunks(input: Readable): AsyncGenerator<Buffer> {
  let out: Buffer[] = [];
  const inflater = createInflater('gzip', (chunk) => out.push(Buffer.from(chunk)));
  try {
    for await (const chunk of streamChunks(input)) {
      const taken = inflater.ended ? 0 : await inflater.write(chunk);
      if (out.length > 0) {
        const ready = out;
        out = [];
        yield* ready;
      }
      if (taken < chunk.length && !isZero(chunk.subarray(taken))) {
        throw new InflateError('data after the end of the gzip stream');
      }
    }
    await inflater.finish();
    yield* out;
  } finally {
    inflater.close();
  }
}

function gzipError(archive: string, e: unknown): AirgapError {
  const msg = (e as Error).message;
  const truncated = /unexpected end of file/i.test(msg);
  return new AirgapError(
    'ARCHIVE_INVALID',
    truncated
      ? `${archive} is truncated: the gzip stream ends early (${msg})`
      : `${archive} is not readable gzip data (${msg})`,
    { path: archive, expected: 'a complete gzip stream', actual: msg, cause: e },
  );
}

/** Chunks a stream queues before it is paused, and resumed below a quarter of that. */
const QUEUED_CHUNKS = 16;

/**
 * The chunks of a byte stream as they were pushed. Not the stream's own async
 * iterator: its read() joins all the stream holds into one new Buffer, a copy of
 * every byte, and most of the reading's cost on a fast source.
 */
export function streamChunks(stream: Readable): AsyncIterable<Buffer> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<Buffer> {
      const queue: Buffer[] = [];
      let ended = false;
      let failure: unknown;
      let wake: (() => void) | undefined;
      const notify = (): void => {
        const w = wake;
        wake = undefined;
        w?.();
      };
      stream.on('data', (chunk: Buffer | string) => {
        queue.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
        if (queue.length >= QUEUED_CHUNKS) stream.pause();
        notify();
      });
      finished(stream, (e) => {
        if (e === undefined || e === null) ended = true;
        else failure = e;
        notify();
      });
      return {
        async next(): Promise<IteratorResult<Buffer>> {
          for (;;) {
            const chunk = queue.shift();
            if (chunk !== undefined) {
              if (queue.length < QUEUED_CHUNKS / 4 && stream.isPaused() && !ended) stream.resume();
              return { value: chunk, done: false };
            }
            if (failure !== undefined) throw failure;
            if (ended) return { value: undefined, done: true };
            await new Promise<void>((resolve) => (wake = resolve));
          }
        },
        async return(): Promise<IteratorResult<Buffer>> {
          stream.destroy();
          return { value: undefined, done: true };
        },
      };
    },
  };
}

/** Pulls exact byte counts from a chunked stream. */
class ByteReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private done = false;
  /** Bytes handed out so far. */
  position = 0;

  constructor(
    private readonly it: AsyncIterator<unknown>,
    private readonly archive: string,
  ) {}

  private async more(): Promise<boolean> {
    if (this.done) return false;
    let r: IteratorResult<unknown>;
    try {
      r = await this.it.next();
    } catch (e) {
      if (isAirgapError(e)) throw e;
      // zlib's errors (Z_BUF_ERROR, Z_DATA_ERROR) name no file: say which, and what it means.
      if (e instanceof InflateError || /^Z_/.test(String((e as { code?: unknown }).code)))
        throw gzipError(this.archive, e);
      throw new AirgapError('ARCHIVE_INVALID', `${this.archive} cannot be read: ${(e as Error).message}`, {
        path: this.archive,
        cause: e,
      });
    }
    if (r.done === true) {
      this.done = true;
      return false;
    }
    const b = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value as Uint8Array);
    if (b.length > 0) {
      this.chunks.push(b);
      this.buffered += b.length;
    }
    return true;
  }

  /** Exactly n bytes, or fewer only where the input ends. */
  async read(n: number): Promise<Buffer> {
    while (this.buffered < n && (await this.more()));
    return this.take(Math.min(n, this.buffered));
  }

  /** 1 to max bytes; empty only at the end of the input. */
  async readSome(max: number): Promise<Buffer> {
    while (this.buffered === 0 && (await this.more()));
    return this.take(Math.min(max, this.buffered));
  }

  /** Skips n bytes; returns how many there were. */
  async skip(n: number): Promise<number> {
    let left = n;
    while (left > 0) {
      const b = await this.readSome(Math.min(left, 1 << 20));
      if (b.length === 0) break;
      left -= b.length;
    }
    return n - left;
  }

  private take(n: number): Buffer {
    this.position += n;
    this.buffered -= n;
    const first = this.chunks[0];
    if (first !== undefined && first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, n - at);
      c.copy(out, at, 0, k);
      at += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    return out;
  }
}

/**
 * The entries of a tar stream, in order. Extended headers ('x' pax, 'L'/'K' GNU long
 * names) are folded into the entry they describe; a pax global header ('g') is
 * yielded as an entry of kind 'pax-global-header' for the policy to refuse.
 */
export async function* readTarEntries(
  input: AsyncIterable<unknown>,
  archive: string,
  options: TarReadOptions = {},
): AsyncGenerator<TarEntry> {
  const limits = options.extendedHeaders ?? DEFAULT_EXTENDED_HEADERS;
  const chunks = input instanceof Readable ? streamChunks(input) : input;
  const reader = new ByteReader(chunks[Symbol.asyncIterator](), archive);
  let pax = emptyRecords();
  let longName: string | undefined;
  let longLink: string | undefined;
  let metaNames: string[] = [];
  let metaBytes = 0;
  let entryOffset: number | undefined;

  for (;;) {
    const offset = reader.position;
    const block = await reader.read(BLOCK);
    if (offset === 0) options.checkFirstBlock?.(block);
    if (block.length < BLOCK) {
      throw truncated(
        archive,
        block.length === 0 ? 'it ends without the end-of-archive marker' : 'it ends inside a header',
        offset,
      );
    }
    if (isZero(block)) {
      const second = await reader.read(BLOCK);
      if (second.length < BLOCK) throw truncated(archive, 'it ends inside the end-of-archive marker', offset);
      if (!isZero(second)) {
        throw invalid(archive, `a zero block at byte ${offset} is followed by more entries`, offset);
      }
      if (entryOffset !== undefined) {
        throw invalid(archive, `extended headers at byte ${entryOffset} describe no entry`, entryOffset);
      }
      // GNU tar pads to its record size with zeros; anything else hides data no tool extracts.
      for (;;) {
        const rest = await reader.readSome(1 << 16);
        if (rest.length === 0) return;
        if (!isZero(rest)) {
          throw invalid(
            archive,
            `non-zero data after the end-of-archive marker (at byte ${reader.position - rest.length})`,
            offset,
          );
        }
      }
    }
    const h = parseHeader(block, archive, offset);
    entryOffset ??= offset;

    if (h.typeflag === 'x' || h.typeflag === 'L' || h.typeflag === 'K') {
      // Checked before the header's data is read: the work per entry stays bounded.
      const refuse = (what: string, expected: string, actual: string, name = pax.path ?? longName) =>
        extendedRefused(archive, entryOffset!, name, what, expected, actual);
      const header = `${JSON.stringify(h.name)} at byte ${offset}`;
      if (metaNames.length >= limits.maxHeaders) {
        throw refuse(
          `has more than ${limits.maxHeaders} extended headers: ${header} is one more`,
          `at most ${limits.maxHeaders} extended headers per entry`,
          `${limits.maxHeaders + 1} or more`,
        );
      }
      if (metaBytes + h.size > limits.maxBytes) {
        throw refuse(
          `has more than ${limits.maxBytes} bytes of extended headers: ${header} brings them to ${metaBytes + h.size}`,
          `at most ${limits.maxBytes} bytes of extended headers per entry`,
          `${metaBytes + h.size} bytes`,
        );
      }
      metaBytes += h.size;
      const data = await reader.read(h.size);
      if (data.length < h.size)
        throw truncated(archive, `it ends inside the extended header at byte ${offset}`, offset);
      await skipPadding(reader, h.size, archive, `the extended header at byte ${offset}`);
      metaNames.push(h.name);
      if (h.typeflag === 'x') {
        const records = parsePax(data, archive, offset);
        const allowed = limits.paxKeys;
        const stray =
          allowed === undefined ? undefined : Object.keys(records).find((k) => !allowed.includes(k));
        if (stray !== undefined) {
          throw refuse(
            `has pax record ${JSON.stringify(stray.slice(0, 100))} (in ${header}), which sets nothing a transfer archive uses`,
            `only the pax records ${allowed!.join(', ')}`,
            `pax record ${stray.slice(0, 100)}`,
            records.path ?? pax.path ?? longName,
          );
        }
        Object.assign(pax, records);
      } else if (h.typeflag === 'L') longName = cString(data);
      else longLink = cString(data);
      continue;
    }

    const size = pax.size !== undefined ? paxSize(pax.size, archive, offset) : h.size;
    const entry: TarEntry = {
      headerName: h.name,
      ...(pax.path !== undefined ? { paxPath: pax.path } : {}),
      ...(longName !== undefined ? { longName } : {}),
      ...(metaNames.length > 0 ? { metaNames } : {}),
      ...(Object.keys(pax).length > 0 ? { pax } : {}),
      kind: entryKindOf(h.typeflag),
      typeflag: h.typeflag,
      linkName: pax.linkpath ?? longLink ?? h.linkName,
      size,
      mode: h.mode,
      offset: entryOffset,
      body: new Readable({ read() {} }),
    };
    pax = emptyRecords();
    longName = undefined;
    longLink = undefined;
    metaNames = [];
    metaBytes = 0;
    entryOffset = undefined;

    // Links and devices carry no data in the archive, whatever their size field says.
    const dataSize =
      entry.kind === 'file' ||
      entry.kind === 'directory' ||
      entry.kind === 'contiguous-file' ||
      entry.kind === 'unknown' ||
      entry.kind === 'pax-global-header'
        ? size
        : 0;
    const body = bodyStream(reader, dataSize, archive, entry);
    entry.body = body.stream;
    yield entry;
    await body.finish();
    await skipPadding(
      reader,
      dataSize,
      archive,
      `entry ${JSON.stringify(entry.paxPath ?? entry.longName ?? entry.headerName)}`,
    );
  }
}

function bodyStream(
  reader: ByteReader,
  size: number,
  archive: string,
  entry: EntryHeader,
): { stream: Readable; finish: () => Promise<void> } {
  let remaining = size;
  let inflight: Promise<void> | undefined;
  let ended = false;
  const name = entry.paxPath ?? entry.longName ?? entry.headerName;
  const short = (): AirgapError =>
    truncated(archive, `entry ${JSON.stringify(name)} needs ${remaining} more bytes`, undefined, name);
  const stream = new Readable({
    highWaterMark: 256 << 10,
    read() {
      if (inflight !== undefined || ended) return;
      if (remaining === 0) {
        ended = true;
        this.push(null);
        return;
      }
      inflight = reader.readSome(Math.min(remaining, 256 << 10)).then(
        (chunk) => {
          inflight = undefined;
          if (chunk.length === 0) {
            this.destroy(short());
            return;
          }
          remaining -= chunk.length;
          const last = remaining === 0;
          if (last) ended = true;
          this.push(chunk);
          if (last) this.push(null);
        },
        (e: unknown) => {
          inflight = undefined;
          this.destroy(e as Error);
        },
      );
    },
  });
  return {
    stream,
    async finish() {
      if (inflight !== undefined) await inflight;
      if (remaining > 0) {
        if (!stream.destroyed) stream.destroy();
        const skipped = await reader.skip(remaining);
        remaining -= skipped;
        if (remaining > 0) throw short();
      }
    },
  };
}

async function skipPadding(reader: ByteReader, size: number, archive: string, what: string): Promise<void> {
  const pad = (BLOCK - (size % BLOCK)) % BLOCK;
  if (pad === 0) return;
  const got = await reader.skip(pad);
  if (got < pad) throw truncated(archive, `it ends inside the padding after ${what}`, undefined);
}

function paxSize(text: string, archive: string, offset: number): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw invalid(
      archive,
      `the pax header at byte ${offset} has a malformed size ${JSON.stringify(text)}`,
      offset,
    );
  }
  return Number(text);
}

/** pax records by key, with no prototype a key could name. */
function emptyRecords(): Record<string, string> {
  return Object.create(null) as Record<string, string>;
}

function extendedRefused(
  archive: string,
  entryOffset: number,
  name: string | undefined,
  what: string,
  expected: string,
  actual: string,
): AirgapError {
  const entry =
    name === undefined
      ? `the entry at byte ${entryOffset}`
      : `entry ${JSON.stringify(name)} (at byte ${entryOffset})`;
  return new AirgapError('ARCHIVE_INVALID', `${archive}: ${entry} ${what}`, {
    path: name ?? archive,
    address: archive,
    expected,
    actual,
  });
}

function truncated(archive: string, what: string, offset: number | undefined, entry?: string): AirgapError {
  return new AirgapError('ARCHIVE_INVALID', `${archive} is truncated: ${what}`, {
    path: entry ?? archive,
    address: archive,
    expected: 'the whole archive, ending with two zero blocks',
    actual: offset === undefined ? what : `${what} (byte ${offset})`,
  });
}
