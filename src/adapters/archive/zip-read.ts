// Reads a provider zip and digests every entry (sha256, size, mode) without unpacking it,
// and computes the package's h1 exactly as tofu does after unpacking the zip.
//
// yauzl parses the central directory (end records, zip64, entry sizes). The entries' data
// is read here, as yauzl's openReadStream would read it (the same local header checks and
// messages), but in 256 KiB positioned reads, the next one under way while the current one is
// inflated, on this thread, into one reused buffer (inflater.ts) and hashed: 0.6 CPU-s for
// 230 MB inflated where yauzl's stream (zlib on the thread pool in 16 KiB chunks, a buffer
// per chunk) took 1.5-1.9.
// yauzl checks no CRC-32, and no size for stored data; we check both, while hashing.
//
// The entry-name policy (zip-names.ts) applies to every entry.

import { createHash, type Hash } from 'node:crypto';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import type { Entry, ZipFile } from 'yauzl';
import { loadYauzl } from './zip-libs.js';
import { AirgapError } from '../../core/errors.js';
import { hashH1 } from '../../core/hash/package-hash.js';
import { createInflater } from './inflater.js';
import { checkEntry, type ZipDigest, type ZipEntryDigest } from './zip-names.js';

export { checkEntry, type ZipDigest, type ZipEntryDigest, type ZipEntryHeader } from './zip-names.js';

export async function digestZip(path: string): Promise<ZipDigest> {
  await assertReadableFile(path);
  const yauzl = await loadYauzl();
  let zip: ZipFile;
  try {
    zip = await yauzl.openPromise(path, {
      lazyEntries: true,
      decodeStrings: false,
      validateEntrySizes: true,
      autoClose: false,
    });
  } catch (e) {
    throw invalid(path, `not a readable zip archive (${errorText(e)})`, e);
  }
  let file: FileHandle | undefined;
  const buffers = takeBuffers();
  try {
    file = await open(path, 'r');
    const data: EntryData = { file, fileSize: zip.fileSize, buffers };
    const entries: ZipEntryDigest[] = [];
    const seen = new Set<string>();
    for await (const entry of zip.eachEntry()) {
      entries.push(await digestEntry(path, data, entry, seen));
    }
    const files = entries.filter((e) => !e.isDirectory).map((e) => ({ name: e.rawName, sha256: e.sha256 }));
    return { entries, h1: hashH1(files), hasDirectoryEntries: entries.some((e) => e.isDirectory) };
  } catch (e) {
    if (e instanceof AirgapError) throw e;
    throw invalid(path, `not a readable zip archive (${errorText(e)})`, e);
  } finally {
    zip.close();
    await file?.close();
    giveBuffers(buffers);
  }
}

/** Where entries' data is read from. */
interface EntryData {
  file: FileHandle;
  fileSize: number;
  /** Two read buffers: one inflated while the other fills. */
  buffers: [Buffer, Buffer];
}

/**
 * Compressed bytes per read. Measured on 24 release-shaped zips (230 MB inflated): 256 KiB,
 * 1 MiB and 4 MiB all took 0.59-0.66 CPU-s; the smallest holds the least memory.
 */
const READ_SIZE = 256 * 1024;
/** Read buffers of finished digests, for the next (a few digests run at once in mirror). */
const spareBuffers: [Buffer, Buffer][] = [];
const MAX_SPARE = 2;

function takeBuffers(): [Buffer, Buffer] {
  return spareBuffers.pop() ?? [Buffer.allocUnsafeSlow(READ_SIZE), Buffer.allocUnsafeSlow(READ_SIZE)];
}

function giveBuffers(b: [Buffer, Buffer]): void {
  if (spareBuffers.length < MAX_SPARE) spareBuffers.push(b);
}

async function digestEntry(
  path: string,
  data: EntryData,
  entry: Entry,
  seen: Set<string>,
): Promise<ZipEntryDigest> {
  const rawName = entry.fileNameRaw;
  const { name, isDirectory, mode } = checkEntry(
    path,
    {
      rawName,
      versionMadeBy: entry.versionMadeBy,
      externalFileAttributes: entry.externalFileAttributes,
      encrypted: entry.isEncrypted(),
    },
    seen,
  );
  const base = {
    name,
    rawName: new Uint8Array(rawName),
    isDirectory,
    ...(mode === undefined ? {} : { mode }),
  };
  if (isDirectory) return { ...base, size: 0, sha256: '' };

  const hash = createHash('sha256');
  let crc: number;
  let size: number;
  try {
    ({ crc, size } = await readEntry(data, entry, hash));
  } catch (e) {
    throw invalid(path, `entry ${JSON.stringify(name)} cannot be read (${errorText(e)})`, e);
  }
  if (crc !== entry.crc32) {
    throw new AirgapError(
      'ZIP_INVALID',
      `${path}: entry ${JSON.stringify(name)} is corrupt: CRC-32 ${hex32(crc)}, the zip records ${hex32(entry.crc32)}`,
      {
        path,
        expected: hex32(entry.crc32),
        actual: hex32(crc),
      },
    );
  }
  return { ...base, size, sha256: hash.digest('hex') };
}

/**
 * An entry's uncompressed bytes into `hash`; returns their CRC-32 and count. Checks and
 * messages are yauzl's openReadStream's (validateEntrySizes), which read these entries before.
 */
async function readEntry(data: EntryData, entry: Entry, hash: Hash): Promise<{ crc: number; size: number }> {
  // Stored or deflated only (checkEntry has refused encrypted files).
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
    throw new Error(`unsupported compression method: ${entry.compressionMethod}`);
  }
  const start = await dataStart(data, entry);
  const end = start + entry.compressedSize;
  let crc = 0;
  let size = 0;
  const take = (chunk: Buffer): void => {
    hash.update(chunk);
    crc = crc32(chunk, crc);
    size += chunk.length;
  };
  if (entry.compressionMethod === 0) {
    // yauzl checked the central directory's sizes agree for stored data.
    await readRange(data, start, end, (chunk) => {
      take(chunk);
      return true;
    });
    return { crc, size };
  }
  const expected = entry.uncompressedSize;
  let over = 0;
  const inflater = createInflater('raw', (chunk) => {
    // A callback must not throw (the documented stream calls it from an event): noted, then thrown.
    if (over !== 0) return;
    if (size + chunk.length > expected) over = size + chunk.length;
    else take(chunk);
  });
  try {
    await readRange(data, start, end, async (chunk) => {
      const taken = await inflater.write(chunk);
      if (over !== 0) {
        throw new Error(`too many bytes in the stream. expected ${expected}. got at least ${over}`);
      }
      // Bytes after the end of the deflate stream are ignored, as yauzl's inflate does.
      return taken === chunk.length && !inflater.ended;
    });
    await inflater.finish();
  } finally {
    inflater.close();
  }
  if (over !== 0) throw new Error(`too many bytes in the stream. expected ${expected}. got at least ${over}`);
  if (size < expected) {
    throw new Error(`not enough bytes in the stream. expected ${expected}. got only ${size}`);
  }
  return { crc, size };
}

/** Where the entry's data starts, after its local header: yauzl's readLocalFileHeader checks. */
async function dataStart(data: EntryData, entry: Entry): Promise<number> {
  const header = Buffer.alloc(30);
  const { bytesRead } = await data.file.read(header, 0, 30, entry.relativeOffsetOfLocalHeader);
  if (bytesRead < 30) throw new Error('unexpected EOF');
  const signature = header.readUInt32LE(0);
  if (signature !== 0x04034b50) {
    throw new Error(`invalid local file header signature: 0x${signature.toString(16)}`);
  }
  const start = entry.relativeOffsetOfLocalHeader + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
  if (start + entry.compressedSize > data.fileSize) {
    throw new Error(`file data overflows file bounds: ${start} + ${entry.compressedSize} > ${data.fileSize}`);
  }
  return start;
}

/**
 * Reads [start, end) of the file in READ_SIZE pieces, the next read under way while `use`
 * takes the current piece (valid until it returns). `use` answers whether to go on.
 */
async function readRange(
  data: EntryData,
  start: number,
  end: number,
  use: (chunk: Buffer) => boolean | Promise<boolean>,
): Promise<void> {
  const read = async (buffer: Buffer, at: number): Promise<Buffer> => {
    const want = Math.min(buffer.length, end - at);
    const { bytesRead } = await data.file.read(buffer, 0, want, at);
    // The file was shorter than when it was opened.
    if (bytesRead === 0) throw new Error('unexpected EOF');
    return buffer.subarray(0, bytesRead);
  };
  let at = start;
  let turn = 0;
  let next: Promise<Buffer> | undefined = at < end ? read(data.buffers[turn]!, at) : undefined;
  try {
    while (next !== undefined) {
      const chunk = await next;
      next = undefined;
      at += chunk.length;
      turn ^= 1;
      if (at < end) next = read(data.buffers[turn]!, at);
      if (!(await use(chunk))) return;
    }
  } finally {
    // A read still under way must land before its buffer is used again.
    await next?.catch(() => undefined);
  }
}

async function assertReadableFile(path: string): Promise<void> {
  try {
    const s = await stat(path);
    if (!s.isFile()) throw invalid(path, 'not a regular file');
  } catch (e) {
    if (e instanceof AirgapError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new AirgapError('INPUT_NOT_FOUND', `${path}: no such zip file`, { path, cause: e });
    }
    throw new AirgapError('FS_ERROR', `${path}: cannot read zip file (${errorText(e)})`, { path, cause: e });
  }
}

function invalid(path: string, why: string, cause?: unknown): AirgapError {
  return new AirgapError('ZIP_INVALID', `${path}: ${why}`, cause === undefined ? { path } : { path, cause });
}

function hex32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
