import { describe, expect, it } from 'vitest';
import { AirgapError } from '../../../src/core/errors.js';
import { formatS3Url, isS3Url, parseS3Url } from '../../../src/core/s3/url.js';

describe('s3:// addresses', () => {
  it('splits bucket and key at the first slash, keeping the key literally', () => {
    expect(parseS3Url('s3://my-bucket/a/b/bundle.tar.000', '--tarball')).toEqual({
      bucket: 'my-bucket',
      key: 'a/b/bundle.tar.000',
    });
    expect(isS3Url('S3://x')).toBe(true);
    expect(isS3Url('./s3:/x')).toBe(false);
    expect(formatS3Url({ bucket: 'b12', key: 'k' })).toBe('s3://b12/k');
  });

  it('takes a prefix where one is allowed, adding the trailing slash', () => {
    expect(parseS3Url('s3://bucket', 'DEST', 'prefix')).toEqual({ bucket: 'bucket', key: '' });
    expect(parseS3Url('s3://bucket/mirror', 'DEST', 'prefix')).toEqual({ bucket: 'bucket', key: 'mirror/' });
  });

  it('refuses a missing key, a prefix for an object and a bad bucket name, saying which', () => {
    const cases: [string, string][] = [
      ['s3://bucket', 'no key'],
      ['s3://bucket/dir/', 'the prefix "dir/"'],
      ['s3://Bad_Bucket/k', 'bucket "Bad_Bucket"'],
      ['s3://ab/k', 'bucket "ab"'],
      ['/tmp/x', 'no s3:// scheme'],
    ];
    for (const [text, actual] of cases) {
      let caught: unknown;
      try {
        parseS3Url(text, '--tarball');
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(AirgapError);
      expect((caught as AirgapError).code).toBe('USAGE');
      expect((caught as AirgapError).details.actual).toBe(actual);
      expect((caught as AirgapError).message).toContain(`--tarball ${text}`);
    }
  });
});
