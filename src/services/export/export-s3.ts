// `airgap export --tarball s3://BUCKET/KEY` (docs/S3.md): the tarball streamed into
// S3 in one pass, with no temporary file. Every object carries the tarball's content
// id (core/s3/content-id.ts), known before streaming: a re-run whose objects already
// hold this content sends nothing. The sha256 of each object is only known once it is
// streamed, after S3 fixed the object's metadata, so it goes into a checksum object
// beside it, KEY.sha256, in `sha256sum` format, written last.

import { connectS3, type S3AccessOptions, type S3Connection } from '../../adapters/s3/client.js';
import {
  deleteObjects,
  getSmallObject,
  headObject,
  listObjects,
  putObject,
} from '../../adapters/s3/objects.js';
import { openUploadsFor, S3UploadWriter, type S3UploadResult } from '../../adapters/s3/upload-writer.js';
import { tarArchiveSize } from '../../adapters/archive/tar-write.js';
import { BUNDLE, S3_CHECKSUM_SUFFIX, S3_METADATA, TRANSFER } from '../../core/layout/names.js';
import type { Reporter } from '../../core/ports.js';
import { checksumListing, parseChecksumListing, tarballContentId } from '../../core/s3/content-id.js';
import { formatS3Url, type S3Location } from '../../core/s3/url.js';
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
  /** True when every object already held this content (by its content id): nothing was sent. */
  alreadyPresent: boolean;
  /** The checksum object: `sha256sum` lines for every object. */
  checksums: string;
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

/** A checksum object longer than this is not ours. */
const MAX_CHECKSUM_OBJECT = 1 << 20;

/**
 * Bytes from the start of the tarball to the end of SHA256SUMS: a first part at least
 * this long pins down the whole tarball. gzip output may be a little longer than its
 * input, hence the margin.
 */
function identityBytes(entries: PackStreamEntry[], compress: Compression): number {
  const sums = entries.findIndex((e) => e.name === BUNDLE.checksums);
  const tar = tarArchiveSize(entries.slice(0, sums + 1));
  return compress === 'gzip' ? gzipBound(tar) : tar;
}

/** An upper bound on gzip's output for `n` input bytes (stored blocks at worst, plus framing). */
function gzipBound(n: number): number {
  return n + Math.ceil(n / 64) + (64 << 10);
}

function contentType(split: boolean, compress: Compression): string {
  if (split) return 'application/octet-stream';
  return compress === 'gzip' ? 'application/gzip' : 'application/x-tar';
}

function baseName(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

export async function uploadTarball(input: S3ExportInput): Promise<S3ExportOutput> {
  const { entries, compress, splitSize, manifestFile, location, reporter } = input;
  const split = splitSize !== undefined;
  const url = formatS3Url(location);
  const checksumAt = { bucket: location.bucket, key: `${location.key}${S3_CHECKSUM_SUFFIX}` };
  const contentId = tarballContentId({
    entries: entries.map((e) => ({
      type: e.type,
      name: e.name,
      mode: e.mode,
      size: e.size,
      mtime: e.mtime,
      ...(e.pack.type === 'file' ? { sha256: e.pack.sha256 } : {}),
    })),
    compress,
    ...(split ? { splitSize } : {}),
  });

  const conn = connectS3(input.access);
  // Made before the look for this export: its hashing thread starts meanwhile.
  const writer = new S3UploadWriter({
    conn,
    location,
    ...(split ? { splitSize } : {}),
    maxBytes: compress === 'gzip' ? gzipBound(input.tarBytes) : input.tarBytes,
    contentType: contentType(split, compress),
    metadata: { [S3_METADATA.contentId]: contentId },
    resume: input.resume,
    identityBytes: identityBytes(entries, compress),
  });
  try {
    // The open uploads are listed beside the look for this export (read only: unused
    // when it is already there).
    const open = openUploadsFor({ conn, location, ...(split ? { splitSize } : {}) });
    open.catch(() => undefined);
    const present = await presentExport(conn, location, checksumAt, contentId);
    if (present !== undefined) {
      reporter.info(`${url} already holds this tarball (sha256 ${present.sha256}): not uploaded again`);
      const staleDeleted = split ? await deleteStaleParts(conn, location, present.parts.length) : [];
      return {
        ...present,
        upload: {
          alreadyPresent: true,
          checksums: formatS3Url(checksumAt),
          partsUploaded: 0,
          partsReused: 0,
          uploadsAborted: 0,
          staleDeleted,
        },
      };
    }

    let done = 0;
    const label = `uploading ${url}`;
    reporter.progress?.({ phase: 'task', label, done, total: input.tarBytes });
    let sha256: string;
    let objects;
    try {
      await writer.prepare(open);
      // Every file is checked against SHA256SUMS as it streams: a file that changed
      // fails the stream, and nothing is completed.
      sha256 = await writeTarball(
        entries,
        writer,
        compress,
        manifestFile,
        (n) => {
          done += n;
          reporter.progress?.({ phase: 'task', label, done, total: input.tarBytes });
        },
        writer,
      );
      // The old checksum object would name the old bytes while the new objects complete.
      await deleteObjects(conn, checksumAt.bucket, [checksumAt.key]);
      objects = await writer.commit();
    } catch (e) {
      await writer.abort();
      throw e;
    }
    const result: S3UploadResult = writer.result;
    if (result.partsReused > 0) {
      reporter.info(`resumed an interrupted upload: ${result.partsReused} parts were already in S3`);
    }
    const listing = objects.map((o) => ({ name: baseName(o.location.key), sha256: o.sha256 ?? sha256 }));
    await putObject(conn, checksumAt, Buffer.from(checksumListing(listing), 'utf8'), {
      contentType: 'text/plain; charset=utf-8',
      metadata: { [S3_METADATA.contentId]: contentId, [S3_METADATA.tarballSha256]: sha256 },
    });
    const staleDeleted = split ? await deleteStaleParts(conn, location, objects.length) : [];
    return {
      parts: objects.map((o) => ({ path: formatS3Url(o.location), size: o.size })),
      bytes: objects.reduce((n, o) => n + o.size, 0),
      sha256,
      upload: { alreadyPresent: false, checksums: formatS3Url(checksumAt), ...result, staleDeleted },
    };
  } finally {
    await writer.close();
    await conn.close();
  }
}

/**
 * The export already in S3, when the checksum object and every object it names carry
 * this content id (an export interrupted after completing its objects has no
 * checksum object yet, and is uploaded again).
 */
async function presentExport(
  conn: S3Connection,
  location: S3Location,
  checksumAt: S3Location,
  contentId: string,
): Promise<Omit<S3ExportOutput, 'upload'> | undefined> {
  const head = await headObject(conn, checksumAt);
  if (head?.metadata[S3_METADATA.contentId] !== contentId) return undefined;
  const sha256 = head.metadata[S3_METADATA.tarballSha256];
  const text = await getSmallObject(conn, checksumAt, MAX_CHECKSUM_OBJECT);
  const lines = text === undefined ? undefined : parseChecksumListing(text.toString('utf8'));
  if (sha256 === undefined || lines === undefined || lines.length === 0) return undefined;
  const dir = location.key.slice(0, location.key.lastIndexOf('/') + 1);
  const heads = await Promise.all(
    lines.map((l) => headObject(conn, { bucket: location.bucket, key: `${dir}${l.name}` })),
  );
  if (!heads.every((h) => h?.metadata[S3_METADATA.contentId] === contentId)) return undefined;
  const parts = lines.map((l, i) => ({
    path: formatS3Url({ bucket: location.bucket, key: `${dir}${l.name}` }),
    size: heads[i]!.size,
  }));
  return { parts, bytes: parts.reduce((n, p) => n + p.size, 0), sha256 };
}

/** KEY.NNN objects numbered at or past `count`, which `cat`-style readers would append. */
async function deleteStaleParts(conn: S3Connection, location: S3Location, count: number): Promise<string[]> {
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
