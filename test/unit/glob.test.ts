import { describe, expect, it } from 'vitest';
import { compileGlob, matchName, matchSegments, mayMatchBelow } from '../../src/core/glob.js';

describe('compileGlob', () => {
  it.each([
    [
      'stacks/app/.terraform.lock.hcl',
      { base: 'stacks/app/.terraform.lock.hcl', segments: [], directories: false },
    ],
    ['stacks/', { base: 'stacks', segments: [], directories: true }],
    ['./stacks//app/', { base: 'stacks/app', segments: [], directories: true }],
    ['stacks/**', { base: 'stacks', segments: [], directories: true }],
    ['stacks/*/**/', { base: 'stacks', segments: ['*'], directories: true }],
    ['**/.terraform.lock.hcl', { base: '', segments: ['**', '.terraform.lock.hcl'], directories: false }],
    ['../shared/s?/x.hcl', { base: '../shared', segments: ['s?', 'x.hcl'], directories: false }],
    ['/abs/*/x', { base: '/abs', segments: ['*', 'x'], directories: false }],
    ['**', { base: '', segments: [], directories: true }],
  ])('%s', (pattern, expected) => {
    expect(compileGlob(pattern)).toEqual(expected);
  });
});

describe('matchName', () => {
  it.each([
    ['*', '.terraform.lock.hcl', true],
    ['*.hcl', '.terraform.lock.hcl', true],
    ['*.lock.*', '.terraform.lock.hcl', true],
    ['*a*b*', 'xxaxxbxx', true],
    ['*a*b', 'xxaxxbxc', false],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['a?c', 'aéc', true], // one character, not one UTF-16 unit or byte
    ['a?c', 'a😀c', true],
    ['stacks', 'Stacks', false],
    ['a*', 'a', true],
    ['', '', true],
    ['**', 'anything', true], // within a name, "**" is "*" (parse.ts refuses it there)
  ])('%s ~ %s: %s', (pattern, name, expected) => {
    expect(matchName(pattern, name)).toBe(expected);
  });
});

describe('matchSegments', () => {
  const names = (p: string): string[] => (p === '' ? [] : p.split('/'));
  it.each([
    ['**/.terraform.lock.hcl', '.terraform.lock.hcl', true],
    ['**/.terraform.lock.hcl', 'a/b/c/.terraform.lock.hcl', true],
    ['*/**/x', 'a/x', true],
    ['*/**/x', 'x', false],
    ['a/**/b/**/c', 'a/b/c', true],
    ['a/**/b/**/c', 'a/q/b/r/s/c', true],
    ['a/**/b/**/c', 'a/q/c', false],
    ['*/x', 'a/b/x', false],
    ['*', '', false],
    ['', '', true],
  ])('%s ~ %s: %s', (pattern, path, expected) => {
    expect(matchSegments(names(pattern), names(path))).toBe(expected);
  });
});

describe('mayMatchBelow', () => {
  it('enters only directories that can lead to a match', () => {
    expect(mayMatchBelow(['app*', 'x'], [])).toBe(true);
    expect(mayMatchBelow(['app*', 'x'], ['app1'])).toBe(true);
    expect(mayMatchBelow(['app*', 'x'], ['db'])).toBe(false);
    expect(mayMatchBelow(['app*', 'x'], ['app1', 'deeper'])).toBe(false);
    expect(mayMatchBelow(['**', 'x'], ['a', 'b', 'c'])).toBe(true);
    expect(mayMatchBelow(['*'], ['a'])).toBe(false);
  });
});
