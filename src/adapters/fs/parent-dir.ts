// Whether the directory an output path would be written into exists: the commands refuse
// to create it on their own (a typo in --out must not grow a new tree), unless --parents.

import { stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * The parent directory of `target` (as written, resolved against `cwd` to look it up)
 * when it does not exist; undefined when it does, or when the look-up fails otherwise
 * (a parent that is a file is the writer's error to report).
 */
export async function missingParent(target: string, cwd: string): Promise<string | undefined> {
  const parent = path.dirname(target);
  try {
    await stat(path.resolve(cwd, parent));
    return undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? parent : undefined;
  }
}
