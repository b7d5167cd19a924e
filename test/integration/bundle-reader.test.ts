// readVerifiedBundle against real transfer archives: a bundle from the test registry
// and `airgap mirror`, packed by GNU tar (plain, gzip, split) or extracted to a
// directory, and every hostile variant the transfer format says an importer refuses.

import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  AirgapErrors,
  ERROR_CATEGORY,
  EXIT_CODE,
  isAirgapError,
  type AirgapError,
  type ErrorCode,
} from '../../src/core/errors.js';
import { BUNDLE } from '../../src/core/layout/names.js';
import type { Reporter } from '../../src/core/ports.js';
import { parseSha256Sums } from '../../src/core/checksums/sha256sums.js';
import { readVerifiedBundle, type BundleReadOptions } from '../../src/services/transfer/bundle-reader.js';
import type { TestKey } from '../helpers/pgp.js';
import { makeTempDir } from '../helpers/tmp.js';
import { describeWithTools } from '../helpers/tools.js';
import {
  buildTar,
  firstPayload,
  generateBundleSigningKey,
  hostileTarball,
  packBundleForTest,
  sha256Hex,
  stageBundleForTest,
  stagedEntries,
  TEST_TOOL_PACKAGE,
  type HostileKind,
  type StagedBundle,
  type TestBundle,
  makeTestBundle,
} from '../helpers/transfer.js';

const exec = promisify(execFile);

let bundle: TestBundle;
let key: TestKey;
let other: TestKey;
let keyFile: string;
let staged: StagedBundle;
let sumsText: string;

beforeAll(async () => {
  [bundle, key, other] = await Promise.all([
    makeTestBundle(),
    generateBundleSigningKey(),
    generateBundleSigningKey('impostor'),
  ]);
  keyFile = path.join(await makeTempDir(), 'signer.asc');
  await fs.writeFile(keyFile, key.publicKeyArmored);
  staged = await stageBundleForTest(bundle.dir, { signKey: key });
  sumsText = await fs.readFile(path.join(staged.dir, BUNDLE.checksums), 'utf8');
}, 60_000);

afterAll(async () => {
  await bundle?.close();
});

interface Captured extends Reporter {
  warnings: string[];
}

function reporter(): Captured {
  const warnings: string[] = [];
  return { warnings, info: () => undefined, warn: (m) => warnings.push(m) };
}

interface SinkCall {
  path: string;
  size: number;
  expectedSha256: string;
  sha256: string;
}

function recordingSink(calls: SinkCall[]): NonNullable<BundleReadOptions['sink']> {
  return async (entry, body) => {
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c as Buffer);
    calls.push({ ...entry, sha256: sha256Hex(Buffer.concat(chunks)) });
  };
}

async function read(source: string, extra: Partial<BundleReadOptions> = {}, rep = reporter()) {
  const calls: SinkCall[] = [];
  const result = await readVerifiedBundle(
    {
      source,
      trustedKeyFiles: [keyFile],
      insecureSkipSignature: false,
      sink: recordingSink(calls),
      ...extra,
    },
    rep,
  );
  return { result, calls, rep };
}

async function readError(
  source: string,
  extra: Partial<BundleReadOptions> = {},
): Promise<{ error: AirgapError; calls: SinkCall[] }> {
  const calls: SinkCall[] = [];
  try {
    await readVerifiedBundle(
      {
        source,
        trustedKeyFiles: [keyFile],
        insecureSkipSignature: false,
        sink: recordingSink(calls),
        ...extra,
      },
      reporter(),
    );
  } catch (e) {
    if (!isAirgapError(e)) throw e;
    return { error: e, calls };
  }
  throw new Error(`${source} was accepted`);
}

/** Every SHA256SUMS line but airgap.json's, in archive order. */
function expectedFiles(): { path: string; size?: number; sha256: string }[] {
  const sums = parseSha256Sums(sumsText, 'SHA256SUMS');
  return staged.entries
    .filter((e) => !e.endsWith('/') && sums.has(e) && e !== BUNDLE.manifest)
    .map((p) => ({ path: p, sha256: sums.get(p)! }));
}

describeWithTools(['tar'], 'readVerifiedBundle on archives GNU tar wrote', () => {
  it('reads a signed tarball: signature, SHA256SUMS, airgap.json first, then every payload through the sink', async () => {
    const packed = await packBundleForTest(bundle.dir, { staged });
    const { result, calls, rep } = await read(packed.file);
    expect(rep.warnings).toEqual([]);
    expect(result.bundleDigest).toBe(sha256Hex(sumsText));
    expect(result.signature?.primaryKeyFingerprint).toBe(key.fingerprint);
    expect(result.signature?.created.toISOString()).toBe('2020-01-01T00:00:00.000Z');
    expect(result.sums).toEqual(parseSha256Sums(sumsText, 'x'));
    const toolPackage = (result.manifest as unknown as { toolPackage: unknown }).toolPackage;
    expect(toolPackage).toEqual({
      path: 'tool/airgap-0.1.0.tgz',
      size: TEST_TOOL_PACKAGE.length,
      sha256: sha256Hex(TEST_TOOL_PACKAGE),
    });
    const expected = expectedFiles();
    expect(calls.map((c) => c.path)).toEqual(expected.map((e) => e.path));
    for (const c of calls) {
      expect(c.sha256).toBe(c.expectedSha256);
      expect(c.expectedSha256).toBe(result.sums.get(c.path));
      expect(c.size).toBe((await fs.stat(path.join(staged.dir, c.path))).size);
    }
    expect(result.files).toEqual(calls.map((c) => ({ path: c.path, size: c.size, sha256: c.sha256 })));
    // The real provider zip went through, byte for byte.
    const zip = firstPayload(staged);
    const pkg = bundle.registry.packages.find((p) => zip.endsWith(p.filename))!;
    expect(calls.find((c) => c.path === zip)?.sha256).toBe(pkg.sha256);
    expect(result.files.length).toBe(parseSha256Sums(sumsText, 'x').size - 1);
  });

  it('reads the same bundle gzip-compressed and split into parts, with the same identity', async () => {
    const packed = await packBundleForTest(bundle.dir, { staged, gzip: true, splitSize: 1024 });
    expect(packed.parts.length).toBeGreaterThan(2);
    expect(path.basename(packed.file)).toBe('bundle.tar.gz.000');
    const { result, calls } = await read(packed.file);
    expect(result.bundleDigest).toBe(sha256Hex(sumsText));
    expect(calls.map((c) => c.path)).toEqual(expectedFiles().map((e) => e.path));
  });

  it('reads a directory that GNU tar extracted, in the same order', async () => {
    const packed = await packBundleForTest(bundle.dir, { staged });
    const dir = await makeTempDir();
    await exec('tar', ['-xf', packed.file, '-C', dir]);
    const { result, calls } = await read(dir);
    expect(result.bundleDigest).toBe(sha256Hex(sumsText));
    expect(result.signature?.primaryKeyFingerprint).toBe(key.fingerprint);
    expect(calls.map((c) => c.path)).toEqual(expectedFiles().map((e) => e.path));
  });

  it('refuses an unsigned bundle, unless --insecure-skip-signature (then warns)', async () => {
    const unsigned = await packBundleForTest(bundle.dir);
    const { error, calls } = await readError(unsigned.file);
    expect(error.code).toBe('SIGNATURE_MISSING');
    expect(EXIT_CODE[ERROR_CATEGORY[error.code]]).toBe(1);
    expect(error.message).toBe(
      `${unsigned.file} has no SHA256SUMS.sig: the bundle is unsigned, so nothing vouches for SHA256SUMS`,
    );
    expect(calls).toEqual([]);

    const { result, rep } = await read(unsigned.file, { insecureSkipSignature: true, trustedKeyFiles: [] });
    expect(result.signature).toBeUndefined();
    expect(rep.warnings).toEqual([`${error.message} (accepted: --insecure-skip-signature)`]);
    expect(result.bundleDigest).toBe(
      sha256Hex(await fs.readFile(path.join(unsigned.staged.dir, BUNDLE.checksums))),
    );
  });

  it('needs a trusted key unless told to skip the signature', async () => {
    const packed = await packBundleForTest(bundle.dir, { staged });
    const { error } = await readError(packed.file, { trustedKeyFiles: [] });
    expect(error.code).toBe('USAGE');
    expect(error.message).toContain('pass the public key that signed the bundle (--trusted-key FILE)');
    const missing = await readError(packed.file, { trustedKeyFiles: ['/nonexistent/key.asc'] });
    expect(missing.error.code).toBe('INPUT_NOT_FOUND');
    expect(missing.error.message).toBe('--trusted-key /nonexistent/key.asc: no such file');
  });

  it('names a missing split part, and a short one', async () => {
    const packed = await packBundleForTest(bundle.dir, { staged, splitSize: 8192 });
    expect(packed.parts.length).toBeGreaterThan(3);
    await fs.rm(packed.parts[1]!);
    const gap = await readError(packed.file);
    expect(gap.error.code).toBe('BUNDLE_FILE_MISSING');
    expect(gap.error.details.path).toBe(packed.parts[1]);
    expect(gap.error.message).toContain(`${packed.parts[1]} is missing`);

    const again = await packBundleForTest(bundle.dir, { staged, splitSize: 8192 });
    const bytes = await fs.readFile(again.parts[1]!);
    await fs.writeFile(again.parts[1]!, bytes.subarray(0, 8000));
    const short = await readError(again.file);
    expect(short.error.code).toBe('ARCHIVE_INVALID');
    expect(short.error.message).toBe(
      `${again.parts[1]} is 8000 bytes, expected 8192 bytes, like bundle.tar.000: a part was cut short or changed`,
    );

    // The last part gone: only the (here gzip) stream can tell, and it says so.
    const last = await packBundleForTest(bundle.dir, { staged, gzip: true, splitSize: 1024 });
    await fs.rm(last.parts[last.parts.length - 1]!);
    const cut = await readError(last.file);
    expect(cut.error.code).toBe('ARCHIVE_INVALID');
    expect(cut.error.message).toContain(`${last.file} is truncated: the gzip stream ends early`);
    expect(cut.error.message).toContain('is a later part missing?');
  });

  it('hashes what a sink leaves unread, and passes on what a sink throws', async () => {
    const packed = await packBundleForTest(bundle.dir, { staged });
    const seen: string[] = [];
    const lazy = await readVerifiedBundle(
      {
        source: packed.file,
        trustedKeyFiles: [keyFile],
        insecureSkipSignature: false,
        sink: async (entry) => {
          seen.push(entry.path);
        },
      },
      reporter(),
    );
    expect(seen).toEqual(expectedFiles().map((e) => e.path));
    expect(lazy.files.map((f) => [f.path, f.sha256])).toEqual(expectedFiles().map((e) => [e.path, e.sha256]));

    const boom = new Error('disk full');
    await expect(
      readVerifiedBundle(
        {
          source: packed.file,
          trustedKeyFiles: [keyFile],
          insecureSkipSignature: false,
          sink: async () => {
            throw boom;
          },
        },
        reporter(),
      ),
    ).rejects.toBe(boom);
  });

  it('refuses a symlink GNU tar packed', async () => {
    const packed = await packBundleForTest(bundle.dir, {
      staged: await stageBundleForTest(bundle.dir, { signKey: key }),
      async mutate(ctx) {
        await fs.symlink('/etc/passwd', path.join(ctx.dir, 'providers', 'passwd'));
        ctx.entries.splice(ctx.entries.indexOf(BUNDLE.manifest) + 1, 0, 'providers/passwd');
      },
    });
    const { error, calls } = await readError(packed.file);
    expect(error.code).toBe('ARCHIVE_ENTRY_UNSAFE');
    expect(error.message).toBe(
      `${packed.file}: entry "providers/passwd" is a symbolic link to "/etc/passwd" (type flag "2"); a bundle holds only regular files and directories`,
    );
    expect(calls).toEqual([]);
  });
});

interface HostileCase {
  kind: HostileKind;
  code: ErrorCode;
  /** Key part of the message, with SUBJECT for the entry named. */
  message: string;
  /** Refused before the sink saw any payload. */
  beforePayload: boolean;
  insecure?: boolean;
}

const HOSTILE: HostileCase[] = [
  {
    kind: 'absolute-path',
    code: 'ARCHIVE_ENTRY_UNSAFE',
    message: 'entry "SUBJECT" has header name "SUBJECT": it is an absolute path',
    beforePayload: true,
  },
  {
    kind: 'dot-dot',
    code: 'ARCHIVE_ENTRY_UNSAFE',
    message: 'entry "SUBJECT" has header name "SUBJECT": it has a ".." component',
    beforePayload: true,
  },
  {
    kind: 'pax-dot-dot',
    code: 'ARCHIVE_ENTRY_UNSAFE',
    message: 'entry "SUBJECT" has pax path "SUBJECT": it has a ".." component',
    beforePayload: true,
  },
  {
    kind: 'header-dot-dot-under-pax',
    code: 'ARCHIVE_ENTRY_UNSAFE',
    message: 'entry "SUBJECT" has header name "../airgap-evil": it has a ".." component',
    beforePayload: true,
  },
  {
    kind: 'symlink',
    code: 'ARCHIVE_ENTRY_UNSAFE',
    message: 'entry "SUBJECT" is a symbolic link to "/etc/passwd"',
    beforePayload: true,
  },
  {
    kind: 'hardlink',
    code: 'ARCHIVE_ENTRY_UNSAFE',
    message: 'entry "SUBJECT" is a hard link to "airgap.json"',
    beforePayload: true,
  },
  {
    kind: 'device',
    code: 'ARCHIVE_ENTRY_UNSAFE',
    message: 'entry "SUBJECT" is a character device (type flag "3")',
    beforePayload: true,
  },
  {
    kind: 'fifo',
    code: 'ARCHIVE_ENTRY_UNSAFE',
    message: 'entry "SUBJECT" is a FIFO (type flag "6")',
    beforePayload: true,
  },
  {
    kind: 'duplicate-path',
    code: 'ARCHIVE_ENTRY_UNSAFE',
    message: 'entry "SUBJECT" appears again (already a file earlier in the archive)',
    beforePayload: false,
  },
  {
    kind: 'unlisted-file',
    code: 'CHECKSUM_MISSING',
    message: 'SUBJECT is not listed in SHA256SUMS; an unlisted file is not trusted',
    beforePayload: true,
  },
  {
    kind: 'missing-listed-file',
    code: 'BUNDLE_FILE_MISSING',
    message: 'SUBJECT is listed in SHA256SUMS but is not in the bundle',
    beforePayload: false,
  },
  {
    kind: 'truncated',
    code: 'ARCHIVE_INVALID',
    message: 'is truncated: entry "SUBJECT" needs',
    beforePayload: false,
  },
  { kind: 'flipped-byte', code: 'CHECKSUM_MISMATCH', message: 'SUBJECT has sha256 ', beforePayload: false },
  { kind: 'sums-line-removed', code: 'SIGNATURE_INVALID', message: 'SHA256SUMS', beforePayload: true },
  {
    kind: 'sums-line-removed',
    code: 'MANIFEST_MISMATCH',
    message: 'airgap.json lists SUBJECT, but SHA256SUMS has no line for it',
    beforePayload: true,
    insecure: true,
  },
  {
    kind: 'foreign-signature',
    code: 'SIGNATURE_INVALID',
    message: 'which is not a trusted key or subkey',
    beforePayload: true,
  },
  { kind: 'edited-manifest', code: 'CHECKSUM_MISMATCH', message: 'SUBJECT has sha256 ', beforePayload: true },
  {
    kind: 'manifest-before-sums',
    code: 'ARCHIVE_INVALID',
    message: 'expected SHA256SUMS after SHA256SUMS.sig, found "SUBJECT"',
    beforePayload: true,
  },
];

describe('readVerifiedBundle refuses hostile archives', () => {
  for (const c of HOSTILE) {
    it(`${c.kind}${c.insecure ? ' (insecure)' : ''} -> ${c.code}`, async () => {
      const hostile = await hostileTarball(staged, c.kind, { otherKey: other });
      const { error, calls } = await readError(
        hostile.file,
        c.insecure ? { insecureSkipSignature: true } : {},
      );
      expect(error.code).toBe(c.code);
      expect(EXIT_CODE[ERROR_CATEGORY[error.code]]).toBe(1);
      expect(error.message).toContain(hostile.file);
      expect(error.message).toContain(c.message.replaceAll('SUBJECT', hostile.subject));
      if (c.beforePayload) expect(calls).toEqual([]);
      else expect(calls.length).toBeGreaterThan(0);
    });
  }

  it('names a file that is in neither place, and every missing one', async () => {
    const entries = await stagedEntries(staged);
    const zips = entries.filter((e) => e.name.endsWith('.zip')).map((e) => e.name);
    const file = path.join(await makeTempDir(), 'two-missing.tar');
    await fs.writeFile(file, buildTar(entries.filter((e) => !zips.includes(e.name))));
    const { error } = await readError(file);
    expect(error).toBeInstanceOf(AirgapErrors);
    expect((error as AirgapErrors).errors.map((e) => [e.code, e.details.path])).toEqual(
      zips.map((z) => ['BUNDLE_FILE_MISSING', z]),
    );
  });

  it('refuses a payload whose size differs from airgap.json before the sink sees it', async () => {
    const entries = await stagedEntries(staged);
    const zip = firstPayload(staged);
    const i = entries.findIndex((e) => e.name === zip);
    entries[i] = {
      ...entries[i]!,
      body: Buffer.concat([Buffer.from(entries[i]!.body!), Buffer.from('tail')]),
    };
    // Move it first among the payloads, so nothing was sunk before it.
    const [moved] = entries.splice(i, 1);
    entries.splice(entries.findIndex((e) => e.name === BUNDLE.manifest) + 1, 0, moved!);
    const file = path.join(await makeTempDir(), 'grown.tar');
    await fs.writeFile(file, buildTar(entries));
    const { error, calls } = await readError(file);
    expect(error.code).toBe('CHECKSUM_MISMATCH');
    const size = entries.find((e) => e.name === zip)!.body!.length;
    expect(error.message).toBe(`${file}: ${zip} is ${size} bytes, but airgap.json lists ${size - 4} bytes`);
    expect(calls).toEqual([]);
  });

  it('refuses an empty file and something that is not a tar', async () => {
    const dir = await makeTempDir();
    await fs.writeFile(path.join(dir, 'empty.tar'), '');
    expect((await readError(path.join(dir, 'empty.tar'))).error.code).toBe('ARCHIVE_INVALID');
    await fs.writeFile(path.join(dir, 'text.tar'), 'hello\n'.repeat(200));
    const { error } = await readError(path.join(dir, 'text.tar'));
    expect(error.code).toBe('ARCHIVE_INVALID');
    expect(error.message).toContain('is not a tar header');
  });
});
