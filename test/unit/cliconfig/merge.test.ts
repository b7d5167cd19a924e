// tofu's precedence between CLI configuration files (opentofu
// internal/command/cliconfig/cliconfig.go LoadConfig / Config.Merge) and the
// resolution of `host` block service URLs (opentofu/svchost disco.go
// ForceHostServices, host.go parseURL). The end-to-end test checks the same cases
// against the real terraform.
import { describe, expect, it } from 'vitest';
import { cliConfigHosts, lookupToken, resolveHostServices } from '../../../src/core/cliconfig/credentials.js';
import { mergeCliConfigs } from '../../../src/core/cliconfig/merge.js';
import { parseCliConfig } from '../../../src/core/cliconfig/parse.js';
import { AirgapError } from '../../../src/core/errors.js';

const MAIN = parseCliConfig(
  [
    'host "r.example" { services = { "providers.v1" = "https://main.example/p/" } }',
    'credentials "r.example" { token = "from-main" }',
    'credentials "only-main.example" { token = "m" }',
    'credentials_helper "vault" { args = ["main"] }',
    '',
  ].join('\n'),
  '/h/.terraformrc',
);
const A = parseCliConfig('credentials "R.EXAMPLE" { token = "from-a" }\n', '/h/.terraform.d/a.tfrc');
const LOGIN = parseCliConfig(
  '{"credentials": {"r.example": {"token": "from-login"}}}',
  '/h/.terraform.d/credentials.tfrc.json',
);
const Z = parseCliConfig(
  'host "r.example:443" { services = { "modules.v1" = "/m/" } }\ncredentials_helper "vault" { args = ["z"] }\n',
  '/h/.terraform.d/z.tfrc',
);

describe('mergeCliConfigs', () => {
  it('lets later files replace whole host and credentials entries, compared in normalized form', () => {
    const merged = mergeCliConfigs([MAIN, A, LOGIN, Z]);
    expect(merged).toEqual({
      hosts: {
        'r.example:443': { services: { 'modules.v1': '/m/' }, sourcePath: '/h/.terraform.d/z.tfrc' },
      },
      credentials: { 'r.example': { token: 'from-login' }, 'only-main.example': { token: 'm' } },
      credentialsHelper: { name: 'vault', args: ['z'], sourcePath: '/h/.terraform.d/z.tfrc' },
    });
    expect(lookupToken('R.example', merged, {})).toBe('from-login');
    // The main file alone, and the order reversed: the last file wins each time.
    expect(lookupToken('r.example', mergeCliConfigs([MAIN]), {})).toBe('from-main');
    expect(lookupToken('r.example', mergeCliConfigs([LOGIN, A]), {})).toBe('from-a');
    expect(mergeCliConfigs([])).toEqual({ hosts: {}, credentials: {} });
  });

  it('refuses two different credentials helpers across files, as tofu Config.Validate does', () => {
    const other = parseCliConfig('credentials_helper "keychain" {}\n', '/h/.terraform.d/k.tfrc');
    let err: unknown;
    try {
      mergeCliConfigs([MAIN, other]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AirgapError);
    expect((err as AirgapError).code).toBe('CLICONFIG_INVALID');
    expect((err as AirgapError).message).toBe(
      'the CLI configuration has 2 credentials_helper blocks, "vault" (/h/.terraformrc) and "keychain" (/h/.terraform.d/k.tfrc); no more than one may be specified',
    );
    expect((err as AirgapError).details.path).toBe('/h/.terraform.d/k.tfrc');
  });
});

describe('resolveHostServices', () => {
  it('resolves relative URLs against https://HOST/.well-known/terraform.json', () => {
    expect(
      resolveHostServices('Registry.Example.com:443', {
        'providers.v1': '/v1/providers/',
        'modules.v1': 'v1/modules/',
        'up.v1': '../up/',
        'abs.v1': 'https://other.example:8443/x/#frag',
        'plain.v1': 'http://insecure.example/p/',
        'login.v1': { client: 'terraform-cli', authz: '/oauth/authz' },
      }),
    ).toEqual({
      'providers.v1': 'https://registry.example.com/v1/providers/',
      'modules.v1': 'https://registry.example.com/.well-known/v1/modules/',
      'up.v1': 'https://registry.example.com/up/',
      'abs.v1': 'https://other.example:8443/x/',
      'plain.v1': 'http://insecure.example/p/',
      'login.v1': { client: 'terraform-cli', authz: '/oauth/authz' },
    });
    expect(resolveHostServices('café.fr:8443', { 'providers.v1': '/p/' })).toEqual({
      'providers.v1': 'https://xn--caf-dma.fr:8443/p/',
    });
  });

  it('refuses URLs tofu refuses, without showing a password', () => {
    const messages = ['ftp://files.example/p/', 'https://user:s3cret@r.example/p/'].map((url) => {
      try {
        resolveHostServices('r.example', { 'providers.v1': url }, '/h/.tofurc');
      } catch (e) {
        expect((e as AirgapError).code).toBe('CLICONFIG_INVALID');
        return (e as AirgapError).message;
      }
      return 'no error';
    });
    expect(messages).toEqual([
      'service "providers.v1" of host "r.example" in /h/.tofurc is "ftp://files.example/p/", which tofu cannot use: its scheme is ftp, not https or http',
      'service "providers.v1" of host "r.example" in /h/.tofurc is "https://***@r.example/p/", which tofu cannot use: it embeds a user name or password',
    ]);
  });
});

describe('cliConfigHosts', () => {
  const merged = mergeCliConfigs([MAIN, A, LOGIN, Z]);
  const hosts = cliConfigHosts(merged, { TF_TOKEN_only__main_example: 'from-env' });

  it('answers services made absolute, with the file they came from', () => {
    expect(hosts.services('r.example')).toEqual({ 'modules.v1': 'https://r.example/m/' });
    expect(hosts.servicesSource('r.example')).toBe('/h/.terraform.d/z.tfrc');
    expect(hosts.services('other.example')).toBeUndefined();
  });

  it('answers tokens: TF_TOKEN_* first, then the merged credentials', async () => {
    expect(await hosts.token('only-main.example')).toBe('from-env');
    expect(await hosts.token('r.example')).toBe('from-login');
    expect(await hosts.token('other.example')).toBeUndefined();
  });
});
