// `image.serve` (issue 13): the runner image `airgap mirror` builds carries, in
// /etc/airgap/tofurc (TF_CLI_CONFIG_FILE), a host block per carried module host pointing
// its modules.v1 at `airgap serve`, and keeps the providers on its own filesystem mirror;
// `image.caCertificates` puts serve's CA into the image's CA bundle. The test reads the
// exact bytes of both files from the built layer, and the real terraform, offline, with
// exactly those two files (TF_CLI_CONFIG_FILE, SSL_CERT_FILE) installs the modules from a
// running serve by their original addresses; then `terraform validate`.

import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BASE_CA_BUNDLE, writeBaseImageLayout, type BaseImageFixture } from '../helpers/base-image.js';
import { runCli } from '../helpers/cli.js';
import { startModuleRegistry, type TestModuleRegistry } from '../helpers/module-registry/index.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry/index.js';
import { startReleaseServer, type ReleaseServer } from '../helpers/release-server/index.js';
import { startServeProcess, type ServeProcess } from '../helpers/serve-process.js';
import { makeTempDir } from '../helpers/tmp.js';
import { describeWithTools } from '../helpers/tools.js';

const run = promisify(execFile);
const TFR = 'registry.terraform.io';
const OTF = 'registry.opentofu.org';
const EPOCH = '1764000000';

const ROOT_TF = `module "net" {
  source  = "acme/net/aws"
  version = "~> 1.0"
  cidr    = "10.0.0.0/16"
}

module "label" {
  source  = "${OTF}/acme/label/null"
  version = "0.3.0"
  name    = "x"
}

output "cidr" {
  value = module.net.cidr
}
`;

describeWithTools(
  ['terraform', 'git', 'tar'],
  'image.serve: the runner image points module hosts at serve',
  () => {
    let providers: TestRegistry;
    let releases: ReleaseServer;
    let tfr: TestModuleRegistry;
    let otf: TestModuleRegistry;
    let fixture: BaseImageFixture;
    let work: string;
    let upstreamCfg: string;
    let server: ServeProcess | undefined;

    beforeAll(async () => {
      providers = await startTestRegistry({
        providers: [
          { namespace: 'hashicorp', type: 'null', versions: ['3.2.1'], platforms: ['linux_amd64'] },
        ],
      });
      releases = await startReleaseServer({ tofu: { versions: ['1.8.5'], platforms: ['linux_amd64'] } });
      tfr = await startModuleRegistry({
        hostname: TFR,
        modules: [
          {
            namespace: 'acme',
            name: 'net',
            system: 'aws',
            source: 'git',
            answer: 'terraform',
            versions: [
              {
                version: '1.1.0',
                files: {
                  'main.tf':
                    'variable "cidr" {\n  type = string\n}\noutput "cidr" {\n  value = var.cidr\n}\n',
                },
              },
            ],
          },
        ],
      });
      otf = await startModuleRegistry({
        hostname: OTF,
        modules: [
          {
            namespace: 'acme',
            name: 'label',
            system: 'null',
            source: 'zip',
            answer: 'opentofu',
            versions: [
              {
                version: '0.3.0',
                files: {
                  'main.tf': 'variable "name" {\n  type = string\n}\noutput "id" {\n  value = var.name\n}\n',
                },
              },
            ],
          },
        ],
      });
      work = await makeTempDir('airgap-image-serve-');
      fixture = await writeBaseImageLayout(path.join(work, 'base'), { platforms: ['linux_amd64'] });
      upstreamCfg = path.join(work, 'upstream.tfrc');
      await fs.writeFile(
        upstreamCfg,
        [providers.cliConfigText(), tfr.cliConfigText(), otf.cliConfigText()].join('\n'),
      );
      await fs.mkdir(path.join(work, 'stack'));
      await fs.writeFile(path.join(work, 'stack', 'main.tf'), ROOT_TF);
    }, 120_000);

    afterAll(async () => {
      await server?.stop();
      await providers?.close();
      await releases?.close();
      await tfr?.close();
      await otf?.close();
    });

    async function mirror(dir: string, image: string[]): Promise<void> {
      await fs.mkdir(dir);
      await fs.writeFile(
        path.join(dir, 'airgap.yaml'),
        [
          'apiVersion: airgap/v1',
          `defaultRegistry: ${TFR}`,
          'platforms: [linux_amd64]',
          'providers:',
          `  ${providers.hostname}/hashicorp/null: ["3.2.1"]`,
          'binaries:',
          '  tofu:',
          '    versions: ["1.8.5"]',
          `    key: ${releases.publicKeyPath}`,
          `    apiUrl: ${releases.tofuApiUrl}`,
          `    baseUrl: ${releases.tofuBaseUrl}`,
          'configurations:',
          '  - ../stack',
          'registries:',
          '  caCertificates:',
          ...[providers, releases, tfr, otf].map((s) => `    - ${s.caCertPath}`),
          ...image,
          'output:',
          '  dir: bundle',
          '',
        ].join('\n'),
      );
      const m = await runCli(['mirror'], {
        cwd: dir,
        env: { TF_CLI_CONFIG_FILE: upstreamCfg, SOURCE_DATE_EPOCH: EPOCH },
      });
      expect(m.stderr).not.toContain('Error');
      expect(m.code, m.stdout + m.stderr).toBe(0);
    }

    /** A file of our layer (the last of the linux_amd64 manifest), read with the real tar. */
    async function layerFile(bundle: string, name: string): Promise<string> {
      const layout = path.join(bundle, 'image');
      const blob = (digest: string): string =>
        path.join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length));
      const index = JSON.parse(await fs.readFile(path.join(layout, 'index.json'), 'utf8')) as {
        manifests: { digest: string; annotations?: Record<string, string> }[];
      };
      const ref = index.manifests.find(
        (m) => m.annotations?.['org.opencontainers.image.ref.name'] === 'linux_amd64',
      )!;
      const manifest = JSON.parse(await fs.readFile(blob(ref.digest), 'utf8')) as {
        layers: { digest: string }[];
      };
      const layer = manifest.layers[manifest.layers.length - 1]!;
      const { stdout } = await run('tar', ['-xOf', blob(layer.digest), name], { maxBuffer: 1 << 20 });
      return stdout;
    }

    it('bakes the serve CLI configuration and CA into the image, and terraform installs the modules with them', async () => {
      // serve over a bundle with the modules, to have its address (and its CA) for the image.
      await mirror(path.join(work, 'a'), []);
      // mirror's own output, for a trial: unsigned, so its files are checked against airgap.json only.
      server = await startServeProcess([
        path.join(work, 'a', 'bundle'),
        '--insecure-skip-signature',
        '--listen',
        '127.0.0.1:0',
        '--self-signed',
        '--out',
        path.join(work, 'serve'),
        '--quiet',
      ]);
      const url = server.url;
      await mirror(path.join(work, 'b'), [
        'image:',
        `  base: "${fixture.reference}"`,
        `  caCertificates: [${server.caCertPath}]`,
        '  serve:',
        `    url: ${url}`,
      ]);
      const bundle = path.join(work, 'b', 'bundle');

      const tofurc = await layerFile(bundle, 'etc/airgap/tofurc');
      expect(tofurc).toBe(
        [
          '# Generated by airgap; do not edit (regenerate it with airgap instead).',
          '# CLI configuration for tofu and terraform on the isolated side: point',
          '# TF_CLI_CONFIG_FILE at this file, or install it as ~/.tofurc or ~/.terraformrc.',
          '#',
          '# Every provider installs from the filesystem mirror below, and from nowhere else:',
          '# with a provider_installation block, tofu uses only the methods it lists.',
          '#',
          '# Registry modules of the hosts below are fetched from the modules.v1 URL given,',
          '# under their original addresses: no module source needs to change.',
          '',
          `host "${OTF}" {`,
          '  services = {',
          `    "modules.v1" = "${url}/v1/modules/${OTF}/"`,
          '  }',
          '}',
          '',
          `host "${TFR}" {`,
          '  services = {',
          `    "modules.v1" = "${url}/v1/modules/${TFR}/"`,
          '  }',
          '}',
          '',
          'provider_installation {',
          '  filesystem_mirror {',
          '    path = "/providers"',
          '  }',
          '}',
          '',
        ].join('\n'),
      );
      // The bundle's own config/tofurc is left as it was: image.serve is about the image.
      expect(await fs.readFile(path.join(bundle, 'config/tofurc'), 'utf8')).not.toContain('host "');
      const caBundle = await layerFile(bundle, 'etc/ssl/certs/ca-certificates.crt');
      expect(caBundle).toBe(BASE_CA_BUNDLE + (await fs.readFile(server.caCertPath, 'utf8')));

      // terraform with nothing but the image's two files, and no route out but to serve.
      const files = path.join(work, 'from-image');
      await fs.mkdir(files);
      await fs.writeFile(path.join(files, 'tofurc'), tofurc);
      await fs.writeFile(path.join(files, 'ca-certificates.crt'), caBundle);
      const root = path.join(work, 'root');
      await fs.mkdir(root);
      await fs.writeFile(path.join(root, 'main.tf'), ROOT_TF);
      const env = {
        PATH: process.env.PATH,
        HOME: root,
        TF_CLI_CONFIG_FILE: path.join(files, 'tofurc'),
        SSL_CERT_FILE: path.join(files, 'ca-certificates.crt'),
        HTTPS_PROXY: 'http://127.0.0.1:9',
        HTTP_PROXY: 'http://127.0.0.1:9',
        NO_PROXY: '127.0.0.1',
        CHECKPOINT_DISABLE: '1',
      };
      const before = tfr.requests.length + otf.requests.length;
      const init = await run('terraform', ['init', '-input=false', '-no-color'], { cwd: root, env });
      expect(init.stdout).toContain('Terraform has been successfully initialized!');
      expect(tfr.requests.length + otf.requests.length).toBe(before);
      const modules = JSON.parse(
        await fs.readFile(path.join(root, '.terraform/modules/modules.json'), 'utf8'),
      ) as {
        Modules: { Key: string; Source: string; Version?: string; Dir: string }[];
      };
      expect([...modules.Modules].sort((a, b) => (a.Key < b.Key ? -1 : 1))).toEqual([
        { Key: '', Source: '', Dir: '.' },
        { Key: 'label', Source: `${OTF}/acme/label/null`, Version: '0.3.0', Dir: '.terraform/modules/label' },
        { Key: 'net', Source: `${TFR}/acme/net/aws`, Version: '1.1.0', Dir: '.terraform/modules/net' },
      ]);
      const validate = await run('terraform', ['validate', '-no-color'], { cwd: root, env });
      expect(validate.stdout).toContain('Success! The configuration is valid.');
    }, 300_000);

    it('refuses an image.serve url with a path before fetching anything', async () => {
      const dir = path.join(work, 'bad');
      await fs.mkdir(dir);
      await fs.writeFile(
        path.join(dir, 'airgap.yaml'),
        'apiVersion: airgap/v1\nimage:\n  serve:\n    url: https://tf-mirror.corp.example/airgap\noutput:\n  dir: bundle\n',
      );
      const before = providers.requests.length + tfr.requests.length + otf.requests.length;
      const r = await runCli(['mirror'], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        'airgap.yaml:4:10: image.serve.url: expected https://HOST[:PORT], the address runners reach airgap serve at, found "https://tf-mirror.corp.example/airgap"',
      );
      expect(providers.requests.length + tfr.requests.length + otf.requests.length).toBe(before);
      await expect(fs.stat(path.join(dir, 'bundle'))).rejects.toThrow();
    });
  },
);
