// Random access into an uncompressed tar (an oci-archive or a docker-archive)
// without extracting it: one pass over the headers alone (data is skipped with
// positioned reads, so a multi-GB archive costs a few reads per member), then
// members are read by byte range. Names come from the ustar prefix + name, a pax
// `path` record or a GNU long name ('L'); link targets likewise ('K', pax linkpath).
import { Buffer } from 'node:buffer';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { AirgapError, isAirgapError } from '../../../core/errors.js';
import { BLOCK, cString, isZero, parseHeader, parsePax, type RawHeader } from '../../archive/tar-header.js';
import { DEFAULT_EXTENDED_HEADERS } from '../../archive/tar-read.js';

const MAX_EXTENDED_HEADER = 1 << 20;
const MAX_LINK_HOPS = 16;

export interface TarMember {
  /** Normalized: no leading "./" or "/", no trailing "/". */
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';
  /** Byte offset of the data in the archive. */
  offset: number;
  size: number;
  linkname: string;
}

export interface TarIndex {
  archive: string;
  members: Map<string, TarMember>;
}

export function normalizeMemberName(name: string): string {
  return name.replace(/^(?:\.\/|\/)+/, '').replace(/\/+$/, '');
}

/** Every member of `archive` by normalized name; a later member of the same name wins, as on extraction. */
export async function indexTar(archive: string, where: string): Promise<TarIndex> {
  const handle = await openFile(archive, where);
  try {
    const { size: fileSize } = await handle.stat();
    const members = new Map<string, TarMember>();
    const header = Buffer.alloc(BLOCK);
    let position = 0;
    let pax: Record<string, string> = {};
    let longName: string | undefined;
    let longLink: string | undefined;
    // Bounded per member, as the streaming reader bounds them: a base image is input too.
    let extended = 0;
    let extendedBytes = 0;
    for (;;) {
      if (position + BLOCK > fileSize) throw truncated(where, archive, position);
      await readExactly(handle, header, position, where, archive);
      if (isZero(header)) break;
      const h = headerAt(header, where, archive, position);
      const typeflag = h.typeflag;
      const headerSize = h.size;
      const dataOffset = position + BLOCK;
      const next = dataOffset + Math.ceil(headerSize / BLOCK) * BLOCK;
      if (typeflag === 'x' || typeflag === 'L' || typeflag === 'K' || typeflag === 'g') {
        if (headerSize > MAX_EXTENDED_HEADER || dataOffset + headerSize > fileSize) {
          throw malformed(where, archive, `extended header at byte ${position} of ${headerSize} bytes`);
        }
        extended += 1;
        extendedBytes += headerSize;
        if (
          extended > DEFAULT_EXTENDED_HEADERS.maxHeaders ||
          extendedBytes > DEFAULT_EXTENDED_HEADERS.maxBytes
        ) {
          throw malformed(
            where,
            archive,
            `more than ${DEFAULT_EXTENDED_HEADERS.maxHeaders} extended headers or ${DEFAULT_EXTENDED_HEADERS.maxBytes} bytes of them before one member (at byte ${position})`,
          );
        }
        const data = Buffer.alloc(headerSize);
        await readExactly(handle, data, dataOffset, where, archive);
        if (typeflag === 'x') Object.assign(pax, paxAt(data, where, archive, position));
        else if (typeflag === 'L') longName = cString(data);
        else if (typeflag === 'K') longLink = cString(data);
        // 'g' (pax global) sets defaults no archive writer we read relies on: skipped.
        position = next;
        continue;
      }
      const rawName = pax['path'] ?? longName ?? h.name;
      const size = pax['size'] !== undefined && /^\d+$/.test(pax['size']) ? Number(pax['size']) : headerSize;
      const type = memberType(typeflag);
      const dataSize = type === 'file' || type === 'other' ? size : 0;
      if (dataOffset + dataSize > fileSize) throw truncated(where, archive, position);
      const name = normalizeMemberName(rawName);
      members.set(name, {
        name,
        type,
        offset: dataOffset,
        size: type === 'file' ? size : 0,
        linkname: pax['linkpath'] ?? longLink ?? h.linkName,
      });
      pax = {};
      extended = 0;
      extendedBytes = 0;
      longName = undefined;
      longLink = undefined;
      position = dataOffset + Math.ceil(dataSize / BLOCK) * BLOCK;
    }
    return { archive, members };
  } finally {
    await handle.close();
  }
}

/**
 * The regular file `name` reaches, following symlinks (relative to the link's
 * directory; absolute or escaping targets are refused) and hardlinks, within the
 * archive. undefined when there is no such member.
 */
export function findFile(index: TarIndex, name: string, where: string): TarMember | undefined {
  let current = normalizeMemberName(name);
  for (let hops = 0; hops <= MAX_LINK_HOPS; hops++) {
    const member = index.members.get(current);
    if (member === undefined) return undefined;
    if (member.type === 'file') return member;
    if (member.type === 'hardlink') {
      current = normalizeMemberName(member.linkname);
      continue;
    }
    if (member.type !== 'symlink') {
      throw malformed(
        where,
        index.archive,
        `member ${JSON.stringify(current)} is a ${member.type}, not a file`,
      );
    }
    const target = joinInside(current, member.linkname);
    if (target === undefined) {
      throw malformed(
        where,
        index.archive,
        `symlink ${JSON.stringify(current)} -> ${JSON.stringify(member.linkname)} points outside the archive`,
      );
    }
    current = target;
  }
  throw malformed(where, index.archive, `more than ${MAX_LINK_HOPS} links from ${JSON.stringify(name)}`);
}

/** A member's bytes as a stream (byte range of the archive). */
export function memberStream(index: TarIndex, member: TarMember): Readable {
  if (member.size === 0) return Readable.from([]);
  return fs.createReadStream(index.archive, { start: member.offset, end: member.offset + member.size - 1 });
}

/** A small member read whole; refuses one above `limit` bytes. */
export async function readMember(
  index: TarIndex,
  member: TarMember,
  limit: number,
  where: string,
): Promise<Buffer> {
  if (member.size > limit) {
    throw malformed(
      where,
      index.archive,
      `member ${JSON.stringify(member.name)} is ${member.size} bytes, more than ${limit}`,
    );
  }
  const handle = await openFile(index.archive, where);
  try {
    const data = Buffer.alloc(member.size);
    await readExactly(handle, data, member.offset, where, index.archive);
    return data;
  } finally {
    await handle.close();
  }
}

/** `from`'s directory joined with a relative link target, normalized; undefined when absolute or above the root. */
function joinInside(from: string, target: string): string | undefined {
  if (target.startsWith('/')) return undefined;
  const parts = from.split('/').slice(0, -1);
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else parts.push(part);
  }
  return parts.join('/');
}

function memberType(typeflag: string): TarMember['type'] {
  switch (typeflag) {
    case '0':
    case '7':
      return 'file';
    case '1':
      return 'hardlink';
    case '2':
      return 'symlink';
    case '5':
      return 'directory';
    default:
      return 'other';
  }
}

async function openFile(archive: string, where: string): Promise<fs.promises.FileHandle> {
  try {
    return await fs.promises.open(archive, 'r');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new AirgapError('INPUT_NOT_FOUND', `${where}: ${archive} does not exist`, {
        path: archive,
        address: where,
        cause,
      });
    }
    throw new AirgapError('FS_ERROR', `${where}: cannot open ${archive}: ${code ?? String(cause)}`, {
      path: archive,
      address: where,
      cause,
    });
  }
}

async function readExactly(
  handle: fs.promises.FileHandle,
  into: Buffer,
  position: number,
  where: string,
  archive: string,
): Promise<void> {
  let done = 0;
  while (done < into.length) {
    const { bytesRead } = await handle.read(into, done, into.length - done, position + done);
    if (bytesRead === 0) throw truncated(where, archive, position);
    done += bytesRead;
  }
}

/** The header at `offset`, or IMAGE_INVALID: a bad header means the file is no tar at all. */
function headerAt(block: Buffer, where: string, archive: string, offset: number): RawHeader {
  try {
    return parseHeader(block, archive, offset);
  } catch (e) {
    if (!isAirgapError(e)) throw e;
    throw new AirgapError(
      'IMAGE_INVALID',
      `${where}: ${archive} is not a tar archive (bad header at byte ${offset})`,
      { path: archive, address: where, expected: 'a tar header with a valid checksum', actual: e.message },
    );
  }
}

function paxAt(data: Buffer, where: string, archive: string, offset: number): Record<string, string> {
  try {
    return parsePax(data, archive, offset);
  } catch (e) {
    if (!isAirgapError(e)) throw e;
    throw malformed(where, archive, `malformed pax record in the header at byte ${offset}`);
  }
}

function truncated(where: string, archive: string, offset: number): AirgapError {
  return new AirgapError(
    'IMAGE_INVALID',
    `${where}: ${archive} is truncated (it ends inside the member at byte ${offset})`,
    {
      path: archive,
      address: where,
      expected: 'a complete tar archive',
      actual: `ends near byte ${offset}`,
    },
  );
}

function malformed(where: string, archive: string, what: string): AirgapError {
  return new AirgapError('IMAGE_INVALID', `${where}: ${archive}: ${what}`, {
    path: archive,
    address: where,
    actual: what,
  });
}
