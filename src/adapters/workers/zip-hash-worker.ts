// The worker side of ZipHashPool (zip-hash-pool.ts): one ZipStreamDigester per job, fed
// the buffers the main thread transfers, each handed back once digested; the sha256 of
// the job's bytes as they are (the zip's own checksum), whatever the digester makes of them;
// and, when the job was given a file, each buffer written there at its place before it goes
// back, so the pool's backpressure holds the download to the disk's pace too.
// A 'digest' job is a zip file already on disk, read whole by digestZip (archive/zip-read.ts)
// exactly as the main thread would read it: its h1, or its error.

import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort } from 'node:worker_threads';
import { isAirgapError } from '../../core/errors.js';
import { inflaterKind } from '../archive/inflater.js';
import { digestZip } from '../archive/zip-read.js';
import { ZipStreamDigester } from '../archive/zip-stream.js';
import type { FileFailure, ToMain, ToWorker, WireError } from './zip-hash-messages.js';

const port = parentPort;
if (port === null) throw new Error('zip-hash-worker runs as a worker thread');

// A worker thread's start sets V8's flags back for the whole process, bin/run.js's young
// generation growth factor among them (see there): set it again, for this thread and the main.
setFlagsFromString('--semi-space-growth-factor=1');

interface Job {
  digester: ZipStreamDigester;
  /** Every byte given, in order: messages arrive in the order they were sent. */
  sha256: Hash;
  /** Each message's work runs after the one before it. */
  chain: Promise<void>;
  /** Where the job's bytes are written, when it was given a file. */
  out?: Output;
}

interface Output {
  path: string;
  /** Undefined once a write failed: the job writes nothing more. */
  fd: number | undefined;
  /** Where the next byte goes. */
  pos: number;
}

const jobs = new Map<number, Job>();

// Node's documented inflate path (archive/inflater.ts, used only where the fast one is
// missing) allocates a fresh output buffer per chunk. V8 frees them only when it collects,
// and it counts such outside-the-heap memory loosely (tens of MB per thread before a
// collection): there, a young-generation collection every few MB keeps each worker's memory
// flat. The fast path reuses one buffer and leaves nothing to collect.
const collect = inflaterKind() === 'stream' ? exposedGc() : undefined;

function exposedGc(): ((options?: { type: 'minor' | 'major' }) => void) | undefined {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as ((options?: { type: 'minor' | 'major' }) => void) | undefined;
}
const COLLECT_EVERY = 1024 * 1024;
let sinceCollect = 0;

function collected(bytes: number): void {
  sinceCollect += bytes;
  if (sinceCollect < COLLECT_EVERY || collect === undefined) return;
  sinceCollect = 0;
  collect({ type: 'minor' });
}

function post(message: ToMain, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

/**
 * Written synchronously, as each buffer arrives: messages come in order, so a 'close' or
 * 'end' finds every byte before it on disk, and the buffer goes back only once written.
 */
function writeOut(id: number, out: Output, bytes: Uint8Array): void {
  if (out.fd === undefined) return;
  let done = 0;
  try {
    while (done < bytes.length) done += writeSync(out.fd, bytes, done, bytes.length - done, out.pos + done);
    out.pos += done;
  } catch (e) {
    failOut(id, out, e);
  }
}

/** Reports the failure (once) and stops writing. */
function failOut(id: number, out: Output, e: unknown): void {
  const fd = out.fd;
  out.fd = undefined;
  if (fd !== undefined) {
    try {
      closeSync(fd);
    } catch {
      // The write's error is the one to report.
    }
  }
  post({ t: 'wfail', job: id, error: fileFailure(e, out.path) });
}

/** Closes the job's file; a failing close is reported as a failed write would be. */
function closeOut(id: number, job: Job, report: boolean): void {
  const out = job.out;
  job.out = undefined;
  if (out?.fd === undefined) return;
  const fd = out.fd;
  out.fd = undefined;
  try {
    closeSync(fd);
  } catch (e) {
    if (report) post({ t: 'wfail', job: id, error: fileFailure(e, out.path) });
  }
}

function fileFailure(e: unknown, path: string): FileFailure {
  const err = e as NodeJS.ErrnoException;
  return {
    message: err instanceof Error ? err.message : String(e),
    code: err?.code,
    errno: err?.errno,
    syscall: err?.syscall,
    // A write or close by descriptor names no file: the job's is the one.
    path: err?.path ?? path,
  };
}

/**
 * What of an error crosses to the main thread: an AirgapError but its cause (which may not
 * clone); of another, `text` (rebuilt there as an Error).
 */
function wireError(e: unknown, text: (e: unknown) => string = String): WireError {
  if (!isAirgapError(e)) return { message: text(e) };
  return { code: e.code, message: e.message, details: { ...e.details, cause: undefined }, remedy: e.remedy };
}

async function digestFile(id: number, path: string): Promise<void> {
  try {
    post({ t: 'digested', job: id, h1: (await digestZip(path)).h1 });
  } catch (e) {
    post({
      t: 'digest-failed',
      job: id,
      error: wireError(e, (x) => (x instanceof Error ? x.message : String(x))),
    });
  }
}

port.on('message', (m: ToWorker) => {
  if (m.t === 'digest') {
    void digestFile(m.job, m.path);
    return;
  }
  if (m.t === 'open') {
    jobs.set(m.job, {
      digester: new ZipStreamDigester(m.label),
      sha256: createHash('sha256'),
      chain: Promise.resolve(),
    });
    return;
  }
  const job = jobs.get(m.job);
  if (m.t === 'data') {
    const buf = m.buf;
    if (job === undefined) return post({ t: 'ack', job: m.job, buf }, [buf]);
    if (job.out !== undefined) writeOut(m.job, job.out, new Uint8Array(buf, 0, m.length));
    job.sha256.update(new Uint8Array(buf, 0, m.length));
    job.chain = job.chain
      .then(() => job.digester.write(new Uint8Array(buf, 0, m.length)))
      .catch((e: unknown) => job.digester.giveUp(`the stream digest failed (${String(e)})`))
      .then(() => {
        post({ t: 'ack', job: m.job, buf }, [buf]);
        collected(m.length);
      });
    return;
  }
  if (job === undefined) return;
  if (m.t === 'file') {
    closeOut(m.job, job, false);
    const out: Output = { path: m.path, fd: undefined, pos: m.offset };
    job.out = out;
    try {
      out.fd = openSync(m.path, m.offset === 0 ? 'w' : 'r+');
    } catch (e) {
      failOut(m.job, out, e);
    }
    return;
  }
  if (m.t === 'close') {
    closeOut(m.job, job, true);
    post({ t: 'closed', job: m.job });
    return;
  }
  if (m.t === 'abort') {
    closeOut(m.job, job, false);
    job.digester.destroy();
    jobs.delete(m.job);
    return;
  }
  closeOut(m.job, job, true);
  job.chain = job.chain.then(async () => {
    jobs.delete(m.job);
    const sha256 = job.sha256.digest('hex');
    try {
      post({ t: 'done', job: m.job, outcome: await job.digester.end(), sha256 });
    } catch (e) {
      post({ t: 'fail', job: m.job, sha256, error: wireError(e) });
    }
  });
});
