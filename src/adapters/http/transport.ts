// The one HTTP transport every network client sits on (the provider/release client in
// client.ts, the OCI registry client): undici pools with the shared trust store and
// proxy choice, redirects, and the credential rule. The rule lives here and nowhere
// else:
//   - a credential goes only to its own exact origin (scheme, host, port), and only
//     over https; an anonymous registry token (obtained without any user secret) may
//     also go over plain http to its own origin, as it reveals nothing;
//   - it is dropped for good on a redirect that leaves that origin;
//   - a redirect from https to http is refused, for every request;
//   - at most MAX_REDIRECTS redirects are followed.
// Registry clients decide which credential a request needs; whether it is sent is
// decided by mayCarry() here, hop by hop.
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { HttpObserver } from '../../core/ports.js';
import { redactUrl } from '../../core/redact.js';
import { createDispatchers } from './dispatchers.js';
import { OversizeFailure, RedirectFailure } from './failures.js';

export const MAX_REDIRECTS = 10;
/**
 * The cap on any response read into memory rather than streamed to disk: discovery,
 * versions and download JSON, SHA256SUMS and signatures, release lists, OCI indexes,
 * configs and token answers. terraform's index.json, the largest of these in practice,
 * is about 2 MB; a multi-hundred-megabyte answer is a broken or hostile server.
 */
export const MAX_METADATA_BYTES = 8 * 1024 * 1024;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Headers that carry credentials: only ever sent as a Credential, under mayCarry(). */
export const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'cookie',
  'proxy-authorization',
]);

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH';

export interface Credential {
  /** The exact origin the credential belongs to, as URL.origin spells it: "https://host[:port]". */
  origin: string;
  /** Header name (lower case) to value, e.g. { authorization: "Bearer ..." }. */
  headers: Record<string, string>;
  /** Obtained without any user secret (an anonymous registry token): may go over plain http to its origin. */
  anonymous?: boolean;
}

/** The credential rule: may `credential` go with a request to `url`? */
export function mayCarry(url: URL, credential: Pick<Credential, 'origin' | 'anonymous'>): boolean {
  if (url.origin !== credential.origin) return false;
  return url.protocol === 'https:' || (url.protocol === 'http:' && credential.anonymous === true);
}

/**
 * Splits caller headers into plain ones and a Credential bound to `url`'s origin
 * (the HttpClient port's contract: credential headers are meant for the URL asked for).
 */
export function bindCredentialHeaders(
  headers: Record<string, string>,
  url: URL,
): { plain: Record<string, string>; credential: Credential | undefined } {
  const plain: Record<string, string> = {};
  const secret: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (CREDENTIAL_HEADERS.has(lower)) secret[lower] = value;
    else plain[lower] = value;
  }
  const credential = Object.keys(secret).length === 0 ? undefined : { origin: url.origin, headers: secret };
  return { plain, credential };
}

export interface TransportOptions {
  userAgent: string;
  /** HTTPS_PROXY, HTTP_PROXY, NO_PROXY, SSL_CERT_FILE, NODE_EXTRA_CA_CERTS are read from here only. */
  env?: Record<string, string | undefined>;
  caCertFiles?: string[];
  connectTimeoutMs: number;
  /** Idle time allowed for headers and between body chunks. */
  bodyTimeoutMs: number;
  connections: number;
  /** Told of every request, hop by hop, with its redacted URL and status (--verbose). */
  observer?: HttpObserver;
}

export interface TransportRequest {
  method: Method;
  url: URL;
  /** Plain headers; credential headers here are a bug (they go in `credential`). */
  headers?: Record<string, string>;
  credential?: Credential;
  body?: Uint8Array | Readable | null;
  /**
   * Follow redirects (default: for GET only). Uploads keep their 3xx for the caller,
   * and so does HEAD: a presigned URL is signed for GET, so a CDN may refuse HEAD.
   * HttpClient.head asks to follow (it probes what a GET would fetch) and reads such a
   * refusal as "size unknown".
   */
  followRedirects?: boolean;
}

/** Where a request got to, updated hop by hop, for messages about a failure on the way. */
export interface Trail {
  url: URL;
  proxy?: string | undefined;
}

export interface Opened {
  response: Dispatcher.ResponseData;
  /** The URL that answered, after redirects. */
  url: URL;
  /** The credential went with the request that got this answer. */
  credentialSent: boolean;
  /** A credential for this very host and port was held back because the URL is plain http. */
  credentialWithheld: boolean;
}

export interface Transport {
  /** One request, redirects followed; non-2xx answers are returned, not thrown. Throws RedirectFailure or undici's errors. */
  open(request: TransportRequest, trail?: Trail): Promise<Opened>;
  close(): Promise<void>;
}

export function createTransport(options: TransportOptions): Transport {
  const dispatchers = createDispatchers({
    env: options.env ?? {},
    caCertFiles: options.caCertFiles ?? [],
    connectTimeoutMs: options.connectTimeoutMs,
    bodyTimeoutMs: options.bodyTimeoutMs,
    connections: options.connections,
  });

  // Only the redacted URL leaves the transport: the observer may print it.
  function observe(method: Method, url: URL, outcome: { status: number } | { error: string }): void {
    options.observer?.onRequest?.({ method, url: redactUrl(url.href), ...outcome });
  }

  return {
    async open(request, trail = { url: request.url }) {
      const follow = request.followRedirects ?? request.method === 'GET';
      const plain: Record<string, string> = { 'user-agent': options.userAgent };
      for (const [name, value] of Object.entries(request.headers ?? {})) {
        const lower = name.toLowerCase();
        if (CREDENTIAL_HEADERS.has(lower)) {
          throw new Error(`transport: the ${lower} header must travel as a Credential`);
        }
        plain[lower] = value;
      }
      let credential = request.credential;
      let url = request.url;
      for (let hop = 0; ; hop++) {
        const { dispatcher, proxy } = await dispatchers.forUrl(url);
        trail.url = url;
        trail.proxy = proxy;
        const sent = credential !== undefined && mayCarry(url, credential);
        const withheld =
          credential !== undefined && !sent && url.origin === credential.origin && url.protocol === 'http:';
        let response: Dispatcher.ResponseData;
        try {
          response = await dispatcher.request({
            origin: url.origin,
            path: `${url.pathname}${url.search}`,
            method: request.method,
            headers: sent ? { ...plain, ...credential?.headers } : plain,
            body: request.body ?? null,
          });
        } catch (error) {
          observe(request.method, url, { error: errorName(error) });
          throw error;
        }
        observe(request.method, url, { status: response.statusCode });
        if (!follow || !REDIRECT_STATUSES.has(response.statusCode)) {
          return { response, url, credentialSent: sent, credentialWithheld: withheld };
        }
        await response.body.dump().catch(() => undefined);
        const next = redirectTarget(url, response, hop);
        // Once off the credential's origin, it stays off: the next server chose the way back.
        if (credential !== undefined && next.origin !== credential.origin) credential = undefined;
        url = next;
      }
    },
    close: () => dispatchers.close(),
  };
}

function errorName(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown };
  if (typeof e?.code === 'string') return e.code;
  return typeof e?.message === 'string' ? e.message : String(error);
}

function redirectTarget(from: URL, response: Dispatcher.ResponseData, hop: number): URL {
  const status = response.statusCode;
  if (hop + 1 > MAX_REDIRECTS) {
    throw new RedirectFailure(
      `more than ${MAX_REDIRECTS} redirects (last at ${redactUrl(from.href)})`,
      status,
      `<= ${MAX_REDIRECTS} redirects`,
    );
  }
  const location = header(response, 'location');
  if (location === undefined || location === '') {
    throw new RedirectFailure(
      `${status} redirect from ${redactUrl(from.href)} has no Location header`,
      status,
    );
  }
  let next: URL;
  try {
    next = new URL(location, from);
  } catch {
    throw new RedirectFailure(
      `${status} redirect to an invalid Location ${redactUrl(location)}`,
      status,
      'a URL',
      redactUrl(location),
    );
  }
  if (next.protocol !== 'https:' && next.protocol !== 'http:') {
    throw new RedirectFailure(
      `redirect to unsupported scheme ${next.protocol}`,
      status,
      'http: or https:',
      next.protocol,
    );
  }
  // A downgrade would expose the request, and anything a later hop asks for, to the network.
  if (from.protocol === 'https:' && next.protocol === 'http:') {
    throw new RedirectFailure(
      `refusing redirect from https to http (${redactUrl(next.href)})`,
      status,
      'https:',
      'http:',
    );
  }
  next.hash = '';
  return next;
}

/**
 * Reads a whole body into memory, refusing one over `limit` bytes: up front when
 * Content-Length says so, else as soon as the bytes read pass it. Throws OversizeFailure.
 */
export async function readCapped(response: Dispatcher.ResponseData, limit: number): Promise<Buffer> {
  const declared = header(response, 'content-length');
  if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) > limit) {
    response.body.destroy();
    throw new OversizeFailure(limit, Number(declared), true);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      response.body.destroy();
      throw new OversizeFailure(limit, size, false);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

export function header(response: Dispatcher.ResponseData, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
