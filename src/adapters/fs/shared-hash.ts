// sha256 on worker threads over shared memory (used by export and by the image
// layer writer). An export hashes every byte twice
// (each file, to check it against airgap.json, and the whole output, for the
// result), and sha256 is its costliest step: on the main thread the two passes
// alone take longer than `tar -cf` of the same tree. File bodies are read into
// slabs of one SharedArrayBuffer; the hashing threads and the file writer all
// work from the same slab, with no copy, and a slab is reused only when every
// one of them has released it. A fixed number of slabs bounds memory whatever
// the bundle's size, and makes the reader wait for the slowest consumer.

import { Worker } from 'node:worker_threads';

export const SLAB_SIZE = 1 << 20;
const SLAB_COUNT = 16;

export class SharedSlabs {
  readonly buffer: SharedArrayBuffer;
  readonly #refs: number[];
  /** Used as a stack: the slabs last released are reused first, and the rest stay untouched (not resident). */
  readonly #free: number[];
  #waiters: (() => void)[] = [];

  /** `count` slabs: more let a consumer keep chunks longer (the S3 upload holds whole parts). */
  constructor(count = SLAB_COUNT) {
    this.buffer = new SharedArrayBuffer(SLAB_SIZE * count);
    this.#refs = new Array<number>(count).fill(0);
    this.#free = [...Array(count).keys()].reverse();
  }

  /** A free slab, held once by the caller; waits while all are in use, until `signal` aborts. */
  async acquire(signal?: AbortSignal): Promise<number> {
    for (;;) {
      signal?.throwIfAborted();
      const slab = this.#free.pop();
      if (slab !== undefined) {
        this.#refs[slab] = 1;
        return slab;
      }
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          signal?.removeEventListener('abort', wake);
          resolve();
        };
        this.#waiters.push(wake);
        signal?.addEventListener('abort', wake, { once: true });
      });
    }
  }

  view(slab: number, length = SLAB_SIZE): Buffer {
    return Buffer.from(this.buffer, slab * SLAB_SIZE, length);
  }

  /** The slab `bytes` lie in, when they are a view of this pool's memory. */
  slabOf(bytes: Uint8Array): number | undefined {
    return bytes.buffer === this.buffer ? Math.floor(bytes.byteOffset / SLAB_SIZE) : undefined;
  }

  retain(slab: number): void {
    this.#refs[slab] = (this.#refs[slab] ?? 0) + 1;
  }

  release(slab: number): void {
    const left = (this.#refs[slab] ?? 0) - 1;
    this.#refs[slab] = left;
    if (left > 0) return;
    this.#free.push(slab);
    for (const w of this.#waiters.splice(0)) w();
  }
}

// CommonJS, evaluated: runs the same from src/ (vitest) and from dist/. Each message
// names the running hash it is for (several may share the thread).
const HASH_THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const memory = Buffer.from(workerData.buffer);
const hashes = new Map();
function hashOf(id) {
  let hash = hashes.get(id);
  if (hash === undefined) {
    hash = createHash('sha256');
    hashes.set(id, hash);
  }
  return hash;
}
parentPort.on('message', (m) => {
  if (m.digest) {
    parentPort.postMessage({ id: m.id, digest: hashOf(m.id).digest('hex') });
    hashes.delete(m.id);
  } else if (m.bytes) {
    hashOf(m.id).update(m.bytes);
  } else {
    hashOf(m.id).update(memory.subarray(m.offset, m.offset + m.length));
    parentPort.postMessage({ id: m.id, slab: m.slab });
  }
});
`;

interface HashAnswer {
  id: number;
  slab?: number;
  digest?: string;
}

/**
 * A hashing thread over the slabs' memory, for one or more running sha256s
 * (HashThread): each thread costs ~0.08 CPU-s to start, and one is enough for
 * several hashes of the same bytes (the S3 export hashes each file, the whole
 * tarball and each upload part on one).
 */
export class HashWorker {
  readonly slabs: SharedSlabs;
  readonly #worker: Worker;
  readonly #hashes = new Map<number, HashThread>();
  #next = 0;
  #failure: Error | undefined;

  constructor(slabs: SharedSlabs) {
    this.slabs = slabs;
    this.#worker = new Worker(HASH_THREAD_SOURCE, { eval: true, workerData: { buffer: slabs.buffer } });
    this.#worker.on('message', (m: HashAnswer) => this.#hashes.get(m.id)?.answer(m));
    this.#worker.on('error', (e) => this.#fail(e));
    this.#worker.on('exit', (code) =>
      this.#fail(new Error(`the hashing thread stopped (exit code ${code})`)),
    );
  }

  #fail(e: Error): void {
    this.#failure ??= e;
    for (const hash of this.#hashes.values()) hash.fail(e);
  }

  /** For HashThread: a channel to the thread for one running hash. */
  attach(hash: HashThread): {
    post: (message: object, transfer?: ArrayBuffer[]) => void;
    detach: () => void;
  } {
    const id = this.#next;
    this.#next += 1;
    this.#hashes.set(id, hash);
    if (this.#failure !== undefined) hash.fail(this.#failure);
    return {
      post: (message, transfer) => this.#worker.postMessage({ ...message, id }, transfer ?? []),
      detach: () => this.#hashes.delete(id),
    };
  }

  async close(): Promise<void> {
    this.#worker.removeAllListeners('exit');
    await this.#worker.terminate();
  }
}

/**
 * One running sha256 on a hashing thread: its own, or a HashWorker shared with other
 * hashes. digest() returns it and starts afresh.
 */
export class HashThread {
  readonly #slabs: SharedSlabs;
  /** The thread this hash started, if it was given none to share. */
  readonly #own: HashWorker | undefined;
  readonly #channel: ReturnType<HashWorker['attach']>;
  /** Slabs handed to the thread and not yet acknowledged, in order. */
  readonly #held: number[] = [];
  readonly #digests: { resolve: (hex: string) => void; reject: (e: Error) => void }[] = [];
  #failure: Error | undefined;

  constructor(slabs: SharedSlabs, on?: HashWorker) {
    this.#slabs = slabs;
    this.#own = on === undefined ? new HashWorker(slabs) : undefined;
    this.#channel = (on ?? this.#own!).attach(this);
  }

  /** For HashWorker: the thread's answer to this hash. */
  answer(m: HashAnswer): void {
    if (m.digest !== undefined) {
      this.#digests.shift()?.resolve(m.digest);
      return;
    }
    if (m.slab !== undefined && this.#held.shift() !== undefined) this.#slabs.release(m.slab);
  }

  /** For HashWorker: the thread failed. */
  fail(e: Error): void {
    this.#failure ??= e;
    // Give back what the thread held, so the reader never waits for a dead thread.
    for (const slab of this.#held.splice(0)) this.#slabs.release(slab);
    for (const d of this.#digests.splice(0)) d.reject(e);
  }

  /** Hashes bytes outside the slabs (headers, padding, small files); they are copied. */
  update(bytes: Uint8Array): void {
    if (this.#failure !== undefined) throw this.#failure;
    const copy = new Uint8Array(bytes);
    this.#channel.post({ bytes: copy }, [copy.buffer]);
  }

  /** Hashes `length` bytes of `slab` from `start`, holding the slab until done. */
  updateSlab(slab: number, length: number, start = 0): void {
    if (this.#failure !== undefined) throw this.#failure;
    this.#slabs.retain(slab);
    this.#held.push(slab);
    this.#channel.post({ slab, offset: slab * SLAB_SIZE + start, length });
  }

  digest(): Promise<string> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#digests.push({ resolve, reject });
      this.#channel.post({ digest: true });
    });
  }

  /** Stops the thread if it is this hash's own; a shared one is closed by its owner. */
  async close(): Promise<void> {
    this.#channel.detach();
    await this.#own?.close();
  }
}
