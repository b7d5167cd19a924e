// The S3 archive store (src/adapters/s3/archive-store.ts) against a real S3 server
// (s3rver behind the test front): an object of several 8 MiB ranges read back as one
// stream, byte for byte, by a reader slower than the server (ranges ahead are paused
// and resumed), with a body cut off half way asked again from the byte it stopped at.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { s3ArchiveStore } from '../../../src/adapters/s3/archive-store.js';
import { AWS_CLI, startS3Server, uniqueBucket, type TestS3Server } from '../../helpers/s3-server.js';
import { makeTempDir } from '../../helpers/tmp.js';
import { describeWithTools } from '../../helpers/tools.js';

vi.setConfig({ testTimeout: 240_000 });

const MIB = 1024 * 1024;

describeWithTools([AWS_CLI], 'S3 archive store', () => {
  let s3: TestS3Server;
  let bucket: string;
  let object: Buffer;
  beforeAll(async () => {
    s3 = await startS3Server();
    // The SDK takes its credentials and region from the process environment.
    Object.assign(process.env, s3.env);
    bucket = uniqueBucket();
    await s3.createBucket(bucket);
    // Three full ranges and a short fourth.
    object = randomBytes(3 * 8 * MIB + 12_345);
    const file = path.join(await makeTempDir(), 'object.bin');
    await fs.writeFile(file, object);
    expect((await s3.aws(['s3', 'cp', file, `s3://${bucket}/object.bin`])).code).toBe(0);
  });
  afterAll(async () => {
    await s3.close();
  });

  it('streams the object in order to a slow reader, and resumes a cut-off range where it stopped', async () => {
    const store = s3ArchiveStore({ endpoint: s3.endpoint, pathStyle: true, env: s3.env, caCertFiles: [] });
    try {
      const url = `s3://${bucket}/object.bin`;
      s3.resetCounts();
      // The first GET is resolve's: the first range, whose answer gives the size (no HEAD).
      s3.inject({ operation: 'GetObject', status: 200, code: 'cut', cut: true, times: 1 });
      const { parts, size } = await store.resolve(url);
      expect(size).toBe(object.length);
      expect(s3.count('HeadObject')).toBe(0);
      expect(String(s3.log.find((e) => e.operation === 'GetObject')?.headers.range)).toBe(
        `bytes=0-${8 * MIB - 1}`,
      );
      let counted = 0;
      const hash = createHash('sha256');
      let read = 0;
      for await (const chunk of store.open(parts, (n) => (counted += n))) {
        hash.update(chunk as Buffer);
        read += (chunk as Buffer).length;
        // Slower than the server: the ranges ahead fill up and are paused.
        if (read % (4 * MIB) < (chunk as Buffer).length) await new Promise((r) => setTimeout(r, 50));
      }
      expect(read).toBe(object.length);
      expect(counted).toBe(object.length);
      expect(hash.digest('hex')).toBe(createHash('sha256').update(object).digest('hex'));
      const ranges = s3.log.filter((e) => e.operation === 'GetObject').map((e) => String(e.headers.range));
      expect(ranges).toHaveLength(5);
      const whole = [0, 1, 2, 3].map(
        (i) => `bytes=${i * 8 * MIB}-${Math.min(object.length, (i + 1) * 8 * MIB) - 1}`,
      );
      expect(ranges.filter((r) => whole.includes(r)).sort()).toEqual([...whole].sort());
      // The first range was cut off half way: asked again from the byte it stopped at.
      const again = ranges.filter((r) => !whole.includes(r));
      expect(again).toHaveLength(1);
      const resumed = /^bytes=(\d+)-(\d+)$/.exec(again[0]!);
      expect(Number(resumed?.[1])).toBeGreaterThan(0);
      expect(Number(resumed?.[1])).toBeLessThan(8 * MIB);
      expect(Number(resumed?.[2])).toBe(8 * MIB - 1);
    } finally {
      await store.close();
    }
  });
  it('an empty object, whose range fails (416; s3rver: 500), is sized by a HEAD; a small one by its one range', async () => {
    const dir = await makeTempDir();
    await fs.writeFile(path.join(dir, 'empty.bin'), '');
    await fs.writeFile(path.join(dir, 'small.bin'), 'hello');
    for (const name of ['empty.bin', 'small.bin']) {
      expect((await s3.aws(['s3', 'cp', path.join(dir, name), `s3://${bucket}/${name}`])).code).toBe(0);
    }
    const store = s3ArchiveStore({ endpoint: s3.endpoint, pathStyle: true, env: s3.env, caCertFiles: [] });
    try {
      s3.resetCounts();
      const empty = await store.resolve(`s3://${bucket}/empty.bin`);
      expect(empty).toEqual({ parts: [`s3://${bucket}/empty.bin`], size: 0, split: false });
      expect(await store.peek(`s3://${bucket}/empty.bin`, 8)).toEqual(Buffer.alloc(0));
      // S3 answers 416; s3rver fails the range with a 500, which the SDK tries 5 times.
      expect([s3.count('GetObject'), s3.count('HeadObject')]).toEqual([5, 1]);

      s3.resetCounts();
      const small = await store.resolve(`s3://${bucket}/small.bin`);
      expect(small.size).toBe(5);
      expect((await store.peek(`s3://${bucket}/small.bin`, 8)).toString()).toBe('hello');
      const chunks: Buffer[] = [];
      for await (const chunk of store.open(small.parts)) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks).toString()).toBe('hello');
      expect([s3.count('GetObject'), s3.count('HeadObject')]).toEqual([1, 0]);
    } finally {
      await store.close();
    }
  });
});
