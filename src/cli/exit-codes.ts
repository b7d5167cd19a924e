// The CLI's contract for exit codes. The code -> category -> exit code tables live in
// the core (src/core/errors.ts); this module only names them for commands and help.

import { EXIT_CODE } from '../core/errors.js';

export const EXIT = {
  ok: EXIT_CODE.ok,
  verificationFailed: EXIT_CODE.verification,
  usage: EXIT_CODE.usage,
  network: EXIT_CODE.network,
  filesystem: EXIT_CODE.filesystem,
  internal: EXIT_CODE.internal,
} as const;

export const EXIT_CODES_HELP = `EXIT CODES
  0  success
  1  verification failed (signature, checksum or lock-file hash); wins over the others
  2  usage or input error (flags, lock files, CLI config)
  3  registry or network error (after retries)
  4  local filesystem error
  5  internal error (a bug in airgap: please report it)`;

import type { AirgapError } from '../core/errors.js';

// TRANSITIONAL: remedies keyed by code alone, used only where the thrower gave none.
// Being moved to the throw sites (issue 9 §4); delete when empty.
export function legacyRemedy(err: AirgapError): string | undefined {
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
    case 'DOWNGRADE_REFUSED':
      return 'this bundle is older than one already imported; import a newer bundle, or pass --allow-downgrade if the rollback is deliberate';
    case 'IMPORT_DEST_INVALID':
      return 'import into an empty directory or one only airgap import has written to';
    case 'BUNDLE_MISMATCH':
      return 'the bundle directory changed since airgap.json was written: re-run `airgap mirror --out DIR` to repair it, then export again';
    case 'SIGN_KEY_INVALID':
      return 'pass an armored OpenPGP private key (gpg --export-secret-keys --armor KEYID); set AIRGAP_SIGN_PASSPHRASE when it is encrypted';
    case 'TOOL_PACKAGE_INVALID':
      return 'run `npm ci && npm run build` in the airgap checkout, or pass --tool-package FILE made by `npm pack` there';
    case 'SIGNATURE_MISSING':
      return 'sign the bundle (airgap export --sign-key), or pass --insecure-skip-signature to accept it unsigned';
    case 'ARCHIVE_ENTRY_UNSAFE':
    case 'ARCHIVE_INVALID':
    case 'BUNDLE_FILE_MISSING':
    case 'MANIFEST_MISMATCH':
      return 'the transfer is damaged or was altered: do not use it; copy it again (every FILE.NNN part) from the export side';
    case 'OCI_REGISTRY_ERROR':
      if (err.details.status === 401 || err.details.status === 403) {
        return 'pass --registry-username with --registry-password-stdin, or log in with `docker login` (config.json auths)';
      }
      return /certificate|TLS|SSL/i.test(err.message)
        ? 'pass --ca-cert FILE for a private CA, or --registry-insecure for a plain-http registry'
        : undefined;
    case 'IMAGE_INVALID':
      return 'check --base-image: it must name a Linux image (OCI or Docker schema 2) for every --platform';
    case 'USAGE':
      return 'see --help';
    default:
      return undefined;
  }
}
