// --split-size parsing and the part-count limit (docs/TRANSFER-FORMAT.md, "Split parts").

import { describe, expect, it } from 'vitest';

import { AirgapError } from '../../../src/core/errors.js';
import {
  MAX_SPLIT_PARTS,
  checkPartCount,
  parseSplitSize,
  partCount,
  partLimitExceeded,
  partName,
} from '../../../src/core/transfer/pack-size.js';

function caught(f: () => unknown): AirgapError {
  try {
    f();
  } catch (e) {
    if (e instanceof AirgapError) return e;
    throw e;
  }
  throw new Error('expected a failure, but the call succeeded');
}

describe('parseSplitSize', () => {
  it('reads bytes and K/M/G/T as powers of 1024, any case', () => {
    expect(parseSplitSize('700M')).toBe(734003200);
    expect(parseSplitSize('4G')).toBe(4294967296);
    expect(parseSplitSize('4g')).toBe(4294967296);
    expect(parseSplitSize('1T')).toBe(1099511627776);
    expect(parseSplitSize('64k')).toBe(65536);
    expect(parseSplitSize('10000')).toBe(10000);
    expect(parseSplitSize(' 1M ')).toBe(1048576);
  });

  it('refuses what it would have to guess at', () => {
    for (const bad of ['0', '4GB', '1.5G', '-1M', 'M', '', '4 G', '99999999999999999T']) {
      const e = caught(() => parseSplitSize(bad));
      expect(e.code).toBe('USAGE');
      expect(e.message).toBe(
        `--split-size "${bad}" is not a size: expected a whole number of bytes, optionally with K, M, G or T (powers of 1024), e.g. 700M or 4G`,
      );
    }
  });
});

describe('part naming and limits', () => {
  it('names parts FILE.000 ... FILE.999 and counts them', () => {
    expect(partName('/m/b.tar', 0)).toBe('/m/b.tar.000');
    expect(partName('/m/b.tar', 999)).toBe('/m/b.tar.999');
    expect(partCount(0, 10)).toBe(1);
    expect(partCount(10, 10)).toBe(1);
    expect(partCount(11, 10)).toBe(2);
    expect(MAX_SPLIT_PARTS).toBe(1000);
  });

  it('refuses a size that would need more than 1000 parts', () => {
    expect(() => checkPartCount(10_000, 10, 'b.tar')).not.toThrow();
    const e = caught(() => checkPartCount(10_001, 10, 'b.tar'));
    expect(e.code).toBe('USAGE');
    expect(e.message).toBe(
      '--split-size 10 bytes would cut b.tar (10001 bytes) into 1001 parts; at most 1000 (b.tar.000 to b.tar.999) are allowed: choose a larger size',
    );
    expect(partLimitExceeded('b.tar', 10).message).toBe(
      '--split-size 10 bytes: b.tar needs more than 1000 parts (b.tar.000 to b.tar.999): choose a larger size',
    );
  });
});
