// A transfer archive split into FILE.000, FILE.001, ... (docs/TRANSFER-FORMAT.md,
// "Split parts") read back as one stream, as `cat FILE.* > FILE` would give it.
// Every part but the last is exactly as long as FILE.000; a gap in the numbering
// or a short part is reported by name before any byte is read.

import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';

import { AirgapError } from '../../core/errors.js';
import { TRANSFER } from '../../core/layout/names.js';

export interface ArchiveParts {
  /** The files to read, in order: [FILE] for an unsplit archive. */
  parts: string[];
  /** Total bytes over all parts. */
  size: number;
  /** True when `source` named FILE.000. */
  split: boolean;
}

const FIRST_SUFFIX = TRANSFER.partSuffix(0);
const PART_RE = /^\.(\d{3,})$/;

async function sizeOf(file: string): Promise<number | undefined> {
  try {
    const st = await fs.stat(file);
    return st.isFile() ? st.size : undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AirgapError('FS_ERROR', `cannot read ${file}: ${(e as Error).message}`, {
      path: file,
      cause: e,
    });
  }
}

/**
 * The parts behind `source`: FILE.000 means every FILE.NNN in sequence; anything else
 * is a single file. Throws BUNDLE_FILE_MISSING naming a missing part (one whose
 * successor exists), ARCHIVE_INVALID naming a part of the wrong size.
 */
export async function resolveParts(source: string): Promise<ArchiveParts> {
  if (!source.endsWith(FIRST_SUFFIX)) {
    const size = await sizeOf(source);
    if (size === undefined) {
      throw new AirgapError(
        'INPUT_NOT_FOUND',
        `${source}: no such file`,
        { path: source },
        'check the path: SOURCE is the transfer tarball (FILE, or FILE.000 when split) or a bundle directory',
      );
    }
    return { parts: [source], size, split: false };
  }
  const base = source.slice(0, -FIRST_SUFFIX.length);
  const partSize = await sizeOf(source);
  if (partSize === undefined) {
    throw new AirgapError(
      'INPUT_NOT_FOUND',
      `${source}: no such file (the first part of a split archive)`,
      { path: source },
      'check the path, and copy every FILE.NNN part from the export side into one directory',
    );
  }
  // Every FILE.NNN beside the first, to tell a gap (a later part exists) from the end.
  const dir = path.dirname(base);
  const stem = path.basename(base);
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (e) {
    throw new AirgapError('FS_ERROR', `cannot list ${dir}: ${(e as Error).message}`, { path: dir, cause: e });
  }
  const numbers = names
    .filter((n) => n.startsWith(stem))
    .map((n) => PART_RE.exec(n.slice(stem.length))?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
  const last = numbers[numbers.length - 1] ?? 0;
  const parts: string[] = [];
  const sizes: number[] = [];
  for (let i = 0; i <= last; i += 1) {
    const part = `${base}${TRANSFER.partSuffix(i)}`;
    const size = await sizeOf(part);
    if (size === undefined) {
      throw new AirgapError(
        'BUNDLE_FILE_MISSING',
        `${part} is missing: the archive is split into parts up to ${base}${TRANSFER.partSuffix(last)}, and every one is needed`,
        {
          path: part,
          expected: `${path.basename(part)} beside ${path.basename(source)}`,
          actual: 'no such file',
        },
        `copy ${path.basename(part)} from the export side beside ${path.basename(source)}`,
      );
    }
    parts.push(part);
    sizes.push(size);
  }
  for (const [i, size] of sizes.entries()) {
    const isLast = i === sizes.length - 1;
    if ((!isLast && size !== partSize) || (isLast && (size > partSize || size === 0))) {
      const expected = isLast
        ? `1 to ${partSize} bytes (the last part)`
        : `${partSize} bytes, like ${path.basename(source)}`;
      throw new AirgapError(
        'ARCHIVE_INVALID',
        `${parts[i]} is ${size} bytes, expected ${expected}: a part was cut short or changed`,
        {
          path: parts[i]!,
          expected,
          actual: `${size} bytes`,
        },
        `copy ${path.basename(parts[i]!)} again from the export side`,
      );
    }
  }
  return { parts, size: sizes.reduce((a, b) => a + b, 0), split: true };
}

/** The parts' bytes as one stream, one file open at a time; `onRead` is told each chunk's size. */
export function concatParts(parts: readonly string[], onRead?: (bytes: number) => void): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    for (const part of parts) {
      try {
        for await (const chunk of createReadStream(part, { highWaterMark: 256 << 10 })) {
          onRead?.((chunk as Buffer).length);
          yield chunk as Buffer;
        }
      } catch (e) {
        throw new AirgapError('FS_ERROR', `cannot read ${part}: ${(e as Error).message}`, {
          path: part,
          cause: e,
        });
      }
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}

/** First bytes of the first part, for format detection (fewer when the archive is shorter). */
export async function peekBytes(file: string, n: number): Promise<Buffer> {
  const fh = await fs.open(file, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

const LATER_PART = /^(.*)\.(\d{3,})$/;

/**
 * FILE.001 (or any part but the first) named as the source: the archive is read from
 * FILE.000, which finds the others by name. Said as a usage error when FILE.000 is there.
 */
export async function refuseLaterPart(source: string): Promise<void> {
  const m = LATER_PART.exec(source);
  if (m === null || Number(m[2]) === 0) return;
  const first = `${m[1]!}${TRANSFER.partSuffix(0)}`;
  const st = await fs.stat(first).catch(() => undefined);
  if (st?.isFile() !== true) return;
  throw new AirgapError(
    'USAGE',
    `${source} is part ${Number(m[2]) + 1} of a split transfer archive; pass its first part, ${first}, which finds the others by name`,
    { path: source, expected: first, actual: source },
    `pass ${first} instead`,
  );
}

/**
 * Where a transfer archive's parts are read from: local files here, or S3
 * (adapters/s3/archive-store.ts). The bundle reader sees only this, so an archive in
 * S3 gets exactly the checks a local one gets.
 */
export interface ArchiveStore {
  /** The parts behind `source` (FILE, or FILE.000 and its siblings), checked as resolveParts does. */
  resolve(source: string): Promise<ArchiveParts>;
  /** First bytes of a part, for format detection. */
  peek(part: string, n: number): Promise<Buffer>;
  /** The parts' bytes as one stream; `onRead` is told the size of each chunk as it is read. */
  open(parts: readonly string[], onRead?: (bytes: number) => void): Readable;
  /** FILE.001 named as the source while FILE.000 exists: a usage error naming FILE.000. */
  refuseLaterPart(source: string): Promise<void>;
  close(): Promise<void>;
}

/** The local file system's parts. */
export const localArchiveStore: ArchiveStore = {
  resolve: resolveParts,
  peek: peekBytes,
  open: concatParts,
  refuseLaterPart,
  close: () => Promise.resolve(),
};
