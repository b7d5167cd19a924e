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
  /** `airgap plan` only: the plan is made, and mirror would change the bundle (terraform plan -detailed-exitcode's 2). */
  planChanges: 10,
} as const;

export const EXIT_CODES_HELP = `EXIT CODES
  0  success
  1  verification failed (signature, checksum or lock-file hash); wins over the others
  2  usage or input error (flags, lock files, CLI config)
  3  registry or network error (after retries)
  4  local filesystem error
  5  internal error (a bug in airgap: please report it)
  130/143  interrupted (Ctrl-C / SIGTERM): run the same command again`;

/** `airgap plan`: 0 and 10 are both a plan made; 10 says mirror would change the bundle, for CI to gate on. */
export const PLAN_EXIT_CODES_HELP = `EXIT CODES
  0   nothing would change: the bundle holds what the request asks for
  10  mirror would change the bundle (download, build or remove something)
  1   verification failed (a SHA256SUMS signature, a checksum the registry contradicts)
  2   usage or input error (flags, spec, lock files, CLI config)
  3   registry or network error (after retries)
  4   local filesystem error
  5   internal error (a bug in airgap: please report it)
  130/143  interrupted (Ctrl-C / SIGTERM): run the same command again`;
