// hashDirectoryH1 on temp trees built here: symlinks, raw-byte names, special files, and
// the zip == unpacked-directory property. Expected h1 literals were computed with Python's
// hashlib over the same files, not with this code.
import { execFile } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { digestZip } from '../../../src/adapters/archive/zip-read.js';
import { writeDeterministicZip } from '../../../src/adapters/archive/zip-write.js';
import { hashDirectoryH1 } from '../../../src/adapters/fs/hash-dir.js';
import { AirgapError } from '../../../src/core/errors.js';
import { makeTempDir } from '../../helpers/tmp.js';

const run = promisify(execFile);

async function rejection(p: Promise<unknown>): Promise<AirgapError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(AirgapError);
    return e as AirgapError;
  }
  throw new Error('expected an AirgapError');
}

/** real.txt, link.txt -> real.txt, sub/deep/file, and an empty directory. */
async function sampleTree(): Promise<string> {
  const dir = await makeTempDir('airgap-hashdir-');
  await writeFile(path.join(dir, 'real.txt'), 'real content');
  await symlink('real.txt', path.join(dir, 'link.txt'));
  await mkdir(path.join(dir, 'sub/deep'), { recursive: true });
  await writeFile(path.join(dir, 'sub/deep/file'), 'deep');
  await mkdir(path.join(dir, 'empty-dir'));
  return dir;
}

describe('hashDirectoryH1', () => {
  it('hashes nested files, follows a symlink to a file, ignores empty directories', async () => {
    expect(await hashDirectoryH1(await sampleTree())).toBe('h1:Ls7NDRBM+ljSRx8tg/GkqHmx94tTXwAqWD4e2R3Jb10=');
  });

  it('resolves a symlinked package directory first, as Terraform does', async () => {
    const tree = await sampleTree();
    const outside = await makeTempDir();
    const link = path.join(outside, 'pkg');
    await symlink(tree, link);
    expect(await hashDirectoryH1(link)).toBe('h1:Ls7NDRBM+ljSRx8tg/GkqHmx94tTXwAqWD4e2R3Jb10=');
  });

  it('hashes a file name that is not valid UTF-8 as its raw bytes', async () => {
    const dir = await makeTempDir();
    const raw = Buffer.concat([Buffer.from(dir + '/caf'), Buffer.from([0xe9]), Buffer.from('.txt')]);
    await writeFile(raw, 'latin-1 name');
    expect(await hashDirectoryH1(dir)).toBe('h1:3HL0sYl+YJenSJ4lwg2qRqp7rWaZ7ymr6wDj58MBkkI=');
  });

  it('fails on a symlink to a directory, as Go cannot read it either', async () => {
    const dir = await sampleTree();
    await symlink('sub', path.join(dir, 'sub-link'));
    const e = await rejection(hashDirectoryH1(dir));
    expect(e.code).toBe('HASH_INPUT_INVALID');
    expect(e.message).toBe(`${dir}/sub-link is a symbolic link to a directory; tofu cannot hash it either`);
  });

  it('fails on a dangling symlink', async () => {
    const dir = await makeTempDir();
    await symlink('missing-target', path.join(dir, 'dangling'));
    const e = await rejection(hashDirectoryH1(dir));
    expect(e.code).toBe('HASH_INPUT_INVALID');
    expect(e.details.path).toBe(`${dir}/dangling`);
  });

  it('fails on a FIFO instead of blocking on it', async () => {
    const dir = await makeTempDir();
    await run('mkfifo', [path.join(dir, 'pipe')]);
    const e = await rejection(hashDirectoryH1(dir));
    expect(e.code).toBe('HASH_INPUT_INVALID');
    expect(e.message).toBe(`${dir}/pipe is not a regular file (socket, FIFO or device)`);
  });

  it('fails on a file name with a newline', async () => {
    const dir = await makeTempDir();
    await writeFile(path.join(dir, 'evil\nname'), 'x');
    const e = await rejection(hashDirectoryH1(dir));
    expect(e.code).toBe('HASH_INPUT_INVALID');
    expect(e.message).toContain('"evil\\nname"');
  });

  it('says which path is missing or not a directory', async () => {
    const dir = await makeTempDir();
    const missing = path.join(dir, 'absent');
    const e1 = await rejection(hashDirectoryH1(missing));
    expect(e1.code).toBe('INPUT_NOT_FOUND');
    expect(e1.details.path).toBe(missing);
    const file = path.join(dir, 'file');
    await writeFile(file, 'x');
    const e2 = await rejection(hashDirectoryH1(file));
    expect(e2.code).toBe('HASH_INPUT_INVALID');
    expect(e2.message).toBe(`${file} is not a directory`);
  });

  it('equals the h1 of the same files zipped, once unpacked by Python', async () => {
    const dir = await makeTempDir();
    const zip = path.join(dir, 'p.zip');
    await writeDeterministicZip(zip, [
      { name: 'terraform-provider-x_v1.0.0', mode: 0o755, data: Buffer.from('bin') },
      { name: 'a/b/c.txt', mode: 0o644, data: Buffer.from('nested') },
      { name: 'ü.txt', mode: 0o644, data: Buffer.from('') },
    ]);
    const out = path.join(dir, 'out');
    await run('python3', [
      '-c',
      'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])',
      zip,
      out,
    ]);
    const fromDir = await hashDirectoryH1(out);
    expect(fromDir).toBe((await digestZip(zip)).h1);
    expect(fromDir).toBe('h1:fxCPc1prwb0zfKYr0vNoEtQXonzuIB6WSm2Dy8zJqsk=');
  });
});
