// The published network mirror, end to end: a bundle mirrored from the test registry
// (lock files completed for linux_amd64 and linux_arm64), published by `airgap publish`
// to s3rver over HTTPS (a throwaway certificate), and the real terraform installing from
// it through the tofurc.network-mirror that publish wrote, offline, with the bundle's own
// lock file: `terraform init` for this host, and `terraform providers lock` against the
// mirror for both platforms, each leaving the lock file byte for byte as it was.

import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { runCli } from '../helpers/cli.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry/index.js';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.js';
import { makeTempDir } from '../helpers/tmp.js';
import { describeWithTools } from '../helpers/tools.js';

const HOST = 'registry.airgap.test';
const PLATFORMS = ['linux_amd64', 'linux_arm64'];
const BUCKET = 'tf-mirror';

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

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

// The lock file a laptop would start with: versions, no hashes; mirror --update-lockfiles completes it.
const startLock = `provider "${HOST}/acme/widget" {
  version     = "1.0.0"
  constraints = "~> 1.0"
}

provider "${HOST}/hashicorp/null" {
  version     = "3.2.1"
  constraints = "3.2.1"
}
`;

describeWithTools(
  ['terraform', '/usr/bin/aws'],
  'terraform installs from the mirror airgap publish put in S3',
  () => {
    let registry: TestRegistry;
    let s3: TestS3Server;
    let work: string;

    beforeAll(async () => {
      [registry, s3, work] = await Promise.all([
        startTestRegistry({
          providers: [
            { namespace: 'hashicorp', type: 'null', versions: ['3.2.1'], platforms: PLATFORMS },
            { namespace: 'acme', type: 'widget', versions: ['1.0.0'], platforms: PLATFORMS },
          ],
        }),
        startS3Server({ https: true }),
        makeTempDir(),
      ]);
      await s3.createBucket(BUCKET);
    }, 60_000);

    afterAll(async () => {
      await Promise.all([registry?.close(), s3?.close()]);
    });

    function terraform(args: string[], cwd: string, env: Record<string, string>): Promise<RunResult> {
      return new Promise((resolve) => {
        execFile(
          'terraform',
          args,
          {
            cwd,
            env: {
              PATH: process.env.PATH ?? '',
              HOME: work,
              CHECKPOINT_DISABLE: '1',
              // Any attempt to reach a network fails fast: nothing listens on port 9
              // (Go does not proxy 127.0.0.1, where the mirror is).
              HTTPS_PROXY: 'http://127.0.0.1:9',
              HTTP_PROXY: 'http://127.0.0.1:9',
              ...env,
            },
          },
          (error, stdout, stderr) => {
            const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
            resolve({ code, stdout, stderr });
          },
        );
      });
    }

    it('init and providers lock (both platforms) succeed from it, the bundle lock file unchanged', async () => {
      // Connected side: mirror with completed lock files.
      const laptop = path.join(work, 'laptop');
      await fs.mkdir(laptop, { recursive: true });
      await fs.writeFile(path.join(laptop, 'main.tf'), mainTf);
      await fs.writeFile(path.join(laptop, '.terraform.lock.hcl'), startLock);
      const cfg = path.join(work, 'registry.tfrc');
      await fs.writeFile(cfg, registry.cliConfigText());
      const bundle = path.join(work, 'bundle');
      const m = await runCli(
        [
          'mirror',
          '--dir',
          laptop,
          '--out',
          bundle,
          ...PLATFORMS.flatMap((p) => ['--platform', p]),
          '--update-lockfiles',
        ],
        { env: { TF_CLI_CONFIG_FILE: cfg, SSL_CERT_FILE: registry.caCertPath } },
      );
      expect(m.code, m.stderr).toBe(0);
      const manifest = JSON.parse(await fs.readFile(path.join(bundle, 'airgap.json'), 'utf8')) as {
        lockfiles: { path: string; complete: boolean }[];
      };
      expect(manifest.lockfiles.map((l) => l.complete)).toEqual([true]);
      const bundleLock = await fs.readFile(path.join(bundle, manifest.lockfiles[0]!.path), 'utf8');
      // h1: for both platforms and a zh: per package, for each of the two providers.
      expect(bundleLock.match(/"h1:/g)).toHaveLength(4);
      expect(bundleLock.match(/"zh:/g)).toHaveLength(4);

      // Publish, over HTTPS, to the bucket's own address: no --mirror-url.
      const p = await runCli(
        [
          'publish',
          bundle,
          `s3://${BUCKET}/prod/`,
          '--s3-endpoint',
          s3.endpoint,
          '--s3-path-style',
          '--ca-cert',
          s3.cert!.certPath,
        ],
        { env: s3.env, cwd: work },
      );
      expect(p.code, p.stderr).toBe(0);
      const mirrorUrl = `${s3.endpoint}/${BUCKET}/prod/providers/`;
      const tofurc = path.join(work, 'tofurc.network-mirror');
      expect(await fs.readFile(tofurc, 'utf8')).toContain(
        `provider_installation {\n  network_mirror {\n    url = "${mirrorUrl}"\n  }\n}\n`,
      );

      // Isolated side: a stack with the bundle's lock file, the CLI configuration publish wrote.
      const stack = path.join(work, 'stack');
      await fs.mkdir(stack, { recursive: true });
      await fs.writeFile(path.join(stack, 'main.tf'), mainTf);
      await fs.writeFile(path.join(stack, '.terraform.lock.hcl'), bundleLock);
      const registryRequests = registry.requests.length;
      const env = { TF_CLI_CONFIG_FILE: tofurc, SSL_CERT_FILE: s3.cert!.certPath };
      s3.resetCounts();
      const init = await terraform(['init', '-input=false', '-no-color'], stack, env);
      expect(init.stderr).toBe('');
      expect(init.code).toBe(0);
      expect(init.stdout).toContain('Terraform has been successfully initialized!');
      expect(await fs.readFile(path.join(stack, '.terraform.lock.hcl'), 'utf8')).toBe(bundleLock);
      expect(
        await fs.readdir(path.join(stack, '.terraform/providers', HOST, 'hashicorp/null/3.2.1')),
      ).toEqual(['linux_amd64']);
      expect(await fs.readdir(path.join(stack, '.terraform/providers', HOST, 'acme/widget/1.0.0'))).toEqual([
        'linux_amd64',
      ]);
      const gets = s3.log.filter((e) => e.operation === 'GetObject').map((e) => e.key);
      expect(gets.filter((k) => k.endsWith('.zip')).sort()).toEqual([
        `prod/providers/${HOST}/acme/widget/terraform-provider-widget_1.0.0_linux_amd64.zip`,
        `prod/providers/${HOST}/hashicorp/null/terraform-provider-null_3.2.1_linux_amd64.zip`,
      ]);

      // Both platforms: terraform fetches each package from the mirror and checks it against the lock file.
      s3.resetCounts();
      const lock = await terraform(
        [
          'providers',
          'lock',
          '-no-color',
          `-net-mirror=${mirrorUrl}`,
          ...PLATFORMS.map((pl) => `-platform=${pl}`),
        ],
        stack,
        env,
      );
      expect(lock.code, lock.stderr).toBe(0);
      expect(await fs.readFile(path.join(stack, '.terraform.lock.hcl'), 'utf8')).toBe(
        // providers lock rewrites the header comment in its own name; every hash stays as it was.
        bundleLock.replace(
          'maintained automatically by "tofu init"',
          'maintained automatically by "terraform init"',
        ),
      );
      const zips = s3.log.filter((e) => e.operation === 'GetObject' && e.key.endsWith('.zip'));
      expect(zips).toHaveLength(4);
      expect(registry.requests.length).toBe(registryRequests);

      // The lock file is what makes the mirror trustworthy: a zip replaced in the bucket
      // (other bytes, same name) is refused by init on a fresh stack.
      const zipKey = `prod/providers/${HOST}/hashicorp/null/terraform-provider-null_3.2.1_linux_amd64.zip`;
      const other = path.join(work, 'other.zip');
      await fs.copyFile(
        path.join(bundle, 'providers', HOST, 'acme/widget/terraform-provider-widget_1.0.0_linux_amd64.zip'),
        other,
      );
      expect((await s3.aws(['s3', 'cp', other, `s3://${BUCKET}/${zipKey}`, '--only-show-errors'])).code).toBe(
        0,
      );
      const fresh = path.join(work, 'fresh');
      await fs.mkdir(fresh, { recursive: true });
      await fs.writeFile(path.join(fresh, 'main.tf'), mainTf);
      await fs.writeFile(path.join(fresh, '.terraform.lock.hcl'), bundleLock);
      const refused = await terraform(['init', '-input=false', '-no-color'], fresh, env);
      expect(refused.code).toBe(1);
      expect(refused.stderr.replace(/\s+/g, ' ')).toContain(
        `Error while installing ${HOST}/hashicorp/null v3.2.1: provider package doesn't match the any of the expected checksums`,
      );
    }, 180_000);
  },
);
