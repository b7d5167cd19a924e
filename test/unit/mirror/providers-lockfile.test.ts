// The generated lock file for airgap.yaml's `providers:`: one block per provider at the
// newest version mirrored, tofu's canonical constraints, h1: per mirrored platform and a
// zh: per line of the signed SHA256SUMS. terraform's acceptance of the text is
// test/e2e/providers-lockfile.test.ts.
import { describe, expect, it } from 'vitest';
import { BugError } from '../../../src/core/errors.js';
import { PROVIDERS_LOCKFILE } from '../../../src/core/layout/names.js';
import { parseLockFile } from '../../../src/core/lockfile/index.js';
import {
  renderProvidersLockFile,
  type MirroredProviderVersion,
} from '../../../src/core/mirror/providers-lockfile.js';

const AWS = { hostname: 'registry.opentofu.org', namespace: 'hashicorp', type: 'aws' };
const NULL = { hostname: 'registry.opentofu.org', namespace: 'hashicorp', type: 'null' };

function hex(c: string): string {
  return c.repeat(64);
}

function aws(version: string, constraints: string[]): MirroredProviderVersion {
  return {
    address: AWS,
    version,
    constraints,
    packages: [
      { platform: 'linux_arm64', h1: `h1:arm64-${version}=` },
      { platform: 'linux_amd64', h1: `h1:amd64-${version}=` },
    ],
    sha256sums: new Map([
      [`terraform-provider-aws_${version}_darwin_arm64.zip`, hex('c')],
      [`terraform-provider-aws_${version}_linux_amd64.zip`, hex('a')],
      [`terraform-provider-aws_${version}_linux_arm64.zip`, hex('b')],
      [`terraform-provider-aws_${version}_manifest.json`, hex('0')],
    ]),
  };
}

describe('renderProvidersLockFile', () => {
  it('writes the newest version of each provider, its items as canonical constraints, h1: and every zh:', () => {
    const text = renderProvidersLockFile(
      [
        // Neither the first, the last, nor the greatest as text ("5.9.0" > "5.82.1").
        aws('5.9.0', ['~> 5.0']),
        aws('5.82.1', ['~>5.0', '>= 5.1, < 6']),
        {
          address: NULL,
          version: '3.2.4',
          constraints: ['3.2.4'],
          packages: [{ platform: 'linux_amd64', h1: 'h1:null-amd64=' }],
          sha256sums: new Map([['terraform-provider-null_3.2.4_linux_amd64.zip', hex('e')]]),
        },
        aws('5.10.0', ['~> 5.0']),
      ],
      'tofu',
    );
    expect(text).toBe(`# This file is maintained automatically by "tofu init".
# Manual edits may be lost in future updates.

provider "registry.opentofu.org/hashicorp/aws" {
  version     = "5.82.1"
  constraints = "~> 5.0, >= 5.1.0, < 6.0.0"
  hashes = [
    "h1:amd64-5.82.1=",
    "h1:arm64-5.82.1=",
    "zh:${hex('0')}",
    "zh:${hex('a')}",
    "zh:${hex('b')}",
    "zh:${hex('c')}",
  ]
}

provider "registry.opentofu.org/hashicorp/null" {
  version     = "3.2.4"
  constraints = "3.2.4"
  hashes = [
    "h1:null-amd64=",
    "zh:${hex('e')}",
  ]
}
`);
    // What tofu reads back: canonical, so its own parser takes it without normalising.
    const parsed = parseLockFile(text, PROVIDERS_LOCKFILE);
    expect(parsed.providers.map((p) => [p.version, p.constraints, p.hashes.length])).toEqual([
      ['5.82.1', '~> 5.0, >= 5.1.0, < 6.0.0', 6],
      ['3.2.4', '3.2.4', 2],
    ]);
  });

  it('chooses the newest by go-versions precedence, and writes the terraform header when asked', () => {
    const widget = { hostname: 'registry.terraform.io', namespace: 'acme', type: 'widget' };
    const version = (v: string): MirroredProviderVersion => ({
      address: widget,
      version: v,
      constraints: [`= ${v}`],
      packages: [],
      sha256sums: new Map([[`terraform-provider-widget_${v}_linux_amd64.zip`, hex('d')]]),
    });
    // go-versions ranks "alpha.1" above "beta" (the shorter identifier list is the lower).
    const text = renderProvidersLockFile([version('1.0.0-beta'), version('1.0.0-alpha.1')], 'terraform');
    expect(text).toBe(`# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.terraform.io/acme/widget" {
  version     = "1.0.0-alpha.1"
  constraints = "1.0.0-alpha.1"
  hashes = [
    "zh:${hex('d')}",
  ]
}
`);
  });

  it('names the file where the bundle keeps it', () => {
    expect(PROVIDERS_LOCKFILE).toBe('lockfiles/airgap-providers.terraform.lock.hcl');
  });

  it('treats a mirrored platform the signed list lacks as a bug upstream', () => {
    const m = aws('5.82.1', ['~> 5.0']);
    const sums = new Map(m.sha256sums);
    sums.delete('terraform-provider-aws_5.82.1_linux_arm64.zip');
    expect(() => renderProvidersLockFile([{ ...m, sha256sums: sums }], 'tofu')).toThrow(
      new BugError(
        'providers lock file: registry.opentofu.org/hashicorp/aws 5.82.1: the signed SHA256SUMS has no line for terraform-provider-aws_5.82.1_linux_arm64.zip',
      ),
    );
  });
});
