// The strict tar reader (src/adapters/archive/tar-read.ts) and the split-part source
// (src/adapters/archive/parts.ts), on bytes built in each test.

import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import * as tar from 'tar';
import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { promisify } from 'node:util';

import { concatParts, resolveParts } from '../../../src/adapters/archive/parts.js';
import {
  DEFAULT_EXTENDED_HEADERS,
  readTarEntries,
  tarStream,
} from '../../../src/adapters/archive/tar-read.js';
import { isAirgapError, type AirgapError } from '../../../src/core/errors.js';
import {
  TRANSFER_EXTENDED_HEADERS,
  type ExtendedHeaderLimits,
} from '../../../src/core/transfer/entry-policy.js';
import { makeTempDir } from '../../helpers/tmp.js';
import {
  buildTar,
  paxFlood,
  paxRecords,
  writeMaybeSplit,
  type RawExtendedHeader,
  type RawTarEntry,
} from '../../helpers/transfer.js';

const exec = promisify(execFile);

interface Read {
  name: string;
  paxPath?: string;
  longName?: string;
  kind: string;
  size: number;
  body: string;
}

async function readAll(bytes: Uint8Array | Buffer[], gzip = false): Promise<Read[]> {
  const out: Read[] = [];
  const chunks = Array.isArray(bytes) ? bytes : [Buffer.from(bytes)];
  for await (const e of readTarEntries(tarStream(Readable.from(chunks), gzip), 'x.tar')) {
    const chunks: Buffer[] = [];
    for await (const c of e.body) chunks.push(c as Buffer);
    out.push({
      name: e.headerName,
      ...(e.paxPath ? { paxPath: e.paxPath } : {}),
      ...(e.longName ? { longName: e.longName } : {}),
      kind: e.kind,
      size: e.size,
      body: Buffer.concat(chunks).toString(),
    });
  }
  return out;
}

async function refused(bytes: Uint8Array | Buffer[], gzip = false): Promise<AirgapError> {
  try {
    await readAll(bytes, gzip);
  } catch (e) {
    if (isAirgapError(e)) return e;
    throw e;
  }
  throw new Error('accepted');
}

const ENTRIES: RawTarEntry[] = [
  { name: 'dir/', type: 'dir' },
  { name: 'dir/a.txt', body: Buffer.from('hello') },
  { name: `dir/${'l'.repeat(120)}.txt`, body: Buffer.alloc(700, 0x61) },
  { name: 'dir/link', type: 'symlink', linkname: '/etc/passwd' },
];

describe('readTarEntries', () => {
  it('yields every entry with its names and body, pax path beside the header name', async () => {
    const got = await readAll(buildTar(ENTRIES));
    expect(got).toEqual([
      { name: 'dir/', kind: 'directory', size: 0, body: '' },
      { name: 'dir/a.txt', kind: 'file', size: 5, body: 'hello' },
      {
        // no ustar prefix/name split fits: the header keeps 100 bytes, pax the whole path
        name: `dir/${'l'.repeat(96)}`,
        paxPath: `dir/${'l'.repeat(120)}.txt`,
        kind: 'file',
        size: 700,
        body: 'a'.repeat(700),
      },
      { name: 'dir/link', kind: 'symlink', size: 0, body: '' },
    ]);
    const pax = await readAll(
      buildTar([{ name: 'short', pax: { path: 'a/long/path' }, body: Buffer.from('x') }]),
    );
    expect(pax).toEqual([{ name: 'short', paxPath: 'a/long/path', kind: 'file', size: 1, body: 'x' }]);
  });

  it('reads gzip, and what node-tar writes (pax, long names, portable headers)', async () => {
    expect((await readAll(gzipSync(buildTar(ENTRIES)), true)).map((e) => e.paxPath ?? e.name)).toEqual(
      ENTRIES.map((e) => e.name),
    );
    const dir = await makeTempDir();
    const long = `${'d'.repeat(90)}/${'f'.repeat(110)}.bin`;
    await fs.mkdir(path.join(dir, path.dirname(long)), { recursive: true });
    await fs.writeFile(path.join(dir, long), 'node-tar');
    const chunks: Buffer[] = [];
    for await (const c of tar.c({ cwd: dir, portable: true, noDirRecurse: true }, [long]))
      chunks.push(c as Buffer);
    const got = await readAll(Buffer.concat(chunks));
    expect(got.map((e) => [e.paxPath ?? e.name, e.kind, e.body])).toEqual([[long, 'file', 'node-tar']]);
  });

  it('reads the GNU long names GNU tar writes in its own format', async () => {
    const dir = await makeTempDir();
    const long = `${'g'.repeat(120)}/${'n'.repeat(120)}.txt`;
    await fs.mkdir(path.join(dir, 'g'.repeat(120)));
    await fs.writeFile(path.join(dir, long), 'gnu');
    const out = path.join(dir, 'gnu.tar');
    await exec('tar', ['--format=gnu', '-cf', out, '-C', dir, long]);
    const got = await readAll(await fs.readFile(out));
    expect(got).toEqual([{ name: long.slice(0, 100), longName: long, kind: 'file', size: 3, body: 'gnu' }]);
  });

  it('skips a body the consumer does not read', async () => {
    const names: string[] = [];
    for await (const e of readTarEntries(Readable.from([buildTar(ENTRIES)]), 'x.tar'))
      names.push(e.paxPath ?? e.headerName);
    expect(names).toEqual(ENTRIES.map((e) => e.name));
  });

  it('refuses a corrupt header checksum', async () => {
    const bytes = buildTar(ENTRIES);
    bytes[512 + 10] = bytes[512 + 10]! ^ 0x20; // the second header's name
    const e = await refused(bytes);
    expect(e.code).toBe('ARCHIVE_INVALID');
    expect(e.message).toMatch(
      /^x\.tar: the header at byte 512 has checksum \d+, but its bytes sum to \d+: a corrupt or forged header$/,
    );
  });

  it('refuses truncation anywhere: in a body, a header, or before the end marker', async () => {
    const bytes = buildTar(ENTRIES);
    const body = await refused(bytes.subarray(0, 512 * 2 + 3));
    expect(body.message).toBe('x.tar is truncated: entry "dir/a.txt" needs 2 more bytes');
    expect(body.details.path).toBe('dir/a.txt');
    expect((await refused(bytes.subarray(0, 512 + 100))).message).toBe(
      'x.tar is truncated: it ends inside a header',
    );
    expect((await refused(bytes.subarray(0, bytes.length - 1024))).message).toBe(
      'x.tar is truncated: it ends without the end-of-archive marker',
    );
    expect((await refused(bytes.subarray(0, bytes.length - 512))).message).toBe(
      'x.tar is truncated: it ends inside the end-of-archive marker',
    );
    const gz = gzipSync(bytes);
    const cut = await refused(gz.subarray(0, gz.length - 40), true);
    expect(cut.code).toBe('ARCHIVE_INVALID');
    expect(cut.message).toBe('x.tar is truncated: the gzip stream ends early (unexpected end of file)');
  });

  it('reads gzip of several members, however its bytes arrive; zero padding may follow it, nothing else', async () => {
    const bytes = buildTar(ENTRIES);
    const plain = await readAll(bytes);
    const at = 700;
    const members = Buffer.concat([gzipSync(bytes.subarray(0, at)), gzipSync(bytes.subarray(at))]);
    const first = gzipSync(bytes.subarray(0, at)).length;
    // In one chunk; a member ending with its chunk; a member ending inside one; a byte at a time.
    for (const cuts of [[], [first], [first - 3, first + 5], [...members.keys()].slice(1)]) {
      const chunks = [0, ...cuts].map((c, i, all) => members.subarray(c, all[i + 1] ?? members.length));
      expect(await readAll(chunks, true)).toEqual(plain);
    }
    const gz = gzipSync(bytes);
    expect(await readAll([gz, Buffer.alloc(1000), Buffer.alloc(10)], true)).toEqual(plain);
    // What follows a member in a chunk of its own is read as the next member (as zlib does).
    const other = await refused([gz, Buffer.from('not gzip data')], true);
    expect(other.code).toBe('ARCHIVE_INVALID');
    expect(other.message).toBe('x.tar is not readable gzip data (incorrect header check)');
    const hidden = await refused([Buffer.concat([gz, Buffer.alloc(3)]), Buffer.from('hidden')], true);
    expect(hidden.code).toBe('ARCHIVE_INVALID');
    expect(hidden.message).toBe('x.tar is not readable gzip data (data after the end of the gzip stream)');
    const bad = Buffer.from(gz);
    bad[bad.length - 100] = bad[bad.length - 100]! ^ 0xff;
    expect((await refused(bad, true)).message).toMatch(/^x\.tar is not readable gzip data \(/);
  });

  it('refuses data after the end marker, and a lone zero block', async () => {
    const bytes = Buffer.concat([buildTar(ENTRIES), Buffer.alloc(512), Buffer.from('hidden')]);
    expect((await refused(bytes)).message).toMatch(/^x\.tar: non-zero data after the end-of-archive marker/);
    const lone = Buffer.concat([Buffer.alloc(512), buildTar(ENTRIES)]);
    expect((await refused(lone)).message).toBe('x.tar: a zero block at byte 0 is followed by more entries');
  });

  it('refuses a malformed pax record', async () => {
    const bytes = buildTar([{ name: 'a', pax: { path: 'b' }, body: Buffer.from('x') }]);
    bytes.write('8', 512, 'latin1'); // "9 path=b\n" claims 8 bytes: its newline is not where it says
    // keep the header checksum right: it covers the header, not the pax data
    expect((await refused(bytes)).message).toBe(
      'x.tar: the pax header at byte 0 has a record that overruns its length at 0',
    );
  });
});

describe('extended headers are bounded per entry, before anything is buffered', () => {
  /** The input in 4 KiB chunks, counting the bytes the reader pulled (no stream buffering ahead). */
  function counted(bytes: Buffer): { stream: AsyncIterable<Buffer>; pulled: () => number } {
    let pulled = 0;
    async function* chunks(): AsyncGenerator<Buffer> {
      for (let at = 0; at < bytes.length; at += 4096) {
        const c = bytes.subarray(at, at + 4096);
        pulled += c.length;
        yield c;
      }
    }
    return { stream: chunks(), pulled: () => pulled };
  }

  async function refusedWith(
    bytes: Buffer,
    limits: ExtendedHeaderLimits,
  ): Promise<{ error: AirgapError; pulled: number }> {
    const input = counted(bytes);
    try {
      for await (const e of readTarEntries(input.stream, 'x.tar', { extendedHeaders: limits }))
        e.body.resume();
    } catch (e) {
      if (isAirgapError(e)) return { error: e, pulled: input.pulled() };
      throw e;
    }
    throw new Error('accepted');
  }

  const entry = (extended: RawExtendedHeader[]): Buffer =>
    buildTar([{ name: 'SHA256SUMS.sig', extended, body: Buffer.from('sig') }]);

  it('a 9 MB flood of pax headers: refused at the third, after reading the first two', async () => {
    const bytes = entry(paxFlood('SHA256SUMS.sig', 2048));
    expect(bytes.length).toBeGreaterThan(9 << 20);
    const { error, pulled } = await refusedWith(bytes, TRANSFER_EXTENDED_HEADERS);
    expect(error.code).toBe('ARCHIVE_INVALID');
    expect(error.message).toBe(
      'x.tar: entry "SHA256SUMS.sig" (at byte 0) has more than 2 extended headers: "PaxHeaders/SHA256SUMS.sig" at byte 9216 is one more',
    );
    // Two headers of 512 + 4096 bytes, the third's header block, and the rest of its 4 KiB chunk.
    expect(pulled).toBe(12288);
  });

  it('9 MB of distinct keys (what made the merge quadratic): refused at the first record that sets nothing a transfer uses', async () => {
    const records: [string, string][] = Array.from({ length: 2000 }, (_, i) => [
      `SCHILY.xattr.user.k${i}`,
      'v',
    ]);
    const data = paxRecords(records);
    const bytes = entry(
      Array.from({ length: 170 }, () => ({ type: 'x' as const, name: 'PaxHeaders/SHA256SUMS.sig', data })),
    );
    expect(bytes.length).toBeGreaterThan(9 << 20);
    const { error, pulled } = await refusedWith(bytes, TRANSFER_EXTENDED_HEADERS);
    expect(error.message).toBe(
      'x.tar: the entry at byte 0 has pax record "SCHILY.xattr.user.k0" (in "PaxHeaders/SHA256SUMS.sig" at byte 0), which sets nothing a transfer archive uses',
    );
    expect(error.details).toEqual({
      path: 'x.tar',
      address: 'x.tar',
      expected: 'only the pax records path, linkpath, size, mtime',
      actual: 'pax record SCHILY.xattr.user.k0',
    });
    expect(pulled).toBeLessThanOrEqual(512 + data.length + 4096);
  });

  it('more bytes than the entry may have: refused before the header that brings them past the bound is read', async () => {
    const big = paxRecords([
      ['path', 'providers/x.zip'],
      ['mtime', '1'.repeat(40_000)],
    ]);
    const bytes = entry([
      { type: 'x', name: 'PaxHeaders/x.zip', data: big },
      { type: 'L', name: '././@LongLink', data: Buffer.alloc(30_000, 0x61) },
    ]);
    const { error, pulled } = await refusedWith(bytes, TRANSFER_EXTENDED_HEADERS);
    const second = 512 + Math.ceil(big.length / 512) * 512;
    expect(error.message).toBe(
      `x.tar: entry "providers/x.zip" (at byte 0) has more than 65536 bytes of extended headers: "././@LongLink" at byte ${second} brings them to ${big.length + 30_000}`,
    );
    expect(error.details.path).toBe('providers/x.zip');
    expect(pulled).toBeLessThanOrEqual(second + 512 + 4096);
  });

  it('the default bounds (image layers) allow any pax key, and still bound count and bytes', async () => {
    const xattr = paxRecords([
      ['path', 'usr/bin/ping'],
      ['SCHILY.xattr.security.capability', 'cap'],
    ]);
    const ok = buildTar([
      {
        name: 'ping',
        extended: [{ type: 'x', name: 'PaxHeaders/ping', data: xattr }],
        body: Buffer.from('x'),
      },
    ]);
    const got = [];
    for await (const e of readTarEntries(Readable.from([ok]), 'layer.tar')) {
      got.push([e.paxPath, e.pax?.['SCHILY.xattr.security.capability']]);
      e.body.resume();
    }
    expect(got).toEqual([['usr/bin/ping', 'cap']]);
    const many = buildTar([
      {
        name: 'f',
        extended: Array.from({ length: 9 }, () => ({
          type: 'x' as const,
          name: 'PaxHeaders/f',
          data: xattr,
        })),
      },
    ]);
    const { error } = await refusedWith(many, DEFAULT_EXTENDED_HEADERS);
    expect(error.message).toBe(
      'x.tar: entry "usr/bin/ping" (at byte 0) has more than 8 extended headers: "PaxHeaders/f" at byte 8192 is one more',
    );
  });

  it('a pax key is data: "__proto__" is a record like any other', async () => {
    const bytes = buildTar([
      {
        name: 'a',
        extended: [{ type: 'x', name: 'PaxHeaders/a', data: paxRecords([['__proto__', 'x']]) }],
        body: Buffer.from('x'),
      },
    ]);
    const seen = [];
    for await (const e of readTarEntries(Readable.from([bytes]), 'layer.tar')) {
      seen.push(Object.keys(e.pax ?? {}));
      e.body.resume();
    }
    expect(seen).toEqual([['__proto__']]);
  });
});

describe('split parts', () => {
  it('reads FILE.000.. as one stream, and names a missing or short part', async () => {
    const dir = await makeTempDir();
    const bytes = Buffer.from('0123456789abcdefghij');
    const parts = await writeMaybeSplit(path.join(dir, 'b.tar'), bytes, 8);
    expect(parts.map((p) => path.basename(p))).toEqual(['b.tar.000', 'b.tar.001', 'b.tar.002']);
    const resolved = await resolveParts(parts[0]!);
    expect(resolved).toEqual({ parts, size: 20, split: true });
    const chunks: Buffer[] = [];
    for await (const c of concatParts(resolved.parts)) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('0123456789abcdefghij');
    expect(await resolveParts(path.join(dir, 'b.tar.001'))).toEqual({
      parts: [parts[1]],
      size: 8,
      split: false,
    });

    await fs.writeFile(parts[2]!, 'x'.repeat(9));
    const long = await resolveParts(parts[0]!).catch((e: AirgapError) => e);
    expect((long as AirgapError).message).toBe(
      `${parts[2]} is 9 bytes, expected 1 to 8 bytes (the last part): a part was cut short or changed`,
    );
    await fs.writeFile(parts[2]!, 'ij');
    await fs.writeFile(parts[1]!, '89abcde');
    const short = (await resolveParts(parts[0]!).catch((e: AirgapError) => e)) as AirgapError;
    expect(short.code).toBe('ARCHIVE_INVALID');
    expect(short.details.path).toBe(parts[1]);
    await fs.rm(parts[1]!);
    const gap = (await resolveParts(parts[0]!).catch((e: AirgapError) => e)) as AirgapError;
    expect(gap.code).toBe('BUNDLE_FILE_MISSING');
    expect(gap.message).toBe(
      `${parts[1]} is missing: the archive is split into parts up to ${parts[2]}, and every one is needed`,
    );
    const none = (await resolveParts(path.join(dir, 'nope.tar.000')).catch(
      (e: AirgapError) => e,
    )) as AirgapError;
    expect(none.code).toBe('INPUT_NOT_FOUND');
  });
});
