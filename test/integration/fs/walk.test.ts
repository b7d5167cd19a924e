// The one directory walker on temp trees built here: order, both symlink policies, the
// descend predicate (a search's skip list), stats, and its error.
import { execFile } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { walkTree, type WalkOptions } from '../../../src/adapters/fs/walk.js';
import { AirgapError } from '../../../src/core/errors.js';
import { makeTempDir } from '../../helpers/tmp.js';

const run = promisify(execFile);

async function put(root: string, rel: string, text = 'x'): Promise<void> {
  await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
  await writeFile(path.join(root, rel), text);
}

/** "rel kind", with "->" for a followed link. */
async function listing(root: string, options: WalkOptions): Promise<string[]> {
  const out: string[] = [];
  for await (const e of walkTree(root, options)) out.push(`${e.rel} ${e.followed ? '->' : ''}${e.kind}`);
  return out;
}

describe('walkTree', () => {
  it('lists each directory in bytewise name order, its contents right after it', async () => {
    const root = await makeTempDir();
    for (const rel of ['b', 'a/z', 'a/B', 'a-c', 'A', 'é', 'a/sub/f']) await put(root, rel);
    await mkdir(path.join(root, 'empty'));
    const raw = Buffer.concat([Buffer.from(`${root}/caf`), Buffer.from([0xe9])]);
    await writeFile(raw, 'latin-1 name');
    const entries: { rel: string; relBytes: Buffer; path: string }[] = [];
    for await (const e of walkTree(root, { symlinks: 'report' })) entries.push(e);
    // "A" (0x41) < "a" < "a-c" ("-" 0x2d) < "b" < "caf\xe9" < "empty" < "é" (0xc3 0xa9); "B" < "sub" < "z".
    expect(entries.map((e) => e.rel)).toEqual([
      'A',
      'a',
      'a/B',
      'a/sub',
      'a/sub/f',
      'a/z',
      'a-c',
      'b',
      'caf\uFFFD',
      'empty',
      'é',
    ]);
    expect(entries[8]!.relBytes).toEqual(Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    expect(entries[4]!.path).toBe(path.join(root, 'a/sub/f'));
  });

  it("'report': a symlink is an entry of its own, never followed; special files are named", async () => {
    const root = await makeTempDir();
    const outside = await makeTempDir();
    await put(root, 'dir/file');
    await put(outside, 'secret');
    await symlink('dir/file', path.join(root, 'to-file'));
    await symlink('dir', path.join(root, 'to-dir'));
    await symlink(outside, path.join(root, 'to-outside'));
    await symlink('missing', path.join(root, 'dangling'));
    await run('mkfifo', [path.join(root, 'pipe')]);
    expect(await listing(root, { symlinks: 'report' })).toEqual([
      'dangling symlink',
      'dir directory',
      'dir/file file',
      'pipe fifo',
      'to-dir symlink',
      'to-file symlink',
      'to-outside symlink',
    ]);
  });

  it("'follow-inside': follows links that stay inside the root, each real directory once", async () => {
    const root = await makeTempDir();
    const outside = await makeTempDir();
    await put(root, 'dir/file');
    await put(outside, 'secret');
    await symlink('dir/file', path.join(root, 'to-file'));
    await symlink('dir', path.join(root, 'to-dir'));
    await symlink('..', path.join(root, 'dir', 'loop'));
    await symlink(outside, path.join(root, 'to-outside'));
    await symlink('missing', path.join(root, 'dangling'));
    const entries = [];
    for await (const e of walkTree(root, { symlinks: 'follow-inside' })) entries.push(e);
    expect(entries.map((e) => `${e.rel} ${e.followed ? '->' : ''}${e.kind}`)).toEqual([
      'dangling symlink',
      'dir directory',
      'dir/file file',
      // The root again: reported, not walked twice.
      'dir/loop ->directory',
      'to-dir ->directory',
      'to-file ->file',
      'to-outside symlink',
    ]);
    // A followed link is read at its target.
    expect(entries[5]!.abs.toString()).toBe(path.join(root, 'dir/file'));
  });

  it("'follow-inside' through a root that is itself a link", async () => {
    const real = await makeTempDir();
    await put(real, 'a/f');
    await symlink('a/f', path.join(real, 'link'));
    const holder = await makeTempDir();
    const root = path.join(holder, 'root');
    await symlink(real, root);
    const entries = [];
    for await (const e of walkTree(root, { symlinks: 'follow-inside' })) entries.push(e);
    expect(entries.map((e) => `${e.path} ${e.followed ? '->' : ''}${e.kind}`)).toEqual([
      `${root}/a directory`,
      `${root}/a/f file`,
      `${root}/link ->file`,
    ]);
  });

  it('reports a directory the descend predicate refuses, without entering it', async () => {
    const root = await makeTempDir();
    await put(root, 'keep/f');
    await put(root, 'skip/f');
    expect(await listing(root, { symlinks: 'report', descend: (d) => d.name !== 'skip' })).toEqual([
      'keep directory',
      'keep/f file',
      'skip directory',
    ]);
  });

  it('waits for a descend predicate that answers later', async () => {
    const root = await makeTempDir();
    await put(root, 'keep/f');
    await put(root, 'skip/f');
    const descend = async (d: { name: string }): Promise<boolean> => {
      await new Promise((resolve) => setImmediate(resolve));
      return d.name !== 'skip';
    };
    expect(await listing(root, { symlinks: 'report', descend })).toEqual([
      'keep directory',
      'keep/f file',
      'skip directory',
    ]);
  });

  it('fills stats on request, and shows paths under a label', async () => {
    const root = await makeTempDir();
    await put(root, 'f', 'five!');
    const entries = [];
    for await (const e of walkTree(root, { symlinks: 'report', stats: true, label: 'ROOT' })) entries.push(e);
    expect(entries.map((e) => [e.path, e.stats?.size])).toEqual([['ROOT/f', 5]]);
  });

  it('says which directory it cannot list', async () => {
    const root = await makeTempDir();
    await put(root, 'file');
    const walking = walkTree(path.join(root, 'file'), { symlinks: 'report' });
    const e = await walking.next().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(AirgapError);
    expect((e as AirgapError).code).toBe('FS_ERROR');
    expect((e as AirgapError).message).toBe(
      `cannot list ${root}/file: ENOTDIR: not a directory, scandir '${root}/file'`,
    );
  });
});
