// The HTTPS server of `airgap serve`: node's https module, one handler per request.
// Per request: the path is checked (src/core/serve/request-path.ts), the served view is
// taken (the live generation at this moment), the route decided (src/core/serve/routes.ts),
// the file opened before any byte is sent, conditional and Range headers applied, and the
// body pumped from that open file. close() stops accepting, lets requests in flight
// finish, and closes idle keep-alive connections.

import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServeCatalogue } from '../../core/serve/catalogue.js';
import { decideRange, etagOf, ifRangeAllows, noneMatchHits } from '../../core/serve/range.js';
import { parseRequestPath } from '../../core/serve/request-path.js';
import { ALLOWED_METHODS, route } from '../../core/serve/routes.js';
import { pumpFile } from './body-pump.js';
import { openServed } from './open-served.js';

/** What a request is answered from: the root (its realpath) and what may be served from it. */
export interface ServeView {
  realRoot: string;
  catalogue: ServeCatalogue;
}

export interface RequestLog {
  method: string;
  /** The request target as sent, at most 300 characters. */
  target: string;
  status: number;
  /** Body bytes sent. */
  bytes: number;
  remote: string;
  /** Why a request was refused, for 4xx/5xx. */
  reason?: string;
}

export interface HttpsServerOptions {
  host: string;
  port: number;
  cert: string;
  key: string;
  /** The view for a request arriving now. */
  view(): Promise<ServeView>;
  /** "https://HOST:PORT": the base of X-Terraform-Get when the Host header is unusable. */
  baseUrl: string;
  onRequest?(log: RequestLog): void;
}

export interface RunningServer {
  /** The bound port (the one asked for, or the kernel's choice for 0). */
  port: number;
  /** Stops accepting; resolves once every request in flight has finished. */
  close(): Promise<void>;
}

export async function startHttpsServer(options: HttpsServerOptions): Promise<RunningServer> {
  let closing = false;
  // Answers not yet logged: close() waits for them too, not only for the sockets, so that
  // each request's log line is out before close() resolves.
  let answering = 0;
  let allAnswered: (() => void) | undefined;
  const server = https.createServer({ cert: options.cert, key: options.key }, (req, res) => {
    answering++;
    if (closing) res.setHeader('Connection', 'close');
    // Read now: once the client has gone the socket no longer knows it.
    const remote = req.socket.remoteAddress ?? '';
    const log = (status: number, bytes: number, reason?: string): void =>
      options.onRequest?.({
        method: req.method ?? '',
        target: (req.url ?? '').slice(0, 300),
        status,
        bytes,
        remote,
        ...(reason === undefined ? {} : { reason }),
      });
    answer(req, res, options)
      .then(({ status, bytes, reason }) => log(status, bytes, reason))
      .catch((e: unknown) => {
        // The client went away mid-body, or the file could not be read: nothing more to send.
        if (!res.headersSent) {
          res.statusCode = 500;
          res.end();
        } else res.destroy();
        log(res.statusCode, 0, (e as Error).message);
      })
      .finally(() => {
        if (--answering === 0) allAnswered?.();
        if (closing) server.closeIdleConnections();
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
      if (answering > 0) await new Promise<void>((resolve) => (allAnswered = resolve));
    },
  };
}

interface Outcome {
  status: number;
  bytes: number;
  reason?: string;
}

async function answer(
  req: IncomingMessage,
  res: ServerResponse,
  options: HttpsServerOptions,
): Promise<Outcome> {
  const method = req.method ?? '';
  const fail = (status: number, reason: string, extra: Record<string, string> = {}): Outcome => {
    const body = `${status === 405 ? 'method not allowed' : reason}\n`;
    res.writeHead(status, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      ...extra,
    });
    res.end(method === 'HEAD' ? undefined : body);
    return { status, bytes: 0, reason };
  };
  const parsed = parseRequestPath(req.url ?? '');
  if (!parsed.ok) return fail(parsed.status, parsed.reason);
  const view = await options.view();
  const decision = route(method, parsed.segments, view.catalogue, baseUrlOf(req, options.baseUrl));
  switch (decision.kind) {
    case 'error':
      return fail(
        decision.status,
        decision.reason,
        decision.status === 405 ? { Allow: ALLOWED_METHODS.join(', ') } : {},
      );
    case 'json': {
      const body = Buffer.from(decision.body);
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
      res.end(method === 'HEAD' ? undefined : body);
      return { status: 200, bytes: method === 'HEAD' ? 0 : body.length };
    }
    case 'download':
      res.writeHead(204, { 'X-Terraform-Get': decision.location });
      res.end();
      return { status: 204, bytes: 0 };
    case 'file':
      break;
  }
  const { file: served, contentType } = decision;
  const opened = await openServed(view.realRoot, served.path);
  if (!opened.ok) return fail(opened.status, opened.reason);
  const { file, stats } = opened;
  const size = stats.size;
  if (served.size !== undefined && served.size !== size) {
    await file.close();
    return fail(
      500,
      `${served.path} is ${size} bytes, but the catalogue records ${served.size}: it changed since`,
    );
  }
  const etag = served.sha256 === undefined ? undefined : etagOf(served.sha256);
  const headers: Record<string, string | number> = {
    'Content-Type': contentType,
    'Accept-Ranges': 'bytes',
    'Last-Modified': stats.mtime.toUTCString(),
    ...(etag === undefined ? {} : { ETag: etag }),
  };
  if (etag !== undefined && noneMatchHits(header(req, 'if-none-match'), etag)) {
    await file.close();
    res.writeHead(304, { ETag: etag });
    res.end();
    return { status: 304, bytes: 0 };
  }
  const range = ifRangeAllows(header(req, 'if-range'), etag)
    ? decideRange(header(req, 'range'), size)
    : ({ kind: 'full' } as const);
  if (range.kind === 'unsatisfiable') {
    await file.close();
    return fail(416, 'range not satisfiable', { 'Content-Range': `bytes */${size}` });
  }
  const [status, start, end] = range.kind === 'partial' ? [206, range.start, range.end] : [200, 0, size - 1];
  if (range.kind === 'partial') headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
  headers['Content-Length'] = end - start + 1;
  res.writeHead(status, headers);
  if (method === 'HEAD') {
    await file.close();
    res.end();
    return { status, bytes: 0 };
  }
  await pumpFile(file, { start, end }, res);
  return { status, bytes: end - start + 1 };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

// The Host the client used names us as it reaches us; only a plain host[:port] is taken.
const HOST_HEADER = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

function baseUrlOf(req: IncomingMessage, fallback: string): string {
  const host = req.headers.host;
  return host !== undefined && HOST_HEADER.test(host) ? `https://${host}` : fallback;
}
