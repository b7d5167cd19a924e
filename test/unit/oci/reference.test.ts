// OCI reference grammar: registry, repository components, tags and digests.
import { describe, expect, it } from 'vitest';
import { AirgapError } from '../../../src/core/errors.js';
import {
  isValidDigest,
  isValidRepositoryName,
  isValidTag,
  joinRepository,
  parseOciReference,
  parseOciRepositoryPrefix,
} from '../../../src/core/oci/reference.js';

const DIGEST = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';

function failure(fn: () => unknown): AirgapError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AirgapError);
    return error as AirgapError;
  }
  throw new Error('expected an error');
}

describe('parseOciReference', () => {
  it('splits registry, repository, tag and digest', () => {
    expect(parseOciReference('Registry.Example:5000/tofu/hashicorp/null:3.2.1')).toEqual({
      registry: 'registry.example:5000',
      repository: 'tofu/hashicorp/null',
      tag: '3.2.1',
    });
    expect(parseOciReference(`localhost/a@${DIGEST}`)).toEqual({
      registry: 'localhost',
      repository: 'a',
      digest: DIGEST,
    });
    expect(parseOciReference(`127.0.0.1:5000/a/b:v1@${DIGEST}`)).toEqual({
      registry: '127.0.0.1:5000',
      repository: 'a/b',
      tag: 'v1',
      digest: DIGEST,
    });
    expect(parseOciReference('[::1]:5000/x__y/a-b.c')).toEqual({
      registry: '[::1]:5000',
      repository: 'x__y/a-b.c',
    });
  });

  it('rejects bad names with OCI_REFERENCE_INVALID and the offending part', () => {
    const cases: [string, string, string][] = [
      [
        'registry.example',
        'expected REGISTRY/REPOSITORY (the registry host is required)',
        'registry.example',
      ],
      ['r.example/Tofu/null', 'repository name "Tofu/null" must be lower-case', 'Tofu/null'],
      ['r.example/a//b', 'repository name "a//b"', 'a//b'],
      ['r.example/a/-b', 'repository name "a/-b"', 'a/-b'],
      ['r.example/a___b', 'repository name "a___b"', 'a___b'],
      ['r.example/a:.v1', 'tag ".v1" is not 1-128', '.v1'],
      [`r.example/a:${'t'.repeat(129)}`, 'tag "ttt', 't'.repeat(129)],
      ['r.example/a@sha256:ABC', 'digest "sha256:ABC" is not ALGORITHM:HEX', 'sha256:ABC'],
      ['r_x.example/a', 'registry "r_x.example" is not HOST[:PORT]', 'r_x.example'],
      ['r.example:99999/a', 'registry "r.example:99999" is not HOST[:PORT]', 'r.example:99999'],
    ];
    for (const [text, part, actual] of cases) {
      const error = failure(() => parseOciReference(text));
      expect(error.code, text).toBe('OCI_REFERENCE_INVALID');
      expect(error.message).toContain(`invalid OCI reference ${JSON.stringify(text)}: ${part}`);
      expect(error.details.actual).toBe(actual);
    }
    expect(failure(() => parseOciReference(`r.example/${'a'.repeat(256)}`)).message).toContain(
      'is 256 characters, more than 255',
    );
  });
});

describe('parseOciRepositoryPrefix', () => {
  it('takes a registry with or without a prefix', () => {
    expect(parseOciRepositoryPrefix('registry.example:5000/mirror/providers/')).toEqual({
      registry: 'registry.example:5000',
      prefix: 'mirror/providers',
    });
    expect(parseOciRepositoryPrefix('registry.example')).toEqual({
      registry: 'registry.example',
      prefix: '',
    });
    expect(failure(() => parseOciRepositoryPrefix('r.example/a:tag')).message).toBe(
      'invalid OCI reference "r.example/a:tag": a repository prefix takes no tag or digest',
    );
    expect(joinRepository('mirror', 'hashicorp/null')).toBe('mirror/hashicorp/null');
    expect(joinRepository('', 'null')).toBe('null');
    expect(failure(() => joinRepository('mirror', 'Null')).code).toBe('OCI_REFERENCE_INVALID');
  });
});

describe('validators', () => {
  it('follow the distribution spec grammar', () => {
    expect(['a', 'a0/b-c/d.e', 'a--b', 'a__b', 'a_b'].map(isValidRepositoryName)).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(['A', 'a/', '/a', 'a-', 'a..b', 'a b', ''].map(isValidRepositoryName)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(['v1', '_x', 'X.y-z', 'a'.repeat(128)].map(isValidTag)).toEqual([true, true, true, true]);
    expect(['-x', '.x', '', 'a'.repeat(129), 'a/b'].map(isValidTag)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(isValidDigest(DIGEST)).toBe(true);
    expect(isValidDigest(`sha512:${'0'.repeat(128)}`)).toBe(true);
    expect(isValidDigest(`sha256:${'0'.repeat(63)}`)).toBe(false);
    expect(isValidDigest(`sha256:${'A'.repeat(64)}`)).toBe(false);
    expect(isValidDigest('blake3+x:abcDEF=')).toBe(true);
  });
});
