// A real CNCF distribution registry (Debian's `docker-registry`) for tests: a
// temporary config and storage directory, 127.0.0.1 at a free port, optional
// htpasswd Basic auth, TLS, or token auth against startTokenServer(); stopped by the
// PID it started. Also the token server: a small node http server issuing ES256 JWTs
// signed with a fresh key whose self-signed certificate the registry trusts.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey, randomUUID, sign, X509Certificate } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { Agent, request } from 'undici';
import { createSelfSignedCert } from './tls.js';
import { makeTempDir } from './tmp.js';

const run = promisify(execFile);

export interface DockerRegistryOptions {
  htpasswd?: { username: string; password: string };
  tls?: boolean;
  token?: TokenServer;
}

export interface DockerRegistry {
  /** http://127.0.0.1:PORT (https:// with tls). */
  url: string;
  /** 127.0.0.1:PORT */
  host: string;
  storageDir: string;
  /** With tls: the PEM of the registry's self-signed certificate, for --ca-cert. */
  caCertPath?: string;
  /** Everything the registry printed so far (its access log included). */
  log(): string;
  /** `METHOD PATH?QUERY` of each request the registry's access log recorded, in order. */
  requests(): string[];
  stop(): Promise<void>;
}

export async function startDockerRegistry(options: DockerRegistryOptions = {}): Promise<DockerRegistry> {
  const dir = await makeTempDir('airgap-docker-registry-');
  const storageDir = path.join(dir, 'storage');
  await fs.mkdir(storageDir);
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const lines = [
    'version: 0.1',
    'log:',
    '  level: info',
    '  formatter: text',
    '  accesslog:',
    '    disabled: false',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${JSON.stringify(storageDir)}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${host}`,
    // Without a secret the registry makes a random one and warns; fixed keeps logs quiet.
    '  secret: airgap-test-secret',
  ];
  let caCertPath: string | undefined;
  if (options.tls) {
    const cert = await createSelfSignedCert(
      'airgap test docker-registry',
      undefined,
      await makeTempDir('airgap-cert-'),
    );
    caCertPath = cert.certPath;
    lines.push(
      '  tls:',
      `    certificate: ${JSON.stringify(cert.certPath)}`,
      `    key: ${JSON.stringify(cert.keyPath)}`,
    );
  }
  if (options.htpasswd !== undefined) {
    const { stdout } = await run('htpasswd', ['-Bbn', options.htpasswd.username, options.htpasswd.password]);
    const file = path.join(dir, 'htpasswd');
    await fs.writeFile(file, stdout.trim() + '\n');
    lines.push('auth:', '  htpasswd:', '    realm: airgap-test', `    path: ${JSON.stringify(file)}`);
  } else if (options.token !== undefined) {
    lines.push(
      'auth:',
      '  token:',
      `    realm: ${JSON.stringify(options.token.realm)}`,
      `    service: ${JSON.stringify(options.token.service)}`,
      `    issuer: ${JSON.stringify(options.token.issuer)}`,
      `    rootcertbundle: ${JSON.stringify(options.token.certPath)}`,
    );
  }
  const configPath = path.join(dir, 'config.yml');
  await fs.writeFile(configPath, lines.join('\n') + '\n');

  const child = spawn('docker-registry', ['serve', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const scheme = options.tls ? 'https' : 'http';
  const url = `${scheme}://${host}`;
  try {
    await waitForRegistry(url, child, () => output);
  } catch (error) {
    await stopChild(child, exited);
    throw error;
  }
  const registry: DockerRegistry = {
    url,
    host,
    storageDir,
    log: () => output,
    requests: () => accessLogRequests(output),
    stop: () => stopChild(child, exited),
  };
  if (caCertPath !== undefined) registry.caCertPath = caCertPath;
  return registry;
}

/** The access log is Apache combined format: `... "POST /v2/a/blobs/uploads/ HTTP/1.1" 202 ...`. */
function accessLogRequests(output: string): string[] {
  const found: string[] = [];
  for (const m of output.matchAll(/"(GET|HEAD|POST|PUT|PATCH|DELETE) (\S+) HTTP\/[0-9.]+" \d{3}/g)) {
    found.push(`${m[1]} ${m[2]}`);
  }
  return found;
}

async function waitForRegistry(url: string, child: ChildProcess, output: () => string): Promise<void> {
  // The readiness probe trusts any certificate: it only asks whether the port answers.
  const agent = new Agent({ connect: { rejectUnauthorized: false } });
  const deadline = Date.now() + 10_000;
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(
          `docker-registry exited (${child.exitCode ?? child.signalCode}) before serving:\n${output()}`,
        );
      }
      try {
        const response = await request(`${url}/v2/`, { dispatcher: agent });
        await response.body.dump();
        // 200 open, 401 when auth is configured: either way it is serving.
        if (response.statusCode === 200 || response.statusCode === 401) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline)
        throw new Error(`docker-registry did not answer ${url}/v2/ within 10 s:\n${output()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await agent.close();
  }
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined)
      process.kill(child.pid, 'SIGKILL');
  }, 5_000);
  await exited;
  clearTimeout(timer);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface TokenRequest {
  /** The Basic user, or undefined for an anonymous request. */
  username: string | undefined;
  service: string | null;
  scopes: string[];
  /** 200, or 401 for bad credentials. */
  status: number;
}

export interface TokenServer {
  /** http://127.0.0.1:PORT/token (https:// with tls: trust `certPath`, the same self-signed certificate). */
  realm: string;
  service: string;
  issuer: string;
  /** The signing certificate, for the registry's rootcertbundle. */
  certPath: string;
  requests: TokenRequest[];
  stop(): Promise<void>;
}

export interface TokenServerOptions {
  /** When set, requests must carry these Basic credentials; otherwise anonymous tokens are issued. */
  user?: { username: string; password: string };
  /** Answer with `access_token` instead of `token` (both are in the spec). */
  accessTokenField?: boolean;
  /** Serve https with the signing certificate (a client's login only goes to an https realm). */
  tls?: boolean;
}

/**
 * Issues JWTs the way docker/distribution's token auth expects: ES256, the signing
 * certificate in `x5c`, and an `access` claim granting every requested action.
 */
export async function startTokenServer(options: TokenServerOptions = {}): Promise<TokenServer> {
  const cert = await createSelfSignedCert(
    'airgap test token issuer',
    undefined,
    await makeTempDir('airgap-cert-'),
  );
  const key = createPrivateKey(cert.keyPem);
  const x5c = new X509Certificate(cert.certPem).raw.toString('base64');
  const service = 'airgap-test-registry';
  const issuer = 'airgap-test-issuer';
  const requests: TokenRequest[] = [];

  const handler: http.RequestListener = (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const auth = req.headers.authorization;
    let username: string | undefined;
    let password: string | undefined;
    if (auth?.startsWith('Basic ')) {
      const decoded = Buffer.from(auth.slice(6), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      username = decoded.slice(0, colon);
      password = decoded.slice(colon + 1);
    }
    const scopes = url.searchParams.getAll('scope');
    const allowed =
      options.user === undefined ||
      (username === options.user.username && password === options.user.password);
    requests.push({
      username,
      service: url.searchParams.get('service'),
      scopes,
      status: allowed ? 200 : 401,
    });
    if (url.pathname !== '/token' || !allowed) {
      res.writeHead(url.pathname !== '/token' ? 404 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }));
      return;
    }
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: issuer,
      sub: username ?? '',
      aud: service,
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: randomUUID(),
      access: scopes.map(parseScope).filter((a) => a !== undefined),
    };
    const header = { typ: 'JWT', alg: 'ES256', x5c: [x5c] };
    const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    // JWS ES256 wants the raw r||s signature, not DER.
    const signature = sign('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' });
    const token = `${signingInput}.${signature.toString('base64url')}`;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify(
        options.accessTokenField ? { access_token: token, expires_in: 300 } : { token, expires_in: 300 },
      ),
    );
  };
  const server = options.tls
    ? https.createServer({ key: cert.keyPem, cert: cert.certPem }, handler)
    : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    realm: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}/token`,
    service,
    issuer,
    certPath: cert.certPath,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function parseScope(scope: string): { type: string; name: string; actions: string[] } | undefined {
  // "repository:name/with/slashes:pull,push" — the name may not contain ':' but the type/actions split on the ends.
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last <= first) return undefined;
  return {
    type: scope.slice(0, first),
    name: scope.slice(first + 1, last),
    actions: scope.slice(last + 1).split(','),
  };
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}
