// The HttpClient port on undici: one keep-alive pool per origin, proxies from the
// env map the caller passes, extra CAs, redirects followed here (so credentials
// never cross origins), retries with backoff, and downloads streamed to disk.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { setImmediate as nextLoop } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import { AirgapError, isAirgapError } from '../../core/errors.js';
import type { DownloadOptions, DownloadResult, HttpClient, HttpRequestOptions } from '../../core/ports.js';
import { createDispatchers } from './dispatchers.js';
import { classifyError, isRetryableStatus, ShortBodyFailure, StatusFailure } from './failures.js';
import { redactUrl } from './proxy.js';

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
}

export interface ClosableHttpClient extends HttpClient {
  /** Closes every pooled connection; in-flight requests finish first. */
  close(): Promise<void>;
}

const MAX_REDIRECTS = 10;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const MAX_BACKOFF_MS = 8_000;
const MAX_RETRY_AFTER_MS = 30_000;
// Headers that carry credentials: they stay with the origin they were meant for.
const CREDENTIAL_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);

interface Opened {
  response: Dispatcher.ResponseData;
  /** Where the body came from, after redirects. */
  url: URL;
}

export function createHttpClient(options: HttpClientOptions): ClosableHttpClient {
  const env = options.env ?? {};
  const connectMs = options.connectTimeoutMs ?? 30_000;
  const bodyMs = options.bodyTimeoutMs ?? 60_000;
  const defaultRetries = options.retries ?? 4;
  const baseDelayMs = options.retryBaseDelayMs ?? 250;
  const connections = options.maxConnectionsPerOrigin ?? 16;
  const dispatchers = createDispatchers({
    env,
    caCertFiles: options.caCertFiles ?? [],
    connectTimeoutMs: connectMs,
    bodyTimeoutMs: bodyMs,
    connections,
  });

  function baseHeaders(extra: Record<string, string> | undefined, accept?: string): Record<string, string> {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(extra ?? {})) headers[name.toLowerCase()] = value;
    headers['user-agent'] ??= options.userAgent;
    if (accept !== undefined) headers['accept'] ??= accept;
    return headers;
  }

  async function open(
    start: URL,
    initialHeaders: Record<string, string>,
    trail: { url: URL; proxy?: string },
  ): Promise<Opened> {
    let url = start;
    let headers = initialHeaders;
    for (let hop = 0; ; hop++) {
      const { dispatcher, proxy } = dispatchers.forUrl(url);
      trail.url = url;
      trail.proxy = proxy;
      const response = await dispatcher.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: 'GET',
        headers,
      });
      const status = response.statusCode;
      if (status >= 200 && status <= 299) return { response, url };
      await response.body.dump().catch(() => undefined);
      if (REDIRECT_STATUSES.has(status)) {
        const next = redirectTarget(start, url, response, hop);
        if (next.origin !== url.origin) headers = withoutCredentials(headers);
        url = next;
        continue;
      }
      throw new StatusFailure(status, statusText(response, status), url.href, retryAfterMs(response));
    }
  }

  /** Runs `consume` on a fresh response until it succeeds or retrying cannot help. */
  async function withRetries<T>(
    address: string,
    request: HttpRequestOptions | undefined,
    accept: string | undefined,
    consume: (opened: Opened) => Promise<T>,
    onRetry?: () => void,
  ): Promise<T> {
    const start = parseUrl(address);
    const headers = baseHeaders(request?.headers, accept);
    const limit = Math.max(0, request?.retries ?? defaultRetries) + 1;
    for (let attempt = 1; ; attempt++) {
      const trail: { url: URL; proxy?: string } = { url: start };
      let delayMs: number;
      try {
        const result = await consume(await open(start, headers, trail));
        // undici hands a keep-alive socket back to the pool one event-loop turn after
        // the body ends; without waiting, a caller's next request opens a new one.
        await nextLoop();
        return result;
      } catch (error) {
        if (isAirgapError(error)) throw error;
        if (error instanceof StatusFailure) {
          if (!isRetryableStatus(error.status) || attempt >= limit) throw statusError(start, error, attempt);
          delayMs = error.retryAfterMs ?? backoffMs(attempt, baseDelayMs);
        } else {
          const failure = classifyError(error, { connectMs, bodyMs });
          const cap = Math.min(limit, failure.maxAttempts ?? limit);
          if (!failure.retryable || attempt >= cap) {
            throw connectionError(start, trail, failure, attempt, error);
          }
          delayMs = backoffMs(attempt, baseDelayMs);
        }
      }
      onRetry?.();
      await sleep(delayMs);
    }
  }

  async function readAll(opened: Opened): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of opened.response.body as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
    }
    checkLength(opened, size);
    return Buffer.concat(chunks, size);
  }

  return {
    async getBytes(url, request) {
      const bytes = await withRetries(url, request, undefined, readAll);
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },

    async getJson(url, request) {
      const { bytes, from } = await withRetries(url, request, 'application/json', async (opened) => ({
        bytes: await readAll(opened),
        from: opened.url,
      }));
      return parseJson(url, from, bytes);
    },

    async download(url: string, destPath: string, request?: DownloadOptions): Promise<DownloadResult> {
      const onProgress = request?.onProgress;
      let reported = 0;
      return withRetries(
        url,
        request,
        undefined,
        async (opened) => {
          const hash = createHash('sha256');
          let size = 0;
          const out = fs.createWriteStream(destPath, { flags: 'w' });
          try {
            await pipeline(
              opened.response.body,
              async function* (source: AsyncIterable<Buffer>) {
                for await (const chunk of source) {
                  hash.update(chunk);
                  size += chunk.length;
                  reported += chunk.length;
                  onProgress?.(chunk.length);
                  yield chunk;
                }
              },
              out,
            );
          } catch (error) {
            // The next attempt reopens the file with 'w'; let this handle go first.
            if (!out.closed) await once(out, 'close').catch(() => undefined);
            if (isFsError(error)) throw fsError(destPath, error);
            throw error;
          }
          checkLength(opened, size);
          return { sha256: hash.digest('hex'), size };
        },
        () => {
          // Keep a caller's running total right: the bytes of the failed attempt are gone.
          if (reported !== 0) onProgress?.(-reported);
          reported = 0;
        },
      );
    },

    async close() {
      await dispatchers.close();
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

function redirectTarget(start: URL, from: URL, response: Dispatcher.ResponseData, hop: number): URL {
  const status = response.statusCode;
  const where = `GET ${redactUrl(start.href)}`;
  if (hop + 1 > MAX_REDIRECTS) {
    throw new AirgapError(
      'HTTP_ERROR',
      `${where} failed: more than ${MAX_REDIRECTS} redirects (last at ${redactUrl(from.href)})`,
      {
        address: redactUrl(start.href),
        status,
      },
    );
  }
  const location = firstHeader(response.headers['location']);
  if (location === undefined || location === '') {
    throw new AirgapError(
      'HTTP_ERROR',
      `${where} failed: ${status} redirect from ${redactUrl(from.href)} has no Location header`,
      {
        address: redactUrl(start.href),
        status,
      },
    );
  }
  let next: URL;
  try {
    next = new URL(location, from);
  } catch (cause) {
    throw new AirgapError(
      'HTTP_ERROR',
      `${where} failed: ${status} redirect to an invalid Location ${location}`,
      {
        address: redactUrl(start.href),
        status,
        actual: location,
        cause,
      },
    );
  }
  if (next.protocol !== 'https:' && next.protocol !== 'http:') {
    throw new AirgapError('HTTP_ERROR', `${where} failed: redirect to unsupported scheme ${next.protocol}`, {
      address: redactUrl(start.href),
      status,
      actual: next.protocol,
    });
  }
  // A downgrade would expose the request (and any later redirect) to the network.
  if (from.protocol === 'https:' && next.protocol === 'http:') {
    throw new AirgapError(
      'HTTP_ERROR',
      `${where} failed: refusing redirect from https to http (${redactUrl(next.href)})`,
      { address: redactUrl(start.href), status, expected: 'https:', actual: 'http:' },
    );
  }
  next.hash = '';
  return next;
}

function withoutCredentials(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !CREDENTIAL_HEADERS.has(name)));
}

function statusError(start: URL, failure: StatusFailure, attempts: number): AirgapError {
  const via = failure.url === start.href ? '' : ` (at ${redactUrl(failure.url)})`;
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  return new AirgapError(
    'HTTP_ERROR',
    `GET ${redactUrl(start.href)} failed: ${failure.message}${via}${tries}`,
    {
      address: redactUrl(start.href),
      status: failure.status,
      actual: String(failure.status),
      cause: failure,
    },
  );
}

function connectionError(
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
    `GET ${redactUrl(start.href)}${at}${via}: ${failure.what}${tries}${code}${hint}`,
    {
      address: redactUrl(start.href),
      cause,
    },
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

function checkLength(opened: Opened, size: number): void {
  const declared = firstHeader(opened.response.headers['content-length']);
  if (declared === undefined || !/^\d+$/.test(declared)) return;
  const expected = Number(declared);
  if (expected !== size) throw new ShortBodyFailure(expected, size);
}

function statusText(response: Dispatcher.ResponseData, status: number): string {
  return response.statusText || STATUS_TEXT[status] || '';
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  410: 'Gone',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

function retryAfterMs(response: Dispatcher.ResponseData): number | undefined {
  const value = firstHeader(response.headers['retry-after'])?.trim();
  if (value === undefined || value === '') return undefined;
  if (/^\d+$/.test(value)) return Math.min(Number(value) * 1000, MAX_RETRY_AFTER_MS);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.min(Math.max(0, date - Date.now()), MAX_RETRY_AFTER_MS);
}

// Exponential with "equal jitter": never below half the step, so retries spread out
// without collapsing to zero.
function backoffMs(attempt: number, baseMs: number): number {
  const step = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** (attempt - 1));
  return step / 2 + Math.random() * (step / 2);
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
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
