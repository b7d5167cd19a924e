// Whole-object S3 operations, each failure mapped to an AirgapError naming the
// operation, bucket and key: what export (skip an upload already done) and publish
// (incremental mirror upload) need besides multipart uploads and ranged reads.

import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from './sdk.js';
import { createHash } from 'node:crypto';
import { S3_METADATA } from '../../core/layout/names.js';
import type { S3Location } from '../../core/s3/url.js';
import type { S3Connection } from './client.js';
import { s3Error } from './errors.js';

export interface S3ObjectInfo {
  size: number;
  etag: string;
  /** airgap's sha256 metadata (lower-case hex), when the object has it. */
  sha256?: string;
  /** S3's own SHA-256 checksum (base64; of the whole object, or of the parts' checksums for a multipart upload). */
  checksumSha256?: string;
  contentType?: string;
  metadata: Record<string, string>;
}

/** HEAD: the object's size and metadata, or undefined when there is no such object. */
export async function headObject(conn: S3Connection, at: S3Location): Promise<S3ObjectInfo | undefined> {
  try {
    const head = await conn.client.send(
      new HeadObjectCommand({ Bucket: at.bucket, Key: at.key, ChecksumMode: 'ENABLED' }),
    );
    const metadata = head.Metadata ?? {};
    const sha256 = metadata[S3_METADATA.sha256];
    return {
      size: head.ContentLength ?? 0,
      etag: head.ETag ?? '',
      ...(sha256 === undefined ? {} : { sha256: sha256.toLowerCase() }),
      ...(head.ChecksumSHA256 === undefined ? {} : { checksumSha256: head.ChecksumSHA256 }),
      ...(head.ContentType === undefined ? {} : { contentType: head.ContentType }),
      metadata,
    };
  } catch (e) {
    const name = (e as { name?: string }).name;
    const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    // HEAD has no body, so S3 cannot say which is missing: a missing bucket also reads as 404.
    if (name === 'NotFound' || name === 'NoSuchKey' || status === 404) return undefined;
    throw s3Error(e, { operation: 'HeadObject', ...at });
  }
}

/**
 * GET of a small object (a checksum list): its bytes, or undefined when there is no
 * such object. One longer than `maxBytes` is refused rather than read.
 */
export async function getSmallObject(
  conn: S3Connection,
  at: S3Location,
  maxBytes: number,
): Promise<Buffer | undefined> {
  try {
    const answer = await conn.client.send(new GetObjectCommand({ Bucket: at.bucket, Key: at.key }));
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of answer.Body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) throw new Error(`longer than ${maxBytes} bytes`);
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  } catch (e) {
    const name = (e as { name?: string }).name;
    if (name === 'NoSuchKey') return undefined;
    throw s3Error(e, { operation: 'GetObject', ...at });
  }
}

export interface PutOptions {
  contentType?: string;
  /** Extra user metadata; the sha256 entry is always set from the body. */
  metadata?: Record<string, string>;
}

/**
 * PUT of a body held in memory (a JSON index, a small zip, a short last part), with
 * its sha256 in the metadata and as S3's SHA-256 checksum, which S3 checks on arrival.
 */
export async function putObject(
  conn: S3Connection,
  at: S3Location,
  body: Uint8Array,
  options: PutOptions = {},
): Promise<{ sha256: string }> {
  const digest = createHash('sha256').update(body).digest();
  const sha256 = digest.toString('hex');
  try {
    await conn.client.send(
      withPayloadHash(
        new PutObjectCommand({
          Bucket: at.bucket,
          Key: at.key,
          Body: body,
          ContentLength: body.length,
          ChecksumSHA256: digest.toString('base64'),
          ...(options.contentType === undefined ? {} : { ContentType: options.contentType }),
          Metadata: { ...options.metadata, [S3_METADATA.sha256]: sha256 },
          ...sseParams(conn),
        }),
        digest,
      ),
    );
  } catch (e) {
    throw s3Error(e, { operation: 'PutObject', ...at });
  }
  return { sha256 };
}

interface HasMiddleware {
  middlewareStack: {
    add(
      middleware: (
        next: (args: { request: unknown }) => Promise<unknown>,
      ) => (args: { request: unknown }) => Promise<unknown>,
      options: { step: 'build'; name: string },
    ): void;
  };
}

/**
 * The SigV4 signer hashes a request's body for x-amz-content-sha256 unless the header
 * is already there: with the body's SHA-256 known (it is also the checksum S3 checks),
 * set it, and save hashing every uploaded byte twice.
 */
export function withPayloadHash<C>(command: C, digest: Buffer): C {
  const hex = digest.toString('hex');
  (command as unknown as HasMiddleware).middlewareStack.add(
    (next) => (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers !== undefined) request.headers['x-amz-content-sha256'] = hex;
      return next(args);
    },
    { step: 'build', name: 'airgapPayloadSha256' },
  );
  return command;
}

/** The server-side encryption parameters every write carries (--s3-sse, --s3-kms-key-id). */
export function sseParams(conn: S3Connection): {
  ServerSideEncryption?: 'AES256' | 'aws:kms';
  SSEKMSKeyId?: string;
} {
  return {
    ...(conn.sse === undefined ? {} : { ServerSideEncryption: conn.sse }),
    ...(conn.kmsKeyId === undefined ? {} : { SSEKMSKeyId: conn.kmsKeyId }),
  };
}

export interface ListedObject {
  key: string;
  size: number;
}

/** Every object whose key starts with `prefix`, in S3's (UTF-8 byte) key order. */
export async function listObjects(
  conn: S3Connection,
  bucket: string,
  prefix: string,
): Promise<ListedObject[]> {
  const found: ListedObject[] = [];
  let token: string | undefined;
  do {
    let page;
    try {
      page = await conn.client.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: prefix,
          ...(token === undefined ? {} : { ContinuationToken: token }),
        }),
      );
    } catch (e) {
      throw s3Error(e, { operation: 'ListObjectsV2', bucket, key: prefix });
    }
    for (const o of page.Contents ?? []) {
      if (o.Key !== undefined) found.push({ key: o.Key, size: o.Size ?? 0 });
    }
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return found;
}

/** Deletes `keys` (up to 1000 a request); any key S3 could not delete fails the call. */
export async function deleteObjects(
  conn: S3Connection,
  bucket: string,
  keys: readonly string[],
): Promise<void> {
  for (let i = 0; i < keys.length; i += 1000) {
    const batch = keys.slice(i, i + 1000);
    let answer;
    try {
      answer = await conn.client.send(
        new DeleteObjectsCommand({
          Bucket: bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }),
      );
    } catch (e) {
      throw s3Error(e, { operation: 'DeleteObjects', bucket, key: batch[0] ?? '' });
    }
    const failed = answer.Errors?.[0];
    if (failed !== undefined) {
      throw s3Error(
        { name: failed.Code ?? 'Error', message: failed.Message ?? 'not deleted', $metadata: {} },
        { operation: 'DeleteObjects', bucket, key: failed.Key ?? '' },
      );
    }
  }
}
