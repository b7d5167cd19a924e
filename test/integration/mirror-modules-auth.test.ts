// A private module registry: its API needs the host's token (here from TF_TOKEN_<host>,
// as tofu reads it), which goes to the registry's own API only, never to the git or
// archive hosts its locations name.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startModuleRegistry, type TestModuleRegistry } from '../helpers/module-registry/index.js';
import { makeTempDir } from '../helpers/tmp.js';

const TOKEN = 'module-registry-token-123';
let registry: TestModuleRegistry;
let cfg: string;

beforeAll(async () => {
  registry = await startModuleRegistry({
    token: TOKEN,
    modules: [
      {
        namespace: 'corp',
        name: 'base',
        system: 'aws',
        source: 'git',
        answer: 'opentofu',
        versions: [{ version: '3.0.0', files: { 'main.tf': '# base\n' } }],
      },
    ],
  });
  const dir = await makeTempDir();
  cfg = path.join(dir, 'cli.tfrc');
  // The host block only: the token comes from the environment.
  await fs.writeFile(cfg, registry.cliConfigText().split('\ncredentials')[0]!);
});

afterAll(async () => {
  await registry?.close();
});

describe('a private module registry', { timeout: 180_000 }, () => {
  it('gets the host token on its API and nowhere else; without it the run fails with the 401', async () => {
    const cwd = await makeTempDir();
    const base = { TF_CLI_CONFIG_FILE: cfg, SSL_CERT_FILE: registry.caCertPath };
    const args = [
      'mirror',
      '--module',
      `${registry.hostname}/corp/base/aws@3.0.0`,
      '--out',
      'bundle',
      '--json',
    ];

    const denied = await runCli(args, { cwd, env: base });
    expect(denied.code).toBe(3);
    const err = (JSON.parse(denied.stdout) as { error: { code: string; message: string } }).error;
    expect(err.code).toBe('HTTP_ERROR');
    expect(err.message).toContain('401');

    registry.requests.length = 0;
    const ok = await runCli(args, { cwd, env: { ...base, TF_TOKEN_modules_airgap_test: TOKEN } });
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    const api = registry.requests.filter((q) => q.path.startsWith('/v1/modules/'));
    const other = registry.requests.filter((q) => !q.path.startsWith('/v1/modules/'));
    expect(api.map((q) => q.path)).toEqual([
      '/v1/modules/corp/base/aws/versions',
      '/v1/modules/corp/base/aws/3.0.0/download',
    ]);
    expect(api.every((q) => q.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(other.length).toBeGreaterThan(0);
    expect(other.every((q) => q.path.startsWith('/git/') && q.authorization === undefined)).toBe(true);
    expect(ok.stdout).not.toContain(TOKEN);
  });
});
