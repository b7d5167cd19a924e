// Lists a bundle directory as the pack planner needs it: every entry below the
// root, bundle-relative with "/" separators, typed by lstat (a symlink is never
// followed; the planner refuses it).

import fs from 'node:fs/promises';
import path from 'node:path';

import { AirgapError } from '../../core/errors.js';
import { TEMP_PREFIX } from '../../core/layout/names.js';
import type { FoundEntry } from '../../core/transfer/pack-plan.js';

export async function listBundleDir(root: string): Promise<FoundEntry[]> {
  const found: FoundEntry[] = [];
  async function walk(dir: string, rel: string): Promise<void> {
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (e) {
      throw new AirgapError('FS_ERROR', `cannot list ${dir}: ${(e as Error).message}`, {
        path: dir,
        cause: e,
      });
    }
    for (const e of entries) {
      const relPath = rel === '' ? e.name : `${rel}/${e.name}`;
      const abs = path.join(dir, e.name);
      if (e.isDirectory()) {
        found.push({ path: relPath, kind: 'directory', size: 0, executable: false });
        // What a crashed run left is never packed; no need to look inside.
        if (!e.name.startsWith(TEMP_PREFIX)) await walk(abs, relPath);
      } else if (e.isFile()) {
        const st = await fs.lstat(abs);
        found.push({ path: relPath, kind: 'file', size: st.size, executable: (st.mode & 0o111) !== 0 });
      } else {
        found.push({ path: relPath, kind: 'other', size: 0, executable: false });
      }
    }
  }
  await walk(root, '');
  return found;
}
