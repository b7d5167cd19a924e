// `s3://BUCKET/KEY` addresses, as the AWS CLI writes them. Pure: parsing and
// formatting only. A bucket name follows S3's general-purpose bucket rules (3 to 63
// characters of lower-case letters, digits, dots and hyphens, starting and ending with
// a letter or digit); the key is everything after the first slash, taken literally.

import { AirgapError } from '../errors.js';

export interface S3Location {
  bucket: string;
  /** The object key, or a prefix ('' or ending in '/') where a prefix is allowed. */
  key: string;
}

const SCHEME = 's3://';
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** True when `text` names an S3 location rather than a local path. */
export function isS3Url(text: string): boolean {
  return text.slice(0, SCHEME.length).toLowerCase() === SCHEME;
}

export function formatS3Url(location: S3Location): string {
  return `${SCHEME}${location.bucket}/${location.key}`;
}

/**
 * `what` names the flag or argument for messages ("--tarball"). With `kind` 'object'
 * the key must name an object (not empty, not ending in '/'); with 'prefix' it may be
 * empty, and a missing trailing slash is added.
 */
export function parseS3Url(text: string, what: string, kind: 'object' | 'prefix' = 'object'): S3Location {
  if (!isS3Url(text)) {
    throw invalid(text, what, 'an s3://BUCKET/KEY address', 'no s3:// scheme');
  }
  const rest = text.slice(SCHEME.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const key = slash < 0 ? '' : rest.slice(slash + 1);
  if (!BUCKET.test(bucket) || bucket.includes('..')) {
    throw invalid(
      text,
      what,
      'a bucket name of 3 to 63 lower-case letters, digits, dots and hyphens',
      `bucket "${bucket}"`,
    );
  }
  if (kind === 'prefix') return { bucket, key: key === '' || key.endsWith('/') ? key : `${key}/` };
  if (key === '' || key.endsWith('/')) {
    throw invalid(
      text,
      what,
      's3://BUCKET/KEY naming an object',
      key === '' ? 'no key' : `the prefix "${key}"`,
    );
  }
  return { bucket, key };
}

function invalid(text: string, what: string, expected: string, actual: string): AirgapError {
  return new AirgapError(
    'USAGE',
    `${what} ${text} is not a valid S3 address: expected ${expected}, found ${actual}`,
    { address: text, expected, actual },
    'write the address as s3://BUCKET/KEY, as the AWS CLI does',
  );
}
