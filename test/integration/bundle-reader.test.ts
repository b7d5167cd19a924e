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
import { gzipSync } from 'node:zlib';
import { signDetached } from '../helpers/pgp.js';
import {
  buildTar,
  firstPayload,
  PACK_EPOCH,
  paxFlood,
  signSums,
  writeSums,
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
  {
    kind: 'pax-flood',
    code: 'ARCHIVE_INVALID',
    message:
      'entry "SUBJECT" (at byte 0) has more than 2 extended headers: "PaxHeaders/SUBJECT" at byte 9216 is one more',
    beforePayload: true,
  },
];

/** The hint the reader gives with each code, for a single (unsplit) tarball. */
const DAMAGED =
  'the bundle is damaged or was altered after it was signed: do not use it; copy it again from the export side';
const REMEDY: Partial<Record<ErrorCode, string>> = {
  ARCHIVE_INVALID: DAMAGED,
  ARCHIVE_ENTRY_UNSAFE: DAMAGED,
  BUNDLE_FILE_MISSING: DAMAGED,
  CHECKSUM_MISSING: DAMAGED,
  CHECKSUM_MISMATCH: DAMAGED,
  MANIFEST_MISMATCH: DAMAGED,
  SIGNATURE_INVALID:
    'nothing a --trusted-key vouches for signed this bundle: do not use it; check that --trusted-key is the public key of whoever ran `airgap export --sign-key`',
};

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
      // The hint is about a transfer bundle (import, verify), not a registry download (mirror).
      expect(error.remedy).toBe(REMEDY[c.code]);
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

  it('a 9 MB flood of pax headers is refused at the third header, before the signature is checked', async () => {
    // Signed by the impostor: a reader that got as far as the signature would say SIGNATURE_INVALID.
    const entries = await stagedEntries(staged);
    const sums = entries.find((e) => e.name === BUNDLE.checksums)!.body!;
    const sig = entries.findIndex((e) => e.name === BUNDLE.checksumsSignature);
    entries[sig] = {
      ...entries[sig]!,
      body: await signDetached(sums, other, { date: new Date(PACK_EPOCH * 1000) }),
      extended: paxFlood(BUNDLE.checksumsSignature, 2048),
    };
    const file = path.join(await makeTempDir(), 'flood.tar');
    await fs.writeFile(file, buildTar(entries));
    expect((await fs.stat(file)).size).toBeGreaterThan(9 << 20);
    const { error, calls } = await readError(file);
    expect(error.code).toBe('ARCHIVE_INVALID');
    expect(error.message).toBe(
      `${file}: entry "SHA256SUMS.sig" (at byte 0) has more than 2 extended headers: "PaxHeaders/SHA256SUMS.sig" at byte 9216 is one more`,
    );
    expect(error.details).toEqual({
      path: 'SHA256SUMS.sig',
      address: file,
      expected: 'at most 2 extended headers per entry',
      actual: '3 or more',
    });
    expect(calls).toEqual([]);
  });

  it('an empty file is a damaged transfer (exit 1); a file that is not a tar at all is the wrong file (exit 2)', async () => {
    const dir = await makeTempDir();
    await fs.writeFile(path.join(dir, 'empty.tar'), '');
    const e0 = (await readError(path.join(dir, 'empty.tar'))).error;
    expect([e0.code, e0.message, e0.remedy]).toEqual([
      'ARCHIVE_INVALID',
      `${path.join(dir, 'empty.tar')} is empty`,
      DAMAGED,
    ]);

    const usage = async (name: string, bytes: Uint8Array): Promise<AirgapError> => {
      await fs.writeFile(path.join(dir, name), bytes);
      const { error } = await readError(path.join(dir, name));
      expect(error.code).toBe('USAGE');
      expect(EXIT_CODE[ERROR_CATEGORY[error.code]]).toBe(2);
      expect(error.remedy).toBe(
        'pass the tarball `airgap export --tarball` wrote (FILE, or FILE.000 when split), or a bundle directory',
      );
      return error;
    };
    const text = path.join(dir, 'text.tar');
    expect((await usage('text.tar', Buffer.from('hello\n'.repeat(200)))).message).toBe(
      `${text} is not a transfer archive: it is neither tar nor gzip, it starts with text ("hello\\nhello\\nhello\\nhello\\nhello\\nhello\\nhell"…)`,
    );
    const zipBytes = await fs.readFile(path.join(staged.dir, firstPayload(staged)));
    expect((await usage('bundle.zip', zipBytes)).message).toBe(
      `${path.join(dir, 'bundle.zip')} is not a transfer archive: it is neither tar nor gzip, it starts with a zip archive`,
    );
    expect((await usage('notes.tar.gz', gzipSync(Buffer.from('hello\n')))).message).toBe(
      `${path.join(dir, 'notes.tar.gz')} is gzip data, but what it holds is not a tar archive: it starts with text ("hello\\n"…)`,
    );
    expect((await usage('random.bin', Buffer.from([0, 1, 2, 3, 0xfe, 0xff, 0x80, 0x7f]))).message).toBe(
      `${path.join(dir, 'random.bin')} is not a transfer archive: it is neither tar nor gzip, it starts with bytes 00 01 02 03 fe ff 80 7f`,
    );

    // A tar whose first header is damaged is a damaged transfer, not the wrong file.
    const tar = buildTar(await stagedEntries(staged));
    tar[10] = tar[10]! ^ 0x20;
    await fs.writeFile(path.join(dir, 'damaged.tar'), tar);
    const damaged = (await readError(path.join(dir, 'damaged.tar'))).error;
    expect(damaged.code).toBe('ARCHIVE_INVALID');
    expect(damaged.message).toMatch(/the header at byte 0 has checksum \d+, but its bytes sum to \d+/);
    expect(damaged.remedy).toBe(DAMAGED);
  });

  it('a damaged airgap.json is said as damage (its sha256), one from another version as that', async () => {
    const entries = await stagedEntries(staged);
    const m = entries.findIndex((e) => e.name === BUNDLE.manifest);
    entries[m] = { ...entries[m]!, body: Buffer.from('{"formatVersion": 1, "crea') };
    const cut = path.join(await makeTempDir(), 'cut.tar');
    await fs.writeFile(cut, buildTar(entries));
    const damaged = (await readError(cut)).error;
    expect([damaged.code, damaged.details.path, damaged.remedy]).toEqual([
      'CHECKSUM_MISMATCH',
      BUNDLE.manifest,
      DAMAGED,
    ]);

    // Signed as it is, but in a format this airgap does not read.
    const newer = await stageBundleForTest(bundle.dir, { signKey: key });
    const manifestPath = path.join(newer.dir, BUNDLE.manifest);
    const doc = JSON.parse(await fs.readFile(manifestPath, 'utf8')) as Record<string, unknown>;
    await fs.writeFile(manifestPath, `${JSON.stringify({ ...doc, formatVersion: 99 }, null, 2)}\n`);
    await writeSums(newer);
    await signSums(newer, key);
    const file = path.join(await makeTempDir(), 'newer.tar');
    await fs.writeFile(file, buildTar(await stagedEntries(newer)));
    const e = (await readError(file)).error;
    expect(e.code).toBe('MANIFEST_INVALID');
    expect(e.remedy).toBe(
      "this airgap cannot read the bundle's airgap.json: use the airgap the bundle carries (npm install -g ./tool/airgap-*.tgz from the extracted tarball), or rebuild the bundle with this version",
    );
  });

  it('a later split part given as the source says to pass FILE.000', async () => {
    const packed = await packBundleForTest(bundle.dir, { staged, splitSize: 8 << 10 });
    expect(packed.parts.length).toBeGreaterThan(2);
    const { error } = await readError(packed.parts[1]!);
    expect(error.code).toBe('USAGE');
    expect(error.message).toBe(
      `${packed.parts[1]} is part 2 of a split transfer archive; pass its first part, ${packed.parts[0]}, which finds the others by name`,
    );
    expect(error.remedy).toBe(`pass ${packed.parts[0]} instead`);
    // Every part but the first: a missing FILE.000 is said as that.
    await fs.rm(packed.parts[0]!);
    const gone = (await readError(packed.parts[0]!)).error;
    expect([gone.code, gone.message]).toEqual([
      'INPUT_NOT_FOUND',
      `${packed.parts[0]}: no such file (the first part of a split archive)`,
    ]);
  });
});
