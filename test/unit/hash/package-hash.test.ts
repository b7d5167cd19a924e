// hashH1 / hashZh / parsePackageHash / packageMatchesAny with inline data.
// Expected h1 values not taken from upstream were computed independently with Python's
// hashlib (sorted by UTF-8 bytes), not with this code.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AirgapError } from '../../../src/core/errors.js';
import {
  hashH1,
  hashZh,
  packageMatchesAny,
  parsePackageHash,
  type FileDigest,
} from '../../../src/core/hash/package-hash.js';

function sha(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

function file(name: string | Uint8Array, content: string): FileDigest {
  return { name, sha256: sha(content) };
}

function caught(fn: () => unknown): AirgapError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AirgapError);
    return e as AirgapError;
  }
  throw new Error('expected an AirgapError');
}

const EMPTY_H1 = 'h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';

describe('hashH1', () => {
  it('matches golang/mod TestHash1 (abc, xyz) in any input order', () => {
    const abc = file('abc', 'data for abc');
    const xyz = file('xyz', 'data for xyz');
    expect(hashH1([abc, xyz])).toBe('h1:EP6WfDoQTSk9klnxcjriWJOGztueJUywHNmWeq+efB8=');
    expect(hashH1([xyz, abc])).toBe('h1:EP6WfDoQTSk9klnxcjriWJOGztueJUywHNmWeq+efB8=');
  });

  it('hashes names with their prefix as given (golang/mod TestHashDir/TestHashZip)', () => {
    const files = [file('prefix/xyz', 'data for xyz'), file('prefix/abc', 'data for abc')];
    expect(hashH1(files)).toBe('h1:rLyfpGMAgqOnGE2aKOY5Xb6cOc0/YQhPjHBHBwkblhs=');
  });

  it('gives the empty-package hash for no files (opentofu emptyPackageHashV1)', () => {
    expect(hashH1([])).toBe(EMPTY_H1);
  });

  it('sorts by UTF-8 bytes, not by JS UTF-16 code units', () => {
    // U+FF5E is 0xFF5E in UTF-16 but EF BD 9E in UTF-8; U+1F600 is 0xD83D... in UTF-16 but F0 9F ... in UTF-8.
    const tilde = file('\uFF5E.txt', 'fullwidth tilde');
    const face = file('\u{1F600}.txt', 'grinning face');
    expect(['\uFF5E.txt', '\u{1F600}.txt'].sort()[0]).toBe('\u{1F600}.txt'); // the JS order we must not use
    expect(hashH1([face, tilde])).toBe('h1:bhal0OQzB4f3Pb/Y53XqTYruMAWHLUmGHM8OQ7VM/iQ=');
    expect(hashH1([tilde, face])).toBe('h1:bhal0OQzB4f3Pb/Y53XqTYruMAWHLUmGHM8OQ7VM/iQ=');
    // The hash JS-order sorting would produce, so the test can tell the two apart.
    expect(hashH1([face, tilde])).not.toBe('h1:aE15OjEZdKPGn3Af+9nqrb+TcpfVe2b/hd8/0FW6lhQ=');
  });

  it('hashes raw name bytes that are not valid UTF-8', () => {
    const raw = new Uint8Array([...Buffer.from('caf'), 0xe9, ...Buffer.from('.txt')]);
    expect(hashH1([file(raw, 'latin-1 name')])).toBe('h1:3HL0sYl+YJenSJ4lwg2qRqp7rWaZ7ymr6wDj58MBkkI=');
  });

  it('treats a string name and its UTF-8 bytes alike', () => {
    const fromString = hashH1([file('café.txt', 'provider content')]);
    const fromBytes = hashH1([file(new Uint8Array(Buffer.from('café.txt', 'utf8')), 'provider content')]);
    expect(fromString).toBe('h1:mhCPfNU/KjrNmtYY+P1iAT4o+PXmNLq8jJINomI60Jc=');
    expect(fromBytes).toBe(fromString);
  });

  it('rejects a name containing a newline', () => {
    const e = caught(() => hashH1([file('ok', 'x'), file('evil\nname', 'y')]));
    expect(e.code).toBe('HASH_INPUT_INVALID');
    expect(e.message).toContain('"evil\\nname"');
    expect(e.message).toContain('newline');
  });

  it('rejects a digest that is not 64 lower-case hex digits', () => {
    const upper = sha('x').toUpperCase();
    const e = caught(() => hashH1([{ name: 'a', sha256: upper }]));
    expect(e.code).toBe('HASH_INPUT_INVALID');
    expect(e.details.actual).toBe(upper);
    expect(caught(() => hashH1([{ name: 'a', sha256: 'abc' }])).code).toBe('HASH_INPUT_INVALID');
  });

  it('rejects the same name twice', () => {
    const e = caught(() => hashH1([file('dup', 'one'), file('dup', 'two')]));
    expect(e.code).toBe('HASH_INPUT_INVALID');
    expect(e.message).toContain('"dup" appears more than once');
  });
});

describe('hashZh', () => {
  it('prefixes the zip digest and lower-cases it', () => {
    const hex = '299dd806df78cb0537e5c111019eaca6e6b7797e1b63cb37cc6a76f91c6c0782';
    expect(hashZh(hex)).toBe(`zh:${hex}`);
    expect(hashZh(hex.toUpperCase())).toBe(`zh:${hex}`);
  });

  it('rejects anything but 64 hex digits', () => {
    expect(caught(() => hashZh('zh:299dd8')).code).toBe('HASH_INPUT_INVALID');
    expect(caught(() => hashZh('g'.repeat(64))).details.actual).toBe('g'.repeat(64));
  });
});

describe('parsePackageHash', () => {
  it('splits known schemes', () => {
    expect(parsePackageHash('h1:qjsREM4DqEWECD43FcPqddZ9oxCG+IaMTxvWPciS05g=')).toEqual({
      scheme: 'h1',
      value: 'qjsREM4DqEWECD43FcPqddZ9oxCG+IaMTxvWPciS05g=',
    });
    expect(parsePackageHash('zh:4fb39849f2e138eb16a18ba0c682635d781cb8c3b25901dd5a792ade9711f501')).toEqual({
      scheme: 'zh',
      value: '4fb39849f2e138eb16a18ba0c682635d781cb8c3b25901dd5a792ade9711f501',
    });
  });

  it('keeps unknown schemes as they are', () => {
    expect(parsePackageHash('h2:some-future-value:with:colons')).toEqual({
      scheme: 'h2',
      value: 'some-future-value:with:colons',
    });
  });

  it.each([
    ['no colon', 'qjsREM4DqEWECD43FcPqddZ9oxCG+IaMTxvWPciS05g='],
    ['empty scheme', ':abc'],
    ['empty value', 'h1:'],
    ['space in value', 'h2:a b'],
    ['h1 too short', 'h1:qjsREM4DqEWECD43FcPqddZ9oxCG+IaMTxvWPciS05'],
    ['h1 not base64', 'h1:qjsREM4DqEWECD43FcPqddZ9oxCG_IaMTxvWPciS05g='],
    ['zh upper case', 'zh:4FB39849F2E138EB16A18BA0C682635D781CB8C3B25901DD5A792ADE9711F501'],
    ['zh short', 'zh:4fb39849'],
    ['upper-case scheme', 'H1:qjsREM4DqEWECD43FcPqddZ9oxCG+IaMTxvWPciS05g='],
  ])('rejects %s', (_label, input) => {
    const e = caught(() => parsePackageHash(input));
    expect(e.code).toBe('HASH_INPUT_INVALID');
    expect(e.details.actual).toBe(input);
    expect(e.message).toContain(JSON.stringify(input));
  });
});

describe('packageMatchesAny', () => {
  const pkg = {
    h1: 'h1:qjsREM4DqEWECD43FcPqddZ9oxCG+IaMTxvWPciS05g=',
    zh: 'zh:299dd806df78cb0537e5c111019eaca6e6b7797e1b63cb37cc6a76f91c6c0782',
  };

  it('matches on h1 or on zh', () => {
    expect(packageMatchesAny(pkg, ['zh:' + '0'.repeat(64), pkg.h1])).toBe(true);
    expect(packageMatchesAny(pkg, [pkg.zh])).toBe(true);
  });

  it('does not match other hashes, nothing, or values under the wrong scheme', () => {
    expect(packageMatchesAny(pkg, [])).toBe(false);
    expect(packageMatchesAny(pkg, ['h1:kGhswZiaZEZCbem7JPB+GCzba57SfLtNV20LNIBP1CU='])).toBe(false);
    expect(packageMatchesAny(pkg, ['h1:' + pkg.zh.slice(3)])).toBe(false);
    expect(packageMatchesAny(pkg, [pkg.h1.toLowerCase()])).toBe(false);
  });

  it('never matches an empty hash of a package without a zip', () => {
    expect(packageMatchesAny({ h1: pkg.h1, zh: '' }, [''])).toBe(false);
    expect(packageMatchesAny({ h1: pkg.h1, zh: '' }, [pkg.h1])).toBe(true);
  });
});
