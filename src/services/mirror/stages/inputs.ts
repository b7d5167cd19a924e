// Stage 1: the lock files the request names (--lockfile, --dir, or the spec's lockfiles
// patterns), read and parsed, each once.

import type { LockfileInput } from '../../../core/mirror/plan.js';
import type { MirrorRequest } from '../../../core/mirror/request.js';
import { readLockfiles } from '../lockfiles.js';

export async function readInputs(
  request: MirrorRequest,
  updateLockfiles: boolean,
  cwd: string,
): Promise<LockfileInput[]> {
  return readLockfiles({
    lockfiles: request.lockfiles,
    dirs: request.dirs,
    patterns: request.lockfilePatterns,
    ...(request.specFile === undefined ? {} : { specFile: request.specFile }),
    cwd,
    updateLockfiles,
  });
}
