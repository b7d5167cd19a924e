// The lock file `airgap mirror` writes for airgap.yaml's `providers:` (no lock file in
// sight), judged by the real terraform 1.11.4: `terraform init` offline from the bundle's
// mirror must succeed and leave the file byte for byte as written, and `terraform
// providers lock` from the mirror for both platforms must find nothing to add. terraform rewrites a lock file whose versions or hashes
// differ from what it would record (a hash missing, say): the last test shows it doing
// so, so the byte-for-byte check has teeth.

import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHttpClient, type ClosableHttpClient } from '../../src/adapters/http/client.js';
import { parseSha256Sums } from '../../src/core/checksums/sha256sums.js';
import {
  renderProvidersLockFile,
  type MirroredProviderVersion,
} from '../../src/core/mirror/providers-lockfile.js';
import { resolveProviders, type ResolvedProvider } from '../../src/core/mirror/resolve-providers.js';
import { parseVersions } from '../../src/core/registry/protocol.js';
import { parseSpec } from '../../src/core/spec/parse.js';
import { PROVIDERS_LOCKFILE } from '../../src/core/layout/names.js';
import { runCli } from '../helpers/cli.js';
import {
  FILES_PATH,
  SERVICES_PATH,
  startTestRegistry,
  type TestRegistry,
} from '../helpers/registry/index.js';
import { makeTempDir } from '../helpers/tmp.js';
import { describeWithTools } from '../helpers/tools.js';

const run = promisify(execFile);
const HOST = 'registry.airgap.test';
const PLATFORMS = ['linux_amd64', 'linux_arm64'];

const SPEC = `apiVersion: airgap/v1
defaultRegistry: ${HOST}
platforms: [linux_amd64, linux_arm64]
providers:
  hashicorp/null: ['~>3.1']
  acme/widget:
    versions: ['>= 1.0, < 2.0', '~> 1.1']
    all: true
`;

// The configuration's constraints are the lock file's (tofu and terraform record the
// configuration's; they leave a file alone whose constraints alone differ, as
// depsfile.Locks.Equal compares versions and hashes only).
const MAIN_TF = `terraform {
  required_providers {
    null = {
      source  = "${HOST}/hashicorp/null"
      version = "~> 3.1"
    }
    widget = {
      source  = "${HOST}/acme/widget"
      version = ">= 1.0, < 2.0, ~> 1.1"
    }
  }
}
`;

describeWithTools(['terraform'], 'the providers lock file, judged by the real terraform', () => {
  let registry: TestRegistry;
  let http: ClosableHttpClient;
  let work: string;
  let mirrorDir: string;
  let resolved: ResolvedProvider[];
  let mirrored: MirroredProviderVersion[];
  let rendered: string;

  beforeAll(async () => {
    registry = await startTestRegistry({
      providers: [
        {
          namespace: 'hashicorp',
          type: 'null',
          versions: ['3.1.0', '3.2.4', '3.2.1', '4.0.0'],
          platforms: PLATFORMS,
        },
        { namespace: 'acme', type: 'widget', versions: ['1.0.0', '1.1.0', '2.0.0'], platforms: PLATFORMS },
      ],
    });
    http = createHttpClient({ userAgent: 'airgap/test', caCertFiles: [registry.caCertPath] });
    work = await makeTempDir();

    // The resolution on its own, against the registry's version lists.
    const spec = parseSpec(SPEC, 'airgap.yaml');
    const available = new Map<string, ReturnType<typeof parseVersions>>();
    for (const p of spec.providers?.value ?? []) {
      const url = `${registry.url}${SERVICES_PATH}${p.address.namespace}/${p.address.type}/versions`;
      available.set(p.key, parseVersions(await http.getJson(url), url));
    }
    resolved = resolveProviders({
      file: spec.file,
      providers: spec.providers?.value ?? [],
      available,
      platforms: PLATFORMS,
    });

    // The whole journey: `airgap mirror` in the directory holding airgap.yaml, no lock file.
    const cliConfig = path.join(work, 'registry.tfrc');
    await fs.writeFile(cliConfig, registry.cliConfigText());
    await fs.writeFile(path.join(work, 'airgap.yaml'), `${SPEC}output:\n  dir: bundle\n`);
    const m = await runCli(['mirror'], {
      cwd: work,
      env: { TF_CLI_CONFIG_FILE: cliConfig, SSL_CERT_FILE: registry.caCertPath },
    });
    expect(m.stderr).not.toContain('Error');
    expect(m.code).toBe(0);
    const out = path.join(work, 'bundle');
    mirrorDir = path.join(out, 'providers');
    rendered = await fs.readFile(path.join(out, PROVIDERS_LOCKFILE), 'utf8');

    // What the mirror verified, for the renderer on its own: each platform's h1: from its
    // network-mirror JSON, and the version's signed SHA256SUMS as the registry serves it.
    mirrored = [];
    for (const r of resolved) {
      for (const v of r.versions) {
        const dir = path.join(mirrorDir, HOST, r.address.namespace, r.address.type);
        const json = JSON.parse(await fs.readFile(path.join(dir, `${v.version}.json`), 'utf8')) as {
          archives: Record<string, { hashes: string[] }>;
        };
        const sumsName = `terraform-provider-${r.address.type}_${v.version}_SHA256SUMS`;
        const sumsUrl = `${registry.url}${FILES_PATH}${r.address.namespace}/${r.address.type}/${v.version}/${sumsName}`;
        mirrored.push({
          address: r.address,
          version: v.version,
          constraints: v.constraints.map((c) => c.value),
          packages: PLATFORMS.map((platform) => ({
            platform,
            h1: json.archives[platform]!.hashes.find((h) => h.startsWith('h1:'))!,
          })),
          sha256sums: parseSha256Sums(Buffer.from(await http.getBytes(sumsUrl)).toString('utf8'), sumsName),
        });
      }
    }
  }, 120_000);

  afterAll(async () => {
    await http?.close();
    await registry?.close();
  });

  /** `terraform init` offline, from the mirror only; returns the lock file's text afterwards. */
  async function terraformInit(
    name: string,
    lockText: string,
  ): Promise<{ stdout: string; lock: string; dir: string }> {
    const dir = path.join(work, name);
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, 'main.tf'), MAIN_TF);
    await fs.writeFile(path.join(dir, '.terraform.lock.hcl'), lockText);
    const offline = path.join(work, 'offline.tfrc');
    await fs.writeFile(
      offline,
      `provider_installation {\n  filesystem_mirror {\n    path = "${mirrorDir}"\n  }\n}\n`,
    );
    const before = registry.requests.length;
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
    expect(registry.requests.length).toBe(before);
    return { stdout: tf.stdout, lock: await fs.readFile(path.join(dir, '.terraform.lock.hcl'), 'utf8'), dir };
  }

  it('mirror writes the lock file the renderer gives for what it verified', () => {
    expect(rendered).toBe(renderProvidersLockFile(mirrored, 'tofu'));
  });

  it('chooses the versions tofu would and writes the lock file tofu would', () => {
    expect(resolved.map((r) => [r.key, r.versions.map((v) => v.version)])).toEqual([
      [`${HOST}/hashicorp/null`, ['3.2.4']],
      [`${HOST}/acme/widget`, ['1.0.0', '1.1.0']],
    ]);
    const pkg = (type: string, version: string, platform: string) =>
      registry.packages.find((p) => p.type === type && p.version === version && p.platform === platform)!;
    const hashes = (type: string, version: string): string[] => {
      const amd = pkg(type, version, 'linux_amd64');
      const arm = pkg(type, version, 'linux_arm64');
      return [amd.h1, arm.h1].sort().concat([`zh:${amd.sha256}`, `zh:${arm.sha256}`].sort());
    };
    const block = (type: string, ns: string, version: string, constraints: string): string =>
      `provider "${HOST}/${ns}/${type}" {\n  version     = "${version}"\n  constraints = "${constraints}"\n  hashes = [\n` +
      hashes(type, version)
        .map((h) => `    "${h}",\n`)
        .join('') +
      '  ]\n}\n';
    expect(rendered).toBe(
      '# This file is maintained automatically by "tofu init".\n# Manual edits may be lost in future updates.\n\n' +
        block('widget', 'acme', '1.1.0', '>= 1.0.0, ~> 1.1, < 2.0.0') +
        '\n' +
        block('null', 'hashicorp', '3.2.4', '~> 3.1'),
    );
  });

  it('terraform init succeeds offline from the mirror and leaves the lock file byte for byte', async () => {
    const { stdout, lock, dir } = await terraformInit('agrees', rendered);
    expect(stdout).toContain('Terraform has been successfully initialized!');
    expect(lock).toBe(rendered);
    expect(await fs.readdir(path.join(dir, '.terraform/providers', HOST, 'hashicorp/null'))).toEqual([
      '3.2.4',
    ]);
    expect(await fs.readdir(path.join(dir, '.terraform/providers', HOST, 'acme/widget'))).toEqual(['1.1.0']);
    expect(await fs.readdir(path.join(dir, '.terraform/providers', HOST, 'acme/widget/1.1.0'))).toEqual([
      'linux_amd64',
    ]);
  }, 120_000);

  it('is complete for linux_arm64 too: terraform providers lock from the mirror adds nothing', async () => {
    const dir = path.join(work, 'arm64');
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, 'main.tf'), MAIN_TF);
    await fs.writeFile(path.join(dir, '.terraform.lock.hcl'), rendered);
    const before = registry.requests.length;
    await run(
      'terraform',
      [
        'providers',
        'lock',
        '-no-color',
        `-fs-mirror=${mirrorDir}`,
        '-platform=linux_arm64',
        '-platform=linux_amd64',
      ],
      {
        cwd: dir,
        env: {
          PATH: process.env.PATH,
          HOME: work,
          HTTPS_PROXY: 'http://127.0.0.1:9',
          HTTP_PROXY: 'http://127.0.0.1:9',
          CHECKPOINT_DISABLE: '1',
        },
      },
    );
    expect(registry.requests.length).toBe(before);
    // `providers lock` always writes the file back under its own header; nothing else changes.
    expect(await fs.readFile(path.join(dir, '.terraform.lock.hcl'), 'utf8')).toBe(
      rendered.replace('"tofu init"', '"terraform init"'),
    );
  }, 120_000);

  it('terraform does rewrite a lock file it would complete: one without the h1: of linux_amd64', async () => {
    const partial = renderProvidersLockFile(
      mirrored.map((m) => ({ ...m, packages: m.packages.filter((p) => p.platform !== 'linux_amd64') })),
      'tofu',
    );
    const { stdout, lock } = await terraformInit('teeth', partial);
    expect(stdout).toContain('Terraform has been successfully initialized!');
    expect(lock).not.toBe(partial);
    expect(lock.startsWith('# This file is maintained automatically by "terraform init".\n')).toBe(true);
    const amd = registry.packages.find(
      (p) => p.type === 'null' && p.version === '3.2.4' && p.platform === 'linux_amd64',
    )!;
    expect(partial).not.toContain(amd.h1);
    expect(lock).toContain(`"${amd.h1}",`);
  }, 120_000);
});
