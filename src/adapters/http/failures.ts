// What went wrong with one attempt, in words a user can act on, and whether
// another attempt can help. Kept apart from the clients so the mapping from
// Node/undici error codes to messages is in one place.
import type { Dispatcher } from 'undici';

/** A non-2xx answer that ended an attempt (redirects are followed before this). */
export class StatusFailure extends Error {
  constructor(
    readonly status: number,
    readonly statusText: string,
    /** The URL that answered; differs from the requested one after redirects. */
    readonly url: string,
    readonly retryAfterMs: number | undefined,
  ) {
    super(`${status} ${statusText}`.trim());
    this.name = 'StatusFailure';
  }
}

/** The body ended before the Content-Length the server announced. */
export class ShortBodyFailure extends Error {
  readonly code = 'SHORT_BODY';
  constructor(
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`body ended after ${actual} of ${expected} bytes`);
    this.name = 'ShortBodyFailure';
  }
}

/**
 * A resumed download's answer does not continue the file where it stopped: a 206 whose
 * Content-Range starts elsewhere or names another total, or 416. The next attempt asks
 * for the whole file.
 */
export class RangeFailure extends Error {
  readonly code = 'RANGE_MISMATCH';
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`resume answer ${actual}, expected ${expected}`);
    this.name = 'RangeFailure';
  }
}

/**
 * A download's tap that wrote the file could not go on, for a reason of its own (the thread
 * writing was lost), not the file system's: the attempt ends, and the next one continues
 * from what the file holds, written by the client.
 */
export class TapFailure extends Error {
  constructor(readonly reason: unknown) {
    super(reason instanceof Error ? reason.message : String(reason));
    this.name = 'TapFailure';
  }
}

/** A redirect the transport will not follow: too many, no or a bad Location, or a downgrade to http. */
export class RedirectFailure extends Error {
  constructor(
    /** e.g. "more than 10 redirects (last at URL)"; URLs already redacted. */
    readonly reason: string,
    readonly status: number,
    readonly expected?: string,
    readonly actual?: string,
  ) {
    super(reason);
    this.name = 'RedirectFailure';
  }
}

/** A response body larger than the caller's cap (metadata read into memory). */
export class OversizeFailure extends Error {
  constructor(
    readonly limit: number,
    /** Bytes announced by Content-Length, or read before giving up when there was none. */
    readonly seen: number,
    readonly announced: boolean,
  ) {
    super(
      announced
        ? `response of ${seen} bytes (Content-Length) is over the ${limit}-byte limit`
        : `response is over the ${limit}-byte limit (${seen} bytes read, no Content-Length)`,
    );
    this.name = 'OversizeFailure';
  }
}

export interface Classified {
  /** e.g. "connection reset", "certificate not trusted". */
  what: string;
  /** The underlying code shown in parentheses, e.g. ECONNRESET. */
  code: string | undefined;
  retryable: boolean;
  /** A cap on attempts below the client's, for errors where many retries rarely help. */
  maxAttempts?: number;
  /** Text appended after the code, e.g. the --ca-cert hint. */
  hint?: string;
}

const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}

export function classifyError(error: unknown, timeouts: { connectMs: number; bodyMs: number }): Classified {
  const code = errorCode(error);
  const c = code ?? '';
  if (error instanceof ShortBodyFailure)
    return { what: 'body ended early', code: error.message, retryable: true };
  if (error instanceof RangeFailure)
    return {
      what: 'the resumed download did not fit the part already fetched',
      code: error.message,
      retryable: true,
    };
  if (error instanceof TapFailure)
    return { what: error.message, code: undefined, retryable: true, hint: 'run the command again' };
  if (UNTRUSTED.has(c)) {
    return {
      what: 'certificate not trusted',
      code,
      retryable: false,
      hint: 'pass --ca-cert FILE or set SSL_CERT_FILE',
    };
  }
  switch (c) {
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
      return { what: 'connection reset', code, retryable: true };
    case 'UND_ERR_SOCKET':
      return { what: 'connection closed early', code, retryable: true };
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
      return { what: 'body ended early', code, retryable: true };
    case 'ECONNREFUSED':
      // Usually a wrong host or port; a couple of tries covers a restarting server.
      return { what: 'connection refused', code, retryable: true, maxAttempts: 3 };
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return { what: `no connection within ${timeouts.connectMs} ms`, code, retryable: true };
    case 'UND_ERR_HEADERS_TIMEOUT':
      return { what: `no response headers within ${timeouts.bodyMs} ms`, code, retryable: true };
    case 'UND_ERR_BODY_TIMEOUT':
      return { what: `body stalled for more than ${timeouts.bodyMs} ms`, code, retryable: true };
    case 'EAI_AGAIN':
      return { what: 'DNS lookup failed', code, retryable: true, maxAttempts: 3 };
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
    case 'ENETDOWN':
    case 'EHOSTDOWN':
      return { what: 'network unreachable', code, retryable: true, maxAttempts: 3 };
    case 'ENOTFOUND':
      return { what: 'host not found', code, retryable: false };
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
      return { what: 'certificate not valid now', code, retryable: false };
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
    case 'UND_ERR_PRX_TLS':
      return { what: 'certificate does not match the host name', code, retryable: false };
    case 'UND_ERR_ABORTED': {
      // ProxyAgent reports a refused CONNECT as "Proxy response (502) !== 200 ...".
      const proxyStatus = /Proxy response \((\d+)\)/.exec(messageOf(error));
      if (proxyStatus) {
        const status = Number(proxyStatus[1]);
        return { what: `proxy refused the tunnel with ${status}`, code, retryable: status >= 500 };
      }
      return { what: messageOf(error), code, retryable: false };
    }
  }
  if (c.startsWith('ERR_SSL_') || c === 'EPROTO' || c.startsWith('ERR_TLS_')) {
    return { what: 'TLS handshake failed', code, retryable: false };
  }
  if (c.startsWith('HPE_')) return { what: 'malformed HTTP response', code, retryable: false };
  return { what: messageOf(error), code, retryable: false };
}

// Node and undici nest the real cause: AggregateError (happy eyeballs), error.cause.
function errorCode(error: unknown, depth = 0): string | undefined {
  if (depth > 4 || typeof error !== 'object' || error === null) return undefined;
  const e = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && e.code !== 'UND_ERR' && e.code !== 'UND_ERR_PRX_TLS') return e.code;
  const nested =
    errorCode(e.cause, depth + 1) ??
    (Array.isArray(e.errors) ? errorCode(e.errors[0], depth + 1) : undefined);
  return nested ?? (typeof e.code === 'string' ? e.code : undefined);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The reason phrase the server sent, or the standard one (HTTP/2 and some servers send none). */
export function statusTextOf(response: Dispatcher.ResponseData): string {
  return response.statusText || STATUS_TEXT[response.statusCode] || '';
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  413: 'Payload Too Large',
  416: 'Range Not Satisfiable',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};
