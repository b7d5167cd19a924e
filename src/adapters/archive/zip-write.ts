// Writes provider zips whose bytes depend only on the entries' names, modes and contents
// (and the two options): used to package in-house providers given as a bare executable,
// and by the test registry. Same inputs -> byte-identical zip -> same zh: everywhere.
//
// What makes it deterministic:
//   - entries sorted bytewise by UTF-8 name; duplicates rejected;
//   - one fixed mtime (default 1980-01-01T00:00:00Z) written as DOS date/time fields equal to
//     its UTC fields whatever the process time zone, and no "UT" extra field (yazl would put a
//     time-zone-shifted instant there);
//   - every entry goes through the same streaming path (CRC and sizes in a data descriptor),
//     so a source given as bytes, a file path or a stream yields the same zip;
//   - deflate at zlib level 6 when compressing. Deflate output is stable for one zlib build;
//     a future zlib may compress differently, so byte-identity across Node versions is only
//     promised for `compress: false`.
// Unix modes go in the external attributes (host "Unix"), so `unzip` and Go restore 0755.

import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { loadYazl } from './zip-libs.js';
import { AirgapError } from '../../core/errors.js';
import { TEMP_PREFIX } from '../../core/layout/names.js';

export interface ZipSource {
  /** Path inside the zip, '/'-separated, e.g. "terraform-provider-foo_v1.2.3". */
  name: string;
  /** Unix permission bits, e.g. 0o755; a regular-file type is recorded whatever is given. */
  mode: number;
  /** One of data, path or stream. */
  data?: Uint8Array;
  path?: string;
  stream?: () => NodeJS.ReadableStream;
  /** Expected size in bytes; checked against what the source delivers. */
  size?: number;
}

export interface ZipWriteOptions {
  /** Deflate (default true) or store. */
  compress?: boolean;
  /** Modification time of every entry; default 1980-01-01T00:00:00Z. Read as UTC, 2-second resolution. */
  mtime?: Date;
}

export interface ZipWriteResult {
  sha256: string;
  size: number;
}

export const DEFAULT_ZIP_MTIME = new Date(Date.UTC(1980, 0, 1, 0, 0, 0));

const S_IFREG = 0o100000;
const PERMISSION_BITS = 0o7777;

interface PreparedSource {
  source: ZipSource;
  nameBytes: Buffer;
  size: number | undefined;
  open: () => NodeJS.ReadableStream;
}

export async function writeDeterministicZip(
  destPath: string,
  sources: ZipSource[],
  options: ZipWriteOptions = {},
): Promise<ZipWriteResult> {
  const mtime = localDateWithUtcFields(options.mtime ?? DEFAULT_ZIP_MTIME);
  const compress = options.compress ?? true;
  const prepared = await Promise.all(sources.map((s) => prepare(destPath, s)));
  prepared.sort((a, b) => Buffer.compare(a.nameBytes, b.nameBytes));
  for (let i = 1; i < prepared.length; i++) {
    if (prepared[i - 1]!.nameBytes.equals(prepared[i]!.nameBytes)) {
      throw nameError(destPath, prepared[i]!.source.name, 'appears more than once');
    }
  }

  const tmpPath = join(
    dirname(destPath),
    `${TEMP_PREFIX}${basename(destPath)}-${randomBytes(6).toString('hex')}`,
  );
  const yazl = await loadYazl();
  const zip = new yazl.ZipFile();
  const hash = createHash('sha256');
  let size = 0;
  const hashing = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  // yazl reports its own errors on the ZipFile and never forwards a source stream's error;
  // both must abort the pipeline or it would wait forever.
  const output = zip.outputStream as Readable;
  const abort = (e: unknown): void => {
    output.destroy(e instanceof Error ? e : new Error(String(e)));
  };
  zip.on('error', abort);

  for (const p of prepared) {
    const entryOptions = {
      mtime,
      mode: S_IFREG | (p.source.mode & PERMISSION_BITS),
      compress,
      forceDosTimestamp: true,
      ...(p.size === undefined ? {} : { size: p.size }),
    };
    zip.addReadStreamLazy(p.source.name, entryOptions, (cb) => {
      let stream: NodeJS.ReadableStream;
      try {
        stream = p.open();
      } catch (e) {
        abort(e);
        return;
      }
      stream.on('error', (e: unknown) => abort(sourceError(destPath, p.source, e)));
      cb(null, stream);
    });
  }
  zip.end();

  try {
    await pipeline(output, hashing, createWriteStream(tmpPath, { flags: 'wx' }));
    await rename(tmpPath, destPath);
  } catch (e) {
    await unlink(tmpPath).catch(() => undefined);
    if (e instanceof AirgapError) throw e;
    throw new AirgapError(
      'FS_ERROR',
      `cannot write zip ${destPath}: ${e instanceof Error ? e.message : String(e)}`,
      {
        path: destPath,
        cause: e,
      },
    );
  }
  return { sha256: hash.digest('hex'), size };
}

async function prepare(destPath: string, source: ZipSource): Promise<PreparedSource> {
  checkName(destPath, source.name);
  const given = [source.data, source.path, source.stream].filter((x) => x !== undefined).length;
  if (given !== 1) {
    throw new AirgapError(
      'USAGE',
      `zip entry "${source.name}" for ${destPath} needs exactly one of data, path or stream`,
      {
        path: destPath,
        actual: `${given} given`,
      },
    );
  }
  if (!Number.isInteger(source.mode) || source.mode < 0 || source.mode > 0xffff) {
    throw new AirgapError(
      'USAGE',
      `zip entry "${source.name}" for ${destPath} has an invalid mode ${source.mode}`,
      {
        path: destPath,
        actual: String(source.mode),
      },
    );
  }
  const nameBytes = Buffer.from(source.name, 'utf8');
  if (source.data !== undefined) {
    const data = Buffer.from(source.data.buffer, source.data.byteOffset, source.data.byteLength);
    checkSize(destPath, source, data.length);
    return { source, nameBytes, size: data.length, open: () => Readable.from([data]) };
  }
  if (source.path !== undefined) {
    const path = source.path;
    const s = await stat(path).catch((e: unknown) => {
      throw new AirgapError('INPUT_NOT_FOUND', `zip entry "${source.name}": cannot read ${path}`, {
        path,
        cause: e,
      });
    });
    if (!s.isFile()) {
      throw new AirgapError('USAGE', `zip entry "${source.name}": ${path} is not a regular file`, { path });
    }
    checkSize(destPath, source, s.size);
    return { source, nameBytes, size: s.size, open: () => createReadStream(path) };
  }
  return { source, nameBytes, size: source.size, open: source.stream! };
}

function checkSize(destPath: string, source: ZipSource, actual: number): void {
  if (source.size === undefined || source.size === actual) return;
  throw new AirgapError(
    'USAGE',
    `zip entry "${source.name}" for ${destPath}: size ${source.size} given, source has ${actual} bytes`,
    {
      path: destPath,
      expected: String(source.size),
      actual: String(actual),
    },
  );
}

// Stricter than what zip allows: only names that unpack to themselves on every OS, so the
// package's h1 is the same wherever tofu unpacks it (see zip-read.ts for the reader's policy).
function checkName(destPath: string, name: string): void {
  if (name === '') throw nameError(destPath, name, 'is empty');
  if (/[\n\0\\]/.test(name)) throw nameError(destPath, name, 'contains a newline, NUL or backslash');
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) throw nameError(destPath, name, 'is absolute');
  if (name.split('/').some((p) => p === '' || p === '.' || p === '..')) {
    throw nameError(destPath, name, 'has an empty, "." or ".." path component');
  }
  if (Buffer.byteLength(name, 'utf8') > 0xffff) throw nameError(destPath, name, 'is longer than 65535 bytes');
}

function nameError(destPath: string, name: string, why: string): AirgapError {
  return new AirgapError(
    'HASH_INPUT_INVALID',
    `zip entry name ${JSON.stringify(name)} for ${destPath} ${why}`,
    {
      path: destPath,
      actual: name,
    },
  );
}

function sourceError(destPath: string, source: ZipSource, e: unknown): AirgapError {
  const why = e instanceof Error ? e.message : String(e);
  return new AirgapError(
    'FS_ERROR',
    `zip entry "${source.name}" for ${destPath}: reading its source failed: ${why}`,
    {
      path: source.path ?? destPath,
      cause: e,
    },
  );
}

/**
 * yazl encodes DOS date/time from a Date's local-time fields. A Date whose local fields equal
 * the wanted UTC fields makes the zip the same in every time zone. (yazl clamps to its
 * 1980-01-01 local midnight, computed when it loads: changing process.env.TZ at run time
 * eastwards would clamp the default mtime. Set TZ before start, if at all.)
 */
function localDateWithUtcFields(utc: Date): Date {
  const t = utc.getTime();
  if (Number.isNaN(t)) throw new AirgapError('USAGE', 'zip mtime is not a valid date');
  const fields = [
    utc.getUTCFullYear(),
    utc.getUTCMonth(),
    utc.getUTCDate(),
    utc.getUTCHours(),
    utc.getUTCMinutes(),
    utc.getUTCSeconds(),
  ] as const;
  if (fields[0] < 1980 || fields[0] > 2107) {
    throw new AirgapError('USAGE', `zip mtime ${utc.toISOString()} is outside the DOS range 1980..2107`, {
      expected: '1980-01-01T00:00:00Z .. 2107-12-31T23:59:58Z',
      actual: utc.toISOString(),
    });
  }
  const local = new Date(...fields);
  const same =
    local.getFullYear() === fields[0] &&
    local.getMonth() === fields[1] &&
    local.getDate() === fields[2] &&
    local.getHours() === fields[3] &&
    local.getMinutes() === fields[4];
  if (!same) {
    // The wall-clock time does not exist locally (a daylight-saving gap).
    throw new AirgapError(
      'USAGE',
      `zip mtime ${utc.toISOString()} cannot be encoded in this time zone; pick another time`,
      {
        actual: utc.toISOString(),
      },
    );
  }
  return local;
}
