// A Module Registry Protocol v1 server over HTTPS on 127.0.0.1 (random port), for
// mirror tests now and `airgap serve` tests later. Each module answers its download
// request the way one of the two public registries does:
//   - 'terraform' (registry.terraform.io): 204 with X-Terraform-Get;
//   - 'opentofu' (registry.opentofu.org): 200 with a JSON {"location": ...}.
// Sources are real: git repositories served with git's dumb HTTP protocol from the same
// server (`git::https://127.0.0.1:PORT/git/NS-NAME-SYSTEM.git?ref=vVERSION`), or .tar.gz
// and .zip archives (`https://127.0.0.1:PORT/archives/...`), optionally with a //SUBDIR
// or an `archive=` hint. A test can also hand in an archive's exact bytes (hostile ones).
import fs from 'node:fs/promises';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createSelfSignedCert } from '../tls.js';
import { buildGitRepo, buildTarGz, buildZip, type ModuleFiles } from './repos.js';

export type { ModuleFiles } from './repos.js';

export const DEFAULT_MODULE_REGISTRY_HOSTNAME = 'modules.airgap.test';
export const MODULES_PATH = '/v1/modules/';

export type AnswerStyle = 'terraform' | 'opentofu';
export type SourceKind = 'git' | 'tar.gz' | 'zip';

export interface TestModuleVersion {
  version: string;
  files: ModuleFiles;
  /** Archive modules: serve these bytes as the archive instead of building one. */
  archiveBytes?: Buffer;
}

export interface TestModuleSpec {
  namespace: string;
  name: string;
  system: string;
  versions: TestModuleVersion[];
  source: SourceKind;
  /** Default 'terraform'. */
  answer?: AnswerStyle;
  /** Added to the location as //SUBDIR (the files should hold it). */
  subdir?: string;
  /** Archives: a URL without extension and an `archive=` hint. */
  archiveHint?: boolean;
  /** .tar.gz: a top directory the files sit under (then the location's subdir is usually "*"). */
  tarTop?: string;
  /** A location relative to the download URL ("/archives/..."), as some registries send. */
  relativeLocation?: boolean;
  /** Override the location entirely (for refused schemes). */
  location?: string;
}

export interface TestModuleRegistryOptions {
  modules: TestModuleSpec[];
  hostname?: string;
  /** Require `Authorization: Bearer TOKEN` on the registry API (not on git or archives). */
  token?: string;
}

export interface ModuleRequestLog {
  method: string;
  path: string;
  authorization?: string;
}

export interface TestModuleRegistry {
  /** https://127.0.0.1:PORT */
  url: string;
  hostname: string;
  caCertPath: string;
  requests: ModuleRequestLog[];
  /** The commit id of a git-served module version. */
  commit(address: string, version: string): string;
  /** `host` block pointing the hostname's modules.v1 at this server (plus credentials with a token). */
  cliConfigText(): string;
  /** Rebuilds one module's sources with other files (a published version that changed). */
  replace(address: string, versions: TestModuleVersion[]): Promise<void>;
  close(): Promise<void>;
}

function keyOf(m: { namespace: string; name: string; system: string }): string {
  return `${m.namespace}/${m.name}/${m.system}`;
}

function repoName(m: TestModuleSpec): string {
  return `${m.namespace}-${m.name}-${m.system}.git`;
}

export async function startModuleRegistry(options: TestModuleRegistryOptions): Promise<TestModuleRegistry> {
  const hostname = options.hostname ?? DEFAULT_MODULE_REGISTRY_HOSTNAME;
  const workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'airgap-modreg-'));
  const cert = await createSelfSignedCert('airgap test module registry', undefined, workDir);
  const modules = new Map(options.modules.map((m) => [keyOf(m), { ...m }]));
  const commits = new Map<string, string>();
  const requests: ModuleRequestLog[] = [];
  let url = '';

  async function build(m: TestModuleSpec): Promise<void> {
    if (m.source === 'git') {
      const made = await buildGitRepo(path.join(workDir, 'git', repoName(m)), m.versions);
      for (const [v, c] of made) commits.set(`${keyOf(m)} ${v}`, c);
      return;
    }
    const dir = path.join(workDir, 'archives', m.namespace, m.name, m.system);
    await fs.mkdir(dir, { recursive: true });
    for (const v of m.versions) {
      const file = path.join(dir, `${v.version}.${m.source}`);
      if (v.archiveBytes !== undefined) await fs.writeFile(file, v.archiveBytes);
      else if (m.source === 'zip') await buildZip(file, v.files);
      else await buildTarGz(file, v.files, m.tarTop);
    }
  }
  for (const m of modules.values()) await build(m);

  function location(m: TestModuleSpec, version: string): string {
    if (m.location !== undefined) return m.location;
    const sub = m.subdir === undefined ? '' : `//${m.subdir}`;
    if (m.source === 'git') return `git::${url}/git/${repoName(m)}${sub}?ref=v${version}`;
    const base = `${m.relativeLocation === true ? '' : url}/archives/${m.namespace}/${m.name}/${m.system}/${version}`;
    if (m.archiveHint === true) return `${base}${sub}?archive=${m.source}`;
    return `${base}.${m.source}${sub}`;
  }

  function send(res: ServerResponse, status: number, headers: Record<string, string>, body?: Buffer): void {
    res.writeHead(status, {
      ...headers,
      ...(body === undefined ? {} : { 'content-length': String(body.length) }),
    });
    res.end(body);
  }
  function json(res: ServerResponse, status: number, value: unknown): void {
    send(res, status, { 'content-type': 'application/json' }, Buffer.from(JSON.stringify(value)));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'https://x').pathname);
    requests.push({
      method: req.method ?? '',
      path: req.url ?? '',
      ...(req.headers.authorization === undefined ? {} : { authorization: req.headers.authorization }),
    });
    if (pathname === '/.well-known/terraform.json') {
      json(res, 200, { 'modules.v1': MODULES_PATH });
      return;
    }
    if (pathname.startsWith(MODULES_PATH)) {
      if (options.token !== undefined && req.headers.authorization !== `Bearer ${options.token}`) {
        json(res, 401, { errors: ['unauthorized'] });
        return;
      }
      const parts = pathname.slice(MODULES_PATH.length).split('/');
      const m = modules.get(parts.slice(0, 3).join('/'));
      if (m === undefined) {
        json(res, 404, { errors: ['Not Found'] });
        return;
      }
      if (parts.length === 4 && parts[3] === 'versions') {
        json(res, 200, {
          modules: [{ source: keyOf(m), versions: m.versions.map((v) => ({ version: v.version })) }],
        });
        return;
      }
      if (parts.length === 5 && parts[4] === 'download' && m.versions.some((v) => v.version === parts[3])) {
        const loc = location(m, parts[3]!);
        if ((m.answer ?? 'terraform') === 'terraform') send(res, 204, { 'x-terraform-get': loc });
        else json(res, 200, { location: loc });
        return;
      }
      json(res, 404, { errors: ['Not Found'] });
      return;
    }
    // Static files: the git repositories and the archives, nothing else, never a listing.
    if ((pathname.startsWith('/git/') || pathname.startsWith('/archives/')) && !pathname.includes('..')) {
      let file = path.join(workDir, ...pathname.split('/').filter((s) => s !== ''));
      let st = await fs.stat(file).catch(() => undefined);
      // An archive= hinted URL names the version without the extension.
      const m = modules.get(pathname.split('/').slice(2, 5).join('/'));
      if (st === undefined && pathname.startsWith('/archives/') && m !== undefined) {
        file = `${file}.${m.source}`;
        st = await fs.stat(file).catch(() => undefined);
      }
      if (st?.isFile() === true) {
        send(res, 200, { 'content-type': 'application/octet-stream' }, await fs.readFile(file));
        return;
      }
    }
    send(res, 404, { 'content-type': 'text/plain' }, Buffer.from('not found\n'));
  }

  const server = https.createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    handle(req, res).catch((e: unknown) => send(res, 500, {}, Buffer.from(String(e))));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    hostname,
    caCertPath: cert.certPath,
    requests,
    commit(address, version) {
      const c = commits.get(`${address} ${version}`);
      if (c === undefined) throw new Error(`test module registry: no git commit for ${address} ${version}`);
      return c;
    },
    cliConfigText() {
      const host = `host "${hostname}" {\n  services = {\n    "modules.v1" = "${url}${MODULES_PATH}"\n  }\n}\n`;
      const creds =
        options.token === undefined ? '' : `\ncredentials "${hostname}" {\n  token = "${options.token}"\n}\n`;
      return host + creds;
    },
    async replace(address, versions) {
      const m = modules.get(address);
      if (m === undefined) throw new Error(`test module registry: no module ${address}`);
      m.versions = versions;
      await build(m);
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await fs.rm(workDir, { recursive: true, force: true });
    },
  };
}
