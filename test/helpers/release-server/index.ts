// OpenTofu and Terraform release hosting over HTTPS on 127.0.0.1, for the
// `airgap mirror --tofu/--terraform` tests: the same paths and file names as
// get.opentofu.org + GitHub releases and releases.hashicorp.com, deterministic zips
// holding a tiny `tofu` / `terraform` executable, SHA256SUMS signed with a throwaway
// key, faults on demand, and a request log.
//
//   /tofu/api.json                          {"versions":[{"id","files"}]}, newest first
//   /tofu/vV/tofu_V_OS_ARCH.zip
//   /tofu/vV/tofu_V_SHA256SUMS              + .gpgsig (binary OpenPGP)
//   /terraform/index.json                   {"name","versions":{"V":{"builds":[...]}}}
//   /terraform/V/terraform_V_OS_ARCH.zip
//   /terraform/V/terraform_V_SHA256SUMS     + .sig (binary OpenPGP)
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import semver from 'semver';
import { writeDeterministicZip } from '../../../src/adapters/archive/zip-write.js';
import { generateSigningKey, signDetached, type TestKey } from '../pgp.js';
import { createSelfSignedCert } from '../tls.js';

export type ReleaseTool = 'tofu' | 'terraform';

export interface ReleaseSpec {
  /** Versions served, with a zip for every platform. */
  versions: string[];
  /** OS_ARCH. */
  platforms: string[];
}

export interface ReleaseServerOptions {
  tofu?: ReleaseSpec;
  terraform?: ReleaseSpec;
  /** Sign with this key instead of a fresh throwaway one. */
  signingKey?: TestKey;
}

export interface ReleaseArtifact {
  tool: ReleaseTool;
  version: string;
  platform: string;
  filename: string;
  /** URL path on this server. */
  urlPath: string;
  bytes: Buffer;
  /** Lower-case hex sha256 of the zip. */
  sha256: string;
}

export type ReleaseFaultRule = {
  /** A string matches when the request path contains it; a RegExp is tested against it. */
  match: string | RegExp;
  /** How many matching requests the fault hits; default unlimited. */
  times?: number;
} & (
  | { kind: 'status'; status: number }
  /** The body with its middle byte XOR 0xff (see tamperedBytes). Zips, SHA256SUMS, signatures. */
  | { kind: 'tamper' }
  /** The signature made by `impostorKey` instead of `signingKey`. Signature routes only. */
  | { kind: 'wrong-signature' }
);

export interface ReleaseRequest {
  method: string;
  path: string;
  status: number;
}

export interface ReleaseServer {
  url: string;
  tofuApiUrl: string;
  tofuBaseUrl: string;
  terraformApiUrl: string;
  terraformBaseUrl: string;
  caCertPath: string;
  signingKey: TestKey;
  /** An armored copy of signingKey's public key, for --tofu-key / --terraform-key. */
  publicKeyPath: string;
  /** The key a 'wrong-signature' fault signs with. */
  impostorKey: TestKey;
  artifacts: ReleaseArtifact[];
  requests: ReleaseRequest[];
  artifact(tool: ReleaseTool, version: string, platform: string): ReleaseArtifact;
  /**
   * `airgap mirror` flags that fetch `tool` at `requested` (a version or constraint)
   * from this server, trusting its key and its TLS certificate.
   */
  mirrorArgs(tool: ReleaseTool, requested: string): string[];
  /** The SHA256SUMS bytes currently served (after any dropped lines). */
  sums(tool: ReleaseTool, version: string): Buffer;
  /** The signature currently served over sums(). */
  signature(tool: ReleaseTool, version: string): Promise<Buffer>;
  /** Serve SHA256SUMS without the line for `filename`, correctly signed. */
  dropSumsLine(filename: string): void;
  addFault(rule: ReleaseFaultRule): void;
  clearFaults(): void;
  close(): Promise<void>;
}

/** What a 'tamper' fault serves instead of `bytes`. */
export function tamperedBytes(bytes: Uint8Array): Buffer {
  const out = Buffer.from(bytes);
  const at = Math.floor(out.length / 2);
  out[at] = (out[at] ?? 0) ^ 0xff;
  return out;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function sumsName(tool: ReleaseTool, version: string): string {
  return `${tool}_${version}_SHA256SUMS`;
}

function sigName(tool: ReleaseTool, version: string): string {
  return `${sumsName(tool, version)}${tool === 'tofu' ? '.gpgsig' : '.sig'}`;
}

function versionDir(tool: ReleaseTool, version: string): string {
  return `/${tool}/${tool === 'tofu' ? `v${version}` : version}`;
}

/** The executable's text: a shell script that answers `version` like the real one. */
function executable(tool: ReleaseTool, version: string, platform: string): Buffer {
  const name = tool === 'tofu' ? 'OpenTofu' : 'Terraform';
  return Buffer.from(`#!/bin/sh\necho "${name} v${version}"\necho "on ${platform}"\n`, 'utf8');
}

async function buildZip(
  workDir: string,
  tool: ReleaseTool,
  version: string,
  platform: string,
): Promise<ReleaseArtifact> {
  const filename = `${tool}_${version}_${platform}.zip`;
  const file = path.join(workDir, filename);
  const exe = tool === 'tofu' ? 'tofu' : 'terraform';
  await writeDeterministicZip(
    file,
    [
      { name: exe, mode: 0o755, data: executable(tool, version, platform) },
      { name: 'LICENSE', mode: 0o644, data: Buffer.from(`${tool} test release: not a real binary\n`) },
    ],
    { compress: false },
  );
  const bytes = await fs.readFile(file);
  return {
    tool,
    version,
    platform,
    filename,
    urlPath: `${versionDir(tool, version)}/${filename}`,
    bytes,
    sha256: sha256Hex(bytes),
  };
}

interface Body {
  status: number;
  type: string;
  data: Buffer;
}

interface ActiveFault {
  rule: ReleaseFaultRule;
  remaining: number;
}

function matches(rule: ReleaseFaultRule, pathname: string): boolean {
  return typeof rule.match === 'string' ? pathname.includes(rule.match) : rule.match.test(pathname);
}

export async function startReleaseServer(options: ReleaseServerOptions): Promise<ReleaseServer> {
  const workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'airgap-releases-'));
  const [cert, signingKey, impostorKey] = await Promise.all([
    createSelfSignedCert(),
    options.signingKey ??
      // Back-dated a minute so a signature made "now" is never older than its key on a skewed clock.
      generateSigningKey({ name: 'airgap test releases', date: new Date(Date.now() - 60_000) }),
    generateSigningKey({ name: 'not the release key', email: 'impostor@airgap.test' }),
  ]);
  const publicKeyPath = path.join(workDir, 'release-key.asc');
  await fs.writeFile(publicKeyPath, signingKey.publicKeyArmored);

  const specs: [ReleaseTool, ReleaseSpec | undefined][] = [
    ['tofu', options.tofu],
    ['terraform', options.terraform],
  ];
  const artifacts: ReleaseArtifact[] = [];
  for (const [tool, spec] of specs) {
    for (const version of spec?.versions ?? []) {
      for (const platform of spec?.platforms ?? []) {
        artifacts.push(await buildZip(workDir, tool, version, platform));
      }
    }
  }

  const dropped = new Set<string>();
  const signatures = new Map<string, Promise<Buffer>>();
  const requests: ReleaseRequest[] = [];
  let faults: ActiveFault[] = [];
  let url = '';

  function releaseArtifacts(tool: ReleaseTool, version: string): ReleaseArtifact[] {
    return artifacts.filter((a) => a.tool === tool && a.version === version);
  }

  function sums(tool: ReleaseTool, version: string): Buffer {
    const lines = releaseArtifacts(tool, version)
      .filter((a) => !dropped.has(a.filename))
      .sort((a, b) => (a.filename < b.filename ? -1 : 1))
      .map((a) => `${a.sha256}  ${a.filename}\n`);
    return Buffer.from(lines.join(''));
  }

  function signature(tool: ReleaseTool, version: string, key = signingKey): Promise<Buffer> {
    const data = sums(tool, version);
    const cacheKey = `${key.fingerprint} ${sha256Hex(data)}`;
    let sig = signatures.get(cacheKey);
    if (sig === undefined) {
      sig = signDetached(data, key).then((s) => Buffer.from(s));
      signatures.set(cacheKey, sig);
    }
    return sig;
  }

  function versionsOf(tool: ReleaseTool): string[] {
    const spec = tool === 'tofu' ? options.tofu : options.terraform;
    return [...(spec?.versions ?? [])].sort((a, b) => semver.rcompare(a, b));
  }

  function tofuApiJson(): unknown {
    return {
      versions: versionsOf('tofu').map((id) => ({
        id,
        files: [
          ...releaseArtifacts('tofu', id).map((a) => a.filename),
          sumsName('tofu', id),
          sigName('tofu', id),
        ],
      })),
    };
  }

  function terraformIndexJson(): unknown {
    const versions: Record<string, unknown> = {};
    for (const v of versionsOf('terraform')) {
      versions[v] = {
        name: 'terraform',
        version: v,
        shasums: sumsName('terraform', v),
        shasums_signature: sigName('terraform', v),
        shasums_signatures: [sigName('terraform', v)],
        builds: releaseArtifacts('terraform', v).map((a) => {
          const [osName, arch] = a.platform.split('_');
          return {
            name: 'terraform',
            version: v,
            os: osName,
            arch,
            filename: a.filename,
            url: `${url}${a.urlPath}`,
          };
        }),
      };
    }
    return { name: 'terraform', versions };
  }

  async function route(pathname: string, fault: ReleaseFaultRule | undefined): Promise<Body> {
    const json = (v: unknown): Body => ({
      status: 200,
      type: 'application/json',
      data: Buffer.from(JSON.stringify(v)),
    });
    if (pathname === '/tofu/api.json') return json(tofuApiJson());
    if (pathname === '/terraform/index.json') return json(terraformIndexJson());
    const m = /^\/(tofu|terraform)\/(v?)([^/]+)\/([^/]+)$/.exec(pathname);
    if (m !== null) {
      const tool = m[1] as ReleaseTool;
      const version = m[3] ?? '';
      const name = m[4] ?? '';
      // tofu files live under "vV", terraform files under "V".
      if ((m[2] === 'v') === (tool === 'tofu') && versionsOf(tool).includes(version)) {
        const zip = releaseArtifacts(tool, version).find((a) => a.filename === name);
        if (zip !== undefined) return { status: 200, type: 'application/zip', data: zip.bytes };
        if (name === sumsName(tool, version)) {
          return { status: 200, type: 'text/plain; charset=utf-8', data: sums(tool, version) };
        }
        if (name === sigName(tool, version)) {
          const key = fault?.kind === 'wrong-signature' ? impostorKey : signingKey;
          return {
            status: 200,
            type: 'application/octet-stream',
            data: await signature(tool, version, key),
          };
        }
      }
    }
    return { status: 404, type: 'text/plain', data: Buffer.from('Not Found\n') };
  }

  function takeFault(pathname: string): ReleaseFaultRule | undefined {
    const isSig = /_SHA256SUMS\.(gpgsig|sig)$/.test(pathname);
    const found = faults.find(
      (f) => f.remaining > 0 && (f.rule.kind !== 'wrong-signature' || isSig) && matches(f.rule, pathname),
    );
    if (found === undefined) return undefined;
    found.remaining -= 1;
    return found.rule;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const entry: ReleaseRequest = { method: req.method ?? '', path: req.url ?? '', status: 0 };
    requests.push(entry);
    res.on('error', () => undefined);
    const pathname = new URL(req.url ?? '/', 'https://127.0.0.1').pathname;
    const fault = takeFault(pathname);
    let body: Body;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      body = { status: 405, type: 'text/plain', data: Buffer.from('Method Not Allowed\n') };
    } else if (fault?.kind === 'status') {
      body = { status: fault.status, type: 'text/plain', data: Buffer.from(`injected ${fault.status}\n`) };
    } else {
      body = await route(pathname, fault);
      if (fault?.kind === 'tamper' && body.status === 200) body = { ...body, data: tamperedBytes(body.data) };
    }
    entry.status = body.status;
    res.writeHead(body.status, { 'content-type': body.type, 'content-length': String(body.data.length) });
    res.end(req.method === 'HEAD' ? undefined : body.data);
  }

  const server = https.createServer({ key: cert.keyPem, cert: cert.certPem }, (req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    tofuApiUrl: `${url}/tofu/api.json`,
    tofuBaseUrl: `${url}/tofu`,
    terraformApiUrl: `${url}/terraform/index.json`,
    terraformBaseUrl: `${url}/terraform`,
    caCertPath: cert.certPath,
    signingKey,
    publicKeyPath,
    impostorKey,
    artifacts,
    requests,
    artifact(tool, version, platform): ReleaseArtifact {
      const a = artifacts.find((x) => x.tool === tool && x.version === version && x.platform === platform);
      if (a === undefined) throw new Error(`release server: no ${tool} ${version} ${platform}`);
      return a;
    },
    mirrorArgs(tool, requested): string[] {
      const api = tool === 'tofu' ? `${url}/tofu/api.json` : `${url}/terraform/index.json`;
      return [
        `--${tool}`,
        requested,
        `--${tool}-api-url`,
        api,
        `--${tool}-base-url`,
        `${url}/${tool}`,
        `--${tool}-key`,
        publicKeyPath,
        '--ca-cert',
        cert.certPath,
      ];
    },
    sums,
    signature: (tool, version) => signature(tool, version),
    dropSumsLine(filename: string): void {
      dropped.add(filename);
    },
    addFault(rule: ReleaseFaultRule): void {
      faults.push({ rule, remaining: rule.times ?? Number.POSITIVE_INFINITY });
    },
    clearFaults(): void {
      faults = [];
      dropped.clear();
    },
    async close(): Promise<void> {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await Promise.all([
        fs.rm(workDir, { recursive: true, force: true }),
        fs.rm(path.dirname(cert.certPath), { recursive: true, force: true }),
      ]);
    },
  };
}
