// The product's whole journey, each step through the real executable:
// connected side:  airgap mirror --tarball (signed)      -> bundle.tar
// audit:           airgap verify bundle.tar               -> exit 0
// isolated side:   airgap import bundle.tar --dest DIR    -> DIR/providers, DIR/bin/tofu, DIR/tofurc
//                  terraform init with DIR/tofurc, no network
// audit:           airgap verify DIR                      -> exit 0

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

describeWithTools(
  ['terraform', 'npm'],
  'mirror -> tarball -> verify -> import -> terraform init offline',
  () => {
    let registry: TestRegistry;
    let releases: ReleaseServer;
    let work: string;
    let toolPackage: string;

    beforeAll(async () => {
      registry = await startTestRegistry({
        providers: [
          { namespace: 'hashicorp', type: 'null', versions: ['3.2.1'], platforms: PLATFORMS },
          { namespace: 'acme', type: 'widget', versions: ['1.0.0'], platforms: PLATFORMS },
        ],
      });
      releases = await startReleaseServer({ tofu: { versions: ['1.8.5'], platforms: PLATFORMS } });
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

    it('carries a stack across the gap and initialises it offline', async () => {
      const stack = path.join(work, 'stack');
      await fs.mkdir(stack);
      await fs.writeFile(
        path.join(stack, 'main.tf'),
        `terraform {\n  required_providers {\n    null = {\n      source  = "${HOST}/hashicorp/null"\n      version = "3.2.1"\n    }\n    widget = {\n      source  = "${HOST}/acme/widget"\n      version = "1.0.0"\n    }\n  }\n}\n`,
      );
      await fs.writeFile(
        path.join(stack, '.terraform.lock.hcl'),
        `provider "${HOST}/hashicorp/null" {\n  version = "3.2.1"\n}\n\nprovider "${HOST}/acme/widget" {\n  version = "1.0.0"\n}\n`,
      );
      const key = await generateSigningKey({ name: 'airgap bundle signer' });
      const secret = path.join(work, 'signer.asc');
      const trusted = path.join(work, 'signer.pub.asc');
      await fs.writeFile(secret, key.privateKeyArmored);
      await fs.writeFile(trusted, key.publicKeyArmored);
      const cfg = path.join(work, 'registry.tfrc');
      await fs.writeFile(cfg, registry.cliConfigText());
      const tarball = path.join(work, 'bundle.tar');

      // Connected side.
      const m = await runCli(
        [
          'mirror',
          '--dir',
          stack,
          '--out',
          path.join(work, 'bundle'),
          '--update-lockfiles',
          '--json',
          ...PLATFORMS.flatMap((p) => ['--platform', p]),
          '--tofu',
          '1.8.5',
          '--tofu-base-url',
          releases.tofuBaseUrl,
          '--tofu-key',
          releases.publicKeyPath,
          '--ca-cert',
          releases.caCertPath,
          '--tarball',
          tarball,
          '--sign-key',
          secret,
          '--tool-package',
          toolPackage,
        ],
        {
          env: {
            TF_CLI_CONFIG_FILE: cfg,
            SSL_CERT_FILE: registry.caCertPath,
            SOURCE_DATE_EPOCH: '1700000000',
          },
        },
      );
      expect(m.stdout + m.stderr).not.toContain('error');
      expect(m.code).toBe(0);
      const mirrored = JSON.parse(m.stdout);
      expect(mirrored.export.parts).toEqual([{ path: tarball, size: (await fs.stat(tarball)).size }]);
      expect(mirrored.export.signedBy).toBe(key.fingerprint);

      // Audit of the tarball.
      const v = await runCli([
        'verify',
        tarball,
        '--trusted-key',
        trusted,
        '--tofu-key',
        releases.publicKeyPath,
      ]);
      expect(v.stderr).toBe('');
      expect(v.code).toBe(0);

      // Isolated side: no registry, no release server, no network.
      const dest = path.join(work, 'isolated');
      const i = await runCli([
        'import',
        tarball,
        '--dest',
        dest,
        '--trusted-key',
        trusted,
        '--platform',
        'linux_amd64',
      ]);
      expect(i.code).toBe(0);
      expect((await fs.stat(path.join(dest, 'bin/tofu'))).mode & 0o777).toBe(0o755);
      const requestsBefore = registry.requests.length + releases.requests.length;
      // The stack on the isolated side uses the completed lock file from the bundle.
      const isolatedStack = path.join(work, 'isolated-stack');
      await fs.mkdir(isolatedStack);
      await fs.copyFile(path.join(stack, 'main.tf'), path.join(isolatedStack, 'main.tf'));
      await fs.copyFile(
        path.join(stack, '.terraform.lock.hcl'),
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
      expect(tf.stdout).toContain('Terraform has been successfully initialized!');
      expect(registry.requests.length + releases.requests.length).toBe(requestsBefore);

      // Importing the same bundle again changes nothing; the destination verifies.
      const again = await runCli([
        'import',
        tarball,
        '--dest',
        dest,
        '--trusted-key',
        trusted,
        '--platform',
        'linux_amd64',
        '--json',
      ]);
      expect(again.code).toBe(0);
      const d = await runCli(['verify', dest]);
      expect(d.code).toBe(0);
    }, 240_000);
  },
);
