// The entry-name policy shared by both zip readers: digestZip (zip-read.ts, the file) and
// the stream digester (zip-stream.ts, the download). Kept apart from yauzl so that the
// digest workers load no more than they use.
//
// Entry-name policy. tofu unpacks a provider zip (go-getter's ZipDecompressor) and hashes the
// resulting directory, so the h1 we compute from entry names is only right when unpacking
// reproduces those names exactly. go-getter refuses `..` components (split on '/' and '\');
// it silently re-roots absolute names, and on Linux keeps '\' as a literal character while
// Windows treats it as a separator, so such packages hash differently per OS. We reject:
//   - any `..` component, absolute names ('/x', '\x', 'C:...'), NUL bytes, empty names,
//     and '.' or empty components (unpacking would normalize them away);
//   - '\' in a regular file's name (its h1 would depend on the OS that unpacks it);
//     directory entries with '\' are only skipped, as they never reach the h1;
//   - symlink entries (a link can point outside the package, and tofu versions unpack them
//     differently, so there is no single correct h1);
//   - two file entries with the same name (unpacking keeps one; which one is ambiguous).
// Names are hashed as stored bytes (`decodeStrings: false`): Go never re-encodes a name, so an
// unflagged UTF-8 name must not be read as CP437.

import { AirgapError } from '../../core/errors.js';

export interface ZipEntryDigest {
  /** The stored name decoded as UTF-8, for messages; `rawName` is what is hashed. */
  name: string;
  rawName: Uint8Array;
  isDirectory: boolean;
  /** Uncompressed size in bytes. */
  size: number;
  /** Lower-case hex sha256 of the uncompressed bytes ('' for directories). */
  sha256: string;
  /** Unix mode (type and permission bits) when the zip was made on a Unix-like system. */
  mode?: number;
}

export interface ZipDigest {
  entries: ZipEntryDigest[];
  /** h1 over regular files only, as the unpacked directory hashes. */
  h1: string;
  hasDirectoryEntries: boolean;
}

// "version made by" host codes (APPNOTE 4.4.2), as Go's archive/zip reads them.
const HOST_FAT = 0;
const HOST_UNIX = 3;
const HOST_NTFS = 11;
const HOST_VFAT = 14;
const HOST_MACOSX = 19;
const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const MSDOS_DIR = 0x10;

/** What the central directory says about one entry, as the entry checks need it. */
export interface ZipEntryHeader {
  rawName: Buffer;
  versionMadeBy: number;
  externalFileAttributes: number;
  /** General purpose flag bit 0. */
  encrypted: boolean;
}

/**
 * The entry-name policy (module header) and the entry's kind: throws ZIP_INVALID (or
 * HASH_INPUT_INVALID for a newline) naming `label` and the entry. `seen` holds the hex
 * names of the regular files so far, to refuse a second one of the same name.
 */
export function checkEntry(
  label: string,
  header: ZipEntryHeader,
  seen: Set<string>,
): { name: string; isDirectory: boolean; mode?: number } {
  const rawName = header.rawName;
  const name = rawName.toString('utf8');
  const mode = unixMode(header);
  const isDirectory = isDirectoryEntry(header, rawName, mode);
  checkName(label, rawName, name, isDirectory);
  if (mode !== undefined && (mode & S_IFMT) === S_IFLNK) {
    throw invalid(
      label,
      `entry ${JSON.stringify(name)} is a symbolic link; provider packages must hold regular files only`,
    );
  }
  const kind = { name, isDirectory, ...(mode === undefined ? {} : { mode }) };
  if (isDirectory) return kind;
  const key = rawName.toString('hex');
  if (seen.has(key)) throw invalid(label, `entry ${JSON.stringify(name)} appears more than once`);
  seen.add(key);
  if (header.encrypted) throw invalid(label, `entry ${JSON.stringify(name)} is encrypted`);
  return kind;
}

function checkName(path: string, raw: Buffer, name: string, isDirectory: boolean): void {
  const shown = JSON.stringify(name);
  if (raw.length === 0) throw invalid(path, 'an entry has an empty name');
  if (raw.includes(0)) throw invalid(path, `entry ${shown} has a NUL byte in its name`);
  if (raw.includes(0x0a)) {
    throw new AirgapError(
      'HASH_INPUT_INVALID',
      `${path}: entry ${shown} has a newline in its name; h1 hashes cannot represent it`,
      {
        path,
        actual: name,
      },
    );
  }
  if (name.startsWith('/') || name.startsWith('\\') || /^[A-Za-z]:/.test(name)) {
    throw invalid(path, `entry ${shown} has an absolute name`);
  }
  const parts = name.split(/[/\\]/);
  if (parts.includes('..'))
    throw invalid(path, `entry ${shown} has a ".." component and would unpack outside the package`);
  // A directory name ends with a separator, which leaves one empty last part.
  const inner = isDirectory && parts.at(-1) === '' ? parts.slice(0, -1) : parts;
  if (inner.some((p) => p === '' || p === '.')) {
    throw invalid(path, `entry ${shown} has an empty or "." path component; unpacking would rename it`);
  }
  if (!isDirectory && name.includes('\\')) {
    throw invalid(
      path,
      `entry ${shown} has a backslash in its name; tofu would unpack it differently on Windows and Linux`,
    );
  }
}

function unixMode(
  entry: Pick<ZipEntryHeader, 'versionMadeBy' | 'externalFileAttributes'>,
): number | undefined {
  const host = entry.versionMadeBy >> 8;
  if (host !== HOST_UNIX && host !== HOST_MACOSX) return undefined;
  const mode = entry.externalFileAttributes >>> 16;
  return mode === 0 ? undefined : mode;
}

// Go's zip.FileHeader.Mode().IsDir(): a trailing '/', or the host's directory attribute.
function isDirectoryEntry(
  entry: Pick<ZipEntryHeader, 'versionMadeBy' | 'externalFileAttributes'>,
  raw: Buffer,
  mode: number | undefined,
): boolean {
  if (raw.at(-1) === 0x2f) return true;
  if (mode !== undefined && (mode & S_IFMT) === S_IFDIR) return true;
  const host = entry.versionMadeBy >> 8;
  const msdos = host === HOST_FAT || host === HOST_NTFS || host === HOST_VFAT;
  return msdos && (entry.externalFileAttributes & MSDOS_DIR) !== 0;
}

function invalid(path: string, why: string): AirgapError {
  return new AirgapError('ZIP_INVALID', `${path}: ${why}`, { path });
}
