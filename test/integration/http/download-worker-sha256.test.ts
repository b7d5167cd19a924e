// A download tapped by a ZipHashPool job: the zip's sha256 comes from the digest worker,
// over exactly the bytes written, through a restart from zero and a resume at the byte the
// digest stands at; when the digest cannot vouch for every byte (a resume at another
// offset, its worker lost), the client hashes the file instead. Either way the sha256 is
// the file's, byte for byte.
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { ZipHashPool, type ZipHashJob } from '../../../src/adapters/workers/zip-hash-pool.js';
import type { DownloadTap } from '../../../src/core/ports.js';
import { makeTempDir } from '../../helpers/tmp.js';
import { CUT, useTapFixture } from './tap-fixture.js';

const fx = useTapFixture('tap', 'airgap-tap-sha-');

/** The job as the tap, remembering what its sha256() answered; `drop` bytes of the first attempt are kept from it. */
function recorded(job: ZipHashJob, drop = 0): { tap: DownloadTap; answers: (string | undefined)[] } {
  const answers: (string | undefined)[] = [];
  let dropping = drop;
  return {
    answers,
    tap: {
      begin: (offset) => job.begin(offset),
      write: (chunk) => {
        if (dropping > 0) {
          const n = Math.min(dropping, chunk.length);
          dropping -= n;
          if (n === chunk.length) return;
          return job.write(chunk.subarray(n));
        }
        return job.write(chunk);
      },
      sha256: async () => {
        const s = await job.sha256();
        answers.push(s);
        return s;
      },
    },
  };
}

describe('download: the zip sha256 from the digest worker', () => {
  it('gives the file sha256 and a confirmed digest, hashed once on the worker', async () => {
    const s = await fx.server((_req, res) => {
      res.writeHead(200, { 'content-length': String(fx.zip.length) });
      res.end(fx.zip);
    });
    const dest = path.join(await makeTempDir('airgap-tap-'), 'pkg.zip');
    const job = fx.pool.start('tap 1.0.0 (linux_amd64)');
    const { tap, answers } = recorded(job);
    const result = await fx.client().download(`${s.origin}/pkg.zip`, dest, { tap });
    expect(result).toEqual({ sha256: fx.zipSha256, size: fx.zip.length });
    expect(answers).toEqual([fx.zipSha256]);
    const outcome = await job.result();
    expect(outcome.confirmed && outcome.digest.h1).toBe(fx.zipH1);
    expect(fx.pool.active).toBe(0);
  });

  it('starts a fresh sha256 when the download restarts from zero', async () => {
    const s = await fx.server((req, res, i) => {
      res.writeHead(200, { 'content-length': String(fx.zip.length) });
      if (i > 0) return void res.end(fx.zip);
      res.write(fx.zip.subarray(0, CUT));
      setTimeout(() => s.reset(req), 50);
    });
    const dest = path.join(await makeTempDir('airgap-tap-'), 'pkg.zip');
    const job = fx.pool.start('tap 1.0.0 (linux_amd64)');
    const { tap, answers } = recorded(job);
    const result = await fx.client().download(`${s.origin}/pkg.zip`, dest, { tap });
    expect(s.requests.map((r) => r.headers.range)).toEqual([undefined, undefined]);
    expect(result).toEqual({ sha256: fx.zipSha256, size: fx.zip.length });
    expect(answers).toEqual([fx.zipSha256]);
    const outcome = await job.result();
    expect(outcome.confirmed && outcome.digest.h1).toBe(fx.zipH1);
    expect(fx.pool.active).toBe(0);
  });

  it('continues the same sha256 when the download resumes at the byte the digest stands at', async () => {
    let consumed = 0;
    const s = await fx.resumingServer(() => consumed);
    const dest = path.join(await makeTempDir('airgap-tap-'), 'pkg.zip');
    const job = fx.pool.start('tap 1.0.0 (linux_amd64)');
    const { tap, answers } = recorded(job);
    const result = await fx.client().download(`${s.origin}/pkg.zip`, dest, {
      tap,
      onProgress: (n) => (consumed += n),
    });
    expect(s.requests.map((r) => r.headers.range)).toEqual([undefined, `bytes=${CUT}-`]);
    expect(result).toEqual({ sha256: fx.zipSha256, size: fx.zip.length });
    expect(answers).toEqual([fx.zipSha256]);
    const outcome = await job.result();
    expect(outcome.confirmed && outcome.digest.h1).toBe(fx.zipH1);
    expect(fx.pool.active).toBe(0);
  });

  it('hashes the file when the download resumes at a byte the digest did not reach', async () => {
    let consumed = 0;
    const s = await fx.resumingServer(() => consumed);
    const dest = path.join(await makeTempDir('airgap-tap-'), 'pkg.zip');
    const job = fx.pool.start('tap 1.0.0 (linux_amd64)');
    // The digest misses the first 1000 bytes: it stands at CUT - 1000 when the file resumes at CUT.
    const { tap, answers } = recorded(job, 1000);
    const result = await fx.client().download(`${s.origin}/pkg.zip`, dest, {
      tap,
      onProgress: (n) => (consumed += n),
    });
    expect(s.requests.map((r) => r.headers.range)).toEqual([undefined, `bytes=${CUT}-`]);
    expect(result).toEqual({ sha256: fx.zipSha256, size: fx.zip.length });
    expect(answers).toEqual([undefined]);
    expect(await job.result()).toEqual({
      confirmed: false,
      reason: `the download resumed at byte ${CUT}, the digest stands at byte ${CUT - 1000}`,
    });
    expect(fx.pool.active).toBe(0);
  });

  it('hashes the file when the digest worker is lost mid-download', async () => {
    const own = new ZipHashPool({ size: 1 });
    fx.cleanups.push(() => own.close());
    let consumed = 0;
    let lost: Promise<void> | undefined;
    const s = await fx.server((_req, res) => {
      res.writeHead(200, { 'content-length': String(fx.zip.length) });
      res.write(fx.zip.subarray(0, CUT));
      // The rest once the worker is gone.
      const rest = (): void => {
        if (lost === undefined) return void setTimeout(rest, 5);
        void lost.then(() => res.end(fx.zip.subarray(CUT)));
      };
      rest();
    });
    const dest = path.join(await makeTempDir('airgap-tap-'), 'pkg.zip');
    const job = own.start('tap 1.0.0 (linux_amd64)');
    const { tap, answers } = recorded(job);
    const worker = (own as unknown as { slots: { worker: Worker }[] }).slots[0]!.worker;
    const result = await fx.client(0).download(`${s.origin}/pkg.zip`, dest, {
      tap,
      onProgress: (n) => {
        consumed += n;
        if (consumed >= CUT && lost === undefined) lost = worker.terminate().then(() => undefined);
      },
    });
    expect(s.requests.length).toBe(1);
    expect(result).toEqual({ sha256: fx.zipSha256, size: fx.zip.length });
    expect(answers).toEqual([undefined]);
    expect(await job.result()).toEqual({ confirmed: false, reason: 'a zip-hash worker exited' });
    expect(own.active).toBe(0);
  });
});
