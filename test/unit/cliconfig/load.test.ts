// Where the CLI configuration is read from (opentofu internal/command/cliconfig/
// cliconfig.go, config_unix.go), and the credentials helper found and run as tofu does
// (cmd/tofu/plugins.go, internal/plugin/discovery/find.go,
// internal/command/cliconfig/svcauthconfig/helper_program.go), with real files and
// real helper programs (shell scripts) in temporary directories.
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  cliConfigLocations,
  loadCliConfig,
  loadRegistryHosts,
} from '../../../src/adapters/fs/cli-config-file.js';
import {
  credentialsHelperProgram,
  findCredentialsHelper,
} from '../../../src/adapters/process/credentials-helper.js';
import { cliConfigHosts } from '../../../src/core/cliconfig/credentials.js';
import { parseCliConfig } from '../../../src/core/cliconfig/parse.js';
import { AirgapError } from '../../../src/core/errors.js';
import { makeTempDir } from '../../helpers/tmp.js';

async function tree(files: Record<string, string>): Promise<string> {
  const root = await makeTempDir('airgap-cliconfig-');
  for (const [rel, text] of Object.entries(files)) {
    const file = path.join(root, rel);
    await fs.mkdir(rel.endsWith('/') ? file : path.dirname(file), { recursive: true });
    if (rel.endsWith('/')) continue;
    await fs.writeFile(file, text, { mode: rel.includes('terraform-credentials-') ? 0o755 : 0o644 });
  }
  return root;
}

const OPTS = { platform: 'linux_amd64' };

describe('cliConfigLocations', () => {
  it('uses ~/.tofurc, or ~/.terraformrc when only that exists, and ~/.terraform.d', async () => {
    const empty = await tree({});
    expect(await cliConfigLocations({ HOME: empty }, OPTS)).toEqual({
      file: { path: path.join(empty, '.tofurc'), from: undefined },
      dir: path.join(empty, '.terraform.d'),
      pluginDirs: [
        path.join(empty, '.terraform.d/plugins'),
        path.join(empty, '.terraform.d/plugins/linux_amd64'),
      ],
    });
    const legacy = await tree({ '.terraformrc': '' });
    expect((await cliConfigLocations({ HOME: legacy }, OPTS)).file?.path).toBe(
      path.join(legacy, '.terraformrc'),
    );
    const both = await tree({ '.terraformrc': '', '.tofurc': '' });
    expect((await cliConfigLocations({ HOME: both }, OPTS)).file?.path).toBe(path.join(both, '.tofurc'));
  });

  it('uses $XDG_CONFIG_HOME/opentofu only where the home-directory names are absent', async () => {
    const home = await tree({});
    const env = { HOME: home, XDG_CONFIG_HOME: '/xdg', XDG_DATA_HOME: '/data' };
    expect(await cliConfigLocations(env, OPTS)).toEqual({
      file: { path: '/xdg/opentofu/tofurc', from: undefined },
      dir: '/xdg/opentofu',
      pluginDirs: [
        path.join(home, '.terraform.d/plugins'),
        path.join(home, '.terraform.d/plugins/linux_amd64'),
        '/data/opentofu/plugins',
        '/data/opentofu/plugins/linux_amd64',
      ],
    });
    const used = await tree({ '.terraformrc': '', '.terraform.d/': '' });
    const where = await cliConfigLocations({ ...env, HOME: used }, OPTS);
    expect(where.file?.path).toBe(path.join(used, '.terraformrc'));
    expect(where.dir).toBe(path.join(used, '.terraform.d'));
  });

  it('lets TF_CLI_CONFIG_FILE, then TERRAFORM_CONFIG, replace the file and skip the directory', async () => {
    const home = await tree({ '.tofurc': '' });
    expect(
      await cliConfigLocations({ HOME: home, TF_CLI_CONFIG_FILE: '/a.rc', TERRAFORM_CONFIG: '/b.rc' }, OPTS),
    ).toMatchObject({ file: { path: '/a.rc', from: 'TF_CLI_CONFIG_FILE' }, dir: undefined });
    expect(
      await cliConfigLocations({ HOME: home, TF_CLI_CONFIG_FILE: '', TERRAFORM_CONFIG: '/b.rc' }, OPTS),
    ).toMatchObject({ file: { path: '/b.rc', from: 'TERRAFORM_CONFIG' }, dir: undefined });
  });
});

describe('loadCliConfig', () => {
  it('reads the main file, then the *.tfrc and *.tfrc.json files by name, later ones winning', async () => {
    const home = await tree({
      '.terraformrc': 'credentials "r.example" { token = "main" }\n',
      '.terraform.d/credentials.tfrc.json': '{"credentials": {"r.example": {"token": "login"}}}',
      '.terraform.d/b.tfrc': 'host "r.example" { services { providers.v1 = "/p/" } }\n',
      '.terraform.d/a.tfrc.json': '{"credentials": {"r.example": {"token": "a"}}}',
      '.terraform.d/notes.txt': 'not read',
      '.terraform.d/x.tfrc.bak': 'not read {',
    });
    const loaded = await loadCliConfig({ HOME: home }, OPTS);
    expect(loaded.files).toEqual([
      path.join(home, '.terraformrc'),
      path.join(home, '.terraform.d/a.tfrc.json'),
      path.join(home, '.terraform.d/b.tfrc'),
      path.join(home, '.terraform.d/credentials.tfrc.json'),
    ]);
    expect(loaded.config).toEqual({
      hosts: {
        'r.example': {
          services: { 'providers.v1': '/p/' },
          sourcePath: path.join(home, '.terraform.d/b.tfrc'),
        },
      },
      credentials: { 'r.example': { token: 'login' } },
    });
    expect(loaded.warnings).toEqual([]);
  });

  it('warns about a TF_CLI_CONFIG_FILE that does not exist, and fails on one it cannot read', async () => {
    const home = await tree({ 'dir.tfrc/': '' });
    const missing = path.join(home, 'missing.tfrc');
    expect(await loadCliConfig({ HOME: home, TF_CLI_CONFIG_FILE: missing }, OPTS)).toEqual({
      config: { hosts: {}, credentials: {} },
      files: [],
      pluginDirs: [
        path.join(home, '.terraform.d/plugins'),
        path.join(home, '.terraform.d/plugins/linux_amd64'),
      ],
      warnings: [`the CLI configuration ${missing} (from TF_CLI_CONFIG_FILE) does not exist; using none`],
    });
    const dir = path.join(home, 'dir.tfrc');
    await expect(loadCliConfig({ HOME: home, TF_CLI_CONFIG_FILE: dir }, OPTS)).rejects.toThrow(
      `cannot read the CLI configuration ${dir} (from TF_CLI_CONFIG_FILE): EISDIR: illegal operation on a directory, read`,
    );
  });
});

describe('findCredentialsHelper', () => {
  it('picks the newest version of the named helper across the plugin directories', async () => {
    const root = await tree({
      'p/terraform-credentials-vault': '#!/bin/sh\n',
      'p/terraform-credentials-vault_v1.9.0': '#!/bin/sh\n',
      'p/terraform-credentials-vault_v1.10.0-rc1': '#!/bin/sh\n',
      'p/terraform-credentials-other_v9.0.0': '#!/bin/sh\n',
      'p/Terraform-credentials-vault_v8.0.0': '#!/bin/sh\n',
      'p/terraform-credentials-vault_v7.0.0/': '',
      'p/linux_amd64/terraform-credentials-vault_v1.10.0_x5': '#!/bin/sh\n',
    });
    const dirs = [path.join(root, 'p'), path.join(root, 'p/linux_amd64'), path.join(root, 'absent')];
    expect(await findCredentialsHelper('vault', dirs)).toBe(
      path.join(root, 'p/linux_amd64/terraform-credentials-vault_v1.10.0_x5'),
    );
    expect(await findCredentialsHelper('vault', [path.join(root, 'p')])).toBe(
      path.join(root, 'p/terraform-credentials-vault_v1.10.0-rc1'),
    );
    // File names are compared lower-cased with the name exactly as configured.
    expect(await findCredentialsHelper('Vault', dirs)).toBeUndefined();
    expect(await findCredentialsHelper('keychain', dirs)).toBeUndefined();
  });
});

describe('credentialsHelperProgram', () => {
  async function helper(
    script: string,
    args: string[] = [],
  ): Promise<{ run: (host: string) => Promise<string | undefined>; dir: string; file: string }> {
    const dir = await tree({ 'terraform-credentials-t': `#!/bin/sh\n${script}\n` });
    const file = path.join(dir, 'terraform-credentials-t');
    const h = credentialsHelperProgram(file, args, { PATH: process.env.PATH, LOG: path.join(dir, 'log') });
    return { run: (host) => h.token(host), dir, file };
  }

  async function failure(p: Promise<unknown>): Promise<string> {
    try {
      await p;
    } catch (e) {
      expect(e).toBeInstanceOf(AirgapError);
      expect((e as AirgapError).code).toBe('CLICONFIG_INVALID');
      return `${(e as AirgapError).message} | ${(e as AirgapError).remedy ?? ''}`;
    }
    return 'no error';
  }

  it('runs `HELPER ARGS... get HOST` and reads the token from its JSON answer', async () => {
    const h = await helper('printf "[%s]" "$@" >> "$LOG"\necho \'{"token": "tok-1", "other": 2}\'', [
      '--a',
      'b c',
    ]);
    expect(await h.run('r.example')).toBe('tok-1');
    expect(await fs.readFile(path.join(h.dir, 'log'), 'utf8')).toBe('[--a][b c][get][r.example]');
  });

  it('gives no token for an answer without one, or JSON null', async () => {
    expect(await (await helper("echo '{}'")).run('r.example')).toBeUndefined();
    expect(await (await helper('echo \'{"token": 5}\'')).run('r.example')).toBeUndefined();
    expect(await (await helper('echo null')).run('r.example')).toBeUndefined();
  });

  it('fails naming the helper and host, never what it printed', async () => {
    const broken = await helper('echo "secret-stderr" >&2\necho "secret-stdout"\nexit 3');
    expect(await failure(broken.run('r.example'))).toBe(
      `the credentials helper ${broken.file} failed with exit status 3 when asked for a token for r.example | run \`${broken.file} get r.example\` to see what the credentials helper says`,
    );
    const garbled = await helper('echo "secret-stdout"');
    expect(await failure(garbled.run('r.example'))).toMatch(
      /^the credentials helper \S+ printed something other than a JSON object when asked for a token for r\.example \| /,
    );
    const listed = await helper('echo \'["tok"]\'');
    expect(await failure(listed.run('r.example'))).toMatch(/ printed JSON that is not an object when /);
    const notExecutable = await helper('echo {}');
    await fs.chmod(notExecutable.file, 0o644);
    expect(await failure(notExecutable.run('r.example'))).toMatch(/ could not be started \(EACCES\) when /);
  });

  it('is asked only when no TF_TOKEN_* variable or credentials block has a token, once per host', async () => {
    const h = await helper('echo "$2" >> "$LOG"\necho \'{"token": "from-helper"}\'');
    const hosts = cliConfigHosts(
      parseCliConfig('credentials "c.example" { token = "from-block" }\n', 'rc'),
      { TF_TOKEN_e_example: 'from-env' },
      credentialsHelperProgram(h.file, [], { LOG: path.join(h.dir, 'log') }),
    );
    expect(await hosts.token('e.example')).toBe('from-env');
    expect(await hosts.token('c.example')).toBe('from-block');
    expect(await Promise.all([hosts.token('H.example'), hosts.token('h.example:443')])).toEqual([
      'from-helper',
      'from-helper',
    ]);
    expect(await hosts.token('h.example')).toBe('from-helper');
    expect(await fs.readFile(path.join(h.dir, 'log'), 'utf8')).toBe('h.example\n');
  });
});

describe('loadRegistryHosts', () => {
  it('warns and goes on without a credentials helper it cannot find, as tofu does', async () => {
    const home = await tree({ '.tofurc': 'credentials_helper "missing" {}\n' });
    const { hosts, warnings } = await loadRegistryHosts({ HOME: home }, OPTS);
    expect(warnings).toEqual([
      `credentials_helper "missing" (${path.join(home, '.tofurc')}): no terraform-credentials-missing program in ${path.join(home, '.terraform.d/plugins')}, ${path.join(home, '.terraform.d/plugins/linux_amd64')}; going on without it, as tofu does`,
    ]);
    expect(await hosts.token('r.example')).toBeUndefined();
  });
});
