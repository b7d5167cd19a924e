import { describe, expect, it } from 'vitest';
import { AirgapError } from '../../../src/core/errors.js';
import {
  compareVersions,
  formatVersion,
  formatVersionConstraints,
  parseVersion,
  scanVersion,
  scanVersionConstraints,
} from '../../../src/core/provider/version.js';

describe('scanVersion (go-versions ParseVersion)', () => {
  it('parses leniently; formatVersion gives the canonical form', () => {
    expect(formatVersion(scanVersion('1.2.3').value)).toBe('1.2.3');
    expect(formatVersion(scanVersion('1.0').value)).toBe('1.0.0');
    expect(formatVersion(scanVersion('1.02').value)).toBe('1.2.0');
    expect(scanVersion('6.0.0-beta3').value).toEqual({
      major: 6,
      minor: 0,
      patch: 0,
      prerelease: 'beta3',
      metadata: '',
    });
    expect(formatVersion(scanVersion('1.0.0-rc.1+build.5').value)).toBe('1.0.0-rc.1+build.5');
  });

  it('gives go-versions error messages', () => {
    expect(scanVersion('').error).toBe('empty specification');
    expect(scanVersion('v1.0.0').error).toBe('a "v" prefix should not be used');
    expect(scanVersion(' 1.0.0').error).toBe('extraneous spaces at start of specification');
    expect(scanVersion('>= 1.0.0').error).toBe(
      'can\'t use constraint operator ">="; an exact version is required',
    );
    expect(scanVersion('1.0.0 ').error).toBe('extraneous spaces at end of specification');
    expect(scanVersion('1.0.0, 2.0.0').error).toBe(
      "can't specify multiple versions; a single exact version is required",
    );
    expect(scanVersion('1.2.3.4').error).toBe(
      'too many numbered portions; only three are allowed (major, minor, patch)',
    );
    expect(scanVersion('1.x').error).toBe(
      "can't use wildcard for minor number; an exact version is required",
    );
    expect(scanVersion('abc').error).toBe(
      'invalid specification; required format is three positive integers separated by periods',
    );
    expect(scanVersion('1.0.0foo').error).toBe('invalid characters "foo"');
  });

  it('parseVersion requires the canonical form', () => {
    expect(parseVersion('5.31.0')).toEqual({ major: 5, minor: 31, patch: 0, prerelease: '', metadata: '' });
    expect(() => parseVersion('5.31')).toThrow(AirgapError);
    expect(() => parseVersion('5.31')).toThrow('version "5.31" must be written in normalized form "5.31.0"');
    expect(() => parseVersion('y')).toThrow(
      'invalid version "y": invalid specification; required format is three positive integers separated by periods',
    );
    expect(() => parseVersion('x')).toThrow(
      'invalid version "x": can\'t use wildcard for major number; an exact version is required',
    );
  });

  it('orders by semver precedence', () => {
    const v = (s: string) => scanVersion(s).value;
    const sorted = [
      '1.0.0',
      '1.0.0-rc.1',
      '1.0.0-beta.11',
      '1.0.0-beta.2',
      '1.0.0-alpha',
      '0.9.9',
      '1.0.0-alpha.1',
      '10.0.0',
      '2.0.0',
    ];
    expect(sorted.sort((a, b) => compareVersions(v(a), v(b)))).toEqual([
      '0.9.9',
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
      '2.0.0',
      '10.0.0',
    ]);
  });
});

describe('version constraints', () => {
  const canon = (s: string): string => {
    const r = scanVersionConstraints(s);
    expect(r.error).toBeUndefined();
    return formatVersionConstraints(r.value);
  };

  it('canonicalizes like getproviders.VersionConstraintsString', () => {
    expect(canon('~> 1')).toBe('~> 1.0');
    expect(canon('1.2')).toBe('1.2.0');
    expect(canon('= 1.2')).toBe('1.2.0');
    expect(canon('~> 3.2.0')).toBe('~> 3.2.0');
    expect(canon('< 4.0.0, >= 2.0.0, >= 2.0, >= 2')).toBe('>= 2.0.0, < 4.0.0');
    expect(canon('!= 1.5.0, <= 2.0.0, > 1.0.0')).toBe('> 1.0.0, != 1.5.0, <= 2.0.0');
    expect(canon('')).toBe('');
  });

  it('keeps the order of real compound constraints from lock files', () => {
    for (const real of [
      '>= 2.0.0, >= 3.13.0, >= 3.38.0, >= 3.40.0, ~> 3.46, >= 3.56.0, 3.59.0, ~> 3.59, < 4.0.0',
      '>= 3.43.0, >= 3.50.0, >= 3.64.0, >= 4.11.0, >= 4.28.0, >= 4.64.0, < 6.0.0, < 7.0.0, < 8.0.0',
      '>= 4.22.0, >= 5.79.0, 6.0.0-beta3',
      '>= 2025.8.0, ~> 2026.5.0',
    ]) {
      expect(canon(real)).toBe(real);
    }
  });

  // What terraform 1.11.4 writes into .terraform.lock.hcl for `version = "..."` in a
  // required_providers block, seen with `terraform providers lock` against the test
  // registry (test/e2e/lock-judge.test.ts pins the same with the real binary).
  it.each([
    ['~>1.8', '~> 1.8'],
    ['~>1', '~> 1.0'],
    ['~>1.8.0', '~> 1.8.0'],
    ['>=1.6,<1.9', '>= 1.6.0, < 1.9.0'],
    ['>=1.6 , <1.9', '>= 1.6.0, < 1.9.0'],
    ['>=1.6,<1.9,!=1.8.2', '>= 1.6.0, != 1.8.2, < 1.9.0'],
    ['=1.8.2', '1.8.2'],
    ['>1.6', '> 1.6.0'],
    [' ~> 1.8 ', '~> 1.8'],
  ])(
    'reads %j without a space after the operator, as tofu does, and normalises it to %j',
    (text, canonical) => {
      expect(canon(text)).toBe(canonical);
    },
  );

  it('reports Ruby-style syntax errors as go-versions v1.0.3 does', () => {
    // versions/constraints/ruby_style.go: no space after the operator is fine, two are not.
    expect(scanVersionConstraints('>=  1.0').error).toBe(
      'invalid specification ">=  1.0": only one space is expected after the operator ">="',
    );
    expect(scanVersionConstraints('1.0 2.0').error).toBe('missing comma after "1.0"');
    expect(scanVersionConstraints('=> 1.0').error).toBe(
      'invalid specification "=> 1.0": invalid constraint operator "=>"; did you mean ">="?',
    );
    expect(scanVersionConstraints('=<1.0').error).toBe(
      'invalid specification "=<1.0": invalid constraint operator "=<"; did you mean "<="?',
    );
    expect(scanVersionConstraints('^1.0').error).toBe(
      'invalid specification "^1.0": invalid constraint operator "^"',
    );
    expect(scanVersionConstraints('~> 1.*').error).toBe(
      'invalid specification "~> 1.*": can\'t use wildcard for minor number; omit segments that should be unconstrained',
    );
    expect(scanVersionConstraints('~> v1.1.1').error).toBe(
      'invalid specification "~> v1.1.1": a "v" prefix should not be used when specifying versions',
    );
    expect(scanVersionConstraints('>= 1.0, < v2.0').error).toBe(
      'invalid specification "< v2.0": a "v" prefix should not be used when specifying versions',
    );
  });
});
