// Deflate data inflated on the calling thread into one reused output buffer.
//
// Node's public streaming inflate (zlib.createInflateRaw) runs each call on libuv's thread
// pool and hands out a freshly allocated buffer per output chunk: measured here on a
// deflated Go executable, inflate + sha256 of 200 MB took 0.96 CPU-s that way (page faults
// and allocation for every 128 KiB chunk, a thread hop per call), and 0.45 CPU-s when the
// same zlib handle inflates synchronously into one 256 KiB buffer that stays in cache. The
// synchronous handle is what Node's own zlib.inflateRawSync is built on (lib/zlib.js,
// processChunkSync: handle.writeSync with the stream's _writeState), but it is not a
// documented API, so it is used only when it is there and answers as expected; otherwise
// the documented stream is used (same results, the old speed). `inflaterKind()` tells which,
// and a test pins the fast one on the Node versions this package supports.
//
// Each output chunk is a view of the reused buffer, valid only until the callback returns:
// a consumer that keeps bytes must copy them.

import { constants, createGunzip, createInflateRaw, type Gunzip, type InflateRaw } from 'node:zlib';

/** The output buffer: measured best of 64 KiB, 256 KiB and 1 MiB (it stays in L2). */
const OUTPUT_SIZE = 256 * 1024;

export type InflateFormat = 'raw' | 'gzip';

export interface Inflater {
  /**
   * Inflates from `input`, calling `onOutput` for every chunk. Returns the bytes of `input`
   * taken: fewer than `input.length` only when the deflate stream ended inside it (the rest
   * follows the stream). Throws (`InflateError`) on data that does not inflate.
   */
  write(input: Buffer): Promise<number>;
  /**
   * Whether the deflate stream has ended. Known only once a byte past its end was offered,
   * or after `finish()`.
   */
  readonly ended: boolean;
  /** Checks the stream is complete (throws `InflateError` if it is cut short), then frees it. */
  finish(): Promise<void>;
  /** Frees it without checking. */
  close(): void;
}

/** The data does not inflate: zlib's own message (e.g. "invalid distance too far back"). */
export class InflateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InflateError';
  }
}

interface ZlibHandle {
  writeSync(
    flush: number,
    input: Buffer,
    inOffset: number,
    inLength: number,
    output: Buffer,
    outOffset: number,
    outLength: number,
  ): void;
  onerror: (message: string, errno: number) => void;
}

interface WithHandle {
  _handle?: unknown;
  _writeState?: unknown;
}

function handleOf(z: InflateRaw | Gunzip): { handle: ZlibHandle; state: Uint32Array } | undefined {
  const { _handle: handle, _writeState: state } = z as unknown as WithHandle;
  if (typeof handle !== 'object' || handle === null) return undefined;
  if (typeof (handle as Partial<ZlibHandle>).writeSync !== 'function') return undefined;
  if (!(state instanceof Uint32Array) || state.length !== 2) return undefined;
  return { handle: handle as ZlibHandle, state };
}

function create(format: InflateFormat, options?: { chunkSize: number }): InflateRaw | Gunzip {
  return format === 'raw' ? createInflateRaw(options) : createGunzip(options);
}

let kind: 'handle' | 'stream' | undefined;

/** Which implementation `createInflater` gives on this Node: the fast one is 'handle'. */
export function inflaterKind(): 'handle' | 'stream' {
  kind ??= probe();
  return kind;
}

/** The handle path is used only if it inflates a known stream to the known bytes. */
function probe(): 'handle' | 'stream' {
  try {
    // A raw deflate stream of "airgap" (fixed Huffman), then one byte past its end.
    const sample = Buffer.from([0x4b, 0xcc, 0x2c, 0x4a, 0x4f, 0x2c, 0x00, 0x00, 0x99]);
    const out: Buffer[] = [];
    const inflater = new HandleInflater('raw', (b) => out.push(Buffer.from(b)), 64);
    const taken = inflater.writeNow(sample);
    const ok = taken === 8 && inflater.ended && Buffer.concat(out).toString() === 'airgap';
    inflater.close();
    return ok ? 'handle' : 'stream';
  } catch {
    return 'stream';
  }
}

/**
 * An inflater for raw deflate data (zip entries) or a gzip member (tarballs). `onOutput`
 * sees a view of a reused buffer, valid until it returns.
 */
export function createInflater(format: InflateFormat, onOutput: (chunk: Buffer) => void): Inflater {
  return inflaterKind() === 'handle'
    ? new HandleInflater(format, onOutput, OUTPUT_SIZE)
    : new StreamInflater(format, onOutput);
}

class HandleInflater implements Inflater {
  private readonly z: InflateRaw | Gunzip;
  private readonly handle: ZlibHandle;
  private readonly state: Uint32Array;
  private readonly out: Buffer;
  private error: string | undefined;
  private done = false;
  private closed = false;

  constructor(
    format: InflateFormat,
    private readonly onOutput: (chunk: Buffer) => void,
    outputSize: number,
  ) {
    this.z = create(format);
    const h = handleOf(this.z);
    if (h === undefined) throw new Error('zlib handle unavailable');
    this.handle = h.handle;
    this.state = h.state;
    // Replaces Node's handler, which destroys the stream object: the error is ours to throw.
    this.handle.onerror = (message) => {
      this.error ??= message;
    };
    this.out = Buffer.allocUnsafe(outputSize);
  }

  get ended(): boolean {
    return this.done;
  }

  write(input: Buffer): Promise<number> {
    try {
      return Promise.resolve(this.writeNow(input));
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }

  /** write(), synchronously. */
  writeNow(input: Buffer): number {
    if (this.done || input.length === 0) return 0;
    const taken = this.run(constants.Z_NO_FLUSH, input);
    // zlib stops taking input, with room left for output, only at the end of the stream.
    if (taken < input.length) this.done = true;
    return taken;
  }

  finish(): Promise<void> {
    try {
      if (!this.done) {
        // With no input left, Z_FINISH reports "unexpected end of file" unless the stream ended.
        this.run(constants.Z_FINISH, Buffer.alloc(0));
        this.done = true;
      }
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e as Error);
    } finally {
      this.close();
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.z.close();
  }

  /** Runs zlib over `input` until it takes no more or has no more output; returns bytes taken. */
  private run(flush: number, input: Buffer): number {
    if (this.closed) throw new Error('inflater is closed');
    if (this.error !== undefined) throw new InflateError(this.error);
    let offset = 0;
    let left = input.length;
    for (;;) {
      this.handle.writeSync(flush, input, offset, left, this.out, 0, this.out.length);
      if (this.error !== undefined) throw new InflateError(this.error);
      const outLeft = this.state[0]!;
      const inLeft = this.state[1]!;
      const produced = this.out.length - outLeft;
      offset += left - inLeft;
      left = inLeft;
      if (produced > 0) this.onOutput(this.out.subarray(0, produced));
      // A full output buffer: zlib may hold more, with or without input left.
      if (outLeft !== 0) return offset;
    }
  }
}

/** The documented path: Node's zlib stream (thread pool, a buffer per chunk). */
class StreamInflater implements Inflater {
  private readonly z: InflateRaw | Gunzip;
  private error: Error | undefined;
  private done = false;
  private closed = false;

  constructor(format: InflateFormat, onOutput: (chunk: Buffer) => void) {
    this.z = create(format, { chunkSize: 128 * 1024 });
    this.z.on('data', onOutput);
    this.z.on('error', (e: Error) => (this.error ??= e));
    this.z.on('end', () => (this.done = true));
  }

  get ended(): boolean {
    return this.done;
  }

  async write(input: Buffer): Promise<number> {
    if (this.done || input.length === 0) return 0;
    this.check();
    const before = this.z.bytesWritten;
    await this.settle((done) => this.z.write(input, () => done()));
    this.check();
    const taken = this.z.bytesWritten - before;
    if (taken < input.length && !this.done) {
      // zlib took no more: the stream ended; its 'end' follows the last 'data'.
      await this.settle((done) => this.z.once('end', done));
      this.check();
    }
    return taken;
  }

  async finish(): Promise<void> {
    try {
      if (!this.done) {
        this.check();
        await this.settle((done) => {
          this.z.once('end', done);
          this.z.end();
        });
        this.check();
      }
    } finally {
      this.close();
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.z.destroy();
  }

  /** Waits for `start`'s callback or the stream's error, whichever comes first. */
  private settle(start: (done: () => void) => void): Promise<void> {
    if (this.error !== undefined) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.z.off('error', done);
        resolve();
      };
      this.z.once('error', done);
      start(done);
    });
  }

  private check(): void {
    if (this.error !== undefined) throw new InflateError(this.error.message);
  }
}

/**
 * The documented stream path that createInflater falls back to, whatever this Node offers:
 * the same contract, so it can be held to the same cases where the fast path is present.
 */
export function createStreamInflater(format: InflateFormat, onOutput: (chunk: Buffer) => void): Inflater {
  return new StreamInflater(format, onOutput);
}
