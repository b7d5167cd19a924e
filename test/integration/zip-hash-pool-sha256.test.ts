// The hash pool's plain sha256 jobs (what the bundle reader hashes large payload files
// with): the digest and size of exactly the bytes written, across buffer boundaries and
// chunk sizes, with jobs side by side on one worker kept apart.
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ZipHashPool } from '../../src/adapters/workers/zip-hash-pool.js';

let pool: ZipHashPool | undefined;

afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

/** Deterministic bytes: i * 31 + 7, mod 251 (no period of a power of two). */
function bytes(n: number, seed = 0): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i += 1) b[i] = (i * 31 + 7 + seed) % 251;
  return b;
}

async function writeAll(
  job: ReturnType<ZipHashPool['startSha256']>,
  data: Buffer,
  chunk: number,
): Promise<void> {
  for (let at = 0; at < data.length; at += chunk) {
    const wait = job.write(data.subarray(at, at + chunk));
    if (wait !== undefined) await wait;
  }
}

describe('ZipHashPool sha256 jobs', () => {
  it('digest the bytes written, in odd chunk sizes across its 256 KiB buffers', async () => {
    pool = new ZipHashPool({ size: 1 });
    const data = bytes((3 << 20) + 3);
    const job = pool.startSha256('big.bin');
    await writeAll(job, data, 65_537);
    expect(await job.digest()).toEqual({
      sha256: createHash('sha256').update(data).digest('hex'),
      size: (3 << 20) + 3,
    });
    expect(pool.active).toBe(0);
  });

  it('keep two jobs on one worker apart, and digest an empty one', async () => {
    pool = new ZipHashPool({ size: 1 });
    const a = bytes(1 << 20, 1);
    const b = bytes((1 << 20) + 17, 2);
    const ja = pool.startSha256('a');
    const jb = pool.startSha256('b');
    const empty = pool.startSha256('empty');
    await Promise.all([writeAll(ja, a, 100_000), writeAll(jb, b, 33_333)]);
    const [da, db, de] = await Promise.all([ja.digest(), jb.digest(), empty.digest()]);
    expect(da).toEqual({ sha256: createHash('sha256').update(a).digest('hex'), size: 1 << 20 });
    expect(db).toEqual({ sha256: createHash('sha256').update(b).digest('hex'), size: (1 << 20) + 17 });
    expect(de).toEqual({
      sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      size: 0,
    });
  });

  it('say there is no digest when the pool closed under a job', async () => {
    pool = new ZipHashPool({ size: 1 });
    const job = pool.startSha256('cut.bin');
    await writeAll(job, bytes(300_000), 50_000);
    await pool.close();
    // Whichever comes first: the worker's exit event, or close() itself telling the job.
    await expect(job.digest()).rejects.toThrow(
      /^cut\.bin: no sha256 \((a zip-hash worker exited|the pool was closed)\)$/,
    );
  });
});
