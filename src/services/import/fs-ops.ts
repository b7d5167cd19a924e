// The filesystem primitives an import is built from: synced writes, hard links
// (a copy where the filesystem has none), symlinks swapped by rename(2), and a
// walk that refuses anything but directories and regular files.

import fs from 'node:fs/promises';
import path from 'node:path';
import { AirgapError } from '../../core/errors.js';
import { tempPathBeside } from '../../adapters/fs/atomic.js';
import { DEST_CHANGED } from './remedies.js';

export function fsError(what: string, p: string, e: unknown): AirgapError {
  if (e instanceof AirgapError) return e;
  return new AirgapError('FS_ERROR', `cannot ${what} ${p}: ${(e as Error).message}`, { path: p, cause: e });
}

export async function fsyncPath(p: string): Promise<void> {
  const fh = await fs.open(p, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Creates `p` (it must not exist) with `data`, flushed to disk before returning. */
export async function writeFileSynced(p: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  try {
    const fh = await fs.open(p, 'wx', mode);
    try {
      await fh.writeFile(data);
      await fh.chmod(mode);
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch (e) {
    throw fsError('write', p, e);
  }
}

const NO_LINK = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK', 'EXDEV']);

/**
 * Hard-links `src` to `dest`: files in a generation are never modified in place,
 * so sharing the inode is safe and costs no read. Copies where links are refused.
 */
export async function linkOrCopy(src: string, dest: string): Promise<'linked' | 'copied'> {
  try {
    await fs.link(src, dest);
    return 'linked';
  } catch (e) {
    if (!NO_LINK.has((e as NodeJS.ErrnoException).code ?? '')) throw fsError('link', dest, e);
  }
  try {
    await fs.copyFile(src, dest, fs.constants.COPYFILE_EXCL);
    await fsyncPath(dest);
    return 'copied';
  } catch (e) {
    throw fsError('copy', dest, e);
  }
}

/** Points the symlink `linkPath` at `target`, atomically: a new symlink renamed over the old one. */
export async function swapSymlink(target: string, linkPath: string): Promise<void> {
  const tmp = tempPathBeside(linkPath);
  try {
    await fs.symlink(target, tmp);
    await fs.rename(tmp, linkPath);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw fsError('create the symlink', linkPath, e);
  }
}

/** Regular files below `root`, root-relative POSIX paths, sorted; [] when root does not exist. */
export async function walkFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string, rel: string): Promise<void> {
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && rel === '') return;
      throw fsError('read the directory', dir, e);
    }
    for (const e of entries) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) await walk(path.join(dir, e.name), r);
      else if (e.isFile()) out.push(r);
      else {
        throw new AirgapError(
          'IMPORT_DEST_INVALID',
          `${path.join(dir, e.name)} is neither a regular file nor a directory; an import generation holds nothing else`,
          {
            path: path.join(dir, e.name),
            expected: 'a regular file or directory',
            actual: 'another file type',
          },
          DEST_CHANGED,
        );
      }
    }
  }
  await walk(root, '');
  return out.sort();
}

/** Every directory at or below `root` (deepest first), for flushing their entries to disk. */
export async function walkDirs(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string): Promise<void> {
    for (const e of await fs.readdir(dir, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(path.join(dir, e.name));
    }
    out.push(dir);
  }
  await walk(root);
  return out;
}

/** lstat, or undefined for a path that does not exist. */
export async function lstatIfExists(p: string): Promise<import('node:fs').Stats | undefined> {
  try {
    return await fs.lstat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fsError('inspect', p, e);
  }
}
