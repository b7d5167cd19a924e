// The AWS SDK's HTTP handler on this tool's own connection pools (adapters/http/
// dispatchers.ts), so S3 requests get the same trust store (--ca-cert, SSL_CERT_FILE,
// NODE_EXTRA_CA_CERTS) and the same proxy choice (HTTPS_PROXY, NO_PROXY) as every
// other request. Redirects are not followed here: the SDK handles S3's own. A body may
// also be a list of buffers (an upload part's pieces, multipart.ts): undici sends them
// one after the other.

import type { Readable } from 'node:stream';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
// Types only (erased at run time): the shapes the SDK hands its handler.
import type { HttpHandlerOptions, HttpRequest as SdkRequest, HttpResponse } from '@smithy/types';
import type { Dispatchers } from '../http/dispatchers.js';

type SdkHttpHandler = Extract<NonNullable<S3ClientConfig['requestHandler']>, { handle: unknown }>;

// undici refuses these as request headers: it manages connections and Expect itself.
const DROPPED_HEADERS = new Set(['expect', 'connection', 'keep-alive', 'transfer-encoding', 'upgrade']);

/** RFC 3986 encoding, as SigV4 canonicalises query strings. */
function encode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function queryString(query: SdkRequest['query'] = {}): string {
  const pairs: string[] = [];
  for (const name of Object.keys(query).sort()) {
    const value = query[name];
    if (value === null || value === undefined) pairs.push(encode(name));
    else if (Array.isArray(value)) for (const v of value) pairs.push(`${encode(name)}=${encode(v)}`);
    else pairs.push(`${encode(name)}=${encode(value)}`);
  }
  return pairs.length === 0 ? '' : `?${pairs.join('&')}`;
}

function requestUrl(request: SdkRequest): URL {
  const port = request.port === undefined ? '' : `:${request.port}`;
  return new URL(
    `${request.protocol}//${request.hostname}${port}${request.path}${queryString(request.query)}`,
  );
}

function responseHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

export function createSdkHttpHandler(dispatchers: Dispatchers): SdkHttpHandler {
  return {
    async handle(request: SdkRequest, options?: HttpHandlerOptions): Promise<{ response: HttpResponse }> {
      const url = requestUrl(request);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        if (!DROPPED_HEADERS.has(name.toLowerCase())) headers[name] = value;
      }
      const signal = options?.abortSignal;
      const { dispatcher } = await dispatchers.forUrl(url);
      const answer = await dispatcher.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: request.method as 'GET',
        headers,
        body: (request.body ?? null) as string | Uint8Array | Readable | null,
        ...(signal instanceof AbortSignal ? { signal } : {}),
      });
      return {
        response: {
          statusCode: answer.statusCode,
          headers: responseHeaders(answer.headers),
          body: answer.body,
        },
      };
    },
    updateHttpClientConfig() {
      // Pools are configured once, by the dispatchers.
    },
    httpHandlerConfigs() {
      return {};
    },
    destroy() {
      // The dispatchers belong to the S3 connection, which closes them.
    },
  };
}
