import { describe, expect, it } from 'vitest';

import {
  buildManifest,
  type BundleManifest,
  type ManifestBinary,
} from '../../../src/core/bundle/manifest.js';
import { AirgapError } from '../../../src/core/errors.js';
import { binaryRows, lockfileRows, providerRows } from '../../../src/core/transfer/verify-checks.js';
import {
  buildVerifyReport,
  renderVerifyTable,
  shortenMiddle,
  wrapWords,
} from '../../../src/core/transfer/verify-report.js';

const H = (c: string) => c.repeat(64);
const ADDR = 'registry.opentofu.org/hashicorp/null';

function manifest(): BundleManifest {
  return buildManifest({
    toolVersion: '0.1.0',
    createdAt: new Date('2026-11-22T00:00:00Z'),
    platforms: ['linux_amd64', 'linux_arm64'],
    lockfiles: [],
    providers: [
      {
        address: ADDR,
        version: '3.2.1',
        packages: [
          {
            platform: 'linux_amd64',
            path: 'providers/amd64.zip',
            size: 1,
            sha256: H('a'),
            hashes: ['h1:AMD=', `zh:${H('a')}`],
            source: 'registry',
          },
          {
            platform: 'linux_arm64',
            path: 'providers/arm64.zip',
            size: 1,
            sha256: H('b'),
            hashes: ['h1:ARM=', `zh:${H('b')}`],
            source: 'registry',
          },
        ],
      },
    ],
    binaries: [],
    configs: [],
    mirrorIndexes: [],
  });
}

describe('the report', () => {
  it('counts rows and sets the verdict', () => {
    const report = buildVerifyReport({
      tool: 'airgap/0.1.0',
      target: '/t/b.tar',
      kind: 'tarball',
      bundleDigest: H('c'),
      rows: [
        { check: 'signature', subject: 'SHA256SUMS.sig', status: 'ok', detail: 'signed' },
        {
          check: 'file',
          subject: 'providers/a.zip',
          status: 'failed',
          code: 'CHECKSUM_MISMATCH',
          detail: 'differs',
        },
        { check: 'extra', subject: 'x', status: 'warning', detail: 'stray' },
      ],
    });
    expect(report.verdict).toBe('failed');
    expect(report.summary).toEqual({ ok: 1, failed: 1, warning: 1, skipped: 0 });
    expect(report.signature).toBeNull();
    const ok = buildVerifyReport({ tool: 't', target: '/d', kind: 'directory', rows: [] });
    expect(ok.verdict).toBe('verified');
  });
});

describe('the table', () => {
  const FP = 'C0FFEE'.padEnd(40, '1');
  const ZIP = 'providers/registry.opentofu.org/hashicorp/null/terraform-provider-null_3.2.1_linux_amd64.zip';
  const report = buildVerifyReport({
    tool: 'airgap/0.1.0',
    target: '/media/usb/transfers/2026-12/airgap-bundle-connected-side.tar.gz',
    kind: 'tarball',
    bundleDigest: H('c'),
    rows: [
      {
        check: 'signature',
        subject: 'SHA256SUMS.sig',
        status: 'ok',
        detail: `SHA256SUMS signed by ${FP} at 2020-01-01T00:00:00.000Z`,
      },
      { check: 'file', subject: ZIP, status: 'ok', detail: `sha256 ${H('a')} (4750928 bytes)` },
      {
        check: 'extra',
        subject: 'notes.txt',
        status: 'warning',
        code: 'CHECKSUM_MISSING',
        detail: 'notes.txt is listed in neither SHA256SUMS nor airgap.json',
      },
      {
        check: 'provider',
        subject: `${ADDR} 3.2.1 linux_amd64`,
        status: 'ok',
        detail: `h1:AMD= zh:${H('a')}`,
      },
      {
        check: 'binary-signature',
        subject: 'tofu 1.8.5',
        status: 'failed',
        code: 'SIGNATURE_INVALID',
        detail: `tofu/1.8.5/tofu_1.8.5_SHA256SUMS: signature was made by key ${FP}, which is not a trusted key or subkey (trusted: E3E6E43D84CB852EADB0051D0C0AF313E5FD9F80 (OpenTofu <core@opentofu.org>))`,
        hint: `pass --tofu-key FILE (the key with fingerprint ${FP} that the bundle was mirrored with)`,
      },
      {
        check: 'binary',
        subject: 'tofu 1.8.5 linux_amd64',
        status: 'skipped',
        detail: 'tofu/1.8.5/tofu_1.8.5_SHA256SUMS is not trusted (see binary-signature)',
      },
    ],
  });
  const SUMMARY = [
    'KIND        TOTAL  OK  FAILED  WARNING  SKIPPED',
    'signature       1   1       0        0        0',
    'files           2   1       0        1        0',
    'providers       1   1       0        0        0',
    'binaries        2   0       1        0        1',
    'lock files      0   0       0        0        0',
    '',
  ];

  it('80 columns: counts by kind, then only the rows not ok, details and hints wrapped, the verdict', () => {
    expect(renderVerifyTable(report, { width: 80, all: false })).toBe(
      [
        ...SUMMARY,
        'Not ok: 3 of 6 checks (--all lists every one).',
        'STATUS   CHECK             SUBJECT',
        'warning  extra             notes.txt',
        '         notes.txt is listed in neither SHA256SUMS nor airgap.json',
        'FAILED   binary-signature  tofu 1.8.5',
        '         tofu/1.8.5/tofu_1.8.5_SHA256SUMS: signature was made by key',
        `         ${FP}, which is not a trusted key or`,
        '         subkey (trusted: E3E6E43D84CB852EADB0051D0C0AF313E5FD9F80 (OpenTofu',
        '         <core@opentofu.org>))',
        '         hint: pass --tofu-key FILE (the key with fingerprint',
        `         ${FP} that the bundle was mirrored`,
        '         with)',
        'skipped  binary            tofu 1.8.5 linux_amd64',
        '         tofu/1.8.5/tofu_1.8.5_SHA256SUMS is not trusted (see binary-signature)',
        '',
        'FAILED: /media/usb/transfers/2026-12/airgap-bundle-connected-side.tar.gz',
        '3 ok, 1 failed, 1 warning(s), 1 skipped',
        `bundle digest ${H('c')}`,
      ].join('\n'),
    );
  });

  it('120 columns: the same, wrapped wider, the verdict on one line', () => {
    expect(renderVerifyTable(report, { width: 120, all: false })).toBe(
      [
        ...SUMMARY,
        'Not ok: 3 of 6 checks (--all lists every one).',
        'STATUS   CHECK             SUBJECT',
        'warning  extra             notes.txt',
        '         notes.txt is listed in neither SHA256SUMS nor airgap.json',
        'FAILED   binary-signature  tofu 1.8.5',
        `         tofu/1.8.5/tofu_1.8.5_SHA256SUMS: signature was made by key ${FP}, which is`,
        '         not a trusted key or subkey (trusted: E3E6E43D84CB852EADB0051D0C0AF313E5FD9F80 (OpenTofu <core@opentofu.org>))',
        `         hint: pass --tofu-key FILE (the key with fingerprint ${FP} that the bundle`,
        '         was mirrored with)',
        'skipped  binary            tofu 1.8.5 linux_amd64',
        '         tofu/1.8.5/tofu_1.8.5_SHA256SUMS is not trusted (see binary-signature)',
        '',
        'FAILED: /media/usb/transfers/2026-12/airgap-bundle-connected-side.tar.gz (3 ok, 1 failed, 1 warning(s), 1 skipped)',
        `bundle digest ${H('c')}`,
      ].join('\n'),
    );
  });

  it('--all lists every row; a long subject is shortened in the middle, never wrapped', () => {
    const lines = renderVerifyTable(report, { width: 80, all: true }).split('\n');
    expect(lines.slice(SUMMARY.length, SUMMARY.length + 9)).toEqual([
      'STATUS   CHECK             SUBJECT',
      'ok       signature         SHA256SUMS.sig',
      `         SHA256SUMS signed by ${FP} at`,
      '         2020-01-01T00:00:00.000Z',
      // 80 - "ok       " - "file" padded to 16 - 2 = 53 columns for the subject.
      'ok       file              providers/registry.opento...ull_3.2.1_linux_amd64.zip',
      `         sha256 ${H('a')}`,
      '         (4750928 bytes)',
      'warning  extra             notes.txt',
      '         notes.txt is listed in neither SHA256SUMS nor airgap.json',
    ]);
    expect(lines.filter((l) => /^(ok|FAILED|warning|skipped) /.test(l))).toHaveLength(6);
  });

  it('no line is wider than the width, which is held to 80..120 columns', () => {
    for (const width of [20, 60, 79, 80, 81, 100, 119, 120, 200]) {
      const text = renderVerifyTable(report, { width, all: true });
      const limit = Math.min(120, Math.max(80, width));
      expect(Math.max(...text.split('\n').map((l) => l.length))).toBeLessThanOrEqual(limit);
    }
    expect(renderVerifyTable(report, { width: 200, all: false })).toBe(
      renderVerifyTable(report, { width: 120, all: false }),
    );
    expect(renderVerifyTable(report, { width: 40, all: false })).toBe(
      renderVerifyTable(report, { width: 80, all: false }),
    );
  });

  it('a sound bundle: the summary, one line saying so, and the verdict', () => {
    const ok = buildVerifyReport({
      tool: 't',
      target: '/d',
      kind: 'import-destination',
      rows: [
        { check: 'state', subject: 'airgap-state.json', status: 'ok', detail: 'import 1' },
        { check: 'provider', subject: `${ADDR} 3.2.1 linux_amd64`, status: 'ok', detail: 'h1:AMD=' },
      ],
    });
    expect(renderVerifyTable(ok, { width: 100, all: false })).toBe(
      [
        'KIND          TOTAL  OK  FAILED  WARNING  SKIPPED',
        'import state      1   1       0        0        0',
        'providers         1   1       0        0        0',
        'files             0   0       0        0        0',
        'lock files        0   0       0        0        0',
        '',
        'Every check passed (2); --all lists them.',
        '',
        'VERIFIED: /d (2 ok, 0 failed, 0 warning(s), 0 skipped)',
      ].join('\n'),
    );
  });

  it('shortens in the middle and wraps words, cutting only a word longer than a line', () => {
    expect(shortenMiddle('abcdefghij', 10)).toBe('abcdefghij');
    expect(shortenMiddle('abcdefghijk', 10)).toBe('abcd...ijk');
    expect(wrapWords('aa bb cc', 5)).toEqual(['aa bb', 'cc']);
    expect(wrapWords('a 1234567890123 b', 5)).toEqual(['a', '12345', '67890', '123 b']);
    expect(wrapWords('', 5)).toEqual(['']);
  });
});

describe('provider rows', () => {
  it('needs both the zip zh: and its h1: among the recorded hashes', () => {
    const rows = providerRows(
      manifest(),
      new Map([
        ['providers/amd64.zip', { sha256: H('a'), h1: 'h1:AMD=' }],
        ['providers/arm64.zip', { sha256: H('b'), h1: 'h1:OTHER=' }],
      ]),
    );
    expect(rows).toEqual([
      {
        check: 'provider',
        subject: `${ADDR} 3.2.1 linux_amd64`,
        status: 'ok',
        detail: `h1:AMD= zh:${H('a')}`,
      },
      {
        check: 'provider',
        subject: `${ADDR} 3.2.1 linux_arm64`,
        status: 'failed',
        code: 'CHECKSUM_MISMATCH',
        detail: `providers/arm64.zip: h1:OTHER= (its unpacked files) is not among the hashes airgap.json records (h1:ARM=, zh:${H('b')})`,
      },
    ]);
  });

  it('reports a zip that is not a zip, a wrong zh:, and a file not read', () => {
    const zipErr = new AirgapError('ZIP_INVALID', 'providers/amd64.zip: not a readable zip archive');
    const rows = providerRows(
      manifest(),
      new Map([['providers/amd64.zip', { sha256: H('a'), error: zipErr }]]),
    );
    expect(rows.map((r) => [r.status, r.code, r.detail])).toEqual([
      ['failed', 'ZIP_INVALID', 'providers/amd64.zip: not a readable zip archive'],
      ['skipped', undefined, 'providers/arm64.zip was not read intact (see its file row)'],
    ]);
    const wrong = providerRows(
      manifest(),
      new Map([['providers/amd64.zip', { sha256: H('9'), h1: 'h1:AMD=' }]]),
    );
    expect(wrong[0]!.detail).toBe(
      `providers/amd64.zip: zh:${H('9')} is not among the hashes airgap.json records (h1:AMD=, zh:${H('a')})`,
    );
  });
});

describe('binary rows', () => {
  const binary: ManifestBinary = {
    tool: 'tofu',
    version: '1.8.5',
    platforms: [
      { platform: 'linux_amd64', path: 'tofu/1.8.5/tofu_1.8.5_linux_amd64.zip', size: 1, sha256: H('1') },
      { platform: 'linux_arm64', path: 'tofu/1.8.5/tofu_1.8.5_linux_arm64.zip', size: 1, sha256: H('2') },
    ],
    sums: { path: 'tofu/1.8.5/tofu_1.8.5_SHA256SUMS', size: 1, sha256: H('3') },
    signature: { path: 'tofu/1.8.5/tofu_1.8.5_SHA256SUMS.gpgsig', size: 1, sha256: H('4') },
    verifiedBy: { primaryKeyFingerprint: 'A', signingKeyFingerprint: 'A', keyExpiredSince: false },
  };
  const actual = new Map([
    ['tofu/1.8.5/tofu_1.8.5_linux_amd64.zip', H('1')],
    ['tofu/1.8.5/tofu_1.8.5_linux_arm64.zip', H('5')],
  ]);

  it('checks each zip against its line in the signed list', () => {
    const sums = new Map([
      ['tofu_1.8.5_linux_amd64.zip', H('1')],
      ['tofu_1.8.5_linux_arm64.zip', H('2')],
    ]);
    expect(binaryRows({ binary, sums }, actual)).toEqual([
      {
        check: 'binary',
        subject: 'tofu 1.8.5 linux_amd64',
        status: 'ok',
        detail: `sha256 ${H('1')} matches tofu_1.8.5_linux_amd64.zip's line in the signed tofu_1.8.5_SHA256SUMS`,
      },
      {
        check: 'binary',
        subject: 'tofu 1.8.5 linux_arm64',
        status: 'failed',
        code: 'CHECKSUM_MISMATCH',
        detail: `tofu/1.8.5/tofu_1.8.5_linux_arm64.zip has sha256 ${H('5')}, but tofu/1.8.5/tofu_1.8.5_SHA256SUMS lists ${H('2')}`,
      },
    ]);
    const missingLine = binaryRows({ binary, sums: new Map() }, actual);
    expect(missingLine[0]!.code).toBe('CHECKSUM_MISSING');
    expect(binaryRows({ binary }, actual).map((r) => r.status)).toEqual(['skipped', 'skipped']);
  });
});

describe('lock-file rows', () => {
  const digests = new Map([
    ['providers/amd64.zip', { sha256: H('a'), h1: 'h1:AMD=' }],
    ['providers/arm64.zip', { sha256: H('b'), h1: 'h1:ARM=' }],
  ]);

  it('needs every platform of the bundle with a matching hash, and names provider and platform', () => {
    const rows = lockfileRows(
      [
        { lockfile: 'a.hcl', address: ADDR, version: '3.2.1', hashes: [`zh:${H('a')}`, 'h1:ARM='] },
        { lockfile: 'b.hcl', address: ADDR, version: '3.2.1', hashes: [`zh:${H('f')}`] },
        { lockfile: 'c.hcl', address: ADDR, version: '9.9.9', hashes: [] },
        { lockfile: 'd.hcl', address: ADDR, version: '3.2.1', hashes: [] },
      ],
      manifest(),
      digests,
    );
    expect(rows.map((r) => [r.subject, r.status, r.code, r.detail])).toEqual([
      [`a.hcl: ${ADDR} 3.2.1 linux_amd64`, 'ok', undefined, `matches zh:${H('a')}`],
      [`a.hcl: ${ADDR} 3.2.1 linux_arm64`, 'ok', undefined, 'matches h1:ARM='],
      [
        `b.hcl: ${ADDR} 3.2.1 linux_amd64`,
        'failed',
        'LOCK_HASH_MISMATCH',
        `none of the 1 hashes b.hcl records matches the package (h1:AMD=, zh:${H('a')})`,
      ],
      [
        `b.hcl: ${ADDR} 3.2.1 linux_arm64`,
        'failed',
        'LOCK_HASH_MISMATCH',
        `none of the 1 hashes b.hcl records matches the package (h1:ARM=, zh:${H('b')})`,
      ],
      [
        `c.hcl: ${ADDR} 9.9.9 linux_amd64`,
        'failed',
        'PLATFORM_MISSING',
        `the bundle has no ${ADDR} 9.9.9, which c.hcl needs`,
      ],
      [
        `c.hcl: ${ADDR} 9.9.9 linux_arm64`,
        'failed',
        'PLATFORM_MISSING',
        `the bundle has no ${ADDR} 9.9.9, which c.hcl needs`,
      ],
      [
        `d.hcl: ${ADDR} 3.2.1 linux_amd64`,
        'warning',
        undefined,
        `d.hcl records no hashes for ${ADDR} 3.2.1; nothing to match (run mirror --update-lockfiles)`,
      ],
      [
        `d.hcl: ${ADDR} 3.2.1 linux_arm64`,
        'warning',
        undefined,
        `d.hcl records no hashes for ${ADDR} 3.2.1; nothing to match (run mirror --update-lockfiles)`,
      ],
    ]);
  });

  it('names a platform the bundle lacks for a provider it has', () => {
    const m = manifest();
    m.providers[0]!.packages.pop();
    const rows = lockfileRows(
      [{ lockfile: 'a.hcl', address: ADDR, version: '3.2.1', hashes: [`zh:${H('a')}`] }],
      m,
      digests,
    );
    expect(rows[1]).toEqual({
      check: 'lockfile',
      subject: `a.hcl: ${ADDR} 3.2.1 linux_arm64`,
      status: 'failed',
      code: 'PLATFORM_MISSING',
      detail: `the bundle has no ${ADDR} 3.2.1 package for linux_arm64, which a.hcl needs`,
    });
  });
});
