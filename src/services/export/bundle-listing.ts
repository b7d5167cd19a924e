// Lists a bundle directory as the pack planner needs it: every entry below the
// root, bundle-relative with "/" separators, typed by lstat (walk.ts, policy
// 'report': a symlink is never followed; the planner refuses it).

import { walkTree } from '../../adapters/fs/walk.js';
import { TEMP_PREFIX } from '../../core/layout/names.js';
import type { FoundEntry } from '../../core/transfer/pack-plan.js';

export async function listBundleDir(root: string): Promise<FoundEntry[]> {
  const found: FoundEntry[] = [];
  const entries = walkTree(root, {
    symlinks: 'report',
    stats: true,
    // What a crashed run left is never packed; no need to look inside.
    descend: (dir) => !dir.name.startsWith(TEMP_PREFIX),
  });
  for await (const e of entries) {
    if (e.kind === 'directory') {
      found.push({ path: e.rel, kind: 'directory', size: 0, executable: false });
    } else if (e.kind === 'file') {
      const mode = e.stats!.mode;
      found.push({ path: e.rel, kind: 'file', size: e.stats!.size, executable: (mode & 0o111) !== 0 });
    } else {
      found.push({ path: e.rel, kind: 'other', size: 0, executable: false });
    }
  }
  return found;
}
