// End to end with the real Terraform CLI (tofu's stand-in: the mirror formats are shared).
// (a) `terraform init` offline from our mirror, with lock files completed by --update-lockfiles;
// (b) `terraform providers mirror` against the same test registry gives byte-identical zips
//     and equivalent network-mirror JSON.

import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry/index.js';
import { makeTempDir } from '../helpers/tmp.js';
import { describeWithTools } from '../helpers/tools.js';

const run = promisify(execFile);
const HOST = 'registry.airgap.test';
const PLATFORMS = ['linux_amd64', 'linux_arm64'];

describeWithTools(['terraform'], 'the real terraform CLI', () => {
  let registry: TestRegistry;
  let work: string;
  let cliConfig: string;

  beforeAll(async () => {
    registry = await startTestRegistry({
      providers: [
        {
          namespace: 'hashicorp',
          type: 'null',
          versions: ['3.2.1'],
          platforms: [...PLATFORMS, 'darwin_arm64'],
        },
        { namespace: 'acme', type: 'widget', versions: ['1.0.0'], platforms: PLATFORMS },
      ],
    });
    work = await makeTempDir();
    cliConfig = path.join(work, 'registry.tfrc');
    await fs.writeFile(cliConfig, registry.cliConfigText());
  });

  afterAll(async () => {
    await registry?.close();
  });

  const mainTf = `terraform {
  required_providers {
    null = {
      source  = "${HOST}/hashicorp/null"
      version = "3.2.1"
    }
    widget = {
      source  = "${HOST}/acme/widget"
      version = "~> 1.0"
    }
  }
}
`;

  async function stack(name: string, lock: string): Promise<string> {
    const dir = path.join(work, name);
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, 'main.tf'), mainTf);
    await fs.writeFile(path.join(dir, '.terraform.lock.hcl'), lock);
    return dir;
  }

  // A lock file as a laptop on darwin_arm64 would have it: that platform's h1: only.
  function laptopLock(): string {
    const n = registry.packages.find((p) => p.type === 'null' && p.platform === 'darwin_arm64')!;
    return `# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "${HOST}/acme/widget" {
  version     = "1.0.0"
  constraints = "~> 1.0"
}

provider "${HOST}/hashicorp/null" {
  version     = "3.2.1"
  constraints = "3.2.1"
  hashes = [
    "${n.h1}",
  ]
}
`;
  }

  it('(a) terraform init succeeds offline from the mirror, with the completed lock file', async () => {
    const dir = await stack('a', laptopLock());
    const out = path.join(work, 'bundle-a');
    const m = await runCli(
      [
        'mirror',
        '--dir',
        dir,
        '--out',
        out,
        '--platform',
        'linux_amd64',
        '--platform',
        'linux_arm64',
        '--update-lockfiles',
      ],
      { env: { TF_CLI_CONFIG_FILE: cliConfig, SSL_CERT_FILE: registry.caCertPath } },
    );
    expect(m.stderr).not.toContain('Error');
    expect(m.code).toBe(0);
    const completed = await fs.readFile(path.join(dir, '.terraform.lock.hcl'), 'utf8');

    const offline = path.join(work, 'offline.tfrc');
    await fs.writeFile(
      offline,
      `provider_installation {\n  filesystem_mirror {\n    path = "${path.join(out, 'providers')}"\n  }\n}\n`,
    );
    const requestsBefore = registry.requests.length;
    const tf = await run('terraform', ['init', '-input=false', '-no-color'], {
      cwd: dir,
      env: {
        PATH: process.env.PATH,
        HOME: work,
        TF_CLI_CONFIG_FILE: offline,
        // Any attempt to reach a network fails fast: nothing listens on port 9.
        HTTPS_PROXY: 'http://127.0.0.1:9',
        HTTP_PROXY: 'http://127.0.0.1:9',
        CHECKPOINT_DISABLE: '1',
      },
    });
    expect(tf.stdout).toContain('Terraform has been successfully initialized!');
    expect(registry.requests.length).toBe(requestsBefore);
    // terraform found nothing to change in the lock file we completed.
    expect(await fs.readFile(path.join(dir, '.terraform.lock.hcl'), 'utf8')).toBe(completed);
    const installed = await fs.readdir(path.join(dir, '.terraform/providers', HOST, 'hashicorp/null/3.2.1'));
    expect(installed).toEqual(['linux_amd64']);
  }, 120_000);

  it('(b) terraform providers mirror yields byte-identical zips and equivalent index JSON', async () => {
    const dir = await stack('b', laptopLock());
    const ours = path.join(work, 'bundle-b');
    const theirs = path.join(work, 'tf-mirror');
    const env = { TF_CLI_CONFIG_FILE: cliConfig, SSL_CERT_FILE: registry.caCertPath };
    const m = await runCli(
      ['mirror', '--dir', dir, '--out', ours, '--platform', 'linux_amd64', '--platform', 'linux_arm64'],
      { env },
    );
    expect(m.code).toBe(0);
    await run(
      'terraform',
      ['providers', 'mirror', '-platform=linux_amd64', '-platform=linux_arm64', theirs],
      {
        cwd: dir,
        env: { PATH: process.env.PATH, HOME: work, CHECKPOINT_DISABLE: '1', ...env },
      },
    );

    for (const [ns, type, version] of [
      ['hashicorp', 'null', '3.2.1'],
      ['acme', 'widget', '1.0.0'],
    ] as const) {
      const rel = path.join(HOST, ns, type);
      for (const pl of PLATFORMS) {
        const name = `terraform-provider-${type}_${version}_${pl}.zip`;
        const a = await fs.readFile(path.join(ours, 'providers', rel, name));
        const b = await fs.readFile(path.join(theirs, rel, name));
        expect(a.equals(b)).toBe(true);
      }
      expect(JSON.parse(await fs.readFile(path.join(ours, 'providers', rel, 'index.json'), 'utf8'))).toEqual(
        JSON.parse(await fs.readFile(path.join(theirs, rel, 'index.json'), 'utf8')),
      );
      const ourVersion = JSON.parse(
        await fs.readFile(path.join(ours, 'providers', rel, `${version}.json`), 'utf8'),
      );
      const theirVersion = JSON.parse(await fs.readFile(path.join(theirs, rel, `${version}.json`), 'utf8'));
      // Terraform lists h1: only; we list h1: and zh:. Equal once zh: is set aside.
      for (const pl of PLATFORMS) {
        ourVersion.archives[pl].hashes = ourVersion.archives[pl].hashes.filter((h: string) =>
          h.startsWith('h1:'),
        );
      }
      expect(ourVersion).toEqual(theirVersion);
    }
  }, 120_000);
});
