// Load on the isolated side of issue 13 with the real terraform, offline: 20 concurrent
// `terraform init` runs against one `airgap serve` over a signed bundle that carries
// registry modules (added by hand, as the connected side packs them; one nested, one with
// //subdir, one from a second registry host) and providers (mirrored by the real `airgap
// mirror` from the test registry) all succeed. A single init and validate, over the bundle
// directory and after export -> import -> serve, is test/e2e/mirror-serve-modules.test.ts.

import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { addModulesToBundle, type TestModule } from '../helpers/module-bundle.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry/index.js';
import { startServeProcess, type ServeProcess } from '../helpers/serve-process.js';
import { signBundleDir } from '../helpers/signed-bundle.js';
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

  async function serve(dir: string, name: string, trust: string[]): Promise<ServeProcess> {
    const s = await startServeProcess([
      dir,
      ...trust,
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

  it('20 concurrent terraform init runs against one serve all succeed', async () => {
    // serve verifies a bundle directory at start: mirror's output, summed and signed as a
    // transfer tarball extracts.
    const { trustedKeyFile } = await signBundleDir(bundle, path.join(work, 'signer.pub.asc'));
    const server = await serve(bundle, 'serve-bundle', ['--trusted-key', trustedKeyFile]);
    const roots = await Promise.all(
      Array.from({ length: 20 }, (_, i) => rootModule(`concurrent-${String(i).padStart(2, '0')}`, server)),
    );
    const requestsBefore = registry.requests.length;
    const results = await Promise.allSettled(
      roots.map(({ dir, env }) => run('terraform', ['init', '-input=false', '-no-color'], { cwd: dir, env })),
    );
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${i}: ${String(r.reason)}`] : []));
    expect(failed).toEqual([]);
    expect(registry.requests.length).toBe(requestsBefore);
    for (const { dir } of roots) {
      expect(await fs.readdir(path.join(dir, '.terraform/providers', HOST, 'hashicorp/null/3.2.1'))).toEqual([
        'linux_amd64',
      ]);
      const modules = JSON.parse(
        await fs.readFile(path.join(dir, '.terraform/modules/modules.json'), 'utf8'),
      ) as {
        Modules: { Key: string; Version?: string }[];
      };
      expect(
        modules.Modules.filter((m) => m.Key !== '')
          .map((m) => [m.Key, m.Version])
          .sort(),
      ).toEqual([
        ['dns', '0.3.0'],
        // The ../shared sibling of //modules/zone: a local call, no version.
        ['dns.shared', undefined],
        ['net', '1.2.0'],
        ['net.tags', '2.1.0'],
        ['net_old', '1.0.0'],
      ]);
    }
  }, 300_000);
});
