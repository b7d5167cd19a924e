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
//
// A job also takes the writing of the file (writesFile): the worker writes each buffer at its
// place before handing it back, so the main thread keeps no body chunk once it is copied and
// does no file I/O for the zip. A write error comes back as Node's (errno, syscall, the path).
// When its worker is lost, bytes sent to it may not have reached the file: write() and
// flushed() then throw, the client ends the attempt, and the next attempt continues from what
// the file holds (a prefix of the body: the worker writes in order, each byte at its place)
// with the client writing it; the digest is given up, so the client hashes the file.
//
// The same threads also read zips already on disk (h1(): verify), one digestZip per file,
// so a directory of zips is read on every core; the caller keeps at most `threads` of them
// under way.

import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AirgapError } from '../../core/errors.js';
import type { DownloadTap } from '../../core/ports.js';
import type { ZipStreamOutcome } from '../archive/zip-stream.js';
import type { FileFailure, ToMain, ToWorker, WireError } from './zip-hash-messages.js';

const BUFFER_SIZE = 256 * 1024;
const MAX_IN_FLIGHT = 4;
/** Buffers kept for reuse beyond that are left to the garbage collector. */
const MAX_FREE = 32;

interface Slot {
  worker: Worker;
  jobs: number;
}

/** An h1() under way. */
interface FileJob {
  slot: Slot;
  path: string;
  resolve: (h1: string) => void;
  reject: (e: unknown) => void;
}

export interface ZipHashPoolOptions {
  /** Worker threads; default one per core. */
  size?: number;
}

export class ZipHashPool {
  private readonly slots: Slot[] = [];
  private readonly owners = new Map<number, ZipHashJob>();
  private readonly files = new Map<number, FileJob>();
  private readonly free: ArrayBuffer[] = [];
  private nextId = 1;
  private readonly size: number;
  private closed = false;

  constructor(options: ZipHashPoolOptions = {}) {
    this.size = Math.max(1, options.size ?? availableParallelism());
  }

  /** Jobs started and not yet finished or aborted. */
  get active(): number {
    return this.owners.size + this.files.size;
  }

  /** The number of worker threads it runs (at most). */
  get threads(): number {
    return this.size;
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

  /**
   * The h1 of the zip file at `path`, read on a worker thread by digestZip
   * (archive/zip-read.ts): the value it gives on this thread, or the AirgapError it throws
   * (the same code, message, details but `cause`, and remedy). Another error comes back as an
   * Error with its message; a worker lost on the way rejects with an Error naming the file.
   * A worker is started for it if fewer than `threads` run.
   */
  h1(path: string): Promise<string> {
    if (this.closed) return Promise.reject(new Error('ZipHashPool is closed'));
    const slot = this.pickSlot();
    const id = this.nextId++;
    slot.jobs += 1;
    return new Promise<string>((resolve, reject) => {
      this.files.set(id, { slot, path, resolve, reject });
      this.send(slot, { t: 'digest', job: id, path });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const workers = this.slots.splice(0).map((s) => s.worker);
    await Promise.all(workers.map((w) => w.terminate()));
    for (const job of [...this.owners.values()]) job.lost('the pool was closed');
    for (const id of [...this.files.keys()]) this.fileLost(id, 'the pool was closed');
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
    if (m.t === 'wfail') return this.owners.get(m.job)?.writeFailed(m.job, m.error);
    if (m.t === 'closed') return this.owners.get(m.job)?.closed(m.job);
    if (m.t === 'digested' || m.t === 'digest-failed') return this.fileSettled(m);
    this.owners.get(m.job)?.settled(m);
  }

  private fileSettled(m: Extract<ToMain, { t: 'digested' | 'digest-failed' }>): void {
    const job = this.files.get(m.job);
    if (job === undefined) return;
    this.files.delete(m.job);
    job.slot.jobs -= 1;
    if (m.t === 'digested') job.resolve(m.h1);
    else job.reject(revive(m.error));
  }

  private fileLost(id: number, why: string): void {
    const job = this.files.get(id);
    if (job === undefined) return;
    this.files.delete(id);
    job.slot.jobs -= 1;
    job.reject(new Error(`the thread reading ${job.path} was lost (${why})`));
  }

  private onWorkerGone(slot: Slot, why: string): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    for (const job of [...this.owners.values()]) if (job.onSlot(slot)) job.lost(why);
    for (const [id, job] of [...this.files]) if (job.slot === slot) this.fileLost(id, why);
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
  /** The file the worker writes this attempt's bytes to, when the job took it. */
  private file: string | undefined;
  /** Why the file takes no more bytes: the worker's write error, or its loss. */
  private writeError: Error | undefined;
  /** flushed() waiting for the worker's 'closed'. */
  private closing: { resolve: () => void; reject: (e: unknown) => void } | undefined;

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

  writesFile(path: string, offset: number): boolean {
    // A digest given up (or lost) no longer follows the file: the client writes it.
    if (this.gaveUp !== undefined || this.writeError !== undefined || offset !== this.seen) return false;
    this.file = path;
    this.pool.send(this.slot!, { t: 'file', job: this.id, path, offset });
    return true;
  }

  async flushed(): Promise<void> {
    if (this.file === undefined) return;
    try {
      if (this.writeError === undefined) {
        this.flush();
        const closed = new Promise<void>((resolve, reject) => (this.closing = { resolve, reject }));
        this.pool.send(this.slot!, { t: 'close', job: this.id });
        await closed;
      }
      if (this.writeError !== undefined) throw this.writeError;
    } finally {
      // The attempt is over; a later one writes the file only if offered it again.
      this.file = undefined;
    }
  }

  write(chunk: Uint8Array): void | Promise<void> {
    if (this.file !== undefined && this.writeError !== undefined) throw this.writeError;
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
    this.settle.reject(revive(m.error));
  }

  /** @internal The worker could not open, write or close the file: it writes no more. */
  writeFailed(id: number, failure: FileFailure): void {
    if (id !== this.id) return;
    this.writeError ??= fileError(failure);
    this.waiters.splice(0).forEach((w) => w());
  }

  /** @internal */
  closed(id: number): void {
    if (id !== this.id) return;
    this.closing?.resolve();
    this.closing = undefined;
  }

  /** @internal */
  onSlot(slot: Slot): boolean {
    return this.slot === slot;
  }

  /** @internal The worker is gone: the caller reads the file instead. */
  lost(why: string): void {
    this.pool.release(this.id, this.slot!);
    this.gaveUp ??= why;
    // Bytes sent to the worker may not have reached the file: this attempt cannot finish it.
    if (this.file !== undefined)
      this.writeError ??= new Error(`the thread writing ${this.file} was lost (${why})`);
    this.closing?.reject(this.writeError);
    this.closing = undefined;
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
    this.file = undefined;
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
    // Released, the job hears no 'closed': a flushed() still waiting must not wait forever.
    this.closing?.reject(new Error('the digest was dropped before its file was closed'));
    this.closing = undefined;
  }
}

/** A worker's error as this thread throws it: an AirgapError again, or an Error. */
function revive(e: WireError): Error {
  return e.code === undefined
    ? new Error(e.message)
    : new AirgapError(e.code, e.message, e.details ?? {}, e.remedy);
}

/** A write error as Node throws it: the client's file-system error path knows it by syscall and path. */
function fileError(failure: FileFailure): Error {
  const e: NodeJS.ErrnoException = new Error(failure.message);
  if (failure.code !== undefined) e.code = failure.code;
  if (failure.errno !== undefined) e.errno = failure.errno;
  if (failure.syscall !== undefined) e.syscall = failure.syscall;
  if (failure.path !== undefined) e.path = failure.path;
  return e;
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
