// The S3 part writer against a real S3 server (s3rver): chunks that lie in its slabs are
// sent from there (kept, not copied), other chunks are copied; either way each object
// holds exactly the bytes written, each part carries the SHA-256 of its own bytes, and
// every slab is free again once the upload is committed.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { connectS3, type S3Connection } from '../../../src/adapters/s3/client.js';
import { S3UploadWriter } from '../../../src/adapters/s3/upload-writer.js';
import type { SharedSlabs } from '../../../src/adapters/fs/shared-hash.js';
import { AWS_CLI, startS3Server, uniqueBucket, type TestS3Server } from '../../helpers/s3-server.js';
import { makeTempDir } from '../../helpers/tmp.js';
import { describeWithTools } from '../../helpers/tools.js';

vi.setConfig({ testTimeout: 120_000 });

const MIB = 1024 * 1024;
/** The writer's slabs with 8 MiB parts: 6 in flight and 1 waiting, 9 slabs each, 8 for the reader's lead. */
const SLABS = 7 * 9 + 8;

let s3: TestS3Server;
let conn: S3Connection;

beforeAll(async () => {
  s3 = await startS3Server();
  // The SDK's default chain reads the credentials and region from the environment.
  Object.assign(process.env, s3.env);
  conn = connectS3({ endpoint: s3.endpoint, pathStyle: true, env: s3.env, caCertFiles: [] });
});

afterAll(async () => {
  await conn?.close();
  await s3?.close();
});

/** Deterministic bytes: 0, 1, ... 250, 0, 1, ... (251 is prime: no period lines up with a part). */
function content(size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = i % 251;
  return b;
}

/**
 * Writes `bytes` as the tar stream does: runs of up to 1 MiB read into a slab (released
 * once the write is done), between odd-sized chunks of ordinary memory that the writer
 * must copy (the chunk is overwritten with 0xff after its write, as a reused buffer would be).
 */
async function writeMixed(writer: S3UploadWriter, slabs: SharedSlabs, bytes: Buffer): Promise<void> {
  const write = (chunk: Buffer, done: () => void): Promise<void> =>
    new Promise((resolve, reject) => {
      writer.write(chunk, (e) => {
        done();
        if (e) reject(e);
        else resolve();
      });
    });
  let pos = 0;
  let turn = 0;
  while (pos < bytes.length) {
    turn += 1;
    if (turn % 3 === 0) {
      const n = Math.min(513 * turn, bytes.length - pos);
      const chunk = Buffer.from(bytes.subarray(pos, pos + n));
      await write(chunk, () => chunk.fill(0xff));
      pos += n;
      continue;
    }
    const slab = await slabs.acquire();
    const n = Math.min(MIB - 7 * turn, bytes.length - pos);
    const view = slabs.view(slab, n);
    bytes.copy(view, 0, pos, pos + n);
    await write(view, () => slabs.release(slab));
    pos += n;
  }
  writer.end();
  await finished(writer);
}

/** Every slab can be had at once, without waiting: none is still held. */
async function allFree(slabs: SharedSlabs, count: number): Promise<boolean> {
  const held: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const stop = new AbortController();
      const got = slabs.acquire(stop.signal);
      setImmediate(() => stop.abort());
      held.push(await got);
    }
    return true;
  } catch {
    return false;
  } finally {
    for (const slab of held) slabs.release(slab);
  }
}

function sha256(bytes: Uint8Array, encoding: 'hex' | 'base64'): string {
  return createHash('sha256').update(bytes).digest(encoding);
}

/** The object as the AWS CLI downloads it. */
async function getObject(bucket: string, key: string): Promise<Buffer> {
  const file = path.join(await makeTempDir('airgap-s3-writer-'), 'object');
  expect((await s3.aws(['s3', 'cp', `s3://${bucket}/${key}`, file])).code).toBe(0);
  return fs.readFile(file);
}

describeWithTools([AWS_CLI], 'S3 upload writer', () => {
  it('sends slab chunks in place and copies the rest: 8 MiB parts with their own SHA-256, the object byte for byte', async () => {
    const bucket = uniqueBucket();
    await s3.createBucket(bucket);
    s3.resetCounts();
    const bytes = content(17 * MIB + 12_345);
    const writer = new S3UploadWriter({
      conn,
      location: { bucket, key: 'w.tar' },
      maxBytes: bytes.length,
      contentType: 'application/x-tar',
      metadata: {},
      resume: false,
      identityBytes: 0,
    });
    expect(await allFree(writer.slabs, SLABS)).toBe(true);
    await writer.prepare();
    await writeMixed(writer, writer.slabs, bytes);
    const objects = await writer.commit();
    await writer.close();
    expect(objects).toEqual([{ location: { bucket, key: 'w.tar' }, size: bytes.length }]);
    expect(writer.result).toEqual({ partsUploaded: 3, partsReused: 0, uploadsAborted: 0 });
    expect(
      s3.log
        .filter((r) => r.operation === 'UploadPart')
        .map((r) => r.checksumSha256)
        .sort(),
    ).toEqual([0, 1, 2].map((i) => sha256(bytes.subarray(i * 8 * MIB, (i + 1) * 8 * MIB), 'base64')).sort());
    expect(
      s3.log.filter((r) => r.operation === 'UploadPart').map((r) => Number(r.headers['content-length'])),
    ).toEqual(expect.arrayContaining([8 * MIB, 8 * MIB, MIB + 12_345]));
    const stored = await getObject(bucket, 'w.tar');
    expect(stored.length).toBe(bytes.length);
    expect(sha256(stored, 'hex')).toBe(sha256(bytes, 'hex'));
    expect(await allFree(writer.slabs, SLABS)).toBe(true);
  });

  it('the first upload is started by prepare(), before any byte; a failure before the first part aborts it (resume off): nothing left open', async () => {
    const bucket = uniqueBucket();
    await s3.createBucket(bucket);
    s3.resetCounts();
    const writer = new S3UploadWriter({
      conn,
      location: { bucket, key: 'early.tar' },
      maxBytes: 20 * MIB,
      contentType: 'application/x-tar',
      metadata: {},
      resume: false,
      identityBytes: 0,
    });
    await writer.prepare();
    await writer.abort();
    await writer.close();
    expect(s3.count('CreateMultipartUpload')).toBe(1);
    expect(s3.count('AbortMultipartUpload')).toBe(1);
    expect(s3.count('UploadPart')).toBe(0);
    const open = await s3.aws(['s3api', 'list-multipart-uploads', '--bucket', bucket]);
    expect(open.code).toBe(0);
    expect(open.stdout.includes('"UploadId"')).toBe(false);
  });

  it('split into objects of 5 MiB (parts end at each object): each object its bytes and its sha256', async () => {
    const bucket = uniqueBucket();
    await s3.createBucket(bucket);
    s3.resetCounts();
    const bytes = content(12 * MIB + 3);
    const writer = new S3UploadWriter({
      conn,
      location: { bucket, key: 's.tar' },
      splitSize: 5 * MIB,
      maxBytes: bytes.length,
      contentType: 'application/octet-stream',
      metadata: {},
      resume: false,
      identityBytes: 0,
    });
    await writer.prepare();
    await writeMixed(writer, writer.slabs, bytes);
    const objects = await writer.commit();
    await writer.close();
    const slices = [bytes.subarray(0, 5 * MIB), bytes.subarray(5 * MIB, 10 * MIB), bytes.subarray(10 * MIB)];
    expect(objects).toEqual(
      slices.map((s, i) => ({
        location: { bucket, key: `s.tar.00${i}` },
        size: s.length,
        sha256: sha256(s, 'hex'),
      })),
    );
    expect(s3.count('UploadPart')).toBe(3);
    for (const [i, s] of slices.entries()) {
      expect(sha256(await getObject(bucket, `s.tar.00${i}`), 'hex')).toBe(sha256(s, 'hex'));
    }
    expect(await allFree(writer.slabs, SLABS)).toBe(true);
  });
});
