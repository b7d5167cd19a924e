// Real local servers for the HTTP adapter tests: an HTTPS origin that records what
// it was asked, and a tiny CONNECT proxy that records the tunnels it opened.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { TestCert } from '../../helpers/tls.js';

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

export interface TestServer {
  origin: string;
  port: number;
  requests: SeenRequest[];
  /** TCP connections accepted (a reused keep-alive connection counts once). */
  connections(): number;
  /** Sends a TCP RST on the connection carrying `req` (TLS sockets cannot reset themselves). */
  reset(req: http.IncomingMessage): void;
  close(): Promise<void>;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, index: number) => void;

export async function startHttpsServer(cert: TestCert, handler: Handler): Promise<TestServer> {
  const server = https.createServer({ key: cert.keyPem, cert: cert.certPem }, () => undefined);
  return listen(server, 'https', handler);
}

export async function startHttpServer(handler: Handler): Promise<TestServer> {
  return listen(http.createServer(), 'http', handler);
}

async function listen(
  server: http.Server | https.Server,
  scheme: string,
  handler: Handler,
): Promise<TestServer> {
  const requests: SeenRequest[] = [];
  let connections = 0;
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    handler(req, res, requests.length - 1);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `${scheme}://127.0.0.1:${port}`,
    port,
    requests,
    connections: () => connections,
    reset: (req) => {
      const raw = [...sockets].find((socket) => socket.remotePort === req.socket.remotePort);
      if (raw === undefined) throw new Error(`no raw socket for remote port ${req.socket.remotePort}`);
      raw.resetAndDestroy();
    },
    close: () => closeServer(server, sockets),
  };
}

export interface TestProxy {
  url: string;
  /** Request lines of plain-http requests forwarded in absolute form, e.g. "GET http://...". */
  forwards: string[];
  /** Request lines of the CONNECTs seen, e.g. "CONNECT 127.0.0.1:4443". */
  connects: string[];
  /** Headers of each CONNECT, to check nothing secret was sent in the clear. */
  connectHeaders: http.IncomingHttpHeaders[];
  close(): Promise<void>;
}

export async function startConnectProxy(): Promise<TestProxy> {
  const connects: string[] = [];
  const forwards: string[] = [];
  const connectHeaders: http.IncomingHttpHeaders[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    forwards.push(`${req.method} ${req.url}`);
    const upstream = http.request(req.url ?? '', { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    upstream.end();
  });
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    connects.push(`${req.method} ${req.url}`);
    connectHeaders.push(req.headers);
    const [host = '', port = ''] = (req.url ?? '').split(':');
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    forwards,
    connects,
    connectHeaders,
    close: () => closeServer(server, sockets),
  };
}

function closeServer(server: http.Server, sockets: Set<net.Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
