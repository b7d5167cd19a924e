// `airgap export --tarball s3://BUCKET/KEY` (docs/S3.md): the tarball streamed into
// S3, with no temporary file. A first pass only hashes (the object's sha256 goes in
// its metadata, which S3 fixes when an upload starts, and an object already holding
// these bytes is not sent again); the second pass streams the same bytes into the
// multipart uploads and must hash the same, or nothing is completed.

import { Writable } from 'node:stream';
import { createHash, type Hash } from 'node:crypto';

import { connectS3, type S3AccessOptions } from '../../adapters/s3/client.js';
import { deleteObjects, headObject, listObjects } from '../../adapters/s3/objects.js';
import { S3UploadWriter, type S3UploadResult } from '../../adapters/s3/upload-writer.js';
import { tarArchiveSize } from '../../adapters/archive/tar-write.js';
import { AirgapError } from '../../core/errors.js';
import { BUNDLE, S3_METADATA, TRANSFER } from '../../core/layout/names.js';
import type { Reporter } from '../../core/ports.js';
import { objectSizes } from '../../core/s3/upload-plan.js';
import { formatS3Url, type S3Location } from '../../core/s3/url.js';
import { checkPartCount } from '../../core/transfer/pack-size.js';
import type { Compression } from './export-service.js';
import { writeTarball, type PackStreamEntry } from './write-tarball.js';

export interface S3ExportInput {
  entries: PackStreamEntry[];
  compress: Compression;
  splitSize?: number;
  manifestFile: string;
  location: S3Location;
  access: S3AccessOptions;
  /** False with --s3-abort-incomplete. */
  resume: boolean;
  tarBytes: number;
  reporter: Reporter;
}

/** What the export did in S3, in `--json` as `upload`. */
export interface S3UploadSummary {
  /** True when every object already held these bytes (by its sha256 metadata): nothing was sent. */
  alreadyPresent: boolean;
  partsUploaded: number;
  /** Parts an interrupted run had uploaded, checked by size and SHA-256 and not sent again. */
  partsReused: number;
  uploadsAborted: number;
  /** Higher-numbered KEY.NNN objects an earlier, larger export left, deleted. */
  staleDeleted: string[];
}

export interface S3ExportOutput {
  parts: { path: string; size: number }[];
  bytes: number;
  sha256: string;
  upload: S3UploadSummary;
}

/** Hashes and counts what goes by, per split part when split; keeps nothing. */
class DigestSink extends Writable {
  readonly sizes: number[] = [];
  readonly digests: string[] = [];
  #hash: Hash | undefined;
  #size = 0;

  constructor(private readonly splitSize: number | undefined) {
    super({ highWaterMark: 1 << 20 });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    let rest = chunk;
    while (rest.length > 0) {
      const room = this.splitSize === undefined ? rest.length : this.splitSize - this.#size;
      const piece = rest.subarray(0, room);
      if (this.splitSize !== undefined) (this.#hash ??= createHash('sha256')).update(piece);
      this.#size += piece.length;
      rest = rest.subarray(piece.length);
      if (this.splitSize !== undefined && this.#size === this.splitSize) this.#close();
    }
    callback();
  }

  override _final(callback: () => void): void {
    if (this.#size > 0 || this.sizes.length === 0) this.#close();
    callback();
  }

  #close(): void {
    this.sizes.push(this.#size);
    this.digests.push(this.#hash?.digest('hex') ?? '');
    this.#hash = undefined;
    this.#size = 0;
  }
}

/**
 * Bytes from the start of the tarball to the end of SHA256SUMS: a first part at least
 * this long pins down the whole tarball. gzip output may be a little longer than its
 * input, hence the margin.
 */
function identityBytes(entries: PackStreamEntry[], compress: Compression): number {
  const sums = entries.findIndex((e) => e.name === BUNDLE.checksums);
  const tar = tarArchiveSize(entries.slice(0, sums + 1));
  return compress === 'gzip' ? tar + Math.ceil(tar / 64) + (64 << 10) : tar;
}

function contentType(split: boolean, compress: Compression): string {
  if (split) return 'application/octet-stream';
  return compress === 'gzip' ? 'application/gzip' : 'application/x-tar';
}

export async function uploadTarball(input: S3ExportInput): Promise<S3ExportOutput> {
  const { entries, compress, splitSize, manifestFile, location, reporter } = input;
  const split = splitSize !== undefined;
  const url = formatS3Url(location);
  const progress = (verb: string): ((n: number) => void) => {
    let done = 0;
    const label = `${verb} ${url}`;
    reporter.progress?.({ phase: 'task', label, done, total: input.tarBytes });
    return (n) => {
      done += n;
      reporter.progress?.({ phase: 'task', label, done, total: input.tarBytes });
    };
  };

  const digests = new DigestSink(splitSize);
  const sha256 = await writeTarball(entries, digests, compress, manifestFile, progress('hashing'));
  const total = digests.sizes.reduce((a, b) => a + b, 0);
  if (split) checkPartCount(total, splitSize, url);
  const sizes = split ? objectSizes(total, splitSize) : [total];
  const shas = split ? digests.digests : [sha256];
  const keys = sizes.map((_, i) => (split ? `${location.key}${TRANSFER.partSuffix(i)}` : location.key));
  const parts = keys.map((key, i) => ({
    path: formatS3Url({ bucket: location.bucket, key }),
    size: sizes[i]!,
  }));

  const conn = connectS3(input.access);
  try {
    const heads = await Promise.all(keys.map((key) => headObject(conn, { bucket: location.bucket, key })));
    const present = heads.every((h, i) => h?.sha256 === shas[i] && h?.size === sizes[i]);
    let result: S3UploadResult = { partsUploaded: 0, partsReused: 0, uploadsAborted: 0 };
    if (present) {
      reporter.info(`${url} already holds this tarball (sha256 ${sha256}): not uploaded again`);
    } else {
      const writer = new S3UploadWriter({
        conn,
        objects: keys.map((key, i) => ({
          location: { bucket: location.bucket, key },
          size: sizes[i]!,
          contentType: contentType(split, compress),
          metadata: {
            [S3_METADATA.sha256]: shas[i]!,
            ...(split ? { [S3_METADATA.tarballSha256]: sha256 } : {}),
          },
        })),
        resume: input.resume,
        identityBytes: identityBytes(entries, compress),
      });
      try {
        await writer.prepare();
        const again = await writeTarball(entries, writer, compress, manifestFile, progress('uploading'));
        if (again !== sha256) {
          throw new AirgapError(
            'FS_ERROR',
            `the tarball for ${url} hashed ${again} on upload but ${sha256} on its first pass: a bundle file changed while it was being exported; nothing was completed`,
            { address: url, expected: sha256, actual: again },
            'export again once nothing is writing to the bundle directory',
          );
        }
        result = await writer.commit();
      } catch (e) {
        await writer.abort();
        throw e;
      }
      if (result.partsReused > 0) {
        reporter.info(`resumed an interrupted upload: ${result.partsReused} parts were already in S3`);
      }
    }
    const staleDeleted = split ? await deleteStaleParts(conn, location, keys.length) : [];
    return {
      parts,
      bytes: total,
      sha256,
      upload: { alreadyPresent: present, ...result, staleDeleted },
    };
  } finally {
    await conn.close();
  }
}

/** KEY.NNN objects numbered at or past `count`, which `cat`-style readers would append. */
async function deleteStaleParts(
  conn: ReturnType<typeof connectS3>,
  location: S3Location,
  count: number,
): Promise<string[]> {
  const prefix = `${location.key}.`;
  const stale = (await listObjects(conn, location.bucket, prefix))
    .map((o) => o.key)
    .filter((key) => {
      const suffix = key.slice(prefix.length);
      return (
        /^\d{3,}$/.test(suffix) &&
        Number(suffix) >= count &&
        key === `${location.key}${TRANSFER.partSuffix(Number(suffix))}`
      );
    });
  if (stale.length > 0) await deleteObjects(conn, location.bucket, stale);
  return stale.map((key) => formatS3Url({ bucket: location.bucket, key }));
}
