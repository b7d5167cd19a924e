// digestZip reads entry data itself (positioned reads, the inflater on this thread) where it
// used yauzl's openReadStream: here both readings are run on the same zips, the real ones
// in the test data and ones corrupted byte by byte (deflate data, sizes, CRC-32, method,
// local header offsets and lengths), and must give the same digest or the same error. The
// one difference allowed: yauzl's "too many bytes" message counts up to the end of the
// chunk where the excess was seen, and the chunks differ.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import {
  checkEntry,
  digestZip,
  type ZipDigest,
  type ZipEntryDigest,
} from '../../../src/adapters/archive/zip-read.js';
import { writeDeterministicZip } from '../../../src/adapters/archive/zip-write.js';
import { AirgapError } from '../../../src/core/errors.js';
import { hashH1 } from '../../../src/core/hash/package-hash.js';
import { writeReleaseZip } from '../../helpers/registry/release-zip.js';
import { realdata } from '../../helpers/realdata.js';
import { makeTempDir } from '../../helpers/tmp.js';
import { centralEntries, dataOffset } from './zip-bytes.js';

/** digestZip as it was: every entry through yauzl's openReadStream (the reference). */
async function yauzlDigest(file: string): Promise<ZipDigest> {
  const zip = await yauzl.openPromise(file, {
    lazyEntries: true,
    decodeStrings: false,
    validateEntrySizes: true,
    autoClose: false,
  });
  try {
    const entries: ZipEntryDigest[] = [];
    const seen = new Set<string>();
    for await (const entry of zip.eachEntry()) {
      const { name, isDirectory, mode } = checkEntry(
        file,
        {
          rawName: entry.fileNameRaw,
          versionMadeBy: entry.versionMadeBy,
          externalFileAttributes: entry.externalFileAttributes,
          encrypted: entry.isEncrypted(),
        },
        seen,
      );
      const base = {
        name,
        rawName: new Uint8Array(entry.fileNameRaw),
        isDirectory,
        ...(mode === undefined ? {} : { mode }),
      };
      if (isDirectory) {
        entries.push({ ...base, size: 0, sha256: '' });
        continue;
      }
      const hash = createHash('sha256');
      let crc = 0;
      let size = 0;
      try {
        const stream: Readable = await zip.openReadStreamPromise(entry);
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          hash.update(chunk);
          crc = crc32(chunk, crc);
          size += chunk.length;
        }
      } catch (e) {
        throw new Error(`entry ${JSON.stringify(name)} cannot be read (${(e as Error).message})`);
      }
      if (crc !== entry.crc32) throw new Error(`entry ${JSON.stringify(name)} is corrupt: CRC-32`);
      entries.push({ ...base, size, sha256: hash.digest('hex') });
    }
    const files = entries.filter((e) => !e.isDirectory).map((e) => ({ name: e.rawName, sha256: e.sha256 }));
    return { entries, h1: hashH1(files), hasDirectoryEntries: entries.some((e) => e.isDirectory) };
  } finally {
    zip.close();
  }
}

/** A digest or an error, comparable across the two readers. */
async function outcome(read: (file: string) => Promise<ZipDigest>, file: string): Promise<unknown> {
  try {
    const d = await read(file);
    return {
      ...d,
      entries: d.entries.map((e) => ({ ...e, rawName: Buffer.from(e.rawName).toString('hex') })),
    };
  } catch (e) {
    const message = (e as Error).message
      .replace(`${file}: `, '')
      .replace(/ \(expected [0-9a-f]+, got [0-9a-f]+\)$/, '')
      .replace(/(CRC-32) [0-9a-f]+, the zip records [0-9a-f]+$/, '$1')
      .replace(/(got at least) \d+/, '$1 N')
      .replace(/^not a readable zip archive \((.*)\)$/, '$1');
    return { error: message };
  }
}

function flip(b: Buffer, at: number, mask: number): void {
  b.writeUInt8(b.readUInt8(at) ^ mask, at);
}

async function expectSame(file: string): Promise<unknown> {
  const ours = await outcome(digestZip, file);
  const theirs = await outcome(yauzlDigest, file);
  expect(ours, file).toEqual(theirs);
  return ours;
}

describe('digestZip reads entries as yauzl did', () => {
  it('for every real zip in the test data', async () => {
    const zips = execFileSync('find', [realdata(), '-name', '*.zip'], { encoding: 'utf8' })
      .trim()
      .split('\n');
    expect(zips.length).toBe(22);
    for (const file of zips.sort()) await expectSame(file);
  });

  it('for a release-shaped zip corrupted in each way, with data across many reads', async () => {
    const dir = await makeTempDir('airgap-zipread-yauzl-');
    const clean = path.join(dir, 'clean.zip');
    await writeReleaseZip(
      clean,
      { name: 'terraform-provider-widget_v1.0.0', seed: 'widget', size: 6_000_000 },
      [{ name: 'docs/' }, { name: 'docs/README.md', data: Buffer.from('# widget\n'.repeat(100)) }],
    );
    const bytes = await readFile(clean);
    const exec = centralEntries(bytes)[0]!;
    const start = dataOffset(bytes, 'terraform-provider-widget_v1.0.0');
    const compressed = exec.central + 20;
    const deflated = bytes.readUInt32LE(compressed);
    expect(deflated).toBeGreaterThan(2 * 1024 * 1024);

    const cases: [string, (b: Buffer) => void][] = [
      ['clean', () => undefined],
      ...[
        0,
        1,
        3,
        1000,
        (256 << 10) - 1,
        256 << 10,
        1 << 20,
        (1 << 20) + 7,
        2 << 20,
        deflated - 5,
        deflated - 1,
      ].map((k): [string, (b: Buffer) => void] => [`data byte ${k}`, (b) => flip(b, start + k, 0x55)]),
      ['CRC-32', (b) => flip(b, exec.central + 16, 1)],
      ['method 9', (b) => b.writeUInt16LE(9, exec.central + 10)],
      ['method 0', (b) => b.writeUInt16LE(0, exec.central + 10)],
      ['compressed size - 1', (b) => b.writeUInt32LE(deflated - 1, compressed)],
      ['compressed size / 2', (b) => b.writeUInt32LE(deflated >> 1, compressed)],
      ['compressed size 0', (b) => b.writeUInt32LE(0, compressed)],
      ['compressed size + 20', (b) => b.writeUInt32LE(deflated + 20, compressed)],
      ['compressed size past the end', (b) => b.writeUInt32LE(b.length, compressed)],
      ['size - 1', (b) => b.writeUInt32LE(b.readUInt32LE(exec.central + 24) - 1, exec.central + 24)],
      ['size + 1', (b) => b.writeUInt32LE(b.readUInt32LE(exec.central + 24) + 1, exec.central + 24)],
      ['size 0', (b) => b.writeUInt32LE(0, exec.central + 24)],
      ['local header offset + 1', (b) => b.writeUInt32LE(exec.local + 1, exec.central + 42)],
      ['local header offset past the end', (b) => b.writeUInt32LE(b.length - 10, exec.central + 42)],
      ['local name length + 3', (b) => b.writeUInt16LE(b.readUInt16LE(exec.local + 26) + 3, exec.local + 26)],
      ['local extra length 0xffff', (b) => b.writeUInt16LE(0xffff, exec.local + 28)],
      ['local signature', (b) => flip(b, exec.local, 0xff)],
    ];
    const seen = new Map<string, string>();
    for (const [what, patch] of cases) {
      const b = Buffer.from(bytes);
      patch(b);
      const file = path.join(dir, `${what.replace(/[^a-z0-9]+/gi, '-')}.zip`);
      await writeFile(file, b);
      seen.set(what, JSON.stringify(await expectSame(file)));
    }
    // The cases reach the checks they are meant for.
    expect(seen.get('clean')).toContain('"h1":"h1:');
    expect(seen.get('data byte 0')).toContain('cannot be read (');
    expect(seen.get('CRC-32')).toContain('is corrupt: CRC-32');
    expect(seen.get('method 9')).toContain('unsupported compression method: 9');
    expect(seen.get('method 0')).toContain('compressed/uncompressed size mismatch for stored file');
    expect(seen.get('compressed size / 2')).toContain('unexpected end of file');
    expect(seen.get('compressed size past the end')).toContain('file data overflows file bounds');
    expect(seen.get('size - 1')).toContain('too many bytes in the stream. expected');
    expect(seen.get('size + 1')).toContain('not enough bytes in the stream. expected');
    expect(seen.get('local header offset + 1')).toContain('invalid local file header signature: 0x');
    expect(seen.get('local header offset past the end')).toContain('unexpected EOF');
  });

  it('for stored entries across many reads, intact and with a byte changed', async () => {
    const dir = await makeTempDir('airgap-zipread-yauzl-');
    const data = Buffer.alloc(3 * 1024 * 1024 + 11);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 9)) & 0xff;
    const clean = path.join(dir, 'stored.zip');
    await writeDeterministicZip(
      clean,
      [
        { name: 'big', mode: 0o755, data },
        { name: 'empty', mode: 0o644, data: Buffer.alloc(0) },
      ],
      { compress: false },
    );
    const ok = await expectSame(clean);
    expect(JSON.stringify(ok)).toContain(createHash('sha256').update(data).digest('hex'));
    const bytes = await readFile(clean);
    const broken = path.join(dir, 'broken.zip');
    flip(bytes, dataOffset(bytes, 'big') + (2 << 20), 1);
    await writeFile(broken, bytes);
    const e = await digestZip(broken).catch((x: unknown) => x as AirgapError);
    expect(e).toBeInstanceOf(AirgapError);
    expect((e as AirgapError).message).toMatch(
      /: entry "big" is corrupt: CRC-32 [0-9a-f]{8}, the zip records/,
    );
    await expectSame(broken);
  });
});
