// The rows `airgap verify DIR` adds for DIR/tofurc.oci, on inline data: which lock
// entries the rule "an OCI install needs the layer's zh: in the lock file" (opentofu
// internal/getproviders/package_location_oci_blob_archive.go) applies to, and which it
// leaves to the ordinary lockfile rows.

import { describe, expect, it } from 'vitest';
import { readOciMirrors } from '../../../src/core/config/tofurc-oci.js';
import { ociLockfileRows, ociTofurcRows } from '../../../src/core/transfer/oci-mirror-checks.js';
import type { LockNeed, PackageIndex, ZipDigestResult } from '../../../src/core/transfer/verify-checks.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const NULL = 'registry.opentofu.org/hashicorp/null';
const RANDOM = 'registry.opentofu.org/hashicorp/random';
const TF_NULL = 'registry.terraform.io/hashicorp/null';

const index: PackageIndex = {
  platforms: ['linux_arm64', 'linux_amd64'],
  providers: [
    {
      address: NULL,
      version: '3.2.1',
      packages: [
        { platform: 'linux_amd64', path: `${NULL}/amd64.zip` },
        { platform: 'linux_arm64', path: `${NULL}/arm64.zip` },
      ],
    },
    {
      address: TF_NULL,
      version: '3.2.1',
      packages: [{ platform: 'linux_amd64', path: `${TF_NULL}/amd64.zip` }],
    },
  ],
};
// arm64 did not verify: no digest, left to the lockfile rows.
const digests = new Map<string, ZipDigestResult>([
  [`${NULL}/amd64.zip`, { sha256: A, h1: 'h1:amd' }],
  [`${TF_NULL}/amd64.zip`, { sha256: B, h1: 'h1:amd' }],
]);

function tofurc(include: string[]): string {
  return `provider_installation {\n  oci_mirror {\n    repository_template = "r.example/p/registry.opentofu.org/\${namespace}/\${type}"\n    include = ${JSON.stringify(include)}\n  }\n}\n`;
}

describe('ociLockfileRows', () => {
  it('checks only served providers with hashes, on platforms whose package verified', () => {
    const mirrors = readOciMirrors(tofurc(['registry.opentofu.org/hashicorp/*']), 'tofurc.oci');
    const needs: LockNeed[] = [
      { lockfile: 'a.hcl', address: NULL, version: '3.2.1', hashes: ['h1:amd'] },
      { lockfile: 'b.hcl', address: NULL, version: '3.2.1', hashes: [`zh:${A}`] },
      // No hashes: tofu checks nothing, and the lockfile rows warn already.
      { lockfile: 'c.hcl', address: NULL, version: '3.2.1', hashes: [] },
      // Not served by tofurc.oci (another host).
      { lockfile: 'd.hcl', address: TF_NULL, version: '3.2.1', hashes: ['h1:amd'] },
      // Served, but not in the mirror: the lockfile rows fail it.
      { lockfile: 'e.hcl', address: RANDOM, version: '1.0.0', hashes: ['h1:x'] },
    ];
    expect(ociLockfileRows('tofurc.oci', mirrors, needs, index, digests)).toEqual([
      {
        check: 'lockfile',
        subject: `a.hcl: ${NULL} 3.2.1 linux_amd64 (oci_mirror)`,
        status: 'warning',
        detail: `a.hcl does not record zh:${A}, the layer tofurc.oci installs: tofu accepts a provider from an OCI mirror only when the lock file holds its zh: (an h1: does not count); run airgap mirror --update-lockfiles and use the lock file it completes`,
      },
      {
        check: 'lockfile',
        subject: `b.hcl: ${NULL} 3.2.1 linux_amd64 (oci_mirror)`,
        status: 'ok',
        detail: `records zh:${A}, the layer tofurc.oci installs`,
      },
    ]);
  });

  it('a block tofu drops serves nothing', () => {
    const mirrors = readOciMirrors(
      tofurc(['registry.opentofu.org/hashicorp/null', 'registry.terraform.io/hashicorp/null']).replace(
        'registry.opentofu.org/${namespace}',
        '${namespace}',
      ),
      'tofurc.oci',
    );
    expect(mirrors[0]!.problem).toMatch(/must refer to \$\{hostname\}/);
    const needs: LockNeed[] = [{ lockfile: 'a.hcl', address: NULL, version: '3.2.1', hashes: ['h1:amd'] }];
    expect(ociLockfileRows('tofurc.oci', mirrors, needs, index, digests)).toEqual([]);
  });
});

describe('ociTofurcRows', () => {
  it('ok with the hosts served; a warning for a file without any block', () => {
    expect(ociTofurcRows('tofurc.oci', readOciMirrors(tofurc([NULL, RANDOM]), 'tofurc.oci'))).toEqual([
      {
        check: 'state',
        subject: 'tofurc.oci',
        status: 'ok',
        detail: "1 oci_mirror block(s), valid by tofu's rules, for registry.opentofu.org",
      },
    ]);
    expect(ociTofurcRows('tofurc.oci', readOciMirrors('provider_installation {\n}\n', 'tofurc.oci'))).toEqual(
      [
        {
          check: 'state',
          subject: 'tofurc.oci',
          status: 'warning',
          detail:
            'tofurc.oci has no oci_mirror block: tofu installs nothing with it; push the providers again (airgap import --push-providers) to rewrite it',
        },
      ],
    );
  });

  it('a block without repository_template is one tofu refuses', () => {
    const [m] = readOciMirrors(
      'provider_installation {\n  oci_mirror {\n    include = ["x.example/a/b"]\n  }\n}\n',
      'f',
    );
    expect(m!.problem).toBe('invalid repository_template "": it is missing or empty, and tofu requires it');
  });
});
