// How a tarball is cut for S3 (docs/S3.md): one object, or with --split-size one
// object per part (KEY.000, KEY.001, ... as on disk), each sent as a multipart upload
// in parts of a size that depends only on the object's size, so that a re-run cuts
// the same parts and can tell which ones an interrupted run already uploaded.

/** S3 allows at most 10,000 parts per upload. */
export const MAX_UPLOAD_PARTS = 10_000;
/** 16 MiB: above S3's 5 MiB minimum, few enough requests, and bounded memory at 4 in flight. */
export const DEFAULT_PART_SIZE = 16 * 1024 * 1024;
const MIB = 1024 * 1024;

/** The part size for an object of `size` bytes: 16 MiB, or larger (whole MiB) when 10,000 parts would not hold it. */
export function uploadPartSize(size: number): number {
  const needed = Math.ceil(size / MAX_UPLOAD_PARTS / MIB) * MIB;
  return Math.max(DEFAULT_PART_SIZE, needed);
}

/** How many parts an object of `size` bytes is sent in (an empty object still takes one). */
export function uploadPartCount(size: number): number {
  return Math.max(1, Math.ceil(size / uploadPartSize(size)));
}

/** The sizes of the objects `total` bytes make: [total] unsplit, else splitSize each but the last. */
export function objectSizes(total: number, splitSize?: number): number[] {
  if (splitSize === undefined) return [total];
  const sizes: number[] = [];
  for (let left = total; left > 0; left -= splitSize) sizes.push(Math.min(splitSize, left));
  return sizes.length === 0 ? [0] : sizes;
}
