// What a transfer archive (or an extracted bundle directory) may contain, entry by entry
// (docs/TRANSFER-FORMAT.md, "What an importer refuses"): regular files and directories
// only, at canonical bundle-relative paths, each path once. Every name an entry carries
// is checked: the raw header name, a pax `path` record and a GNU long name, and the
// names of the extended headers before it. A tool that ignores one of them would
// extract under the other, so both must be safe.
// Pure: headers in, a verdict out.

import { Buffer } from 'node:buffer';

import { AirgapError } from '../errors.js';

/** Entry types as tar (and lstat) name them. Only 'file' and 'directory' are allowed. */
export type EntryKind =
  | 'file'
  | 'directory'
  | 'symlink'
  | 'hardlink'
  | 'character-device'
  | 'block-device'
  | 'fifo'
  | 'socket'
  | 'contiguous-file'
  | 'pax-global-header'
  | 'unknown';

/** The ustar/GNU type flag of a header (one character) as an EntryKind. */
export function entryKindOf(typeflag: string): EntryKind {
  switch (typeflag) {
    case '0':
    case '\0':
      return 'file';
    case '1':
      return 'hardlink';
    case '2':
      return 'symlink';
    case '3':
      return 'character-device';
    case '4':
      return 'block-device';
    case '5':
      return 'directory';
    case '6':
      return 'fifo';
    case '7':
      return 'contiguous-file';
    case 'g':
      return 'pax-global-header';
    default:
      return 'unknown';
  }
}

/**
 * Bounds on the extended headers ('x' pax, 'L'/'K' GNU long names) a tar reader accepts
 * before one entry: they are metadata, and are read into memory before the entry's
 * header says what they describe.
 */
export interface ExtendedHeaderLimits {
  /** Extended headers before one entry. */
  maxHeaders: number;
  /** Their data, summed, in bytes. */
  maxBytes: number;
  /** When set, the only pax record keys accepted; any other is refused. */
  paxKeys?: readonly string[];
}

/**
 * What a transfer archive may carry before an entry (docs/TRANSFER-FORMAT.md): airgap
 * export writes at most one pax header, with `path`, and `size`/`mtime` only for values
 * ustar cannot hold; GNU tar's own format uses an 'L' (and 'K' for a link). A record that
 * sets nothing this reader uses is refused: it can only be there to cost work before the
 * signature is checked.
 */
export const TRANSFER_EXTENDED_HEADERS: ExtendedHeaderLimits = {
  maxHeaders: 2,
  maxBytes: 64 << 10,
  paxKeys: ['path', 'linkpath', 'size', 'mtime'],
};

/** One entry as the archive describes it, before any policy. */
export interface EntryHeader {
  /** ustar prefix + name, as stored (for a directory source: the relative path). */
  headerName: string;
  /** pax `path` record, when the entry has one. */
  paxPath?: string;
  /** GNU long name ('L' header), when the entry has one. */
  longName?: string;
  /** Names of the extended headers ('x', 'L', 'K') that preceded the entry. */
  metaNames?: string[];
  /** Every pax record of the entry (path, size, mtime, ...). */
  pax?: Record<string, string>;
  kind: EntryKind;
  /** The raw type flag, for messages ('' for a directory source). */
  typeflag?: string;
  linkName?: string;
  /** Bytes of data the entry carries. */
  size: number;
}

export interface CheckedEntry {
  /** Canonical bundle-relative path (no trailing slash). */
  path: string;
  kind: 'file' | 'directory';
  size: number;
}

/** The path an extracting tool uses: pax path, else GNU long name, else the header name. */
export function effectiveName(h: EntryHeader): string {
  return h.paxPath ?? h.longName ?? h.headerName;
}

/**
 * Why `name` could land outside the extraction root, or undefined when it cannot:
 * absolute (POSIX or Windows), a `..` component (split on '/' and '\'), or a NUL byte.
 */
export function unsafeNameReason(name: string): string | undefined {
  if (name.includes('\0')) return 'it contains a NUL byte';
  if (name.startsWith('/') || name.startsWith('\\')) return 'it is an absolute path';
  if (/^[A-Za-z]:/.test(name)) return 'it starts with a drive letter';
  if (name.split(/[/\\]/).includes('..')) return 'it has a ".." component';
  return undefined;
}

/**
 * Why `path` is not a canonical bundle path, or undefined: airgap writes paths with
 * no empty or "." components, no backslash (a separator on Windows) and no control
 * characters, and so accepts no others.
 */
export function nonCanonicalReason(path: string): string | undefined {
  if (path === '') return 'it is empty';
  const unsafe = unsafeNameReason(path);
  if (unsafe !== undefined) return unsafe;
  if (path.includes('\\')) return 'it contains a backslash';
  if (/[\x00-\x1f\x7f]/.test(path)) return 'it contains a control character';
  const parts = path.split('/');
  if (parts.includes('')) return 'it has an empty component ("//" or a trailing "/")';
  if (parts.includes('.')) return 'it has a "." component';
  return undefined;
}

/** Throws CHECKSUMS_INVALID (or `code`) when `path` is not a canonical bundle path. */
export function checkBundlePath(
  path: string,
  where: string,
  code: 'CHECKSUMS_INVALID' | 'MANIFEST_INVALID',
): void {
  const reason = nonCanonicalReason(path);
  if (reason === undefined) return;
  throw new AirgapError(
    code,
    `${where} names ${JSON.stringify(path)}, which is not a bundle path: ${reason}`,
    {
      path: where,
      expected: 'a relative POSIX path inside the bundle',
      actual: path,
    },
  );
}

function unsafe(archive: string, name: string, what: string, expected: string, actual: string): AirgapError {
  return new AirgapError('ARCHIVE_ENTRY_UNSAFE', `${archive}: entry ${JSON.stringify(name)} ${what}`, {
    path: name,
    address: archive,
    expected,
    actual,
  });
}

const KIND_WORDS: Record<EntryKind, string> = {
  file: 'a regular file',
  directory: 'a directory',
  symlink: 'a symbolic link',
  hardlink: 'a hard link',
  'character-device': 'a character device',
  'block-device': 'a block device',
  fifo: 'a FIFO',
  socket: 'a socket',
  'contiguous-file': 'a contiguous file (type 7)',
  'pax-global-header': 'a pax global header',
  unknown: 'an entry of an unknown type',
};

/**
 * The policy for one entry. Returns its canonical path and kind, or throws
 * ARCHIVE_ENTRY_UNSAFE naming the entry, what was expected and what was found.
 */
export function checkEntry(h: EntryHeader, archive: string): CheckedEntry {
  const name = effectiveName(h);
  const named: [string, string | undefined][] = [
    ['header name', h.headerName],
    ['pax path', h.paxPath],
    ['GNU long name', h.longName],
    ...(h.metaNames ?? []).map((n): [string, string] => ['extended header name', n]),
  ];
  for (const [which, value] of named) {
    if (value === undefined) continue;
    const reason = unsafeNameReason(value);
    if (reason !== undefined) {
      throw unsafe(
        archive,
        name,
        `has ${which} ${JSON.stringify(value)}: ${reason}`,
        'a relative path inside the bundle',
        value,
      );
    }
  }
  if (h.kind !== 'file' && h.kind !== 'directory') {
    const flag =
      h.typeflag === undefined || h.typeflag === '' ? '' : ` (type flag ${JSON.stringify(h.typeflag)})`;
    const link = h.linkName ? ` to ${JSON.stringify(h.linkName)}` : '';
    throw unsafe(
      archive,
      name,
      `is ${KIND_WORDS[h.kind]}${link}${flag}; a bundle holds only regular files and directories`,
      'a regular file or directory',
      KIND_WORDS[h.kind],
    );
  }
  const sparse = Object.keys(h.pax ?? {}).find((k) => k.startsWith('GNU.sparse.'));
  if (sparse !== undefined) {
    throw unsafe(archive, name, `is a sparse file (pax record ${sparse})`, 'a regular file', 'a sparse file');
  }
  const path = h.kind === 'directory' && name.endsWith('/') ? name.slice(0, -1) : name;
  const reason = nonCanonicalReason(path);
  if (reason !== undefined) {
    throw unsafe(
      archive,
      name,
      `is not a canonical bundle path: ${reason}`,
      'a path like providers/NAME',
      name,
    );
  }
  if (h.kind === 'directory' && h.size !== 0) {
    throw unsafe(
      archive,
      name,
      `is a directory carrying ${h.size} bytes of data`,
      'a directory entry with no data',
      `${h.size} bytes`,
    );
  }
  return { path, kind: h.kind, size: h.kind === 'directory' ? 0 : h.size };
}

/**
 * Every path seen so far, to refuse a second entry at the same path and a file that
 * another entry uses as a directory (or the reverse): extracting either would let a
 * later entry silently replace or redirect an earlier one.
 */
export interface PathTracker {
  add(entry: CheckedEntry, archive: string): void;
  has(path: string): boolean;
}

export function createPathTracker(): PathTracker {
  const files = new Set<string>();
  /** Directory entries, and the parents every entry implies. */
  const dirs = new Set<string>();
  const explicitDirs = new Set<string>();
  const key = (p: string): string => Buffer.from(p, 'utf8').toString('hex');
  return {
    add(entry, archive) {
      const k = key(entry.path);
      const again = files.has(k) || explicitDirs.has(k) || (entry.kind === 'file' && dirs.has(k));
      if (again) {
        const before = files.has(k) ? 'a file' : 'a directory';
        throw unsafe(
          archive,
          entry.path,
          `appears again (already ${before} earlier in the archive)`,
          'each path once',
          'a duplicate path',
        );
      }
      const parts = entry.path.split('/');
      for (let i = 1; i < parts.length; i += 1) {
        const parent = parts.slice(0, i).join('/');
        if (files.has(key(parent))) {
          throw unsafe(
            archive,
            entry.path,
            `lies below ${JSON.stringify(parent)}, which is a file earlier in the archive`,
            `${parent} to be a directory`,
            'a file',
          );
        }
        dirs.add(key(parent));
      }
      if (entry.kind === 'file') files.add(k);
      else {
        dirs.add(k);
        explicitDirs.add(k);
      }
    },
    has(path) {
      return files.has(key(path)) || dirs.has(key(path));
    },
  };
}
