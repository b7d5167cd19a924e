// The worker side of ZipHashPool (zip-hash-pool.ts): one ZipStreamDigester per job, fed
// the buffers the main thread transfers, each handed back once digested.

import { parentPort } from 'node:worker_threads';
import { isAirgapError } from '../../core/errors.js';
import { ZipStreamDigester } from '../archive/zip-stream.js';
import type { ToMain, ToWorker } from './zip-hash-messages.js';

const port = parentPort;
if (port === null) throw new Error('zip-hash-worker runs as a worker thread');

interface Job {
  digester: ZipStreamDigester;
  /** Each message's work runs after the one before it. */
  chain: Promise<void>;
}

const jobs = new Map<number, Job>();

function post(message: ToMain, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

port.on('message', (m: ToWorker) => {
  if (m.t === 'open') {
    jobs.set(m.job, { digester: new ZipStreamDigester(m.label), chain: Promise.resolve() });
    return;
  }
  const job = jobs.get(m.job);
  if (m.t === 'data') {
    const buf = m.buf;
    if (job === undefined) return post({ t: 'ack', job: m.job, buf }, [buf]);
    job.chain = job.chain
      .then(() => job.digester.write(new Uint8Array(buf, 0, m.length)))
      .catch((e: unknown) => job.digester.giveUp(`the stream digest failed (${String(e)})`))
      .then(() => post({ t: 'ack', job: m.job, buf }, [buf]));
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
    try {
      post({ t: 'done', job: m.job, outcome: await job.digester.end() });
    } catch (e) {
      post({
        t: 'fail',
        job: m.job,
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
