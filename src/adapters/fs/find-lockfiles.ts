// Finds every .terraform.lock.hcl below a directory. Skips .terraform/,
// node_modules/ and .git/; follows a symlink only while it stays inside the
// directory given (and visits each real directory once, so loops end).

import fs from 'node:fs/promises';
import path from 'node:path';
import { AirgapError } from '../../core/errors.js';
import { LOCKFILE_NAME, LOCKFILE_SEARCH_SKIP } from '../../core/layout/names.js';

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

export async function findLockfiles(dir: string): Promise<string[]> {
  let root: string;
  try {
    root = await fs.realpath(dir);
    if (!(await fs.stat(root)).isDirectory()) throw new Error('not a directory');
  } catch (e) {
    throw new AirgapError(
      'INPUT_NOT_FOUND',
      `--dir ${dir}: not a readable directory (${(e as Error).message})`,
      { path: dir, cause: e },
    );
  }
  const found: string[] = [];
  const seen = new Set<string>();

  async function walk(shown: string, real: string): Promise<void> {
    if (seen.has(real)) return;
    seen.add(real);
    const entries = await fs.readdir(real, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const shownPath = path.join(shown, e.name);
      const realPath = path.join(real, e.name);
      if (e.isDirectory()) {
        if (!LOCKFILE_SEARCH_SKIP.includes(e.name)) await walk(shownPath, realPath);
        continue;
      }
      if (e.isSymbolicLink()) {
        let target: string;
        try {
          target = await fs.realpath(realPath);
        } catch {
          continue; // dangling
        }
        if (!isInside(target, root)) continue;
        const st = await fs.stat(target);
        if (st.isDirectory()) {
          if (!LOCKFILE_SEARCH_SKIP.includes(e.name)) await walk(shownPath, target);
        } else if (st.isFile() && e.name === LOCKFILE_NAME) {
          found.push(shownPath);
        }
        continue;
      }
      if (e.isFile() && e.name === LOCKFILE_NAME) found.push(shownPath);
    }
  }

  await walk(dir, root);
  return found;
}
