// The one code -> category -> exit code table, the severity order, and how caught
// exceptions become typed errors.
import { describe, expect, it } from 'vitest';
import {
  AirgapError,
  AirgapErrors,
  BugError,
  CATEGORY_SEVERITY,
  ERROR_CATEGORY,
  EXIT_CODE,
  exitCodeOf,
  fromUnknown,
} from '../../src/core/errors.js';

describe('error categories and exit codes', () => {
  it('maps each category to its documented exit code', () => {
    expect(EXIT_CODE).toEqual({ ok: 0, verification: 1, usage: 2, network: 3, filesystem: 4, internal: 5 });
    expect(CATEGORY_SEVERITY).toEqual(['verification', 'internal', 'network', 'filesystem', 'usage']);
  });

  it('puts every verification code in the verification category', () => {
    const verification = Object.entries(ERROR_CATEGORY)
      .filter(([, c]) => c === 'verification')
      .map(([code]) => code)
      .sort();
    expect(verification).toEqual([
      'ARCHIVE_ENTRY_UNSAFE',
      'ARCHIVE_INVALID',
      'BUNDLE_FILE_MISSING',
      'BUNDLE_MISMATCH',
      'CHECKSUMS_INVALID',
      'CHECKSUM_MISMATCH',
      'CHECKSUM_MISSING',
      'DELTA_BASE_MISSING',
      'DOWNGRADE_REFUSED',
      'LOCK_HASH_MISMATCH',
      'MANIFEST_INVALID',
      'MANIFEST_MISMATCH',
      'MODULE_CHANGED',
      'SBOM_MISMATCH',
      'SIGNATURE_INVALID',
      'SIGNATURE_MISSING',
      'ZIP_INVALID',
    ]);
  });

  it('exits with the worst category: verification beats network, internal beats filesystem', () => {
    const net = new AirgapError('HTTP_ERROR', 'x');
    const lock = new AirgapError('LOCK_HASH_MISMATCH', 'y');
    const fsErr = new AirgapError('FS_ERROR', 'z');
    expect(exitCodeOf([net, lock])).toBe(1);
    expect(exitCodeOf([fsErr, new BugError('w')])).toBe(5);
    expect(exitCodeOf([new AirgapError('USAGE', 'u'), net])).toBe(3);
    expect(exitCodeOf([])).toBe(0);
    const all = new AirgapErrors([net, new AirgapError('CHECKSUM_MISMATCH', 'c', {}, 'fetch again')]);
    expect(all.code).toBe('CHECKSUM_MISMATCH');
    expect(all.remedy).toBe('fetch again');
    expect(all.message).toBe('x\nc');
  });
});

describe('fromUnknown', () => {
  it('keeps an AirgapError as it is', () => {
    const e = new AirgapError('USAGE', 'bad');
    expect(fromUnknown(e, 'x')).toBe(e);
  });

  it('turns a failed file-system call into FS_ERROR naming the path', () => {
    const errno = Object.assign(new Error("EACCES: permission denied, open '/out/a'"), {
      code: 'EACCES',
      syscall: 'open',
      path: '/out/a',
    });
    const e = fromUnknown(errno, 'acme/widget 1.0.0 (linux_amd64)');
    expect(e.code).toBe('FS_ERROR');
    expect(e.message).toBe('acme/widget 1.0.0 (linux_amd64): cannot open /out/a: EACCES');
    expect(e.details.path).toBe('/out/a');
  });

  it('turns anything else into a bug, not a filesystem error', () => {
    const e = fromUnknown(new TypeError("Cannot read properties of undefined (reading 'x')"), 'tofu 1.8.5');
    expect(e).toBeInstanceOf(BugError);
    expect(e.code).toBe('INTERNAL');
    expect(e.category).toBe('internal');
    expect(e.message).toBe("tofu 1.8.5: TypeError: Cannot read properties of undefined (reading 'x')");
  });
});

describe('withRemedy', () => {
  it('returns a copy with the remedy, same code, message and details', () => {
    const e = new AirgapError('SIGNATURE_INVALID', 'bad sig', { path: '/p' });
    const r = e.withRemedy('do not use it');
    expect([r.code, r.message, r.details, r.remedy]).toEqual([
      'SIGNATURE_INVALID',
      'bad sig',
      { path: '/p' },
      'do not use it',
    ]);
    expect(e.remedy).toBeUndefined();
  });
});
