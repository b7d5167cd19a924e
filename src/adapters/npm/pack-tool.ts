// The tool itself, as the archive `npm pack` makes of this package with every
// runtime dependency bundled (package.json "bundleDependencies"), so that the
// isolated host installs it with `npm install -g ./tool/airgap-VERSION.tgz` and
// no registry. Packing runs the real npm; checking reads the archive once for its
// sha256, its file list and its package.json, inflating it on this thread into a
// reused buffer and skipping every other entry's data without copying it.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { createInflater, InflateError } from '../archive/inflater.js';
import { BLOCK, cString, isZero, parseHeader, parsePax } from '../archive/tar-header.js';
import { isGzip } from '../archive/tar-read.js';
import { AirgapError } from '../../core/errors.js';

const run = promisify(execFile);

export interface ToolPackageInfo {
  /** The .tgz on disk. */
  file: string;
  name: string;
  version: string;
  size: number;
  /** Lower-case hex. */
  sha256: string;
  /** The runtime dependencies found bundled under package/node_modules/, sorted. */
  bundled: string[];
}

interface PackageJson {
  name?: unknown;
  version?: unknown;
  dependencies?: Record<string, string>;
  bin?: string | Record<string, string>;
}

const TOOL_REMEDY =
  'run `npm ci && npm run build` in the airgap checkout, or pass --tool-package FILE made by `npm pack` there';

function invalid(
  file: string,
  message: string,
  expected: string,
  actual: string,
  cause?: unknown,
): AirgapError {
  return new AirgapError(
    'TOOL_PACKAGE_INVALID',
    `${file}: ${message}`,
    { path: file, expected, actual, ...(cause === undefined ? {} : { cause }) },
    TOOL_REMEDY,
  );
}

/** This package's root: the nearest directory above `from` whose package.json names "airgap". */
export function findPackageRoot(from: string = import.meta.url): string {
  let dir = path.dirname(from.startsWith('file:') ? fileURLToPath(from) : from);
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (existsSync(pj)) {
      const pkg = JSON.parse(readFileSync(pj, 'utf8')) as PackageJson;
      if (pkg.name === 'airgap') return dir;
    }
    const up = path.dirname(dir);
    if (up === dir) {
      throw new AirgapError(
        'TOOL_PACKAGE_INVALID',
        `no airgap package.json above ${from}`,
        { path: from, expected: 'a package.json with "name": "airgap"', actual: 'none up to /' },
        TOOL_REMEDY,
      );
    }
    dir = up;
  }
}

/**
 * Runs `npm pack` on `root` into `destDir` and returns the archive's path. Scripts are
 * not run (`--ignore-scripts`): the archive is what is built, not a fresh build.
 */
export async function npmPackTool(root: string, destDir: string): Promise<string> {
  if (!existsSync(path.join(root, 'dist', 'commands'))) {
    throw invalid(
      root,
      'has no dist/commands: build it first (npm run build)',
      'a built package',
      'no dist/',
    );
  }
  let stdout: string;
  try {
    ({ stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', destDir], {
      cwd: root,
      maxBuffer: 64 << 20,
    }));
  } catch (e) {
    const err = e as Error & { stderr?: string };
    const detail = (err.stderr ?? err.message).trim().split('\n').slice(-3).join(' ');
    throw invalid(root, `npm pack failed: ${detail}`, 'npm pack to succeed', detail, e);
  }
  let filename: unknown;
  try {
    filename = (JSON.parse(stdout) as { filename?: unknown }[])[0]?.filename;
  } catch (e) {
    throw invalid(root, 'npm pack --json printed no JSON', 'a JSON list', stdout.slice(0, 80), e);
  }
  if (typeof filename !== 'string' || filename === '') {
    throw invalid(root, 'npm pack --json named no file', 'a filename', stdout.slice(0, 80));
  }
  return path.join(destDir, path.basename(filename));
}

/** The largest pax or GNU long-name record, and the largest package/package.json, read. */
const MAX_META_BYTES = 1 << 20;
const MAX_MANIFEST_BYTES = 16 << 20;

/** Why the archive does not read: said inside "is not a readable npm package archive (...)". */
class ScanError extends Error {}

/**
 * The names of a tar stream's entries (pax `path` and GNU long names applied) and the
 * bytes of package/package.json, from chunks pushed in order. Only headers, extended
 * header records and that one file are copied; every other entry's data is skipped by
 * counting, so a chunk may be a view of a buffer its producer reuses.
 */
class ToolTarScanner {
  readonly names = new Set<string>();
  manifest: Buffer | undefined;
  /** Whether the end-of-archive (zero) block was seen: what follows is not read. */
  ended = false;
  private consumed = 0;
  private readonly header = Buffer.alloc(BLOCK);
  private headerFill = 0;
  private skip = 0;
  private collect: { kind: 'x' | 'L' | 'file'; buf: Buffer; fill: number; pad: number } | undefined;
  private paxPath: string | undefined;
  private longName: string | undefined;
  private entry = '';

  write(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && !this.ended) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - at);
        this.skip -= n;
        at += n;
      } else if (this.collect !== undefined) {
        const c = this.collect;
        const n = Math.min(c.buf.length - c.fill, chunk.length - at);
        chunk.copy(c.buf, c.fill, at, at + n);
        c.fill += n;
        at += n;
        if (c.fill === c.buf.length) this.collected(c);
      } else {
        const n = Math.min(BLOCK - this.headerFill, chunk.length - at);
        chunk.copy(this.header, this.headerFill, at, at + n);
        this.headerFill += n;
        at += n;
        if (this.headerFill === BLOCK) {
          this.headerFill = 0;
          this.onHeader(this.consumed + at - BLOCK);
        }
      }
    }
    this.consumed += at;
  }

  /** Throws unless the stream stopped between entries. */
  end(): void {
    if (this.ended) return;
    if (this.skip > 0 || this.collect !== undefined) {
      throw new ScanError(`the tar ends inside the data of ${JSON.stringify(this.entry)}`);
    }
    if (this.headerFill > 0) {
      throw new ScanError(`the tar ends inside a header, ${this.headerFill} bytes into it`);
    }
  }

  private onHeader(offset: number): void {
    if (isZero(this.header)) {
      this.ended = true;
      return;
    }
    let h: ReturnType<typeof parseHeader>;
    try {
      h = parseHeader(this.header, 'tar', offset);
    } catch (e) {
      throw new ScanError((e as Error).message);
    }
    const pad = Math.ceil(h.size / BLOCK) * BLOCK - h.size;
    if (h.typeflag === 'x' || h.typeflag === 'L' || h.typeflag === 'K') {
      if (h.size > MAX_META_BYTES) {
        throw new ScanError(
          `tar: the extended header at byte ${offset} holds ${h.size} bytes, more than ${MAX_META_BYTES}`,
        );
      }
      this.entry = `extended header at byte ${offset}`;
      if (h.typeflag === 'K') this.skip = h.size + pad;
      else this.startCollect(h.typeflag, h.size, pad);
      return;
    }
    if (h.typeflag === 'g') {
      this.entry = `global header at byte ${offset}`;
      this.skip = h.size + pad;
      return;
    }
    const name = this.paxPath ?? this.longName ?? h.name;
    this.paxPath = undefined;
    this.longName = undefined;
    this.entry = name;
    this.names.add(name);
    if (name === 'package/package.json' && (h.typeflag === '0' || h.typeflag === '7')) {
      if (h.size > MAX_MANIFEST_BYTES) {
        throw new ScanError(
          `tar: package/package.json holds ${h.size} bytes, more than ${MAX_MANIFEST_BYTES}`,
        );
      }
      this.startCollect('file', h.size, pad);
    } else {
      this.skip = h.size + pad;
    }
  }

  private startCollect(kind: 'x' | 'L' | 'file', size: number, pad: number): void {
    const c = { kind, buf: Buffer.alloc(size), fill: 0, pad };
    if (size === 0) this.collected(c);
    else this.collect = c;
  }

  private collected(c: { kind: 'x' | 'L' | 'file'; buf: Buffer; pad: number }): void {
    this.collect = undefined;
    this.skip = c.pad;
    if (c.kind === 'file') this.manifest = c.buf;
    else if (c.kind === 'L') this.longName = cString(c.buf);
    else {
      let records: Record<string, string>;
      try {
        records = parsePax(c.buf, 'tar', this.consumed);
      } catch (e) {
        throw new ScanError((e as Error).message);
      }
      if (records.path !== undefined) this.paxPath = records.path;
    }
  }
}

/** The bytes to inflate at a time. */
const INFLATE_INPUT = 1 << 20;

/**
 * Lists the tar in `data` (gzipped or not) into `scanner`. A gzip stream is inflated on
 * this thread into one reused buffer (inflater.ts) and scanned as it comes out: nothing
 * of the inflated archive is kept beyond its headers and package/package.json.
 */
async function scanArchive(data: Buffer, scanner: ToolTarScanner): Promise<void> {
  if (!isGzip(data)) {
    try {
      scanner.write(data);
      scanner.end();
    } catch (e) {
      // Not a tar from its first block: say what it starts with instead.
      if (e instanceof ScanError && !scanner.ended && scanner.names.size === 0) {
        const start = JSON.stringify(data.subarray(0, 16).toString('latin1'));
        throw new ScanError(`neither gzip nor tar: it starts with ${start}`);
      }
      throw e;
    }
    return;
  }
  const inflater = createInflater('gzip', (chunk) => scanner.write(chunk));
  try {
    for (let at = 0; at < data.length; at += INFLATE_INPUT) {
      const chunk = data.subarray(at, Math.min(at + INFLATE_INPUT, data.length));
      const taken = inflater.ended ? 0 : await inflater.write(chunk);
      if (taken < chunk.length && !isZero(chunk.subarray(taken))) {
        throw new ScanError('gzip: data after the end of the gzip stream');
      }
    }
    await inflater.finish();
  } catch (e) {
    if (e instanceof InflateError) throw new ScanError(`gzip: ${e.message}`);
    throw e;
  } finally {
    inflater.close();
  }
  scanner.end();
}

/**
 * Reads a `npm pack` archive once: its size and sha256, its package.json, and its file
 * list. Throws TOOL_PACKAGE_INVALID unless it is airgap, with its bin scripts, built
 * commands, and every runtime dependency bundled (`package/node_modules/DEP/package.json`).
 */
export async function inspectToolPackage(file: string): Promise<ToolPackageInfo> {
  let data: Buffer;
  try {
    data = await fs.readFile(file);
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw new AirgapError(
      missing ? 'INPUT_NOT_FOUND' : 'FS_ERROR',
      `cannot read the tool package ${file}: ${(e as Error).message}`,
      { path: file, cause: e },
    );
  }
  const sha256 = createHash('sha256').update(data).digest('hex');
  const scanner = new ToolTarScanner();
  try {
    await scanArchive(data, scanner);
  } catch (e) {
    if (!(e instanceof ScanError)) throw e;
    throw invalid(
      file,
      `is not a readable npm package archive (${e.message})`,
      'a gzipped tar from npm pack',
      e.message,
      e,
    );
  }
  const names = scanner.names;
  const manifestText = scanner.manifest?.toString('utf8') ?? '';

  let pkg: PackageJson;
  try {
    pkg = JSON.parse(manifestText) as PackageJson;
  } catch (e) {
    throw invalid(
      file,
      'has no readable package/package.json',
      'package/package.json',
      'missing or not JSON',
      e,
    );
  }
  if (pkg.name !== 'airgap' || typeof pkg.version !== 'string') {
    throw invalid(
      file,
      `is the package ${JSON.stringify(pkg.name)} ${JSON.stringify(pkg.version)}, not airgap`,
      'name "airgap" with a version',
      `${String(pkg.name)}@${String(pkg.version)}`,
    );
  }
  const bins = typeof pkg.bin === 'string' ? [pkg.bin] : Object.values(pkg.bin ?? {});
  const missing = [
    ...bins.map((b) => `package/${path.posix.normalize(b)}`).filter((n) => !names.has(n)),
    ...(![...names].some((n) => n.startsWith('package/dist/commands/')) ? ['package/dist/commands/'] : []),
  ];
  if (missing.length > 0) {
    throw invalid(
      file,
      `lacks ${missing.join(', ')}: it was packed from an unbuilt checkout`,
      'the bin scripts and dist/commands/',
      `missing ${missing.join(', ')}`,
    );
  }
  const deps = Object.keys(pkg.dependencies ?? {}).sort();
  const unbundled = deps.filter((d) => !names.has(`package/node_modules/${d}/package.json`));
  if (unbundled.length > 0) {
    throw invalid(
      file,
      `does not bundle the runtime dependencies ${unbundled.join(', ')}; the isolated host has no registry to fetch them from (package.json "bundleDependencies", then npm install, then npm pack)`,
      deps.map((d) => `package/node_modules/${d}/package.json`).join(', '),
      `missing ${unbundled.join(', ')}`,
    );
  }
  return { file, name: pkg.name, version: pkg.version, size: data.length, sha256, bundled: deps };
}
