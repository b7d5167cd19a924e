// The lock one import holds on DIR from before it reads anything there until it is
// done: DIR/.airgap-tmp-import.lock (docs/IMPORT-STATE.md, "One import at a time").
//
// The lock is a symbolic link whose target names its holder ("airgap-import:PID:NONCE"),
// never followed, only read with readlink(2). symlink(2) creates the name and its
// content in one atomic step and fails when the name exists, so no reader can see a
// lock whose owner is not written yet (a file made with O_EXCL is visible, empty,
// before its pid is written: the race that let two first imports into a new DIR both
// fail). Emacs's `.#FILE` lock files are made the same way.
//
// A lock whose process is gone (a crash, kill -9) is stale and taken over: it is moved
// aside under a name of our own, which only one contender can do, and removed only if
// what was moved is the very lock found stale; a live lock moved by mistake (taken over
// in between by someone else) is put back.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { AirgapError } from '../../core/errors.js';
import { IMPORT } from '../../core/layout/names.js';
import { processAlive } from '../../adapters/process/liveness.js';
import { fsError } from './fs-ops.js';

export interface ImportLock {
  /** DIR/.airgap-tmp-import.lock */
  path: string;
  /** Removes the lock when it is still this one's. */
  release(): Promise<void>;
}

const LOCK_TARGET = /^airgap-import:(\d+):([0-9a-f]{16})$/;
const ATTEMPTS = 5;

/** The pid a lock's target names, or undefined when airgap import did not write it. */
export function lockHolder(target: string): number | undefined {
  const m = LOCK_TARGET.exec(target);
  return m === null ? undefined : Number(m[1]);
}

/**
 * Takes DIR's import lock for the process `pid` (this one's: the command hands it in),
 * creating DIR (and its parents) when missing. Throws IMPORT_IN_PROGRESS when another
 * live process holds it, IMPORT_DEST_INVALID when something airgap import did not make
 * has its name.
 */
export async function acquireImportLock(dir: string, pid: number): Promise<ImportLock> {
  const lockPath = path.join(dir, IMPORT.lock);
  const mine = `airgap-import:${pid}:${randomBytes(8).toString('hex')}`;
  const held: ImportLock = {
    path: lockPath,
    async release() {
      const target = await fs.readlink(lockPath).catch(() => undefined);
      if (target === mine) await fs.unlink(lockPath).catch(() => undefined);
    },
  };
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    try {
      await fs.symlink(mine, lockPath);
      return held;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        // DIR is missing: a first import, or one that failed removed the DIR it had made.
        await fs.mkdir(dir, { recursive: true }).catch((err: unknown) => {
          throw fsError('create', dir, err);
        });
        continue;
      }
      if (code !== 'EEXIST') throw fsError('create the import lock', lockPath, e);
    }
    const target = await readLock(lockPath);
    if (target === undefined) continue; // released meanwhile
    const holder = lockHolder(target)!;
    // Our own pid: an import of this process that never finished (the in-process crash tests).
    if (holder !== pid && processAlive(holder)) {
      throw new AirgapError(
        'IMPORT_IN_PROGRESS',
        `another airgap import (process ${holder}) is running in ${dir}; wait for it to finish`,
        { path: lockPath, expected: 'no import in progress', actual: `process ${holder}` },
        'wait for the other import to finish, then run this one again',
      );
    }
    await takeOverStale(lockPath, target, pid);
  }
  throw new AirgapError(
    'IMPORT_IN_PROGRESS',
    `cannot take the import lock ${lockPath}: other imports keep taking it`,
    { path: lockPath, expected: 'the lock', actual: `taken by others ${ATTEMPTS} times` },
    'wait for the other imports to finish, then run this one again',
  );
}

/** The lock's target, undefined when it is gone; refuses anything airgap import did not make. */
async function readLock(lockPath: string): Promise<string | undefined> {
  let target: string;
  try {
    target = await fs.readlink(lockPath);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code !== 'EINVAL') throw fsError('read the import lock', lockPath, e);
    // EINVAL: not a symlink.
    throw notALock(lockPath, 'not a symbolic link');
  }
  if (lockHolder(target) === undefined) throw notALock(lockPath, `a symlink to ${target}`);
  return target;
}

function notALock(lockPath: string, actual: string): AirgapError {
  return new AirgapError(
    'IMPORT_DEST_INVALID',
    `${lockPath} is ${actual}, not an import lock; airgap import does not follow or remove what it did not make`,
    { path: lockPath, expected: 'a symlink to airgap-import:PID:NONCE', actual },
    `remove ${lockPath} if no airgap import is running there, then import again`,
  );
}

/** Removes the stale lock `target` from `lockPath`, unless someone else took the lock meanwhile. */
async function takeOverStale(lockPath: string, target: string, pid: number): Promise<void> {
  const aside = `${lockPath}.stale-${pid}-${randomBytes(4).toString('hex')}`;
  try {
    await fs.rename(lockPath, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // another contender moved it
    throw fsError('remove the stale import lock', lockPath, e);
  }
  const moved = await fs.readlink(aside).catch(() => undefined);
  try {
    // Moved a lock another import took after we read the stale one: give it back.
    if (moved !== undefined && moved !== target) await fs.symlink(moved, lockPath).catch(() => undefined);
  } finally {
    await fs.rm(aside, { force: true });
  }
}
