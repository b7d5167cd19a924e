// Unpacks the one executable an import installs (`tofu` or `terraform`) from a
// release zip whose sha256 the bundle reader has already checked. Only that
// entry is read; its CRC-32 and size are checked (yauzl checks neither CRC nor,
// without validateEntrySizes, the size), and it is written with mode 0755 and fsynced.

import fs from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import yauzl from 'yauzl';
import type { Entry, ZipFile } from 'yauzl';
import { AirgapError } from '../../core/errors.js';

export interface ExtractedBinary {
  size: number;
}

/** Writes entry `entryName` of `zipPath` (the zip's root, a regular file) to `dest` (created; must not exist). */
export async function extractExecutable(
  zipPath: string,
  entryName: string,
  dest: string,
  /** Shown in messages instead of the staging path: the bundle path of the zip. */
  label: string,
): Promise<ExtractedBinary> {
  let zip: ZipFile;
  try {
    zip = await yauzl.openPromise(zipPath, {
      lazyEntries: true,
      decodeStrings: true,
      validateEntrySizes: true,
      autoClose: false,
    });
  } catch (e) {
    throw invalid(label, `not a readable zip archive (${errorText(e)})`, e);
  }
  try {
    let found: Entry | undefined;
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName !== entryName) continue;
      if (found !== undefined) throw invalid(label, `entry "${entryName}" appears more than once`);
      found = entry;
    }
    if (found === undefined) {
      throw invalid(label, `has no "${entryName}" at its root; a ${entryName} release zip always does`);
    }
    if (found.isEncrypted()) throw invalid(label, `entry "${entryName}" is encrypted`);
    const stream = await openEntry(zip, found, label);
    return await writeVerified(stream, found, dest, label);
  } catch (e) {
    if (e instanceof AirgapError) throw e;
    throw invalid(label, `cannot be unpacked (${errorText(e)})`, e);
  } finally {
    zip.close();
  }
}

async function openEntry(zip: ZipFile, entry: Entry, label: string): Promise<Readable> {
  try {
    return await zip.openReadStreamPromise(entry);
  } catch (e) {
    throw invalid(label, `entry "${entry.fileName}" cannot be read (${errorText(e)})`, e);
  }
}

async function writeVerified(
  stream: Readable,
  entry: Entry,
  dest: string,
  label: string,
): Promise<ExtractedBinary> {
  const fh = await fs.open(dest, 'wx', 0o755).catch((e: unknown) => {
    throw new AirgapError('FS_ERROR', `cannot create ${dest}: ${errorText(e)}`, { path: dest, cause: e });
  });
  let crc = 0;
  let size = 0;
  try {
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        crc = crc32(chunk, crc);
        size += chunk.length;
        await fh.write(chunk);
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== undefined && (e as NodeJS.ErrnoException).syscall) {
        throw new AirgapError('FS_ERROR', `cannot write ${dest}: ${errorText(e)}`, { path: dest, cause: e });
      }
      throw invalid(label, `entry "${entry.fileName}" cannot be read (${errorText(e)})`, e);
    }
    if (crc >>> 0 !== entry.crc32 >>> 0) {
      throw new AirgapError(
        'ZIP_INVALID',
        `${label}: entry "${entry.fileName}" is corrupt: CRC-32 ${hex32(crc)}, the zip records ${hex32(entry.crc32)}`,
        { path: label, expected: hex32(entry.crc32), actual: hex32(crc) },
      );
    }
    // The umask may have cleared bits of the mode given to open().
    await fh.chmod(0o755);
    await fh.sync();
    return { size };
  } finally {
    await fh.close();
  }
}

function invalid(label: string, why: string, cause?: unknown): AirgapError {
  return new AirgapError(
    'ZIP_INVALID',
    `${label}: ${why}`,
    cause === undefined ? { path: label } : { path: label, cause },
  );
}

function hex32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
