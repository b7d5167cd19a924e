// How `airgap import --push*` reports a push that failed after the import itself
// succeeded, in one place so the three pushes (providers, modules, image) agree: only a
// failure of the network or the registry is one that running the same command again
// resumes (pushing is idempotent: only what is missing is uploaded); a failure of what DIR
// holds (a damaged blob, an SBOM that does not match the image, a missing file) is not,
// and gets no such hint. And the remedy a registry's refusal carries: a login is sent
// only over https, so under --registry-insecure a 401 is answered by https, not by a login.

import { isAirgapError, type ErrorCode } from '../../core/errors.js';
import type { Reporter } from '../../core/ports.js';

/** The codes of a registry's or the network's failure: the same command again may get past it. */
const REGISTRY_FAILURES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'OCI_REGISTRY_ERROR',
  'HTTP_ERROR',
  'REGISTRY_PROTOCOL',
]);

/** Whether running the same push again can succeed: a registry or network failure, not a local one. */
export function isResumablePushFailure(e: unknown): boolean {
  return isAirgapError(e) && REGISTRY_FAILURES.has(e.code);
}

export interface PushFailureContext {
  /** DIR, imported. */
  dest: string;
  /** "providers", "modules" or "image". */
  what: string;
  /** The push target as given. */
  target: string;
  /** --registry-insecure: plain http, where no login is ever sent. */
  insecure: boolean;
}

/**
 * Reports a failed push (the resume hint only when running again can help) and returns the
 * error to throw, with the remedy fitting import's registry flags.
 */
export function pushFailed(e: unknown, context: PushFailureContext, reporter: Reporter): unknown {
  if (isResumablePushFailure(e)) {
    reporter.warn(
      `${context.dest} is imported, but pushing its ${context.what} to ${context.target} failed; run the same command again to resume`,
    );
  }
  return withPushRemedy(e, context.insecure);
}

// The OCI client serves mirror's base-image pulls too; the advice that names import's
// registry flags belongs here.
function withPushRemedy(e: unknown, insecure: boolean): unknown {
  if (!isAirgapError(e) || e.remedy !== undefined || e.code !== 'OCI_REGISTRY_ERROR') return e;
  if (e.details.status === 401 || e.details.status === 403) {
    if (insecure) {
      return e.withRemedy(
        'logins are sent only over https, never under --registry-insecure: push to the registry over https (without --registry-insecure; --ca-cert FILE for a private CA) with --registry-username and --registry-password-stdin, or a `docker login`',
      );
    }
    return e.withRemedy(
      'pass --registry-username with --registry-password-stdin, or log in with `docker login` (config.json auths)',
    );
  }
  if (/certificate|TLS|SSL/i.test(e.message)) {
    return e.withRemedy(
      'pass --ca-cert FILE for a private CA, or --registry-insecure for a plain-http registry',
    );
  }
  return e;
}
