// "Did you mean": edit distances (a swap of neighbours is one edit) and when a name is
// near enough to suggest.
import { describe, expect, it } from 'vitest';

import { closest, editDistance } from '../../src/core/closest.js';

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['', 'abc', 3],
    ['trusted-kye', 'trusted-key', 1], // a swap
    ['dset', 'dest', 1],
    ['lockfil', 'lockfile', 1],
    ['platfrom', 'platform', 1],
    ['kitten', 'sitting', 3],
    ['tofu', 'terraform', 7],
  ])('%j to %j is %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });
});

describe('closest', () => {
  const FLAGS = ['trusted-key', 'tofu-key', 'terraform-key', 'lockfile', 'all', 'json', 'quiet', 'verbose'];

  it('names the nearest known name', () => {
    expect(closest('trusted-kye', FLAGS)).toBe('trusted-key');
    expect(closest('lockfiles', FLAGS)).toBe('lockfile');
    expect(closest('tofu-kye', FLAGS)).toBe('tofu-key');
    expect(closest('jsn', FLAGS)).toBe('json');
  });

  it('suggests nothing far away: at most one edit, or a third of the length', () => {
    expect(closest('zzzz', FLAGS)).toBeUndefined();
    expect(closest('trust', FLAGS)).toBeUndefined();
    expect(closest('al', FLAGS)).toBe('all');
    expect(closest('x', FLAGS)).toBeUndefined();
  });

  it('a tie goes to the first listed', () => {
    expect(closest('ab', ['ax', 'ay'])).toBe('ax');
  });
});
