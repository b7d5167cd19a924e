// The CLI configuration airgap reads for its own registry access must be the one
// tofu reads. The real terraform 1.11.4 judges what terraform and tofu share: for each
// setup, a fresh HOME is given to `terraform providers lock` and to `airgap mirror`,
// against the test registry requiring a bearer token; both must succeed, or both fail,
// and the registry must have seen the same credentials from both. Where terraform and
// tofu differ (~/.tofurc, XDG paths), airgap is checked alone, following tofu's source.

import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry/index.js';
import { makeTempDir } from '../helpers/tmp.js';
import { describeWithTools } from '../helpers/tools.js';

const run = promisify(execFile);
const TOKEN = 'tok-e2e-cliconfig';

let registry: TestRegistry;

beforeAll(async () => {
  registry = await startTestRegistry({
    providers: [{ namespace: 'acme', type: 'widget', versions: ['1.0.0'], platforms: ['linux_amd64'] }],
    token: TOKEN,
  });
});

afterAll(async () => {
  await registry?.close();
});

interface Setup {
  /** Files under HOME; "$URL", "$HOST", "$TOKEN" and "$HOME" are replaced. */
  files: Record<string, string>;
  /** Extra environment; "$HOME" is replaced. */
  env?: Record<string, string>;
  /** The registry hostname in provider addresses; default the test registry's logical name. */
  host?: string;
}

interface Home {
  home: string;
  host: string;
  env: Record<string, string>;
}

async function makeHome(setup: Setup): Promise<Home> {
  const home = await makeTempDir('airgap-cliconfig-home-');
  const host = setup.host ?? registry.hostname;
  const fill = (s: string): string =>
    s
      .replaceAll('$URL', registry.url)
      .replaceAll('$HOST', host)
      .replaceAll('$TOKEN', TOKEN)
      .replaceAll('$HOME', home);
  for (const [rel, text] of Object.entries(setup.files)) {
    const file = path.join(home, rel);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, fill(text), { mode: rel.includes('terraform-credentials-') ? 0o755 : 0o644 });
  }
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    SSL_CERT_FILE: registry.caCertPath,
    CHECKPOINT_DISABLE: '1',
  };
  for (const [k, v] of Object.entries(setup.env ?? {})) env[k] = fill(v);
  return { home, host, env };
}

interface Outcome {
  code: number | null;
  output: string;
  /** "STATUS PATH AUTHORIZATION" of every registry API request the run made. */
  api: string[];
}

function apiSince(before: number): string[] {
  return registry.requests
    .slice(before)
    .filter((r) => !r.path.startsWith('/files/'))
    .map((r) => `${r.status} ${r.path} ${String(r.headers.authorization ?? '-')}`);
}

async function terraform(h: Home): Promise<Outcome> {
  const dir = path.join(h.home, 'tf');
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(
    path.join(dir, 'main.tf'),
    `terraform {\n  required_providers {\n    widget = {\n      source  = "${h.host}/acme/widget"\n      version = "1.0.0"\n    }\n  }\n}\n`,
  );
  const before = registry.requests.length;
  try {
    const r = await run('terraform', ['providers', 'lock', '-platform=linux_amd64', '-no-color'], {
      cwd: dir,
      env: h.env,
    });
    return { code: 0, output: r.stdout + r.stderr, api: apiSince(before) };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return {
      code: err.code ?? null,
      output: `${err.stdout ?? ''}${err.stderr ?? ''}`,
      api: apiSince(before),
    };
  }
}

async function airgap(h: Home): Promise<Outcome & { warnings: string[] | undefined }> {
  const dir = path.join(h.home, 'ag');
  await fs.mkdir(dir, { recursive: true });
  const lockfile = path.join(dir, '.terraform.lock.hcl');
  await fs.writeFile(lockfile, `provider "${h.host}/acme/widget" {\n  version = "1.0.0"\n}\n`);
  const before = registry.requests.length;
  const result = await runCli(
    [
      'mirror',
      '--lockfile',
      lockfile,
      '--out',
      path.join(dir, 'bundle'),
      '--platform',
      'linux_amd64',
      '--json',
    ],
    { env: h.env },
  );
  const warnings =
    result.code === 0 ? (JSON.parse(result.stdout) as { warnings: string[] }).warnings : undefined;
  return { code: result.code, output: result.stdout + result.stderr, api: apiSince(before), warnings };
}

const HOST_BLOCK = `host "$HOST" {\n  services = {\n    "providers.v1" = "$URL/v1/providers/"\n  }\n}\n`;
const LOGIN_FILE = `{\n  "credentials": {\n    "$HOST": {\n      "token": "$TOKEN"\n    }\n  }\n}\n`;

/** The API requests of a successful run: both with the token. */
const OK_API = [
  `200 /v1/providers/acme/widget/versions Bearer ${TOKEN}`,
  `200 /v1/providers/acme/widget/1.0.0/download/linux/amd64 Bearer ${TOKEN}`,
];

describeWithTools(['terraform'], 'CLI configuration: airgap reads what terraform reads', () => {
  async function both(
    setup: Setup,
  ): Promise<{ tf: Outcome; ag: Outcome & { warnings: string[] | undefined }; home: string }> {
    const h = await makeHome(setup);
    const tf = await terraform(h);
    const ag = await airgap(h);
    return { tf, ag, home: h.home };
  }

  it('takes the token `terraform login` stored in ~/.terraform.d/credentials.tfrc.json', async () => {
    const { tf, ag } = await both({
      files: { '.terraformrc': HOST_BLOCK, '.terraform.d/credentials.tfrc.json': LOGIN_FILE },
    });
    expect(tf.code).toBe(0);
    expect(tf.api).toEqual(OK_API);
    expect(ag.warnings).toEqual([]);
    expect(ag.code).toBe(0);
    expect(ag.api).toEqual(OK_API);
  });

  it('reads host blocks from the *.tfrc files of ~/.terraform.d', async () => {
    const { tf, ag } = await both({
      files: {
        '.terraform.d/registry.tfrc': HOST_BLOCK,
        '.terraform.d/credentials.tfrc.json': LOGIN_FILE,
      },
    });
    expect(tf.code).toBe(0);
    expect(tf.api).toEqual(OK_API);
    expect(ag.code).toBe(0);
    expect(ag.api).toEqual(OK_API);
  });

  it('skips the config directory, credentials.tfrc.json included, when TF_CLI_CONFIG_FILE is set', async () => {
    const { tf, ag } = await both({
      files: { 'only-hosts.tfrc': HOST_BLOCK, '.terraform.d/credentials.tfrc.json': LOGIN_FILE },
      env: { TF_CLI_CONFIG_FILE: '$HOME/only-hosts.tfrc' },
    });
    expect(tf.code).toBe(1);
    expect(tf.api).toEqual(['401 /v1/providers/acme/widget/versions -']);
    expect(ag.code).toBe(3);
    expect(ag.api).toEqual(['401 /v1/providers/acme/widget/versions -']);
  });

  it('reads TERRAFORM_CONFIG when TF_CLI_CONFIG_FILE is unset', async () => {
    const { tf, ag } = await both({
      files: { 'legacy.rc': `${HOST_BLOCK}credentials "$HOST" {\n  token = "$TOKEN"\n}\n` },
      env: { TERRAFORM_CONFIG: '$HOME/legacy.rc' },
    });
    expect(tf.code).toBe(0);
    expect(ag.code).toBe(0);
    expect(ag.api).toEqual(tf.api);
    expect(ag.api).toEqual(OK_API);
  });

  it('reads a JSON-syntax CLI configuration, whatever its name', async () => {
    const { tf, ag } = await both({
      files: {
        'cli.json': `{\n  "host": [\n    { "$HOST": { "services": { "providers.v1": "$URL/v1/providers/" } } }\n  ],\n  "credentials": { "$HOST": { "token": "$TOKEN" } }\n}\n`,
      },
      env: { TF_CLI_CONFIG_FILE: '$HOME/cli.json' },
    });
    expect(tf.code).toBe(0);
    expect(ag.code).toBe(0);
    expect(ag.api).toEqual(tf.api);
    expect(ag.api).toEqual(OK_API);
  });

  it('reads HCL 1 forms: bare dotted keys, `services { }` blocks, several items on one line', async () => {
    const { tf, ag } = await both({
      files: {
        '.terraformrc':
          `host "$HOST" {\n  services {\n    providers.v1 = "$URL/v1/providers/"\n  }\n}\n` +
          `credentials "$HOST" { token = "$TOKEN" } disable_checkpoint = true, plugin_cache_may_break_dependency_lock_file = false\n`,
      },
    });
    expect(tf.code).toBe(0);
    expect(ag.code).toBe(0);
    expect(ag.api).toEqual(tf.api);
    expect(ag.api).toEqual(OK_API);
  });

  it('runs the credentials_helper from ~/.terraform.d/plugins as `NAME ARGS... get HOST`', async () => {
    const { tf, ag, home } = await both({
      files: {
        '.terraformrc': `${HOST_BLOCK}credentials_helper "e2e" {\n  args = ["--profile", "two words"]\n}\n`,
        '.terraform.d/plugins/terraform-credentials-e2e':
          '#!/bin/sh\nfor a in "$@"; do printf "[%s]" "$a" >> "$HOME/helper.log"; done\necho >> "$HOME/helper.log"\nprintf \'{"token":"$TOKEN"}\'\n',
      },
    });
    expect(tf.code).toBe(0);
    expect(ag.code).toBe(0);
    expect(ag.api).toEqual(tf.api);
    expect(ag.api).toEqual(OK_API);
    const log = await fs.readFile(path.join(home, 'helper.log'), 'utf8');
    // terraform asks once per host; so does airgap (the answer is kept for the run).
    expect(log).toBe(
      `[--profile][two words][get][${registry.hostname}]\n[--profile][two words][get][${registry.hostname}]\n`,
    );
  });

  it('fails when the credentials helper fails, without showing what the helper printed', async () => {
    const { tf, ag } = await both({
      files: {
        '.terraformrc': `${HOST_BLOCK}credentials_helper "broken" {}\n`,
        '.terraform.d/plugins/terraform-credentials-broken':
          '#!/bin/sh\necho "vault says: s3cr3t-detail" >&2\nexit 7\n',
      },
    });
    expect(tf.code).toBe(1);
    expect(tf.api).toEqual([]);
    expect(ag.code).toBe(2);
    expect(ag.api).toEqual([]);
    expect(ag.output).not.toContain('s3cr3t');
    expect(ag.output).toContain(`failed with exit status 7 when asked for a token for ${registry.hostname}`);
  });

  it('resolves relative service URLs against https://HOST/.well-known/terraform.json', async () => {
    const host = `127.0.0.1:${registry.port}`;
    const creds = `credentials "$HOST" {\n  token = "$TOKEN"\n}\n`;
    const rooted = await both({
      host,
      files: {
        '.terraformrc': `host "$HOST" {\n  services = { "providers.v1" = "/v1/providers/" }\n}\n${creds}`,
      },
    });
    expect(rooted.tf.code).toBe(0);
    expect(rooted.ag.code).toBe(0);
    expect(rooted.ag.api).toEqual(rooted.tf.api);
    expect(rooted.ag.api).toEqual(OK_API);

    // Without the leading slash the path is relative to /.well-known/: both miss.
    const relative = await both({
      host,
      files: {
        '.terraformrc': `host "$HOST" {\n  services = { "providers.v1" = "v1/providers/" }\n}\n${creds}`,
      },
    });
    expect(relative.tf.code).toBe(1);
    expect(relative.tf.api).toEqual([`404 /.well-known/v1/providers/acme/widget/versions Bearer ${TOKEN}`]);
    expect(relative.ag.code).toBe(3);
    expect(relative.ag.api).toEqual(relative.tf.api);
  });

  it('lets the config directory override the main file, later file names winning', async () => {
    const wrong = `credentials "$HOST" {\n  token = "wrong-token"\n}\n`;
    const dirWins = await both({
      files: { '.terraformrc': HOST_BLOCK + wrong, '.terraform.d/credentials.tfrc.json': LOGIN_FILE },
    });
    expect(dirWins.tf.code).toBe(0);
    expect(dirWins.ag.code).toBe(0);
    expect(dirWins.ag.api).toEqual(dirWins.tf.api);
    expect(dirWins.ag.api).toEqual(OK_API);

    // z.tfrc sorts after credentials.tfrc.json, so its (wrong) token wins over the login.
    const lastWins = await both({
      files: {
        '.terraformrc': HOST_BLOCK,
        '.terraform.d/a.tfrc': wrong,
        '.terraform.d/credentials.tfrc.json': LOGIN_FILE,
        '.terraform.d/z.tfrc': wrong,
      },
    });
    expect(lastWins.tf.code).toBe(1);
    expect(lastWins.tf.api).toEqual(['401 /v1/providers/acme/widget/versions Bearer wrong-token']);
    expect(lastWins.ag.code).toBe(3);
    expect(lastWins.ag.api).toEqual(lastWins.tf.api);
  });
});

// tofu only: terraform reads neither ~/.tofurc nor $XDG_CONFIG_HOME/opentofu.
describe('CLI configuration: tofu-only locations (opentofu internal/command/cliconfig/config_unix.go)', () => {
  it('reads $XDG_CONFIG_HOME/opentofu/tofurc and the $XDG_CONFIG_HOME/opentofu config directory', async () => {
    // configFile(): XDG when neither ~/.tofurc nor ~/.terraformrc exists; configDir():
    // $XDG_CONFIG_HOME/opentofu when ~/.terraform.d does not exist.
    const h = await makeHome({
      files: { 'xdg/opentofu/tofurc': HOST_BLOCK, 'xdg/opentofu/credentials.tfrc.json': LOGIN_FILE },
      env: { XDG_CONFIG_HOME: '$HOME/xdg' },
    });
    const ag = await airgap(h);
    expect(ag.code).toBe(0);
    expect(ag.api).toEqual(OK_API);
  });

  it('prefers ~/.tofurc to ~/.terraformrc, and finds a helper under $XDG_DATA_HOME/opentofu/plugins', async () => {
    const h = await makeHome({
      files: {
        '.tofurc': `${HOST_BLOCK}credentials_helper "xdg" {}\n`,
        '.terraformrc': `credentials "$HOST" {\n  token = "wrong-token"\n}\n`,
        'data/opentofu/plugins/terraform-credentials-xdg_v2.0.0': `#!/bin/sh\nprintf '{"token":"${TOKEN}"}'\n`,
      },
      env: { XDG_DATA_HOME: '$HOME/data' },
    });
    const ag = await airgap(h);
    expect(ag.warnings).toEqual([]);
    expect(ag.code).toBe(0);
    expect(ag.api).toEqual(OK_API);
  });
});
