import { describe, expect, it } from 'vitest';
import { isAirgapError } from '../../../src/core/errors.js';
import { checkAgainstManifest, checkArchives } from '../../../src/core/publish/source-check.js';

const D = 'example.com/acme/widget';
const ZIP = 'terraform-provider-widget_1.0.0_linux_amd64.zip';
const a = 'a'.repeat(64);
const b = 'b'.repeat(64);

function thrown(f: () => void): { code: string; message: string; actual: string | undefined } {
  try {
    f();
  } catch (e) {
    if (!isAirgapError(e)) throw e;
    return { code: e.code, message: e.message, actual: e.details.actual };
  }
  throw new Error('did not throw');
}

describe('checkAgainstManifest', () => {
  const files = [{ path: `${D}/${ZIP}`, size: 10, sha256: a }];
  const listed = [
    { path: `providers/${D}/${ZIP}`, size: 10, sha256: a },
    { path: 'lockfiles/x.hcl', size: 1, sha256: b },
  ];

  it('accepts files equal to what airgap.json lists', () => {
    expect(() => checkAgainstManifest(files, listed, 'providers', 'B/airgap.json')).not.toThrow();
  });

  it('refuses a changed, an unlisted and a missing file', () => {
    expect(
      thrown(() => checkAgainstManifest([{ ...files[0]!, sha256: b }], listed, 'providers', 'B/airgap.json')),
    ).toEqual({
      code: 'BUNDLE_MISMATCH',
      message: `providers/${D}/${ZIP} changed since B/airgap.json was written: sha256 ${b} (10 bytes), expected ${a} (10 bytes)`,
      actual: b,
    });
    expect(
      thrown(() =>
        checkAgainstManifest(
          [...files, { path: `${D}/x.zip`, size: 1, sha256: a }],
          listed,
          'providers',
          'm',
        ),
      ).code,
    ).toBe('BUNDLE_MISMATCH');
    expect(thrown(() => checkAgainstManifest([], listed, 'providers', 'B/airgap.json'))).toEqual({
      code: 'BUNDLE_FILE_MISSING',
      message: `providers/${D}/${ZIP} is listed in B/airgap.json but missing from the bundle directory`,
      actual: 'missing',
    });
  });
});

describe('checkArchives', () => {
  const files = [{ path: `${D}/${ZIP}`, size: 10, sha256: a }];
  const doc = (hashes: string[], url = ZIP) => ({
    path: `${D}/1.0.0.json`,
    archives: { linux_amd64: { url, hashes } },
  });

  it('accepts a zip whose sha256 is among its zh: hashes', () => {
    expect(() => checkArchives(files, [doc(['h1:x', `zh:${a}`])], 'providers')).not.toThrow();
  });

  it('refuses a zip with another sha256, and an archive that is not there', () => {
    expect(thrown(() => checkArchives(files, [doc([`zh:${b}`])], 'providers'))).toEqual({
      code: 'CHECKSUM_MISMATCH',
      message: `providers/${D}/${ZIP} has sha256 ${a}, which providers/${D}/1.0.0.json does not list for linux_amd64 (zh:${b})`,
      actual: `zh:${a}`,
    });
    expect(thrown(() => checkArchives(files, [doc(['h1:x'])], 'providers')).code).toBe('CHECKSUM_MISMATCH');
    expect(thrown(() => checkArchives([], [doc([`zh:${a}`])], 'providers')).code).toBe('BUNDLE_FILE_MISSING');
    expect(thrown(() => checkArchives(files, [doc([`zh:${a}`], `../${ZIP}`)], 'providers')).code).toBe(
      'BUNDLE_FILE_MISSING',
    );
  });
});
