import { describe, expect, it } from 'vitest';

import {
  buildManifest,
  type BundleManifest,
  type ManifestBinary,
} from '../../../src/core/bundle/manifest.js';
import { AirgapError } from '../../../src/core/errors.js';
import { binaryRows, lockfileRows, providerRows } from '../../../src/core/transfer/verify-checks.js';
import { buildVerifyReport, renderVerifyTable } from '../../../src/core/transfer/verify-report.js';

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
  it('counts rows, sets the verdict, and renders an aligned table with a verdict line', () => {
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
    expect(renderVerifyTable(report)).toBe(
      [
        'STATUS   CHECK      SUBJECT          DETAIL',
        'ok       signature  SHA256SUMS.sig   signed',
        'FAILED   file       providers/a.zip  differs',
        'warning  extra      x                stray',
        '',
        `FAILED: /t/b.tar (1 ok, 1 failed, 1 warning(s), 0 skipped; bundle digest ${H('c')})`,
      ].join('\n'),
    );
    const ok = buildVerifyReport({ tool: 't', target: '/d', kind: 'directory', rows: [] });
    expect(ok.verdict).toBe('verified');
    expect(renderVerifyTable(ok).split('\n').pop()).toBe(
      'VERIFIED: /d (0 ok, 0 failed, 0 warning(s), 0 skipped)',
    );
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
