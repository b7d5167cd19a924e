// The package size a download answer states (OpenTofu's `packages` extension), which
// lets `airgap plan` size a package without a HEAD request.
import fs from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseDownload, statedPackageSize } from '../../../src/core/registry/protocol.js';
import { realdata } from '../../helpers/realdata.js';

async function json(p: string): Promise<unknown> {
  return JSON.parse(await fs.readFile(realdata('registry', 'examples', 'tfupdate-testdata', p), 'utf8'));
}

const SHASUM = '5ce03460813954cbebc9f9ad5befbe364d9dc67acb08869f67c1aa634fbf6d6c';

function answer(packages: unknown): Record<string, unknown> {
  return {
    filename: 'terraform-provider-null_3.2.1_linux_amd64.zip',
    download_url: 'https://example.test/z.zip',
    shasums_url: 'https://example.test/SHA256SUMS',
    shasums_signature_url: 'https://example.test/SHA256SUMS.sig',
    shasum: SHASUM,
    signing_keys: { gpg_public_keys: [] },
    packages,
  };
}

describe('statedPackageSize', () => {
  it("reads every platform's size from registry.opentofu.org's real answer", async () => {
    const info = parseDownload(
      await json('registry.opentofu.org__v1_providers_hashicorp_null_3.2.1_download_darwin_arm64.json'),
      'https://registry.opentofu.org/v1/providers/hashicorp/null/3.2.1/download/darwin/arm64',
    );
    expect(statedPackageSize(info, 'linux_amd64')).toBe(4750928);
    expect(statedPackageSize(info, 'plan9_mips')).toBeUndefined();
  });

  it("is unknown for registry.terraform.io's real answer, which has no packages extension", async () => {
    const info = parseDownload(
      await json('registry.terraform.io__v1_providers_hashicorp_null_3.2.1_download_darwin_arm64.json'),
      'https://registry.terraform.io/x',
    );
    expect(statedPackageSize(info, 'darwin_arm64')).toBeUndefined();
  });

  it('takes only a positive whole number of bytes as a size, as tofu does', () => {
    const sizes: unknown[] = [0, -200, 1.5, '2474', null, Number.MAX_SAFE_INTEGER + 2, 2474];
    const info = parseDownload(
      answer(Object.fromEntries(sizes.map((s, i) => [`os${i}_amd64`, { hashes: [], package_size: s }]))),
      'https://r.test/d',
    );
    expect(sizes.map((_, i) => statedPackageSize(info, `os${i}_amd64`))).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      2474,
    ]);
  });
});
