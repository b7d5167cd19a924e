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
  5  internal error (a bug in airgap: please report it)
  130/143  interrupted (Ctrl-C / SIGTERM): run the same command again`;
