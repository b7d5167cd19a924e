// Issue 13 end to end, with nothing added by hand: the real `airgap mirror` reads
// `modules:` and `configurations:` from airgap.yaml and fetches the modules from two
// test module registries named like the public ones (registry.terraform.io answering
// 204 + X-Terraform-Get `git::https://...?ref=vVERSION` from a real git repository
// over dumb HTTP, and .tar.gz / .zip//SUBDIR archives; registry.opentofu.org answering
// with a JSON location), following a module's own registry call and reading a call
// written in JSON syntax (.tf.json). Then `airgap serve` over the bundle directory,
// and the real terraform, offline (proxy at a closed port,
// the registries must see no request), with only the CLI configuration serve wrote and
// its CA, runs `init` on a root module calling those modules by their original
// addresses and versions, installs the provider from the served network mirror, and
// `terraform validate` passes. The same after export -> import -> serve over the
// import destination. (serve-modules.test.ts covers 20 concurrent inits against one
// serve.)

import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startModuleRegistry, type TestModuleRegistry } from '../helpers/module-registry/index.js';
import { generateSigningKey } from '../helpers/pgp.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry/index.js';
import { startServeProcess, type ServeProcess } from '../helpers/serve-process.js';
import { signBundleDir } from '../helpers/signed-bundle.js';
import { makeTempDir } from '../helpers/tmp.js';
import { describeWithTools } from '../helpers/tools.js';
import { fakeToolArchive } from '../helpers/transfer.js';

const run = promisify(execFile);
const PROVIDER_HOST = 'registry.airgap.test';
const TFR = 'registry.terraform.io';
const OTF = 'registry.opentofu.org';

const TF_MODULES = [
  {
    namespace: 'acme',
    name: 'net',
    system: 'aws',
    source: 'git' as const,
    answer: 'terraform' as const,
    versions: [
      {
        version: '1.0.0',
        files: {
          'main.tf': 'variable "cidr" {\n  type = string\n}\noutput "cidr" {\n  value = var.cidr\n}\n',
        },
      },
      {
        // Calls another registry module by a short address (terraform reads it as registry.terraform.io).
        version: '1.2.0',
        files: {
          'main.tf':
            'variable "cidr" {\n  type = string\n}\nmodule "tags" {\n  source  = "acme/tags/aws"\n  version = "~> 2.0"\n  name    = "net"\n}\n' +
            'resource "terraform_data" "net" {\n  input = var.cidr\n}\noutput "cidr" {\n  value = var.cidr\n}\noutput "tags" {\n  value = module.tags.tags\n}\n',
        },
      },
      { version: '2.0.0', files: { 'main.tf': '# 2.0.0 is not carried\n' } },
    ],
  },
  {
    namespace: 'acme',
    name: 'tags',
    system: 'aws',
    source: 'tar.gz' as const,
    answer: 'terraform' as const,
    versions: [
      { version: '2.0.0', files: { 'main.tf': 'variable "name" {}\n' } },
      {
        version: '2.1.0',
        files: {
          'main.tf':
            'variable "name" {\n  type = string\n}\noutput "tags" {\n  value = { Name = var.name }\n}\n',
        },
      },
      { version: '3.0.0', files: { 'main.tf': '# 3.0.0 is not carried\n' } },
    ],
  },
  {
    // The module is a subdirectory of the archive and uses a sibling by a ../ path.
    namespace: 'acme',
    name: 'bucket',
    system: 'aws',
    source: 'zip' as const,
    answer: 'terraform' as const,
    subdir: 'modules/bucket',
    versions: [
      {
        version: '1.0.0',
        files: {
          'README.md': '# buckets\n',
          'modules/bucket/main.tf':
            'module "shared" {\n  source = "../shared"\n}\noutput "arn" {\n  value = "arn:${module.shared.suffix}"\n}\n',
          'modules/shared/main.tf': 'output "suffix" {\n  value = "bucket"\n}\n',
        },
      },
    ],
  },
];

const OTF_MODULES = [
  {
    namespace: 'acme',
    name: 'label',
    system: 'null',
    source: 'git' as const,
    answer: 'opentofu' as const,
    versions: [
      {
        version: '0.3.0',
        files: { 'main.tf': 'variable "name" {\n  type = string\n}\noutput "id" {\n  value = var.name\n}\n' },
      },
      { version: '0.3.1', files: { 'main.tf': '# 0.3.1 is not carried\n' } },
    ],
  },
  {
    namespace: 'acme',
    name: 'dns',
    system: 'aws',
    source: 'tar.gz' as const,
    answer: 'opentofu' as const,
    versions: [{ version: '0.1.0', files: { 'main.tf': 'output "zone" {\n  value = "corp.example"\n}\n' } }],
  },
];

// What the connected side scans: everything but the label module, which comes from `modules:`.
const STACK_TF = `terraform {
  required_providers {
    null = {
      source  = "${PROVIDER_HOST}/hashicorp/null"
      version = "3.2.1"
    }
  }
}

module "net" {
  source  = "acme/net/aws"
  version = "~> 1.1"
  cidr    = "10.0.0.0/16"
}

module "net_old" {
  source  = "${TFR}/acme/net/aws"
  version = "1.0.0"
  cidr    = "10.1.0.0/16"
}

module "bucket" {
  source  = "acme/bucket/aws"
  version = "1.0.0"
}

output "arn" {
  value = module.bucket.arn
}
`;

// A call in JSON syntax: airgap reads it from the configuration, terraform from the root.
const DNS_TF_JSON = `${JSON.stringify({ module: { dns: { source: `${OTF}/acme/dns/aws`, version: '< 1.0' } } }, null, 2)}\n`;

const LABEL_TF = `
module "label" {
  source  = "${OTF}/acme/label/null"
  version = "0.3.0"
  name    = "x"
}
`;

/** The modules terraform installs, by key, as .terraform/modules/modules.json records them. */
const EXPECTED_MODULES = [
  { Key: '', Source: '', Dir: '.' },
  {
    Key: 'bucket',
    Source: `${TFR}/acme/bucket/aws`,
    Version: '1.0.0',
    Dir: '.terraform/modules/bucket/modules/bucket',
  },
  // A relative source inside a registry module: installed from the parent's own copy.
  { Key: 'bucket.shared', Source: '../shared', Dir: '.terraform/modules/bucket/modules/shared' },
  { Key: 'dns', Source: `${OTF}/acme/dns/aws`, Version: '0.1.0', Dir: '.terraform/modules/dns' },
  { Key: 'label', Source: `${OTF}/acme/label/null`, Version: '0.3.0', Dir: '.terraform/modules/label' },
  { Key: 'net', Source: `${TFR}/acme/net/aws`, Version: '1.2.0', Dir: '.terraform/modules/net' },
  { Key: 'net.tags', Source: `${TFR}/acme/tags/aws`, Version: '2.1.0', Dir: '.terraform/modules/net.tags' },
  { Key: 'net_old', Source: `${TFR}/acme/net/aws`, Version: '1.0.0', Dir: '.terraform/modules/net_old' },
];

interface ManifestModuleRow {
  source: string;
  version: string;
  location: string;
  commit?: string;
  subdir?: string;
}

describeWithTools(
  ['terraform', 'git'],
  'mirror -> serve -> terraform init, modules and providers, offline',
  () => {
    let providers: TestRegistry;
    let tfr: TestModuleRegistry;
    let otf: TestModuleRegistry;
    let work: string;
    let bundle: string;
    let expectedLock: string;
    const servers: ServeProcess[] = [];

    function upstreamRequests(): number {
      return providers.requests.length + tfr.requests.length + otf.requests.length;
    }

    beforeAll(async () => {
      providers = await startTestRegistry({
        providers: [
          { namespace: 'hashicorp', type: 'null', versions: ['3.2.1'], platforms: ['linux_amd64'] },
        ],
      });
      tfr = await startModuleRegistry({ hostname: TFR, modules: TF_MODULES });
      otf = await startModuleRegistry({ hostname: OTF, modules: OTF_MODULES });
      work = await makeTempDir();
      await fs.mkdir(path.join(work, 'stack'));
      await fs.writeFile(path.join(work, 'stack', 'main.tf'), STACK_TF);
      await fs.writeFile(path.join(work, 'stack', 'dns.tf.json'), DNS_TF_JSON);
      const cfg = path.join(work, 'upstream.tfrc');
      await fs.writeFile(
        cfg,
        [providers.cliConfigText(), tfr.cliConfigText(), otf.cliConfigText()].join('\n'),
      );
      await fs.writeFile(
        path.join(work, 'airgap.yaml'),
        [
          'apiVersion: airgap/v1',
          `defaultRegistry: ${TFR}`,
          'platforms: [linux_amd64]',
          'providers:',
          `  ${PROVIDER_HOST}/hashicorp/null: ["3.2.1"]`,
          'modules:',
          `  ${OTF}/acme/label/null: "0.3.0"`,
          'configurations:',
          '  - stack',
          'registries:',
          '  caCertificates:',
          `    - ${providers.caCertPath}`,
          `    - ${tfr.caCertPath}`,
          `    - ${otf.caCertPath}`,
          'output:',
          '  dir: bundle',
          '',
        ].join('\n'),
      );
      bundle = path.join(work, 'bundle');
      const m = await runCli(['mirror', '--json'], {
        cwd: work,
        env: { TF_CLI_CONFIG_FILE: cfg, SOURCE_DATE_EPOCH: '1700000000' },
      });
      expect(m.stderr).not.toContain('Error');
      expect(m.code, m.stdout + m.stderr).toBe(0);

      const manifest = JSON.parse(await fs.readFile(path.join(bundle, 'airgap.json'), 'utf8')) as {
        modules: ManifestModuleRow[];
        providers: { address: string; version: string; packages: { platform: string; hashes: string[] }[] }[];
      };
      // The connected side carried exactly what the root module will call, from where each registry pointed.
      const strip = ({
        source,
        version,
        location,
        commit,
        subdir,
      }: ManifestModuleRow): ManifestModuleRow => ({
        source,
        version,
        location,
        ...(commit === undefined ? {} : { commit }),
        ...(subdir === undefined ? {} : { subdir }),
      });
      expect(manifest.modules.map(strip)).toEqual([
        {
          source: `${OTF}/acme/dns/aws`,
          version: '0.1.0',
          location: `${otf.url}/archives/acme/dns/aws/0.1.0.tar.gz`,
        },
        {
          source: `${OTF}/acme/label/null`,
          version: '0.3.0',
          location: `git::${otf.url}/git/acme-label-null.git?ref=v0.3.0`,
          commit: otf.commit('acme/label/null', '0.3.0'),
        },
        {
          source: `${TFR}/acme/bucket/aws`,
          version: '1.0.0',
          location: `${tfr.url}/archives/acme/bucket/aws/1.0.0.zip//modules/bucket`,
          subdir: 'modules/bucket',
        },
        {
          source: `${TFR}/acme/net/aws`,
          version: '1.0.0',
          location: `git::${tfr.url}/git/acme-net-aws.git?ref=v1.0.0`,
          commit: tfr.commit('acme/net/aws', '1.0.0'),
        },
        {
          source: `${TFR}/acme/net/aws`,
          version: '1.2.0',
          location: `git::${tfr.url}/git/acme-net-aws.git?ref=v1.2.0`,
          commit: tfr.commit('acme/net/aws', '1.2.0'),
        },
        {
          source: `${TFR}/acme/tags/aws`,
          version: '2.1.0',
          location: `${tfr.url}/archives/acme/tags/aws/2.1.0.tar.gz`,
        },
      ]);
      const pkg = manifest.providers.find((p) => p.address === `${PROVIDER_HOST}/hashicorp/null`)!
        .packages[0]!;
      expect(pkg.platform).toBe('linux_amd64');
      const h1 = pkg.hashes.filter((h) => h.startsWith('h1:'));
      const zh = pkg.hashes.filter((h) => h.startsWith('zh:'));
      expect([h1.length, zh.length]).toEqual([1, 1]);
      // terraform records only the h1: it computed itself of the package a network mirror
      // gave it (a mirror's hashes are not signed, so its zh: is not taken): it must be the
      // h1: airgap recorded at mirror time.
      expectedLock = lockText(`${PROVIDER_HOST}/hashicorp/null`, '3.2.1', '3.2.1', h1);
    }, 180_000);

    afterAll(async () => {
      for (const s of servers) await s.stop();
      await providers?.close();
      await tfr?.close();
      await otf?.close();
    });

    /** `trust`: --trusted-key FILE for a bundle directory; none for an import destination. */
    async function serve(dir: string, name: string, trust: string[] = []): Promise<ServeProcess> {
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

    async function initAndValidate(name: string, s: ServeProcess): Promise<void> {
      const cliConfig = await fs.readFile(s.cliConfigPath, 'utf8');
      // One host block per original module host, and the providers from serve's network mirror.
      expect(cliConfig).toContain(`host "${OTF}" {\n  services = {\n    "modules.v1" = "${s.url}/`);
      expect(cliConfig).toContain(`host "${TFR}" {\n  services = {\n    "modules.v1" = "${s.url}/`);
      expect(cliConfig).toContain(`  network_mirror {\n    url = "${s.url}/providers/"\n  }`);

      const dir = path.join(work, name);
      await fs.mkdir(dir);
      const root = STACK_TF + LABEL_TF;
      await fs.writeFile(path.join(dir, 'main.tf'), root);
      await fs.writeFile(path.join(dir, 'dns.tf.json'), DNS_TF_JSON);
      const env = {
        PATH: process.env.PATH,
        HOME: dir,
        TF_CLI_CONFIG_FILE: s.cliConfigPath,
        SSL_CERT_FILE: s.caCertPath,
        // Only the serve address is reachable: anything else goes to a proxy that is not there.
        HTTPS_PROXY: 'http://127.0.0.1:9',
        HTTP_PROXY: 'http://127.0.0.1:9',
        NO_PROXY: '127.0.0.1',
        CHECKPOINT_DISABLE: '1',
      };
      const before = upstreamRequests();
      const init = await run('terraform', ['init', '-input=false', '-no-color'], { cwd: dir, env });
      expect(init.stdout).toContain('Terraform has been successfully initialized!');
      expect(upstreamRequests()).toBe(before);

      const modules = JSON.parse(
        await fs.readFile(path.join(dir, '.terraform/modules/modules.json'), 'utf8'),
      ) as {
        Modules: { Key: string; Source: string; Version?: string; Dir: string }[];
      };
      expect([...modules.Modules].sort((a, b) => (a.Key < b.Key ? -1 : 1))).toEqual(EXPECTED_MODULES);
      expect(await fs.readFile(path.join(dir, '.terraform.lock.hcl'), 'utf8')).toBe(expectedLock);
      expect(
        await fs.readdir(path.join(dir, '.terraform/providers', PROVIDER_HOST, 'hashicorp/null/3.2.1')),
      ).toEqual(['linux_amd64']);

      // validate starts every provider the configuration requires to read its schema, and the
      // test registry's providers are stand-in executables, not plugins: validate the served
      // modules (nested call, //subdir with its ../ sibling, both hosts) without the requirement.
      await fs.writeFile(path.join(dir, 'main.tf'), root.replace(/^terraform \{[\s\S]*?^\}\n/m, ''));
      const validate = await run('terraform', ['validate', '-no-color'], { cwd: dir, env });
      expect(validate.stdout).toContain('Success! The configuration is valid.');
    }

    it('terraform init and validate from serve over the mirrored bundle directory, signed', async () => {
      // serve verifies a bundle directory at start: a copy of mirror's output, summed and
      // signed as a transfer tarball extracts (the original stays as mirror wrote it, for export).
      const signed = path.join(work, 'bundle-signed');
      await fs.cp(bundle, signed, { recursive: true });
      const { trustedKeyFile } = await signBundleDir(signed, path.join(work, 'bundle-signer.pub.asc'));
      const s = await serve(signed, 'serve-bundle', ['--trusted-key', trustedKeyFile]);
      expect(s.stdout()).toMatch(/^Verified .*bundle-signed: SHA256SUMS signed by [0-9A-F]{40} at /m);
      await initAndValidate('root-bundle', s);
    }, 120_000);

    it('terraform init and validate from serve over the import destination, after export -> import', async () => {
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
      const s = await serve(dest, 'serve-dest');
      expect(s.stdout()).toContain('(live import generation)');
      await initAndValidate('root-dest', s);
    }, 180_000);
  },
);

function lockText(address: string, version: string, constraints: string, hashes: string[]): string {
  return [
    '# This file is maintained automatically by "terraform init".',
    '# Manual edits may be lost in future updates.',
    '',
    `provider "${address}" {`,
    `  version     = "${version}"`,
    `  constraints = "${constraints}"`,
    '  hashes = [',
    ...[...hashes].sort().map((h) => `    "${h}",`),
    '  ]',
    '}',
    '',
  ].join('\n');
}
