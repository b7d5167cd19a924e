// The HTTPS address tofu reads the published mirror from, for the tofurc that
// `airgap publish` writes. `--mirror-url` names it when users reach the mirror through
// something else (CloudFront, a website endpoint, a proxy in front of the store);
// otherwise it is the bucket's own address on the endpoint the upload used.
// tofu sends no S3 signature, so that address serves only a bucket its readers may
// read anonymously (a bucket policy, a VPC endpoint policy): docs/PUBLISH.md says so.

import { AirgapError } from '../errors.js';
import { PUBLISH } from '../layout/names.js';

export interface MirrorUrlInput {
  bucket: string;
  /** '' or ending in '/'. */
  prefix: string;
  /** --s3-endpoint, when given. */
  endpoint?: string;
  pathStyle: boolean;
  region: string;
}

function encodeKey(key: string): string {
  return key
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/');
}

/** The bucket's own URL of PREFIX/providers/ (ending in '/'). */
export function bucketMirrorUrl(input: MirrorUrlInput): string {
  const key = encodeKey(`${input.prefix}${PUBLISH.providersPrefix}`);
  if (input.endpoint !== undefined) {
    const base = new URL(input.endpoint);
    const basePath = base.pathname.replace(/\/+$/, '');
    if (input.pathStyle) return `${base.protocol}//${base.host}${basePath}/${input.bucket}/${key}`;
    return `${base.protocol}//${input.bucket}.${base.host}${basePath}/${key}`;
  }
  // A dotted bucket name does not match the *.s3.REGION.amazonaws.com certificate:
  // path-style is the one https address that works for it.
  if (input.pathStyle || input.bucket.includes('.')) {
    return `https://s3.${input.region}.amazonaws.com/${input.bucket}/${key}`;
  }
  return `https://${input.bucket}.s3.${input.region}.amazonaws.com/${key}`;
}

/** The URL for the tofurc: `mirrorUrl` when given, else the bucket's own; https only, as tofu requires. */
export function publishedMirrorUrl(input: MirrorUrlInput, mirrorUrl: string | undefined): string {
  const url = mirrorUrl ?? bucketMirrorUrl(input);
  if (mirrorUrl === undefined && !url.startsWith('https://')) {
    throw new AirgapError(
      'USAGE',
      `the bucket's own address of the mirror, ${url}, is not https, and tofu reads a network mirror over https only`,
      { address: url, expected: 'an https:// mirror URL', actual: url },
      'pass --mirror-url with the https address runners reach the mirror at (CloudFront, a proxy, the bucket over TLS)',
    );
  }
  return url;
}
