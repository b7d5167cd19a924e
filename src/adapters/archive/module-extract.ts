// Unpacks a module's source archive (.tar.gz/.tgz or .zip, as a registry's location
// names it) into an empty directory, refusing what could write outside it or cost
// without bound, naming the module: absolute or `..` names, links of any kind (a link
// inside the tree can be followed out by a later entry or by the CLI on the other side;
// modules are carried as plain files), devices and FIFOs, the same path twice, more than
// MODULE_LIMITS.entries entries, or more than MODULE_LIMITS.bytes bytes unpacked (a zip
// bomb). A zip's sizes are checked from its central directory before anything is
// written, and against the bytes that really come out while writing (yauzl's
// validateEntrySizes); a tar's as its bytes arrive.

import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type { Entry, ZipFile } from 'yauzl';
import { loadYauzl } from './zip-libs.js';
import { AirgapError, isAirgapError } from '../../core/errors.js';
import type { ArchiveFormat } from '../../core/module/location.js';
import { effectiveName, unsafeNameReason } from '../../core/transfer/entry-policy.js';
import { isGzip, readTarEntries, tarStream } from './tar-read.js';

export const MODULE_LIMITS = {
  /** Bytes unpacked, summed over the archive: far above any real module's source. */
  bytes: 256 * 1024 * 1024,
  entries: 50_000,
} as const;

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;

function unsafe(label: string, entry: string, why: string): AirgapError {
  return new AirgapError(
    'ARCHIVE_ENTRY_UNSAFE',
    `module ${label}: archive entry ${JSON.stringify(entry)} is refused: ${why}`,
    { path: entry, expected: 'regular files and directories inside the module' },
    'the module archive is unsafe to unpack; do not carry this version',
  );
}

function tooBig(label: string, what: string): AirgapError {
  return new AirgapError(
    'ARCHIVE_ENTRY_UNSAFE',
    `module ${label}: the archive is refused: ${what} (a decompression bomb?)`,
    {
      expected: `at most ${MODULE_LIMITS.bytes} bytes in ${MODULE_LIMITS.entries} entries unpacked`,
      actual: what,
    },
    'the module archive is unsafe to unpack; do not carry this version',
  );
}

/** The entry's path inside the tree, or undefined for the root itself; throws when unsafe. */
function entryPath(label: string, raw: string): string | undefined {
  const why = unsafeNameReason(raw);
  if (why !== undefined) throw unsafe(label, raw, why);
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  return parts.length === 0 ? undefined : parts.join('/');
}

class Budget {
  bytes = 0;
  entries = 0;
  readonly seen = new Set<string>();
  constructor(private readonly label: string) {}
  entry(rel: string, isFile: boolean): void {
    this.entries += 1;
    if (this.entries > MODULE_LIMITS.entries)
      throw tooBig(this.label, `more than ${MODULE_LIMITS.entries} entries`);
    if (isFile) {
      if (this.seen.has(rel)) throw unsafe(this.label, rel, 'the same path appears twice');
      this.seen.add(rel);
    }
  }
  add(n: number): void {
    this.bytes += n;
    if (this.bytes > MODULE_LIMITS.bytes)
      throw tooBig(this.label, `more than ${MODULE_LIMITS.bytes} bytes unpacked`);
  }
}

/** Unpacks `file` into `dest` (created, must not exist). */
export async function extractModuleArchive(
  file: string,
  format: ArchiveFormat,
  dest: string,
  label: string,
): Promise<void> {
  await fsp.mkdir(dest, { recursive: false });
  if (format === 'zip') await extractZip(file, dest, label);
  else await extractTarGz(file, dest, label);
}

function modeOf(mode: number): number {
  return (mode & 0o111) !== 0 ? 0o755 : 0o644;
}

async function writeEntry(
  dest: string,
  rel: string,
  mode: number,
  body: NodeJS.ReadableStream,
  budget: Budget,
): Promise<void> {
  const target = path.join(dest, ...rel.split('/'));
  await fsp.mkdir(path.dirname(target), { recursive: true });
  const counting = new Transform({
    transform(chunk: Buffer, _enc, done) {
      try {
        budget.add(chunk.length);
      } catch (e) {
        done(e as Error);
        return;
      }
      done(null, chunk);
    },
  });
  // 'wx': a path already written (a directory entry, or a file) is never overwritten.
  await pipeline(body, counting, fs.createWriteStream(target, { flags: 'wx', mode: modeOf(mode) }));
}

async function extractTarGz(file: string, dest: string, label: string): Promise<void> {
  const fd = await fsp.open(file);
  const head = Buffer.alloc(2);
  await fd.read(head, 0, 2, 0);
  await fd.close();
  const budget = new Budget(label);
  const input = fs.createReadStream(file);
  try {
    for await (const entry of readTarEntries(tarStream(input, isGzip(head)), label)) {
      if (entry.kind === 'pax-global-header') {
        // GitHub's tarballs carry the commit id in one; it describes no file.
        entry.body.resume();
        continue;
      }
      const raw = effectiveName(entry);
      const rel = entryPath(label, raw);
      if (entry.kind === 'symlink' || entry.kind === 'hardlink') {
        throw unsafe(
          label,
          raw,
          `it is a ${entry.kind} to ${JSON.stringify(entry.linkName ?? '')}; links are not carried`,
        );
      }
      if (entry.kind !== 'file' && entry.kind !== 'directory' && entry.kind !== 'contiguous-file') {
        throw unsafe(label, raw, `it is a ${entry.kind}`);
      }
      budget.entry(rel ?? '.', entry.kind !== 'directory');
      if (rel === undefined || entry.kind === 'directory') {
        if (rel !== undefined) await fsp.mkdir(path.join(dest, ...rel.split('/')), { recursive: true });
        entry.body.resume();
        continue;
      }
      await writeEntry(dest, rel, entry.mode, entry.body, budget);
    }
  } catch (e) {
    if (isAirgapError(e)) {
      if (e.code === 'ARCHIVE_INVALID' && !e.message.startsWith(`module ${label}`)) {
        throw new AirgapError('ARCHIVE_INVALID', `module ${label}: ${e.message}`, e.details, e.remedy);
      }
      throw e;
    }
    throw new AirgapError(
      'ARCHIVE_INVALID',
      `module ${label}: the archive cannot be read: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  } finally {
    input.destroy();
  }
}

async function extractZip(file: string, dest: string, label: string): Promise<void> {
  const yauzl = await loadYauzl();
  let zip: ZipFile;
  try {
    zip = await yauzl.openPromise(file, {
      lazyEntries: true,
      decodeStrings: false,
      validateEntrySizes: true,
      autoClose: false,
    });
  } catch (e) {
    throw new AirgapError(
      'ARCHIVE_INVALID',
      `module ${label}: not a readable zip archive (${(e as Error).message})`,
      {
        cause: e,
      },
    );
  }
  const budget = new Budget(label);
  try {
    const entries: { entry: Entry; rel: string | undefined; raw: string; mode: number; dir: boolean }[] = [];
    let declared = 0;
    for await (const entry of zip.eachEntry()) {
      const raw = Buffer.from(entry.fileName as unknown as Uint8Array).toString('utf8');
      const rel = entryPath(label, raw);
      const unixMode = (entry.externalFileAttributes >>> 16) & 0xffff;
      const type = unixMode & S_IFMT;
      if (type === S_IFLNK) throw unsafe(label, raw, 'it is a symlink; links are not carried');
      const dir = raw.endsWith('/') || type === S_IFDIR;
      if (type !== 0 && type !== S_IFREG && type !== S_IFDIR)
        throw unsafe(label, raw, 'it is not a regular file');
      if (entry.isEncrypted()) throw unsafe(label, raw, 'it is encrypted');
      budget.entry(rel ?? '.', !dir);
      declared += entry.uncompressedSize;
      if (declared > MODULE_LIMITS.bytes)
        throw tooBig(label, `its entries declare more than ${MODULE_LIMITS.bytes} bytes unpacked`);
      entries.push({ entry, rel, raw, mode: unixMode, dir });
    }
    for (const e of entries) {
      if (e.rel === undefined) continue;
      if (e.dir) {
        await fsp.mkdir(path.join(dest, ...e.rel.split('/')), { recursive: true });
        continue;
      }
      const stream = await zip.openReadStreamPromise(e.entry);
      await writeEntry(dest, e.rel, e.mode, stream, budget);
    }
  } catch (e) {
    if (isAirgapError(e)) throw e;
    throw new AirgapError(
      'ARCHIVE_INVALID',
      `module ${label}: the zip cannot be read: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  } finally {
    zip.close();
  }
}
