// `npm run registry`: the test Provider Registry and the test release server, started by
// hand, so `airgap mirror` can be tried against something without reading the test
// helpers. Both listen on 127.0.0.1 over HTTPS with throwaway certificates and signing
// keys; what they serve is fixtures/demo/providers.ts and a tofu and a terraform release
// (tiny stand-in executables). It prints the environment and commands to paste into
// another shell, and writes them to WORK/env.sh, then serves until Ctrl-C (or SIGTERM),
// when it closes both servers and removes WORK and their own temporary directories.

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../test/helpers/realdata.js';
import { startTestRegistry, type TestRegistry } from '../test/helpers/registry/index.js';
import { startReleaseServer, type ReleaseServer } from '../test/helpers/release-server/index.js';
import { DEMO_PROVIDERS } from '../fixtures/demo/providers.js';

const PLATFORMS = ['linux_amd64', 'linux_arm64', 'darwin_arm64'];
const TOFU = '1.8.5';
const TERRAFORM = '1.9.8';

/** A word as sh reads it: bare when that is safe, else in single quotes. */
function sh(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

async function main(): Promise<void> {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'airgap-try-'));
  const registry = await startTestRegistry({ providers: DEMO_PROVIDERS, packagesExtension: true });
  const releases = await startReleaseServer({
    tofu: { versions: [TOFU], platforms: PLATFORMS },
    terraform: { versions: [TERRAFORM], platforms: PLATFORMS },
  });

  let stopping = false;
  async function stop(signal: string): Promise<void> {
    if (stopping) return;
    stopping = true;
    if (signal !== 'error') console.log(`\n${signal}: stopping both servers and removing ${work}`);
    await Promise.all([registry.close(), releases.close()]);
    await fs.rm(work, { recursive: true, force: true });
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      stop(signal).catch((e: unknown) => {
        console.error(`stopping failed: ${e instanceof Error ? e.message : String(e)}`);
        process.exitCode = 1;
      });
    });
  }

  try {
    await announce(work, registry, releases);
  } catch (e) {
    await stop('error');
    throw e;
  }
}

async function announce(work: string, registry: TestRegistry, releases: ReleaseServer): Promise<void> {
  // The registry's host block for service discovery; one CA file trusted for both servers.
  const cliConfig = path.join(work, 'connected.tfrc');
  const caFile = path.join(work, 'ca.pem');
  const releaseKey = path.join(work, 'release-key.asc');
  const stacks = path.join(work, 'stacks');
  await fs.writeFile(cliConfig, registry.cliConfigText());
  await fs.writeFile(
    caFile,
    (await fs.readFile(registry.caCertPath, 'utf8')) + (await fs.readFile(releases.caCertPath, 'utf8')),
  );
  await fs.copyFile(releases.publicKeyPath, releaseKey);
  await fs.cp(path.join(REPO_ROOT, 'fixtures/demo/stacks'), stacks, { recursive: true });

  const env = [
    `export TF_CLI_CONFIG_FILE=${sh(cliConfig)}`,
    `export SSL_CERT_FILE=${sh(caFile)}`,
    `airgap() { ${sh(process.execPath)} ${sh(path.join(REPO_ROOT, 'bin/run.js'))} "$@"; }`,
  ];
  await fs.writeFile(path.join(work, 'env.sh'), `${env.join('\n')}\n`);
  const binaryFlags = (tool: 'tofu' | 'terraform', version: string): string[] => [
    `--${tool}`,
    version,
    `--${tool}-api-url`,
    tool === 'tofu' ? releases.tofuApiUrl : releases.terraformApiUrl,
    `--${tool}-base-url`,
    tool === 'tofu' ? releases.tofuBaseUrl : releases.terraformBaseUrl,
    `--${tool}-key`,
    releaseKey,
  ];
  const mirror = [
    'airgap',
    'mirror',
    '--dir',
    stacks,
    '--update-lockfiles',
    '--out',
    'bundle',
    ...binaryFlags('tofu', TOFU),
  ];
  const verify = ['airgap', 'verify', 'bundle', '--tofu-key', releaseKey];
  const served = DEMO_PROVIDERS.map((p) => `${p.namespace}/${p.type} ${p.versions.join(', ')}`).join('; ');

  console.log(`Test Provider Registry: ${registry.hostname} at ${registry.url}
  ${served}, for ${PLATFORMS.join(', ')}; SHA256SUMS signed by ${registry.signingKey.fingerprint}
Test release server: ${releases.url}
  tofu ${TOFU} and terraform ${TERRAFORM}, for ${PLATFORMS.join(', ')}; signed by ${releases.signingKey.fingerprint}

Paste into another shell (also in ${path.join(work, 'env.sh')}):

${env.join('\n')}

Then mirror what the lock files in ${stacks} name (completing them) and tofu ${TOFU}
into ./bundle, and audit it:

${mirror.map(sh).join(' ')}
${verify.map(sh).join(' ')}

Or name the servers in an airgap.yaml (docs/SPEC-FORMAT.md), with the environment above:

providers:
  ${registry.hostname}/hashicorp/null: ['~> 3.2']
binaries:
  tofu:
    versions: ['${TOFU}']
    apiUrl: ${releases.tofuApiUrl}
    baseUrl: ${releases.tofuBaseUrl}
    key: ${releaseKey}
  terraform:
    versions: ['${TERRAFORM}']
    apiUrl: ${releases.terraformApiUrl}
    baseUrl: ${releases.terraformBaseUrl}
    key: ${releaseKey}

Serving until Ctrl-C, which stops both servers and removes ${work}.`);
}

main().catch((e: unknown) => {
  console.error(`npm run registry failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
