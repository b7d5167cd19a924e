// A download whose ZipHashPool job writes the file: the digest worker writes each buffer at
// its place, the client opens no file. A resumed or restarted download gives the exact file
// and sha256; the worker's write errors (a directory in the file's place, a full disk) are
// the client's FS_ERROR naming the file, not retried; a worker lost mid-download ends the
// attempt, and the next one continues from what the file holds, written by the client (or,
// with no retry left, a clear error).
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { ZipHashPool, type ZipHashJob } from '../../../src/adapters/workers/zip-hash-pool.js';
import { isAirgapError } from '../../../src/core/errors.js';
import type { DownloadTap } from '../../../src/core/ports.js';
import { makeTempDir } from '../../helpers/tmp.js';
import { CUT, useTapFixture } from './tap-fixture.js';

const fx = useTapFixture('tap-write', 'airgap-tap-write-');

/** The job as the tap, recording each attempt's offer of the file: [offset, taken]. */
function recorded(job: ZipHashJob): { tap: DownloadTap; offers: [number, boolean][] } {
  const offers: [number, boolean][] = [];
  return {
    offers,
    tap: {
      begin: (offset) => job.begin(offset),
      write: (chunk) => job.write(chunk),
      sha256: () => job.sha256(),
      writesFile: (file, offset) => {
        const taken = job.writesFile(file, offset);
        offers.push([offset, taken]);
        return taken;
      },
      flushed: () => job.flushed(),
    },
  };
}

const sha256Of = async (file: string): Promise<string> =>
  createHash('sha256')
    .update(await fs.readFile(file))
    .digest('hex');

async function dest(): Promise<string> {
  return path.join(await makeTempDir('airgap-tap-write-'), 'pkg.zip');
}

/** The download's failure, for its exact code, message and path. */
async function failure(p: Promise<unknown>): Promise<{ code: string; message: string; path: unknown }> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!isAirgapError(e)) throw new Error(`expected an AirgapError, got ${String(e)}`);
  return { code: e.code, message: e.message, path: e.details.path };
}

describe('download: the digest worker writes the file', () => {
  it('writes the whole file, with the sha256 and digest from the same worker', async () => {
    const s = await fx.server((_req, res) => {
      res.writeHead(200, { 'content-length': String(fx.zip.length) });
      res.end(fx.zip);
    });
    const file = await dest();
    const job = fx.pool.start('tap 1.0.0 (linux_amd64)');
    const { tap, offers } = recorded(job);
    const result = await fx.client().download(`${s.origin}/pkg.zip`, file, { tap });
    expect(offers).toEqual([[0, true]]);
    expect(result).toEqual({ sha256: fx.zipSha256, size: fx.zip.length });
    expect(await sha256Of(file)).toBe(fx.zipSha256);
    const outcome = await job.result();
    expect(outcome.confirmed && outcome.digest.h1).toBe(fx.zipH1);
    expect(fx.pool.active).toBe(0);
  });

  it('resumes a cut download in the same file, from the byte the worker wrote last', async () => {
    let consumed = 0;
    const s = await fx.resumingServer(() => consumed);
    const file = await dest();
    const job = fx.pool.start('tap 1.0.0 (linux_amd64)');
    const { tap, offers } = recorded(job);
    const result = await fx.client().download(`${s.origin}/pkg.zip`, file, {
      tap,
      onProgress: (n) => (consumed += n),
    });
    expect(s.requests.map((r) => r.headers.range)).toEqual([undefined, `bytes=${CUT}-`]);
    expect(offers).toEqual([
      [0, true],
      [CUT, true],
    ]);
    expect(result).toEqual({ sha256: fx.zipSha256, size: fx.zip.length });
    expect(await sha256Of(file)).toBe(fx.zipSha256);
    const outcome = await job.result();
    expect(outcome.confirmed && outcome.digest.h1).toBe(fx.zipH1);
    expect(fx.pool.active).toBe(0);
  });

  it('starts the file over when the download restarts from zero', async () => {
    const s = await fx.server((req, res, i) => {
      res.writeHead(200, { 'content-length': String(fx.zip.length) });
      if (i > 0) return void res.end(fx.zip);
      res.write(fx.zip.subarray(0, CUT));
      setTimeout(() => s.reset(req), 50);
    });
    const file = await dest();
    const job = fx.pool.start('tap 1.0.0 (linux_amd64)');
    const { tap, offers } = recorded(job);
    const result = await fx.client().download(`${s.origin}/pkg.zip`, file, { tap });
    expect(s.requests.map((r) => r.headers.range)).toEqual([undefined, undefined]);
    expect(offers).toEqual([
      [0, true],
      [0, true],
    ]);
    expect(result).toEqual({ sha256: fx.zipSha256, size: fx.zip.length });
    expect(await sha256Of(file)).toBe(fx.zipSha256);
    const outcome = await job.result();
    expect(outcome.confirmed && outcome.digest.h1).toBe(fx.zipH1);
    expect(fx.pool.active).toBe(0);
  });
});

describe('download: the worker cannot write the file', () => {
  it('a directory in the file place: FS_ERROR naming the file, not retried', async () => {
    const s = await fx.server((_req, res) => {
      res.writeHead(200, { 'content-length': String(fx.zip.length) });
      res.end(fx.zip);
    });
    const file = await dest();
    await fs.mkdir(file);
    const job = fx.pool.start('tap 1.0.0 (linux_amd64)');
    const { tap, offers } = recorded(job);
    expect(await failure(fx.client().download(`${s.origin}/pkg.zip`, file, { tap }))).toEqual({
      code: 'FS_ERROR',
      message: `cannot write download to ${file}: EISDIR`,
      path: file,
    });
    expect(offers).toEqual([[0, true]]);
    expect(s.requests.length).toBe(1);
    job.abort();
    expect(fx.pool.active).toBe(0);
  });

  it('a directory in the file place when the download resumes: FS_ERROR naming the file', async () => {
    let consumed = 0;
    const file = await dest();
    // Between the attempts, once the first one's bytes are on disk.
    const s = await fx.resumingServer(
      () => consumed,
      async () => {
        await fs.rm(file);
        await fs.mkdir(file);
      },
    );
    const job = fx.pool.start('tap 1.0.0 (linux_amd64)');
    const { tap, offers } = recorded(job);
    const download = fx.client().download(`${s.origin}/pkg.zip`, file, {
      tap,
      onProgress: (n) => (consumed += n),
    });
    expect(await failure(download)).toEqual({
      code: 'FS_ERROR',
      message: `cannot write download to ${file}: EISDIR`,
      path: file,
    });
    expect(s.requests.map((r) => r.headers.range)).toEqual([undefined, `bytes=${CUT}-`]);
    expect(offers).toEqual([
      [0, true],
      [CUT, true],
    ]);
    job.abort();
    expect(fx.pool.active).toBe(0);
  });

  it('a full disk mid-body (/dev/full behind the file name): FS_ERROR naming the file, not retried', async () => {
    const s = await fx.server((_req, res) => {
      res.writeHead(200, { 'content-length': String(fx.zip.length) });
      res.end(fx.zip);
    });
    const file = await dest();
    await fs.symlink('/dev/full', file);
    const job = fx.pool.start('tap 1.0.0 (linux_amd64)');
    const { tap, offers } = recorded(job);
    expect(await failure(fx.client().download(`${s.origin}/pkg.zip`, file, { tap }))).toEqual({
      code: 'FS_ERROR',
      message: `cannot write download to ${file}: ENOSPC`,
      path: file,
    });
    expect(offers).toEqual([[0, true]]);
    expect(s.requests.length).toBe(1);
    job.abort();
    expect(fx.pool.active).toBe(0);
  });
});

describe('download: the worker writing the file is lost', () => {
  // The zip is 582,944 bytes.
  const HELD = 540_000;
  /** Two whole pooled buffers (256 KiB each) reach the worker before HELD bytes; the rest of them waits in the job. */
  const WRITTEN = 2 * 256 * 1024;

  /**
   * A first answer (200, resumable when `ranges`) that sends HELD bytes and the rest only
   * once the worker is gone; later answers 206 from the asked offset. The worker is
   * terminated once it wrote every buffer it was sent.
   */
  async function losing(own: ZipHashPool, job: ZipHashJob, ranges: boolean) {
    expect(fx.zip.length).toBeGreaterThan(HELD);
    let consumed = 0;
    let lost: Promise<void> | undefined;
    const worker = (own as unknown as { slots: { worker: Worker }[] }).slots[0]!.worker;
    const inFlight = (): number => (job as unknown as { inFlight: number }).inFlight;
    const loseWhenWritten = async (): Promise<void> => {
      while (inFlight() > 0) await new Promise((r) => setTimeout(r, 5));
      await worker.terminate();
    };
    const s = await fx.server((req, res, i) => {
      if (i > 0) {
        const from = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
        res.writeHead(from === 0 ? 200 : 206, {
          'content-length': String(fx.zip.length - from),
          ...(from === 0 ? {} : { 'content-range': `bytes ${from}-${fx.zip.length - 1}/${fx.zip.length}` }),
        });
        return void res.end(fx.zip.subarray(from));
      }
      res.writeHead(200, {
        'content-length': String(fx.zip.length),
        ...(ranges ? { 'accept-ranges': 'bytes', etag: '"v1"' } : {}),
      });
      res.write(fx.zip.subarray(0, HELD));
      const rest = (): void => {
        if (lost === undefined) return void setTimeout(rest, 5);
        void lost.then(() => res.end(fx.zip.subarray(HELD)));
      };
      rest();
    });
    const onProgress = (n: number): void => {
      consumed += n;
      if (consumed >= HELD && lost === undefined) lost = loseWhenWritten();
    };
    return { s, onProgress };
  }

  it('continues the file from what the worker wrote, written by the client, and hashes the file', async () => {
    const own = new ZipHashPool({ size: 1 });
    fx.cleanups.push(() => own.close());
    const job = own.start('tap 1.0.0 (linux_amd64)');
    own.warm();
    const { s, onProgress } = await losing(own, job, true);
    const { tap, offers } = recorded(job);
    const file = await dest();
    const result = await fx.client(1).download(`${s.origin}/pkg.zip`, file, { tap, onProgress });
    expect(s.requests.map((r) => r.headers.range)).toEqual([undefined, `bytes=${WRITTEN}-`]);
    expect(offers).toEqual([
      [0, true],
      [WRITTEN, false],
    ]);
    expect(result).toEqual({ sha256: fx.zipSha256, size: fx.zip.length });
    expect(await sha256Of(file)).toBe(fx.zipSha256);
    expect(await job.result()).toEqual({ confirmed: false, reason: 'a zip-hash worker exited' });
    expect(own.active).toBe(0);
  });

  it('starts the file over, written by the client, when the server does not resume', async () => {
    const own = new ZipHashPool({ size: 1 });
    fx.cleanups.push(() => own.close());
    const job = own.start('tap 1.0.0 (linux_amd64)');
    const { s, onProgress } = await losing(own, job, false);
    const { tap, offers } = recorded(job);
    const file = await dest();
    const result = await fx.client(1).download(`${s.origin}/pkg.zip`, file, { tap, onProgress });
    expect(s.requests.map((r) => r.headers.range)).toEqual([undefined, undefined]);
    expect(offers).toEqual([
      [0, true],
      [0, false],
    ]);
    expect(result).toEqual({ sha256: fx.zipSha256, size: fx.zip.length });
    expect(await sha256Of(file)).toBe(fx.zipSha256);
    expect(own.active).toBe(0);
  });

  it('with no retry left: a clear HTTP_ERROR saying the writer was lost', async () => {
    const own = new ZipHashPool({ size: 1 });
    fx.cleanups.push(() => own.close());
    const job = own.start('tap 1.0.0 (linux_amd64)');
    const { s, onProgress } = await losing(own, job, true);
    const { tap } = recorded(job);
    const file = await dest();
    const e = await failure(fx.client(0).download(`${s.origin}/pkg.zip`, file, { tap, onProgress }));
    expect(e).toEqual({
      code: 'HTTP_ERROR',
      message: `GET ${s.origin}/pkg.zip: the thread writing ${file} was lost (a zip-hash worker exited): run the command again`,
      path: undefined,
    });
    expect(s.requests.length).toBe(1);
    expect(own.active).toBe(0);
  });
});
