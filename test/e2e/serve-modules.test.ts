// The isolated side of issue 13 with the real terraform, offline: `airgap serve` over a
// bundle that carries registry modules (added by hand, as the connected side packs
// them) and providers (mirrored by the real `airgap mirror` from the test registry).
// terraform, with only the CLI configuration serve wrote and its CA, runs `init` on a
// root module that calls the modules by their original registry addresses (one nested,
// one with //subdir, one from a second registry host) and installs the provider from the
// served network mirror; then `terraform validate`. Twice: over the bundle directory,
// and after export -> import -> serve. Then 20 concurrent `terraform init` against one serve.

import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { addModulesToBundle, type TestModule } from '../helpers/module-bundle.js';
import { generateSigningKey } from '../helpers/pgp.js';
import { fakeToolArchive } from '../helpers/transfer.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry/index.js';
import { startServeProcess, type ServeProcess } from '../helpers/serve-process.js';
import { makeTempDir } from '../helpers/tmp.js';
import { describeWithTools } from '../helpers/tools.js';

const run = promisify(execFile);
const HOST = 'registry.airgap.test';
const TFR = 'registry.terraform.io';

const MODULES: TestModule[] = [
  {
    source: `${TFR}/acme/net/aws`,
    version: '1.0.0',
    files: { 'main.tf': 'variable "cidr" {\n  type = string\n}\noutput "cidr" {\n  value = var.cidr\n}\n' },
  },
  {
    // Calls another registry module: nested modules are why copying .terraform/modules breaks.
    source: `${TFR}/acme/net/aws`,
    version: '1.2.0',
    files: {
      'main.tf':
        'variable "cidr" {\n  type = string\n}\nmodule "tags" {\n  source  = "acme/tags/aws"\n  version = "~> 2.0"\n  name    = "net"\n}\n' +
        'resource "terraform_data" "net" {\n  input = var.cidr\n}\noutput "cidr" {\n  value = var.cidr\n}\noutput "tags" {\n  value = module.tags.tags\n}\n',
    },
  },
  {
    source: `${TFR}/acme/tags/aws`,
    version: '2.1.0',
    files: {
      'main.tf': 'variable "name" {\n  type = string\n}\noutput "tags" {\n  value = { Name = var.name }\n}\n',
    },
  },
  {
    // The module is a subdirectory of its repository and uses a sibling by a ../ path.
    source: 'git.corp.example/team/dns/aws',
    version: '0.3.0',
    subdir: 'modules/zone',
    files: {
      'README.md': 'dns\n',
      'modules/zone/main.tf':
        'module "shared" {\n  source = "../shared"\n}\noutput "zone" {\n  value = module.shared.suffix\n}\n',
      'modules/shared/main.tf': 'output "suffix" {\n  value = "corp.example"\n}\n',
    },
  },
];

const ROOT_TF = `terraform {
  required_providers {
    null = {
      source  = "${HOST}/hashicorp/null"
      version = "3.2.1"
    }
  }
}

module "net" {
  source  = "${TFR}/acme/net/aws"
  version = "~> 1.1"
  cidr    = "10.0.0.0/16"
}

module "net_old" {
  source  = "acme/net/aws"
  version = "1.0.0"
  cidr    = "10.1.0.0/16"
}

module "dns" {
  source  = "git.corp.example/team/dns/aws"
  version = "0.3.0"
}

output "zone" {
  value = module.dns.zone
}
`;

describeWithTools(['terraform'], 'airgap serve with the real terraform, offline', () => {
  let registry: TestRegistry;
  let work: string;
  let bundle: string;
  const servers: ServeProcess[] = [];

  beforeAll(async () => {
    registry = await startTestRegistry({
      providers: [{ namespace: 'hashicorp', type: 'null', versions: ['3.2.1'], platforms: ['linux_amd64'] }],
    });
    work = await makeTempDir();
    const stack = path.join(work, 'stack');
    await fs.mkdir(stack);
    await fs.writeFile(
      path.join(stack, 'main.tf'),
      `terraform {\n  required_providers {\n    null = {\n      source  = "${HOST}/hashicorp/null"\n      version = "3.2.1"\n    }\n  }\n}\n`,
    );
    await fs.writeFile(
      path.join(stack, '.terraform.lock.hcl'),
      `provider "${HOST}/hashicorp/null" {\n  version = "3.2.1"\n}\n`,
    );
    const cfg = path.join(work, 'registry.tfrc');
    await fs.writeFile(cfg, registry.cliConfigText());
    bundle = path.join(work, 'bundle');
    const m = await runCli(['mirror', '--dir', stack, '--out', bundle, '--platform', 'linux_amd64'], {
      env: { TF_CLI_CONFIG_FILE: cfg, SSL_CERT_FILE: registry.caCertPath },
    });
    expect(m.stderr).not.toContain('Error');
    expect(m.code).toBe(0);
    await addModulesToBundle(bundle, MODULES);
  }, 120_000);

  afterAll(async () => {
    for (const s of servers) await s.stop();
    await registry?.close();
  });

  async function serve(dir: string, name: string): Promise<ServeProcess> {
    const s = await startServeProcess([
      dir,
      '--listen',
      '127.0.0.1:0',
      '--self-signed',
      '--out',
      path.join(work, name),
      '--quiet',
    ]);
    servers.push(s);
    return s;
  }

  /** A fresh root module dir, and terraform's env with nothing but the served CLI config and CA: no route out. */
  async function rootModule(name: string, s: ServeProcess): Promise<{ dir: string; env: NodeJS.ProcessEnv }> {
    const dir = path.join(work, name);
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, 'main.tf'), ROOT_TF);
    return {
      dir,
      env: {
        PATH: process.env.PATH,
        HOME: dir,
        TF_CLI_CONFIG_FILE: s.cliConfigPath,
        SSL_CERT_FILE: s.caCertPath,
        // Anything but the serve address goes to a proxy that is not there.
        HTTPS_PROXY: 'http://127.0.0.1:9',
        HTTP_PROXY: 'http://127.0.0.1:9',
        NO_PROXY: '127.0.0.1',
        CHECKPOINT_DISABLE: '1',
      },
    };
  }

  async function initAndValidate(name: string, s: ServeProcess): Promise<void> {
    const { dir, env } = await rootModule(name, s);
    const requestsBefore = registry.requests.length;
    const init = await run('terraform', ['init', '-input=false', '-no-color'], { cwd: dir, env });
    expect(init.stdout).toContain('Terraform has been successfully initialized!');
    expect(registry.requests.length).toBe(requestsBefore);
    const modules = JSON.parse(
      await fs.readFile(path.join(dir, '.terraform/modules/modules.json'), 'utf8'),
    ) as {
      Modules: { Key: string; Source: string; Version?: string; Dir: string }[];
    };
    const byKey = Object.fromEntries(modules.Modules.map((m) => [m.Key, m]));
    expect(byKey['net']).toMatchObject({ Source: `${TFR}/acme/net/aws`, Version: '1.2.0' });
    expect(byKey['net.tags']).toMatchObject({ Source: `${TFR}/acme/tags/aws`, Version: '2.1.0' });
    expect(byKey['net_old']).toMatchObject({ Source: `${TFR}/acme/net/aws`, Version: '1.0.0' });
    expect(byKey['dns']).toMatchObject({
      Source: 'git.corp.example/team/dns/aws',
      Version: '0.3.0',
      Dir: '.terraform/modules/dns/modules/zone',
    });
    expect(await fs.readdir(path.join(dir, '.terraform/providers', HOST, 'hashicorp/null/3.2.1'))).toEqual([
      'linux_amd64',
    ]);
    // validate starts every provider the configuration requires to read its schema, and the
    // test registry's providers are stand-in executables, not plugins: validate the modules
    // served (nested, //subdir with its ../ sibling) with the provider requirement dropped.
    await fs.writeFile(path.join(dir, 'main.tf'), ROOT_TF.replace(/^terraform \{[\s\S]*?^\}\n/m, ''));
    const validate = await run('terraform', ['validate', '-no-color'], { cwd: dir, env });
    expect(validate.stdout).toContain('Success! The configuration is valid.');
  }

  let bundleServer: ServeProcess;

  it('init and validate from serve over the bundle directory', async () => {
    bundleServer = await serve(bundle, 'serve-bundle');
    await initAndValidate('root-bundle', bundleServer);
  }, 120_000);

  it('init and validate from serve over an import destination, after export -> import', async () => {
    const key = await generateSigningKey({ name: 'bundle signer', date: new Date('2019-06-01T00:00:00Z') });
    const secret = path.join(work, 'signer.asc');
    const trusted = path.join(work, 'signer.pub.asc');
    await fs.writeFile(secret, key.privateKeyArmored);
    await fs.writeFile(trusted, key.publicKeyArmored);
    const tool = path.join(work, 'airgap-0.1.0.tgz');
    await fs.writeFile(tool, fakeToolArchive());
    const tarball = path.join(work, 'bundle.tar');
    const exported = await runCli([
      'export',
      bundle,
      '--tarball',
      tarball,
      '--sign-key',
      secret,
      '--tool-package',
      tool,
    ]);
    expect(exported.stderr).not.toContain('Error');
    expect(exported.code).toBe(0);
    const dest = path.join(work, 'isolated');
    const imported = await runCli([
      'import',
      tarball,
      '--dest',
      dest,
      '--trusted-key',
      trusted,
      '--platform',
      'linux_amd64',
    ]);
    expect(imported.stderr).not.toContain('Error');
    expect(imported.code).toBe(0);
    const verified = await runCli(['verify', dest, '--json']);
    expect(verified.code).toBe(0);
    const report = JSON.parse(verified.stdout) as {
      rows: { check: string; subject: string; status: string }[];
    };
    expect(report.rows.filter((r) => r.check === 'module').map((r) => [r.subject, r.status])).toEqual([
      ['git.corp.example/team/dns/aws 0.3.0', 'ok'],
      [`${TFR}/acme/net/aws 1.0.0`, 'ok'],
      [`${TFR}/acme/net/aws 1.2.0`, 'ok'],
      [`${TFR}/acme/tags/aws 2.1.0`, 'ok'],
    ]);
    const s = await serve(dest, 'serve-dest');
    expect(s.stdout()).toContain('(live import generation)');
    await initAndValidate('root-dest', s);
  }, 180_000);

  it('20 concurrent terraform init runs against one serve all succeed', async () => {
    const roots = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        rootModule(`concurrent-${String(i).padStart(2, '0')}`, bundleServer),
      ),
    );
    const results = await Promise.allSettled(
      roots.map(({ dir, env }) => run('terraform', ['init', '-input=false', '-no-color'], { cwd: dir, env })),
    );
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${i}: ${String(r.reason)}`] : []));
    expect(failed).toEqual([]);
    for (const { dir } of roots) {
      expect(await fs.readdir(path.join(dir, '.terraform/providers', HOST, 'hashicorp/null/3.2.1'))).toEqual([
        'linux_amd64',
      ]);
    }
  }, 300_000);
});
