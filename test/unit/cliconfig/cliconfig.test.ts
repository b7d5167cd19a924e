import { describe, expect, it } from 'vitest';
import {
  findHostServices,
  lookupToken,
  tokenVariableHost,
  tokenVariableName,
} from '../../../src/core/cliconfig/credentials.js';
import { parseCliConfig } from '../../../src/core/cliconfig/parse.js';
import { EMPTY_CLI_CONFIG } from '../../../src/core/cliconfig/types.js';
import { AirgapError, AirgapErrors } from '../../../src/core/errors.js';

const CONFIG = `# A .tofurc with everything airgap ignores around what it reads.
plugin_cache_dir   = "\${HOME}/.terraform.d/plugin-cache"
disable_checkpoint = true

provider_installation {
  network_mirror {
    url     = "https://mirror.example.com/providers/"
    include = ["registry.opentofu.org/*/*"]
  }
  direct {
    exclude = ["registry.opentofu.org/*/*"]
  }
}

credentials_helper "example" {
  args = ["--profile", "ci"]
}

host "Registry.Example.COM" {
  services = {
    "providers.v1" = "https://127.0.0.1:4443/v1/providers/",
    "modules.v1"   = "https://127.0.0.1:4443/v1/modules/"
  }
}

host "café.fr" {
  services = {
    "providers.v1" = { url = "https://xn--caf-dma.fr/p/", weight = 1 }
  }
}

credentials "my-registry.example.com" {
  token = "tok-hyphen"
}

credentials "café.fr" {
  token = "tok-idn"
}
`;

function failures(text: string): string[] {
  try {
    parseCliConfig(text, '.tofurc');
  } catch (e) {
    expect(e).toBeInstanceOf(AirgapErrors);
    return (e as AirgapErrors).errors.map((err) => `${err.code} ${err.message}`);
  }
  throw new Error('expected parseCliConfig to fail');
}

describe('parseCliConfig', () => {
  it('reads host and credentials blocks and ignores the rest', () => {
    expect(parseCliConfig(CONFIG, '/home/u/.tofurc')).toEqual({
      sourcePath: '/home/u/.tofurc',
      hosts: {
        'Registry.Example.COM': {
          services: {
            'providers.v1': 'https://127.0.0.1:4443/v1/providers/',
            'modules.v1': 'https://127.0.0.1:4443/v1/modules/',
          },
          sourcePath: '/home/u/.tofurc',
        },
        'café.fr': {
          services: { 'providers.v1': { url: 'https://xn--caf-dma.fr/p/', weight: 1 } },
          sourcePath: '/home/u/.tofurc',
        },
      },
      credentials: {
        'my-registry.example.com': { token: 'tok-hyphen' },
        'café.fr': { token: 'tok-idn' },
      },
      credentialsHelper: { name: 'example', args: ['--profile', 'ci'], sourcePath: '/home/u/.tofurc' },
    });
  });

  it('reads an empty file', () => {
    expect(parseCliConfig('', 'empty')).toEqual({ hosts: {}, credentials: {}, sourcePath: 'empty' });
  });

  it('reports syntax errors as HCL_SYNTAX with file:line:col', () => {
    expect(failures('credentials "a.example" {\n  token = "x"\n')).toEqual([
      'HCL_SYNTAX .tofurc:1:25: Unclosed configuration block; There is no closing brace for this block before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file.',
    ]);
  });

  it('reports every invalid host or credentials block as CLICONFIG_INVALID', () => {
    const text = [
      'host "bad_host" {',
      '}',
      'host "a.example" {',
      '  services = ["x"]',
      '}',
      'host "b.example" {',
      '  services = { "providers.v1" = 5 }',
      '}',
      'credentials "A.Example" {',
      '  token = "1"',
      '}',
      'credentials "a.example" {',
      '  token = "2"',
      '}',
      'credentials "c.example" {',
      '}',
      'credentials "d.example" {',
      '  token = ""',
      '}',
      'credentials {',
      '}',
      '',
    ].join('\n');
    expect(failures(text)).toEqual([
      'CLICONFIG_INVALID .tofurc:1:6: Invalid hostname; The host "bad_host" block has an invalid hostname: hostname label "bad_host" contains characters not allowed in a hostname.',
      'CLICONFIG_INVALID .tofurc:4:14: Invalid services; The "services" argument of host "a.example" must be an object mapping service IDs (e.g. "providers.v1") to URLs; found a list.',
      'CLICONFIG_INVALID .tofurc:7:33: Invalid service URL; Service "providers.v1" of host "b.example" must be a URL string or an object; found a number (5).',
      'CLICONFIG_INVALID .tofurc:12:13: Duplicate credentials block; Host "a.example" is already configured by the credentials "A.Example" block at .tofurc:9:13.',
      'CLICONFIG_INVALID .tofurc:15:1: Missing token; The credentials "c.example" block has no "token" argument; write token = "..." inside it.',
      'CLICONFIG_INVALID .tofurc:18:11: Missing token; The "token" argument of credentials "d.example" must be a non-empty string.',
      'CLICONFIG_INVALID .tofurc:20:1: Invalid credentials block; A credentials block must have exactly one label, the hostname, e.g. credentials "registry.example.com" { ... }; found 0.',
    ]);
  });

  it('sets details.path on each error', () => {
    try {
      parseCliConfig('host "x..y" {\n}\n', '/etc/tofurc');
      expect.unreachable();
    } catch (e) {
      const err = (e as AirgapErrors).errors[0] as AirgapError;
      expect(err.details.path).toBe('/etc/tofurc:1:6');
    }
  });
});

describe('lookupToken', () => {
  const config = parseCliConfig(CONFIG, '.tofurc');

  it('falls back to the credentials block, compared in normalized form', () => {
    expect(lookupToken('my-registry.example.com', config, {})).toBe('tok-hyphen');
    expect(lookupToken('MY-Registry.Example.com:443', config, {})).toBe('tok-hyphen');
    expect(lookupToken('café.fr', config, {})).toBe('tok-idn');
    expect(lookupToken('CAFÉ.FR', config, {})).toBe('tok-idn');
    expect(lookupToken('other.example', config, {})).toBeUndefined();
    expect(lookupToken('my-registry.example.com:8443', config, {})).toBeUndefined();
    expect(lookupToken('x.example', EMPTY_CLI_CONFIG, {})).toBeUndefined();
  });

  it('prefers a TF_TOKEN_ variable, hyphens written as "__" and periods as "_"', () => {
    const env = { TF_TOKEN_my__registry_example_com: 'env-hyphen', PATH: '/bin' };
    expect(lookupToken('my-registry.example.com', config, env)).toBe('env-hyphen');
    // The variable spelled with a literal hyphen and period also works, as in tofu.
    expect(
      lookupToken('my-registry.example.com', config, { 'TF_TOKEN_my-registry.example.com': 'literal' }),
    ).toBe('literal');
  });

  it('accepts an IDN host in punycode or Unicode in the variable name', () => {
    expect(lookupToken('café.fr', config, { TF_TOKEN_xn____caf__dma_fr: 'env-puny' })).toBe('env-puny');
    expect(lookupToken('café.fr', config, { 'TF_TOKEN_xn--caf-dma_fr': 'env-puny2' })).toBe('env-puny2');
    expect(lookupToken('café.fr', config, { TF_TOKEN_café_fr: 'env-unicode' })).toBe('env-unicode');
    expect(lookupToken('café.fr', config, { TF_TOKEN_CAFÉ_FR: 'env-upper' })).toBe('env-upper');
  });

  it('matches the hostname part case-insensitively but the prefix exactly', () => {
    expect(
      lookupToken('my-registry.example.com', config, { TF_TOKEN_MY__REGISTRY_EXAMPLE_COM: 'upper' }),
    ).toBe('upper');
    expect(
      lookupToken('my-registry.example.com', config, { tf_token_my__registry_example_com: 'lower' }),
    ).toBe('tok-hyphen');
  });

  it('ignores empty and unset variables and lets the last matching variable win', () => {
    expect(lookupToken('my-registry.example.com', config, { TF_TOKEN_my__registry_example_com: '' })).toBe(
      'tok-hyphen',
    );
    expect(
      lookupToken('my-registry.example.com', config, { TF_TOKEN_my__registry_example_com: undefined }),
    ).toBe('tok-hyphen');
    expect(
      lookupToken('my-registry.example.com', config, {
        TF_TOKEN_my__registry_example_com: 'first',
        TF_TOKEN_MY__REGISTRY_EXAMPLE_COM: 'second',
      }),
    ).toBe('second');
  });

  it('throws for an invalid hostname', () => {
    expect(() => lookupToken('not a host', config, {})).toThrow(AirgapError);
  });

  it('maps variable names to hosts and back', () => {
    expect(tokenVariableName('café.fr')).toBe('TF_TOKEN_xn____caf__dma_fr');
    expect(tokenVariableName('My-Registry.example.com')).toBe('TF_TOKEN_my__registry_example_com');
    expect(tokenVariableHost('TF_TOKEN_xn____caf__dma_fr')).toBe('xn--caf-dma.fr');
    expect(tokenVariableHost('TF_TOKEN_app_terraform_io')).toBe('app.terraform.io');
    expect(tokenVariableHost('TF_TOKEN_bad___name')).toBeUndefined();
    expect(tokenVariableHost('TF_VAR_x')).toBeUndefined();
  });
});

describe('findHostServices', () => {
  const config = parseCliConfig(CONFIG, '.tofurc');

  it('finds the host block by normalized hostname', () => {
    const want = {
      'providers.v1': 'https://127.0.0.1:4443/v1/providers/',
      'modules.v1': 'https://127.0.0.1:4443/v1/modules/',
    };
    expect(findHostServices('registry.example.com', config)).toEqual(want);
    expect(findHostServices('REGISTRY.EXAMPLE.COM:443', config)).toEqual(want);
    expect(findHostServices('Café.fr', config)).toEqual({
      'providers.v1': { url: 'https://xn--caf-dma.fr/p/', weight: 1 },
    });
    expect(findHostServices('registry.example.com:8443', config)).toBeUndefined();
    expect(findHostServices('registry.opentofu.org', config)).toBeUndefined();
  });
});
