import { describe, expect, it } from 'vitest';

import { isAirgapError, type AirgapError } from '../../../src/core/errors.js';
import {
  checkEntry,
  createPathTracker,
  entryKindOf,
  nonCanonicalReason,
  unsafeNameReason,
  type EntryHeader,
} from '../../../src/core/transfer/entry-policy.js';

const A = 'bundle.tar';

function refused(fn: () => unknown): AirgapError {
  try {
    fn();
  } catch (e) {
    if (isAirgapError(e)) return e;
    throw e;
  }
  throw new Error('accepted');
}

function file(name: string, extra: Partial<EntryHeader> = {}): EntryHeader {
  return { headerName: name, kind: 'file', typeflag: '0', size: 3, ...extra };
}

describe('names', () => {
  it.each([
    ['/etc/passwd', 'it is an absolute path'],
    ['\\windows\\x', 'it is an absolute path'],
    ['C:evil', 'it starts with a drive letter'],
    ['a/../../b', 'it has a ".." component'],
    ['..', 'it has a ".." component'],
    ['a\\..\\b', 'it has a ".." component'],
    ['a\0b', 'it contains a NUL byte'],
  ])('%j is unsafe: %s', (name, reason) => {
    expect(unsafeNameReason(name)).toBe(reason);
  });

  it.each(['providers/x.zip', 'a..b/c', '..a', 'PaxHeaders.12/x', './PaxHeaders/x'])('%j is safe', (name) => {
    expect(unsafeNameReason(name)).toBeUndefined();
  });

  it.each([
    ['', 'it is empty'],
    ['a//b', 'it has an empty component ("//" or a trailing "/")'],
    ['a/', 'it has an empty component ("//" or a trailing "/")'],
    ['./a', 'it has a "." component'],
    ['a\\b', 'it contains a backslash'],
    ['a\nb', 'it contains a control character'],
  ])('%j is not canonical: %s', (name, reason) => {
    expect(nonCanonicalReason(name)).toBe(reason);
  });

  it('maps type flags', () => {
    expect(['0', '\0', '1', '2', '3', '4', '5', '6', '7', 'g', 'S'].map(entryKindOf)).toEqual([
      'file',
      'file',
      'hardlink',
      'symlink',
      'character-device',
      'block-device',
      'directory',
      'fifo',
      'contiguous-file',
      'pax-global-header',
      'unknown',
    ]);
  });
});

describe('checkEntry', () => {
  it('accepts a file and a directory (trailing slash dropped)', () => {
    expect(checkEntry(file('providers/a.zip'), A)).toEqual({
      path: 'providers/a.zip',
      kind: 'file',
      size: 3,
    });
    expect(checkEntry({ headerName: 'providers/', kind: 'directory', size: 0 }, A)).toEqual({
      path: 'providers',
      kind: 'directory',
      size: 0,
    });
  });

  it('uses the pax path, but refuses an unsafe header name under it, and the reverse', () => {
    expect(checkEntry(file('truncated-name', { paxPath: 'providers/long.zip' }), A).path).toBe(
      'providers/long.zip',
    );
    const e = refused(() => checkEntry(file('/etc/shadow', { paxPath: 'providers/ok' }), A));
    expect(e.code).toBe('ARCHIVE_ENTRY_UNSAFE');
    expect(e.message).toBe(
      'bundle.tar: entry "providers/ok" has header name "/etc/shadow": it is an absolute path',
    );
    expect(e.details).toEqual({
      path: 'providers/ok',
      address: A,
      expected: 'a relative path inside the bundle',
      actual: '/etc/shadow',
    });
    expect(refused(() => checkEntry(file('providers/ok', { paxPath: '../x' }), A)).message).toBe(
      'bundle.tar: entry "../x" has pax path "../x": it has a ".." component',
    );
    expect(refused(() => checkEntry(file('ok', { longName: 'a/../../x' }), A)).message).toContain(
      'has GNU long name "a/../../x"',
    );
    expect(refused(() => checkEntry(file('ok', { metaNames: ['../PaxHeaders/ok'] }), A)).message).toBe(
      'bundle.tar: entry "ok" has extended header name "../PaxHeaders/ok": it has a ".." component',
    );
  });

  it.each([
    ['symlink', '2', 'is a symbolic link to "/etc/passwd" (type flag "2")'],
    ['hardlink', '1', 'is a hard link to "/etc/passwd" (type flag "1")'],
    ['character-device', '3', 'is a character device to "/etc/passwd" (type flag "3")'],
    ['fifo', '6', 'is a FIFO to "/etc/passwd" (type flag "6")'],
    ['contiguous-file', '7', 'is a contiguous file (type 7) to "/etc/passwd" (type flag "7")'],
    ['pax-global-header', 'g', 'is a pax global header to "/etc/passwd" (type flag "g")'],
  ] as const)('refuses a %s', (kind, typeflag, what) => {
    const e = refused(() => checkEntry(file('x', { kind, typeflag, linkName: '/etc/passwd' }), A));
    expect(e.code).toBe('ARCHIVE_ENTRY_UNSAFE');
    expect(e.message).toBe(
      `bundle.tar: entry "x" ${what}; a bundle holds only regular files and directories`,
    );
  });

  it('refuses sparse files, non-canonical paths and directories with data', () => {
    expect(refused(() => checkEntry(file('x', { pax: { 'GNU.sparse.major': '1' } }), A)).message).toBe(
      'bundle.tar: entry "x" is a sparse file (pax record GNU.sparse.major)',
    );
    expect(refused(() => checkEntry(file('./x'), A)).message).toBe(
      'bundle.tar: entry "./x" is not a canonical bundle path: it has a "." component',
    );
    expect(refused(() => checkEntry({ headerName: 'd/', kind: 'directory', size: 512 }, A)).message).toBe(
      'bundle.tar: entry "d/" is a directory carrying 512 bytes of data',
    );
  });
});

describe('createPathTracker', () => {
  it('refuses a second entry at a path, and files used as directories', () => {
    const t = createPathTracker();
    t.add({ path: 'providers', kind: 'directory', size: 0 }, A);
    t.add({ path: 'providers/a', kind: 'file', size: 1 }, A);
    expect(t.has('providers/a')).toBe(true);
    expect(t.has('providers/b')).toBe(false);
    expect(refused(() => t.add({ path: 'providers/a', kind: 'file', size: 1 }, A)).message).toBe(
      'bundle.tar: entry "providers/a" appears again (already a file earlier in the archive)',
    );
    expect(refused(() => t.add({ path: 'providers', kind: 'directory', size: 0 }, A)).message).toBe(
      'bundle.tar: entry "providers" appears again (already a directory earlier in the archive)',
    );
    expect(refused(() => t.add({ path: 'providers/a/b', kind: 'file', size: 1 }, A)).message).toBe(
      'bundle.tar: entry "providers/a/b" lies below "providers/a", which is a file earlier in the archive',
    );
    t.add({ path: 'x/y/z', kind: 'file', size: 1 }, A);
    expect(refused(() => t.add({ path: 'x/y', kind: 'file', size: 1 }, A)).message).toBe(
      'bundle.tar: entry "x/y" appears again (already a directory earlier in the archive)',
    );
    // An implied parent may still get its own directory entry once.
    t.add({ path: 'x', kind: 'directory', size: 0 }, A);
  });
});
