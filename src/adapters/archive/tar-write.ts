// The bytes of a deterministic POSIX tar (ustar, with pax records where ustar
// falls short): entry headers, body padding and the end-of-archive blocks. The
// export service (services/export/stream-tarball.ts) streams the bodies between them.
//
// node-tar's Header and Pax classes encode the bytes: octal fields, the header
// checksum, the ustar name/prefix split, base-256 numbers, and pax records with
// their self-counting length prefix are easy to get subtly wrong by hand, and
// node-tar's parser is what reads them back on the import side. Everything that
// decides the output is ours, not node-tar's Pack: the entry order, the modes,
// mtime, uid/gid 0 with empty names, no atime/ctime, and the pax header's own name
// (GNU tar puts its PID there; ours is derived from the entry name). The archive
// ends with the two zero blocks POSIX requires and is not padded to a 10 KiB record.

import path from 'node:path';

import { Header, Pax } from 'tar';

const BLOCK = 512;
/** The largest value a 12-byte octal ustar field holds (8 GiB - 1 for sizes). */
const MAX_OCTAL_12 = 0o77777777777;

export interface TarWriteEntry {
  /** Entry name as stored: POSIX, relative; directories end in "/". */
  name: string;
  type: 'file' | 'directory';
  mode: number;
  /** Body size in bytes (0 for directories). */
  size: number;
  mtime: Date;
}

function paxName(name: string): string {
  const base = path.posix.basename(name.replace(/\/+$/, '')).replace(/[^A-Za-z0-9._-]/g, '_');
  return `PaxHeader/${base}`.slice(0, 99);
}

/** The header block(s) of one entry: a pax extended header when ustar cannot hold a value, then the ustar header. */
export function encodeTarHeader(entry: TarWriteEntry): Buffer {
  const common = { uid: 0, gid: 0, uname: '', gname: '', mtime: entry.mtime };
  const header = new Header({
    ...common,
    path: entry.name,
    mode: entry.mode,
    size: entry.type === 'directory' ? 0 : entry.size,
    type: entry.type === 'directory' ? 'Directory' : 'File',
  });
  const needPax = header.encode();
  const block = header.block;
  if (block === undefined) throw new Error('tar header was not encoded');
  if (!needPax) return block;
  const seconds = Math.floor(entry.mtime.getTime() / 1000);
  const body = Buffer.from(
    new Pax({
      path: entry.name,
      ...(entry.size > MAX_OCTAL_12 ? { size: entry.size } : {}),
      ...(seconds > MAX_OCTAL_12 ? { mtime: entry.mtime } : {}),
    }).encodeBody(),
    'utf8',
  );
  const paxHeader = new Header({
    ...common,
    // A pax header's own mtime may not overflow; the real one is in the record.
    mtime: seconds > MAX_OCTAL_12 ? new Date(0) : entry.mtime,
    path: paxName(entry.name),
    mode: 0o644,
    size: body.length,
    type: 'ExtendedHeader',
  });
  paxHeader.encode();
  if (paxHeader.block === undefined) throw new Error('pax header was not encoded');
  return Buffer.concat([paxHeader.block, body, Buffer.alloc(tarPadding(body.length)), block]);
}

/** Zero bytes after a body of `size` bytes, up to the next 512-byte block. */
export function tarPadding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/** Bytes one entry takes in the archive: header(s), body, padding. */
export function tarEntrySize(entry: TarWriteEntry): number {
  const body = entry.type === 'directory' ? 0 : entry.size;
  return encodeTarHeader(entry).length + body + tarPadding(body);
}

/** The end of an archive: two zero blocks. */
export const TAR_END_SIZE = 2 * BLOCK;

/** Bytes of the whole archive, end-of-archive blocks included, known before writing it. */
export function tarArchiveSize(entries: readonly TarWriteEntry[]): number {
  return entries.reduce((n, e) => n + tarEntrySize(e), TAR_END_SIZE);
}
