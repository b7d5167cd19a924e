// digestZip on real zips and on hostile ones built here from real writer output.
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { digestZip } from '../../../src/adapters/archive/zip-read.js';
import { writeDeterministicZip, type ZipSource } from '../../../src/adapters/archive/zip-write.js';
import { AirgapError } from '../../../src/core/errors.js';
import { hashH1 } from '../../../src/core/hash/package-hash.js';
import { realdata } from '../../helpers/realdata.js';
import { makeTempDir } from '../../helpers/tmp.js';
import { clearUtf8Flag, dataOffset, renameEntry, setAttributes } from './zip-bytes.js';

const EMPTY_H1 = 'h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';
const RENOVATE = 'vectors/renovate/lib/modules/manager/terraform/lockfile/__fixtures__';
const PLACEHOLDER_ZIP =
  'vectors/terraform/internal/getproviders/testdata/filesystem-mirror/registry.terraform.io/hashicorp/null/terraform-provider-null_2.1.0_linux_amd64.zip';

function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

async function rejection(p: Promise<unknown>): Promise<AirgapError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(AirgapError);
    return e as AirgapError;
  }
  throw new Error('expected an AirgapError');
}

/** A zip from the real writer, then byte surgery, saved to a temp file. */
async function craft(
  sources: ZipSource[],
  patch: (zip: Buffer) => Buffer,
  compress = false,
): Promise<string> {
  const dir = await makeTempDir('airgap-zipread-');
  const clean = path.join(dir, 'clean.zip');
  await writeDeterministicZip(clean, sources, { compress });
  const hostile = path.join(dir, 'hostile.zip');
  await writeFile(hostile, patch(await readFile(clean)));
  return hostile;
}

function src(name: string, content: string, mode = 0o644): ZipSource {
  return { name, mode, data: Buffer.from(content) };
}

async function yazlDirectoryZip(dirName: string): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  zip.addEmptyDirectory(dirName, { mtime: new Date(2000, 0, 1), forceDosTimestamp: true });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream as Readable) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('digestZip on real zips', () => {
  it('skips the directory entry of test_with_folder.zip and says it saw one', async () => {
    const d = await digestZip(realdata(RENOVATE, 'test_with_folder.zip'));
    expect(d.h1).toBe('h1:g92f/mR2hlVmeWBlplxxJyP2H3fdyPwYccr7uJhcRz8=');
    expect(d.hasDirectoryEntries).toBe(true);
    expect(d.entries.map((e) => [e.name, e.isDirectory, e.size, e.mode])).toEqual([
      ['readme-assets/', true, 0, 0o40700],
      ['readme-assets/someAsset.txt', false, 72, 0o100644],
      ['README.md', false, 14, 0o100644],
    ]);
    // Including the directory as an empty file would give another hash.
    const withDir = hashH1(
      d.entries.map((e) => ({ name: e.rawName, sha256: e.isDirectory ? sha256('') : e.sha256 })),
    );
    expect(withDir).not.toBe(d.h1);
  });

  it('digests every entry of test.zip, deflated and stored', async () => {
    const d = await digestZip(realdata(RENOVATE, 'test.zip'));
    expect(d.h1).toBe('h1:I2F2atKZqKEOYk1tTLe15Llf9rVqxz48ZL1eZB9g8zM=');
    expect(d.hasDirectoryEntries).toBe(false);
    expect(d.entries.map((e) => [e.name, e.size])).toEqual([
      ['test.file', 4200],
      ['anotherTest.file', 27],
    ]);
    expect(Buffer.from(d.entries[0]!.rawName).toString()).toBe('test.file');
  });

  it('hashes the provider binary of the real null 2.1.0 zip like the unpacked file', async () => {
    const d = await digestZip(
      realdata(
        'vectors/terraform/internal/providercache/testdata/terraform-provider-null_2.1.0_linux_amd64.zip',
      ),
    );
    const unpacked = await readFile(
      realdata(
        'vectors/terraform/internal/getproviders/testdata/filesystem-mirror/registry.terraform.io/hashicorp/null/2.0.0/linux_amd64/terraform-provider-null',
      ),
    );
    expect(d.entries).toHaveLength(1);
    expect(d.entries[0]).toMatchObject({
      name: 'terraform-provider-null',
      size: 85,
      sha256: sha256(unpacked),
      mode: 0o100644,
    });
  });
});

describe('digestZip on broken files', () => {
  it('rejects the 294-byte placeholder text file named .zip', async () => {
    const p = realdata(PLACEHOLDER_ZIP);
    const e = await rejection(digestZip(p));
    expect(e.code).toBe('ZIP_INVALID');
    expect(e.message).toContain(p);
    expect(e.message).toContain('End of central directory record signature not found');
    expect(e.details.path).toBe(p);
  });

  it('rejects a truncated zip', async () => {
    const bytes = await readFile(realdata(RENOVATE, 'test.zip'));
    const p = path.join(await makeTempDir(), 'truncated.zip');
    await writeFile(p, bytes.subarray(0, bytes.length - 40));
    const e = await rejection(digestZip(p));
    expect(e.code).toBe('ZIP_INVALID');
    expect(e.message.startsWith(`${p}: not a readable zip archive`)).toBe(true);
  });

  it('rejects a zip cut off inside its data, with the central directory kept', async () => {
    const bytes = await readFile(realdata(RENOVATE, 'test.zip'));
    // Overwrite the middle of test.file's deflate stream: inflate or the CRC must fail.
    const start = dataOffset(bytes, 'test.file');
    const broken = Buffer.from(bytes);
    broken.fill(0xff, start + 10, start + 40); // test.file deflates to 50 bytes
    const p = path.join(await makeTempDir(), 'corrupt.zip');
    await writeFile(p, broken);
    const e = await rejection(digestZip(p));
    expect(e.code).toBe('ZIP_INVALID');
    expect(e.message).toContain(p);
    expect(e.message).toContain('"test.file"');
  });

  it('checks CRC-32, which yauzl does not', async () => {
    const content = 'provider binary bytes';
    const p = await craft([src('terraform-provider-x', content)], (zip) => {
      const out = Buffer.from(zip);
      out[dataOffset(out, 'terraform-provider-x')] = 'P'.charCodeAt(0);
      return out;
    });
    const e = await rejection(digestZip(p));
    const want = crc32(content).toString(16).padStart(8, '0');
    const got = crc32('P' + content.slice(1))
      .toString(16)
      .padStart(8, '0');
    expect(e.code).toBe('ZIP_INVALID');
    expect(e.details).toMatchObject({ path: p, expected: want, actual: got });
    expect(e.message).toBe(
      `${p}: entry "terraform-provider-x" is corrupt: CRC-32 ${got}, the zip records ${want}`,
    );
  });

  it('reports a missing file as INPUT_NOT_FOUND', async () => {
    const p = path.join(await makeTempDir(), 'absent.zip');
    const e = await rejection(digestZip(p));
    expect(e.code).toBe('INPUT_NOT_FOUND');
    expect(e.details.path).toBe(p);
  });
});

describe('digestZip entry names', () => {
  it('hashes an unflagged UTF-8 name as its stored bytes (renovate café vector)', async () => {
    const p = await craft(
      [src('café.txt', 'provider content')],
      (zip) => clearUtf8Flag(zip, 'café.txt'),
      true,
    );
    const d = await digestZip(p);
    expect(Buffer.from(d.entries[0]!.rawName)).toEqual(Buffer.from('café.txt', 'utf8'));
    expect(d.entries[0]!.name).toBe('café.txt');
    expect(d.h1).toBe('h1:mhCPfNU/KjrNmtYY+P1iAT4o+PXmNLq8jJINomI60Jc=');
  });

  it('hashes a name that is not valid UTF-8 as raw bytes', async () => {
    const raw = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2e, 0x74, 0x78, 0x74]); // "caf\xe9.txt"
    const p = await craft([src('cafX.txt', 'latin-1 name')], (zip) =>
      renameEntry(clearUtf8Flag(zip, 'cafX.txt'), 'cafX.txt', raw),
    );
    const d = await digestZip(p);
    expect(Buffer.from(d.entries[0]!.rawName)).toEqual(raw);
    expect(d.h1).toBe('h1:3HL0sYl+YJenSJ4lwg2qRqp7rWaZ7ymr6wDj58MBkkI=');
  });

  it.each([
    ['a ".." component', 'aa/evil', '../evil', 'has a ".." component'],
    ['a ".." component after a backslash', 'ab/c', 'a\\..', 'has a ".." component'],
    ['an absolute name', 'xetc/passwd', '/etc/passwd', 'has an absolute name'],
    ['a drive letter', 'Cx/evil', 'C:/evil', 'has an absolute name'],
    ['a backslash in a file name', 'dir/file', 'dir\\file', 'has a backslash'],
    ['a "." component', 'a/x', './x', 'empty or "." path component'],
    ['an empty component', 'ab/x', 'a//x', 'empty or "." path component'],
    ['a NUL byte', 'ab', 'a\0', 'NUL byte'],
  ])('rejects %s', async (_label, written, hostile, why) => {
    const p = await craft([src(written, 'x'), src('zz-other', 'y')], (zip) =>
      renameEntry(zip, written, hostile),
    );
    const e = await rejection(digestZip(p));
    expect(e.code).toBe('ZIP_INVALID');
    expect(e.message.slice(0, p.length + 9 + JSON.stringify(hostile).length)).toBe(
      `${p}: entry ${JSON.stringify(hostile)} `,
    );
    expect(e.message).toContain(why);
  });

  it('rejects a newline in a name as HASH_INPUT_INVALID', async () => {
    const p = await craft([src('a_b', 'x')], (zip) => renameEntry(zip, 'a_b', 'a\nb'));
    const e = await rejection(digestZip(p));
    expect(e.code).toBe('HASH_INPUT_INVALID');
    expect(e.message).toBe(`${p}: entry "a\\nb" has a newline in its name; h1 hashes cannot represent it`);
  });

  it('rejects two file entries with one name', async () => {
    const p = await craft([src('a1', 'one'), src('a2', 'two')], (zip) => renameEntry(zip, 'a2', 'a1'));
    const e = await rejection(digestZip(p));
    expect(e.code).toBe('ZIP_INVALID');
    expect(e.message).toBe(`${p}: entry "a1" appears more than once`);
  });

  it('rejects a symlink entry', async () => {
    const p = await craft([src('link', '/etc/passwd')], (zip) =>
      setAttributes(zip, 'link', (3 << 8) | 63, 0o120777 << 16),
    );
    const e = await rejection(digestZip(p));
    expect(e.code).toBe('ZIP_INVALID');
    expect(e.message).toBe(
      `${p}: entry "link" is a symbolic link; provider packages must hold regular files only`,
    );
  });
});

describe('digestZip directory entries', () => {
  it('skips a directory entry ending in a backslash (renovate vector)', async () => {
    const dir = await makeTempDir();
    const p = path.join(dir, 'backslash-dir.zip');
    await writeFile(p, renameEntry(await yazlDirectoryZip('folder/'), 'folder/', 'folder\\'));
    const d = await digestZip(p);
    expect(d.entries.map((e) => [e.name, e.isDirectory])).toEqual([['folder\\', true]]);
    expect(d.hasDirectoryEntries).toBe(true);
    expect(d.h1).toBe(EMPTY_H1);
  });

  it('reads the MS-DOS directory attribute like Go does', async () => {
    const dir = await makeTempDir();
    const base = renameEntry(await yazlDirectoryZip('folder/'), 'folder/', 'folder_');
    const asDir = path.join(dir, 'dos-dir.zip');
    const asFile = path.join(dir, 'dos-file.zip');
    await writeFile(asDir, setAttributes(base, 'folder_', 20, 0x10));
    await writeFile(asFile, setAttributes(base, 'folder_', 20, 0x20));
    const d = await digestZip(asDir);
    expect(d.entries[0]).toMatchObject({ name: 'folder_', isDirectory: true });
    expect(d.entries[0]!.mode).toBeUndefined();
    expect(d.h1).toBe(EMPTY_H1);
    // Without the attribute it is an empty regular file and counts.
    const f = await digestZip(asFile);
    expect(f.entries[0]).toMatchObject({ name: 'folder_', isDirectory: false, size: 0, sha256: sha256('') });
    expect(f.h1).toBe(hashH1([{ name: 'folder_', sha256: sha256('') }]));
    expect(f.hasDirectoryEntries).toBe(false);
  });
});

describe('digestZip streaming', () => {
  it('streams a 48 MiB entry through sha256', async () => {
    const block = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < block.length; i++) block[i] = (i * 31 + (i >> 8)) & 0xff;
    const blocks = 48;
    const whole = createHash('sha256');
    for (let i = 0; i < blocks; i++) whole.update(block);
    const p = path.join(await makeTempDir(), 'big.zip');
    await writeDeterministicZip(p, [
      {
        name: 'terraform-provider-big',
        mode: 0o755,
        size: blocks * block.length,
        stream: () =>
          Readable.from(
            (function* () {
              for (let i = 0; i < blocks; i++) yield block;
            })(),
          ),
      },
    ]);
    const d = await digestZip(p);
    expect(d.entries[0]).toMatchObject({
      size: blocks * block.length,
      sha256: whole.digest('hex'),
      mode: 0o100755,
    });
  });
});
