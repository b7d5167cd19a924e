// Real local servers for the HTTP adapter tests: an HTTPS origin that records what
// it was asked, one that also speaks plain http on the same port (the same host:port
// under two schemes), and a tiny CONNECT proxy that records the tunnels it opened.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { TestCert } from '../../helpers/tls.js';

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  /** 'https' or 'http': how the request arrived. */
  scheme: string;
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
    const scheme = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, scheme });
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

export interface DualServer extends TestServer {
  /** http://127.0.0.1:PORT: the same host and port as `origin`, without TLS. */
  plainOrigin: string;
}

/**
 * https://127.0.0.1:PORT and http://127.0.0.1:PORT from one listening socket: the
 * first byte of each connection says which (22 opens a TLS handshake). This is the
 * "same host, other scheme" case a host-only comparison mistakes for the same origin.
 */
export async function startDualServer(cert: TestCert, handler: Handler): Promise<DualServer> {
  const tls = https.createServer({ key: cert.keyPem, cert: cert.certPem });
  const plain = http.createServer();
  const requests: SeenRequest[] = [];
  let connections = 0;
  const sockets = new Set<net.Socket>();
  for (const server of [tls, plain]) {
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      const scheme = server === tls ? 'https' : 'http';
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, scheme });
      handler(req, res, requests.length - 1);
    });
  }
  const front = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.once('data', (first: Buffer) => {
      socket.pause();
      socket.unshift(first);
      (first[0] === 22 ? tls : plain).emit('connection', socket);
      process.nextTick(() => socket.resume());
    });
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  const port = (front.address() as AddressInfo).port;
  return {
    origin: `https://127.0.0.1:${port}`,
    plainOrigin: `http://127.0.0.1:${port}`,
    port,
    requests,
    connections: () => connections,
    reset: () => {
      throw new Error('reset is not supported on the dual server');
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      tls.closeAllConnections();
      plain.closeAllConnections();
      await new Promise<void>((resolve) => front.close(() => resolve()));
    },
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
