// The CLI's contract for exit codes and one-line remedies. Only this layer maps
// error codes to them; the core and services just throw typed errors.

import type { AirgapError, ErrorCode } from '../core/errors.js';

export const EXIT = {
  ok: 0,
  verificationFailed: 1,
  usage: 2,
  network: 3,
  filesystem: 4,
} as const;

export const EXIT_CODES_HELP = `EXIT CODES
  0  success
  1  verification failed (signature, checksum or lock-file hash)
  2  usage or input error (flags, lock files, CLI config)
  3  registry or network error (after retries)
  4  local filesystem error`;

export function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case 'SIGNATURE_INVALID':
    case 'CHECKSUM_MISSING':
    case 'CHECKSUM_MISMATCH':
    case 'LOCK_HASH_MISMATCH':
    case 'ZIP_INVALID':
    case 'CHECKSUMS_INVALID':
    case 'MANIFEST_INVALID':
      return EXIT.verificationFailed;
    case 'HTTP_ERROR':
    case 'REGISTRY_PROTOCOL':
    case 'PROVIDER_NOT_FOUND':
    case 'PLATFORM_MISSING':
    case 'RELEASE_LIST_INVALID':
    case 'RELEASE_NOT_FOUND':
      return EXIT.network;
    case 'FS_ERROR':
      return EXIT.filesystem;
    default:
      return EXIT.usage;
  }
}

export function remedyFor(err: AirgapError): string | undefined {
  switch (err.code) {
    case 'PLATFORM_MISSING':
      return 'drop that --platform, or pass --skip-missing-platforms to mirror what exists';
    case 'LOCK_HASH_MISMATCH':
      return 'the lock file and the registry disagree: check the lock file\'s origin; never "fix" this by deleting hashes';
    case 'SIGNATURE_INVALID':
      return 'the checksum list is not signed by a key the registry vouches for: do not use this package';
    case 'CHECKSUM_MISMATCH':
    case 'CHECKSUM_MISSING':
      return 'the package differs from what was signed: re-run to fetch it again; if it persists, the source is not trustworthy';
    case 'HTTP_ERROR':
      return /certificate|TLS|SSL/i.test(err.message)
        ? 'pass --ca-cert FILE or set SSL_CERT_FILE'
        : 'check the network, proxy (HTTPS_PROXY/NO_PROXY) and registry address';
    case 'HCL_SYNTAX':
    case 'LOCKFILE_INVALID':
      return 'fix the lock file at the position shown, or regenerate it with `tofu providers lock`';
    case 'USAGE':
      return 'see --help';
    default:
      return undefined;
  }
}
