import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSha256Sums } from '../../../src/core/checksums/sha256sums.js';
import type { AirgapError } from '../../../src/core/errors.js';
import {
  checkAgainstLockfiles,
  checkChecksums,
  checkPackagesExtension,
  lockfilesAtRiskFromDirectoryEntries,
  needsSignedChecksums,
  signedChecksums,
} from '../../../src/core/mirror/package-check.js';
import { realdata } from '../../helpers/realdata.js';

const id = {
  provider: 'registry.opentofu.org/hashicorp/null',
  version: '3.2.1',
  platform: 'linux_amd64',
  filename: 'terraform-provider-null_3.2.1_linux_amd64.zip',
};
// Real values: registry.opentofu.org's packages extension for null 3.2.1 linux_amd64.
const sha = '40335019c11e5bdb3780301da5197cbc756b4b5ac3d699c52583f1d34e963176';
const digest = { sha256: sha, h1: 'h1:uQv2oPjJv+ue8bPrVp+So2hHd90UTssnCNajTW554Cw=', zh: `zh:${sha}` };
const other = 'e25265d4e87821d18dc9653a0ce01978a1ae5d363bc01dd273454db1aa0309c7';

describe('package checks', () => {
  it('passes a package that matches shasum, SUMS and the packages extension', () => {
    expect(() =>
      checkChecksums(id, digest, { shasum: sha, sumsLine: sha, sumsUrl: 'https://x/SUMS' }),
    ).not.toThrow();
    expect(() => checkPackagesExtension(id, digest, [digest.zh, digest.h1])).not.toThrow();
    expect(() => checkPackagesExtension(id, digest, undefined)).not.toThrow();
  });

  it('names provider, version, platform and both values on a shasum mismatch', () => {
    try {
      checkChecksums(id, digest, { shasum: other, sumsLine: sha, sumsUrl: 'https://x/SUMS' });
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toBe(
        `registry.opentofu.org/hashicorp/null 3.2.1 (linux_amd64): terraform-provider-null_3.2.1_linux_amd64.zip has sha256 ${sha}, but the registry's download response says ${other}`,
      );
      expect((e as { code: string }).code).toBe('CHECKSUM_MISMATCH');
    }
  });

  it('fails when SHA256SUMS has no line for the package, or a different one', () => {
    expect(() =>
      checkChecksums(id, digest, { shasum: sha, sumsLine: undefined, sumsUrl: 'https://x/SUMS' }),
    ).toThrow(
      'registry.opentofu.org/hashicorp/null 3.2.1 (linux_amd64): https://x/SUMS has no line for terraform-provider-null_3.2.1_linux_amd64.zip',
    );
    expect(() =>
      checkChecksums(id, digest, { shasum: sha, sumsLine: other, sumsUrl: 'https://x/SUMS' }),
    ).toThrow(`but the signed https://x/SUMS says ${other}`);
  });

  it('fails when the packages extension disagrees', () => {
    expect(() =>
      checkPackagesExtension(id, digest, ['h1:BdIx478D4wpFgFeaS+5Bdve1HIlt3Yhsr5hAbUs2rRg=']),
    ).toThrow(
      'the registry\'s "packages" hashes list h1:BdIx478D4wpFgFeaS+5Bdve1HIlt3Yhsr5hAbUs2rRg=, but the package hashes to h1:uQv2oPjJv+ue8bPrVp+So2hHd90UTssnCNajTW554Cw=',
    );
  });

  it('confirms by any one recorded hash; a lock file with none is no constraint', () => {
    expect(
      checkAgainstLockfiles(
        id,
        digest,
        [
          { lockfile: 'a', hashes: ['h1:other=', digest.zh] },
          { lockfile: 'b', hashes: [digest.h1] },
          { lockfile: 'c', hashes: [] },
        ],
        undefined,
      ),
    ).toEqual({ confirmedBy: ['a', 'b'], lackingPlatformIn: [], unconfirmedBy: [] });
  });

  it('reports an h1:-only lock file that lacks this platform as unconfirmed, not as tampering', () => {
    expect(
      checkAgainstLockfiles(
        id,
        digest,
        [{ lockfile: 'laptop', hashes: ['h1:BdIx478D4wpFgFeaS+5Bdve1HIlt3Yhsr5hAbUs2rRg='] }],
        undefined,
      ),
    ).toEqual({ confirmedBy: [], lackingPlatformIn: [], unconfirmedBy: ['laptop'] });
  });

  it('refuses an in-house package (no signed list) that a lock file with zh: hashes does not list', () => {
    expect(() =>
      checkAgainstLockfiles(
        id,
        digest,
        [
          { lockfile: 'a', hashes: [digest.h1] },
          { lockfile: 'b', hashes: ['h1:other=', `zh:${other}`] },
        ],
        undefined,
      ),
    ).toThrow(
      `registry.opentofu.org/hashicorp/null 3.2.1 (linux_amd64): the package matches none of the 2 hashes b records for this version (package: ${digest.h1}, ${digest.zh})`,
    );
  });
});

// The real signed SHA256SUMS of hashicorp/null 3.1.0 and a real lock file that records
// all of its zh: lines (fixtures/realdata/PROVENANCE.txt).
describe('lock files against the signed SHA256SUMS', () => {
  const SUMS_URL =
    'https://releases.hashicorp.com/terraform-provider-null/3.1.0/terraform-provider-null_3.1.0_SHA256SUMS';
  const sumsFile = realdata(
    'keys/signed-sums/terraform-provider-null_3.1.0/terraform-provider-null_3.1.0_SHA256SUMS',
  );
  const sums = parseSha256Sums(fs.readFileSync(sumsFile, 'utf8'), SUMS_URL);
  const signed = signedChecksums(SUMS_URL, sums);
  const lockText = fs.readFileSync(
    realdata('lockfiles/1nval1dctf__terraform-aws-ctfd__examples_k8s__terraform.lock.hcl'),
    'utf8',
  );
  const block = lockText.slice(lockText.indexOf('provider "registry.terraform.io/hashicorp/null"'));
  const recorded = [...block.slice(0, block.indexOf('}')).matchAll(/"((?:h1|zh):[^"]+)"/g)].map((m) => m[1]!);
  const arm64 = {
    provider: 'registry.terraform.io/hashicorp/null',
    version: '3.1.0',
    platform: 'linux_arm64',
    filename: 'terraform-provider-null_3.1.0_linux_arm64.zip',
  };
  const armSha = sums.get(arm64.filename)!;
  // The zip's real zh:; its h1: is not in any lock file here (this one stands in for it).
  const armDigest = {
    sha256: armSha,
    h1: 'h1:xhbHC6in3nQryvTQBWKxebi3inG5OCgHgc4fRxL0ymc=',
    zh: `zh:${armSha}`,
  };
  const pruned = recorded.filter((h) => h !== armDigest.zh);

  it('reads the real data as expected', () => {
    expect(armSha).toBe('cecb6a304046df34c11229f20a80b24b1603960b794d68361a67c5efe58e62b8');
    expect(signed.zh.size).toBe(11);
    expect(recorded).toHaveLength(12);
    expect(recorded.filter((h) => h.startsWith('zh:')).every((h) => signed.zh.has(h))).toBe(true);
    expect(pruned).toHaveLength(11);
  });

  it('confirms a package the lock file lists', () => {
    expect(checkAgainstLockfiles(arm64, armDigest, [{ lockfile: 'a', hashes: recorded }], signed)).toEqual({
      confirmedBy: ['a'],
      lackingPlatformIn: [],
      unconfirmedBy: [],
    });
  });

  it('reports a lock file whose zh: are all signed but lack this platform as lacking it', () => {
    const recordedFor = [{ lockfile: 'pruned', hashes: pruned }];
    expect(needsSignedChecksums(armDigest, recordedFor)).toBe(true);
    expect(checkAgainstLockfiles(arm64, armDigest, recordedFor, signed)).toEqual({
      confirmedBy: [],
      lackingPlatformIn: ['pruned'],
      unconfirmedBy: [],
    });
  });

  it('refuses when the lock file records a zh: the signed list does not have: the release changed', () => {
    // The lock file's linux_arm64 line from another build than the one signed now.
    const replaced = [...pruned, `zh:${other}`];
    let err: AirgapError | undefined;
    try {
      checkAgainstLockfiles(
        arm64,
        armDigest,
        [{ lockfile: 'stack/.terraform.lock.hcl', hashes: replaced }],
        signed,
      );
    } catch (e) {
      err = e as AirgapError;
    }
    expect(err?.code).toBe('LOCK_HASH_MISMATCH');
    expect(err?.message).toBe(
      `registry.terraform.io/hashicorp/null 3.1.0 (linux_arm64): stack/.terraform.lock.hcl records zh:${other} for this version, ` +
        `which the signed ${SUMS_URL} does not list, and none of its 12 hashes matches the package ` +
        `(${armDigest.h1}, zh:${armSha}): the registry serves a different release than the one the lock file was written for`,
    );
    expect(err?.details).toEqual({
      provider: 'registry.terraform.io/hashicorp/null',
      version: '3.1.0',
      platform: 'linux_arm64',
      path: 'stack/.terraform.lock.hcl',
      address: SUMS_URL,
      expected: `every zh: of stack/.terraform.lock.hcl in ${SUMS_URL}`,
      actual: `not listed: zh:${other}`,
    });
    expect(err?.remedy).toBe(
      'find out why the release changed before trusting it (a re-published or tampered release); never "fix" this by deleting hashes',
    );
  });

  it('needs the signed list only when a lock file with zh: hashes lacks the package', () => {
    expect(needsSignedChecksums(armDigest, [{ lockfile: 'a', hashes: recorded }])).toBe(false);
    expect(needsSignedChecksums(armDigest, [{ lockfile: 'h1', hashes: ['h1:other='] }])).toBe(false);
    expect(needsSignedChecksums(armDigest, [{ lockfile: 'none', hashes: [] }])).toBe(false);
  });
});

describe('package checks: directory entries', () => {
  it('flags lock files at risk from directory entries only when they lack the zh:', () => {
    const recorded = [
      { lockfile: 'only-h1', hashes: [digest.h1] },
      { lockfile: 'has-zh', hashes: [digest.h1, digest.zh] },
      { lockfile: 'empty', hashes: [] },
    ];
    expect(lockfilesAtRiskFromDirectoryEntries(digest, true, recorded)).toEqual(['only-h1']);
    expect(lockfilesAtRiskFromDirectoryEntries(digest, false, recorded)).toEqual([]);
  });
});
