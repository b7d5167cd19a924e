// The worker side of ZipHashPool (zip-hash-pool.ts): one ZipStreamDigester per job, fed
// the buffers the main thread transfers, each handed back once digested; and the sha256 of
// the job's bytes as they are (the zip's own checksum), whatever the digester makes of them.

import { createHash, type Hash } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort } from 'node:worker_threads';
import { isAirgapError } from '../../core/errors.js';
import { inflaterKind } from '../archive/inflater.js';
import { ZipStreamDigester } from '../archive/zip-stream.js';
import type { ToMain, ToWorker } from './zip-hash-messages.js';

const port = parentPort;
if (port === null) throw new Error('zip-hash-worker runs as a worker thread');

interface Job {
  digester: ZipStreamDigester;
  /** Every byte given, in order: messages arrive in the order they were sent. */
  sha256: Hash;
  /** Each message's work runs after the one before it. */
  chain: Promise<void>;
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

port.on('message', (m: ToWorker) => {
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
  if (m.t === 'abort') {
    job.digester.destroy();
    jobs.delete(m.job);
    return;
  }
  job.chain = job.chain.then(async () => {
    jobs.delete(m.job);
    const sha256 = job.sha256.digest('hex');
    try {
      post({ t: 'done', job: m.job, outcome: await job.digester.end(), sha256 });
    } catch (e) {
      post({
        t: 'fail',
        job: m.job,
        sha256,
        error: isAirgapError(e)
          ? {
              code: e.code,
              message: e.message,
              details: { ...e.details, cause: undefined },
              remedy: e.remedy,
            }
          : { message: String(e) },
      });
    }
  });
});
