// One `airgap mirror` run makes the whole bundle: verified providers, verified
// tofu and terraform releases, config/ (tofurc, workflow.yml, Dockerfile), the
// completed lock files and airgap.json listing every file. Then the real
// terraform initialises offline with the bundle's own config/tofurc.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { dockerfilePaths, WORKFLOW_KEYS } from '../../src/core/config/index.js';
import { manifestFiles, parseManifest } from '../../src/core/bundle/manifest.js';
import { runCli } from '../helpers/cli.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry/index.js';
import { startReleaseServer, type ReleaseServer } from '../helpers/release-server/index.js';
import { makeTempDir } from '../helpers/tmp.js';
import { describeWithTools } from '../helpers/tools.js';

const run = promisify(execFile);
const HOST = 'registry.airgap.test';
const PLATFORMS = ['linux_amd64', 'linux_arm64'];

async function walk(root: string, dir = root): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(root, p)));
    else out.push(path.relative(root, p));
  }
  return out.sort();
}

describeWithTools(['terraform'], 'a whole bundle from one airgap mirror run', () => {
  let registry: TestRegistry;
  let releases: ReleaseServer;
  let work: string;

  beforeAll(async () => {
    registry = await startTestRegistry({
      providers: [{ namespace: 'hashicorp', type: 'null', versions: ['3.2.1'], platforms: PLATFORMS }],
    });
    releases = await startReleaseServer({
      tofu: { versions: ['1.8.4', '1.8.5', '1.9.0'], platforms: PLATFORMS },
      terraform: { versions: ['1.9.8'], platforms: PLATFORMS },
    });
    work = await makeTempDir();
  });

  afterAll(async () => {
    await registry?.close();
    await releases?.close();
  });

  it('holds verified providers and binaries, the configs and a manifest of every file; terraform inits offline from it', async () => {
    const stack = path.join(work, 'stack');
    await fs.mkdir(stack);
    await fs.writeFile(
      path.join(stack, 'main.tf'),
      `terraform {\n  required_providers {\n    null = {\n      source  = "${HOST}/hashicorp/null"\n      version = "3.2.1"\n    }\n  }\n}\n`,
    );
    await fs.writeFile(
      path.join(stack, '.terraform.lock.hcl'),
      `# This file is maintained automatically by "tofu init".\n# Manual edits may be lost in future updates.\n\nprovider "${HOST}/hashicorp/null" {\n  version = "3.2.1"\n}\n`,
    );
    const cfg = path.join(work, 'registry.tfrc');
    await fs.writeFile(cfg, registry.cliConfigText());
    const bundle = path.join(work, 'bundle');
    const r = await runCli(
      [
        'mirror',
        '--dir',
        stack,
        '--out',
        bundle,
        '--update-lockfiles',
        '--json',
        ...PLATFORMS.flatMap((p) => ['--platform', p]),
        '--tofu',
        '~> 1.8.0',
        '--tofu-api-url',
        releases.tofuApiUrl,
        '--tofu-base-url',
        releases.tofuBaseUrl,
        '--tofu-key',
        releases.publicKeyPath,
        '--terraform',
        '1.9.8',
        '--terraform-base-url',
        releases.terraformBaseUrl,
        '--terraform-key',
        releases.publicKeyPath,
        '--mirror-path',
        path.join(bundle, 'providers'),
        // Two private CAs: the registry's through SSL_CERT_FILE, the release server's through --ca-cert.
        '--ca-cert',
        releases.caCertPath,
      ],
      { env: { TF_CLI_CONFIG_FILE: cfg, SSL_CERT_FILE: registry.caCertPath } },
    );
    expect(r.stderr).not.toContain('Error');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.binaries).toEqual([
      { tool: 'terraform', version: '1.9.8', platforms: PLATFORMS },
      { tool: 'tofu', version: '1.8.5', platforms: PLATFORMS },
    ]);
    expect(json.configs).toEqual(['config/Dockerfile', 'config/tofurc', 'config/workflow.yml']);

    // The release files, byte for byte as published.
    for (const p of PLATFORMS) {
      const a = releases.artifact('tofu', '1.8.5', p);
      expect((await fs.readFile(path.join(bundle, 'tofu/1.8.5', a.filename))).equals(a.bytes)).toBe(true);
    }
    expect(
      (await fs.readFile(path.join(bundle, 'tofu/1.8.5/tofu_1.8.5_SHA256SUMS'))).equals(
        releases.sums('tofu', '1.8.5'),
      ),
    ).toBe(true);

    // airgap.json lists exactly the files of the bundle, with their real digests.
    const manifest = parseManifest(
      await fs.readFile(path.join(bundle, 'airgap.json'), 'utf8'),
      'airgap.json',
    );
    const listed = manifestFiles(manifest);
    expect(listed.map((f) => f.path)).toEqual((await walk(bundle)).filter((f) => f !== 'airgap.json'));
    for (const f of listed) {
      const bytes = await fs.readFile(path.join(bundle, f.path));
      expect({
        path: f.path,
        size: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
      }).toEqual(f);
    }
    const tofu = manifest.binaries.find((b) => b.tool === 'tofu')!;
    expect(tofu.verifiedBy.primaryKeyFingerprint).toBe(releases.signingKey.fingerprint);
    expect(tofu.signature.path).toBe('tofu/1.8.5/tofu_1.8.5_SHA256SUMS.gpgsig');
    expect(manifest.lockfiles).toHaveLength(1);
    expect(manifest.lockfiles[0]!.complete).toBe(true);

    // config/: the Dockerfile names only files the bundle has; workflow.yml has exactly the nine keys.
    const dockerfile = await fs.readFile(path.join(bundle, 'config/Dockerfile'), 'utf8');
    expect(dockerfile).toContain('tofu/1.8.5/tofu_1.8.5_linux_${TARGETARCH}.zip');
    expect(dockerfile.trimEnd().split('\n').at(-1)).toBe('USER spacelift');
    const named = dockerfilePaths({
      baseImage: 'public.ecr.aws/spacelift/runner-terraform:latest',
      tool: 'tofu',
      version: '1.8.5',
      platforms: PLATFORMS,
      mirrorDir: 'providers',
      tofurcPath: 'config/tofurc',
    });
    for (const p of named) await expect(fs.stat(path.join(bundle, p))).resolves.toBeDefined();
    expect(
      Object.keys(parseYaml(await fs.readFile(path.join(bundle, 'config/workflow.yml'), 'utf8'))),
    ).toEqual([...WORKFLOW_KEYS]);

    // The bundle's own tofurc (--mirror-path = the real mirror) serves terraform init with no network.
    const before = registry.requests.length;
    const tf = await run('terraform', ['init', '-input=false', '-no-color'], {
      cwd: stack,
      env: {
        PATH: process.env.PATH,
        HOME: work,
        TF_CLI_CONFIG_FILE: path.join(bundle, 'config/tofurc'),
        HTTPS_PROXY: 'http://127.0.0.1:9',
        CHECKPOINT_DISABLE: '1',
      },
    });
    expect(tf.stdout).toContain('Terraform has been successfully initialized!');
    expect(registry.requests.length).toBe(before);
  }, 120_000);
});
