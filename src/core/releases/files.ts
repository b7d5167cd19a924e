// Where OpenTofu and Terraform publish a release: the file names of its zips,
// SHA256SUMS and signature, and their paths below a base URL. The defaults are
// the vendors' own hosts; --tofu-base-url / --terraform-base-url point elsewhere.

import { AirgapError } from '../errors.js';
import { formatPlatform, parsePlatform } from '../provider/platform.js';
import { parseVersion } from '../provider/version.js';
import type { ReleaseTool } from './types.js';

export const DEFAULT_TOFU_API_URL = 'https://get.opentofu.org/tofu/api.json';
export const DEFAULT_TOFU_BASE_URL = 'https://github.com/opentofu/opentofu/releases/download';
export const DEFAULT_TERRAFORM_API_URL = 'https://releases.hashicorp.com/terraform/index.json';
export const DEFAULT_TERRAFORM_BASE_URL = 'https://releases.hashicorp.com/terraform';

export interface ReleaseFiles {
  /** e.g. tofu_1.8.5_linux_amd64.zip */
  zip: string;
  /** e.g. tofu_1.8.5_SHA256SUMS */
  sums: string;
  /** tofu_1.8.5_SHA256SUMS.gpgsig, or terraform_1.9.8_SHA256SUMS.sig */
  sig: string;
  /** Paths relative to the base URL, no leading slash: "v1.8.5/tofu_1.8.5_linux_amd64.zip". */
  zipPath: string;
  sumsPath: string;
  sigPath: string;
}

/**
 * OpenTofu's GitHub releases live under a "v" tag (BASE/v1.8.5/...), HashiCorp's
 * under the bare version (BASE/1.9.8/...). OpenTofu's GPG signature is the .gpgsig:
 * its .sig is a cosign signature, which this does not check.
 */
export function releaseFiles(tool: ReleaseTool, version: string, platform: string): ReleaseFiles {
  // Canonical versions only: the version becomes a path segment, locally and in URLs.
  try {
    parseVersion(version);
  } catch (e) {
    throw new AirgapError('USAGE', `${tool} release version "${version}" is not a version like 1.8.5`, {
      version,
      expected: 'MAJOR.MINOR.PATCH[-PRERELEASE]',
      actual: version,
      cause: e,
    });
  }
  const plat = formatPlatform(parsePlatform(platform));
  const dir = tool === 'tofu' ? `v${version}` : version;
  const zip = `${tool}_${version}_${plat}.zip`;
  const sums = `${tool}_${version}_SHA256SUMS`;
  const sig = tool === 'tofu' ? `${sums}.gpgsig` : `${sums}.sig`;
  return { zip, sums, sig, zipPath: `${dir}/${zip}`, sumsPath: `${dir}/${sums}`, sigPath: `${dir}/${sig}` };
}

/** BASE joined with a path from releaseFiles; a trailing slash on BASE is allowed. */
export function releaseUrl(baseUrl: string, relativePath: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/${relativePath}`;
}
