// Digesting provider zips off the main thread while they download: a few worker threads
// (one per core by default), each running ZipStreamDigesters (archive/zip-stream.ts). The
// main thread only copies the body's bytes into pooled buffers and transfers them; a
// worker parses, inflates and hashes (all on its own thread: archive/inflater.ts), then
// hands each buffer back. A job holds at most
// MAX_IN_FLIGHT buffers, so memory stays flat whatever the number and size of packages.
//
// A job is a DownloadTap: the HTTP client tells it where each attempt starts writing, so a
// resumed download continues the same digest and a restart from zero starts a new one. The
// worker also hashes the bytes as they are, so the zip's sha256 costs the main thread nothing;
// when the job could not see every byte from the first (it gave up, its worker was lost),
// it has no sha256 to give and the client hashes the file instead.

import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AirgapError } from '../../core/errors.js';
import type { DownloadTap } from '../../core/ports.js';
import type { ZipStreamOutcome } from '../archive/zip-stream.js';
import type { ToMain, ToWorker } from './zip-hash-messages.js';

const BUFFER_SIZE = 256 * 1024;
const MAX_IN_FLIGHT = 4;
/** Buffers kept for reuse beyond that are left to the garbage collector. */
const MAX_FREE = 32;

interface Slot {
  worker: Worker;
  jobs: number;
}

export interface ZipHashPoolOptions {
  /** Worker threads; default one per core. */
  size?: number;
}

export class ZipHashPool {
  private readonly slots: Slot[] = [];
  private readonly owners = new Map<number, ZipHashJob>();
  private readonly free: ArrayBuffer[] = [];
  private nextId = 1;
  private readonly size: number;
  private closed = false;

  constructor(options: ZipHashPoolOptions = {}) {
    this.size = Math.max(1, options.size ?? availableParallelism());
  }

  /** Jobs started and not yet finished or aborted. */
  get active(): number {
    return this.owners.size;
  }

  /**
   * Starts every worker now, so their start-up (a few tens of ms of module loading each)
   * runs while the registry round trips of the first packages are still under way, not
   * while the first bytes wait for a worker to take them.
   */
  warm(): void {
    if (this.closed) return;
    while (this.slots.length < this.size) this.spawnSlot();
  }

  /** A digest for one zip download; `label` names the package in errors. */
  start(label: string): ZipHashJob {
    if (this.closed) throw new Error('ZipHashPool is closed');
    return new ZipHashJob(this, label);
  }

  async close(): Promise<void> {
    this.closed = true;
    const workers = this.slots.splice(0).map((s) => s.worker);
    await Promise.all(workers.map((w) => w.terminate()));
    for (const job of [...this.owners.values()]) job.lost('the pool was closed');
  }

  /** @internal */
  open(job: ZipHashJob, label: string): { id: number; slot: Slot } {
    const slot = this.pickSlot();
    const id = this.nextId++;
    slot.jobs += 1;
    this.owners.set(id, job);
    this.send(slot, { t: 'open', job: id, label });
    return { id, slot };
  }

  /** @internal */
  release(id: number, slot: Slot): void {
    if (this.owners.delete(id)) slot.jobs -= 1;
  }

  /** @internal */
  send(slot: Slot, message: ToWorker, transfer: ArrayBuffer[] = []): void {
    slot.worker.postMessage(message, transfer);
  }

  /** @internal */
  takeBuffer(): ArrayBuffer {
    return this.free.pop() ?? new ArrayBuffer(BUFFER_SIZE);
  }

  private giveBack(buf: ArrayBuffer): void {
    if (this.free.length < MAX_FREE && buf.byteLength === BUFFER_SIZE) this.free.push(buf);
  }

  private pickSlot(): Slot {
    if (this.slots.length < this.size) return this.spawnSlot();
    return this.slots.reduce((a, b) => (b.jobs < a.jobs ? b : a));
  }

  private spawnSlot(): Slot {
    const slot: Slot = { worker: spawnWorker(), jobs: 0 };
    slot.worker.on('message', (m: ToMain) => this.onMessage(m));
    slot.worker.on('error', (e) => this.onWorkerGone(slot, `a zip-hash worker failed (${e.message})`));
    slot.worker.on('exit', () => this.onWorkerGone(slot, 'a zip-hash worker exited'));
    this.slots.push(slot);
    return slot;
  }

  private onMessage(m: ToMain): void {
    if (m.t === 'ack') {
      this.giveBack(m.buf);
      this.owners.get(m.job)?.acked(m.job);
      return;
    }
    this.owners.get(m.job)?.settled(m);
  }

  private onWorkerGone(slot: Slot, why: string): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    for (const job of [...this.owners.values()]) if (job.onSlot(slot)) job.lost(why);
  }
}

/** One zip download's digest. Hand it to HttpClient.download as the tap, then call result(). */
export class ZipHashJob implements DownloadTap {
  private id = 0;
  private slot: Slot | undefined;
  private buf: ArrayBuffer | undefined;
  private fill = 0;
  /** Bytes taken since the digest (re)started. */
  private seen = 0;
  private inFlight = 0;
  private waiters: (() => void)[] = [];
  private gaveUp: string | undefined;
  private outcome!: Promise<ZipStreamOutcome>;
  private settle!: { resolve: (o: ZipStreamOutcome) => void; reject: (e: unknown) => void };
  /** The outcome once 'end' was sent. */
  private ending: Promise<ZipStreamOutcome> | undefined;
  /** The worker's sha256 of the job's bytes, once it answered. */
  private digestSha256: string | undefined;
  private finished = false;

  constructor(
    private readonly pool: ZipHashPool,
    private readonly label: string,
  ) {
    this.openJob();
  }

  begin(offset: number): void {
    if (offset === this.seen || this.gaveUp !== undefined) return;
    if (offset === 0) {
      // The server sent the whole file again: a fresh digest.
      this.closeJob({ t: 'abort', job: this.id });
      this.openJob();
      return;
    }
    this.giveUp(`the download resumed at byte ${offset}, the digest stands at byte ${this.seen}`);
  }

  write(chunk: Uint8Array): void | Promise<void> {
    if (this.gaveUp !== undefined) return;
    this.seen += chunk.length;
    let off = 0;
    while (off < chunk.length) {
      this.buf ??= this.pool.takeBuffer();
      const n = Math.min(this.buf.byteLength - this.fill, chunk.length - off);
      new Uint8Array(this.buf, this.fill, n).set(chunk.subarray(off, off + n));
      this.fill += n;
      off += n;
      if (this.fill === this.buf.byteLength) this.flush();
    }
    if (this.inFlight < MAX_IN_FLIGHT) return;
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /**
   * The sha256 of every byte written since byte 0, computed by the worker; undefined when
   * this digest did not see them all (it gave up, or its worker was lost). Call it after the
   * last write: it ends the job (result() then gives the same job's outcome).
   */
  async sha256(): Promise<string | undefined> {
    if (this.gaveUp !== undefined) return undefined;
    await this.end().catch(() => undefined);
    return this.gaveUp === undefined ? this.digestSha256 : undefined;
  }

  /** The digest of everything written; a fallback outcome when the stream could not give one. */
  async result(): Promise<ZipStreamOutcome> {
    if (this.gaveUp !== undefined) return { confirmed: false, reason: this.gaveUp };
    try {
      return await this.end();
    } finally {
      this.finished = true;
    }
  }

  /** Drops the digest (a failed download): the worker forgets it. */
  abort(): void {
    if (this.finished) return;
    this.finished = true;
    this.giveUp('aborted');
  }

  /** @internal */
  acked(id: number): void {
    if (id !== this.id) return;
    this.inFlight -= 1;
    this.waiters.splice(0).forEach((w) => w());
  }

  /** @internal */
  settled(m: Extract<ToMain, { t: 'done' | 'fail' }>): void {
    this.pool.release(this.id, this.slot!);
    this.digestSha256 = m.sha256;
    if (m.t === 'done') return this.settle.resolve(m.outcome);
    const e = m.error;
    this.settle.reject(
      e.code === undefined
        ? new Error(e.message)
        : new AirgapError(e.code, e.message, e.details ?? {}, e.remedy),
    );
  }

  /** @internal */
  onSlot(slot: Slot): boolean {
    return this.slot === slot;
  }

  /** @internal The worker is gone: the caller reads the file instead. */
  lost(why: string): void {
    this.pool.release(this.id, this.slot!);
    this.gaveUp ??= why;
    this.settle.resolve({ confirmed: false, reason: why });
    this.waiters.splice(0).forEach((w) => w());
  }

  private openJob(): void {
    const { id, slot } = this.pool.open(this, this.label);
    this.id = id;
    this.slot = slot;
    this.seen = 0;
    this.fill = 0;
    this.inFlight = 0;
    this.ending = undefined;
    this.digestSha256 = undefined;
    this.outcome = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    // Nobody may await a restarted or abandoned digest: keep its rejection quiet.
    this.outcome.catch(() => undefined);
  }

  private end(): Promise<ZipStreamOutcome> {
    if (this.ending === undefined) {
      this.flush();
      this.pool.send(this.slot!, { t: 'end', job: this.id });
      this.ending = this.outcome;
    }
    return this.ending;
  }

  private flush(): void {
    if (this.buf === undefined || this.fill === 0) return;
    const buf = this.buf;
    this.pool.send(this.slot!, { t: 'data', job: this.id, buf, length: this.fill }, [buf]);
    this.buf = undefined;
    this.fill = 0;
    this.inFlight += 1;
  }

  private giveUp(reason: string): void {
    this.gaveUp ??= reason;
    this.closeJob({ t: 'abort', job: this.id });
    this.settle.resolve({ confirmed: false, reason });
    this.waiters.splice(0).forEach((w) => w());
  }

  private closeJob(message: ToWorker): void {
    this.pool.send(this.slot!, message);
    this.pool.release(this.id, this.slot!);
    this.waiters.splice(0).forEach((w) => w());
  }
}

/** The worker's file: compiled beside this one (dist/), or the TypeScript source run through tsx. */
function spawnWorker(): Worker {
  const js = new URL('./zip-hash-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return new Worker(js);
  // Sources run by vitest or tsx: the worker registers tsx's loader before importing the .ts file.
  const ts = new URL('./zip-hash-worker.ts', import.meta.url).href;
  return new Worker(
    `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(ts)}); });`,
    { eval: true },
  );
}
