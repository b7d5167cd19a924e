// writeDeterministicZip, checked with real tools: Python's zipfile (python3 -c, always) and
// Info-ZIP `unzip` for extraction when it is installed.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { digestZip } from '../../../src/adapters/archive/zip-read.js';
import { writeDeterministicZip, type ZipSource } from '../../../src/adapters/archive/zip-write.js';
import { AirgapError } from '../../../src/core/errors.js';
import { hashH1 } from '../../../src/core/hash/package-hash.js';
import { REPO_ROOT } from '../../helpers/realdata.js';
import { makeTempDir } from '../../helpers/tmp.js';
import { describeWithTools } from '../../helpers/tools.js';

const run = promisify(execFile);

// Pinned after checking the zip with `unzip -Z` and Python's zipfile: two stored entries,
// host Unix, modes 100755/100644, 1980-01-01 00:00, CRCs valid (testzip() is None).
const PINNED_SHA256 = '0f618c98dacf5713cf2ec7580e3f56f4e6e90c45358e125c952abb691e8e6058';
const PINNED_SIZE = 332;
const EXECUTABLE = '#!/bin/sh\necho inhouse\n';
const README = 'In-house provider.\n';

function pinnedSources(): ZipSource[] {
  return [
    { name: 'terraform-provider-inhouse_v1.0.0', mode: 0o755, data: Buffer.from(EXECUTABLE) },
    { name: 'README.md', mode: 0o644, data: Buffer.from(README) },
  ];
}

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

interface PyEntry {
  name: string;
  mode: number;
  host: number;
  date: number[];
  method: number;
  size: number;
  sha256: string;
}

async function pythonList(zipPath: string): Promise<{ bad: string | null; entries: PyEntry[] }> {
  const script = [
    'import hashlib, json, sys, zipfile',
    'z = zipfile.ZipFile(sys.argv[1])',
    'print(json.dumps({"bad": z.testzip(), "entries": [{"name": i.filename, "mode": i.external_attr >> 16,',
    ' "host": i.create_system, "date": list(i.date_time), "method": i.compress_type, "size": i.file_size,',
    ' "sha256": hashlib.sha256(z.read(i)).hexdigest()} for i in z.infolist()]}))',
  ].join('\n');
  const { stdout } = await run('python3', ['-c', script, zipPath]);
  return JSON.parse(stdout) as { bad: string | null; entries: PyEntry[] };
}

function pseudoRandom(size: number): Buffer {
  // Deterministic, poorly compressible bytes: a sha256 chain.
  const out = Buffer.alloc(size);
  let block = createHash('sha256').update('seed').digest();
  for (let at = 0; at < size; at += block.length) {
    block.copy(out, at);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

describe('writeDeterministicZip output', () => {
  it('writes the pinned bytes, which Python reads back with modes, time and contents', async () => {
    const p = path.join(await makeTempDir(), 'inhouse.zip');
    const result = await writeDeterministicZip(p, pinnedSources(), { compress: false });
    expect(result).toEqual({ sha256: PINNED_SHA256, size: PINNED_SIZE });
    expect(sha256(await readFile(p))).toBe(PINNED_SHA256);
    const listing = await pythonList(p);
    expect(listing.bad).toBeNull();
    expect(listing.entries).toEqual([
      {
        name: 'README.md',
        mode: 0o100644,
        host: 3,
        date: [1980, 1, 1, 0, 0, 0],
        method: 0,
        size: 19,
        sha256: sha256(README),
      },
      {
        name: 'terraform-provider-inhouse_v1.0.0',
        mode: 0o100755,
        host: 3,
        date: [1980, 1, 1, 0, 0, 0],
        method: 0,
        size: 23,
        sha256: sha256(EXECUTABLE),
      },
    ]);
  });

  it('writes byte-identical deflated zips twice, sorted whatever the input order', async () => {
    const dir = await makeTempDir();
    const a = path.join(dir, 'a.zip');
    const b = path.join(dir, 'b.zip');
    const ra = await writeDeterministicZip(a, pinnedSources());
    const rb = await writeDeterministicZip(b, pinnedSources().reverse());
    expect(rb).toEqual(ra);
    expect(await readFile(b)).toEqual(await readFile(a));
    const listing = await pythonList(a);
    expect(listing.bad).toBeNull();
    expect(listing.entries.map((e) => [e.name, e.method])).toEqual([
      ['README.md', 8],
      ['terraform-provider-inhouse_v1.0.0', 8],
    ]);
  });

  it('writes the same bytes in every time zone (fresh processes)', async () => {
    const script = path.join(await makeTempDir(), 'tz.mts');
    const modulePath = path.join(REPO_ROOT, 'src/adapters/archive/zip-write.ts');
    await writeFile(
      script,
      [
        `import { writeDeterministicZip } from ${JSON.stringify(modulePath)};`,
        `const out = process.argv[2];`,
        `const r = await writeDeterministicZip(out, [`,
        `  { name: 'terraform-provider-inhouse_v1.0.0', mode: 0o755, data: Buffer.from(${JSON.stringify(EXECUTABLE)}) },`,
        `  { name: 'README.md', mode: 0o644, data: Buffer.from(${JSON.stringify(README)}) },`,
        `], { compress: false });`,
        `console.log(r.sha256);`,
      ].join('\n'),
    );
    // East and west of UTC, including the +14:00 extreme.
    for (const tz of ['Pacific/Kiritimati', 'Asia/Kolkata', 'America/Los_Angeles']) {
      const out = path.join(path.dirname(script), `${tz.replace('/', '_')}.zip`);
      const { stdout } = await run(process.execPath, ['--import', 'tsx', script, out], {
        cwd: REPO_ROOT,
        env: { ...process.env, TZ: tz },
      });
      expect([tz, stdout.trim()]).toEqual([tz, PINNED_SHA256]);
    }
  });

  it('records a given mtime as its UTC fields', async () => {
    const p = path.join(await makeTempDir(), 'dated.zip');
    await writeDeterministicZip(p, pinnedSources(), { mtime: new Date('2024-02-29T12:34:56Z') });
    const listing = await pythonList(p);
    expect(listing.entries.map((e) => e.date)).toEqual([
      [2024, 2, 29, 12, 34, 56],
      [2024, 2, 29, 12, 34, 56],
    ]);
  });

  it('gives the same bytes for a source given as data, path or stream', async () => {
    const dir = await makeTempDir();
    const content = pseudoRandom(300_000); // several read chunks, poorly compressible
    const file = path.join(dir, 'provider-binary');
    await writeFile(file, content);
    const name = 'terraform-provider-big_v2.0.0';
    const results = [];
    for (const [label, source] of [
      ['data', { name, mode: 0o755, data: content }],
      ['path', { name, mode: 0o755, path: file }],
      [
        'stream',
        {
          name,
          mode: 0o755,
          stream: () => Readable.from([content.subarray(0, 1000), content.subarray(1000)]),
        },
      ],
      ['stream-no-size', { name, mode: 0o755, stream: () => Readable.from([content]) }],
    ] as const) {
      const out = path.join(dir, `${label}.zip`);
      results.push(await writeDeterministicZip(out, [source]));
    }
    expect(new Set(results.map((r) => r.sha256)).size).toBe(1);
    const d = await digestZip(path.join(dir, 'path.zip'));
    expect(d.entries[0]).toMatchObject({ name, size: 300_000, sha256: sha256(content), mode: 0o100755 });
  });

  it('round-trips: digestZip(h1) equals hashH1 of the inputs', async () => {
    const sources: ZipSource[] = [
      { name: 'terraform-provider-rt_v0.1.0', mode: 0o755, data: Buffer.from('binary') },
      { name: 'docs/CHANGELOG.md', mode: 0o644, data: Buffer.from('## 0.1.0\n') },
      { name: 'empty', mode: 0o600, data: new Uint8Array(0) },
      { name: 'ünïcode/名前.txt', mode: 0o644, data: Buffer.from('utf-8 name') },
    ];
    const p = path.join(await makeTempDir(), 'rt.zip');
    await writeDeterministicZip(p, sources);
    const d = await digestZip(p);
    const expected = hashH1(sources.map((s) => ({ name: s.name, sha256: sha256(s.data!) })));
    expect(d.h1).toBe(expected);
    expect(d.hasDirectoryEntries).toBe(false);
    expect(d.entries.map((e) => [e.name, e.mode])).toEqual([
      ['docs/CHANGELOG.md', 0o100644],
      ['empty', 0o100600],
      ['terraform-provider-rt_v0.1.0', 0o100755],
      ['ünïcode/名前.txt', 0o100644],
    ]);
  });

  describeWithTools(['unzip'], 'writeDeterministicZip output unpacked by Info-ZIP', () => {
    it('unpacks with Info-ZIP unzip to 0755 and 0644 files', async () => {
      const dir = await makeTempDir();
      const p = path.join(dir, 'inhouse.zip');
      await writeDeterministicZip(p, pinnedSources());
      const out = path.join(dir, 'out');
      await run('unzip', ['-q', p, '-d', out]);
      expect((await readdir(out)).sort()).toEqual(['README.md', 'terraform-provider-inhouse_v1.0.0']);
      expect((await stat(path.join(out, 'terraform-provider-inhouse_v1.0.0'))).mode & 0o777).toBe(0o755);
      expect((await stat(path.join(out, 'README.md'))).mode & 0o777).toBe(0o644);
      expect(await readFile(path.join(out, 'terraform-provider-inhouse_v1.0.0'), 'utf8')).toBe(EXECUTABLE);
    });
  });
});

describe('writeDeterministicZip rejects', () => {
  const COMPONENT = 'has an empty, "." or ".." path component';
  it.each([
    ['', 'is empty'],
    ['/abs', 'is absolute'],
    ['C:/x', 'is absolute'],
    ['a/../b', COMPONENT],
    ['./a', COMPONENT],
    ['a//b', COMPONENT],
    ['dir/', COMPONENT],
    ['a\\b', 'contains a newline, NUL or backslash'],
    ['a\nb', 'contains a newline, NUL or backslash'],
    ['a\0b', 'contains a newline, NUL or backslash'],
  ])('the entry name %j', async (name, why) => {
    const dest = path.join(await makeTempDir(), 'x.zip');
    const e = await rejection(writeDeterministicZip(dest, [{ name, mode: 0o644, data: Buffer.from('x') }]));
    expect(e.code).toBe('HASH_INPUT_INVALID');
    expect(e.message).toBe(`zip entry name ${JSON.stringify(name)} for ${dest} ${why}`);
    expect(e.details).toMatchObject({ path: dest, actual: name });
  });

  it('two entries with one name', async () => {
    const dest = path.join(await makeTempDir(), 'x.zip');
    const e = await rejection(
      writeDeterministicZip(dest, [
        { name: 'a', mode: 0o644, data: Buffer.from('1') },
        { name: 'a', mode: 0o755, data: Buffer.from('2') },
      ]),
    );
    expect(e.message).toBe(`zip entry name "a" for ${dest} appears more than once`);
  });

  it('a source with both data and path, or neither', async () => {
    const dest = path.join(await makeTempDir(), 'x.zip');
    const both = await rejection(
      writeDeterministicZip(dest, [{ name: 'a', mode: 0o644, data: Buffer.from('1'), path: dest }]),
    );
    expect(both.code).toBe('USAGE');
    expect(both.details.actual).toBe('2 given');
    const none = await rejection(writeDeterministicZip(dest, [{ name: 'a', mode: 0o644 }]));
    expect(none.details.actual).toBe('0 given');
  });

  it('a missing source file', async () => {
    const dir = await makeTempDir();
    const missing = path.join(dir, 'nope');
    const e = await rejection(
      writeDeterministicZip(path.join(dir, 'x.zip'), [{ name: 'a', mode: 0o644, path: missing }]),
    );
    expect(e.code).toBe('INPUT_NOT_FOUND');
    expect(e.details.path).toBe(missing);
  });

  it('a failing stream, leaving neither the zip nor a temp file', async () => {
    const dir = await makeTempDir();
    const dest = path.join(dir, 'x.zip');
    const e = await rejection(
      writeDeterministicZip(dest, [
        { name: 'a', mode: 0o644, data: Buffer.from('fine') },
        {
          name: 'b',
          mode: 0o644,
          stream: () =>
            new Readable({
              read() {
                this.destroy(new Error('disk on fire'));
              },
            }),
        },
      ]),
    );
    expect(e.code).toBe('FS_ERROR');
    expect(e.message).toBe(`zip entry "b" for ${dest}: reading its source failed: disk on fire`);
    expect(await readdir(dir)).toEqual([]);
  });

  it('a stream shorter than its declared size', async () => {
    const dir = await makeTempDir();
    const dest = path.join(dir, 'x.zip');
    const e = await rejection(
      writeDeterministicZip(dest, [
        { name: 'a', mode: 0o644, size: 10, stream: () => Readable.from([Buffer.from('short')]) },
      ]),
    );
    expect(e.code).toBe('FS_ERROR');
    expect(e.message).toContain('unexpected number of bytes');
    expect(await readdir(dir)).toEqual([]);
  });

  it('an mtime outside the DOS range', async () => {
    const dest = path.join(await makeTempDir(), 'x.zip');
    const e = await rejection(
      writeDeterministicZip(dest, pinnedSources(), { mtime: new Date('1979-12-31T23:59:59Z') }),
    );
    expect(e.code).toBe('USAGE');
    expect(e.details.actual).toBe('1979-12-31T23:59:59.000Z');
  });
});
