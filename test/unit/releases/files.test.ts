// Release file names and URL paths, exactly as the vendors publish them.
import { describe, expect, it } from 'vitest';

import { AirgapError } from '../../../src/core/errors.js';
import { releaseDir, releaseToolDir } from '../../../src/core/layout/names.js';
import {
  DEFAULT_TERRAFORM_API_URL,
  DEFAULT_TERRAFORM_BASE_URL,
  DEFAULT_TOFU_API_URL,
  DEFAULT_TOFU_BASE_URL,
  releaseFiles,
  releaseUrl,
} from '../../../src/core/releases/index.js';

describe('releaseFiles', () => {
  it('names tofu files under a "v" tag, with the .gpgsig (not the cosign .sig)', () => {
    expect(releaseFiles('tofu', '1.8.5', 'linux_amd64')).toEqual({
      zip: 'tofu_1.8.5_linux_amd64.zip',
      sums: 'tofu_1.8.5_SHA256SUMS',
      sig: 'tofu_1.8.5_SHA256SUMS.gpgsig',
      zipPath: 'v1.8.5/tofu_1.8.5_linux_amd64.zip',
      sumsPath: 'v1.8.5/tofu_1.8.5_SHA256SUMS',
      sigPath: 'v1.8.5/tofu_1.8.5_SHA256SUMS.gpgsig',
    });
    expect(releaseUrl(DEFAULT_TOFU_BASE_URL, releaseFiles('tofu', '1.8.5', 'linux_amd64').zipPath)).toBe(
      'https://github.com/opentofu/opentofu/releases/download/v1.8.5/tofu_1.8.5_linux_amd64.zip',
    );
  });

  it('names terraform files under the bare version, with the .sig', () => {
    expect(releaseFiles('terraform', '1.9.8', 'darwin_arm64')).toEqual({
      zip: 'terraform_1.9.8_darwin_arm64.zip',
      sums: 'terraform_1.9.8_SHA256SUMS',
      sig: 'terraform_1.9.8_SHA256SUMS.sig',
      zipPath: '1.9.8/terraform_1.9.8_darwin_arm64.zip',
      sumsPath: '1.9.8/terraform_1.9.8_SHA256SUMS',
      sigPath: '1.9.8/terraform_1.9.8_SHA256SUMS.sig',
    });
    expect(releaseUrl(`${DEFAULT_TERRAFORM_BASE_URL}/`, '1.9.8/terraform_1.9.8_SHA256SUMS.sig')).toBe(
      'https://releases.hashicorp.com/terraform/1.9.8/terraform_1.9.8_SHA256SUMS.sig',
    );
  });

  it('keeps the defaults the issue names', () => {
    expect(DEFAULT_TOFU_API_URL).toBe('https://get.opentofu.org/tofu/api.json');
    expect(DEFAULT_TERRAFORM_API_URL).toBe('https://releases.hashicorp.com/terraform/index.json');
  });

  it('refuses a version or platform that could escape its directory', () => {
    for (const bad of ['../1.8.5', '1.8.5/..', 'v1.8.5', '1.8']) {
      let err: unknown;
      try {
        releaseFiles('tofu', bad, 'linux_amd64');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(AirgapError);
      expect((err as AirgapError).code).toBe('USAGE');
      expect((err as AirgapError).message).toBe(`tofu release version "${bad}" is not a version like 1.8.5`);
    }
    expect(() => releaseFiles('terraform', '1.9.8', 'linux/amd64')).toThrow(
      'invalid platform "linux/amd64": expected OS_ARCH, e.g. linux_amd64',
    );
  });

  it('stores releases under DIR/tofu/V and DIR/terraform/V', () => {
    expect(releaseDir('tofu', '1.8.5')).toBe('tofu/1.8.5');
    expect(releaseDir('terraform', '1.9.8')).toBe('terraform/1.9.8');
    expect(releaseToolDir('terraform')).toBe('terraform');
  });
});
