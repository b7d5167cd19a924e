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

import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { AirgapError } from '../../core/errors.js';
import { hashH1 } from '../../core/hash/package-hash.js';
import type { FileDigest } from '../../core/hash/package-hash.js';
import { sha256File } from './sha256-file.js';

const SLASH = Buffer.from('/');

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
  await walk(dir, root, Buffer.alloc(0), files);
  return hashH1(files);
}

async function walk(dir: string, root: Buffer, rel: Buffer, out: FileDigest[]): Promise<void> {
  const abs = rel.length === 0 ? root : Buffer.concat([root, SLASH, rel]);
  const names = await readdir(abs, { encoding: 'buffer' }).catch((e: unknown) => {
    throw fsError(shown(dir, rel), e);
  });
  // Sorted only so errors are reported in a stable order; hashH1 sorts again.
  names.sort(Buffer.compare);
  for (const name of names) {
    const childRel = rel.length === 0 ? name : Buffer.concat([rel, SLASH, name]);
    const childAbs = Buffer.concat([root, SLASH, childRel]);
    const where = shown(dir, childRel);
    const info = await lstat(childAbs).catch((e: unknown) => {
      throw fsError(where, e);
    });
    if (info.isDirectory()) {
      await walk(dir, root, childRel, out);
      continue;
    }
    const target = info.isSymbolicLink() ? await followLink(where, childAbs) : info;
    if (target.isDirectory()) {
      throw new AirgapError(
        'HASH_INPUT_INVALID',
        `${where} is a symbolic link to a directory; tofu cannot hash it either`,
        {
          path: where,
        },
      );
    }
    if (!target.isFile()) {
      throw new AirgapError('HASH_INPUT_INVALID', `${where} is not a regular file (socket, FIFO or device)`, {
        path: where,
      });
    }
    out.push({ name: childRel, sha256: await fileSha256(where, childAbs) });
  }
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

function shown(dir: string, rel: Buffer): string {
  return rel.length === 0 ? dir : `${dir}/${rel.toString('utf8')}`;
}

function fsError(where: string, e: unknown): AirgapError {
  const why = e instanceof Error ? e.message : String(e);
  return new AirgapError('FS_ERROR', `${where}: ${why}`, { path: where, cause: e });
}
