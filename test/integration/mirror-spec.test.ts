// `airgap mirror` driven by airgap.yaml: the file found in the working directory or
// named by -f, flags laid over it, and a re-run with a smaller spec making the bundle
// exactly what it now says (what went is listed), after which export and verify pass.

import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startReleaseServer, type ReleaseServer } from '../helpers/release-server/index.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry/index.js';
import { makeTempDir } from '../helpers/tmp.js';
import { fakeToolArchive } from '../helpers/transfer.js';

const HOST = 'registry.airgap.test';
let registry: TestRegistry;
let releases: ReleaseServer;
let env: Record<string, string>;

beforeAll(async () => {
  registry = await startTestRegistry({
    providers: [
      {
        namespace: 'hashicorp',
        type: 'null',
        versions: ['3.2.0', '3.2.1'],
        platforms: ['linux_amd64', 'linux_arm64'],
      },
      { namespace: 'acme', type: 'widget', versions: ['1.0.0'], platforms: ['linux_amd64', 'linux_arm64'] },
    ],
  });
  releases = await startReleaseServer({
    tofu: { versions: ['1.8.4', '1.8.5'], platforms: ['linux_amd64', 'linux_arm64'] },
  });
  const dir = await makeTempDir();
  const cfg = path.join(dir, 'cli.tfrc');
  await fs.writeFile(cfg, registry.cliConfigText());
  // Both servers' CAs: the registry's through SSL_CERT_FILE, the release server's in the spec.
  env = { TF_CLI_CONFIG_FILE: cfg, SSL_CERT_FILE: registry.caCertPath, SOURCE_DATE_EPOCH: '1700000000' };
});

afterAll(async () => {
  await Promise.all([registry?.close(), releases?.close()]);
});

function tofuSection(versions: string[]): string {
  const api = releases.mirrorArgs('tofu', 'x');
  const value = (flag: string): string => api[api.indexOf(flag) + 1]!;
  return (
    `binaries:\n  tofu:\n    versions: [${versions.map((v) => `'${v}'`).join(', ')}]\n` +
    `    apiUrl: ${value('--tofu-api-url')}\n    baseUrl: ${value('--tofu-base-url')}\n    key: ${value('--tofu-key')}\n` +
    `registries:\n  caCertificates: [${value('--ca-cert')}]\n`
  );
}

async function project(spec: string): Promise<string> {
  const dir = await makeTempDir();
  await fs.mkdir(path.join(dir, 'stacks', 'app'), { recursive: true });
  await fs.writeFile(
    path.join(dir, 'stacks', 'app', '.terraform.lock.hcl'),
    `provider "${HOST}/acme/widget" {\n  version = "1.0.0"\n}\n`,
  );
  await fs.writeFile(path.join(dir, 'airgap.yaml'), spec);
  return dir;
}

function mirror(cwd: string, args: string[] = []): Promise<CliResult> {
  return runCli(['mirror', ...args], { cwd, env });
}

async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const rel of await fs.readdir(dir, { recursive: true })) {
    if ((await fs.stat(path.join(dir, rel))).isFile()) out.push(rel.split(path.sep).join('/'));
  }
  return out.sort();
}

interface Manifest {
  providers: { address: string; version: string; packages: { path: string; platform: string }[] }[];
  binaries: {
    tool: string;
    version: string;
    platforms: { path: string }[];
    sums: { path: string };
    signature: { path: string };
  }[];
  lockfiles: { path: string }[];
  configs: { path: string }[];
  mirrorIndexes: { path: string }[];
  resolved?: { path: string };
  sbom?: { path: string };
}

function listed(m: Manifest): string[] {
  return [
    'airgap.json',
    ...m.lockfiles.map((l) => l.path),
    ...m.providers.flatMap((p) => p.packages.map((k) => k.path)),
    ...m.binaries.flatMap((b) => [...b.platforms.map((p) => p.path), b.sums.path, b.signature.path]),
    ...m.configs.map((c) => c.path),
    ...m.mirrorIndexes.map((i) => i.path),
    ...(m.resolved === undefined ? [] : [m.resolved.path]),
    ...(m.sbom === undefined ? [] : [m.sbom.path]),
  ].sort();
}

describe('airgap mirror with airgap.yaml', () => {
  it('finds airgap.yaml in the working directory; the bundle is what it says', async () => {
    const dir = await project(
      `apiVersion: airgap/v1\ndefaultRegistry: ${HOST}\nplatforms: [linux_amd64]\nlockfiles: [stacks/]\n` +
        `providers:\n  hashicorp/null: ['3.2.0', '3.2.1']\noutput:\n  dir: bundle\n`,
    );
    const r = await mirror(dir);
    expect(r.stderr).not.toContain('Error');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Mirrored 3 provider version(s): 3 package(s) downloaded');
    const bundle = path.join(dir, 'bundle');
    const manifest = JSON.parse(await fs.readFile(path.join(bundle, 'airgap.json'), 'utf8')) as Manifest;
    expect(manifest.providers.map((p) => `${p.address} ${p.version}`)).toEqual([
      `${HOST}/acme/widget 1.0.0`,
      `${HOST}/hashicorp/null 3.2.0`,
      `${HOST}/hashicorp/null 3.2.1`,
    ]);
    expect(manifest.lockfiles.map((l) => l.path)).toEqual([
      'lockfiles/airgap-providers.terraform.lock.hcl',
      'lockfiles/stacks/app/.terraform.lock.hcl',
    ]);
    // airgap.json lists exactly the files in the tree.
    expect(await tree(bundle)).toEqual(listed(manifest));
    const resolved = JSON.parse(await fs.readFile(path.join(bundle, 'airgap.lock.json'), 'utf8')) as {
      spec: { path: string; sha256: string };
      providers: unknown[];
    };
    expect(resolved.spec.path).toBe('airgap.yaml');

    // Again, unchanged, without SOURCE_DATE_EPOCH: nothing downloaded, not a byte changed.
    const before = new Map<string, string>();
    for (const f of await tree(bundle)) before.set(f, await fs.readFile(path.join(bundle, f), 'latin1'));
    const zipsBefore = registry.requests.filter((q) => q.path.endsWith('.zip')).length;
    const { SOURCE_DATE_EPOCH: _sde, ...noEpoch } = env;
    const again = await runCli(['mirror', '--json'], { cwd: dir, env: noEpoch });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ packagesDownloaded: 0, packagesCached: 3, removed: [] });
    expect(registry.requests.filter((q) => q.path.endsWith('.zip')).length).toBe(zipsBefore);
    const after = new Map<string, string>();
    for (const f of await tree(bundle)) after.set(f, await fs.readFile(path.join(bundle, f), 'latin1'));
    expect(after).toEqual(before);
    expect(resolved.providers).toEqual([
      {
        address: `${HOST}/acme/widget`,
        requestedBy: ['lockfiles/stacks/app/.terraform.lock.hcl'],
        constraints: [],
        versions: ['1.0.0'],
      },
      {
        address: `${HOST}/hashicorp/null`,
        requestedBy: ['providers'],
        constraints: ['3.2.0', '3.2.1'],
        versions: ['3.2.0', '3.2.1'],
      },
    ]);
  });

  it('a re-run with a smaller spec removes what it no longer names, line by line; export and verify pass', async () => {
    const big =
      `apiVersion: airgap/v1\ndefaultRegistry: ${HOST}\nplatforms: [linux_amd64, linux_arm64]\nlockfiles: [stacks/]\n` +
      `providers:\n  hashicorp/null: ['3.2.0', '3.2.1']\n${tofuSection(['1.8.4', '1.8.5'])}output:\n  dir: bundle\n`;
    const dir = await project(big);
    expect((await mirror(dir)).code).toBe(0);
    const bundle = path.join(dir, 'bundle');
    expect(await fs.readdir(path.join(bundle, 'tofu'))).toEqual(['1.8.4', '1.8.5']);

    const small =
      `apiVersion: airgap/v1\ndefaultRegistry: ${HOST}\nplatforms: [linux_amd64]\nlockfiles: [stacks/]\n` +
      `providers:\n  hashicorp/null: ['3.2.1']\n${tofuSection(['1.8.5'])}output:\n  dir: bundle\n`;
    await fs.writeFile(path.join(dir, 'airgap.yaml'), small);
    // The same re-run twice over copies of the bundle: once for the lines a person reads,
    // once for --json.
    await fs.cp(bundle, path.join(dir, 'copy'), { recursive: true });
    const r = await mirror(dir);
    expect(r.code).toBe(0);
    const j = await mirror(dir, ['--out', 'copy', '--json']);
    expect(j.code).toBe(0);
    const removedLines = [
      `removed provider ${HOST}/acme/widget 1.0.0 (linux_arm64): no longer requested`,
      `removed provider ${HOST}/hashicorp/null 3.2.0 (linux_amd64, linux_arm64): no longer requested`,
      `removed provider ${HOST}/hashicorp/null 3.2.1 (linux_arm64): no longer requested`,
      'removed tofu 1.8.4: no longer requested',
      'removed tofu 1.8.5 (linux_arm64): no longer requested',
    ];
    expect((JSON.parse(j.stdout) as { removed: string[] }).removed).toEqual(removedLines);
    for (const line of removedLines) expect(r.stderr).toContain(`${line}\n`);
    expect(JSON.parse(j.stdout)).toMatchObject({ packagesDownloaded: 0, packagesCached: 2 });

    const manifest = JSON.parse(await fs.readFile(path.join(bundle, 'airgap.json'), 'utf8')) as Manifest;
    expect(await tree(bundle)).toEqual(listed(manifest));
    expect(await fs.readdir(path.join(bundle, 'tofu'))).toEqual(['1.8.5']);
    expect(
      manifest.providers.map(
        (p) => `${p.address} ${p.version} ${p.packages.map((k) => k.platform).join(',')}`,
      ),
    ).toEqual([`${HOST}/acme/widget 1.0.0 linux_amd64`, `${HOST}/hashicorp/null 3.2.1 linux_amd64`]);
    const index = JSON.parse(
      await fs.readFile(path.join(bundle, 'providers', HOST, 'hashicorp/null/index.json'), 'utf8'),
    ) as unknown;
    expect(index).toEqual({ versions: { '3.2.1': {} } });

    const tarball = path.join(dir, 'bundle.tar');
    const exported = await runCli(
      ['export', bundle, '--tarball', tarball, '--tool-package', await toolPackage(dir)],
      {
        env,
      },
    );
    expect(exported.stderr).not.toContain('Error');
    expect(exported.code).toBe(0);
    const verified = await runCli(
      ['verify', tarball, '--insecure-skip-signature', '--tofu-key', releaseKey()],
      { env },
    );
    expect(verified.code).toBe(0);
  });

  it('flags win over the file for the run: --platform replaces its list, --out its output.dir', async () => {
    const dir = await project(
      `apiVersion: airgap/v1\ndefaultRegistry: ${HOST}\nplatforms: [linux_amd64, linux_arm64]\nlockfiles: [stacks/]\noutput:\n  dir: bundle\n`,
    );
    const r = await mirror(dir, ['--platform', 'linux_arm64', '--out', 'elsewhere', '--json']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as { outDir: string; platforms: string[] };
    expect(result.outDir).toBe(path.join(dir, 'elsewhere'));
    expect(result.platforms).toEqual(['linux_arm64']);
    await expect(fs.stat(path.join(dir, 'bundle'))).rejects.toThrow('ENOENT');
    // --lockfile replaces the spec's lockfiles: only that file is read.
    const other = path.join(dir, 'other.lock.hcl');
    await fs.writeFile(other, `provider "${HOST}/hashicorp/null" {\n  version = "3.2.0"\n}\n`);
    const r2 = await mirror(dir, ['--lockfile', other, '--json']);
    expect(r2.code).toBe(0);
    expect(
      (JSON.parse(r2.stdout) as { providers: { address: string }[] }).providers.map((p) => p.address),
    ).toEqual([`${HOST}/hashicorp/null`]);
  });

  it('-f names the spec; its paths are relative to its own directory', async () => {
    const dir = await project('');
    await fs.mkdir(path.join(dir, 'conf'));
    await fs.writeFile(
      path.join(dir, 'conf', 'bundle.yaml'),
      `apiVersion: airgap/v1\nplatforms: [linux_amd64]\nlockfiles: [../stacks/app/.terraform.lock.hcl]\noutput:\n  dir: out\n`,
    );
    await fs.rm(path.join(dir, 'airgap.yaml'));
    const r = await mirror(dir, ['-f', 'conf/bundle.yaml']);
    expect(r.stderr).not.toContain('Error');
    expect(r.code).toBe(0);
    expect((await fs.stat(path.join(dir, 'conf', 'out', 'airgap.json'))).isFile()).toBe(true);
  });

  it('a bad spec exits 2 naming file:line:col; a missing -f file exits 2; no spec and no inputs says how to start', async () => {
    const dir = await project(`apiVersion: airgap/v1\nplatfroms: [linux_amd64]\n`);
    const bad = await mirror(dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('airgap.yaml:2:1: platfroms: expected one of');
    expect(bad.stderr).toContain('did you mean "platforms"?');
    const missing = await mirror(dir, ['-f', 'nope.yaml']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('Error: --file nope.yaml does not exist');
    const empty = await makeTempDir();
    const nothing = await runCli(['mirror', '--out', path.join(empty, 'b')], { cwd: empty, env });
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('Error: nothing to mirror');
    expect(nothing.stderr).toContain('airgap init');
  });
});

function releaseKey(): string {
  const args = releases.mirrorArgs('tofu', 'x');
  return args[args.indexOf('--tofu-key') + 1]!;
}

// A stand-in for `npm pack` of this checkout (export-npm.test.ts packs the real one).
async function toolPackage(dir: string): Promise<string> {
  const file = path.join(dir, 'airgap-0.1.0.tgz');
  await fs.writeFile(file, fakeToolArchive());
  return file;
}
