// A real S3 server for tests: s3rver (npm) on 127.0.0.1, behind a small front on a
// random port (plain HTTP or HTTPS with a throwaway certificate) that
//   - counts requests per S3 operation (UploadPart, GetObject, ...);
//   - answers chosen requests with an injected error (503 SlowDown, 500), or holds them
//     unanswered (to kill a client half way through an upload);
//   - fills in what s3rver 3.7 lacks: ListMultipartUploads, ListParts and
//     AbortMultipartUpload from the multipart uploads it has seen go by, and S3's
//     per-part SHA-256 checksums (x-amz-checksum-sha256 checked on UploadPart, refused
//     with 400 BadDigest on a mismatch, and reported by ListParts), and the same check
//     of a PutObject's claimed checksum.
// Also runs the Debian AWS CLI v2 (/usr/bin/aws, not the pyenv shim first on PATH)
// against the server with dummy credentials, as the independent client.

import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createSelfSignedCert, type TestCert } from './tls.js';

/** s3rver's fixed account, which it checks signatures against. */
export const S3_ACCESS_KEY = 'S3RVER';
export const S3_SECRET_KEY = 'S3RVER';
export const S3_REGION = 'us-east-1';
/** The AWS CLI v2 from Debian's awscli package, by absolute path. */
export const AWS_CLI = '/usr/bin/aws';

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverConstructor;

export type S3Operation =
  | 'ListBuckets'
  | 'CreateBucket'
  | 'DeleteBucket'
  | 'HeadBucket'
  | 'ListObjects'
  | 'ListObjectsV2'
  | 'DeleteObjects'
  | 'ListMultipartUploads'
  | 'CreateMultipartUpload'
  | 'UploadPart'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'ListParts'
  | 'PutObject'
  | 'CopyObject'
  | 'GetObject'
  | 'HeadObject'
  | 'DeleteObject'
  | 'Other';

export interface InjectedFailure {
  operation: S3Operation;
  /** The answer's status; with `cut`, the real answer is sent but its body broken off half way. */
  status: number;
  /** The S3 error code in the XML body: SlowDown, InternalError, ... */
  code: string;
  cut?: boolean;
  /** How many requests of that operation get it (default 1). */
  times?: number;
}

interface SeenPart {
  number: number;
  size: number;
  etag: string;
  sha256?: string;
  lastModified: string;
}

interface SeenUpload {
  bucket: string;
  key: string;
  uploadId: string;
  initiated: string;
  checksumAlgorithm?: string;
  parts: Map<number, SeenPart>;
}

export interface TestS3Server {
  /** The front's URL, e.g. http://127.0.0.1:PORT: what --s3-endpoint and aws --endpoint-url get. */
  endpoint: string;
  /** Set when started with https: the CA file to trust. */
  cert?: TestCert;
  /** Requests seen per operation, injected failures and held requests included. */
  counts: Map<S3Operation, number>;
  /** Every request in the order it arrived, cleared with the counts (publish checks its upload order). */
  log: {
    operation: S3Operation;
    method: string;
    bucket: string;
    key: string;
    /** The x-amz-checksum-sha256 the request claimed, if any. */
    checksumSha256?: string;
    /** The request's headers as received (lower-case names), to check what a client sent. */
    headers: http.IncomingHttpHeaders;
  }[];
  count(operation: S3Operation): number;
  resetCounts(): void;
  inject(failure: InjectedFailure): void;
  /**
   * Requests of `operation` after the first `after` are held unanswered; the promise
   * resolves once one is held (the client is then mid-operation, ready to be killed).
   */
  holdAfter(operation: S3Operation, after: number): Promise<void>;
  /** Parts stored so far in the open multipart uploads of `bucket`/`key`. */
  storedParts(bucket: string, key: string): number;
  /** Answers nothing more that is held: drops those connections. */
  dropHeld(): void;
  createBucket(name: string): Promise<void>;
  /** The file s3rver keeps an object's bytes in. */
  objectFile(bucket: string, key: string): string;
  /** Environment for `airgap` and the AWS CLI: dummy credentials and region, no profile files. */
  env: Record<string, string>;
  /** Runs /usr/bin/aws ARGS against this server (path-style addressing). */
  aws(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  close(): Promise<void>;
}

function classify(method: string, url: URL): { op: S3Operation; bucket: string; key: string } {
  const [, bucket = '', ...rest] = url.pathname.split('/');
  const key = decodeURIComponent(rest.join('/'));
  const q = url.searchParams;
  const m = method.toUpperCase();
  let op: S3Operation = 'Other';
  if (bucket === '') op = m === 'GET' ? 'ListBuckets' : 'Other';
  else if (key === '') {
    if (m === 'GET' && q.has('uploads')) op = 'ListMultipartUploads';
    else if (m === 'GET') op = q.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects';
    else if (m === 'PUT' && [...q.keys()].length === 0) op = 'CreateBucket';
    else if (m === 'HEAD') op = 'HeadBucket';
    else if (m === 'DELETE') op = 'DeleteBucket';
    else if (m === 'POST' && q.has('delete')) op = 'DeleteObjects';
  } else if (m === 'POST' && q.has('uploads')) op = 'CreateMultipartUpload';
  else if (m === 'POST' && q.has('uploadId')) op = 'CompleteMultipartUpload';
  else if (m === 'PUT' && q.has('uploadId')) op = 'UploadPart';
  else if (m === 'DELETE' && q.has('uploadId')) op = 'AbortMultipartUpload';
  else if (m === 'GET' && q.has('uploadId')) op = 'ListParts';
  else if (m === 'PUT') op = 'PutObject';
  else if (m === 'GET') op = 'GetObject';
  else if (m === 'HEAD') op = 'HeadObject';
  else if (m === 'DELETE') op = 'DeleteObject';
  return { op, bucket, key };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function xml(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/xml', ...headers });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
}

function s3ErrorBody(code: string, message: string): string {
  return `<Error><Code>${code}</Code><Message>${message}</Message><RequestId>test</RequestId></Error>`;
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * `dir` holds the store, certificate and AWS CLI config; by default a test temp dir
 * (removed with the test file). The bench passes its own, outside vitest.
 */
export async function startS3Server(options: { https?: boolean; dir?: string } = {}): Promise<TestS3Server> {
  const dir = options.dir ?? (await (await import('./tmp.js')).makeTempDir('airgap-s3-'));
  const storeDir = path.join(dir, 'store');
  await fs.mkdir(storeDir);
  const backend = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: storeDir,
  });
  const backendPort = (await backend.run()).port;

  const counts = new Map<S3Operation, number>();
  const log: TestS3Server['log'] = [];
  const failures: InjectedFailure[] = [];
  const uploads = new Map<string, SeenUpload>();
  const holds: { operation: S3Operation; after: number; seen: number; reached: () => void }[] = [];
  const held: ServerResponse[] = [];

  function forward(
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
  ): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const headers = { ...req.headers, 'content-length': String(body.length) };
      delete headers['transfer-encoding'];
      const out = http.request(
        { host: '127.0.0.1', port: backendPort, method: req.method, path: req.url, headers },
        (answer) => {
          readBody(answer).then(
            (data) => resolve({ status: answer.statusCode ?? 500, headers: answer.headers, body: data }),
            reject,
          );
        },
      );
      out.on('error', reject);
      out.end(body);
      res.on('close', () => out.destroy());
    });
  }

  function relay(
    res: ServerResponse,
    answer: { status: number; headers: http.IncomingHttpHeaders; body: Buffer },
    extra: Record<string, string> = {},
  ): void {
    const headers = { ...answer.headers, ...extra };
    delete headers['transfer-encoding'];
    // A HEAD answer's Content-Length is the object's, not the (empty) body's.
    if (answer.body.length > 0 || headers['content-length'] === undefined) {
      headers['content-length'] = String(answer.body.length);
    }
    res.writeHead(answer.status, headers);
    res.end(answer.body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://front');
    const { op, bucket, key } = classify(req.method ?? 'GET', url);
    counts.set(op, (counts.get(op) ?? 0) + 1);
    const claimedChecksum = req.headers['x-amz-checksum-sha256'];
    log.push({
      operation: op,
      method: req.method ?? 'GET',
      bucket,
      key,
      ...(typeof claimedChecksum === 'string' ? { checksumSha256: claimedChecksum } : {}),
      headers: req.headers,
    });
    const hold = holds.find((h) => h.operation === op);
    if (hold !== undefined) {
      hold.seen += 1;
      if (hold.seen > hold.after) {
        held.push(res);
        hold.reached();
        req.resume();
        return;
      }
    }
    const failure = failures.find((f) => f.operation === op && (f.times ?? 1) > 0);
    if (failure !== undefined) {
      failure.times = (failure.times ?? 1) - 1;
      if (failure.cut === true) {
        const answer = await forward(req, res, await readBody(req));
        const headers = { ...answer.headers };
        delete headers['transfer-encoding'];
        res.writeHead(answer.status, headers);
        res.write(answer.body.subarray(0, Math.floor(answer.body.length / 2)));
        // Let the half reach the client before the connection drops.
        setTimeout(() => res.destroy(), 20);
        return;
      }
      await readBody(req);
      xml(res, failure.status, s3ErrorBody(failure.code, `injected ${failure.code}`));
      return;
    }
    const body = await readBody(req);
    const q = url.searchParams;
    switch (op) {
      case 'ListMultipartUploads': {
        const prefix = q.get('prefix') ?? '';
        const list = [...uploads.values()].filter((u) => u.bucket === bucket && u.key.startsWith(prefix));
        const items = list
          .map(
            (u) =>
              `<Upload><Key>${esc(u.key)}</Key><UploadId>${u.uploadId}</UploadId><Initiated>${u.initiated}</Initiated>${u.checksumAlgorithm === undefined ? '' : `<ChecksumAlgorithm>${u.checksumAlgorithm}</ChecksumAlgorithm>`}</Upload>`,
          )
          .join('');
        xml(
          res,
          200,
          `<ListMultipartUploadsResult><Bucket>${bucket}</Bucket><Prefix>${esc(prefix)}</Prefix><IsTruncated>false</IsTruncated>${items}</ListMultipartUploadsResult>`,
        );
        return;
      }
      case 'ListParts':
      case 'AbortMultipartUpload': {
        const upload = uploads.get(q.get('uploadId') ?? '');
        if (upload === undefined || upload.bucket !== bucket || upload.key !== key) {
          xml(res, 404, s3ErrorBody('NoSuchUpload', 'The specified upload does not exist.'));
          return;
        }
        if (op === 'AbortMultipartUpload') {
          uploads.delete(upload.uploadId);
          res.writeHead(204).end();
          return;
        }
        const parts = [...upload.parts.values()]
          .sort((a, b) => a.number - b.number)
          .map(
            (p) =>
              `<Part><PartNumber>${p.number}</PartNumber><LastModified>${p.lastModified}</LastModified><ETag>"${p.etag}"</ETag><Size>${p.size}</Size>${p.sha256 === undefined ? '' : `<ChecksumSHA256>${p.sha256}</ChecksumSHA256>`}</Part>`,
          )
          .join('');
        xml(
          res,
          200,
          `<ListPartsResult><Bucket>${bucket}</Bucket><Key>${esc(key)}</Key><UploadId>${upload.uploadId}</UploadId><IsTruncated>false</IsTruncated>${upload.checksumAlgorithm === undefined ? '' : `<ChecksumAlgorithm>${upload.checksumAlgorithm}</ChecksumAlgorithm>`}${parts}</ListPartsResult>`,
        );
        return;
      }
      case 'UploadPart': {
        const upload = uploads.get(q.get('uploadId') ?? '');
        if (upload === undefined) {
          xml(res, 404, s3ErrorBody('NoSuchUpload', 'The specified upload does not exist.'));
          return;
        }
        const sha256 = createHash('sha256').update(body).digest('base64');
        const claimed = req.headers['x-amz-checksum-sha256'];
        if (typeof claimed === 'string' && claimed !== sha256) {
          xml(
            res,
            400,
            s3ErrorBody('BadDigest', 'The SHA256 you specified did not match the calculated checksum.'),
          );
          return;
        }
        const answer = await forward(req, res, body);
        if (answer.status === 200) {
          const number = Number(q.get('partNumber'));
          upload.parts.set(number, {
            number,
            size: body.length,
            etag: String(answer.headers.etag ?? '').replace(/"/g, ''),
            ...(upload.checksumAlgorithm === 'SHA256' || typeof claimed === 'string' ? { sha256 } : {}),
            lastModified: new Date().toISOString(),
          });
        }
        relay(res, answer, typeof claimed === 'string' ? { 'x-amz-checksum-sha256': sha256 } : {});
        return;
      }
      case 'CreateMultipartUpload': {
        const answer = await forward(req, res, body);
        const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(answer.body.toString('utf8'))?.[1];
        if (answer.status === 200 && uploadId !== undefined) {
          const algorithm = req.headers['x-amz-checksum-algorithm'];
          uploads.set(uploadId, {
            bucket,
            key,
            uploadId,
            initiated: new Date().toISOString(),
            ...(typeof algorithm === 'string' ? { checksumAlgorithm: algorithm.toUpperCase() } : {}),
            parts: new Map(),
          });
        }
        relay(res, answer);
        return;
      }
      case 'CompleteMultipartUpload': {
        const answer = await forward(req, res, body);
        if (answer.status === 200) uploads.delete(q.get('uploadId') ?? '');
        relay(res, answer);
        return;
      }
      case 'PutObject': {
        // As S3 does: a body that does not match its claimed SHA-256 is refused.
        const claimed = req.headers['x-amz-checksum-sha256'];
        if (typeof claimed === 'string' && claimed !== createHash('sha256').update(body).digest('base64')) {
          xml(
            res,
            400,
            s3ErrorBody('BadDigest', 'The SHA256 you specified did not match the calculated checksum.'),
          );
          return;
        }
        relay(res, await forward(req, res, body));
        return;
      }
      default:
        relay(res, await forward(req, res, body));
    }
  }

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) xml(res, 500, s3ErrorBody('InternalError', esc(String(e))));
      else res.destroy();
    });
  };
  const cert =
    options.https === true ? await createSelfSignedCert('airgap test s3', undefined, dir) : undefined;
  const front =
    cert === undefined
      ? http.createServer(listener)
      : https.createServer({ key: cert.keyPem, cert: cert.certPem }, listener);
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  const port = (front.address() as AddressInfo).port;
  const endpoint = `${cert === undefined ? 'http' : 'https'}://127.0.0.1:${port}`;

  const awsConfig = path.join(dir, 'aws-config');
  await fs.writeFile(awsConfig, `[default]\nregion = ${S3_REGION}\ns3 =\n  addressing_style = path\n`);
  const env: Record<string, string> = {
    AWS_ACCESS_KEY_ID: S3_ACCESS_KEY,
    AWS_SECRET_ACCESS_KEY: S3_SECRET_KEY,
    AWS_REGION: S3_REGION,
    AWS_DEFAULT_REGION: S3_REGION,
    AWS_CONFIG_FILE: awsConfig,
    AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
  };

  const server: TestS3Server = {
    endpoint,
    ...(cert === undefined ? {} : { cert }),
    counts,
    log,
    count: (operation) => counts.get(operation) ?? 0,
    resetCounts: () => {
      counts.clear();
      log.splice(0);
    },
    inject(failure) {
      failures.push({ ...failure });
    },
    holdAfter(operation, after) {
      return new Promise((resolve) => holds.push({ operation, after, seen: 0, reached: resolve }));
    },
    storedParts(bucket, key) {
      return [...uploads.values()]
        .filter((u) => u.bucket === bucket && u.key === key)
        .reduce((n, u) => n + u.parts.size, 0);
    },
    dropHeld() {
      holds.splice(0);
      for (const res of held.splice(0)) res.destroy();
    },
    async createBucket(name) {
      // Straight to s3rver (no CLI start-up): setting up is not what a test checks.
      const made = await new Promise<number>((resolve, reject) => {
        const req = http.request(
          { host: '127.0.0.1', port: backendPort, method: 'PUT', path: `/${name}` },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
      if (made !== 200) throw new Error(`create bucket ${name}: HTTP ${made}`);
    },
    objectFile(bucket, key) {
      const parts = key.split('/');
      const last = parts.pop() ?? '';
      return path.join(storeDir, bucket, ...parts, `${last}._S3rver_object`);
    },
    env,
    aws(args) {
      const tls = cert === undefined ? [] : ['--ca-bundle', cert.certPath];
      return new Promise((resolve) => {
        execFile(
          AWS_CLI,
          ['--endpoint-url', endpoint, ...tls, '--no-cli-pager', ...args],
          { env: { PATH: process.env.PATH ?? '', HOME: dir, ...env }, maxBuffer: 64 << 20 },
          (error, stdout, stderr) => {
            const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
            resolve({ code, stdout, stderr });
          },
        );
      });
    },
    async close() {
      for (const res of held.splice(0)) res.destroy();
      front.closeAllConnections();
      await new Promise<void>((resolve) => front.close(() => resolve()));
      await backend.close();
    },
  };
  return server;
}

/** A bucket name no other test uses. */
export function uniqueBucket(prefix = 'airgap'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}
