// S3 failures as AirgapErrors naming the operation, bucket and key. The AWS SDK has
// already retried throttling (503 SlowDown), 5xx answers and dropped connections by
// the time an error reaches this mapping; what is left is the user's to fix (no
// credentials, access denied, a missing bucket or key) or the network's.

import { AirgapError, isAirgapError, type ErrorCode } from '../../core/errors.js';
import { redactText } from '../../core/redact.js';
import { formatS3Url } from '../../core/s3/url.js';

export interface S3Target {
  /** The SDK command's name without "Command": GetObject, UploadPart, ... */
  operation: string;
  bucket: string;
  /** Absent for a bucket-level operation (ListObjectsV2, ListMultipartUploads). */
  key?: string;
}

interface SdkErrorShape {
  name?: unknown;
  Code?: unknown;
  message?: unknown;
  code?: unknown;
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

const DENIED = new Set([
  'AccessDenied',
  'Forbidden',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  'AllAccessDisabled',
]);
const NO_OBJECT = new Set(['NoSuchKey', 'NotFound', 'NoSuchUpload']);

const CREDENTIALS_REMEDY =
  'give the AWS SDK credentials as for the AWS CLI: AWS_PROFILE (with `aws sso login` for SSO), AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or an instance, ECS or web-identity role';

function where(target: S3Target): string {
  return target.key === undefined
    ? `s3://${target.bucket}`
    : formatS3Url({ bucket: target.bucket, key: target.key });
}

/** `e` (anything the SDK threw) as an AirgapError about `target`. */
export function s3Error(e: unknown, target: S3Target): AirgapError {
  if (isAirgapError(e)) return e;
  const err = (e ?? {}) as SdkErrorShape;
  const name = typeof err.name === 'string' ? err.name : typeof err.Code === 'string' ? err.Code : 'Error';
  const raw = typeof err.message === 'string' ? err.message : String(e);
  const reason = redactText(raw);
  const status = err.$metadata?.httpStatusCode;
  const attempts = err.$metadata?.attempts;
  const address = where(target);
  const details = {
    address,
    operation: target.operation,
    ...(status === undefined ? {} : { status }),
    cause: e,
  };
  const make = (code: ErrorCode, message: string, remedy?: string): AirgapError =>
    new AirgapError(code, `S3 ${target.operation} ${address}: ${message}`, details, remedy);

  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(raw)) {
    return make('S3_NO_CREDENTIALS', `no AWS credentials found (${reason})`, CREDENTIALS_REMEDY);
  }
  if (/region is missing/i.test(raw)) {
    return make(
      'USAGE',
      'no AWS region is set',
      'set AWS_REGION (or a region in the AWS_PROFILE profile); S3-compatible stores usually take us-east-1',
    );
  }
  if (DENIED.has(name) || status === 403) {
    return make(
      'S3_ACCESS_DENIED',
      `access denied (${name}: ${reason})`,
      `check that the credentials in use may ${target.operation} on ${address} (aws sts get-caller-identity shows whose they are), and the bucket policy`,
    );
  }
  if (name === 'NoSuchBucket') {
    return make(
      'S3_NOT_FOUND',
      `bucket ${target.bucket} does not exist`,
      'check the bucket name, and --s3-endpoint for an S3-compatible store',
    );
  }
  if (NO_OBJECT.has(name) || status === 404) {
    return make(
      'S3_NOT_FOUND',
      name === 'NoSuchUpload' ? 'the multipart upload no longer exists' : 'no such object',
      name === 'NoSuchUpload'
        ? 'run the export again: it starts a new upload'
        : 'check the key: aws s3 ls shows what the bucket holds',
    );
  }
  const after = attempts !== undefined && attempts > 1 ? ` after ${attempts} attempts` : '';
  const answered = status === undefined ? '' : `HTTP ${status} `;
  const code = typeof err.code === 'string' && name === 'Error' ? err.code : name;
  return make('S3_ERROR', `failed${after}: ${answered}${code}: ${reason}`);
}
