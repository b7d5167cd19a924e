// The S3 access flags of every command that reads or writes s3:// (docs/S3.md).
// Credentials and region are the AWS SDK's default chain: no flag carries them.

import { Flags } from '@oclif/core';
import { LIST } from './repeatable.js';
import type { S3AccessOptions, S3Sse } from '../../adapters/s3/client.js';

/** For commands that only read from S3 (import, verify). */
export const s3ReadFlags = {
  's3-endpoint': Flags.string({
    summary:
      'S3-compatible store to use instead of AWS (MinIO, Ceph, a private region): https://HOST[:PORT].',
    helpGroup: 'S3',
  }),
  's3-path-style': Flags.boolean({
    summary:
      'Address buckets as ENDPOINT/BUCKET instead of BUCKET.ENDPOINT (most S3-compatible stores need it).',
    default: false,
    helpGroup: 'S3',
  }),
};

/** --ca-cert where S3 is the only TLS peer (export, publish). */
export const s3CaCertFlag = Flags.string({
  summary: 'Extra CA certificate (PEM) to trust for an https --s3-endpoint (repeatable, or a comma list).',
  ...LIST,
  helpGroup: 'S3',
});

/** For commands that write to S3 (export, mirror --tarball s3://...). */
export const s3WriteFlags = {
  ...s3ReadFlags,
  's3-sse': Flags.string({
    summary: 'Server-side encryption of the objects written.',
    options: ['AES256', 'aws:kms'],
    helpGroup: 'S3',
  }),
  's3-kms-key-id': Flags.string({
    summary: "KMS key for --s3-sse aws:kms (default: the bucket's AWS-managed key).",
    helpGroup: 'S3',
  }),
  's3-abort-incomplete': Flags.boolean({
    summary:
      'Abort the multipart uploads an interrupted export left for the key instead of resuming them (and this one if it fails).',
    default: false,
    helpGroup: 'S3',
  }),
};

interface S3FlagValues {
  's3-endpoint'?: string;
  's3-path-style'?: boolean;
  's3-sse'?: string;
  's3-kms-key-id'?: string;
}

/** The S3 access options of these flags; proxy and CA settings come from `env` and --ca-cert. */
export function s3Access(
  flags: S3FlagValues,
  env: Record<string, string | undefined>,
  caCertFiles: string[] = [],
): S3AccessOptions {
  return {
    ...(flags['s3-endpoint'] === undefined ? {} : { endpoint: flags['s3-endpoint'] }),
    pathStyle: flags['s3-path-style'] === true,
    ...(flags['s3-sse'] === undefined ? {} : { sse: flags['s3-sse'] as S3Sse }),
    ...(flags['s3-kms-key-id'] === undefined ? {} : { kmsKeyId: flags['s3-kms-key-id'] }),
    env,
    caCertFiles,
  };
}
