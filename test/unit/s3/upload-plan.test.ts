import { describe, expect, it } from 'vitest';
import { objectSizes, uploadPartCount, uploadPartSize } from '../../../src/core/s3/upload-plan.js';

const MIB = 1024 * 1024;

describe('S3 upload plan', () => {
  it('cuts objects in 8 MiB parts, larger (whole MiB) only past 10,000 parts', () => {
    expect(uploadPartSize(0)).toBe(8 * MIB);
    expect(uploadPartSize(40 * MIB)).toBe(8 * MIB);
    expect(uploadPartCount(40 * MIB + 1)).toBe(6);
    expect(uploadPartCount(0)).toBe(1);
    expect(uploadPartSize(10_000 * 8 * MIB)).toBe(8 * MIB);
    expect(uploadPartSize(10_000 * 8 * MIB + 1)).toBe(9 * MIB);
    expect(uploadPartSize(5 * 1024 * 1024 * MIB)).toBe(525 * MIB); // 5 TiB, S3's object limit
    expect(uploadPartCount(5 * 1024 * 1024 * MIB)).toBe(9987);
  });

  it('gives the split objects their sizes: splitSize each but the last', () => {
    expect(objectSizes(100)).toEqual([100]);
    expect(objectSizes(100, 40)).toEqual([40, 40, 20]);
    expect(objectSizes(80, 40)).toEqual([40, 40]);
    expect(objectSizes(0, 40)).toEqual([0]);
  });
});
