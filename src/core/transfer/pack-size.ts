// Sizes on the export command line (`--split-size 700M`) and the limit on the
// number of split parts (docs/TRANSFER-FORMAT.md, "Split parts").

import { AirgapError } from '../errors.js';
import { TRANSFER } from '../layout/names.js';

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/**
 * Parts are named FILE.000 ... FILE.999. A thousandth part would be FILE.1000, which
 * `cat FILE.*` sorts between FILE.100 and FILE.101, so the format stops at 1000 parts.
 */
export const MAX_SPLIT_PARTS = 1000;

/**
 * "700M" -> 700 * 1024^2. A whole number with an optional K, M, G or T (powers of 1024,
 * case-insensitive); a bare number is bytes. "4GB" and "1.5G" are refused rather than
 * guessed at (is GB 10^9 or 2^30?).
 */
export function parseSplitSize(text: string): number {
  const m = /^(\d+)([KMGT]?)$/i.exec(text.trim());
  const unit = m === null ? undefined : UNITS[(m[2] ?? '').toUpperCase()];
  const bytes = m === null || unit === undefined ? NaN : Number(m[1]) * unit;
  if (!Number.isSafeInteger(bytes) || bytes < 1) {
    throw new AirgapError(
      'USAGE',
      `--split-size "${text}" is not a size: expected a whole number of bytes, optionally with K, M, G or T (powers of 1024), e.g. 700M or 4G`,
      { expected: 'e.g. 700M, 4G, 1048576', actual: text },
    );
  }
  return bytes;
}

/** How many parts `total` bytes make at `splitSize` bytes each (an empty archive still makes one part). */
export function partCount(total: number, splitSize: number): number {
  return Math.max(1, Math.ceil(total / splitSize));
}

/** Throws USAGE when `total` bytes would need more parts than the format allows. */
export function checkPartCount(total: number, splitSize: number, tarball: string): void {
  const n = partCount(total, splitSize);
  if (n <= MAX_SPLIT_PARTS) return;
  throw new AirgapError(
    'USAGE',
    `--split-size ${splitSize} bytes would cut ${tarball} (${total} bytes) into ${n} parts; at most ${MAX_SPLIT_PARTS} (${partName(tarball, 0)} to ${partName(tarball, MAX_SPLIT_PARTS - 1)}) are allowed: choose a larger size`,
    { path: tarball, expected: `at most ${MAX_SPLIT_PARTS} parts`, actual: `${n} parts` },
  );
}

/** For output whose size is only known as it is written (gzip): the part after FILE.999 was needed. */
export function partLimitExceeded(tarball: string, splitSize: number): AirgapError {
  return new AirgapError(
    'USAGE',
    `--split-size ${splitSize} bytes: ${tarball} needs more than ${MAX_SPLIT_PARTS} parts (${partName(tarball, 0)} to ${partName(tarball, MAX_SPLIT_PARTS - 1)}): choose a larger size`,
    {
      path: tarball,
      expected: `at most ${MAX_SPLIT_PARTS} parts`,
      actual: `more than ${MAX_SPLIT_PARTS} parts`,
    },
  );
}

export function partName(tarball: string, index: number): string {
  return `${tarball}${TRANSFER.partSuffix(index)}`;
}
