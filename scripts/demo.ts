// `npm run demo`: the main job end to end, printing each step.
//   1. start the test registry (HTTPS on 127.0.0.1, throwaway signing key, real zips);
//   2. copy the demo stacks (fixtures/demo/stacks) to a scratch directory: their lock files
//      hold one h1: each, for darwin_arm64, as a laptop leaves them;
//   3. airgap mirror --update-lockfiles for linux_amd64 and linux_arm64;
//   4. the real `terraform init` in each stack with NO network: only filesystem_mirror.

import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../test/helpers/realdata.js';
import { startTestRegistry } from '../test/helpers/registry/index.js';
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

    step(
      3,
      'airgap mirror: verify and mirror every provider for linux_amd64 and linux_arm64, complete the lock files',
    );
    const bundle = path.join(work, 'bundle');
    const code = await run(
      process.execPath,
      [
        path.join(REPO_ROOT, 'bin/run.js'),
        'mirror',
        '--dir',
        stacks,
        '--out',
        bundle,
        '--platform',
        'linux_amd64',
        '--platform',
        'linux_arm64',
        '--update-lockfiles',
      ],
      { env: { TF_CLI_CONFIG_FILE: registryCfg, SSL_CERT_FILE: registry.caCertPath } },
    );
    if (code !== 0) throw new Error(`airgap mirror exited ${code}`);
    for (const s of names) {
      const text = await fs.readFile(path.join(stacks, s, '.terraform.lock.hcl'), 'utf8');
      console.log(`  ${s}/.terraform.lock.hcl: now ${countHashes(text)} hashes`);
    }
    console.log(
      `\n${path.join(stacks, names[0]!, '.terraform.lock.hcl')}:\n${await fs.readFile(path.join(stacks, names[0]!, '.terraform.lock.hcl'), 'utf8')}`,
    );

    step(4, 'terraform init on the "isolated" side: filesystem_mirror only, every network route dead');
    const offlineCfg = path.join(work, 'isolated.tfrc');
    await fs.writeFile(
      offlineCfg,
      `provider_installation {\n  filesystem_mirror {\n    path = "${path.join(bundle, 'providers')}"\n  }\n}\n`,
    );
    console.log(await fs.readFile(offlineCfg, 'utf8'));
    const before = registry.requests.length;
    for (const s of names) {
      const c = await run('terraform', ['init', '-input=false', '-no-color'], {
        cwd: path.join(stacks, s),
        env: {
          TF_CLI_CONFIG_FILE: offlineCfg,
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
      `\nDone: both stacks initialised offline from ${bundle}/providers; the registry saw no request during init.`,
    );
  } finally {
    await registry.close();
    await fs.rm(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(`demo failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
