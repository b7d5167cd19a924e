// The S3 connection against a real S3 server (s3rver behind the test front), with
// the AWS CLI as the independent client: retries, error mapping, TLS trust.
import fs from 'node:fs/promises';
import path from 'node:path';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeAll, expect, it } from 'vitest';
import { connectS3, type S3AccessOptions } from '../../../src/adapters/s3/client.js';
import { s3Error } from '../../../src/adapters/s3/errors.js';
import { deleteObjects, headObject, listObjects, putObject } from '../../../src/adapters/s3/objects.js';
import { AirgapError } from '../../../src/core/errors.js';
import { AWS_CLI, startS3Server, uniqueBucket, type TestS3Server } from '../../helpers/s3-server.js';
import { makeTempDir } from '../../helpers/tmp.js';
import { describeWithTools } from '../../helpers/tools.js';

const servers: TestS3Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(https = false): Promise<TestS3Server> {
  const s = await startS3Server({ https });
  servers.push(s);
  Object.assign(process.env, s.env);
  return s;
}

function access(s: TestS3Server, extra: Partial<S3AccessOptions> = {}): S3AccessOptions {
  return { endpoint: s.endpoint, pathStyle: true, env: {}, caCertFiles: [], ...extra };
}

async function caught(
  p: Promise<unknown>,
  target: { operation: string; bucket: string; key?: string },
): Promise<AirgapError> {
  try {
    await p;
  } catch (e) {
    return s3Error(e, target);
  }
  throw new Error('expected a failure');
}

describeWithTools([AWS_CLI, 'openssl'], 'S3 connection', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await makeTempDir();
  });

  it('reads what the AWS CLI wrote, over https with --ca-cert, and retries 503 SlowDown and 500', async () => {
    const s = await server(true);
    const bucket = uniqueBucket();
    await s.createBucket(bucket);
    const file = path.join(dir, 'hello.txt');
    await fs.writeFile(file, 'hello s3\n');
    expect((await s.aws(['s3', 'cp', file, `s3://${bucket}/a/hello.txt`])).code).toBe(0);

    const conn = connectS3(access(s, { caCertFiles: [s.cert!.certPath] }));
    try {
      s.inject({ operation: 'GetObject', status: 503, code: 'SlowDown', times: 2 });
      s.inject({ operation: 'HeadObject', status: 500, code: 'InternalError', times: 1 });
      s.resetCounts();
      const head = await conn.client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'a/hello.txt' }));
      expect(head.ContentLength).toBe(9);
      const got = await conn.client.send(new GetObjectCommand({ Bucket: bucket, Key: 'a/hello.txt' }));
      expect(await got.Body!.transformToString()).toBe('hello s3\n');
      expect(s.count('GetObject')).toBe(3);
      expect(s.count('HeadObject')).toBe(2);
    } finally {
      await conn.close();
    }
  });

  it('refuses the server certificate without the CA, as S3_ERROR naming the operation and key', async () => {
    const s = await server(true);
    const conn = connectS3(access(s, { maxAttempts: 1 }));
    try {
      const e = await caught(conn.client.send(new HeadObjectCommand({ Bucket: 'bucket', Key: 'k' })), {
        operation: 'HeadObject',
        bucket: 'bucket',
        key: 'k',
      });
      expect(e.code).toBe('S3_ERROR');
      expect(e.message).toMatch(/^S3 HeadObject s3:\/\/bucket\/k: failed: .*(certificate|self.signed)/i);
    } finally {
      await conn.close();
    }
  });

  it('maps throttling after retries, a missing bucket and key, and wrong credentials to their codes', async () => {
    const s = await server();
    const bucket = uniqueBucket();
    await s.createBucket(bucket);
    const conn = connectS3(access(s, { maxAttempts: 3 }));
    try {
      s.inject({ operation: 'PutObject', status: 503, code: 'SlowDown', times: 3 });
      const slow = await caught(
        conn.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'x' })),
        {
          operation: 'PutObject',
          bucket,
          key: 'k',
        },
      );
      expect(slow.code).toBe('S3_ERROR');
      expect(slow.category).toBe('network');
      expect(slow.message).toBe(
        `S3 PutObject s3://${bucket}/k: failed after 3 attempts: HTTP 503 SlowDown: injected SlowDown`,
      );

      const noKey = await caught(conn.client.send(new GetObjectCommand({ Bucket: bucket, Key: 'missing' })), {
        operation: 'GetObject',
        bucket,
        key: 'missing',
      });
      expect([noKey.code, noKey.message]).toEqual([
        'S3_NOT_FOUND',
        `S3 GetObject s3://${bucket}/missing: no such object`,
      ]);

      const noBucket = await caught(
        conn.client.send(new GetObjectCommand({ Bucket: 'no-such-bucket', Key: 'k' })),
        {
          operation: 'GetObject',
          bucket: 'no-such-bucket',
          key: 'k',
        },
      );
      expect([noBucket.code, noBucket.message]).toEqual([
        'S3_NOT_FOUND',
        'S3 GetObject s3://no-such-bucket/k: bucket no-such-bucket does not exist',
      ]);
      expect(noBucket.category).toBe('usage');
    } finally {
      await conn.close();
    }

    // s3rver checks the key id (its secret check is lax): a wrong one is what it refuses.
    process.env.AWS_ACCESS_KEY_ID = 'AKIAWRONGKEY';
    const wrong = connectS3(access(s));
    try {
      const denied = await caught(wrong.client.send(new GetObjectCommand({ Bucket: bucket, Key: 'k' })), {
        operation: 'GetObject',
        bucket,
        key: 'k',
      });
      expect([denied.code, denied.message]).toEqual([
        'S3_ACCESS_DENIED',
        `S3 GetObject s3://${bucket}/k: access denied (InvalidAccessKeyId: The AWS Access Key Id you provided does not exist in our records.)`,
      ]);
      expect(denied.category).toBe('usage');
      expect(denied.remedy).toContain('aws sts get-caller-identity');
    } finally {
      await wrong.close();
      process.env.AWS_ACCESS_KEY_ID = s.env.AWS_ACCESS_KEY_ID;
    }
  });

  it('puts with sha256 metadata and checksum, heads, lists and deletes; the AWS CLI sees the same object', async () => {
    const s = await server();
    const bucket = uniqueBucket();
    await s.createBucket(bucket);
    const conn = connectS3(access(s));
    try {
      const at = { bucket, key: 'm/index.json' };
      expect(await headObject(conn, at)).toBeUndefined();
      const put = await putObject(conn, at, Buffer.from('{"versions":{}}\n'), {
        contentType: 'application/json',
      });
      expect(put.sha256).toBe('3a7aadce731e6707754e1715f0629bcd3fa7bad9e12c515e9ef806c90505996c');
      const info = await headObject(conn, at);
      expect(info).toMatchObject({ size: 16, sha256: put.sha256, contentType: 'application/json' });
      const cli = await s.aws(['s3api', 'head-object', '--bucket', bucket, '--key', 'm/index.json']);
      expect(JSON.parse(cli.stdout)).toMatchObject({ ContentLength: 16, Metadata: { sha256: put.sha256 } });
      await putObject(conn, { bucket, key: 'm/a.zip' }, Buffer.from('zip'));
      expect(await listObjects(conn, bucket, 'm/')).toEqual([
        { key: 'm/a.zip', size: 3 },
        { key: 'm/index.json', size: 16 },
      ]);
      await deleteObjects(conn, bucket, ['m/a.zip']);
      expect((await listObjects(conn, bucket, '')).map((o) => o.key)).toEqual(['m/index.json']);
    } finally {
      await conn.close();
    }
  });

  it('says no credentials were found, with the remedy, when the default chain has none', async () => {
    const s = await server();
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) delete process.env[name];
    const conn = connectS3(access(s, { maxAttempts: 1 }));
    try {
      const e = await caught(conn.client.send(new HeadObjectCommand({ Bucket: 'bucket', Key: 'k' })), {
        operation: 'HeadObject',
        bucket: 'bucket',
        key: 'k',
      });
      expect(e.code).toBe('S3_NO_CREDENTIALS');
      expect(e.category).toBe('usage');
      expect(e.message).toMatch(/^S3 HeadObject s3:\/\/bucket\/k: no AWS credentials found/);
      expect(e.remedy).toContain('AWS_PROFILE');
    } finally {
      await conn.close();
      Object.assign(process.env, s.env);
    }
  });

  it('refuses a plain-http endpoint that is not loopback: credentials go only over https', () => {
    expect(() => connectS3({ endpoint: 'http://minio.example:9000', env: {}, caCertFiles: [] })).toThrow(
      /--s3-endpoint http:\/\/minio.example:9000 is not https/,
    );
  });
});
