// Typed errors. Every failure that reaches a user is an AirgapError with a stable
// `code`. Each code belongs to one category, and each category has one exit code:
// both tables are here, complete (the compiler checks every code has a row). The
// remedy travels with the error from the place that throws it, because only that
// place knows which command failed and what the user can do about it.

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
  | 'DELTA_BASE_MISSING' // a delta bundle's destination lacks files (by sha256) the delta expects from its base
  | 'IMPORT_DEST_INVALID' // an import destination holding entries or state airgap import did not make
  | 'IMPORT_IN_PROGRESS' // another airgap import holds the destination's lock (a transient state of DIR, not a usage error)
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
  | 'IMAGE_INVALID' // a base image (index, manifest, config or layer) not in the shape the OCI image-spec defines, or lacking a needed platform
  | 'SPEC_INVALID' // an airgap.yaml that is not valid YAML or breaks docs/SPEC-FORMAT.md
  | 'MODULE_NOT_FOUND' // a module registry does not know a module or version, or no listed version meets a constraint
  | 'MODULE_SOURCE_UNSUPPORTED' // a module's location uses a scheme or form airgap does not fetch (only git::https and https archives)
  | 'MODULE_FETCH_FAILED' // git could not clone a module's repository at its ref
  | 'SBOM_MISMATCH' // a bundle's sbom.cdx.json is malformed, or a component and a bundle file disagree (docs/SBOM-FORMAT.md)
  | 'MODULE_CHANGED' // a module version fetched again gives other bytes (or another commit) than the bundle pinned
  | 'SERVE_DIR_INVALID' // `airgap serve DIR`: DIR is neither a bundle directory nor an import destination with a live generation
  | 'SERVE_LISTEN_FAILED' // `airgap serve` could not listen on --listen (address in use, not permitted) or its TLS material was unusable
  | 'S3_NO_CREDENTIALS' // the AWS SDK's default chain found no credentials for an s3:// address
  | 'S3_ACCESS_DENIED' // S3 refused the credentials or the operation (AccessDenied, InvalidAccessKeyId, SignatureDoesNotMatch)
  | 'S3_NOT_FOUND' // the bucket or object an s3:// address names does not exist
  | 'S3_ERROR' // S3 throttled, failed (5xx) or could not be reached after retries, or answered off-protocol
  | 'INTERNAL'; // a bug in airgap: an exception nobody expected (see BugError)

/**
 * What kind of failure a code is. The exit code follows the category, and when one
 * run fails in several ways the worst category decides (CATEGORY_SEVERITY).
 */
export type ErrorCategory = 'verification' | 'internal' | 'network' | 'filesystem' | 'usage';

export const ERROR_CATEGORY: Readonly<Record<ErrorCode, ErrorCategory>> = {
  USAGE: 'usage',
  INPUT_NOT_FOUND: 'usage',
  HCL_SYNTAX: 'usage',
  LOCKFILE_INVALID: 'usage',
  CLICONFIG_INVALID: 'usage',
  PROVIDER_ADDRESS_INVALID: 'usage',
  HTTP_ERROR: 'network',
  REGISTRY_PROTOCOL: 'network',
  PROVIDER_NOT_FOUND: 'network',
  PLATFORM_MISSING: 'network',
  SIGNATURE_INVALID: 'verification',
  CHECKSUM_MISSING: 'verification',
  CHECKSUM_MISMATCH: 'verification',
  LOCK_HASH_MISMATCH: 'verification',
  ZIP_INVALID: 'verification',
  HASH_INPUT_INVALID: 'usage',
  LOCAL_PROVIDER_INVALID: 'usage',
  MANIFEST_INVALID: 'verification',
  FS_ERROR: 'filesystem',
  KEY_INVALID: 'usage',
  CHECKSUMS_INVALID: 'verification',
  RELEASE_LIST_INVALID: 'network',
  RELEASE_NOT_FOUND: 'network',
  DOWNGRADE_REFUSED: 'verification',
  DELTA_BASE_MISSING: 'verification',
  IMPORT_DEST_INVALID: 'usage',
  IMPORT_IN_PROGRESS: 'filesystem',
  BUNDLE_MISMATCH: 'verification',
  SIGN_KEY_INVALID: 'usage',
  TOOL_PACKAGE_INVALID: 'usage',
  ARCHIVE_INVALID: 'verification',
  ARCHIVE_ENTRY_UNSAFE: 'verification',
  BUNDLE_FILE_MISSING: 'verification',
  MANIFEST_MISMATCH: 'verification',
  SIGNATURE_MISSING: 'verification',
  OCI_REGISTRY_ERROR: 'network',
  OCI_REFERENCE_INVALID: 'usage',
  DOCKER_CONFIG_INVALID: 'usage',
  IMAGE_INVALID: 'usage',
  SPEC_INVALID: 'usage',
  MODULE_NOT_FOUND: 'network',
  MODULE_SOURCE_UNSUPPORTED: 'usage',
  MODULE_FETCH_FAILED: 'network',
  MODULE_CHANGED: 'verification',
  SBOM_MISMATCH: 'verification',
  SERVE_DIR_INVALID: 'usage',
  SERVE_LISTEN_FAILED: 'usage',
  S3_NO_CREDENTIALS: 'usage',
  S3_ACCESS_DENIED: 'usage',
  S3_NOT_FOUND: 'usage',
  S3_ERROR: 'network',
  INTERNAL: 'internal',
};

/** The process exit code of each category (the README and every command's help list them). */
export const EXIT_CODE: Readonly<Record<ErrorCategory | 'ok', number>> = {
  ok: 0,
  verification: 1,
  usage: 2,
  network: 3,
  filesystem: 4,
  internal: 5,
};

/**
 * Worst first. A failed verification outranks everything: a run that found a tampered
 * package and also lost the network must not exit as if only the network failed. A bug
 * comes next (its other errors may be its consequences), then the environment's faults.
 */
export const CATEGORY_SEVERITY: readonly ErrorCategory[] = [
  'verification',
  'internal',
  'network',
  'filesystem',
  'usage',
];

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
  /** The S3 operation that failed (GetObject, UploadPart, ...), for S3_* codes. */
  operation?: string;
  /** HTTP status, for HTTP_ERROR and S3_* codes. */
  status?: number;
  /** Underlying error, kept for AIRGAP_DEBUG output. */
  cause?: unknown;
}

export class AirgapError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;
  /** One line saying what the user can do, written where the error is thrown. */
  readonly remedy: string | undefined;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}, remedy?: string) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'AirgapError';
    this.code = code;
    this.details = details;
    this.remedy = remedy;
  }

  get category(): ErrorCategory {
    return ERROR_CATEGORY[this.code];
  }

  /** The same error with a remedy, for a caller that knows better advice than the thrower. */
  withRemedy(remedy: string): AirgapError {
    const copy = new AirgapError(this.code, this.message, this.details, remedy);
    copy.stack = this.stack;
    return copy;
  }
}

/** Several errors found in one pass (e.g. every diagnostic in a lock file). */
export class AirgapErrors extends AirgapError {
  readonly errors: AirgapError[];

  constructor(errors: AirgapError[]) {
    const worst = worstError(errors);
    super(
      worst?.code ?? 'USAGE',
      errors.map((e) => e.message).join('\n'),
      worst?.details ?? {},
      worst?.remedy,
    );
    this.name = 'AirgapErrors';
    this.errors = errors;
  }
}

/**
 * An exception nobody expected: a bug in airgap, not something the user did. The CLI
 * shows it as an internal error with its own exit code and asks for a report.
 */
export class BugError extends AirgapError {
  constructor(message: string, cause?: unknown) {
    super('INTERNAL', message, cause === undefined ? {} : { cause });
    this.name = 'BugError';
  }
}

export function isAirgapError(e: unknown): e is AirgapError {
  return e instanceof AirgapError;
}

/** The category that decides the exit code of a run that failed in all these ways. */
export function worstCategory(categories: Iterable<ErrorCategory>): ErrorCategory | undefined {
  const seen = new Set(categories);
  return CATEGORY_SEVERITY.find((c) => seen.has(c));
}

function worstError(errors: readonly AirgapError[]): AirgapError | undefined {
  const worst = worstCategory(errors.map((e) => e.category));
  return errors.find((e) => e.category === worst);
}

/** The exit code for a set of errors: the worst category's. */
export function exitCodeOf(errors: readonly AirgapError[]): number {
  const worst = worstCategory(errors.map((e) => e.category));
  return worst === undefined ? EXIT_CODE.ok : EXIT_CODE[worst];
}

/**
 * Any caught exception as an AirgapError: itself when it is one; a failed file-system
 * call (an errno error with a syscall) as FS_ERROR naming the path; anything else as a
 * BugError, never dressed up as a user's or the environment's fault. `what` says what
 * was being done ("hashicorp/null 3.2.1 (linux_amd64)").
 */
export function fromUnknown(e: unknown, what: string): AirgapError {
  if (isAirgapError(e)) return e;
  const errno = e as { code?: unknown; syscall?: unknown; path?: unknown; message?: unknown } | undefined;
  if (typeof errno?.code === 'string' && typeof errno.syscall === 'string') {
    const where = typeof errno.path === 'string' ? ` ${errno.path}` : '';
    return new AirgapError('FS_ERROR', `${what}: cannot ${errno.syscall}${where}: ${errno.code}`, {
      ...(typeof errno.path === 'string' ? { path: errno.path } : {}),
      cause: e,
    });
  }
  const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return new BugError(`${what}: ${message}`, e);
}
