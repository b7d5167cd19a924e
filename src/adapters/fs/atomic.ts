// Crash-safe writes: everything goes to a temp name beside its target, is
// fsynced, then renamed. Temp names carry TEMP_PREFIX so a later run can find
// and delete what a crash left behind.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { AirgapError } from '../../core/errors.js';
import { TEMP_PREFIX } from '../../core/layout/names.js';
import { walkTree, type WalkEntry } from './walk.js';

export function tempPathBeside(target: string): string {
  return path.join(
    path.dirname(target),
    `${TEMP_PREFIX}${randomBytes(6).toString('hex')}-${path.basename(target)}`,
  );
}

async function fsyncPath(p: string): Promise<void> {
  const fh = await fs.open(p, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Flushes `tmp` to disk and renames it to `target` (atomic on one filesystem), then flushes the directory. */
export async function commitFile(tmp: string, target: string): Promise<void> {
  try {
    await fsyncPath(tmp);
    await fs.rename(tmp, target);
    await fsyncPath(path.dirname(target)).catch(() => undefined);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw new AirgapError('FS_ERROR', `cannot move ${tmp} into place at ${target}: ${(e as Error).message}`, {
      path: target,
      cause: e,
    });
  }
}

export async function writeFileAtomic(
  target: string,
  data: string | Uint8Array,
  mode = 0o644,
): Promise<void> {
  await fs.mkdir(path.dirname(target), { recursive: true });
  const tmp = tempPathBeside(target);
  try {
    await fs.writeFile(tmp, data, { mode });
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw new AirgapError('FS_ERROR', `cannot write ${target}: ${(e as Error).message}`, {
      path: target,
      cause: e,
    });
  }
  await commitFile(tmp, target);
}

/**
 * Deletes temp files a crashed run left anywhere below `root` (none when `root` does not
 * exist yet). Returns how many. Symlinks are not followed (walk.ts, policy 'report').
 */
export async function removeStaleTemps(root: string): Promise<number> {
  const exists = await fs.stat(root).then(
    () => true,
    (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return false;
      throw new AirgapError('FS_ERROR', `cannot read ${root}: ${e.message}`, { path: root, cause: e });
    },
  );
  if (!exists) return 0;
  let removed = 0;
  const isTemp = (e: WalkEntry): boolean => e.name.startsWith(TEMP_PREFIX);
  for await (const e of walkTree(root, { symlinks: 'report', descend: (d) => !isTemp(d) })) {
    if (!isTemp(e)) continue;
    await fs.rm(e.abs, { recursive: true, force: true });
    removed += 1;
  }
  return removed;
}

export async function readFileIfExists(p: string): Promise<string | undefined> {
  try {
    return await fs.readFile(p, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AirgapError('FS_ERROR', `cannot read ${p}: ${(e as Error).message}`, { path: p, cause: e });
  }
}
