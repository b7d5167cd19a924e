// The archive member index: long names in each of tar's three encodings, links,
// and truncated or non-tar input.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  findFile,
  indexTar,
  memberStream,
  readMember,
} from '../../../src/adapters/oci/image-source/tar-index.js';
import { makeTempDir } from '../../helpers/tmp.js';
import { buildTar, paxFlood } from '../../helpers/transfer.js';
import { rejection, tarOf } from './helpers.js';

const run = promisify(execFile);
// 60 + 1 + 60: splits into ustar prefix + name. One 120-character component cannot: pax path.
const PREFIXED = `${'p'.repeat(60)}/${'n'.repeat(60)}`;
const PAX = 'x'.repeat(120);

let dir: string;

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

beforeAll(async () => {
  dir = await makeTempDir('airgap-tar-index-');
});

describe('indexTar', () => {
  it('reads ustar-prefix and pax names, data offsets, and follows symlinks and hardlinks', async () => {
    const file = path.join(dir, 'names.tar');
    const bytes = tarOf([
      { name: './short', type: 'File', body: 'short body' },
      { name: PREFIXED, type: 'File', body: 'prefixed body' },
      { name: PAX, type: 'File', body: 'pax body' },
      { name: 'dir/', type: 'Directory' },
      { name: 'dir/link', type: 'SymbolicLink', linkpath: `../${PAX}` },
      { name: 'hard', type: 'Link', linkpath: 'short' },
    ]);
    // The pax path really is in an extended header, not the ustar fields.
    expect(bytes.includes(Buffer.from(`path=${PAX}\n`))).toBe(true);
    expect(bytes.includes(Buffer.from(`path=${PREFIXED}\n`))).toBe(false);
    await fs.writeFile(file, bytes);
    const index = await indexTar(file, 'test');
    expect([...index.members.keys()]).toEqual(['short', PREFIXED, PAX, 'dir', 'dir/link', 'hard']);
    expect(index.members.get('dir/link')).toMatchObject({ type: 'symlink', linkname: `../${PAX}`, size: 0 });
    expect(await text(memberStream(index, findFile(index, PREFIXED, 'test')!))).toBe('prefixed body');
    expect(await text(memberStream(index, findFile(index, 'dir/link', 'test')!))).toBe('pax body');
    const hard = findFile(index, 'hard', 'test')!;
    expect(hard.name).toBe('short');
    expect((await readMember(index, hard, 100, 'test')).toString('utf8')).toBe('short body');
    expect(findFile(index, 'absent', 'test')).toBeUndefined();
    const big = await rejection(readMember(index, hard, 5, 'test'));
    expect(big.message).toBe(`test: ${file}: member "short" is 10 bytes, more than 5`);
  });

  it('reads GNU long names written by GNU tar', async () => {
    const src = path.join(dir, 'gnu-src');
    const long = 'g'.repeat(150);
    await fs.mkdir(src);
    await fs.writeFile(path.join(src, long), 'gnu body');
    await fs.symlink(long, path.join(src, `link-${'l'.repeat(120)}`));
    const file = path.join(dir, 'gnu.tar');
    await run('tar', ['--format=gnu', '-cf', file, '-C', src, long, `link-${'l'.repeat(120)}`]);
    expect((await fs.readFile(file)).includes(Buffer.from('././@LongLink'))).toBe(true);
    const index = await indexTar(file, 'test');
    expect(index.members.get(`link-${'l'.repeat(120)}`)).toMatchObject({ type: 'symlink', linkname: long });
    const member = findFile(index, `link-${'l'.repeat(120)}`, 'test')!;
    expect(member.name).toBe(long);
    expect(await text(memberStream(index, member))).toBe('gnu body');
  });

  it('refuses a truncated archive and a file that is not a tar', async () => {
    const whole = tarOf([{ name: 'a', type: 'File', body: 'x'.repeat(2000) }]);
    const truncated = path.join(dir, 'truncated.tar');
    await fs.writeFile(truncated, whole.subarray(0, 1024));
    const cut = await rejection(indexTar(truncated, 'ref'));
    expect(cut.code).toBe('IMAGE_INVALID');
    expect(cut.message).toBe(`ref: ${truncated} is truncated (it ends inside the member at byte 0)`);

    const junk = path.join(dir, 'junk.tar');
    await fs.writeFile(junk, Buffer.alloc(1024, 0x41));
    const notTar = await rejection(indexTar(junk, 'ref'));
    expect(notTar.code).toBe('IMAGE_INVALID');
    expect(notTar.message).toBe(`ref: ${junk} is not a tar archive (bad header at byte 0)`);
  });

  it('bounds the extended headers before one member, as the streaming reader does', async () => {
    const file = path.join(dir, 'flood.tar');
    // Eight 4 KiB pax headers are accepted (the last one's path wins); a ninth is refused.
    await fs.writeFile(
      file,
      buildTar([{ name: 'manifest.json', extended: paxFlood('manifest.json', 8), body: Buffer.from('{}') }]),
    );
    expect((await indexTar(file, 'ref')).members.get('manifest.json')).toMatchObject({
      type: 'file',
      size: 2,
    });
    await fs.writeFile(
      file,
      buildTar([{ name: 'manifest.json', extended: paxFlood('manifest.json', 9), body: Buffer.from('{}') }]),
    );
    const e = await rejection(indexTar(file, 'ref'));
    expect(e.code).toBe('IMAGE_INVALID');
    expect(e.message).toBe(
      `ref: ${file}: more than 8 extended headers or 1048576 bytes of them before one member (at byte 36864)`,
    );
  });
});
