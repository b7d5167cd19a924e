// Turns airgap.yaml's `lockfiles` entries (paths, directories, globs; docs/SPEC-FORMAT.md)
// into the lock files they name. Relative entries are read from `baseDir`, the spec
// file's directory. Every walk is the lock file search of find-lockfiles.ts: below a
// glob's literal part, .terraform/, node_modules/ and .git/ are not entered, and a
// symlink is followed only while it stays inside that part (walk.ts, 'follow-inside').
// An entry that matches nothing is an error of the run, named by its place in the file;
// every such entry is reported at once.

import fs from 'node:fs/promises';
import path from 'node:path';
import { AirgapError, AirgapErrors } from '../../core/errors.js';
import { compileGlob, matchSegments, mayMatchBelow, type Glob } from '../../core/glob.js';
import { LOCKFILE_NAME, LOCKFILE_SEARCH_SKIP } from '../../core/layout/names.js';
import { SPEC_FILE_NAME } from '../../core/spec/types.js';
import { searchDescends } from './find-lockfiles.js';
import { walkTree, type WalkEntry } from './walk.js';

/** One `lockfiles` entry as written, and where (1-based). */
export interface LockfilePattern {
  text: string;
  line: number;
  col: number;
}

export interface ExpandedLockfile {
  /** `baseDir` joined with the lock file's path (absolute when either is). */
  path: string;
  /** The entry that named it: the first in file order, when several do. */
  pattern: LockfilePattern;
  /**
   * The directory it was found below, as a --dir: a directory entry, a directory a
   * glob ending in "/" matched, or a glob's literal part. The bundle names its copy of
   * the lock file relative to it (src/core/bundle/lockfile-names.ts). Absent for an
   * entry naming the file itself.
   */
  dir?: string;
}

interface Found {
  path: string;
  dir?: string;
  /** Dedupe key: the real path, bytes as latin1. */
  real: string;
}

/**
 * The lock files the entries name, each once, sorted bytewise by path. Throws
 * INPUT_NOT_FOUND (all at once) for entries matching nothing, FS_ERROR for a directory
 * that cannot be read.
 */
export async function expandLockfilePatterns(
  patterns: readonly LockfilePattern[],
  baseDir: string,
  options: { file?: string } = {},
): Promise<ExpandedLockfile[]> {
  const file = options.file ?? SPEC_FILE_NAME;
  const byReal = new Map<string, ExpandedLockfile>();
  const errors: AirgapError[] = [];
  for (const [i, pattern] of patterns.entries()) {
    const result = await expandOne(pattern.text, baseDir);
    if (typeof result === 'string') {
      errors.push(noMatch(file, i, pattern, result));
      continue;
    }
    for (const f of result) {
      if (byReal.has(f.real)) continue;
      byReal.set(f.real, { path: f.path, pattern, ...(f.dir === undefined ? {} : { dir: f.dir }) });
    }
  }
  if (errors.length > 0) throw errors.length === 1 ? errors[0]! : new AirgapErrors(errors);
  return [...byReal.values()].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
}

/** What one entry names (at least one file), or why it names nothing. */
async function expandOne(text: string, baseDir: string): Promise<Found[] | string> {
  const glob = compileGlob(text);
  const base = path.isAbsolute(glob.base) ? glob.base : path.join(baseDir, glob.base);
  let real: Buffer;
  let isDir: boolean;
  try {
    real = await fs.realpath(base, { encoding: 'buffer' });
    const st = await fs.stat(real);
    isDir = st.isDirectory();
    if (!isDir && !st.isFile()) return `${base} is neither a file nor a directory`;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return `${base} does not exist`;
    throw new AirgapError('FS_ERROR', `cannot read ${base}: ${(e as Error).message}`, {
      path: base,
      cause: e,
    });
  }
  if (glob.segments.length === 0 && !isDir) {
    if (glob.directories) return `${base} is a file, not a directory`;
    return [{ path: base, real: real.toString('latin1') }];
  }
  if (!isDir) return `${base} is a file, not a directory`;
  const found = await search(base, glob.segments.length === 0 ? { ...glob, directories: true } : glob);
  if (found.files.length > 0) return found.files;
  const skipped = LOCKFILE_SEARCH_SKIP.map((s) => `${s}/`).join(', ');
  if (glob.segments.length === 0) return `no ${LOCKFILE_NAME} below ${base} (${skipped} are not searched)`;
  const looked = `below ${base} (${skipped} are not searched)`;
  if (glob.directories) return `no directory matching it holds a ${LOCKFILE_NAME} ${looked}`;
  if (found.directories > 0) {
    return `no file matches it ${looked}, only directories; end it with "/" for the ${LOCKFILE_NAME} files below them`;
  }
  return `no file matches it ${looked}`;
}

/** One walk below `base` for a glob; `directories`: how many directories the file glob matched instead. */
async function search(base: string, glob: Glob): Promise<{ files: Found[]; directories: number }> {
  const files: Found[] = [];
  let directories = 0;
  const namesOf = (e: WalkEntry): string[] => e.rel.split('/');
  // For a glob naming directories: the shortest leading part of `names` it matches (the outermost directory).
  const matchedDepth = (names: readonly string[]): number | undefined => {
    for (let k = 0; k <= names.length; k++) if (matchSegments(glob.segments, names.slice(0, k))) return k;
    return undefined;
  };
  const descend = (d: WalkEntry): boolean => {
    if (!searchDescends(d)) return false;
    const names = namesOf(d);
    if (glob.directories && matchedDepth(names) !== undefined) return true;
    return mayMatchBelow(glob.segments, names);
  };
  for await (const e of walkTree(base, { symlinks: 'follow-inside', descend })) {
    const names = namesOf(e);
    if (!glob.directories) {
      if (!matchSegments(glob.segments, names)) continue;
      if (e.kind === 'file') files.push({ path: e.path, dir: base, real: e.abs.toString('latin1') });
      else if (e.kind === 'directory') directories += 1;
      continue;
    }
    if (e.kind !== 'file' || e.name !== LOCKFILE_NAME) continue;
    const depth = matchedDepth(names.slice(0, -1));
    if (depth === undefined) continue;
    files.push({
      path: e.path,
      dir: path.join(base, ...names.slice(0, depth)),
      real: e.abs.toString('latin1'),
    });
  }
  return { files, directories };
}

function noMatch(file: string, index: number, pattern: LockfilePattern, why: string): AirgapError {
  const at = `${file}:${pattern.line}:${pattern.col}`;
  return new AirgapError(
    'INPUT_NOT_FOUND',
    `${at}: lockfiles[${index}]: expected ${JSON.stringify(pattern.text)} to name at least one lock file, found none: ${why}`,
    { path: at, expected: 'at least one lock file', actual: why },
    `correct or remove that entry of ${file}; its paths are relative to the directory ${file} is in`,
  );
}
