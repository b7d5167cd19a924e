// One object's multipart upload: find the open upload an interrupted run left for
// the key, or start one; list the parts it already holds; upload a part with its
// SHA-256 checksum (S3 refuses a part whose bytes do not match); complete; abort.
// Every failure names the operation, bucket and key.

import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  UploadPartCommand,
} from './sdk.js';
import type { S3Location } from '../../core/s3/url.js';
import type { S3Connection } from './client.js';
import { s3Error } from './errors.js';
import { sseParams, withPayloadHash } from './objects.js';

export interface OpenUpload {
  uploadId: string;
  initiated: Date;
}

export interface UploadedPart {
  number: number;
  size: number;
  etag: string;
  /** Base64 SHA-256 of the part, as S3 reports it (absent for an upload made without checksums). */
  sha256?: string;
}

export interface OpenUploadAt extends OpenUpload {
  key: string;
}

/** The multipart uploads open for keys starting with `prefix` in `bucket`, oldest first. */
export async function openUploadsUnder(
  conn: S3Connection,
  bucket: string,
  prefix: string,
): Promise<OpenUploadAt[]> {
  const found: OpenUploadAt[] = [];
  let keyMarker: string | undefined;
  let idMarker: string | undefined;
  for (;;) {
    let page;
    try {
      page = await conn.client.send(
        new ListMultipartUploadsCommand({
          Bucket: bucket,
          Prefix: prefix,
          ...(keyMarker === undefined ? {} : { KeyMarker: keyMarker }),
          ...(idMarker === undefined ? {} : { UploadIdMarker: idMarker }),
        }),
      );
    } catch (e) {
      throw s3Error(e, { operation: 'ListMultipartUploads', bucket, key: prefix });
    }
    for (const u of page.Uploads ?? []) {
      if (u.Key !== undefined && u.UploadId !== undefined) {
        found.push({ key: u.Key, uploadId: u.UploadId, initiated: u.Initiated ?? new Date(0) });
      }
    }
    if (page.IsTruncated !== true) break;
    keyMarker = page.NextKeyMarker;
    idMarker = page.NextUploadIdMarker;
  }
  return found.sort((a, b) => a.initiated.getTime() - b.initiated.getTime());
}

/** The multipart uploads open for exactly `at.key` (not merely keys starting with it), oldest first. */
export async function openUploads(conn: S3Connection, at: S3Location): Promise<OpenUpload[]> {
  return (await openUploadsUnder(conn, at.bucket, at.key))
    .filter((u) => u.key === at.key)
    .map(({ uploadId, initiated }) => ({ uploadId, initiated }));
}

export async function listParts(
  conn: S3Connection,
  at: S3Location,
  uploadId: string,
): Promise<UploadedPart[]> {
  const parts: UploadedPart[] = [];
  let marker: string | undefined;
  for (;;) {
    let page;
    try {
      page = await conn.client.send(
        new ListPartsCommand({
          Bucket: at.bucket,
          Key: at.key,
          UploadId: uploadId,
          ...(marker === undefined ? {} : { PartNumberMarker: marker }),
        }),
      );
    } catch (e) {
      throw s3Error(e, { operation: 'ListParts', ...at });
    }
    for (const p of page.Parts ?? []) {
      if (p.PartNumber === undefined) continue;
      parts.push({
        number: p.PartNumber,
        size: p.Size ?? 0,
        etag: p.ETag ?? '',
        ...(p.ChecksumSHA256 === undefined ? {} : { sha256: p.ChecksumSHA256 }),
      });
    }
    if (page.IsTruncated !== true) break;
    marker = page.NextPartNumberMarker;
  }
  return parts;
}

export interface CreateOptions {
  contentType: string;
  metadata: Record<string, string>;
}

export async function createUpload(
  conn: S3Connection,
  at: S3Location,
  options: CreateOptions,
): Promise<string> {
  try {
    const made = await conn.client.send(
      new CreateMultipartUploadCommand({
        Bucket: at.bucket,
        Key: at.key,
        ContentType: options.contentType,
        Metadata: options.metadata,
        ChecksumAlgorithm: 'SHA256',
        ...sseParams(conn),
      }),
    );
    if (made.UploadId === undefined) throw new Error('the answer has no UploadId');
    return made.UploadId;
  } catch (e) {
    throw s3Error(e, { operation: 'CreateMultipartUpload', ...at });
  }
}

/**
 * Uploads one part; `digest` is its SHA-256: sent (base64) as the checksum S3 checks
 * against the bytes, and given to the request signer so it does not hash them again.
 * The body is the part's pieces in order, sent one after the other without being
 * joined (http-handler.ts hands the list to undici as it is; a retry sends it again).
 */
export async function uploadPart(
  conn: S3Connection,
  at: S3Location,
  uploadId: string,
  number: number,
  pieces: readonly Uint8Array[],
  digest: Buffer,
): Promise<UploadedPart> {
  const sha256 = digest.toString('base64');
  const size = pieces.reduce((n, p) => n + p.length, 0);
  // One piece goes as it is, several as the list (the SDK's types name only single bodies).
  const body = pieces.length <= 1 ? (pieces[0] ?? new Uint8Array(0)) : (pieces as unknown as Uint8Array);
  try {
    const answer = await conn.client.send(
      withPayloadHash(
        new UploadPartCommand({
          Bucket: at.bucket,
          Key: at.key,
          UploadId: uploadId,
          PartNumber: number,
          Body: body,
          ContentLength: size,
          ChecksumSHA256: sha256,
        }),
        digest,
      ),
    );
    return { number, size, etag: answer.ETag ?? '', sha256 };
  } catch (e) {
    throw s3Error(e, { operation: `UploadPart ${number}`, ...at });
  }
}

export async function completeUpload(
  conn: S3Connection,
  at: S3Location,
  uploadId: string,
  parts: readonly UploadedPart[],
): Promise<void> {
  try {
    await conn.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: at.bucket,
        Key: at.key,
        UploadId: uploadId,
        MultipartUpload: {
          Parts: [...parts]
            .sort((a, b) => a.number - b.number)
            .map((p) => ({
              PartNumber: p.number,
              ETag: p.etag,
              ...(p.sha256 === undefined ? {} : { ChecksumSHA256: p.sha256 }),
            })),
        },
      }),
    );
  } catch (e) {
    throw s3Error(e, { operation: 'CompleteMultipartUpload', ...at });
  }
}

export async function abortUpload(conn: S3Connection, at: S3Location, uploadId: string): Promise<void> {
  try {
    await conn.client.send(
      new AbortMultipartUploadCommand({ Bucket: at.bucket, Key: at.key, UploadId: uploadId }),
    );
  } catch (e) {
    const err = s3Error(e, { operation: 'AbortMultipartUpload', ...at });
    // Already gone is what aborting wants.
    if (err.code !== 'S3_NOT_FOUND') throw err;
  }
}
