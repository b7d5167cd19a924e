import { describe, expect, it } from 'vitest';
import { parseRequestPath } from '../../../src/core/serve/request-path.js';

describe('parseRequestPath', () => {
  it.each([
    ['/providers/a/b/index.json', ['providers', 'a', 'b', 'index.json']],
    ['/providers/a/b/index.json?x=1#f', ['providers', 'a', 'b', 'index.json']],
    ['/providers/', ['providers', '']],
    ['/', ['']],
    ['/modules/b%C3%BCcher.example/a', ['modules', 'bücher.example', 'a']],
    ['/a/..b/c..', ['a', '..b', 'c..']],
  ])('%s -> segments', (target, segments) => {
    expect(parseRequestPath(target)).toEqual({ ok: true, segments });
  });

  it.each([
    ['providers/a', 'not an origin-form request target'],
    ['*', 'not an origin-form request target'],
    ['/a/../b', 'path segment ".." is a dot segment'],
    ['/a/%2e%2e/b', 'path segment "%2e%2e" is a dot segment'],
    ['/a/.%2E/b', 'path segment ".%2E" is a dot segment'],
    ['/a/./b', 'path segment "." is a dot segment'],
    ['/a/%2e/b', 'path segment "%2e" is a dot segment'],
    ['/a/..', 'path segment ".." is a dot segment'],
    ['/a%2fb', 'path segment "a%2fb" encodes a separator or NUL'],
    ['/a%2Fb', 'path segment "a%2Fb" encodes a separator or NUL'],
    ['/a%5cb', 'path segment "a%5cb" encodes a separator or NUL'],
    ['/a%00b', 'path segment "a%00b" encodes a separator or NUL'],
    ['/a%2f..%2f..%2fetc', 'path segment "a%2f..%2f..%2fetc" encodes a separator or NUL'],
    ['/a//b', 'empty path segment'],
    ['/a/%zz', 'bad percent-encoding in "%zz"'],
  ])('%s -> 400 (%s)', (target, reason) => {
    expect(parseRequestPath(target)).toEqual({ ok: false, status: 400, reason });
  });
});
