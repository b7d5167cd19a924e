// `npm run demo`: the main job end to end, printing each step.
//   1. start the test registry (HTTPS on 127.0.0.1, throwaway signing key, real zips);
//   2. copy the demo stacks (fixtures/demo/stacks) to a scratch directory: their lock files
//      hold one h1: each, for darwin_arm64, as a laptop leaves them;
//   3. airgap init writes airgap.yaml from those lock files; the demo completes it with tofu
//      (from a test release server), the Spacelift runner image (on a stand-in base image)
//      and a signed tarball as output; airgap plan shows what mirror would do;
//   4. airgap mirror --update-lockfiles: everything airgap.yaml says, for linux_amd64 and
//      linux_arm64, packed into a signed, deterministic tarball carrying the tool itself;
//   5. airgap verify of the tarball; 6. airgap import into an "isolated" directory (the
//      runner image lands in DIR/image, ready for `airgap import --push`);
//   7. the real `terraform init` in each stack with NO network, from the imported mirror.

import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeBaseImageLayout } from '../test/helpers/base-image.js';
import { generateSigningKey } from '../test/helpers/pgp.js';
import { REPO_ROOT } from '../test/helpers/realdata.js';
import { startTestRegistry } from '../test/helpers/registry/index.js';
import { startReleaseServer } from '../test/helpers/release-server/index.js';
import { DEMO_PROVIDERS } from '../fixtures/demo/providers.js';

function step(n: number, text: string): void {
  console.log(`\n\x1b[1m== ${n}. ${text}\x1b[0m`);
}

function run(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string | undefined> },
): Promise<number> {
  console.log(`$ ${[cmd, ...args].map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: options.cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
      stdio: 'inherit',
    });
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
}

function countHashes(text: string): number {
  return (text.match(/"(h1|zh):/g) ?? []).length;
}

async function main(): Promise<void> {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'airgap-demo-'));
  step(1, 'Start a test Provider Registry (HTTPS, throwaway signing key)');
  const registry = await startTestRegistry({ providers: DEMO_PROVIDERS, packagesExtension: true });
  const releases = await startReleaseServer({
    tofu: { versions: ['1.8.5'], platforms: ['linux_amd64', 'linux_arm64'] },
  });
  try {
    console.log(
      `registry ${registry.hostname} served at ${registry.url}, signing key ${registry.signingKey.fingerprint}`,
    );
    const registryCfg = path.join(work, 'connected.tfrc');
    await fs.writeFile(registryCfg, registry.cliConfigText());
    console.log(`CLI config for the connected side (${registryCfg}):\n${registry.cliConfigText()}`);

    step(2, 'Copy the demo stacks; their lock files hold only a darwin_arm64 h1: per provider');
    const stacks = path.join(work, 'stacks');
    await fs.cp(path.join(REPO_ROOT, 'fixtures/demo/stacks'), stacks, { recursive: true });
    const names = (await fs.readdir(stacks)).sort();
    for (const s of names) {
      const text = await fs.readFile(path.join(stacks, s, '.terraform.lock.hcl'), 'utf8');
      console.log(`  ${s}/.terraform.lock.hcl: ${countHashes(text)} hashes`);
    }

    step(3, 'airgap init: a spec (airgap.yaml) from the lock files it finds');
    const cli = path.join(REPO_ROOT, 'bin/run.js');
    if ((await run(process.execPath, [cli, 'init'], { cwd: work })) !== 0)
      throw new Error('airgap init failed');
    // No internet here: a tiny two-platform image stands in for public.ecr.aws/spacelift/runner-terraform,
    // the test release server for OpenTofu's, and its key for OpenTofu's pinned release key.
    const base = await writeBaseImageLayout(path.join(work, 'base-image'));
    const key = await generateSigningKey({ name: 'demo bundle signer' });
    const secret = path.join(work, 'signer.asc');
    const trusted = path.join(work, 'signer.pub.asc');
    await fs.writeFile(secret, key.privateKeyArmored);
    await fs.writeFile(trusted, key.publicKeyArmored);
    const tofu = releases.mirrorArgs('tofu', '1.8.5');
    const arg = (flag: string): string => tofu[tofu.indexOf(flag) + 1]!;
    const spec = `# yaml-language-server: $schema=${path.join(REPO_ROOT, 'docs/airgap.schema.json')}
apiVersion: airgap/v1
platforms: [linux_amd64, linux_arm64]
lockfiles: [stacks/]
binaries:
  tofu:
    versions: ['~> 1.8.0']
    apiUrl: ${arg('--tofu-api-url')}
    baseUrl: ${arg('--tofu-base-url')}
    key: ${arg('--tofu-key')}
image:
  base: ${base.reference}
output:
  dir: bundle
  tarball: airgap-bundle.tar
  signKey: signer.asc
registries:
  caCertificates: [${arg('--ca-cert')}]
`;
    await fs.writeFile(path.join(work, 'airgap.yaml'), spec);
    console.log(
      `\nThe demo completes it with tofu, the runner image and a signed tarball (${work}/airgap.yaml):\n${spec}`,
    );

    console.log(
      'airgap plan: what mirror would do, from metadata only (exit 10: it would change the bundle)',
    );
    const planned = await run(process.execPath, [cli, 'plan'], {
      cwd: work,
      env: { TF_CLI_CONFIG_FILE: registryCfg, SSL_CERT_FILE: registry.caCertPath },
    });
    if (planned !== 10) throw new Error(`airgap plan exited ${planned}, expected 10 (changes)`);

    step(
      4,
      'airgap mirror: everything airgap.yaml says, verified, for linux_amd64 and linux_arm64; lock files completed; packed and signed',
    );
    const bundle = path.join(work, 'bundle');
    const tarball = path.join(work, 'airgap-bundle.tar');
    const code = await run(process.execPath, [cli, 'mirror', '--update-lockfiles'], {
      cwd: work,
      env: { TF_CLI_CONFIG_FILE: registryCfg, SSL_CERT_FILE: registry.caCertPath },
    });
    if (code !== 0) throw new Error(`airgap mirror exited ${code}`);
    for (const s of names) {
      const text = await fs.readFile(path.join(stacks, s, '.terraform.lock.hcl'), 'utf8');
      console.log(`  ${s}/.terraform.lock.hcl: now ${countHashes(text)} hashes`);
    }
    console.log(
      `\n${path.join(stacks, names[0]!, '.terraform.lock.hcl')}:\n${await fs.readFile(path.join(stacks, names[0]!, '.terraform.lock.hcl'), 'utf8')}`,
    );

    const manifest = JSON.parse(await fs.readFile(path.join(bundle, 'airgap.json'), 'utf8')) as {
      image: { digest: string; platforms: { platform: string; manifest: string }[] };
    };
    console.log(`\nRunner image oci:${bundle}/image:latest ${manifest.image.digest}`);
    for (const p of manifest.image.platforms) console.log(`  ${p.platform}  ${p.manifest}`);
    console.log(
      `What the spec resolved to (${bundle}/airgap.lock.json):\n${await fs.readFile(path.join(bundle, 'airgap.lock.json'), 'utf8')}`,
    );

    step(5, 'airgap verify: the audit, on the tarball');
    if (
      (await run(
        process.execPath,
        [
          cli,
          'verify',
          tarball,
          '--trusted-key',
          trusted,
          // The test release server's key stands in for OpenTofu's pinned release key.
          '--tofu-key',
          releases.publicKeyPath,
        ],
        {},
      )) !== 0
    ) {
      throw new Error('airgap verify failed');
    }

    step(6, 'airgap import on the "isolated" host: verify while streaming, then one atomic switch');
    const dest = path.join(work, 'isolated');
    if (
      (await run(
        process.execPath,
        [cli, 'import', tarball, '--dest', dest, '--trusted-key', trusted],
        {},
      )) !== 0
    ) {
      throw new Error('airgap import failed');
    }
    console.log(await fs.readFile(path.join(dest, 'tofurc'), 'utf8'));
    console.log(
      `The runner image is at ${dest}/image (push it with: airgap import ... --push REGISTRY/REPO:TAG).`,
    );

    step(7, 'terraform init in each stack with DIR/tofurc and every network route dead');
    const before = registry.requests.length;
    for (const s of names) {
      const c = await run('terraform', ['init', '-input=false', '-no-color'], {
        cwd: path.join(stacks, s),
        env: {
          TF_CLI_CONFIG_FILE: path.join(dest, 'tofurc'),
          HTTPS_PROXY: 'http://127.0.0.1:9',
          HTTP_PROXY: 'http://127.0.0.1:9',
          CHECKPOINT_DISABLE: '1',
          HOME: work,
        },
      });
      if (c !== 0) throw new Error(`terraform init in ${s} exited ${c}`);
    }
    if (registry.requests.length !== before)
      throw new Error('terraform reached the registry during the offline init');
    console.log(
      `\nDone: both stacks initialised offline from ${dest}/providers; the registry saw no request after step 4.`,
    );
    console.log(
      `Everything stays in ${work} to look at: airgap.yaml, bundle/ (the connected side), airgap-bundle.tar, isolated/ (the import). Remove it with rm -rf when done.`,
    );
  } finally {
    await registry.close();
    await releases.close();
  }
}

main().catch((e: unknown) => {
  console.error(`demo failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
