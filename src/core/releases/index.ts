// OpenTofu and Terraform release binaries: release lists, version resolution,
// file naming, and what a stored release records. Pure: no I/O.

export {
  DEFAULT_TERRAFORM_API_URL,
  DEFAULT_TERRAFORM_BASE_URL,
  DEFAULT_TOFU_API_URL,
  DEFAULT_TOFU_BASE_URL,
  releaseFiles,
  releaseUrl,
  type ReleaseFiles,
} from './files.js';
export {
  parseReleaseList,
  parseTerraformReleaseIndex,
  parseTofuReleaseList,
  type ReleaseListing,
} from './release-list.js';
export { needsReleaseList, resolveToolVersions } from './resolve.js';
export {
  RELEASE_TOOLS,
  type ReleaseManifestEntry,
  type ReleasePlatformFile,
  type ReleaseTool,
  type ReleaseVerification,
} from './types.js';
