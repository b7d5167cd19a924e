// `airgap mirror` carrying registry modules (issue 13): named in airgap.yaml's modules:,
// and found in the module calls of configurations: directories, resolved through a
// real Module Registry Protocol server that answers like registry.terraform.io (204 +
// X-Terraform-Get) and like registry.opentofu.org (JSON location), fetched from real git
// repositories (dumb HTTP) and .tar.gz/.zip archives, nested calls followed, each
// version packed as one deterministic zip with its sha256 in airgap.json and its
// resolution in airgap.lock.json.

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

interface Manifest {
  modules?: {
    path: string;
    size: number;
    sha256: string;
    source: string;
    version: string;
    location: string;
    commit?: string;
    subdir?: string;
  }[];
}

describe('mirror with modules', () => {
  it('carries spec modules and every registry call of the configurations, nested ones too', async () => {
    const cwd = await project();
    const r = await mirror(cwd, ['--json']);
    if (r.code !== 0) console.log(r.stdout, r.stderr);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const manifest = JSON.parse(
      await fs.readFile(path.join(cwd, 'bundle', 'airgap.json'), 'utf8'),
    ) as Manifest;
    console.log(JSON.stringify(manifest.modules, null, 2));
    const lock = JSON.parse(
      await fs.readFile(path.join(cwd, 'bundle', 'airgap.lock.json'), 'utf8'),
    ) as unknown;
    console.log(JSON.stringify(lock, null, 2));
    for (const m of manifest.modules ?? []) {
      const d = await digestZip(path.join(cwd, 'bundle', m.path));
      console.log(
        m.path,
        d.entries.map((e) => `${e.name} ${e.mode?.toString(8)}`),
      );
    }
  });
});
