// resolveToolVersions: exact versions need no list; constraints pick the newest
// listed match; prereleases only when named exactly; unsatisfiable ones say why.
import { describe, expect, it } from 'vitest';

import { AirgapError } from '../../../src/core/errors.js';
import { needsReleaseList, resolveToolVersions } from '../../../src/core/releases/index.js';

// Shaped like get.opentofu.org's list (unordered on purpose: the resolver must not rely on order).
const AVAILABLE = [
  '1.9.0',
  '1.6.0',
  '1.8.1',
  '1.10.0-alpha1',
  '1.6.2',
  '1.7.0',
  '1.9.0-rc1',
  '1.7.3',
  '1.8.0',
  '1.9.1',
  '1.8.5',
  '1.8.8',
  '1.9.0-rc2',
];

function failure(f: () => unknown): AirgapError {
  try {
    f();
  } catch (e) {
    if (e instanceof AirgapError) return e;
    throw e;
  }
  throw new Error('expected an AirgapError, but the call returned');
}

describe('resolveToolVersions', () => {
  it.each([
    ['~> 1.8', '1.9.1'], // the minor may grow
    ['~> 1.8.0', '1.8.8'], // only the patch may grow
    ['~> 1', '1.9.1'],
    ['>= 1.6, < 1.9, != 1.8.1', '1.8.8'],
    ['>= 1.6, < 1.8.2, != 1.8.1', '1.8.0'], // != removes the newest match
    ['> 1.8', '1.9.1'],
    ['<= 1.7.3', '1.7.3'],
    ['< 1.7', '1.6.2'],
    ['>= 1.9.0-rc1', '1.9.1'], // a prerelease bound does not admit other prereleases
    ['>= 1.9.0-rc1, < 1.9.1', '1.9.0'],
    ['= 1.9.0-rc2, != 1.9.0', '1.9.0-rc2'], // named exactly by "=": allowed
    ['1.8', '1.8.0'], // omitted parts count as 0, as in tofu constraints
    ['  ~> 1.8.0  ', '1.8.8'],
    // No space after the operator, as tofu accepts in required_providers.
    ['~>1.8', '1.9.1'],
    ['~>1.8.0', '1.8.8'],
    ['>=1.6,<1.9', '1.8.8'],
    ['>=1.6,<1.9,!=1.8.8', '1.8.5'],
    // The newest stable release: 1.10.0-alpha1 is newer, but a prerelease.
    ['latest', '1.9.1'],
    ['  latest ', '1.9.1'],
  ])('%s -> %s', (constraint, expected) => {
    expect(resolveToolVersions([constraint], AVAILABLE, 'tofu')).toEqual([expected]);
  });

  it('takes exact versions as given, with no list and without consulting one', () => {
    expect(resolveToolVersions(['1.8.5'], undefined)).toEqual(['1.8.5']);
    expect(resolveToolVersions(['= 1.8.5'], undefined)).toEqual(['1.8.5']);
    expect(resolveToolVersions(['1.9.0-rc1'], undefined)).toEqual(['1.9.0-rc1']);
    // Not listed, still taken: the download itself will tell if it does not exist.
    expect(resolveToolVersions(['1.2.3'], AVAILABLE)).toEqual(['1.2.3']);
  });

  it('returns each version once, in ascending order', () => {
    expect(resolveToolVersions(['~> 1.8.0', '1.8.8', '1.6.0', '1.10.0-alpha1'], AVAILABLE)).toEqual([
      '1.6.0',
      '1.8.8',
      '1.10.0-alpha1',
    ]);
  });

  it('never picks a prerelease for a constraint that does not name it', () => {
    const err = failure(() => resolveToolVersions(['~> 1.10'], AVAILABLE, 'tofu'));
    expect(err.code).toBe('RELEASE_NOT_FOUND');
    expect(err.message).toBe(
      'no tofu release matches "~> 1.10" (13 listed; newest: 1.9.1, 1.9.0, 1.8.8, 1.8.5, 1.8.1)',
    );
    expect(err.details).toEqual({ expected: '~> 1.10', actual: '1.9.1, 1.9.0, 1.8.8, 1.8.5, 1.8.1' });
  });

  it('names the constraint and the newest versions when nothing matches', () => {
    const err = failure(() => resolveToolVersions(['1.8.5', '>= 2.0'], AVAILABLE, 'terraform'));
    expect(err.code).toBe('RELEASE_NOT_FOUND');
    expect(err.message).toContain('no terraform release matches ">= 2.0"');
    expect(err.message).toContain('newest: 1.9.1, 1.9.0, 1.8.8, 1.8.5, 1.8.1');
    const empty = failure(() => resolveToolVersions(['~> 1.8'], []));
    expect(empty.message).toBe('no release matches "~> 1.8" (0 listed; newest: none)');
  });

  it('latest needs a stable release in the list', () => {
    const err = failure(() => resolveToolVersions(['latest'], ['1.10.0-alpha1', '1.9.0-rc1'], 'tofu'));
    expect(err.code).toBe('RELEASE_NOT_FOUND');
    expect(err.message).toBe('no tofu release matches "latest" (2 listed; newest: none)');
  });

  it('refuses a constraint when no list was given', () => {
    const err = failure(() => resolveToolVersions(['~> 1.8'], undefined, 'tofu'));
    expect(err.code).toBe('USAGE');
    expect(err.message).toBe('tofu "~> 1.8" is a constraint, and no release list was given to resolve it');
  });

  const SYNTAX = 'expected a version (1.8.5), latest, or constraints like "~> 1.8", ">= 1.6, < 1.9"';
  it.each([
    [
      '>=  1.8',
      `--tofu ">=  1.8": invalid specification ">=  1.8": only one space is expected after the operator ">="; ${SYNTAX}`,
    ],
    ['~> 1.8 1.9', `--tofu "~> 1.8 1.9": missing comma after "~> 1.8"; ${SYNTAX}`],
    ['', `--tofu: empty version or constraint; ${SYNTAX}`],
    ['^1.8', `--tofu "^1.8": invalid specification "^1.8": invalid constraint operator "^"; ${SYNTAX}`],
    [
      '=>1.8',
      `--tofu "=>1.8": invalid specification "=>1.8": invalid constraint operator "=>"; did you mean ">="?; ${SYNTAX}`,
    ],
    [
      'v1.8.5',
      `--tofu "v1.8.5": invalid specification "v1.8.5": a "v" prefix should not be used when specifying versions; ${SYNTAX}`,
    ],
  ])('rejects the syntax of %j with USAGE, naming the flag and the syntax', (text, message) => {
    const err = failure(() => resolveToolVersions([text], AVAILABLE, 'tofu'));
    expect(err.code).toBe('USAGE');
    expect(err.message).toBe(message);
    expect(err.remedy).toBe(
      'operators: = != > >= < <= ~> (one space after the operator, or none); join constraints with ","',
    );
  });

  it('names --terraform for a terraform constraint', () => {
    expect(failure(() => needsReleaseList(['1.9.8', '~>'], 'terraform')).message).toBe(
      `--terraform "~>": an operator without a version; ${SYNTAX}`,
    );
  });
});

describe('needsReleaseList', () => {
  it('is false only when every request is exact', () => {
    expect(needsReleaseList(['1.8.5', '= 1.9.0', '1.9.0-rc1'])).toBe(false);
    expect(needsReleaseList(['1.8.5', '~> 1.8'])).toBe(true);
    expect(needsReleaseList(['=1.8.5'])).toBe(false);
    expect(needsReleaseList(['~>1.8'])).toBe(true);
    expect(needsReleaseList(['latest'])).toBe(true);
    expect(needsReleaseList(['1.8'])).toBe(true);
    expect(needsReleaseList([])).toBe(false);
  });

  it('checks the syntax before anything is fetched', () => {
    expect(failure(() => needsReleaseList(['1.8.5', '>>= 1'], 'terraform')).code).toBe('USAGE');
  });
});
