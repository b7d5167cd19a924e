// The HttpClient port on the shared transport (transport.ts: pools, proxies, CAs,
// redirects and the credential rule): retries with backoff and Retry-After
// (retry.ts), metadata read into memory under MAX_METADATA_BYTES, downloads
// streamed to disk, and HEAD size probes under GET's rules.
import { createHash, type Hash } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import { setImmediate as nextLoop } from 'node:timers/promises';
import { AirgapError, isAirgapError } from '../../core/errors.js';
import type {
  DownloadOptions,
  DownloadResult,
  DownloadTap,
  HeadResult,
  HttpClient,
  HttpObserver,
  HttpRequestOptions,
} from '../../core/ports.js';
import { redactUrl } from '../../core/redact.js';
import {
  classifyError,
  isRetryableStatus,
  OversizeFailure,
  RangeFailure,
  RedirectFailure,
  ShortBodyFailure,
  StatusFailure,
  statusTextOf,
  TapFailure,
} from './failures.js';
import { parseRetryAfter, SYSTEM_CLOCK, withRetries, type Clock } from './retry.js';
import {
  bindCredentialHeaders,
  createTransport,
  header,
  MAX_METADATA_BYTES,
  readCapped,
  type Opened,
  type Trail,
} from './transport.js';

/** How one kind of request is made, and which non-2xx answers are its result rather than a failure. */
interface Ask {
  method: 'GET' | 'HEAD';
  accept?: string;
  /** Headers decided afresh for each attempt (a resumed download's Range). */
  headers?: () => Record<string, string>;
  /** A non-2xx answer to hand to the consumer instead of failing. */
  keep?: (opened: Opened, start: URL) => boolean;
}

const GET: Ask = { method: 'GET' };
const GET_JSON: Ask = { method: 'GET', accept: 'application/json' };
// A server that does not do HEAD says so with 405 or 501; a URL presigned for GET (S3
// signs the method) answers HEAD 403 once a redirect has led off the origin asked.
// Neither says the file is missing: the size is unknown, and the GET will tell.
const HEAD: Ask = {
  method: 'HEAD',
  keep: ({ response, url }, start) => {
    const status = response.statusCode;
    return status === 405 || status === 501 || (status === 403 && url.origin !== start.origin);
  },
};

export interface HttpClientOptions {
  /** Sent on every request, e.g. "airgap/0.1.0". */
  userAgent: string;
  /** HTTPS_PROXY, HTTP_PROXY, NO_PROXY (either case), SSL_CERT_FILE, NODE_EXTRA_CA_CERTS are read from here only. */
  env?: Record<string, string | undefined>;
  /** Extra PEM files (--ca-cert), added to Node's default roots. */
  caCertFiles?: string[];
  connectTimeoutMs?: number;
  /** Idle time allowed between body chunks, and before the headers arrive. */
  bodyTimeoutMs?: number;
  /** Retries after the first attempt. */
  retries?: number;
  retryBaseDelayMs?: number;
  maxConnectionsPerOrigin?: number;
  /** Waits between attempts and reads the time for Retry-After dates; the real clock by default. */
  clock?: Clock;
  /** Told of every request (redacted URL, status), for --verbose. */
  observer?: HttpObserver;
}

export interface ClosableHttpClient extends HttpClient {
  /** Closes every pooled connection; in-flight requests finish first. */
  close(): Promise<void>;
}

export function createHttpClient(options: HttpClientOptions): ClosableHttpClient {
  const connectMs = options.connectTimeoutMs ?? 30_000;
  const bodyMs = options.bodyTimeoutMs ?? 60_000;
  const defaultRetries = options.retries ?? 4;
  const baseDelayMs = options.retryBaseDelayMs ?? 250;
  const clock = options.clock ?? SYSTEM_CLOCK;
  const transport = createTransport({
    userAgent: options.userAgent,
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.caCertFiles === undefined ? {} : { caCertFiles: options.caCertFiles }),
    connectTimeoutMs: connectMs,
    bodyTimeoutMs: bodyMs,
    connections: options.maxConnectionsPerOrigin ?? 16,
    ...(options.observer === undefined ? {} : { observer: options.observer }),
  });

  async function open(
    start: URL,
    request: HttpRequestOptions | undefined,
    ask: Ask,
    trail: Trail,
  ): Promise<Opened> {
    const { plain, credential } = bindCredentialHeaders(request?.headers ?? {}, start);
    if (ask.accept !== undefined) plain['accept'] ??= ask.accept;
    Object.assign(plain, ask.headers?.());
    const opened = await transport.open(
      {
        method: ask.method,
        url: start,
        headers: plain,
        // HEAD follows redirects here as GET does: it probes what a GET would fetch.
        followRedirects: true,
        ...(credential === undefined ? {} : { credential }),
      },
      trail,
    );
    const { response, url } = opened;
    const status = response.statusCode;
    if ((status >= 200 && status <= 299) || ask.keep?.(opened, start) === true) return opened;
    await response.body.dump().catch(() => undefined);
    const withheld = opened.credentialWithheld ? ' (credentials are not sent over plain http)' : '';
    throw new StatusFailure(
      status,
      `${statusTextOf(response)}${withheld}`,
      url.href,
      parseRetryAfter(header(response, 'retry-after'), clock.now()),
    );
  }

  /** Runs `consume` on a fresh response until it succeeds or retrying cannot help. */
  async function attempts<T>(
    address: string,
    request: HttpRequestOptions | undefined,
    ask: Ask,
    consume: (opened: Opened) => Promise<T>,
  ): Promise<T> {
    const start = parseUrl(address);
    const limit = Math.max(0, request?.retries ?? defaultRetries) + 1;
    let trail: Trail = { url: start };
    return withRetries(
      { attempts: limit, baseDelayMs, clock },
      async () => {
        trail = { url: start };
        const result = await consume(await open(start, request, ask, trail));
        // undici hands a keep-alive socket back to the pool one event-loop turn after
        // the body ends; without waiting, a caller's next request opens a new one.
        await nextLoop();
        return result;
      },
      {
        retry(error, attempt) {
          if (isAirgapError(error) || error instanceof RedirectFailure || error instanceof OversizeFailure) {
            return undefined;
          }
          if (error instanceof StatusFailure) {
            return isRetryableStatus(error.status) ? { retryAfterMs: error.retryAfterMs } : undefined;
          }
          const failure = classifyError(error, { connectMs, bodyMs });
          if (!failure.retryable || attempt >= (failure.maxAttempts ?? limit)) return undefined;
          return {};
        },
        giveUp(error, attempt) {
          const m = ask.method;
          if (isAirgapError(error)) return error;
          if (error instanceof StatusFailure) return statusError(m, start, error, attempt);
          if (error instanceof RedirectFailure) return redirectError(m, start, error);
          if (error instanceof OversizeFailure) return oversizeError(m, start, trail, error);
          const failure = classifyError(error, { connectMs, bodyMs });
          return connectionError(m, start, trail, failure, attempt, error);
        },
      },
    );
  }

  async function readAll(opened: Opened): Promise<Buffer> {
    const bytes = await readCapped(opened.response, MAX_METADATA_BYTES);
    checkLength(opened, bytes.length);
    return bytes;
  }

  return {
    async getBytes(url, request) {
      const bytes = await attempts(url, request, GET, readAll);
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },

    async getAnswer(url, request) {
      return attempts(url, request, GET_JSON, async (opened) => {
        const body = await readAll(opened);
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(opened.response.headers)) {
          if (value !== undefined)
            headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
        }
        return {
          status: opened.response.statusCode,
          headers,
          body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
        };
      });
    },

    async getJson(url, request) {
      const { bytes, from } = await attempts(url, request, GET_JSON, async (opened) => ({
        bytes: await readAll(opened),
        from: opened.url,
      }));
      return parseJson(url, from, bytes);
    },

    async download(url: string, destPath: string, request?: DownloadOptions): Promise<DownloadResult> {
      const onProgress = request?.onProgress;
      // Bytes counted through onProgress so far; set back to what the file keeps when an
      // attempt starts, so a running total never counts a byte twice.
      let reported = 0;
      const resume: ResumeState = { kept: 0, allowed: false };
      const ask: Ask = {
        method: 'GET',
        headers: () => rangeHeaders(resume),
        keep: ({ response }) => response.statusCode === 416 && resume.kept > 0,
      };
      return attempts(url, request, ask, async (opened) => {
        const { response } = opened;
        const offset = startOffset(opened, resume);
        if (offset === 0) learnResume(response, resume);
        const total = offset === 0 ? declaredLength(response) : resume.total;
        if (total !== undefined) request?.onTotal?.(total);
        if (reported !== offset) onProgress?.(offset - reported);
        reported = offset;
        const tap = request?.tap;
        // A tap that hashes (on a worker thread) spares this thread the sha256.
        const tapHashes = tap?.sha256 !== undefined;
        const hash = tapHashes
          ? undefined
          : offset === 0
            ? createHash('sha256')
            : await hashPrefix(destPath, offset);
        tap?.begin(offset);
        // A tap that writes the file (on a worker thread) spares this thread the file I/O.
        const writer = tap?.writesFile?.(destPath, offset) === true ? tap : undefined;
        let received = 0;
        const take = (chunk: Buffer): void | Promise<void> => {
          hash?.update(chunk);
          received += chunk.length;
          reported += chunk.length;
          onProgress?.(chunk.length);
          return tap?.write(chunk);
        };
        try {
          if (writer === undefined) await writeBody(response.body, destPath, offset, take);
          else await feedBody(response.body, take, writer);
          checkLength(opened, received);
          const size = offset + received;
          if (resume.total !== undefined && size !== resume.total)
            throw new ShortBodyFailure(resume.total, size);
          if (hash !== undefined) return { sha256: hash.digest('hex'), size };
          // The tap could not vouch for every byte (it gave up, its worker was lost): the file is read.
          const sha256 =
            (await tap!.sha256!()) ??
            (size === 0 ? createHash('sha256') : await hashPrefix(destPath, size)).digest('hex');
          return { sha256, size };
        } catch (error) {
          if (isFsError(error)) throw fsError(destPath, error);
          // Every byte that arrived is on disk (or, the writer lost, a prefix of them): the
          // next attempt may ask for the rest.
          resume.kept = resume.allowed ? await fileSize(destPath) : 0;
          throw error;
        }
      });
    },

    async head(url: string, request?: HttpRequestOptions): Promise<HeadResult> {
      return attempts(url, request, HEAD, async ({ response }) => {
        await response.body.dump().catch(() => undefined);
        const status = response.statusCode;
        const size = status >= 200 && status <= 299 ? declaredLength(response) : undefined;
        return size === undefined ? { status } : { size, status };
      });
    },

    async close() {
      await transport.close();
    },
  };
}

function parseUrl(address: string): URL {
  let url: URL;
  try {
    url = new URL(address);
  } catch (cause) {
    throw new AirgapError('USAGE', `not a valid URL: ${redactUrl(address)}`, {
      address: redactUrl(address),
      cause,
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new AirgapError('USAGE', `only http and https URLs can be fetched, got ${redactUrl(address)}`, {
      address: redactUrl(address),
      expected: 'http: or https:',
      actual: url.protocol,
    });
  }
  return url;
}

function redirectError(method: string, start: URL, failure: RedirectFailure): AirgapError {
  return new AirgapError('HTTP_ERROR', `${method} ${redactUrl(start.href)} failed: ${failure.reason}`, {
    address: redactUrl(start.href),
    status: failure.status,
    ...(failure.expected === undefined ? {} : { expected: failure.expected }),
    ...(failure.actual === undefined ? {} : { actual: failure.actual }),
    cause: failure,
  });
}

function oversizeError(method: string, start: URL, trail: Trail, failure: OversizeFailure): AirgapError {
  const at = trail.url.href === start.href ? '' : ` (at ${redactUrl(trail.url.href)})`;
  return new AirgapError(
    'HTTP_ERROR',
    `${method} ${redactUrl(start.href)}${at}: ${failure.message} for metadata read into memory`,
    {
      address: redactUrl(start.href),
      expected: `<= ${failure.limit} bytes`,
      actual: failure.announced
        ? `${failure.seen} bytes (Content-Length)`
        : `more than ${failure.limit} bytes (${failure.seen} read)`,
      cause: failure,
    },
  );
}

function statusError(method: string, start: URL, failure: StatusFailure, attempts: number): AirgapError {
  const via = failure.url === start.href ? '' : ` (at ${redactUrl(failure.url)})`;
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  return new AirgapError(
    'HTTP_ERROR',
    `${method} ${redactUrl(start.href)} failed: ${failure.message}${via}${tries}`,
    {
      address: redactUrl(start.href),
      status: failure.status,
      actual: String(failure.status),
      cause: failure,
    },
    failure.status === 401 || failure.status === 403
      ? `check the credentials for ${start.host}: TF_TOKEN_<host>, a credentials block, or credentials_helper in the CLI configuration`
      : undefined,
  );
}

function connectionError(
  method: string,
  start: URL,
  trail: { url: URL; proxy?: string },
  failure: ReturnType<typeof classifyError>,
  attempts: number,
  cause: unknown,
): AirgapError {
  const at = trail.url.href === start.href ? '' : ` at ${redactUrl(trail.url.href)}`;
  const via = trail.proxy === undefined ? '' : ` via proxy ${redactUrl(trail.proxy)}`;
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  const code = failure.code === undefined ? '' : ` (${failure.code})`;
  const hint = failure.hint === undefined ? '' : `: ${failure.hint}`;
  return new AirgapError(
    'HTTP_ERROR',
    `${method} ${redactUrl(start.href)}${at}${via}: ${failure.what}${tries}${code}${hint}`,
    {
      address: redactUrl(start.href),
      cause,
    },
    // The TLS case already says what to do (--ca-cert) in its message.
    failure.hint === undefined
      ? 'check the network, the proxy (HTTPS_PROXY/NO_PROXY) and the address'
      : undefined,
  );
}

function parseJson(requested: string, from: URL, bytes: Buffer): unknown {
  const text = bytes.toString('utf8');
  try {
    return JSON.parse(text);
  } catch (cause) {
    const at = from.href === requested ? '' : ` (at ${redactUrl(from.href)})`;
    const snippet = text.slice(0, 60).replace(/\s+/g, ' ');
    // A captive portal or proxy error page is the usual culprit; the registry
    // protocol promises JSON, so this is the protocol code, not a transport one.
    throw new AirgapError(
      'REGISTRY_PROTOCOL',
      `GET ${redactUrl(requested)}${at}: response is not JSON (${bytes.length} bytes, starting ${JSON.stringify(snippet)})`,
      { address: redactUrl(requested), expected: 'JSON', actual: snippet, cause },
    );
  }
}

/** Content-Length as a whole number of bytes, or undefined when absent or not one. */
function declaredLength(response: Opened['response']): number | undefined {
  const declared = header(response, 'content-length');
  if (declared === undefined || !/^\d+$/.test(declared)) return undefined;
  const size = Number(declared);
  return Number.isSafeInteger(size) ? size : undefined;
}

function checkLength(opened: Opened, size: number): void {
  const declared = header(opened.response, 'content-length');
  if (declared === undefined || !/^\d+$/.test(declared)) return;
  const expected = Number(declared);
  if (expected !== size) throw new ShortBodyFailure(expected, size);
}

/** What a download keeps between attempts to resume with a Range request. */
interface ResumeState {
  /** Bytes of the file on disk from earlier attempts, 0 to start over. */
  kept: number;
  /** The first answer allowed resuming (Accept-Ranges: bytes, or a validator). */
  allowed: boolean;
  /** A strong ETag, else Last-Modified, sent back as If-Range. */
  validator?: string | undefined;
  /** The whole file's size, from the first answer's Content-Length. */
  total?: number | undefined;
}

function rangeHeaders(resume: ResumeState): Record<string, string> {
  if (resume.kept === 0 || !resume.allowed) return {};
  // If-Range: a file that changed since comes back whole (200), never spliced onto the old prefix.
  return {
    range: `bytes=${resume.kept}-`,
    ...(resume.validator === undefined ? {} : { 'if-range': resume.validator }),
  };
}

/** From a whole-file (200) answer: whether and how a later attempt may resume. */
function learnResume(response: Opened['response'], resume: ResumeState): void {
  const ranges = header(response, 'accept-ranges')?.trim().toLowerCase();
  const etag = header(response, 'etag')?.trim();
  // If-Range takes only a strong validator; a weak ETag is no use, Last-Modified may do.
  const validator =
    etag !== undefined && etag !== '' && !etag.startsWith('W/') ? etag : header(response, 'last-modified');
  resume.validator = validator;
  resume.total = declaredLength(response);
  resume.allowed = ranges !== 'none' && (ranges === 'bytes' || validator !== undefined);
}

/**
 * Where this answer's body starts in the file: 0 for a whole file (200), the kept size
 * for a 206 that continues exactly there. Anything else throws RangeFailure, and resuming
 * stops for the next attempts.
 */
function startOffset(opened: Opened, resume: ResumeState): number {
  const { response } = opened;
  const asked = resume.kept;
  if (response.statusCode !== 206 && response.statusCode !== 416) {
    resume.kept = 0;
    return 0;
  }
  const stop = (actual: string): never => {
    resume.kept = 0;
    resume.allowed = false;
    response.body.dump().catch(() => undefined);
    throw new RangeFailure(`206 with Content-Range bytes ${asked}-*/${resume.total ?? '*'}`, actual);
  };
  if (response.statusCode === 416 || asked === 0) return stop(String(response.statusCode));
  const contentRange = header(response, 'content-range') ?? '';
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(contentRange.trim());
  if (m === null) return stop(`206 with Content-Range ${JSON.stringify(contentRange)}`);
  const start = Number(m[1]);
  const total = m[3] === '*' ? undefined : Number(m[3]);
  if (start !== asked || (total !== undefined && resume.total !== undefined && total !== resume.total)) {
    return stop(`206 with Content-Range ${contentRange}`);
  }
  resume.total ??= total;
  return asked;
}

/**
 * Writes the body to `file` from `offset` ('w' from 0, else over the kept prefix). When
 * the body fails mid-way, what arrived is still written out before the error is rethrown,
 * so a resume continues from the last byte received. A write error is thrown as it is.
 */
async function writeBody(
  body: AsyncIterable<unknown>,
  file: string,
  offset: number,
  onChunk: (chunk: Buffer) => void | Promise<void>,
): Promise<void> {
  // The file may lag this far behind the body: a ~64 KiB chunk then no longer waits for the
  // write of the one before it (behind inflate work in libuv's thread pool), and chunks that
  // queue meanwhile go out in one writev.
  const out = fs.createWriteStream(
    file,
    offset === 0
      ? { flags: 'w', highWaterMark: WRITE_AHEAD }
      : { flags: 'r+', start: offset, highWaterMark: WRITE_AHEAD },
  );
  let writeError: unknown;
  out.on('error', (e) => (writeError ??= e));
  let bodyError: unknown;
  try {
    for await (const raw of body) {
      const chunk = raw as Buffer;
      const held = onChunk(chunk);
      // Listen for 'drain' before waiting on the tap: it may come while the tap holds the body.
      const drained = out.write(chunk) ? undefined : once(out, 'drain');
      if (drained !== undefined) await Promise.all([held, drained]);
      else if (held !== undefined) await held;
    }
  } catch (e) {
    bodyError = e;
  }
  if (!out.destroyed) {
    await new Promise<void>((resolve) => {
      out.end(() => resolve());
      out.once('error', () => resolve());
    });
  }
  if (!out.closed) await once(out, 'close').catch(() => undefined);
  if (writeError !== undefined) throw writeError;
  if (bodyError !== undefined) throw bodyError;
}

const WRITE_AHEAD = 512 * 1024;

/**
 * Hands the body to a tap that writes the file itself, then waits until it has written and
 * closed it, whether the body ended or failed: the file is settled before anyone looks at it
 * (its size, for a resume), and the next attempt never races this one's writes. Errors as
 * writeBody's: the file's first, then the body's; the tap's own failure (not a file-system
 * error) is a TapFailure, which ends the attempt for another to continue.
 */
async function feedBody(
  body: AsyncIterable<unknown>,
  onChunk: (chunk: Buffer) => void | Promise<void>,
  writer: DownloadTap,
): Promise<void> {
  let bodyError: unknown;
  try {
    for await (const raw of body) {
      const held = onChunk(raw as Buffer);
      if (held !== undefined) await held;
    }
  } catch (e) {
    bodyError = e;
  }
  let fileError: unknown;
  try {
    await writer.flushed!();
  } catch (e) {
    fileError = e;
  }
  if (isFsError(fileError)) throw fileError;
  // The caller's own verdict (a tap refusing the bytes) stands over a lost writer.
  if (isAirgapError(bodyError) || isFsError(bodyError)) throw bodyError;
  // write() threw what flushed() rejects with: the writer's failure is the one to tell.
  if (fileError !== undefined) throw new TapFailure(fileError);
  if (bodyError !== undefined) throw bodyError;
}

/** A sha256 that has already taken in the file's first `length` bytes, read back from disk. */
async function hashPrefix(file: string, length: number): Promise<Hash> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { start: 0, end: length - 1 }))
    hash.update(chunk as Buffer);
  return hash;
}

async function fileSize(file: string): Promise<number> {
  return (await fs.promises.stat(file).catch(() => undefined))?.size ?? 0;
}

function isFsError(error: unknown): error is NodeJS.ErrnoException {
  const e = error as NodeJS.ErrnoException;
  return typeof e?.syscall === 'string' && typeof e.path === 'string';
}

function fsError(destPath: string, error: NodeJS.ErrnoException): AirgapError {
  return new AirgapError('FS_ERROR', `cannot write download to ${destPath}: ${error.code ?? error.message}`, {
    path: destPath,
    cause: error,
  });
}
