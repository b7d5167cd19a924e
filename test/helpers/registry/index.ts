// A faithful Provider Registry Protocol v1 server over HTTPS on 127.0.0.1, for
// integration, end-to-end (real terraform), demo and bench runs. It serves
// deterministic packages with signed SHA256SUMS, and injects faults on demand.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateSigningKey, signDetached, type TestKey } from '../pgp.js';
import { createSelfSignedCert } from '../tls.js';
import { sendBody, sourceSize, type BodyBehaviour, type BodySource } from './body.js';
import { buildPackages } from './packages.js';
import type {
  FaultKind,
  FaultRule,
  RequestLogEntry,
  TestPackage,
  TestProviderSpec,
  TestRegistry,
  TestRegistryOptions,
} from './types.js';

export type {
  FaultKind,
  FaultRule,
  RequestLogEntry,
  TestPackage,
  TestProviderSpec,
  TestRegistry,
  TestRegistryOptions,
} from './types.js';
export { executableName, hash1, packageFilename } from './packages.js';

export const DEFAULT_REGISTRY_HOSTNAME = 'registry.airgap.test';
export const SERVICES_PATH = '/v1/providers/';
/** Where the zips and sums live on this server; any path works for clients, which follow the absolute URLs. */
export const FILES_PATH = '/files/';
export const PROTOCOLS: readonly string[] = ['5.0'];

const PLATFORM_RE = /^[a-z0-9]+_[a-z0-9]+$/;

type RouteKind = 'discovery' | 'versions' | 'download' | 'zip' | 'sums' | 'sig' | 'unknown';

interface Route {
  kind: RouteKind;
  /** Path segments after the route's prefix. */
  parts: string[];
}

interface ProviderEntry {
  spec: TestProviderSpec;
  /** version -> platform -> package */
  versions: Map<string, Map<string, TestPackage>>;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: BodySource;
}

interface ActiveFault {
  rule: FaultRule;
  remaining: number;
}

function jsonAnswer(status: number, value: unknown, headers: Record<string, string> = {}): Answer {
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: { kind: 'buffer', data: Buffer.from(JSON.stringify(value)) },
  };
}

function notFound(): Answer {
  return jsonAnswer(404, { errors: ['Not Found'] });
}

function classify(pathname: string): Route {
  if (pathname === '/.well-known/terraform.json') return { kind: 'discovery', parts: [] };
  if (pathname.startsWith(SERVICES_PATH)) {
    const parts = pathname.slice(SERVICES_PATH.length).split('/');
    if (parts.length === 3 && parts[2] === 'versions') return { kind: 'versions', parts };
    if (parts.length === 6 && parts[3] === 'download') return { kind: 'download', parts };
    return { kind: 'unknown', parts };
  }
  if (pathname.startsWith(FILES_PATH)) {
    const parts = pathname.slice(FILES_PATH.length).split('/');
    const name = parts.length === 4 ? (parts[3] ?? '') : '';
    if (name.endsWith('.zip')) return { kind: 'zip', parts };
    if (name.endsWith('_SHA256SUMS')) return { kind: 'sums', parts };
    if (name.endsWith('_SHA256SUMS.sig')) return { kind: 'sig', parts };
  }
  return { kind: 'unknown', parts: [] };
}

// Content faults only make sense on one kind of route; elsewhere they neither fire nor get used up.
function faultApplies(kind: FaultKind, route: RouteKind): boolean {
  if (kind === 'tamper-package') return route === 'zip';
  if (kind === 'wrong-signature') return route === 'sig';
  if (kind === 'wrong-shasum') return route === 'download';
  return true;
}

function matches(rule: FaultRule, pathname: string): boolean {
  return typeof rule.match === 'string' ? pathname.includes(rule.match) : rule.match.test(pathname);
}

function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * `Range: bytes=N-` or `bytes=N-M` on a file answer that has an ETag (ranges are on):
 * 206 with that part, or 416 past the end. An If-Range other than the ETag gets the
 * whole file, as RFC 9110 says; so does any other Range form (a server may ignore Range).
 */
function ranged(req: IncomingMessage, reply: Answer): Answer {
  const etag = reply.headers['etag'];
  const range = req.headers.range;
  if (reply.status !== 200 || etag === undefined || range === undefined) return reply;
  const ifRange = req.headers['if-range'];
  if (ifRange !== undefined && ifRange !== etag) return reply;
  const m = /^bytes=(\d+)-(\d*)$/.exec(range);
  if (m === null) return reply;
  const size = sourceSize(reply.body);
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) {
    return {
      status: 416,
      headers: { 'content-range': `bytes */${size}` },
      body: { kind: 'buffer', data: Buffer.alloc(0) },
    };
  }
  const length = end - start + 1;
  const body: BodySource =
    reply.body.kind === 'buffer'
      ? { kind: 'buffer', data: reply.body.data.subarray(start, end + 1) }
      : { kind: 'file', path: reply.body.path, size: length, start: (reply.body.start ?? 0) + start };
  return {
    status: 206,
    headers: { ...reply.headers, 'content-range': `bytes ${start}-${end}/${size}` },
    body,
  };
}

function sumsName(type: string, version: string): string {
  return `terraform-provider-${type}_${version}_SHA256SUMS`;
}

/** One coreutils line per platform zip, sorted by file name as release tooling writes them. */
function sumsText(pkgs: Iterable<TestPackage>): Buffer {
  const lines = [...pkgs]
    .sort((a, b) => (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0))
    .map((p) => `${p.sha256}  ${p.filename}\n`);
  return Buffer.from(lines.join(''));
}

function otherHexDigest(hex: string): string {
  const last = hex.slice(-1);
  return hex.slice(0, -1) + ((parseInt(last, 16) + 1) % 16).toString(16);
}

function indexProviders(specs: TestProviderSpec[], packages: TestPackage[]): Map<string, ProviderEntry> {
  const byKey = new Map<string, ProviderEntry>();
  for (const spec of specs) {
    const key = `${spec.namespace}/${spec.type}`.toLowerCase();
    if (byKey.has(key)) throw new Error(`test registry: provider ${key} is listed twice`);
    for (const platform of spec.platforms) {
      if (!PLATFORM_RE.test(platform))
        throw new Error(`test registry: platform "${platform}" is not os_arch`);
    }
    byKey.set(key, {
      spec,
      versions: new Map(spec.versions.map((v) => [v, new Map<string, TestPackage>()])),
    });
  }
  for (const pkg of packages) {
    byKey
      .get(`${pkg.namespace}/${pkg.type}`.toLowerCase())
      ?.versions.get(pkg.version)
      ?.set(pkg.platform, pkg);
  }
  return byKey;
}

export async function startTestRegistry(options: TestRegistryOptions): Promise<TestRegistry> {
  const hostname = options.hostname ?? DEFAULT_REGISTRY_HOSTNAME;
  const ownWorkDir = options.workDir === undefined;
  const workDir = options.workDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'airgap-registry-')));
  await fs.mkdir(workDir, { recursive: true });
  const [cert, signingKey, packages] = await Promise.all([
    createSelfSignedCert(),
    options.signingKey ??
      // Back-dated a minute so a signature made "now" is never older than its key on a skewed clock.
      generateSigningKey({ name: 'airgap test registry', date: new Date(Date.now() - 60_000) }),
    buildPackages(options.providers, workDir),
  ]);
  const providers = indexProviders(options.providers, packages);
  const requests: RequestLogEntry[] = [];
  const inFlight = { packages: 0, maxPackages: 0 };
  let faults: ActiveFault[] = [];
  const signatures = new Map<string, Promise<Uint8Array>>();
  let wrongKey: Promise<TestKey> | undefined;
  let url = '';

  // What a file server that does ranges says about a file; nothing when ranges are off.
  function validators(sha256: string): Record<string, string> {
    if (options.ranges === false) return {};
    return { 'accept-ranges': 'bytes', etag: `"${sha256.slice(0, 32)}"` };
  }

  function takeFault(pathname: string, route: RouteKind): FaultRule | undefined {
    const found = faults.find(
      (f) => f.remaining > 0 && faultApplies(f.rule.kind, route) && matches(f.rule, pathname),
    );
    if (found === undefined) return undefined;
    found.remaining -= 1;
    return found.rule;
  }

  function lookup(parts: string[]): { entry: ProviderEntry; version?: Map<string, TestPackage> } | undefined {
    const entry = providers.get(`${parts[0] ?? ''}/${parts[1] ?? ''}`.toLowerCase());
    if (entry === undefined) return undefined;
    return { entry, version: entry.versions.get(parts[2] ?? '') };
  }

  function fileUrl(spec: TestProviderSpec, version: string, name: string): string {
    return `${url}${FILES_PATH}${spec.namespace}/${spec.type}/${version}/${name}`;
  }

  function signatureOf(key: string, sums: Buffer, wrong: boolean): Promise<Uint8Array> {
    if (wrong) {
      wrongKey ??= generateSigningKey({ name: 'not the registry key', email: 'impostor@airgap.test' });
      return wrongKey.then((k) => signDetached(sums, k));
    }
    let sig = signatures.get(key);
    if (sig === undefined) {
      sig = signDetached(sums, signingKey);
      signatures.set(key, sig);
    }
    return sig;
  }

  function versionsAnswer(parts: string[]): Answer {
    const found = lookup(parts);
    if (found === undefined) return notFound();
    const versions = found.entry.spec.versions.map((version) => ({
      version,
      protocols: [...PROTOCOLS],
      platforms: found.entry.spec.platforms.map((p) => {
        const [os, arch] = p.split('_');
        return { os, arch };
      }),
    }));
    return jsonAnswer(200, { versions });
  }

  function downloadAnswer(parts: string[], fault: FaultRule | undefined): Answer {
    const found = lookup(parts);
    const pkg = found?.version?.get(`${parts[4] ?? ''}_${parts[5] ?? ''}`);
    if (found === undefined || found.version === undefined || pkg === undefined) return notFound();
    const { spec } = found.entry;
    const sums = sumsName(spec.type, pkg.version);
    const body: Record<string, unknown> = {
      protocols: [...PROTOCOLS],
      os: parts[4],
      arch: parts[5],
      filename: pkg.filename,
      download_url: fileUrl(spec, pkg.version, pkg.filename),
      shasums_url: fileUrl(spec, pkg.version, sums),
      shasums_signature_url: fileUrl(spec, pkg.version, `${sums}.sig`),
      shasum: fault?.kind === 'wrong-shasum' ? otherHexDigest(pkg.sha256) : pkg.sha256,
      signing_keys: {
        gpg_public_keys: [
          {
            key_id: signingKey.keyId,
            ascii_armor: signingKey.publicKeyArmored,
            trust_signature: '',
            source: 'airgap-test',
            source_url: null,
          },
        ],
      },
    };
    if (options.packagesExtension === true) {
      const all = [...found.version.values()].sort((a, b) => (a.platform < b.platform ? -1 : 1));
      body['packages'] = Object.fromEntries(
        all.map((p) => [p.platform, { hashes: [`zh:${p.sha256}`, p.h1], package_size: p.size }]),
      );
    }
    return jsonAnswer(200, body);
  }

  async function fileAnswer(route: Route, fault: FaultRule | undefined): Promise<Answer> {
    const found = lookup(route.parts);
    if (found === undefined || found.version === undefined) return notFound();
    const { spec } = found.entry;
    const version = route.parts[2] ?? '';
    const name = route.parts[3] ?? '';
    const sums = sumsName(spec.type, version);
    if (route.kind === 'zip') {
      const pkg = [...found.version.values()].find((p) => p.filename === name);
      if (pkg === undefined) return notFound();
      return {
        status: 200,
        headers: { 'content-type': 'application/zip', ...validators(pkg.sha256) },
        body: { kind: 'file', path: pkg.path, size: pkg.size },
      };
    }
    if (route.kind === 'sums' && name === sums) {
      const data = sumsText(found.version.values());
      return {
        status: 200,
        headers: { 'content-type': 'text/plain; charset=utf-8', ...validators(sha256Hex(data)) },
        body: { kind: 'buffer', data },
      };
    }
    if (route.kind === 'sig' && name === `${sums}.sig`) {
      const key = `${spec.namespace}/${spec.type}/${version}`;
      const sig = await signatureOf(key, sumsText(found.version.values()), fault?.kind === 'wrong-signature');
      return {
        status: 200,
        headers: { 'content-type': 'application/octet-stream', ...validators(sha256Hex(sig)) },
        body: { kind: 'buffer', data: Buffer.from(sig) },
      };
    }
    return notFound();
  }

  async function answer(req: IncomingMessage, route: Route, fault: FaultRule | undefined): Promise<Answer> {
    if (fault?.kind === 'status') {
      const headers: Record<string, string> =
        fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) };
      return jsonAnswer(fault.status, { errors: [`injected fault: status ${fault.status}`] }, headers);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return jsonAnswer(405, { errors: ['Method Not Allowed'] }, { allow: 'GET, HEAD' });
    }
    const isApi =
      route.kind === 'versions' || route.kind === 'download' || (req.url ?? '').startsWith(SERVICES_PATH);
    if (options.token !== undefined && isApi && req.headers.authorization !== `Bearer ${options.token}`) {
      return jsonAnswer(401, { errors: ['Unauthorized'] }, { 'www-authenticate': 'Bearer' });
    }
    switch (route.kind) {
      case 'discovery':
        return jsonAnswer(200, { 'providers.v1': SERVICES_PATH });
      case 'versions':
        return versionsAnswer(route.parts);
      case 'download':
        return downloadAnswer(route.parts, fault);
      case 'zip':
      case 'sums':
      case 'sig':
        return fileAnswer(route, fault);
      case 'unknown':
        return notFound();
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const entry: RequestLogEntry = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: { ...req.headers },
      status: 0,
      waitedMs: 0,
      writes: [],
    };
    requests.push(entry);
    res.on('error', () => undefined);
    const pathname = new URL(req.url ?? '/', 'https://127.0.0.1').pathname;
    const route = classify(pathname);
    // From the request's arrival until the body is ended or cut (before the client can see the end).
    const counted = route.kind === 'zip' && req.method === 'GET';
    if (counted) {
      inFlight.packages += 1;
      inFlight.maxPackages = Math.max(inFlight.maxPackages, inFlight.packages);
    }
    try {
      await answerRequest(req, res, entry, pathname, route);
    } finally {
      if (counted) inFlight.packages -= 1;
    }
  }

  async function answerRequest(
    req: IncomingMessage,
    res: ServerResponse,
    entry: RequestLogEntry,
    pathname: string,
    route: Route,
  ): Promise<void> {
    const fault = takeFault(pathname, route.kind);
    if (fault !== undefined) entry.fault = fault.kind;
    entry.waitedMs = (options.shaping?.latencyMs ?? 0) + (fault?.kind === 'delay' ? fault.ms : 0);
    if (entry.waitedMs > 0) await sleep(entry.waitedMs);
    const reply = ranged(req, await answer(req, route, fault));
    if (res.destroyed) return;
    const size = sourceSize(reply.body);
    const tamper = fault?.kind === 'tamper-package' && size > 0;
    entry.status = reply.status;
    res.writeHead(reply.status, { ...reply.headers, 'content-length': String(size) });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const rates = [
      options.shaping?.bytesPerSecondPerConnection,
      fault?.kind === 'slow-body' ? fault.bytesPerSecond : undefined,
    ];
    const rate = rates.filter((r): r is number => r !== undefined && r > 0).sort((a, b) => a - b)[0];
    if (rate !== undefined) entry.rate = rate;
    const behaviour: BodyBehaviour = {
      ...(rate === undefined ? {} : { rate }),
      ...(fault?.kind === 'reset-mid-body' ? { resetAfter: fault.at ?? Math.floor(size / 2) } : {}),
      ...(tamper ? { flipAt: Math.floor(size / 2) } : {}),
    };
    await sendBody(res, reply.body, behaviour, (n) => entry.writes.push(n));
  }

  const server = https.createServer(
    { key: cert.keyPem, cert: cert.certPem, keepAliveTimeout: 65_000 },
    (req, res) => {
      handle(req, res).catch(() => {
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ errors: ['Internal Server Error'] }));
          return;
        }
        res.destroy();
      });
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  url = `https://127.0.0.1:${port}`;

  return {
    url,
    port,
    hostname,
    caCertPath: cert.certPath,
    signingKey,
    packages,
    requests,
    inFlight,
    resetInFlight(): void {
      inFlight.maxPackages = inFlight.packages;
    },
    addFault(rule: FaultRule): void {
      faults.push({ rule, remaining: rule.times ?? Number.POSITIVE_INFINITY });
    },
    clearFaults(): void {
      faults = [];
    },
    cliConfigText(extra = ''): string {
      const host = `host "${hostname}" {\n  services = {\n    "providers.v1" = "${url}${SERVICES_PATH}"\n  }\n}\n`;
      const creds =
        options.token === undefined ? '' : `\ncredentials "${hostname}" {\n  token = "${options.token}"\n}\n`;
      return `${host}${creds}${extra === '' ? '' : `\n${extra}\n`}`;
    },
    async close(): Promise<void> {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      const certDir = path.dirname(cert.certPath);
      await Promise.all([
        path.basename(certDir).startsWith('airgap-cert-')
          ? fs.rm(certDir, { recursive: true, force: true })
          : undefined,
        ownWorkDir ? fs.rm(workDir, { recursive: true, force: true }) : undefined,
      ]);
    },
  };
}
