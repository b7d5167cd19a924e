import { describe, expect, it } from 'vitest';
import { decideRange, etagOf, ifRangeAllows, noneMatchHits } from '../../../src/core/serve/range.js';

describe('decideRange', () => {
  it.each([
    [undefined, 100, { kind: 'full' }],
    ['bytes=0-9', 100, { kind: 'partial', start: 0, end: 9 }],
    ['bytes=90-', 100, { kind: 'partial', start: 90, end: 99 }],
    ['bytes=90-500', 100, { kind: 'partial', start: 90, end: 99 }],
    ['bytes=-10', 100, { kind: 'partial', start: 90, end: 99 }],
    ['bytes=-500', 100, { kind: 'partial', start: 0, end: 99 }],
    ['bytes=100-', 100, { kind: 'unsatisfiable' }],
    ['bytes=-0', 100, { kind: 'unsatisfiable' }],
    ['bytes=-5', 0, { kind: 'unsatisfiable' }],
    ['bytes=9-3', 100, { kind: 'full' }],
    ['bytes=0-1,5-6', 100, { kind: 'full' }],
    ['items=0-1', 100, { kind: 'full' }],
    ['bytes=-', 100, { kind: 'full' }],
  ] as const)('%s of %i bytes', (header, size, expected) => {
    expect(decideRange(header, size)).toEqual(expected);
  });
});

describe('conditional requests', () => {
  const etag = etagOf('ab'.repeat(32));
  it('makes a strong ETag from the sha256', () => {
    expect(etag).toBe(`"sha256:${'ab'.repeat(32)}"`);
  });
  it('If-None-Match: *, a list, a weak form of ours', () => {
    expect(noneMatchHits(undefined, etag)).toBe(false);
    expect(noneMatchHits('*', etag)).toBe(true);
    expect(noneMatchHits(`"x", ${etag}`, etag)).toBe(true);
    expect(noneMatchHits(`W/${etag}`, etag)).toBe(true);
    expect(noneMatchHits('"x"', etag)).toBe(false);
  });
  it('If-Range: only our ETag keeps the range', () => {
    expect(ifRangeAllows(undefined, etag)).toBe(true);
    expect(ifRangeAllows(etag, etag)).toBe(true);
    expect(ifRangeAllows('"other"', etag)).toBe(false);
    expect(ifRangeAllows('Wed, 21 Oct 2015 07:28:00 GMT', etag)).toBe(false);
    expect(ifRangeAllows(etag, undefined)).toBe(false);
  });
});
