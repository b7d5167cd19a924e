import { describe, expect, it } from 'vitest';
import {
  checkAgainstLockfiles,
  checkChecksums,
  checkPackagesExtension,
  lockfilesAtRiskFromDirectoryEntries,
} from '../../../src/core/mirror/package-check.js';

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
      checkAgainstLockfiles(id, digest, [
        { lockfile: 'a', hashes: ['h1:other=', digest.zh] },
        { lockfile: 'b', hashes: [digest.h1] },
        { lockfile: 'c', hashes: [] },
      ]),
    ).toEqual({ confirmedBy: ['a', 'b'], unconfirmedBy: [] });
  });

  it('is strict for a lock file holding zh: hashes (the whole signed list)', () => {
    expect(() =>
      checkAgainstLockfiles(id, digest, [
        { lockfile: 'a', hashes: [digest.h1] },
        { lockfile: 'b', hashes: ['h1:other=', `zh:${other}`] },
      ]),
    ).toThrow(
      `registry.opentofu.org/hashicorp/null 3.2.1 (linux_amd64): the package matches none of the 2 hashes b records for this version (package: ${digest.h1}, ${digest.zh})`,
    );
  });

  it('reports an h1:-only lock file that lacks this platform as unconfirmed, not as tampering', () => {
    expect(
      checkAgainstLockfiles(id, digest, [
        { lockfile: 'laptop', hashes: ['h1:BdIx478D4wpFgFeaS+5Bdve1HIlt3Yhsr5hAbUs2rRg='] },
      ]),
    ).toEqual({
      confirmedBy: [],
      unconfirmedBy: ['laptop'],
    });
  });

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
