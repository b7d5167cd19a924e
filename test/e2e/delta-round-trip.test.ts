// A routine update across the gap as a delta, each step through the real executable:
// connected side:  airgap mirror v1 --tarball (signed)                   -> v1.tar
//                  airgap mirror v2 (null bumped, tofu bumped) --out DIR
//                  airgap export DIR --base v1.tar --tarball delta.tar    -> only what changed
// isolated side:   airgap import v1.tar, then delta.tar --dest DIR
//                  terraform init with v2's lock file and DIR/tofurc, no network

import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { generateSigningKey } from '../helpers/pgp.js';
import { REPO_ROOT } from '../helpers/realdata.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry/index.js';
import { startReleaseServer, type ReleaseServer } from '../helpers/release-server/index.js';
import { makeTempDir } from '../helpers/tmp.js';
import { describeWithTools } from '../helpers/tools.js';

const run = promisify(execFile);
const HOST = 'registry.airgap.test';
const PLATFORMS = ['linux_amd64', 'linux_arm64'];

function mainTf(nullVersion: string): string {
  return `terraform {\n  required_providers {\n    null = {\n      source  = "${HOST}/hashicorp/null"\n      version = "${nullVersion}"\n    }\n    widget = {\n      source  = "${HOST}/acme/widget"\n      version = "1.0.0"\n    }\n  }\n}\n`;
}

function lockTf(nullVersion: string): string {
  return `provider "${HOST}/hashicorp/null" {\n  version = "${nullVersion}"\n}\n\nprovider "${HOST}/acme/widget" {\n  version = "1.0.0"\n}\n`;
}

describeWithTools(
  ['terraform', 'npm', 'tar'],
  'full v1, delta v1->v2, terraform init offline with v2',
  () => {
    let registry: TestRegistry;
    let releases: ReleaseServer;
    let work: string;
    let toolPackage: string;

    beforeAll(async () => {
      registry = await startTestRegistry({
        providers: [
          { namespace: 'hashicorp', type: 'null', versions: ['3.2.1', '3.2.2'], platforms: PLATFORMS },
          { namespace: 'acme', type: 'widget', versions: ['1.0.0'], platforms: PLATFORMS },
        ],
      });
      releases = await startReleaseServer({ tofu: { versions: ['1.8.5', '1.8.6'], platforms: PLATFORMS } });
      work = await makeTempDir();
      const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', work], {
        cwd: REPO_ROOT,
      });
      toolPackage = path.join(work, stdout.trim().split('\n').at(-1)!);
    }, 180_000);

    afterAll(async () => {
      await registry?.close();
      await releases?.close();
    });

    it('imports the delta over v1 and initialises v2 offline', async () => {
      const key = await generateSigningKey({ name: 'airgap bundle signer' });
      const secret = path.join(work, 'signer.asc');
      const trusted = path.join(work, 'signer.pub.asc');
      await fs.writeFile(secret, key.privateKeyArmored);
      await fs.writeFile(trusted, key.publicKeyArmored);
      const cfg = path.join(work, 'registry.tfrc');
      await fs.writeFile(cfg, registry.cliConfigText());
      const env = {
        TF_CLI_CONFIG_FILE: cfg,
        SSL_CERT_FILE: registry.caCertPath,
        SOURCE_DATE_EPOCH: '1700000000',
      };

      async function mirror(
        name: string,
        nullVersion: string,
        tofu: string,
        ...more: string[]
      ): Promise<string> {
        const stack = path.join(work, `stack-${name}`);
        await fs.mkdir(stack);
        await fs.writeFile(path.join(stack, 'main.tf'), mainTf(nullVersion));
        await fs.writeFile(path.join(stack, '.terraform.lock.hcl'), lockTf(nullVersion));
        const m = await runCli(
          [
            'mirror',
            '--dir',
            stack,
            '--out',
            path.join(work, name),
            '--update-lockfiles',
            ...PLATFORMS.flatMap((p) => ['--platform', p]),
            '--tofu',
            tofu,
            '--tofu-base-url',
            releases.tofuBaseUrl,
            '--tofu-key',
            releases.publicKeyPath,
            '--ca-cert',
            releases.caCertPath,
            ...more,
          ],
          { env },
        );
        expect(m.code, m.stderr).toBe(0);
        return stack;
      }

      const v1Tar = path.join(work, 'v1.tar');
      await mirror(
        'v1',
        '3.2.1',
        '1.8.5',
        '--tarball',
        v1Tar,
        '--sign-key',
        secret,
        '--tool-package',
        toolPackage,
      );
      const v2Stack = await mirror('v2', '3.2.2', '1.8.6');
      const deltaTar = path.join(work, 'delta.tar');
      const e = await runCli(
        [
          'export',
          path.join(work, 'v2'),
          '--base',
          v1Tar,
          '--trusted-key',
          trusted,
          '--tarball',
          deltaTar,
          '--sign-key',
          secret,
          '--tool-package',
          toolPackage,
          '--json',
        ],
        { env: { SOURCE_DATE_EPOCH: '1700000100' } },
      );
      expect(e.code, e.stderr).toBe(0);
      // widget 1.0.0 (both platforms) is left to the base; null 3.2.2 and tofu 1.8.6 are carried.
      const { stdout: members } = await run('tar', ['-tf', deltaTar]);
      const zips = members.split('\n').filter((m) => m.endsWith('.zip'));
      expect(zips.map((z) => path.posix.basename(z))).toEqual([
        'terraform-provider-null_3.2.2_linux_amd64.zip',
        'terraform-provider-null_3.2.2_linux_arm64.zip',
        'tofu_1.8.6_linux_amd64.zip',
        'tofu_1.8.6_linux_arm64.zip',
      ]);

      // Isolated side: no registry, no release server, no network.
      const dest = path.join(work, 'isolated');
      const importArgs = (t: string): string[] => [
        'import',
        t,
        '--dest',
        dest,
        '--trusted-key',
        trusted,
        '--platform',
        'linux_amd64',
      ];
      const i1 = await runCli(importArgs(v1Tar));
      expect(i1.code, i1.stderr).toBe(0);
      const i2 = await runCli(importArgs(deltaTar));
      expect(i2.code, i2.stderr).toBe(0);
      expect(i2.stderr).toContain('2 files taken from the live generation, matched by sha256');
      const requestsBefore = registry.requests.length + releases.requests.length;
      const isolatedStack = path.join(work, 'isolated-stack');
      await fs.mkdir(isolatedStack);
      await fs.copyFile(path.join(v2Stack, 'main.tf'), path.join(isolatedStack, 'main.tf'));
      await fs.copyFile(
        path.join(v2Stack, '.terraform.lock.hcl'),
        path.join(isolatedStack, '.terraform.lock.hcl'),
      );
      const tf = await run('terraform', ['init', '-input=false', '-no-color'], {
        cwd: isolatedStack,
        env: {
          PATH: process.env.PATH,
          HOME: work,
          TF_CLI_CONFIG_FILE: path.join(dest, 'tofurc'),
          HTTPS_PROXY: 'http://127.0.0.1:9',
          CHECKPOINT_DISABLE: '1',
        },
      });
      expect(tf.stdout).toContain('- Installing registry.airgap.test/hashicorp/null v3.2.2...');
      expect(tf.stdout).toContain('- Installing registry.airgap.test/acme/widget v1.0.0...');
      expect(tf.stdout).toContain('Terraform has been successfully initialized!');
      expect(registry.requests.length + releases.requests.length).toBe(requestsBefore);
      const tofu = await run(path.join(dest, 'bin', 'tofu'), ['version']).catch(
        (err: { stdout?: string }) => err,
      );
      expect(tofu.stdout ?? '').toContain('1.8.6');
      const d = await runCli(['verify', dest]);
      expect(d.code, d.stdout + d.stderr).toBe(0);
    }, 300_000);
  },
);
