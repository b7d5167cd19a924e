// `airgap verify` on a real bundle (test registry + release server + mirror), packed
// by GNU tar, extracted, and unpacked; the report pinned; every hostile archive;
// the lock-file check; the exit codes through the real executable.

import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { digestZip } from '../../src/adapters/archive/zip-read.js';
import { parseSha256Sums } from '../../src/core/checksums/sha256sums.js';
import type { AirgapError, ErrorCode } from '../../src/core/errors.js';
import { BUNDLE } from '../../src/core/layout/names.js';
import type { Reporter } from '../../src/core/ports.js';
import type { CheckRow, VerifyReport } from '../../src/core/transfer/verify-report.js';
import { runVerify, type VerifyOptions } from '../../src/services/verify/verify-service.js';
import { AIRGAP_BIN, runCli } from '../helpers/cli.js';
import type { TestKey } from '../helpers/pgp.js';
import { workingDirs } from '../helpers/host.js';
import { makeTempDir } from '../helpers/tmp.js';
import { dataOffset } from './archive/zip-bytes.js';
import { describeWithTools } from '../helpers/tools.js';
import {
  firstPayload,
  generateBundleSigningKey,
  hostileTarball,
  makeTestBundle,
  packBundleForTest,
  sha256Hex,
  stageBundleForTest,
  type HostileKind,
  type PackedBundle,
  type StagedBundle,
  type TestBundle,
} from '../helpers/transfer.js';

const exec = promisify(execFile);
const HOST = 'registry.airgap.test';
const NULL = `${HOST}/hashicorp/null`;
const WIDGET = `${HOST}/acme/widget`;

let bundle: TestBundle;
let key: TestKey;
let keyFile: string;
let staged: StagedBundle;
let packed: PackedBundle;

beforeAll(async () => {
  [bundle, key] = await Promise.all([
    makeTestBundle({
      providers: [
        {
          namespace: 'hashicorp',
          type: 'null',
          versions: ['3.2.1'],
          platforms: ['linux_amd64', 'linux_arm64'],
          payloadSize: 256,
        },
        // No linux_arm64 build: mirrored with --skip-missing-platforms.
        {
          namespace: 'acme',
          type: 'widget',
          versions: ['1.0.0'],
          platforms: ['linux_amd64'],
          payloadSize: 256,
        },
      ],
      skipMissingPlatforms: true,
    }),
    generateBundleSigningKey(),
  ]);
  keyFile = path.join(await makeTempDir(), 'signer.asc');
  await fs.writeFile(keyFile, key.publicKeyArmored);
  staged = await stageBundleForTest(bundle.dir, { signKey: key });
  packed = await packBundleForTest(bundle.dir, { staged, gzip: true });
}, 60_000);

afterAll(async () => {
  await bundle?.close();
});

const quiet: Reporter = { info: () => undefined, warn: () => undefined };

function verify(target: string, extra: Partial<VerifyOptions> = {}): Promise<VerifyReport> {
  return runVerify(
    {
      target,
      trustedKeyFiles: [keyFile],
      insecureSkipSignature: false,
      tofuKeyFile: bundle.releases.publicKeyPath,
      lockfiles: [],
      ...workingDirs(),
      ...extra,
    },
    quiet,
  );
}

function pkg(type: string, platform: string) {
  return bundle.registry.packages.find((p) => p.type === type && p.platform === platform)!;
}

/** Every row a sound bundle gets, from the registry's, release server's and stage's own values. */
async function soundRows(
  root: string,
  opts: { toolPackage: boolean } = { toolPackage: true },
): Promise<CheckRow[]> {
  const sums = parseSha256Sums(await fs.readFile(path.join(staged.dir, BUNDLE.checksums), 'utf8'), 'x');
  const files = [...sums.keys()]
    .filter((p) => p !== BUNDLE.manifest && (opts.toolPackage || !p.startsWith('tool/')))
    .sort();
  const fileRows: CheckRow[] = [];
  for (const p of files) {
    const size = (await fs.stat(path.join(root, p))).size;
    fileRows.push({
      check: 'file',
      subject: p,
      status: 'ok',
      detail: `sha256 ${sums.get(p)} (${size} bytes)`,
    });
  }
  const provider = (address: string, type: string, platform: string): CheckRow => ({
    check: 'provider',
    subject: `${address} ${type === 'null' ? '3.2.1' : '1.0.0'} ${platform}`,
    status: 'ok',
    detail: `${pkg(type, platform).h1} zh:${pkg(type, platform).sha256}`,
  });
  const tofu = (platform: string): CheckRow => ({
    check: 'binary',
    subject: `tofu 1.8.5 ${platform}`,
    status: 'ok',
    detail: `sha256 ${bundle.releases.artifact('tofu', '1.8.5', platform).sha256} matches tofu_1.8.5_${platform}.zip's line in the signed tofu_1.8.5_SHA256SUMS`,
  });
  return [
    ...fileRows,
    provider(WIDGET, 'widget', 'linux_amd64'),
    provider(NULL, 'null', 'linux_amd64'),
    provider(NULL, 'null', 'linux_arm64'),
    {
      check: 'binary-signature',
      subject: 'tofu 1.8.5',
      status: 'ok',
      detail: `tofu/1.8.5/tofu_1.8.5_SHA256SUMS signed by ${bundle.releases.signingKey.fingerprint} (--tofu-key ${bundle.releases.publicKeyPath})`,
    },
    tofu('linux_amd64'),
    tofu('linux_arm64'),
    {
      check: 'sbom',
      subject: BUNDLE.sbom,
      status: 'ok',
      detail: `${files.filter((p) => !p.startsWith('tool/') && p !== BUNDLE.sbom).length} component(s) name bundle files, one for every file airgap.json lists, each with its sha256`,
    },
  ];
}

function signatureRow(): CheckRow {
  return {
    check: 'signature',
    subject: 'SHA256SUMS.sig',
    status: 'ok',
    detail: `SHA256SUMS signed by ${key.fingerprint} at 2020-01-01T00:00:00.000Z`,
  };
}

async function bundleDigest(): Promise<string> {
  return sha256Hex(await fs.readFile(path.join(staged.dir, BUNDLE.checksums)));
}

describeWithTools(['tar'], 'airgap verify on a real bundle', () => {
  it('verifies a signed gzip tarball: the --json report, pinned, and exit 0', async () => {
    const r = await runCli([
      'verify',
      packed.file,
      '--trusted-key',
      keyFile,
      '--tofu-key',
      bundle.releases.publicKeyPath,
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rows = [signatureRow(), ...(await soundRows(staged.dir))];
    expect(JSON.parse(r.stdout)).toEqual({
      schemaVersion: 1,
      tool: 'airgap/0.1.0',
      target: packed.file,
      kind: 'tarball',
      verdict: 'verified',
      bundleDigest: await bundleDigest(),
      signature: {
        primaryKeyFingerprint: key.fingerprint,
        signingKeyFingerprint: key.fingerprint,
        created: '2020-01-01T00:00:00.000Z',
        keyExpiredSince: false,
      },
      summary: { ok: rows.length, failed: 0, warning: 0, skipped: 0 },
      rows,
    });
    expect(rows.length).toBe(26);
  });

  it('prints the counts by kind, that every check passed, and the verdict; --all lists every row', async () => {
    const args = [
      'verify',
      packed.file,
      '--trusted-key',
      keyFile,
      '--tofu-key',
      bundle.releases.publicKeyPath,
    ];
    const r = await runCli(args);
    expect(r.code).toBe(0);
    // Not a terminal: laid out for 100 columns.
    expect(r.stdout).toBe(
      [
        'KIND        TOTAL  OK  FAILED  WARNING  SKIPPED',
        'signature       1   1       0        0        0',
        'files          18  18       0        0        0',
        'providers       3   3       0        0        0',
        'binaries        3   3       0        0        0',
        'lock files      0   0       0        0        0',
        'sbom            1   1       0        0        0',
        '',
        'Every check passed (26); --all lists them.',
        '',
        `VERIFIED: ${packed.file} (26 ok, 0 failed, 0 warning(s), 0 skipped)`,
        `bundle digest ${await bundleDigest()}`,
        '',
      ].join('\n'),
    );

    const all = await runCli([...args, '--all']);
    expect(all.code).toBe(0);
    const lines = all.stdout.trimEnd().split('\n');
    const zip = `${NULL} 3.2.1 linux_arm64`;
    // Every row ok: the STATUS column is as wide as its heading.
    const at = lines.indexOf(`ok      provider          ${zip}`);
    expect(at, all.stdout).toBeGreaterThan(0);
    expect(lines[at + 1]).toBe(`        ${pkg('null', 'linux_arm64').h1}`);
    expect(lines[at + 2]).toBe(`        zh:${pkg('null', 'linux_arm64').sha256}`);
    expect(lines.filter((l) => /^ok +file +/.test(l))).toHaveLength(18);
    expect(lines.filter((l) => /^ok +[a-z-]+ +/.test(l))).toHaveLength(26);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(100);
  });

  it('verifies the directory GNU tar extracts, with the same rows', async () => {
    const dir = await makeTempDir();
    await exec('tar', ['-xzf', packed.file, '-C', dir]);
    const report = await verify(dir);
    expect(report.kind).toBe('directory');
    expect(report.verdict).toBe('verified');
    expect(report.bundleDigest).toBe(await bundleDigest());
    expect(report.rows).toEqual([signatureRow(), ...(await soundRows(dir))]);
  });

  it('verifies the unpacked `airgap mirror` output against airgap.json, warning that nothing signs it', async () => {
    const report = await verify(bundle.dir, { trustedKeyFiles: [] });
    expect(report.verdict).toBe('verified');
    expect(report.bundleDigest).toBeNull();
    expect(report.signature).toBeNull();
    expect(report.rows).toEqual([
      {
        check: 'signature',
        subject: 'SHA256SUMS.sig',
        status: 'warning',
        detail:
          'an unpacked bundle directory (no SHA256SUMS, no signature): its files are checked against airgap.json only, which nothing vouches for',
      },
      ...(await soundRows(bundle.dir, { toolPackage: false })),
    ]);
    expect(report.summary).toEqual({ ok: 24, failed: 0, warning: 1, skipped: 0 });
  });

  it('checks tofu releases with the pinned OpenTofu key by default: a re-signed release fails (exit 1)', async () => {
    const r = await runCli(['verify', packed.file, '--trusted-key', keyFile, '--json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as VerifyReport;
    expect(report.verdict).toBe('failed');
    const rows = report.rows.filter((x) => x.check.startsWith('binary'));
    expect(rows.map((x) => [x.check, x.subject, x.status, x.code])).toEqual([
      ['binary-signature', 'tofu 1.8.5', 'failed', 'SIGNATURE_INVALID'],
      ['binary', 'tofu 1.8.5 linux_amd64', 'skipped', undefined],
      ['binary', 'tofu 1.8.5 linux_arm64', 'skipped', undefined],
    ]);
    expect(rows[0]!.detail).toContain(
      `signature was made by key ${bundle.releases.signingKey.fingerprint}, which is not a trusted key or subkey (trusted: E3E6E43D84CB852EADB0051D0C0AF313E5FD9F80`,
    );
    // airgap.json records the key the release was verified with when mirrored (--tofu-key): the hint names it.
    const fp = bundle.releases.signingKey.fingerprint;
    expect(rows[0]!.hint).toBe(
      `pass --tofu-key FILE (the key with fingerprint ${fp} that the bundle was mirrored with)`,
    );
    expect(report.summary).toEqual({ ok: 23, failed: 1, warning: 0, skipped: 2 });

    // The table: the counts, then only the three rows that are not ok, the hint under the failure.
    const table = await runCli(['verify', packed.file, '--trusted-key', keyFile]);
    expect(table.code).toBe(1);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 9)).toEqual([
      'KIND        TOTAL  OK  FAILED  WARNING  SKIPPED',
      'signature       1   1       0        0        0',
      'files          18  18       0        0        0',
      'providers       3   3       0        0        0',
      'binaries        3   0       1        0        2',
      'lock files      0   0       0        0        0',
      'sbom            1   1       0        0        0',
      '',
      'Not ok: 3 of 26 checks (--all lists every one).',
    ]);
    expect(lines.filter((l) => /^(ok|FAILED|warning|skipped) /.test(l))).toEqual([
      'FAILED   binary-signature  tofu 1.8.5',
      'skipped  binary            tofu 1.8.5 linux_amd64',
      'skipped  binary            tofu 1.8.5 linux_arm64',
    ]);
    expect(lines.join(' ').replace(/ +/g, ' ')).toContain(
      ` hint: pass --tofu-key FILE (the key with fingerprint ${fp} that the bundle was mirrored with) `,
    );
    expect(lines.at(-2)).toBe(`FAILED: ${packed.file} (23 ok, 1 failed, 0 warning(s), 2 skipped)`);

    // With the key the bundle was mirrored with, it verifies.
    const withKey = await runCli([
      'verify',
      packed.file,
      '--trusted-key',
      keyFile,
      '--tofu-key',
      bundle.releases.publicKeyPath,
    ]);
    expect(withKey.code).toBe(0);
  });

  it('names no key when the release was mirrored with the key verify uses: the list itself changed', async () => {
    const sums = 'tofu/1.8.5/tofu_1.8.5_SHA256SUMS';
    const resigned = await packBundleForTest(bundle.dir, {
      signKey: key,
      async mutate(ctx) {
        // The release list edited after mirroring, the bundle re-signed: the release key's signature no longer holds.
        await fs.appendFile(path.join(ctx.dir, sums), `${'0'.repeat(64)}  tofu_1.8.5_extra.zip\n`);
        const mpath = path.join(ctx.dir, BUNDLE.manifest);
        const m = JSON.parse(await fs.readFile(mpath, 'utf8')) as {
          binaries: { sums: { path: string; size: number; sha256: string } }[];
        };
        const bytes = await fs.readFile(path.join(ctx.dir, sums));
        m.binaries[0]!.sums.size = bytes.length;
        m.binaries[0]!.sums.sha256 = sha256Hex(bytes);
        await fs.writeFile(mpath, `${JSON.stringify(m, null, 2)}\n`);
        await ctx.rewriteSums();
        await ctx.resign();
      },
    });
    const report = await verify(resigned.file);
    const row = report.rows.find((r) => r.check === 'binary-signature')!;
    expect(row.status).toBe('failed');
    expect(row.code).toBe('SIGNATURE_INVALID');
    expect(row.hint).toBeUndefined();
  });

  it('--lockfile: every provider, version and platform present with a matching hash', async () => {
    const dir = await makeTempDir();
    const good = path.join(dir, 'good.lock.hcl');
    const wrong = path.join(dir, 'wrong.lock.hcl');
    const zh = (type: string, platform: string) => `zh:${pkg(type, platform).sha256}`;
    await fs.writeFile(
      good,
      `provider "${NULL}" {\n  version = "3.2.1"\n  hashes = [\n    "${zh('null', 'linux_amd64')}",\n    "${pkg('null', 'linux_arm64').h1}",\n  ]\n}\n\n` +
        `provider "${WIDGET}" {\n  version = "1.0.0"\n  hashes = [\n    "${zh('widget', 'linux_amd64')}",\n  ]\n}\n`,
    );
    const bogus = `zh:${'0'.repeat(64)}`;
    await fs.writeFile(
      wrong,
      `provider "${NULL}" {\n  version = "3.2.1"\n  hashes = [\n    "${bogus}",\n  ]\n}\n`,
    );
    const r = await runCli([
      'verify',
      packed.file,
      '--trusted-key',
      keyFile,
      '--tofu-key',
      bundle.releases.publicKeyPath,
      '--lockfile',
      good,
      '--lockfile',
      wrong,
      '--json',
    ]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as VerifyReport;
    const verified = (type: string, platform: string) => `${pkg(type, platform).h1}, ${zh(type, platform)}`;
    expect(report.rows.filter((x) => x.check === 'lockfile')).toEqual([
      {
        check: 'lockfile',
        subject: `${good}: ${NULL} 3.2.1 linux_amd64`,
        status: 'ok',
        detail: `matches ${zh('null', 'linux_amd64')}`,
      },
      {
        check: 'lockfile',
        subject: `${good}: ${NULL} 3.2.1 linux_arm64`,
        status: 'ok',
        detail: `matches ${pkg('null', 'linux_arm64').h1}`,
      },
      {
        check: 'lockfile',
        subject: `${good}: ${WIDGET} 1.0.0 linux_amd64`,
        status: 'ok',
        detail: `matches ${zh('widget', 'linux_amd64')}`,
      },
      {
        check: 'lockfile',
        subject: `${good}: ${WIDGET} 1.0.0 linux_arm64`,
        status: 'failed',
        code: 'PLATFORM_MISSING',
        detail: `the bundle has no ${WIDGET} 1.0.0 package for linux_arm64, which ${good} needs`,
      },
      {
        check: 'lockfile',
        subject: `${wrong}: ${NULL} 3.2.1 linux_amd64`,
        status: 'failed',
        code: 'LOCK_HASH_MISMATCH',
        detail: `none of the 1 hashes ${wrong} records matches the package (${verified('null', 'linux_amd64')})`,
      },
      {
        check: 'lockfile',
        subject: `${wrong}: ${NULL} 3.2.1 linux_arm64`,
        status: 'failed',
        code: 'LOCK_HASH_MISMATCH',
        detail: `none of the 1 hashes ${wrong} records matches the package (${verified('null', 'linux_arm64')})`,
      },
    ]);
    expect(report.summary.failed).toBe(3);
  });

  it('lists a stray file in a directory as a warning, and still verifies', async () => {
    const dir = await makeTempDir();
    await exec('tar', ['-xzf', packed.file, '-C', dir]);
    await fs.writeFile(path.join(dir, 'providers', 'notes.txt'), 'left by an operator\n');
    const report = await verify(dir);
    expect(report.verdict).toBe('verified');
    expect(report.rows.filter((r) => r.status !== 'ok')).toEqual([
      {
        check: 'extra',
        subject: 'providers/notes.txt',
        status: 'warning',
        code: 'CHECKSUM_MISSING',
        detail: `${dir}: providers/notes.txt is not listed in SHA256SUMS; an unlisted file is not trusted`,
      },
    ]);
  });

  it('fails a provider whose zip is not the one airgap.json hashes, though SHA256SUMS (re-signed) agrees', async () => {
    const zip = firstPayload(staged, 'null_3.2.1_linux_amd64.zip');
    const other = firstPayload(staged, 'null_3.2.1_linux_arm64.zip');
    const swapped = await packBundleForTest(bundle.dir, {
      signKey: key,
      async mutate(ctx) {
        // The signer's own mistake: the arm64 zip under the amd64 name, manifest sha256 updated, hashes not.
        const bytes = await fs.readFile(path.join(ctx.dir, other));
        await fs.writeFile(path.join(ctx.dir, zip), bytes);
        const mpath = path.join(ctx.dir, BUNDLE.manifest);
        const m = JSON.parse(await fs.readFile(mpath, 'utf8')) as {
          providers: { packages: { path: string; sha256: string }[] }[];
        };
        for (const p of m.providers)
          for (const k of p.packages) if (k.path === zip) k.sha256 = sha256Hex(bytes);
        await fs.writeFile(mpath, `${JSON.stringify(m, null, 2)}\n`);
        await ctx.rewriteSums();
        await ctx.resign();
      },
    });
    const report = await verify(swapped.file);
    expect(report.verdict).toBe('failed');
    const amd = pkg('null', 'linux_amd64');
    const arm = pkg('null', 'linux_arm64');
    expect(report.rows.filter((r) => r.status !== 'ok')).toEqual([
      {
        check: 'provider',
        subject: `${NULL} 3.2.1 linux_amd64`,
        status: 'failed',
        code: 'CHECKSUM_MISMATCH',
        detail: `${zip}: zh:${arm.sha256} is not among the hashes airgap.json records (${[amd.h1, `zh:${amd.sha256}`].sort().join(', ')})`,
      },
      // The SBOM still describes the zip that was mirrored.
      {
        check: 'sbom',
        subject: `${BUNDLE.sbom}: ${zip}`,
        status: 'failed',
        code: 'SBOM_MISMATCH',
        detail: `component "${NULL} 3.2.1": SHA-256 ${amd.sha256}, but ${zip} has sha256 ${arm.sha256}`,
      },
    ]);
  });

  it('fails zips that do not read as zips (re-signed to match) with the messages digestZip gives, tarball and directory', async () => {
    const amdZip = firstPayload(staged, 'null_3.2.1_linux_amd64.zip');
    const armZip = firstPayload(staged, 'null_3.2.1_linux_arm64.zip');
    const broken = new Map<string, Buffer>();
    const hostile = await packBundleForTest(bundle.dir, {
      signKey: key,
      async mutate(ctx) {
        // One cut short (no end of central directory), one with a byte of its data flipped.
        const amd = await fs.readFile(path.join(ctx.dir, amdZip));
        broken.set(amdZip, amd.subarray(0, amd.length - 30));
        const arm = Buffer.from(await fs.readFile(path.join(ctx.dir, armZip)));
        const entry = (await digestZip(path.join(ctx.dir, armZip))).entries[0]!.name;
        const at = dataOffset(arm, entry);
        arm[at] = arm[at]! ^ 0x01;
        broken.set(armZip, arm);
        const mpath = path.join(ctx.dir, BUNDLE.manifest);
        const m = JSON.parse(await fs.readFile(mpath, 'utf8')) as {
          providers: { packages: { path: string; sha256: string; size: number; hashes: string[] }[] }[];
        };
        // The signer's mistake again, its records all agreeing with the broken bytes but the h1.
        for (const [rel, bytes] of broken) {
          await fs.writeFile(path.join(ctx.dir, rel), bytes);
          const sha256 = sha256Hex(bytes);
          for (const k of m.providers.flatMap((p) => p.packages).filter((k) => k.path === rel)) {
            k.hashes = k.hashes.map((h) => (h === `zh:${k.sha256}` ? `zh:${sha256}` : h));
            Object.assign(k, { sha256, size: bytes.length });
          }
        }
        await fs.writeFile(mpath, `${JSON.stringify(m, null, 2)}\n`);
        await ctx.rewriteSums();
        await ctx.resign();
      },
    });
    // digestZip on this thread, on the same bytes, names its file: the report names the bundle path.
    const scratch = await makeTempDir('airgap-verify-zips-');
    const expected: CheckRow[] = [];
    for (const [rel, platform] of [
      [amdZip, 'linux_amd64'],
      [armZip, 'linux_arm64'],
    ] as const) {
      const file = path.join(scratch, path.basename(rel));
      await fs.writeFile(file, broken.get(rel)!);
      const e = await digestZip(file).then(
        () => undefined,
        (x: unknown) => x as AirgapError,
      );
      expect(e?.code).toBe('ZIP_INVALID');
      expect(e!.message.startsWith(`${file}: `)).toBe(true);
      expected.push({
        check: 'provider',
        subject: `${NULL} 3.2.1 ${platform}`,
        status: 'failed',
        code: 'ZIP_INVALID',
        detail: e!.message.replaceAll(file, rel),
      });
    }
    expect(expected[0]!.detail).toContain('not a readable zip archive');
    expect(expected[1]!.detail).toContain('is corrupt: CRC-32');
    const dir = await makeTempDir();
    await exec('tar', ['-xf', hostile.file, '-C', dir]);
    for (const target of [hostile.file, dir]) {
      const report = await verify(target);
      expect(report.verdict).toBe('failed');
      expect(report.rows.filter((r) => r.check === 'provider' && r.status !== 'ok')).toEqual(expected);
      // The widget's zip, read beside them, is fine.
      expect(
        report.rows.filter((r) => r.check === 'provider' && r.status === 'ok').map((r) => r.subject),
      ).toEqual([`${WIDGET} 1.0.0 linux_amd64`]);
    }
  });
});

describeWithTools(['tar', 'script', 'stty'], 'airgap verify on a terminal', () => {
  /** The stdout lines of `airgap verify` run on a pseudo-terminal `cols` wide (util-linux script(1)). */
  async function onTerminal(cols: number, args: string[]): Promise<string[]> {
    const quoted = [process.execPath, AIRGAP_BIN, 'verify', ...args].map((a) => `'${a}'`).join(' ');
    const { stdout } = await exec('script', ['-qfec', `stty cols ${cols}; exec ${quoted}`, '/dev/null'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
    }).catch((e: { stdout: string }) => e); // exit 1: a failed check
    // Colours off (they are tested with the reporter); stderr shares the terminal: drop the
    // progress line (it starts with an erase-line escape sequence).
    return stdout
      .split('\r\n')
      .map((l) => l.replace(/\x1b\[[0-9;]*m/g, ''))
      .filter((l) => !l.includes('\x1b'))
      .map((l) => l.replace(/\r/g, ''));
  }

  it('fits the table to the terminal: 80 and 120 columns', async () => {
    const fp = bundle.releases.signingKey.fingerprint;
    const narrow = await onTerminal(80, [packed.file, '--trusted-key', keyFile]);
    expect(Math.max(...narrow.map((l) => l.length))).toBeLessThanOrEqual(80);
    const hint = narrow.findIndex((l) => l.startsWith('         hint: '));
    expect(narrow.slice(hint, hint + 3)).toEqual([
      '         hint: pass --tofu-key FILE (the key with fingerprint',
      `         ${fp} that the bundle was mirrored`,
      '         with)',
    ]);
    expect(narrow).toContain('23 ok, 1 failed, 0 warning(s), 2 skipped');

    const wide = await onTerminal(120, [packed.file, '--trusted-key', keyFile]);
    expect(Math.max(...wide.map((l) => l.length))).toBeLessThanOrEqual(120);
    const at = wide.findIndex((l) => l.startsWith('         hint: '));
    expect(wide.slice(at, at + 2)).toEqual([
      `         hint: pass --tofu-key FILE (the key with fingerprint ${fp} that the bundle`,
      '         was mirrored with)',
    ]);
    expect(wide).toContain(`FAILED: ${packed.file} (23 ok, 1 failed, 0 warning(s), 2 skipped)`);
  });
});

interface HostileExpectation {
  kind: HostileKind;
  check: CheckRow['check'];
  code: ErrorCode;
  /** Subject of the failed row; default the hostile entry. */
  subject?: string;
}

const HOSTILE: HostileExpectation[] = [
  { kind: 'absolute-path', check: 'archive', code: 'ARCHIVE_ENTRY_UNSAFE' },
  { kind: 'dot-dot', check: 'archive', code: 'ARCHIVE_ENTRY_UNSAFE' },
  { kind: 'pax-dot-dot', check: 'archive', code: 'ARCHIVE_ENTRY_UNSAFE' },
  { kind: 'header-dot-dot-under-pax', check: 'archive', code: 'ARCHIVE_ENTRY_UNSAFE' },
  { kind: 'symlink', check: 'archive', code: 'ARCHIVE_ENTRY_UNSAFE' },
  { kind: 'hardlink', check: 'archive', code: 'ARCHIVE_ENTRY_UNSAFE' },
  { kind: 'device', check: 'archive', code: 'ARCHIVE_ENTRY_UNSAFE' },
  { kind: 'fifo', check: 'archive', code: 'ARCHIVE_ENTRY_UNSAFE' },
  { kind: 'duplicate-path', check: 'archive', code: 'ARCHIVE_ENTRY_UNSAFE' },
  { kind: 'unlisted-file', check: 'file', code: 'CHECKSUM_MISSING' },
  { kind: 'missing-listed-file', check: 'file', code: 'BUNDLE_FILE_MISSING' },
  { kind: 'truncated', check: 'archive', code: 'ARCHIVE_INVALID' },
  { kind: 'flipped-byte', check: 'file', code: 'CHECKSUM_MISMATCH' },
  { kind: 'sums-line-removed', check: 'signature', code: 'SIGNATURE_INVALID', subject: 'SHA256SUMS.sig' },
  { kind: 'foreign-signature', check: 'signature', code: 'SIGNATURE_INVALID' },
  { kind: 'edited-manifest', check: 'manifest', code: 'CHECKSUM_MISMATCH' },
  { kind: 'manifest-before-sums', check: 'archive', code: 'ARCHIVE_INVALID', subject: 'TARGET' },
  { kind: 'pax-flood', check: 'archive', code: 'ARCHIVE_INVALID' },
];

describe('airgap verify on hostile archives', () => {
  for (const h of HOSTILE) {
    it(`${h.kind}: a failed ${h.check} row ${h.code} naming the entry`, async () => {
      const hostile = await hostileTarball(staged, h.kind);
      const report = await verify(hostile.file);
      expect(report.verdict).toBe('failed');
      const subject = h.subject === 'TARGET' ? hostile.file : (h.subject ?? hostile.subject);
      const row = report.rows.find(
        (r) => r.status === 'failed' && r.check === h.check && r.subject === subject,
      );
      expect(
        row,
        JSON.stringify(
          report.rows.filter((r) => r.status !== 'ok'),
          null,
          1,
        ),
      ).toBeDefined();
      expect(row!.code).toBe(h.code);
      expect(row!.detail).toContain(h.check === 'signature' ? 'SHA256SUMS' : hostile.subject);
      expect(row!.detail).toContain(hostile.file);
    });
  }

  it('the real executable: exit 1 and the report for an unsafe entry; exit 2 for usage and input errors', async () => {
    const hostile = await hostileTarball(staged, 'symlink');
    const r = await runCli(['verify', hostile.file, '--trusted-key', keyFile, '--json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as VerifyReport;
    expect(report.rows).toEqual([
      {
        check: 'signature',
        subject: 'SHA256SUMS.sig',
        status: 'ok',
        detail: `SHA256SUMS signed by ${key.fingerprint} at 2020-01-01T00:00:00.000Z`,
      },
      {
        check: 'archive',
        subject: 'providers/link',
        status: 'failed',
        code: 'ARCHIVE_ENTRY_UNSAFE',
        detail: `${hostile.file}: entry "providers/link" is a symbolic link to "/etc/passwd" (type flag "2"); a bundle holds only regular files and directories`,
      },
    ]);

    const noKey = await runCli(['verify', packed.file, '--json']);
    expect(noKey.code).toBe(2);
    expect(JSON.parse(noKey.stdout).error.code).toBe('USAGE');

    const missing = await runCli(['verify', '/nonexistent/bundle.tar', '--trusted-key', keyFile]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('Error: /nonexistent/bundle.tar: no such file');

    // A directory with airgap-state.json is an import destination: one airgap did not write fails.
    const dest = await makeTempDir();
    await fs.writeFile(path.join(dest, 'airgap-state.json'), '{}');
    const importDest = await runCli(['verify', dest]);
    expect(importDest.code).toBe(1);
    const at = importDest.stdout.split('\n').indexOf('FAILED  state  airgap-state.json');
    expect(importDest.stdout.split('\n')[at + 1]).toMatch(
      new RegExp(`^ {8}${dest}/airgap-state\\.json: formatVersion: expected 1`),
    );
  });
});
