// The CLI configuration's syntax is HCL 1 or JSON (opentofu
// internal/command/cliconfig/cliconfig.go loadConfigFile -> hashicorp/hcl v1 hcl.Parse),
// not the HCL 2 of lock files. These pin the HCL 1 forms tofu and terraform accept
// and the JSON form `tofu login` writes; the end-to-end test runs some of them
// through the real terraform.
import { describe, expect, it } from 'vitest';
import { parseCliConfig } from '../../../src/core/cliconfig/parse.js';
import { AirgapErrors } from '../../../src/core/errors.js';

function failures(text: string, filename = '.tofurc'): string[] {
  try {
    parseCliConfig(text, filename);
  } catch (e) {
    expect(e).toBeInstanceOf(AirgapErrors);
    return (e as AirgapErrors).errors.map((err) => `${err.code} ${err.message}`);
  }
  throw new Error('expected parseCliConfig to fail');
}

function token(value: string): string | undefined {
  return parseCliConfig(`credentials "x.example" {\n  token = ${value}\n}\n`, 'rc').credentials['x.example']
    ?.token;
}

describe('HCL 1 syntax', () => {
  it('reads bare dotted keys, block-form services, one-line items, commas and the argument form', () => {
    const text = [
      '# comment',
      '// comment',
      '/* a block',
      '   comment */',
      'host "a.example" { services { providers.v1 = "https://a.example/p/", modules.v1 = "/m/" } }',
      'host = { "b.example" = { services = { "providers.v1" = "/v1/providers/" } } }',
      'credentials "a.example" { token = "t-a" } credentials "b.example" { token = "t-b" },',
      'Credentials_Helper "vault" { args = ["--x", 5,] }',
      'plugin_cache_dir = "${HOME}/.cache" disable_checkpoint = true',
      'provider_installation { direct { exclude = ["x/*"] } }',
      '',
    ].join('\n');
    expect(parseCliConfig(text, 'rc')).toEqual({
      hosts: {
        'a.example': {
          services: { 'providers.v1': 'https://a.example/p/', 'modules.v1': '/m/' },
          sourcePath: 'rc',
        },
        'b.example': { services: { 'providers.v1': '/v1/providers/' }, sourcePath: 'rc' },
      },
      credentials: { 'a.example': { token: 't-a' }, 'b.example': { token: 't-b' } },
      credentialsHelper: { name: 'vault', args: ['--x', '5'], sourcePath: 'rc' },
      sourcePath: 'rc',
    });
  });

  it('reads several labels as nested objects, and an empty services block', () => {
    expect(
      parseCliConfig('host "c.example" { services "login.v1" { client = "terraform-cli" } }\n', 'rc').hosts,
    ).toEqual({
      'c.example': { services: { 'login.v1': { client: 'terraform-cli' } }, sourcePath: 'rc' },
    });
    expect(parseCliConfig('host "d.example" {}\n', 'rc').hosts).toEqual({
      'd.example': { services: {}, sourcePath: 'rc' },
    });
  });

  it('decodes escapes and keeps ${...} verbatim, nested braces and quotes included', () => {
    expect(token('"a\\tb\\u00e9\\x41\\101 \\"q\\" \\\\"')).toBe('a\tbéAA "q" \\');
    expect(token('"${HOME}/x"')).toBe('${HOME}/x');
    expect(token('"pre-${lookup({a = 1}, "k")}-post"')).toBe('pre-${lookup({a = 1}, "k")}-post');
  });

  it('reads heredocs, plain and indented', () => {
    expect(token('<<EOT\nabc\nEOT\n')).toBe('abc\n');
    expect(token('<<-EOT\n    abc\n      def\n    EOT\n')).toBe('abc\n  def\n');
  });

  it('reports the first syntax error as HCL_SYNTAX with file:line:col', () => {
    expect(failures('host "a" "b" = {}\n')).toEqual([
      'HCL_SYNTAX .tofurc:1:14: Invalid assignment; Only one key may precede "="; for a block, write "host" "a" "b" { ... }.',
    ]);
    expect(failures('credentials "x.example" {\n  token = "abc\n}\n')).toEqual([
      'HCL_SYNTAX .tofurc:2:11: Unterminated string; There is no closing quote before the end of the line.',
    ]);
    expect(failures('x = foo\n')).toEqual([
      'HCL_SYNTAX .tofurc:1:5: Invalid value; Expected a quoted string, a number, true, false, a list or an object; found "foo".',
    ]);
    expect(failures('x: 1\n')).toEqual([
      'HCL_SYNTAX .tofurc:1:2: Invalid character; Use an equals sign ("=") between a key and its value.',
    ]);
    expect(failures('token = "a\\qb"\n')).toEqual([
      'HCL_SYNTAX .tofurc:1:11: Invalid escape sequence; "\\\\q" is not a valid escape; write \\\\ for a backslash.',
    ]);
    expect(failures('/* open\n')).toEqual([
      'HCL_SYNTAX .tofurc:1:1: Unterminated comment; There is no closing "*/" for this comment.',
    ]);
    expect(failures('x = [1 2]\n')).toEqual([
      'HCL_SYNTAX .tofurc:1:8: Missing comma; Expected "," or "]" after a list element; found "2".',
    ]);
    expect(failures('host "a.example"\n')).toEqual([
      'HCL_SYNTAX .tofurc:2:1: Missing value; Expected "=" or "{" after host a.example; found the end of the file.',
    ]);
  });
});

describe('JSON syntax', () => {
  it('reads the credentials.tfrc.json that `tofu login` writes', () => {
    const text =
      '{\n  "credentials": {\n    "app.terraform.io": {\n      "token": "tok.atlasv1.x"\n    }\n  }\n}';
    expect(parseCliConfig(text, 'credentials.tfrc.json')).toEqual({
      hosts: {},
      credentials: { 'app.terraform.io': { token: 'tok.atlasv1.x' } },
      sourcePath: 'credentials.tfrc.json',
    });
  });

  it('chooses JSON by the first character, not the file name, and accepts lists of objects', () => {
    const text =
      ' \n{"host": [{"a.example": {"services": {"providers.v1": "/p/"}}}, {"b.example": {}}],\n' +
      ' "credentials_helper": {"vault": {"args": ["get-token", 2]}}, "disable_checkpoint": true, "x": null}';
    expect(parseCliConfig(text, '.tofurc')).toEqual({
      hosts: {
        'a.example': { services: { 'providers.v1': '/p/' }, sourcePath: '.tofurc' },
        'b.example': { services: {}, sourcePath: '.tofurc' },
      },
      credentials: {},
      credentialsHelper: { name: 'vault', args: ['get-token', '2'], sourcePath: '.tofurc' },
      sourcePath: '.tofurc',
    });
  });

  it('reports JSON syntax errors with file:line:col', () => {
    expect(failures('{"a": 1,}', 'x.tfrc.json')).toEqual([
      'HCL_SYNTAX x.tfrc.json:1:9: Invalid JSON; Expected a quoted property name; found "}".',
    ]);
    expect(failures('{"a": 1}\n{}', 'x.tfrc.json')).toEqual([
      'HCL_SYNTAX x.tfrc.json:2:1: Invalid JSON; Expected the end of the file after the top-level object; found "{".',
    ]);
    expect(failures('{"a": tru}', 'x.tfrc.json')).toEqual([
      'HCL_SYNTAX x.tfrc.json:1:7: Invalid JSON; "t" cannot start a JSON value here.',
    ]);
  });
});

describe('decoding', () => {
  it('reports malformed blocks as CLICONFIG_INVALID', () => {
    const text = [
      'host = "x"',
      'host "a.example" { services = "x" }',
      'credentials "b.example" { token = 5 }',
      'credentials_helper "one" { args = "x" }',
      'credentials_helper "two" {}',
      '',
    ].join('\n');
    expect(failures(text)).toEqual([
      'CLICONFIG_INVALID .tofurc:1:8: Invalid host argument; "host" must be an object keyed by hostname; found a string ("x").',
      'CLICONFIG_INVALID .tofurc:2:31: Invalid services; The "services" argument of host "a.example" must be an object mapping service IDs (e.g. "providers.v1") to URLs; found a string ("x").',
      'CLICONFIG_INVALID .tofurc:3:35: Missing token; The "token" argument of credentials "b.example" must be a non-empty string.',
      'CLICONFIG_INVALID .tofurc:4:35: Invalid credentials_helper args; The "args" argument of credentials_helper "one" must be a list of strings; found a string ("x").',
      'CLICONFIG_INVALID .tofurc:5:20: Too many credentials_helper blocks; No more than one credentials_helper block may be specified; "one" is already configured at .tofurc:4:20.',
    ]);
  });

  it('reports a duplicate host in one file, compared in normalized form', () => {
    expect(failures('{"host": {"A.example": {}}, "Host": {"a.example:443": {}}}')).toEqual([
      'CLICONFIG_INVALID .tofurc:1:38: Duplicate host block; Host "a.example:443" is already configured by the host "A.example" block at .tofurc:1:11.',
    ]);
  });
});
