// How `import --push*` reports a failed push (src/services/import/push-failure.ts): the
// resume hint only for a registry's or the network's failure, and the remedy of a 401/403
// under --registry-insecure is https, never a login sent over http.

import { describe, expect, it } from 'vitest';

import { AirgapError, BugError } from '../../../src/core/errors.js';
import type { Reporter } from '../../../src/core/ports.js';
import { isResumablePushFailure, pushFailed } from '../../../src/services/import/push-failure.js';

const RESUME =
  '/srv/dest is imported, but pushing its image to reg.test/runner:1 failed; run the same command again to resume';
const LOGIN =
  'pass --registry-username with --registry-password-stdin, or log in with `docker login` (config.json auths)';
const HTTPS_ONLY =
  'logins are sent only over https, never under --registry-insecure: push to the registry over https (without --registry-insecure; --ca-cert FILE for a private CA) with --registry-username and --registry-password-stdin, or a `docker login`';

function report(e: unknown, insecure = false): { warnings: string[]; thrown: unknown } {
  const warnings: string[] = [];
  const reporter: Reporter = { info: () => undefined, warn: (m) => warnings.push(m) };
  const context = { dest: '/srv/dest', what: 'image', target: 'reg.test/runner:1', insecure };
  return { warnings, thrown: pushFailed(e, context, reporter) };
}

const registry = (status: number): AirgapError =>
  new AirgapError('OCI_REGISTRY_ERROR', `GET https://reg.test/v2/runner/manifests/1 failed: ${status}`, {
    status,
  });

describe('pushFailed', () => {
  it('a registry or network failure: the resume hint, and a 401 gets the login remedy', () => {
    const { warnings, thrown } = report(registry(401));
    expect(warnings).toEqual([RESUME]);
    expect((thrown as AirgapError).remedy).toBe(LOGIN);
    expect(report(registry(403)).warnings).toEqual([RESUME]);
    const refused = new AirgapError('HTTP_ERROR', 'connect ECONNREFUSED 127.0.0.1:5000', {});
    expect(report(refused).warnings).toEqual([RESUME]);
    expect(report(new AirgapError('REGISTRY_PROTOCOL', 'no Location', {})).warnings).toEqual([RESUME]);
  });

  it('a 401 or 403 under --registry-insecure: logins go only over https, so the remedy says that', () => {
    for (const status of [401, 403]) {
      const { warnings, thrown } = report(registry(status), true);
      expect(warnings).toEqual([RESUME]);
      expect((thrown as AirgapError).remedy).toBe(HTTPS_ONLY);
    }
    // Other registry failures keep no remedy.
    expect((report(registry(500), true).thrown as AirgapError).remedy).toBeUndefined();
  });

  it('a failure of what DIR holds, or a bug: no resume hint, the error as raised', () => {
    const local = [
      new AirgapError('SBOM_MISMATCH', 'sbom.cdx.json of the live generation describes another image', {}),
      new AirgapError('CHECKSUM_MISMATCH', 'blob: sha256 is x, but it is named y', {}),
      new AirgapError('IMAGE_INVALID', 'index.json is not a regular file', {}),
      new AirgapError('BUNDLE_FILE_MISSING', 'blob is missing from the image layout', {}),
      new AirgapError('FS_ERROR', 'cannot read sbom.cdx.json', {}),
      new AirgapError('INPUT_NOT_FOUND', 'no image', {}),
      new AirgapError('PROVIDER_NOT_FOUND', "provider x is not in the import destination's mirror", {}),
      new BugError('TypeError: x is undefined', new TypeError('x is undefined')),
    ];
    for (const e of local) {
      const { warnings, thrown } = report(e, true);
      expect([e.code, warnings]).toEqual([e.code, []]);
      expect(thrown).toBe(e);
      expect(isResumablePushFailure(e)).toBe(false);
    }
    expect(isResumablePushFailure(new Error('not typed'))).toBe(false);
  });
});
