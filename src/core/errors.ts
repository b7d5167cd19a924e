// Typed errors. Every failure that reaches a user is an AirgapError with a stable
// `code`; the CLI layer alone maps codes to exit codes and remedies (src/cli/).

export type ErrorCode =
  | 'USAGE' // bad flags or arguments
  | 'INPUT_NOT_FOUND' // a named file or directory does not exist
  | 'HCL_SYNTAX' // a file is not valid HCL
  | 'LOCKFILE_INVALID' // valid HCL, but not a valid dependency lock file
  | 'CLICONFIG_INVALID' // the CLI configuration file is not valid
  | 'PROVIDER_ADDRESS_INVALID'
  | 'HTTP_ERROR' // a request failed after retries, or returned an unexpected status
  | 'REGISTRY_PROTOCOL' // a registry answered, but not in the shape the protocol defines
  | 'PROVIDER_NOT_FOUND' // the registry does not know this provider or version
  | 'PLATFORM_MISSING' // no package for a requested platform
  | 'SIGNATURE_INVALID' // a detached signature does not verify with the trusted keys
  | 'CHECKSUM_MISSING' // the signed checksum list has no line for an artifact
  | 'CHECKSUM_MISMATCH' // an artifact's sha256 differs from what was promised
  | 'LOCK_HASH_MISMATCH' // a package matches none of the hashes a lock file records
  | 'ZIP_INVALID' // an archive that cannot be read as a zip
  | 'HASH_INPUT_INVALID' // e.g. a file name containing a newline
  | 'LOCAL_PROVIDER_INVALID'
  | 'MANIFEST_INVALID' // airgap.json is not a bundle manifest this version reads
  | 'FS_ERROR'
  | 'KEY_INVALID' // OpenPGP public key material that cannot be read, or a pinned fingerprint it lacks
  | 'CHECKSUMS_INVALID' // a SHA256SUMS file with a malformed or contradictory line
  | 'RELEASE_LIST_INVALID' // a tofu api.json or terraform index.json release list not in its documented shape
  | 'RELEASE_NOT_FOUND' // no tofu/terraform release matches a requested version constraint
  | 'DOWNGRADE_REFUSED' // an import bundle older than the newest one already imported (rollback protection)
  | 'IMPORT_DEST_INVALID' // an import destination holding entries or state airgap import did not make
  | 'BUNDLE_MISMATCH' // a bundle directory disagrees with its airgap.json (a listed file missing or changed, an unlisted file)
  | 'SIGN_KEY_INVALID' // --sign-key is not a usable OpenPGP private key, or its passphrase is missing or wrong
  | 'TOOL_PACKAGE_INVALID' // npm pack failed, or the tool archive is not airgap with every runtime dependency bundled
  | 'ARCHIVE_INVALID' // a transfer archive that is not a readable tar (or gzip), is truncated or corrupt, or breaks the prescribed entry order
  | 'ARCHIVE_ENTRY_UNSAFE' // an absolute or `..` path, a link, device, FIFO or other non file/directory entry, or a duplicate path
  | 'BUNDLE_FILE_MISSING' // a file SHA256SUMS or airgap.json lists is not in the bundle (or a split part is missing)
  | 'MANIFEST_MISMATCH' // airgap.json's file references disagree with SHA256SUMS
  | 'SIGNATURE_MISSING' // a bundle without SHA256SUMS.sig, read without --insecure-skip-signature
  | 'OCI_REGISTRY_ERROR' // an OCI registry refused a request, answered off-protocol, or could not be reached
  | 'OCI_REFERENCE_INVALID' // an image/repository reference, tag or digest that breaks the distribution spec's grammar
  | 'DOCKER_CONFIG_INVALID' // a docker config.json that is not JSON, or whose auths entry cannot be decoded
  | 'IMAGE_INVALID'; // a base image (index, manifest, config or layer) not in the shape the OCI image-spec defines, or lacking a needed platform

/** Values that tell a user what went wrong, where. All optional; fill what is known. */
export interface ErrorDetails {
  /** A file path, with `:line:column` where known. */
  path?: string;
  /** A URL or provider address. */
  address?: string;
  provider?: string;
  version?: string;
  platform?: string;
  expected?: string;
  actual?: string;
  /** HTTP status, for HTTP_ERROR. */
  status?: number;
  /** Underlying error, kept for --debug output. */
  cause?: unknown;
}

export class AirgapError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'AirgapError';
    this.code = code;
    this.details = details;
  }
}

/** Several errors found in one pass (e.g. every diagnostic in a lock file). */
export class AirgapErrors extends AirgapError {
  readonly errors: AirgapError[];

  constructor(errors: AirgapError[]) {
    const first = errors[0];
    super(first?.code ?? 'USAGE', errors.map((e) => e.message).join('\n'), first?.details ?? {});
    this.name = 'AirgapErrors';
    this.errors = errors;
  }
}

export function isAirgapError(e: unknown): e is AirgapError {
  return e instanceof AirgapError;
}
