// One S3 connection: the AWS SDK client with credentials and region from the SDK's
// default chain (environment, AWS_PROFILE shared config and credentials files, SSO,
// web identity, ECS and EC2 roles; airgap stores nothing), on this tool's connection
// pools (trust store and proxy, see http-handler.ts), with an optional endpoint for
// S3-compatible stores.

import { S3Client } from './sdk.js';
import { AirgapError } from '../../core/errors.js';
import { createDispatchers } from '../http/dispatchers.js';
import { createSdkHttpHandler } from './http-handler.js';

export type S3Sse = 'AES256' | 'aws:kms';

export interface S3AccessOptions {
  /** --s3-endpoint: an S3-compatible store (MinIO, Ceph, a private region). */
  endpoint?: string;
  /** --s3-path-style: address buckets as ENDPOINT/BUCKET rather than BUCKET.ENDPOINT. */
  pathStyle?: boolean;
  /** Server-side encryption of objects written (--s3-sse, --s3-kms-key-id). */
  sse?: S3Sse;
  kmsKeyId?: string;
  /** HTTPS_PROXY, NO_PROXY, SSL_CERT_FILE, NODE_EXTRA_CA_CERTS are read from here. */
  env: Record<string, string | undefined>;
  /** --ca-cert files. */
  caCertFiles: string[];
  /** Attempts per request, the first included (the SDK's retry of throttling, 5xx and resets). */
  maxAttempts?: number;
  /** Parallel connections per host. */
  connections?: number;
}

export interface S3Connection {
  client: S3Client;
  /** The encryption settings every write carries. */
  sse?: S3Sse;
  kmsKeyId?: string;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * Requests are signed with the user's credentials, and a session token travels in a
 * header: like every credential here, only over https. A plain-http endpoint on the
 * loopback interface (a local MinIO or test server) is the one exception.
 */
function checkEndpoint(endpoint: string): void {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch (cause) {
    throw new AirgapError('USAGE', `--s3-endpoint ${endpoint} is not a URL`, {
      address: endpoint,
      expected: 'https://HOST[:PORT]',
      cause,
    });
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname))) return;
  throw new AirgapError(
    'USAGE',
    `--s3-endpoint ${url.origin} is not https: AWS credentials are only sent over https (plain http only to this machine's loopback address)`,
    { address: url.origin, expected: 'https://HOST[:PORT]', actual: url.protocol },
    'use the https:// address of the store',
  );
}

export function connectS3(options: S3AccessOptions): S3Connection {
  if (options.endpoint !== undefined) checkEndpoint(options.endpoint);
  if (options.kmsKeyId !== undefined && options.sse !== 'aws:kms') {
    throw new AirgapError(
      'USAGE',
      '--s3-kms-key-id needs --s3-sse aws:kms',
      {
        expected: '--s3-sse aws:kms',
        actual: options.sse === undefined ? 'no --s3-sse' : `--s3-sse ${options.sse}`,
      },
      'add --s3-sse aws:kms',
    );
  }
  const dispatchers = createDispatchers({
    env: options.env,
    caCertFiles: options.caCertFiles,
    connectTimeoutMs: 30_000,
    bodyTimeoutMs: 120_000,
    connections: options.connections ?? 16,
  });
  const client = new S3Client({
    requestHandler: createSdkHttpHandler(dispatchers),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    forcePathStyle: options.pathStyle === true,
    followRegionRedirects: true,
    maxAttempts: options.maxAttempts ?? 5,
    // Checksums only where an operation requires them: the default aws-chunked
    // trailers are stored as data by some S3-compatible stores. Uploads send their
    // per-part SHA-256 themselves (ChecksumSHA256), which real S3 checks.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    client,
    ...(options.sse === undefined ? {} : { sse: options.sse }),
    ...(options.kmsKeyId === undefined ? {} : { kmsKeyId: options.kmsKeyId }),
    async close() {
      client.destroy();
      await dispatchers.close();
    },
  };
}
