// A transfer archive in S3, read as the bundle reader reads local parts
// (adapters/archive/parts.ts): s3://BUCKET/KEY, or s3://BUCKET/KEY.000 and every
// KEY.NNN beside it, checked for gaps and sizes before any byte is read, then
// streamed in one pass by ranged GETs of 8 MiB, six ahead, each tied to the
// object's ETag (an object replaced mid-read fails, rather than mixing two), each
// passed on as its bytes arrive. A range whose body breaks off is asked again from
// where it stopped; the SDK itself retries refused requests, throttling and 5xx
// answers.
//
// The first part's first range is asked for before its size is known, in place of a
// HEAD: its Content-Range gives the size, its ETag ties the later ranges, its first
// bytes tell tar from gzip, and the read then starts with bytes already on the way.

import { GetObjectCommand } from './sdk.js';
import { Readable } from 'node:stream';

import { AirgapError } from '../../core/errors.js';
import { TRANSFER } from '../../core/layout/names.js';
import { formatS3Url, parseS3Url, type S3Location } from '../../core/s3/url.js';
import type { ArchiveParts, ArchiveStore } from '../archive/parts.js';
import { connectS3, type S3AccessOptions } from './client.js';
import { s3Error } from './errors.js';
import { headObject, listObjects } from './objects.js';

const RANGE = 8 * 1024 * 1024;
const AHEAD = 6;
/** Bytes a range keeps ahead of the reader before its body is paused. */
const HOLD = 1 << 20;
/** Attempts per range whose body breaks off (each request is also retried by the SDK). */
const RANGE_ATTEMPTS = 5;
const FIRST_SUFFIX = TRANSFER.partSuffix(0);
const LATER_PART = /^(.*)\.(\d{3,})$/;

interface PartInfo {
  location: S3Location;
  size: number;
  etag: string;
}

export function s3ArchiveStore(access: S3AccessOptions): ArchiveStore {
  const conn = connectS3(access);
  const known = new Map<string, PartInfo>();
  /** First ranges started by `probe`, each handed once to the read (or to `peek`). */
  const started = new Map<PartInfo, RangeFetch>();
  /** Stops the ranges `probe` started when the store is closed before they are read. */
  const closing = new AbortController();

  async function info(url: string): Promise<PartInfo | undefined> {
    const location = parseS3Url(url, 'SOURCE');
    const head = await headObject(conn, location);
    if (head === undefined) return undefined;
    const part = { location, size: head.size, etag: head.etag };
    known.set(url, part);
    return part;
  }

  /**
   * The first range of `url`, asked for in place of a HEAD: undefined when there is no
   * such object (or bucket), as HEAD said. Its answer's Content-Range gives the size
   * and its ETag ties every later range; its body is read on, held for `peek` and the
   * read. An empty object (which no range fits: 416), a range the server failed (5xx
   * after the SDK's retries) or an answer without a Content-Range is asked about with
   * a HEAD instead.
   */
  async function probe(url: string): Promise<PartInfo | undefined> {
    const location = parseS3Url(url, 'SOURCE');
    let answer;
    try {
      answer = await conn.client.send(
        new GetObjectCommand({ Bucket: location.bucket, Key: location.key, Range: `bytes=0-${RANGE - 1}` }),
        { abortSignal: closing.signal },
      );
    } catch (e) {
      const name = (e as { name?: string }).name;
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (name === 'NoSuchKey' || name === 'NoSuchBucket' || name === 'NotFound' || status === 404)
        return undefined;
      // 416: an empty object, which no range fits. A server that fails the range
      // (s3rver answers 500 for an empty object) may still answer a HEAD, whose
      // answer or error then stands, as before there was a probe.
      if (status === 416 || (status !== undefined && status >= 500)) return info(url);
      throw s3Error(e, { operation: 'GetObject', ...location });
    }
    const body = answer.Body as Readable | undefined;
    const total = /^bytes 0-\d+\/(\d+)$/.exec(answer.ContentRange ?? '')?.[1];
    if (body === undefined || total === undefined) {
      body?.destroy();
      return info(url);
    }
    const part = { location, size: Number(total), etag: answer.ETag ?? '' };
    known.set(url, part);
    const range = new RangeFetch({ part, start: 0, end: Math.min(part.size, RANGE) }, HOLD);
    fetchInto(range, closing.signal, body).then(
      () => range.settle(),
      (e: unknown) => range.settle(e),
    );
    started.set(part, range);
    return part;
  }

  /** A range in flight: the one `probe` started, or a new request. */
  function begin(plan: RangePlan, signal: AbortSignal): RangeFetch {
    const early = plan.start === 0 ? started.get(plan.part) : undefined;
    if (early !== undefined) {
      started.delete(plan.part);
      signal.addEventListener('abort', () => early.abort(), { once: true });
      return early;
    }
    const range = new RangeFetch(plan, HOLD);
    fetchInto(range, signal).then(
      () => range.settle(),
      (e: unknown) => range.settle(e),
    );
    return range;
  }

  /** The first `n` bytes of a part (for format detection), left in place for the read. */
  async function fetchRange(part: PartInfo, n: number): Promise<Buffer> {
    const early = started.get(part);
    if (early === undefined) {
      const range = new RangeFetch({ part, start: 0, end: n });
      await fetchInto(range);
      return Buffer.concat(range.chunks);
    }
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (early.received < n && !early.done) return;
        early.onChange = undefined;
        resolve();
      };
      early.onChange = check;
      check();
    });
    if (early.error !== undefined) throw early.error as Error;
    return Buffer.concat(early.chunks).subarray(0, n);
  }

  /**
   * Fills `range.chunks` as the connection delivers them (no copy, no waiting for the
   * whole range). A body that breaks off is asked again from the byte it stopped at,
   * still tied to the object's ETag.
   */
  async function fetchInto(range: RangeFetch, signal?: AbortSignal, answered?: Readable): Promise<void> {
    const { part, start, end } = range.plan;
    let lastError: unknown;
    let first = answered;
    for (let attempt = 1; attempt <= RANGE_ATTEMPTS; attempt += 1) {
      const from = start + range.received;
      try {
        const body =
          first ??
          ((
            await conn.client.send(
              new GetObjectCommand({
                Bucket: part.location.bucket,
                Key: part.location.key,
                Range: `bytes=${from}-${end - 1}`,
                ...(part.etag === '' ? {} : { IfMatch: part.etag }),
              }),
              signal === undefined ? {} : { abortSignal: signal },
            )
          ).Body as Readable | undefined);
        first = undefined;
        if (body === undefined) throw new Error('the answer has no body');
        range.attach(body);
        await new Promise<void>((resolve, reject) => {
          const fail = (e: unknown): void => {
            body.destroy();
            reject(e as Error);
          };
          body.on('data', (chunk: Buffer) => {
            if (range.received + chunk.length > end - start) {
              fail(new Error(`range ${from}-${end - 1} gave more bytes than asked`));
              return;
            }
            range.add(chunk);
          });
          body.once('error', fail);
          body.once('end', () => {
            if (range.received === end - start) resolve();
            else reject(new Error(`range ${from}-${end - 1} ended at byte ${start + range.received}`));
          });
        });
        return;
      } catch (e) {
        if (signal?.aborted === true || range.aborted) throw e;
        const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        // An answer S3 gave (412: the object changed; 403, 404) will not change on a retry.
        if (status !== undefined && status < 500)
          throw s3Error(e, { operation: 'GetObject', ...part.location });
        lastError = e;
      }
    }
    throw s3Error(lastError, {
      operation: `GetObject (${RANGE_ATTEMPTS} attempts at bytes ${start}-${end - 1})`,
      ...part.location,
    });
  }

  async function plan(parts: readonly string[]): Promise<RangePlan[]> {
    const ranges: RangePlan[] = [];
    // The parts not probed yet (later split parts), asked about together.
    const infos = await Promise.all(parts.map(async (url) => known.get(url) ?? (await info(url))));
    for (const [i, url] of parts.entries()) {
      const part = infos[i];
      if (part === undefined) throw missing(url);
      for (let start = 0; start < part.size; start += RANGE) {
        ranges.push({ part, start, end: Math.min(part.size, start + RANGE) });
      }
    }
    return ranges;
  }

  return {
    async resolve(source: string): Promise<ArchiveParts> {
      if (!source.endsWith(FIRST_SUFFIX)) {
        const part = await probe(source);
        if (part === undefined) throw missing(source);
        return { parts: [source], size: part.size, split: false };
      }
      const first = parseS3Url(source, 'SOURCE');
      const base = first.key.slice(0, -FIRST_SUFFIX.length);
      const listed = await listObjects(conn, first.bucket, `${base}.`);
      const numbers = new Map<number, { key: string; size: number }>();
      for (const o of listed) {
        const m = LATER_PART.exec(o.key);
        if (m?.[1] === base && o.key === `${base}${TRANSFER.partSuffix(Number(m[2]))}`)
          numbers.set(Number(m[2]), o);
      }
      const firstPart = numbers.get(0);
      if (firstPart === undefined) throw missing(source);
      const last = Math.max(...numbers.keys());
      const parts: string[] = [];
      let size = 0;
      for (let i = 0; i <= last; i += 1) {
        const url = formatS3Url({ bucket: first.bucket, key: `${base}${TRANSFER.partSuffix(i)}` });
        const o = numbers.get(i);
        if (o === undefined) {
          throw new AirgapError(
            'BUNDLE_FILE_MISSING',
            `${url} is missing: the archive is split into parts up to ${formatS3Url({ bucket: first.bucket, key: `${base}${TRANSFER.partSuffix(last)}` })}, and every one is needed`,
            { address: url, expected: 'an object', actual: 'no such object' },
            `copy ${url} from the export side`,
          );
        }
        const isLast = i === last;
        if ((!isLast && o.size !== firstPart.size) || (isLast && (o.size > firstPart.size || o.size === 0))) {
          const expected = isLast
            ? `1 to ${firstPart.size} bytes (the last part)`
            : `${firstPart.size} bytes, like ${source}`;
          throw new AirgapError(
            'ARCHIVE_INVALID',
            `${url} is ${o.size} bytes, expected ${expected}: a part was cut short or changed`,
            { address: url, expected, actual: `${o.size} bytes` },
            `copy ${url} again from the export side`,
          );
        }
        parts.push(url);
        size += o.size;
      }
      if ((await probe(parts[0]!)) === undefined) throw missing(parts[0]!);
      return { parts, size, split: true };
    },

    async peek(part: string, n: number): Promise<Buffer> {
      const p = known.get(part) ?? (await probe(part));
      if (p === undefined) throw missing(part);
      return p.size === 0 ? Buffer.alloc(0) : await fetchRange(p, Math.min(n, p.size));
    },

    open(parts: readonly string[], onRead?: (bytes: number) => void): Readable {
      return new RangeStream(() => plan(parts), begin, onRead);
    },

    async refuseLaterPart(source: string): Promise<void> {
      const m = LATER_PART.exec(source);
      if (m === null || Number(m[2]) === 0) return;
      const first = `${m[1]!}${FIRST_SUFFIX}`;
      if ((await info(first)) === undefined) return;
      throw new AirgapError(
        'USAGE',
        `${source} is part ${Number(m[2]) + 1} of a split transfer archive; pass its first part, ${first}, which finds the others by name`,
        { address: source, expected: first, actual: source },
        `pass ${first} instead`,
      );
    },

    close: () => {
      closing.abort();
      for (const range of started.values()) range.abort();
      started.clear();
      return conn.close();
    },
  };
}

interface RangePlan {
  part: PartInfo;
  start: number;
  end: number;
}

/**
 * A range's bytes as they arrive, held until the stream hands them on. Past `hold`
 * bytes held, the body is paused: the rest waits in the connection (TCP holds it,
 * and the server), not in this process's heap, where every chunk kept alive would
 * outlive the young generation and cost the garbage collector a full collection.
 */
class RangeFetch {
  readonly chunks: Buffer[] = [];
  /** Bytes of the range received so far. */
  received = 0;
  /** Bytes in `chunks`. */
  held = 0;
  done = false;
  error: unknown;
  /** Called when a chunk, the end or a failure arrives. */
  onChange: (() => void) | undefined;
  #body: Readable | undefined;

  constructor(
    readonly plan: RangePlan,
    readonly hold = Infinity,
  ) {}

  /** The answer whose body delivers the (rest of the) range. */
  attach(body: Readable): void {
    this.#body = body;
  }

  add(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.received += chunk.length;
    this.held += chunk.length;
    if (this.held >= this.hold) this.#body?.pause();
    this.onChange?.();
  }

  take(): Buffer | undefined {
    const chunk = this.chunks.shift();
    if (chunk === undefined) return undefined;
    this.held -= chunk.length;
    if (this.held < this.hold / 2 && this.#body?.isPaused() === true) this.#body.resume();
    return chunk;
  }

  /** Set when the reader gave up on the range: a broken body is then not asked again. */
  aborted = false;

  /** Stops the body (the request's own signal may already be spent). */
  abort(): void {
    this.aborted = true;
    this.#body?.destroy();
  }

  settle(error?: unknown): void {
    this.done = true;
    this.error = error;
    this.onChange?.();
  }
}

/**
 * The ranges in order, AHEAD of them in flight. Each range's chunks are passed on as
 * they arrive: reading starts with the first bytes, not once the first ranges are
 * whole, and the bytes held are those the reader has not taken yet (at most AHEAD
 * ranges).
 */
class RangeStream extends Readable {
  readonly #plan: () => Promise<RangePlan[]>;
  readonly #begin: (range: RangePlan, signal: AbortSignal) => RangeFetch;
  readonly #onRead: ((bytes: number) => void) | undefined;
  readonly #abort = new AbortController();
  readonly #active: RangeFetch[] = [];
  #ranges: RangePlan[] | undefined;
  #next = 0;
  #planning = false;
  #pumping = false;

  constructor(
    plan: () => Promise<RangePlan[]>,
    begin: (range: RangePlan, signal: AbortSignal) => RangeFetch,
    onRead: ((bytes: number) => void) | undefined,
  ) {
    super({ highWaterMark: 1 << 20 });
    this.#plan = plan;
    this.#begin = begin;
    this.#onRead = onRead;
  }

  override _read(): void {
    if (this.#ranges !== undefined) {
      this.#pump();
      return;
    }
    if (this.#planning) return;
    this.#planning = true;
    this.#plan().then(
      (ranges) => {
        this.#ranges = ranges;
        this.#pump();
      },
      (e: unknown) => this.destroy(e as Error),
    );
  }

  #fill(): void {
    const ranges = this.#ranges!;
    while (this.#active.length < AHEAD && this.#next < ranges.length) {
      const range = this.#begin(ranges[this.#next]!, this.#abort.signal);
      this.#next += 1;
      this.#active.push(range);
    }
  }

  /** Hands on what the first range holds, until the reader wants no more or must wait. */
  #pump(): void {
    if (this.#pumping || this.destroyed) return;
    this.#pumping = true;
    try {
      for (;;) {
        this.#fill();
        const head = this.#active[0];
        if (head === undefined) {
          this.push(null);
          return;
        }
        head.onChange = undefined;
        let more = true;
        while (more && head.chunks.length > 0) {
          const chunk = head.take()!;
          this.#onRead?.(chunk.length);
          more = this.push(chunk);
        }
        if (head.chunks.length > 0) return;
        if (head.error !== undefined) {
          this.destroy(head.error as Error);
          return;
        }
        if (!head.done) {
          head.onChange = () => this.#pump();
          return;
        }
        this.#active.shift();
        if (!more) {
          this.#fill();
          return;
        }
      }
    } finally {
      this.#pumping = false;
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#abort.abort();
    this.#active.length = 0;
    callback(error);
  }
}

function missing(url: string): AirgapError {
  return new AirgapError(
    'S3_NOT_FOUND',
    `${url}: no such object (or no such bucket)`,
    { address: url },
    'check the address: SOURCE is the transfer tarball (s3://BUCKET/KEY, or KEY.000 when split); aws s3 ls shows what the bucket holds',
  );
}
