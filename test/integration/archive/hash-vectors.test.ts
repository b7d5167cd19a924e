// Every VERIFIED vector in realdata/vectors/expected_hashes.json, run through the function
// that owns its input kind. The run count must equal the JSON's count: none skipped silently.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { digestZip } from '../../../src/adapters/archive/zip-read.js';
import { writeDeterministicZip } from '../../../src/adapters/archive/zip-write.js';
import { hashDirectoryH1 } from '../../../src/adapters/fs/hash-dir.js';
import { hashH1, hashZh, type FileDigest } from '../../../src/core/hash/package-hash.js';
import { realdata } from '../../helpers/realdata.js';
import { makeTempDir } from '../../helpers/tmp.js';
import { clearUtf8Flag, flagsOf } from './zip-bytes.js';

interface Vector {
  kind: string;
  input: string;
  expected: string;
  status: string;
}

interface InlineFile {
  name: string;
  content: string;
}

interface InlineList {
  files: InlineFile[];
  /** How the described zip stores its entries, to rebuild it for digestZip too. */
  compress: boolean;
  clearUtf8Flag?: boolean;
}

const vectors = JSON.parse(readFileSync(realdata('vectors', 'expected_hashes.json'), 'utf8')) as Vector[];
const verified = vectors.filter((v) => v.status.startsWith('VERIFIED'));

// h1-list inputs are prose in the JSON; each one used must be described here, or the test fails.
function dummy(content: string): InlineList {
  return { files: [{ name: 'terraform-provider-dummy_v3.2.1_x5', content }], compress: true };
}
const INLINE_LISTS: Record<string, InlineList> = {
  'zip entries nested/deeper/file.txt="nested content", empty.txt="", stored.txt="stored content" (stored uncompressed)':
    {
      files: [
        { name: 'nested/deeper/file.txt', content: 'nested content' },
        { name: 'empty.txt', content: '' },
        { name: 'stored.txt', content: 'stored content' },
      ],
      compress: false,
    },
  'zip entry named "café.txt" (UTF-8 bytes, UTF-8 flag cleared) content "provider content"': {
    files: [{ name: 'café.txt', content: 'provider content' }],
    compress: true,
    clearUtf8Flag: true,
  },
  'zip with single entry "terraform-provider-dummy_v3.2.1_x5" whose content is the ASCII string "dummy_3.2.1_darwin_arm64"':
    dummy('dummy_3.2.1_darwin_arm64'),
  'zip with single entry "terraform-provider-dummy_v3.2.1_x5" whose content is the ASCII string "dummy_3.2.1_darwin_amd64"':
    dummy('dummy_3.2.1_darwin_amd64'),
  'zip with single entry "terraform-provider-dummy_v3.2.1_x5" whose content is the ASCII string "dummy_3.2.1_linux_amd64"':
    dummy('dummy_3.2.1_linux_amd64'),
  'zip with single entry "terraform-provider-dummy_v3.2.1_x5" whose content is the ASCII string "dummy_3.2.1_windows_amd64"':
    dummy('dummy_3.2.1_windows_amd64'),
  'files abc,xyz with contents "data for abc","data for xyz" (names unprefixed)': {
    files: [
      { name: 'abc', content: 'data for abc' },
      { name: 'xyz', content: 'data for xyz' },
    ],
    compress: true,
  },
  'same files under prefix "prefix/" (HashDir(dir,"prefix") and HashZip with entries prefix/xyz, prefix/abc)':
    {
      files: [
        { name: 'prefix/xyz', content: 'data for xyz' },
        { name: 'prefix/abc', content: 'data for abc' },
      ],
      compress: true,
    },
};

function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Minimal txtar: "-- name --" marker lines split files; the leading comment is ignored. */
function parseTxtar(text: string): FileDigest[] {
  const files: FileDigest[] = [];
  let current: { name: string; lines: string[] } | undefined;
  const flush = (): void => {
    if (current) files.push({ name: current.name, sha256: sha256(current.lines.join('')) });
  };
  for (const line of text.split(/(?<=\n)/)) {
    const marker = /^-- (.+) --\n?$/.exec(line);
    if (marker) {
      flush();
      current = { name: marker[1]!, lines: [] };
      continue;
    }
    // txtar ends every file with a newline, adding one if the archive lacks it.
    if (current) current.lines.push(line.endsWith('\n') ? line : `${line}\n`);
  }
  flush();
  return files;
}

async function runVector(v: Vector): Promise<string> {
  switch (v.kind) {
    case 'h1-dir':
      return hashDirectoryH1(
        v.input === '(empty directory)' ? await makeTempDir('airgap-empty-') : realdata('vectors', v.input),
      );
    case 'h1-zip':
      return (await digestZip(realdata('vectors', v.input))).h1;
    case 'zh':
      return hashZh(sha256(await readFile(realdata('vectors', v.input))));
    case 'h1-txtar': {
      const file = v.input.split(' ')[0]!;
      return hashH1(parseTxtar(await readFile(realdata('vectors', file), 'utf8')));
    }
    case 'h1-list': {
      const list = INLINE_LISTS[v.input];
      if (!list) throw new Error(`no inline description for h1-list vector ${JSON.stringify(v.input)}`);
      const fromList = hashH1(list.files.map((f) => ({ name: f.name, sha256: sha256(f.content) })));
      // The same files as a real zip must give the same h1 through the zip reader.
      const fromZip = await zipListH1(list);
      expect(fromZip).toBe(fromList);
      return fromList;
    }
    default:
      throw new Error(`no runner for vector kind ${v.kind}`);
  }
}

async function zipListH1(list: InlineList): Promise<string> {
  const dir = await makeTempDir('airgap-vec-');
  const zipPath = path.join(dir, 'p.zip');
  await writeDeterministicZip(
    zipPath,
    list.files.map((f) => ({ name: f.name, mode: 0o644, data: Buffer.from(f.content, 'utf8') })),
    { compress: list.compress },
  );
  if (list.clearUtf8Flag) {
    const name = list.files[0]!.name;
    const patched = clearUtf8Flag(await readFile(zipPath), name);
    expect(flagsOf(patched, name)).toEqual({ central: 0x0008, local: 0x0008 });
    await writeFile(zipPath, patched);
  }
  return (await digestZip(zipPath)).h1;
}

let ran = 0;

describe('VERIFIED vectors from expected_hashes.json', () => {
  it('has the VERIFIED vectors this test expects to find', () => {
    expect(verified.length).toBe(23);
  });

  it.each(verified.map((v, i) => [i, v.kind, v.input, v] as const))(
    '#%i %s %s',
    async (_i, _kind, _input, v) => {
      expect(await runVector(v)).toBe(v.expected);
      ran++;
    },
  );

  it('ran every VERIFIED vector', () => {
    expect(ran).toBe(verified.length);
  });
});

describe('other vectors with a checkable value (COMPUTED HERE ONLY, DERIVED)', () => {
  const others = vectors.filter(
    (v) =>
      !v.status.startsWith('VERIFIED') &&
      (v.status.startsWith('COMPUTED') || v.status.startsWith('DERIVED')) &&
      ['h1-dir', 'h1-zip', 'zh'].includes(v.kind),
  );
  const derivedLists = vectors.filter(
    (v) => v.status.startsWith('DERIVED') && v.kind === 'h1-list' && INLINE_LISTS[v.input],
  );

  it('finds them', () => {
    expect(others.length).toBe(5);
    expect(derivedLists.length).toBe(2);
  });

  it.each([...others, ...derivedLists].map((v) => [v.kind, v.input, v] as const))(
    '%s %s',
    async (_k, _in, v) => {
      expect(await runVector(v)).toBe(v.expected);
    },
  );

  it('zip h1 equals the unpacked directory h1 (terraform null 2.1.0 zip vs 2.0.0 dir)', async () => {
    const zip = await digestZip(
      realdata(
        'vectors',
        'terraform/internal/providercache/testdata/terraform-provider-null_2.1.0_linux_amd64.zip',
      ),
    );
    const dir = await hashDirectoryH1(
      realdata(
        'vectors',
        'terraform/internal/getproviders/testdata/filesystem-mirror/registry.terraform.io/hashicorp/null/2.0.0/linux_amd64',
      ),
    );
    expect(zip.h1).toBe(dir);
    expect(zip.entries.map((e) => e.name)).toEqual(['terraform-provider-null']);
  });
});
