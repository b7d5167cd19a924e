// The h1 of an unpacked provider directory, as Terraform/tofu compute it:
// dirhash.HashDir(filepath.EvalSymlinks(dir), "", dirhash.Hash1).
//
// Go's DirFiles walks with filepath.Walk, which lstat()s entries and never descends into a
// symlinked directory; every non-directory entry is listed, and Hash1 then os.Open()s it,
// which follows links. So, matching Go:
//   - a symlink to a regular file is hashed under the link's name with the target's bytes;
//   - a symlink to a directory makes Go fail ("read: is a directory"): we fail too;
//   - a dangling symlink makes Go fail at open: we fail too;
//   - sockets, FIFOs and devices would be opened and read by Go (a FIFO blocks forever):
//     we fail instead, since a provider package never holds them.
// Empty directories contribute nothing. Names are raw bytes ('/'-joined), as Go keeps them.

import { realpath, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { AirgapError } from '../../core/errors.js';
import { hashH1 } from '../../core/hash/package-hash.js';
import type { FileDigest } from '../../core/hash/package-hash.js';
import { sha256File } from './sha256-file.js';
import { walkTree } from './walk.js';

export async function hashDirectoryH1(dir: string): Promise<string> {
  let root: Buffer;
  try {
    root = await realpath(dir, { encoding: 'buffer' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new AirgapError('INPUT_NOT_FOUND', `${dir}: no such directory`, { path: dir, cause: e });
    }
    throw fsError(dir, e);
  }
  const rootStat = await stat(root).catch((e: unknown) => {
    throw fsError(dir, e);
  });
  if (!rootStat.isDirectory()) {
    throw new AirgapError('HASH_INPUT_INVALID', `${dir} is not a directory`, { path: dir });
  }
  const files: FileDigest[] = [];
  // Policy 'report': like filepath.Walk, never into a symlinked directory; links are judged below.
  for await (const e of walkTree(root, { symlinks: 'report', label: dir })) {
    if (e.kind === 'directory') continue;
    const target = e.kind === 'symlink' ? await followLink(e.path, e.abs) : undefined;
    if (target?.isDirectory() === true) {
      throw new AirgapError(
        'HASH_INPUT_INVALID',
        `${e.path} is a symbolic link to a directory; tofu cannot hash it either`,
        { path: e.path },
      );
    }
    if (target === undefined ? e.kind !== 'file' : !target.isFile()) {
      throw new AirgapError(
        'HASH_INPUT_INVALID',
        `${e.path} is not a regular file (socket, FIFO or device)`,
        {
          path: e.path,
        },
      );
    }
    files.push({ name: e.relBytes, sha256: await fileSha256(e.path, e.abs) });
  }
  return hashH1(files);
}

async function followLink(where: string, abs: Buffer): Promise<Stats> {
  try {
    return await stat(abs);
  } catch (e) {
    throw new AirgapError('HASH_INPUT_INVALID', `${where} is a symbolic link whose target cannot be read`, {
      path: where,
      cause: e,
    });
  }
}

async function fileSha256(where: string, abs: Buffer): Promise<string> {
  try {
    return (await sha256File(abs)).sha256;
  } catch (e) {
    throw fsError(where, e);
  }
}

function fsError(where: string, e: unknown): AirgapError {
  const why = e instanceof Error ? e.message : String(e);
  return new AirgapError('FS_ERROR', `${where}: ${why}`, { path: where, cause: e });
}
