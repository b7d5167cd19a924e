// Opens a file `airgap serve` is about to send, refusing anything that is not a regular
// file inside the served root: a symlink anywhere on the path that leads out of the root
// (checked on the real path), a symlink as the last component (O_NOFOLLOW), a directory.

import { constants, type Stats } from 'node:fs';
import fs, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';

export type OpenResult =
  { ok: true; file: FileHandle; stats: Stats } | { ok: false; status: 403 | 404; reason: string };

/** `realRoot`: the root's realpath; `rel`: a root-relative POSIX path from the catalogue. */
export async function openServed(realRoot: string, rel: string): Promise<OpenResult> {
  const abs = path.join(realRoot, ...rel.split('/'));
  let real: string;
  try {
    real = await fs.realpath(abs);
  } catch {
    return { ok: false, status: 404, reason: 'not found' };
  }
  if (!real.startsWith(realRoot + path.sep)) {
    return { ok: false, status: 403, reason: `${rel} leads outside the served directory` };
  }
  let file: FileHandle;
  try {
    file = await fs.open(real, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return { ok: false, status: 403, reason: `${rel} is a symlink` };
    return { ok: false, status: 404, reason: 'not found' };
  }
  const stats = await file.stat();
  if (!stats.isFile()) {
    await file.close();
    return { ok: false, status: 404, reason: `${rel} is not a regular file` };
  }
  return { ok: true, file, stats };
}
