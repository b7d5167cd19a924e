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
      const { parts, size } = await store.resolve(url);
      expect(size).toBe(object.length);
      s3.resetCounts();
      s3.inject({ operation: 'GetObject', status: 200, code: 'cut', cut: true, times: 1 });
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
      expect(ranges.slice(0, 4).sort()).toEqual(
        [0, 1, 2, 3]
          .map((i) => `bytes=${i * 8 * MIB}-${Math.min(object.length, (i + 1) * 8 * MIB) - 1}`)
          .sort(),
      );
      // The first range was cut off half way: asked again from the byte it stopped at.
      const resumed = /^bytes=(\d+)-(\d+)$/.exec(ranges[4]!);
      expect(Number(resumed?.[1])).toBeGreaterThan(0);
      expect(Number(resumed?.[1])).toBeLessThan(8 * MIB);
      expect(Number(resumed?.[2])).toBe(8 * MIB - 1);
    } finally {
      await store.close();
    }
  });
});
