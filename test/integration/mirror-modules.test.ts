// `airgap mirror` carrying registry modules (issue 13): named in airgap.yaml's modules:,
// and found in the module calls of configurations: directories, resolved through a
// real Module Registry Protocol server that answers like registry.terraform.io (204 +
// X-Terraform-Get) and like registry.opentofu.org (JSON location), fetched from real git
// repositories (dumb HTTP) and .tar.gz/.zip archives, nested calls followed, each
// version packed as one deterministic zip with its sha256 in airgap.json and its
// resolution in airgap.lock.json.

import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestZip } from '../../src/adapters/archive/zip-read.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startModuleRegistry, type TestModuleRegistry } from '../helpers/module-registry/index.js';
import { makeTempDir } from '../helpers/tmp.js';

const HOST = 'modules.airgap.test';
let registry: TestModuleRegistry;
let env: Record<string, string>;

const NETWORK_V1 = {
  'main.tf': 'variable "cidr" {\n  type = string\n}\n\noutput "cidr" {\n  value = var.cidr\n}\n',
};
const NETWORK_V11 = {
  'main.tf':
    `module "label" {\n  source  = "${HOST}/acme/label/null"\n  version = "~> 0.3"\n  name    = "\${var.name}-net"\n}\n\n` +
    'module "subnets" {\n  source = "./modules/subnets"\n}\n\nvariable "name" {\n  type = string\n}\n',
  'modules/subnets/main.tf': 'output "count" {\n  value = 2\n}\n',
  'scripts/check.sh': { content: '#!/bin/sh\nexit 0\n', mode: 0o755 },
};

beforeAll(async () => {
  registry = await startModuleRegistry({
    modules: [
      {
        namespace: 'acme',
        name: 'network',
        system: 'aws',
        source: 'git',
        answer: 'terraform',
        versions: [
          { version: '1.0.0', files: NETWORK_V1 },
          { version: '1.1.0', files: NETWORK_V11 },
          { version: '2.0.0', files: { 'main.tf': '# 2.0.0\n' } },
        ],
      },
      {
        namespace: 'acme',
        name: 'label',
        system: 'null',
        source: 'tar.gz',
        answer: 'opentofu',
        versions: [
          { version: '0.3.0', files: { 'main.tf': 'variable "name" {}\n' } },
          {
            version: '0.3.1',
            files: { 'main.tf': 'variable "name" {}\noutput "id" {\n  value = var.name\n}\n' },
          },
        ],
      },
      {
        namespace: 'acme',
        name: 'bucket',
        system: 'aws',
        source: 'zip',
        answer: 'terraform',
        subdir: 'modules/bucket',
        versions: [
          {
            version: '1.0.0',
            files: {
              'README.md': '# buckets\n',
              'modules/bucket/main.tf': 'output "arn" {\n  value = "x"\n}\n',
            },
          },
        ],
      },
      {
        namespace: 'acme',
        name: 'hinted',
        system: 'aws',
        source: 'zip',
        answer: 'opentofu',
        archiveHint: true,
        relativeLocation: true,
        versions: [{ version: '0.1.0', files: { 'main.tf': '# hinted\n' } }],
      },
    ],
  });
  const dir = await makeTempDir();
  const cfg = path.join(dir, 'cli.tfrc');
  await fs.writeFile(cfg, registry.cliConfigText());
  env = { TF_CLI_CONFIG_FILE: cfg, SSL_CERT_FILE: registry.caCertPath, SOURCE_DATE_EPOCH: '1700000000' };
});

afterAll(async () => {
  await registry?.close();
});

async function project(): Promise<string> {
  const dir = await makeTempDir();
  await fs.mkdir(path.join(dir, 'stack', 'local'), { recursive: true });
  await fs.writeFile(
    path.join(dir, 'stack', 'main.tf'),
    `module "net" {\n  source  = "${HOST}/acme/network/aws"\n  version = "~> 1.0"\n  name    = var.name\n}\n\n` +
      `module "bucket" {\n  source  = "${HOST}/acme/bucket/aws"\n  version = "1.0.0"\n}\n\n` +
      'module "local" { source = "./local" }\n\nvariable "name" {\n  default = "x"\n}\n',
  );
  await fs.writeFile(
    path.join(dir, 'stack', 'local', 'main.tf'),
    `module "hinted" {\n  source  = "${HOST}/acme/hinted/aws"\n  version = ">= 0.1"\n}\n`,
  );
  await fs.writeFile(
    path.join(dir, 'airgap.yaml'),
    `apiVersion: airgap/v1\noutput:\n  dir: bundle\nmodules:\n  ${HOST}/acme/label/null: "0.3.0"\nconfigurations:\n  - stack\n`,
  );
  return dir;
}

function mirror(cwd: string, args: string[] = []): Promise<CliResult> {
  return runCli(['mirror', ...args], { cwd, env });
}

interface ManifestModule {
  path: string;
  size: number;
  sha256: string;
  source: string;
  version: string;
  location: string;
  commit?: string;
  subdir?: string;
}

async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await fs.readFile(file, 'utf8')) as T;
}

async function entries(zip: string): Promise<string[]> {
  return (await digestZip(zip)).entries.map((e) => `${e.name} ${(e.mode ?? 0).toString(8)}`);
}

// The packages' bytes depend only on the module files: pinned here.
const SHA = {
  bucket: '1199e71205c9862e6dde91dfa1e38e99e2b108592c0c4d1e4108d9f94cb46af5',
  hinted: 'f1b5de51b6ed059fa60feb305381f878cf2bfeaab31109b4c256339ebf51c07b',
  label030: '63b2780f0588f0e744d4d6fe7e083a2690be16b5f868bf69d8e4148f8421cc2e',
  label031: '4b3cd53727606529b6f187dff22f00bbfca25ca11e8e624ec64058c810116d34',
  network110: 'cce9f2631bdd66cd440f98bd6b361e881c4417f1563db42e2c02673ebc779d63',
};
// Fixed author, committer and dates make the commit id fixed too.
const NETWORK_110_COMMIT = '09f422ad4ed395bf146a2f4e4422f924f6943380';

describe('mirror with modules', () => {
  it('carries spec modules and every registry call of the configurations, nested ones too', async () => {
    const cwd = await project();
    // plan exits 10 when mirror would change the bundle, 0 when not.
    const planned = async (code: number): Promise<string[]> => {
      const p = await runCli(['plan', '--json'], { cwd, env });
      expect(p.code).toBe(code);
      const doc = JSON.parse(p.stdout) as {
        items: { kind: string; subject: string; action: string; size: number | null }[];
      };
      return doc.items.filter((i) => i.kind === 'module').map((i) => `${i.action} ${i.subject} ${i.size}`);
    };
    // Before: what the request names and the configuration calls, from version lists only.
    expect(await planned(10)).toEqual([
      `download ${HOST}/acme/bucket/aws 1.0.0 null`,
      `download ${HOST}/acme/hinted/aws 0.1.0 null`,
      `download ${HOST}/acme/label/null 0.3.0 null`,
      `download ${HOST}/acme/network/aws 1.1.0 null`,
    ]);
    const r = await mirror(cwd, ['--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const bundle = path.join(cwd, 'bundle');
    const manifest = await readJson<{ modules: ManifestModule[] }>(path.join(bundle, 'airgap.json'));
    const u = registry.url;
    expect(registry.commit(`acme/network/aws`, '1.1.0')).toBe(NETWORK_110_COMMIT);
    expect(manifest.modules).toEqual([
      {
        path: `modules/${HOST}/acme/bucket/aws/1.0.0.zip`,
        size: 313,
        sha256: SHA.bucket,
        source: `${HOST}/acme/bucket/aws`,
        version: '1.0.0',
        location: `${u}/archives/acme/bucket/aws/1.0.0.zip//modules/bucket`,
        subdir: 'modules/bucket',
      },
      {
        path: `modules/${HOST}/acme/hinted/aws/0.1.0.zip`,
        size: 139,
        sha256: SHA.hinted,
        source: `${HOST}/acme/hinted/aws`,
        version: '0.1.0',
        location: `${u}/archives/acme/hinted/aws/0.1.0?archive=zip`,
      },
      {
        path: `modules/${HOST}/acme/label/null/0.3.0.zip`,
        size: 149,
        sha256: SHA.label030,
        source: `${HOST}/acme/label/null`,
        version: '0.3.0',
        location: `${u}/archives/acme/label/null/0.3.0.tar.gz`,
      },
      {
        path: `modules/${HOST}/acme/label/null/0.3.1.zip`,
        size: 182,
        sha256: SHA.label031,
        source: `${HOST}/acme/label/null`,
        version: '0.3.1',
        location: `${u}/archives/acme/label/null/0.3.1.tar.gz`,
      },
      {
        path: `modules/${HOST}/acme/network/aws/1.1.0.zip`,
        size: 580,
        sha256: SHA.network110,
        source: `${HOST}/acme/network/aws`,
        version: '1.1.0',
        location: `git::${u}/git/acme-network-aws.git?ref=v1.1.0`,
        commit: NETWORK_110_COMMIT,
      },
    ]);
    for (const m of manifest.modules) {
      expect(await sha256Of(path.join(bundle, m.path))).toBe(m.sha256);
    }
    // The whole fetched tree, local submodules and the executable bit included; no .git.
    expect(await entries(path.join(bundle, manifest.modules[4]!.path))).toEqual([
      'main.tf 100644',
      'modules/subnets/main.tf 100644',
      'scripts/check.sh 100755',
    ]);
    expect(await entries(path.join(bundle, manifest.modules[0]!.path))).toEqual([
      'README.md 100644',
      'modules/bucket/main.tf 100644',
    ]);

    const lock = await readJson<{ modules: unknown[] }>(path.join(bundle, 'airgap.lock.json'));
    expect(lock.modules).toEqual([
      {
        source: `${HOST}/acme/bucket/aws`,
        version: '1.0.0',
        requestedBy: ['stack/main.tf'],
        constraints: ['1.0.0'],
        location: `${u}/archives/acme/bucket/aws/1.0.0.zip//modules/bucket`,
        subdir: 'modules/bucket',
        sha256: SHA.bucket,
      },
      {
        source: `${HOST}/acme/hinted/aws`,
        version: '0.1.0',
        requestedBy: ['stack/local/main.tf'],
        constraints: ['>= 0.1'],
        location: `${u}/archives/acme/hinted/aws/0.1.0?archive=zip`,
        sha256: SHA.hinted,
      },
      {
        source: `${HOST}/acme/label/null`,
        version: '0.3.0',
        requestedBy: ['modules'],
        constraints: ['0.3.0'],
        location: `${u}/archives/acme/label/null/0.3.0.tar.gz`,
        sha256: SHA.label030,
      },
      {
        source: `${HOST}/acme/label/null`,
        version: '0.3.1',
        requestedBy: [`${HOST}/acme/network/aws 1.1.0`],
        constraints: ['~> 0.3'],
        location: `${u}/archives/acme/label/null/0.3.1.tar.gz`,
        sha256: SHA.label031,
      },
      {
        source: `${HOST}/acme/network/aws`,
        version: '1.1.0',
        requestedBy: ['stack/main.tf'],
        constraints: ['~> 1.0'],
        location: `git::${u}/git/acme-network-aws.git?ref=v1.1.0`,
        commit: NETWORK_110_COMMIT,
        sha256: SHA.network110,
      },
    ]);
    const json = JSON.parse(r.stdout) as { modules: { source: string; version: string }[] };
    expect(json.modules.map((m) => `${m.source} ${m.version}`)).toEqual([
      `${HOST}/acme/bucket/aws 1.0.0`,
      `${HOST}/acme/hinted/aws 0.1.0`,
      `${HOST}/acme/label/null 0.3.0`,
      `${HOST}/acme/label/null 0.3.1`,
      `${HOST}/acme/network/aws 1.1.0`,
    ]);
    // Both answer forms were used: 204 + X-Terraform-Get and 200 + JSON location.
    expect(registry.requests.some((q) => q.path === '/v1/modules/acme/network/aws/1.1.0/download')).toBe(
      true,
    );
    expect(registry.requests.some((q) => q.path === '/v1/modules/acme/label/null/0.3.1/download')).toBe(true);

    // After: all present, the nested one too (airgap.lock.json says who called it).
    expect(await planned(0)).toEqual([
      `present ${HOST}/acme/bucket/aws 1.0.0 313`,
      `present ${HOST}/acme/hinted/aws 0.1.0 139`,
      `present ${HOST}/acme/label/null 0.3.0 149`,
      `present ${HOST}/acme/label/null 0.3.1 182`,
      `present ${HOST}/acme/network/aws 1.1.0 580`,
    ]);

    // verify checks each module zip against airgap.json and says modules are unsigned.
    const verified = await runCli(['verify', bundle], { cwd, env });
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/^modules {9}5 {3}5 {7}0 {8}0 {8}0$/m);
    expect(verified.stdout.replace(/\s+/g, ' ')).toContain(
      "Modules carry no signatures in either ecosystem: each is pinned by the sha256 (and git commit) airgap.json records when it was fetched, and vouched for by this bundle's signature alone.",
    );
    const moduleRows = async (): Promise<unknown[]> => {
      const v = await runCli(['verify', bundle, '--json'], { cwd, env });
      return (JSON.parse(v.stdout) as { rows: { check: string }[] }).rows.filter((x) => x.check === 'module');
    };
    const rows = await moduleRows();
    expect(rows).toHaveLength(5);
    expect(rows[4]).toEqual({
      check: 'module',
      subject: `${HOST}/acme/network/aws 1.1.0`,
      status: 'ok',
      detail: `modules/${HOST}/acme/network/aws/1.1.0.zip: sha256 ${SHA.network110}, git commit ${NETWORK_110_COMMIT}; no signature (modules are unsigned), pinned by the bundle`,
    });
    // A changed module zip fails verify (and the next mirror run puts the pinned bytes back).
    const hinted = path.join(bundle, manifest.modules[1]!.path);
    await fs.writeFile(hinted, 'not the module');
    const tampered = await runCli(['verify', bundle], { cwd, env });
    expect(tampered.code).toBe(1);
    expect((await moduleRows())[1]).toEqual({
      check: 'module',
      subject: `${HOST}/acme/hinted/aws 0.1.0`,
      status: 'failed',
      code: 'CHECKSUM_MISMATCH',
      detail: `modules/${HOST}/acme/hinted/aws/0.1.0.zip was not read intact (see its file row)`,
    });

    // A re-run fetches again and finds the same bytes: nothing changes, not even airgap.json's time.
    const before = await fs.readFile(path.join(bundle, 'airgap.json'), 'utf8');
    const again = await mirror(cwd);
    expect(again.code).toBe(0);
    expect(await sha256Of(hinted)).toBe(SHA.hinted);
    expect(again.stderr).toContain(`module ${HOST}/acme/network/aws 1.1.0: unchanged`);
    expect(again.stdout).toContain(
      'Carried 5 module version(s) (no signatures: pinned by sha256 and git commit).',
    );
    expect(await fs.readFile(path.join(bundle, 'airgap.json'), 'utf8')).toBe(before);

    // A smaller request prunes what it no longer names.
    await fs.writeFile(
      path.join(cwd, 'airgap.yaml'),
      `apiVersion: airgap/v1\noutput:\n  dir: bundle\nmodules:\n  ${HOST}/acme/label/null: "0.3.0"\n`,
    );
    const smaller = await mirror(cwd);
    expect(smaller.code).toBe(0);
    for (const line of [
      `removed module ${HOST}/acme/bucket/aws 1.0.0: no longer requested`,
      `removed module ${HOST}/acme/hinted/aws 0.1.0: no longer requested`,
      `removed module ${HOST}/acme/label/null 0.3.1: no longer requested`,
      `removed module ${HOST}/acme/network/aws 1.1.0: no longer requested`,
    ]) {
      expect(smaller.stdout + smaller.stderr).toContain(line);
    }
    const pruned = await readJson<{ modules: ManifestModule[] }>(path.join(bundle, 'airgap.json'));
    expect(pruned.modules.map((m) => m.path)).toEqual([`modules/${HOST}/acme/label/null/0.3.0.zip`]);
    expect(await fs.readdir(path.join(bundle, 'modules', HOST, 'acme'))).toEqual(['label']);
  }, 300_000);
});

async function sha256Of(file: string): Promise<string> {
  return createHash('sha256')
    .update(await fs.readFile(file))
    .digest('hex');
}
