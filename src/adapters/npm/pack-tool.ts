// The tool itself, as the archive `npm pack` makes of this package with every
// runtime dependency bundled (package.json "bundleDependencies"), so that the
// isolated host installs it with `npm install -g ./tool/airgap-VERSION.tgz` and
// no registry. Packing runs the real npm; checking reads the archive once for its
// sha256, its file list and its package.json (archive/tar-scan.ts: one pass, only the
// headers and package.json copied).

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { scanTar, TarScanError, type TarListing } from '../archive/tar-scan.js';
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

/** The largest package/package.json read. */
const MAX_MANIFEST_BYTES = 16 << 20;

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
  let listing: TarListing;
  try {
    listing = await scanTar(data, 'package/package.json', MAX_MANIFEST_BYTES);
  } catch (e) {
    if (!(e instanceof TarScanError)) throw e;
    throw invalid(
      file,
      `is not a readable npm package archive (${e.message})`,
      'a gzipped tar from npm pack',
      e.message,
      e,
    );
  }
  const names = listing.names;
  const manifestText = listing.file?.toString('utf8') ?? '';

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
