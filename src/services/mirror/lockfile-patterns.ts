// TEMPORARY until the shared glob adapter lands: the spec's lockfiles entries as plain
// files or directories (every lock file below, like --dir).

import fs from 'node:fs/promises';
import { findLockfiles } from '../../adapters/fs/find-lockfiles.js';
import { AirgapError } from '../../core/errors.js';
import type { LockfilePattern } from '../../core/mirror/request.js';

export async function expandLockfilePatterns(
  patterns: readonly LockfilePattern[],
): Promise<{ path: string; dir?: string }[]> {
  const out: { path: string; dir?: string }[] = [];
  for (const p of patterns) {
    const st = await fs.stat(p.pattern).catch(() => undefined);
    if (st === undefined) {
      throw new AirgapError('INPUT_NOT_FOUND', `${p.at}: lockfiles entry ${p.pattern} matches nothing`, {
        path: p.at,
        expected: 'a lock file, or a directory holding lock files',
        actual: 'nothing there',
      });
    }
    if (st.isDirectory())
      out.push(...(await findLockfiles(p.pattern)).map((f) => ({ path: f, dir: p.pattern })));
    else out.push({ path: p.pattern });
  }
  return out;
}
