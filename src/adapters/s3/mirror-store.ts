// The object store `airgap publish` writes the network mirror to (core/publish/store.ts),
// on one S3 connection (client.ts). Each object carries its sha256 twice: in the user
// metadata `sha256`, which any S3-compatible store keeps and returns, and as S3's own
// SHA-256 checksum, which AWS checks on upload and returns for HeadObject with
// ChecksumMode ENABLED. Errors name the operation, bucket and key (errors.ts).

import { createReadStream } from 'node:fs';
import { DeleteObjectCommand, PutObjectCommand } from './sdk.js';
import { S3_METADATA } from '../../core/layout/names.js';
import type { MirrorStore, PutRequest, StoredObject } from '../../core/publish/store.js';
import type { S3Connection } from './client.js';
import { s3Error } from './errors.js';
import { headObject, listObjects, sseParams } from './objects.js';

const HEX64 = /^[0-9a-f]{64}$/;

export function createMirrorStore(conn: S3Connection, bucket: string): MirrorStore {
  return {
    list(prefix: string): Promise<StoredObject[]> {
      return listObjects(conn, bucket, prefix);
    },

    async sha256Of(key: string): Promise<string | undefined> {
      const head = await headObject(conn, { bucket, key });
      if (head === undefined) return undefined;
      if (head.sha256 !== undefined && HEX64.test(head.sha256)) return head.sha256;
      // A composite checksum ("...-N", of a multipart upload's parts) is not the file's sha256.
      const checksum = head.checksumSha256;
      if (checksum !== undefined && !checksum.includes('-')) {
        const hex = Buffer.from(checksum, 'base64').toString('hex');
        if (HEX64.test(hex)) return hex;
      }
      return undefined;
    },

    // Streamed from the file (objects.ts's putObject holds its body in memory; a
    // provider zip can be hundreds of megabytes). S3 checks the bytes against the
    // sha256 the plan was made with, so a file changed since it was hashed is refused.
    async put(request: PutRequest): Promise<void> {
      try {
        await conn.client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: request.key,
            Body: createReadStream(request.file),
            ContentLength: request.size,
            ContentType: request.contentType,
            Metadata: { [S3_METADATA.sha256]: request.sha256 },
            ChecksumSHA256: Buffer.from(request.sha256, 'hex').toString('base64'),
            ...sseParams(conn),
          }),
        );
      } catch (e) {
        throw s3Error(e, { operation: 'PutObject', bucket, key: request.key });
      }
    },

    // One request per object, in the plan's order: a batch delete would leave the order
    // among its keys to the store.
    async delete(key: string): Promise<void> {
      try {
        await conn.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      } catch (e) {
        throw s3Error(e, { operation: 'DeleteObject', bucket, key });
      }
    },
  };
}
