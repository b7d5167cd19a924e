// Reads a provider zip and digests every entry (sha256, size, mode) without unpacking it,
// and computes the package's h1 exactly as tofu does after unpacking the zip.
//
// yauzl does the parsing: a proven streaming reader that checks the central directory and
// entry sizes. It does not check CRC-32, so we do, while hashing.
//
// The entry-name policy (zip-names.ts) applies to every entry.

import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import type { Readable } from 'node:stream';
import type { Entry, ZipFile } from 'yauzl';
import { loadYauzl } from './zip-libs.js';
import { AirgapError } from '../../core/errors.js';
import { hashH1 } from '../../core/hash/package-hash.js';
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
  try {
    const entries: ZipEntryDigest[] = [];
    const seen = new Set<string>();
    for await (const entry of zip.eachEntry()) {
      entries.push(await digestEntry(path, zip, entry, seen));
    }
    const files = entries.filter((e) => !e.isDirectory).map((e) => ({ name: e.rawName, sha256: e.sha256 }));
    return { entries, h1: hashH1(files), hasDirectoryEntries: entries.some((e) => e.isDirectory) };
  } catch (e) {
    if (e instanceof AirgapError) throw e;
    throw invalid(path, `not a readable zip archive (${errorText(e)})`, e);
  } finally {
    zip.close();
  }
}

async function digestEntry(
  path: string,
  zip: ZipFile,
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

  let stream: Readable;
  try {
    stream = await zip.openReadStreamPromise(entry);
  } catch (e) {
    throw invalid(path, `entry ${JSON.stringify(name)} cannot be read (${errorText(e)})`, e);
  }
  const hash = createHash('sha256');
  let crc = 0;
  let size = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      hash.update(chunk);
      crc = crc32(chunk, crc);
      size += chunk.length;
    }
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
