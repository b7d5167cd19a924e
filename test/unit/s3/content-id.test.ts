import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checksumListing,
  parseChecksumListing,
  tarballContentId,
  type ContentEntry,
} from '../../../src/core/s3/content-id.js';

const MTIME = new Date('2024-01-02T03:04:05Z');
const ENTRIES: ContentEntry[] = [
  { type: 'file', name: 'SHA256SUMS', mode: 0o644, size: 3, mtime: MTIME, sha256: 'a'.repeat(64) },
  { type: 'directory', name: 'providers/', mode: 0o755, size: 0, mtime: MTIME },
];

describe('the content id of an exported tarball', () => {
  it('is the sha256 of a versioned listing of the entries, compression and split size', () => {
    const listing =
      'airgap-content-id/1\ncompress none\nsplit none\n' +
      `file 644 3 1704164645 ${'a'.repeat(64)} "SHA256SUMS"\n` +
      'directory 755 0 1704164645 - "providers/"\n';
    expect(tarballContentId({ entries: ENTRIES, compress: 'none' })).toBe(
      createHash('sha256').update(listing).digest('hex'),
    );
  });

  it('changes with any file digest, mode, mtime, name, the compression or the split size', () => {
    const base = tarballContentId({ entries: ENTRIES, compress: 'none' });
    const variants = [
      tarballContentId({
        entries: [{ ...ENTRIES[0]!, sha256: 'b'.repeat(64) }, ENTRIES[1]!],
        compress: 'none',
      }),
      tarballContentId({ entries: [{ ...ENTRIES[0]!, mode: 0o600 }, ENTRIES[1]!], compress: 'none' }),
      tarballContentId({ entries: [{ ...ENTRIES[0]!, mtime: new Date(0) }, ENTRIES[1]!], compress: 'none' }),
      tarballContentId({ entries: [{ ...ENTRIES[0]!, name: 'SHA256SUMS ' }, ENTRIES[1]!], compress: 'none' }),
      tarballContentId({ entries: ENTRIES, compress: 'gzip' }),
      tarballContentId({ entries: ENTRIES, compress: 'none', splitSize: 1024 }),
    ];
    expect(new Set([base, ...variants]).size).toBe(7);
  });

  it('writes and reads sha256sum lines; anything else is not a checksum list', () => {
    const text = checksumListing([
      { name: 'b.tar.000', sha256: '0'.repeat(64) },
      { name: 'b.tar.001', sha256: 'f'.repeat(64) },
    ]);
    expect(text).toBe(`${'0'.repeat(64)}  b.tar.000\n${'f'.repeat(64)}  b.tar.001\n`);
    expect(parseChecksumListing(text)).toEqual([
      { name: 'b.tar.000', sha256: '0'.repeat(64) },
      { name: 'b.tar.001', sha256: 'f'.repeat(64) },
    ]);
    expect(parseChecksumListing(`${'0'.repeat(64)} b.tar\n`)).toBeUndefined();
    expect(parseChecksumListing(`${'0'.repeat(64)}  ../b.tar\n`)).toBeUndefined();
  });
});
