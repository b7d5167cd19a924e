// `airgap import --push-modules`: a fixture bundle with registry modules imported for
// real, each module version pushed through the real OCI client to the real CNCF
// registry (docker-registry) and read back with skopeo: the exact manifest OpenTofu
// requires of a module package (opentofu/opentofu
// website/docs/cli/oci_registries/module-package.mdx, internal/getmodules/oci_getter.go),
// the layer's digest the zip's sha256 in airgap.json, the blob byte for byte the zip;
// a second run that sends nothing; a moved tag that costs one manifest PUT; a failing
// registry (connection refused; a 401 through the CLI) named with the module; a push over
// https with a login and --ca-cert; a bundle that fails verification pushing nothing; and the
// refusals that come before any request (a zip changed since the import, two module
// names that fold to one repository, a destination without modules).

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createOciRegistryClient } from '../../src/adapters/oci/registry-client.js';
import type { ManifestModule } from '../../src/core/bundle/manifest.js';
import type { AirgapError } from '../../src/core/errors.js';
import type { OciRegistryClient, Reporter } from '../../src/core/ports.js';
import { runImport, type ImportOptions } from '../../src/services/import/import-service.js';
import { pushModules, type PushModulesResult } from '../../src/services/import/push-modules.js';
import { startDockerRegistry, type DockerRegistry } from '../helpers/docker-registry.js';
import { readFixtureDirectory, writeFixtureBundle } from '../helpers/import-fixtures.js';
import { addModulesToBundle, type TestModule } from '../helpers/module-bundle.js';
import { runCli } from '../helpers/cli.js';
import { thisProcess } from '../helpers/host.js';
import { makeTempDir } from '../helpers/tmp.js';
import { describeWithTools } from '../helpers/tools.js';

const exec = promisify(execFile);
const quiet: Reporter = { info: () => undefined, warn: () => undefined };
const sha = (b: Uint8Array | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const EMPTY = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';
const TFR = 'registry.terraform.io';
const NET = `${TFR}/acme/net/aws`;
const DNS = 'tf.corp.example:8443/Team/dns/aws';
const NET_REPO = `mods/${TFR}/acme/net/aws`;
const DNS_REPO = 'mods/tf.corp.example_8443/team/dns/aws';

const MODULES: TestModule[] = [
  {
    source: NET,
    version: '1.0.0',
    files: { 'main.tf': 'variable "cidr" {}\n', 'modules/sub/main.tf': '# sub\n' },
  },
  { source: NET, version: '2.0.0-rc.1+build.5', files: { 'main.tf': '# 2.0.0-rc.1\n' } },
  // A module in a directory of its package, from a registry on a port, a capital in its namespace.
  { source: DNS, version: '0.1.0', files: { 'x/main.tf': '# dns\n', 'README.md': 'dns\n' }, subdir: 'x' },
];

let registry: DockerRegistry;
let work: string;
let bundleDir: string;
/** airgap.json's modules entries, as the bundle lists them. */
let listed: ManifestModule[];
let dest: string;
let first: PushModulesResult;

function client(host = registry.host): OciRegistryClient & { close(): Promise<void> } {
  return createOciRegistryClient({ registry: host, insecure: true, userAgent: 'airgap-test', env: {} });
}

function importOptions(source: string, to: string, extra: Partial<ImportOptions> = {}): ImportOptions {
  return {
    source,
    dest: to,
    trustedKeyFiles: [],
    insecureSkipSignature: true,
    allowDowngrade: false,
    host: thisProcess(),
    platform: 'linux_amd64',
    ...extra,
  };
}

async function bundleWith(name: string, modules: TestModule[]): Promise<string> {
  const dir = path.join(work, name);
  await writeFixtureBundle(dir, {
    createdAt: '2026-01-01T00:00:00Z',
    providers: [{ namespace: 'hashicorp', type: 'null', version: '3.2.1', platforms: ['linux_amd64'] }],
    packageCache: path.join(work, 'cache'),
  });
  if (modules.length > 0) await addModulesToBundle(dir, modules);
  return dir;
}

async function skopeoRaw(ref: string): Promise<string> {
  const { stdout } = await exec('skopeo', [
    'inspect',
    '--raw',
    '--tls-verify=false',
    `docker://${registry.host}/${ref}`,
  ]);
  return stdout;
}

async function blob(repo: string, digest: string): Promise<Buffer> {
  const res = await fetch(`${registry.url}/v2/${repo}/blobs/${digest}`);
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

/** Requests that write to the registry (blob uploads and manifest PUTs). */
function writes(from: number): string[] {
  return registry
    .requests()
    .slice(from)
    .filter((r) => !r.startsWith('GET ') && !r.startsWith('HEAD '));
}

/** The manifest OpenTofu reads, as exact text: what the test expects the registry to hold. */
function expectedManifest(m: ManifestModule, title: string): string {
  return (
    '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",' +
    '"artifactType":"application/vnd.opentofu.modulepkg",' +
    `"config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"${EMPTY}","size":2},` +
    `"layers":[{"mediaType":"archive/zip","digest":"sha256:${m.sha256}","size":${m.size},` +
    `"annotations":{"org.opencontainers.image.title":"${title}"}}]}`
  );
}

const untouched: OciRegistryClient = {
  hasBlob: () => Promise.reject(new Error('no request expected')),
  getManifest: () => Promise.reject(new Error('no request expected')),
  pushBlob: () => Promise.reject(new Error('no request expected')),
  pushManifest: () => Promise.reject(new Error('no request expected')),
};

describeWithTools(['docker-registry', 'skopeo', 'htpasswd'], 'airgap import --push-modules', () => {
  beforeAll(async () => {
    work = await makeTempDir('airgap-push-modules-');
    [registry, bundleDir] = await Promise.all([startDockerRegistry(), bundleWith('bundle', MODULES)]);
    const manifest = JSON.parse(await fs.readFile(path.join(bundleDir, 'airgap.json'), 'utf8')) as {
      modules: ManifestModule[];
    };
    listed = manifest.modules;
    dest = path.join(work, 'dest');
  }, 60_000);

  afterAll(async () => {
    await registry?.stop();
  });

  it('imports, then pushes every module version as an OpenTofu module package', async () => {
    const before = registry.requests().length;
    const result = await runImport(
      importOptions(bundleDir, dest, {
        pushModules: { target: `${registry.host}/mods`, insecure: true, caCertFiles: [] },
      }),
      quiet,
      {
        readBundle: readFixtureDirectory,
        createOciClient: async (r) => {
          expect(r).toEqual({
            target: `${registry.host}/mods`,
            insecure: true,
            caCertFiles: [],
            registry: registry.host,
          });
          return client();
        },
      },
    );
    expect(result.action).toBe('imported');
    first = result.pushModules!;
    const [net1, net2, dns] = listed as [ManifestModule, ManifestModule, ManifestModule];
    expect([net1.version, net2.version, dns.source]).toEqual(['1.0.0', '2.0.0-rc.1+build.5', DNS]);
    const digest = (m: ManifestModule, title: string): string => sha(expectedManifest(m, title));
    expect(first).toEqual({
      registry: registry.host,
      prefix: 'mods',
      modules: [
        {
          source: NET,
          version: '1.0.0',
          repository: NET_REPO,
          tag: '1.0.0',
          digest: digest(net1, 'acme-net-aws-1.0.0.zip'),
          layerDigest: `sha256:${net1.sha256}`,
          ociSource: `oci://${registry.host}/${NET_REPO}?tag=1.0.0`,
          action: 'pushed',
          blobs: { uploaded: 2, existing: 0, mounted: 0 },
        },
        {
          source: NET,
          version: '2.0.0-rc.1+build.5',
          repository: NET_REPO,
          tag: '2.0.0-rc.1_build.5',
          digest: digest(net2, 'acme-net-aws-2.0.0-rc.1+build.5.zip'),
          layerDigest: `sha256:${net2.sha256}`,
          ociSource: `oci://${registry.host}/${NET_REPO}?tag=2.0.0-rc.1_build.5`,
          action: 'pushed',
          // The empty config is in the repository already.
          blobs: { uploaded: 1, existing: 1, mounted: 0 },
        },
        {
          source: DNS,
          version: '0.1.0',
          repository: DNS_REPO,
          tag: '0.1.0',
          digest: digest(dns, 'Team-dns-aws-0.1.0.zip'),
          layerDigest: `sha256:${dns.sha256}`,
          ociSource: `oci://${registry.host}/${DNS_REPO}//x?tag=0.1.0`,
          action: 'pushed',
          blobs: { uploaded: 2, existing: 0, mounted: 0 },
        },
      ],
      warnings: [
        `The modules were pushed to ${registry.host} over plain HTTP (--registry-insecure), but tofu fetches oci:// module sources over HTTPS only: serve ${registry.host} over HTTPS, with a certificate the hosts running tofu trust, before using these sources.`,
      ],
    });
    // Per version: its tag, each blob HEAD first, then uploaded, the manifest by tag last.
    const sent = writes(before);
    expect(sent.filter((r) => r.startsWith('PUT ') && r.includes('/manifests/'))).toEqual([
      `PUT /v2/${NET_REPO}/manifests/1.0.0`,
      `PUT /v2/${NET_REPO}/manifests/2.0.0-rc.1_build.5`,
      `PUT /v2/${DNS_REPO}/manifests/0.1.0`,
    ]);
    expect(sent.at(-1)).toBe(`PUT /v2/${DNS_REPO}/manifests/0.1.0`);
  }, 60_000);

  it('skopeo reads back the exact manifest; the layer is the zip airgap.json pins, byte for byte', async () => {
    const titles = [
      'acme-net-aws-1.0.0.zip',
      'acme-net-aws-2.0.0-rc.1+build.5.zip',
      'Team-dns-aws-0.1.0.zip',
    ];
    for (const [i, pushed] of first.modules.entries()) {
      const m = listed[i]!;
      const raw = await skopeoRaw(`${pushed.repository}:${pushed.tag}`);
      expect(raw).toBe(expectedManifest(m, titles[i]!));
      expect(sha(raw)).toBe(pushed.digest);
      const manifest = JSON.parse(raw) as {
        mediaType: string;
        artifactType: string;
        config: unknown;
        layers: { mediaType: string; digest: string; size: number }[];
      };
      // What tofu's oci_getter checks: an image manifest, its artifactType, one archive/zip layer.
      expect(manifest.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
      expect(manifest.artifactType).toBe('application/vnd.opentofu.modulepkg');
      expect(manifest.config).toEqual({
        mediaType: 'application/vnd.oci.empty.v1+json',
        digest: EMPTY,
        size: 2,
      });
      expect(manifest.layers.map((l) => l.mediaType)).toEqual(['archive/zip']);
      const zip = await fs.readFile(path.join(bundleDir, ...m.path.split('/')));
      expect(sha(zip)).toBe(`sha256:${m.sha256}`);
      expect(manifest.layers[0]!.digest).toBe(`sha256:${m.sha256}`);
      expect(manifest.layers[0]!.size).toBe(zip.length);
      expect((await blob(pushed.repository, manifest.layers[0]!.digest)).equals(zip)).toBe(true);
      expect((await blob(pushed.repository, EMPTY)).toString()).toBe('{}');
    }
    const tags = async (repo: string): Promise<string[]> => {
      const { stdout } = await exec('skopeo', [
        'list-tags',
        '--tls-verify=false',
        `docker://${registry.host}/${repo}`,
      ]);
      return (JSON.parse(stdout) as { Tags: string[] }).Tags.sort();
    };
    expect(await tags(NET_REPO)).toEqual(['1.0.0', '2.0.0-rc.1_build.5']);
    expect(await tags(DNS_REPO)).toEqual(['0.1.0']);
  }, 60_000);

  it('a second run (the import a no-op) sends nothing: one GET of each tag, no blob HEAD, no write', async () => {
    const before = registry.requests().length;
    const result = await runImport(
      importOptions(bundleDir, dest, {
        pushModules: { target: `${registry.host}/mods`, insecure: true, caCertFiles: [] },
      }),
      quiet,
      { readBundle: readFixtureDirectory, createOciClient: async () => client() },
    );
    expect(result.action).toBe('unchanged');
    expect(result.pushModules!.modules.map((m) => [m.tag, m.action, m.blobs])).toEqual([
      ['1.0.0', 'unchanged', { uploaded: 0, existing: 0, mounted: 0 }],
      ['2.0.0-rc.1_build.5', 'unchanged', { uploaded: 0, existing: 0, mounted: 0 }],
      ['0.1.0', 'unchanged', { uploaded: 0, existing: 0, mounted: 0 }],
    ]);
    expect(registry.requests().slice(before)).toEqual([
      `GET /v2/${NET_REPO}/manifests/1.0.0`,
      `GET /v2/${NET_REPO}/manifests/2.0.0-rc.1_build.5`,
      `GET /v2/${DNS_REPO}/manifests/0.1.0`,
    ]);
  }, 60_000);

  it('a tag moved elsewhere is put back with one manifest PUT: both blobs are found by HEAD', async () => {
    const c = client();
    const other = await c.getManifest(NET_REPO, '2.0.0-rc.1_build.5');
    await c.pushManifest(NET_REPO, '1.0.0', { mediaType: other!.mediaType, bytes: other!.bytes });
    const before = registry.requests().length;
    const result = await pushModules({ dest, target: `${registry.host}/mods`, client: c, reporter: quiet });
    await c.close();
    expect(result.modules.map((m) => [m.tag, m.action, m.blobs])).toEqual([
      ['1.0.0', 'pushed', { uploaded: 0, existing: 2, mounted: 0 }],
      ['2.0.0-rc.1_build.5', 'unchanged', { uploaded: 0, existing: 0, mounted: 0 }],
      ['0.1.0', 'unchanged', { uploaded: 0, existing: 0, mounted: 0 }],
    ]);
    expect(result.warnings).toEqual([]);
    expect(writes(before)).toEqual([`PUT /v2/${NET_REPO}/manifests/1.0.0`]);
    expect(sha(await skopeoRaw(`${NET_REPO}:1.0.0`))).toBe(first.modules[0]!.digest);
  }, 60_000);

  it('a registry that cannot be reached fails naming the module, its version and the target', async () => {
    const gone = await startDockerRegistry();
    await gone.stop();
    const c = client(gone.host);
    const e = (await pushModules({ dest, target: `${gone.host}/mods`, client: c, reporter: quiet }).catch(
      (x: unknown) => x,
    )) as AirgapError;
    await c.close();
    expect(e.code).toBe('OCI_REGISTRY_ERROR');
    expect(e.message).toMatch(
      new RegExp(
        `^module ${NET} 1\\.0\\.0, pushing to ${gone.host}/${NET_REPO}:1\\.0\\.0: GET http://${gone.host}/v2/${NET_REPO}/manifests/1\\.0\\.0: .*ECONNREFUSED`,
      ),
    );
    expect(e.details.version).toBe('1.0.0');
  }, 60_000);

  it('CLI: a registry that refuses the push exits 3, naming the module; under --registry-insecure the remedy is https, not a login', async () => {
    const locked = await startDockerRegistry({ htpasswd: { username: 'ci', password: 'secret' } });
    try {
      const r = await runCli([
        'import',
        bundleDir,
        '--dest',
        dest,
        '--insecure-skip-signature',
        '--platform',
        'linux_amd64',
        '--push-modules',
        `${locked.host}/mods`,
        '--registry-insecure',
      ]);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(
        `${dest} is imported, but pushing its modules to ${locked.host}/mods failed; run the same command again to resume`,
      );
      expect(r.stderr).toContain(
        `Error: module ${NET} 1.0.0, pushing to ${locked.host}/${NET_REPO}:1.0.0: GET http://${locked.host}/v2/${NET_REPO}/manifests/1.0.0 failed: 401 Unauthorized`,
      );
      expect(r.stderr).toContain('credentials are never sent over plain http');
      expect(r.stderr).toContain(
        '\n  Hint: logins are sent only over https, never under --registry-insecure: push to the registry over https (without --registry-insecure; --ca-cert FILE for a private CA) with --registry-username and --registry-password-stdin, or a `docker login`\n',
      );
      expect(r.stderr).not.toContain('secret');
    } finally {
      await locked.stop();
    }
  }, 60_000);

  it('CLI: --push-modules with --json and in words: the oci:// sources and what tofu needs', async () => {
    const args = [
      'import',
      bundleDir,
      '--dest',
      dest,
      '--insecure-skip-signature',
      '--platform',
      'linux_amd64',
      '--push-modules',
      `${registry.host}/mods`,
      '--registry-insecure',
    ];
    const human = await runCli(args);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(
      [
        `Pushed 0 module version(s) to ${registry.host} (3 up to date). For tofu, as module sources:`,
        `  ${NET} 1.0.0: oci://${registry.host}/${NET_REPO}?tag=1.0.0`,
        `  ${NET} 2.0.0-rc.1+build.5: oci://${registry.host}/${NET_REPO}?tag=2.0.0-rc.1_build.5`,
        `  ${DNS} 0.1.0: oci://${registry.host}/${DNS_REPO}//x?tag=0.1.0`,
        `Warning for tofu: ${first.warnings[0]}`,
        '',
      ].join('\n'),
    );
    const json = await runCli([...args, '--json']);
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout) as { action: string; pushModules: PushModulesResult };
    expect(doc.action).toBe('unchanged');
    expect(doc.pushModules).toEqual({
      ...first,
      modules: first.modules.map((m) => ({
        ...m,
        action: 'unchanged',
        blobs: { uploaded: 0, existing: 0, mounted: 0 },
      })),
    });
  }, 60_000);

  it('over https with a login and --ca-cert: pushed, and what tofu needs is said', async () => {
    const tls = await startDockerRegistry({ tls: true, htpasswd: { username: 'ci', password: 'secret' } });
    try {
      const to = path.join(work, 'dest-tls');
      const dockerConfig = await makeTempDir('airgap-docker-config-');
      const result = await runImport(
        importOptions(bundleDir, to, {
          host: { ...thisProcess(), env: { DOCKER_CONFIG: dockerConfig } },
          pushModules: {
            target: `${tls.host}/mods`,
            insecure: false,
            caCertFiles: [tls.caCertPath!],
            username: 'ci',
            password: 'secret',
          },
        }),
        quiet,
        { readBundle: readFixtureDirectory },
      );
      const pushed = result.pushModules!;
      expect(pushed.modules.map((m) => [m.repository, m.tag, m.action, m.digest])).toEqual(
        first.modules.map((m) => [m.repository, m.tag, 'pushed', m.digest]),
      );
      expect(pushed.warnings).toEqual([
        `The push trusted ${tls.host}'s certificate through --ca-cert; tofu checks an OCI registry's certificate against the system trust store: add that CA to the trust store of every host that runs tofu (on Linux, SSL_CERT_FILE naming a PEM file that holds it also works).`,
      ]);
      expect(tls.requests()).toContain(`PUT /v2/${DNS_REPO}/manifests/0.1.0`);
      expect(JSON.stringify(result)).not.toContain('secret');
    } finally {
      await tls.stop();
    }
  }, 60_000);

  it('a bundle that fails verification is not imported, and nothing is pushed (no client made)', async () => {
    const dir = await bundleWith('tampered', [MODULES[0]!]);
    const manifest = JSON.parse(await fs.readFile(path.join(dir, 'airgap.json'), 'utf8')) as {
      modules: ManifestModule[];
    };
    const zip = manifest.modules[0]!.path;
    await fs.appendFile(path.join(dir, ...zip.split('/')), 'x');
    const to = path.join(work, 'dest-tampered');
    const e = (await runImport(
      importOptions(dir, to, {
        pushModules: { target: `${registry.host}/t`, insecure: true, caCertFiles: [] },
      }),
      quiet,
      {
        readBundle: readFixtureDirectory,
        createOciClient: () => Promise.reject(new Error('no registry client expected')),
      },
    ).catch((x: unknown) => x)) as AirgapError;
    expect(e.code).toBe('CHECKSUM_MISMATCH');
    expect(e.message).toMatch(
      new RegExp(`^${zip.replaceAll('.', '\\.')}: sha256 is [0-9a-f]{64}, but SHA256SUMS lists`),
    );
    await expect(fs.access(path.join(to, 'modules'))).rejects.toThrow(/ENOENT/);
  }, 60_000);

  it('refuses a zip changed since the import, by name, before any request', async () => {
    const dest2 = path.join(work, 'dest2');
    await runImport(importOptions(bundleDir, dest2), quiet, { readBundle: readFixtureDirectory });
    const m = listed[2]!;
    const file = path.join(dest2, ...m.path.split('/'));
    await fs.appendFile(file, 'x');
    const e = (await pushModules({
      dest: dest2,
      target: 'r.example/mods',
      client: untouched,
      reporter: quiet,
    }).catch((x: unknown) => x)) as AirgapError;
    expect(e.code).toBe('CHECKSUM_MISMATCH');
    const changed = await fs.readFile(file);
    expect(e.message).toBe(
      `module ${DNS} 0.1.0: ${file} is not the zip the import verified (sha256 ${sha(changed).slice(7)}, ${changed.length} bytes; airgap-state.json records ${m.sha256}, ${m.size} bytes); nothing was pushed`,
    );
    expect(e.remedy).toBe(
      'the destination changed after the import: see `airgap verify DIR`, restore the zip (or import a newer bundle), then push again',
    );
  }, 60_000);

  it('refuses two modules that fold to one repository and tag, naming both, before any request', async () => {
    const dir = await bundleWith('case', [
      { source: NET, version: '1.0.0', files: { 'main.tf': '# a\n' } },
      { source: `${TFR}/Acme/net/aws`, version: '1.0.0', files: { 'main.tf': '# b\n' } },
    ]);
    const to = path.join(work, 'dest-case');
    await runImport(importOptions(dir, to), quiet, { readBundle: readFixtureDirectory });
    const e = (await pushModules({
      dest: to,
      target: 'r.example/mods',
      client: untouched,
      reporter: quiet,
    }).catch((x: unknown) => x)) as AirgapError;
    expect(e.code).toBe('USAGE');
    expect(e.message).toBe(
      `modules ${TFR}/Acme/net/aws 1.0.0 and ${NET} 1.0.0 would both be pushed to ${NET_REPO}:1.0.0: repository names are lower case, and tags write + as _`,
    );
  }, 60_000);

  it('a destination without modules: INPUT_NOT_FOUND (exit 2), nothing sent', async () => {
    const dir = await bundleWith('none', []);
    const to = path.join(work, 'dest-none');
    await runImport(importOptions(dir, to), quiet, { readBundle: readFixtureDirectory });
    const e = (await pushModules({
      dest: to,
      target: 'r.example/mods',
      client: untouched,
      reporter: quiet,
    }).catch((x: unknown) => x)) as AirgapError;
    expect(e.code).toBe('INPUT_NOT_FOUND');
    expect(e.message).toBe(
      `${to} holds no registry module to push: the imports into it carried none (airgap-state.json lists no modules)`,
    );
  }, 60_000);
});
