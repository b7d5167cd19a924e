// Finds every .terraform.lock.hcl below a directory (what --dir does, and what a
// directory in airgap.yaml's `lockfiles` does). Skips .terraform/, node_modules/ and
// .git/; follows a symlink only while it stays inside the directory given, and walks
// each real directory once, so loops end (walk.ts, policy 'follow-inside').

import fs from 'node:fs/promises';
import { AirgapError } from '../../core/errors.js';
import { LOCKFILE_NAME, LOCKFILE_SEARCH_SKIP } from '../../core/layout/names.js';
import { walkTree, type WalkEntry } from './walk.js';

/** Whether a lock file search walks into this directory: not into .terraform/, node_modules/, .git/. */
export function searchDescends(dir: WalkEntry): boolean {
  return !LOCKFILE_SEARCH_SKIP.includes(dir.name);
}

/** Lock files below `dir`, shown as `dir` joined with their path below it, in walk order. */
export async function findLockfiles(dir: string): Promise<string[]> {
  try {
    if (!(await fs.stat(dir)).isDirectory()) throw new Error('not a directory');
  } catch (e) {
    throw new AirgapError(
      'INPUT_NOT_FOUND',
      `--dir ${dir}: not a readable directory (${(e as Error).message})`,
      { path: dir, cause: e },
    );
  }
  return lockfilesBelow(dir);
}

/** The search itself, for a `dir` already known to be a directory. */
export async function lockfilesBelow(dir: string): Promise<string[]> {
  return (await filesNamedBelow(dir, [LOCKFILE_NAME])).map((f) => f.path);
}

/**
 * Files with one of `names` below `dir`, found as lock files are (one walk for several
 * names); `skip` leaves out more directories.
 */
export async function filesNamedBelow(
  dir: string,
  names: readonly string[],
  skip: (dir: WalkEntry) => Promise<boolean> = () => Promise.resolve(false),
): Promise<{ path: string; name: string }[]> {
  const found: { path: string; name: string }[] = [];
  const descend = async (d: WalkEntry): Promise<boolean> => searchDescends(d) && !(await skip(d));
  for await (const e of walkTree(dir, { symlinks: 'follow-inside', descend })) {
    if (e.kind === 'file' && names.includes(e.name)) found.push({ path: e.path, name: e.name });
  }
  return found;
}
