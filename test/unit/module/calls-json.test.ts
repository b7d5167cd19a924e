// module blocks in JSON syntax (.tf.json), as tofu and terraform read them.
import { describe, expect, it } from 'vitest';
import { readJsonModuleCalls } from '../../../src/core/module/calls-json.js';

describe('readJsonModuleCalls', () => {
  it('finds module blocks, as an object or a list of objects, with FILE:LINE:COL', () => {
    const text = [
      '{',
      '  "//": "comments are keys named //",',
      '  "variable": { "x": { "default": { "module": "nope" } } },',
      '  "module": {',
      '    "net": { "source": "acme/net/aws", "version": "~> 1.0", "cidr": "${var.cidr}" },',
      '    "local": { "source": "./local" }',
      '  },',
      '  "resource": { "terraform_data": { "module": { "input": { "source": "inner" } } } }',
      '}',
      '',
    ].join('\n');
    expect(readJsonModuleCalls(text, 'stack/main.tf.json')).toEqual([
      {
        name: 'net',
        source: 'acme/net/aws',
        at: 'stack/main.tf.json:5:24',
        version: '~> 1.0',
        versionAt: 'stack/main.tf.json:5:51',
      },
      { name: 'local', source: './local', at: 'stack/main.tf.json:6:26' },
    ]);
    expect(
      readJsonModuleCalls(
        '\ufeff{"module": [{"a": {"source": "acme/a/aws"}}, {"b": [{"source": "acme/b/aws", "version": "2.0.0"}]}]}',
        'x.tf.json',
      ),
    ).toEqual([
      { name: 'a', source: 'acme/a/aws', at: 'x.tf.json:1:30' },
      {
        name: 'b',
        source: 'acme/b/aws',
        at: 'x.tf.json:1:64',
        version: '2.0.0',
        versionAt: 'x.tf.json:1:89',
      },
    ]);
  });

  it('refuses a source or version that is not a literal string, naming the file, line and column', () => {
    expect(() =>
      readJsonModuleCalls(
        '{\n  "module": {\n    "a": { "source": "acme/${var.n}/aws", "version": 1 }\n  }\n}\n',
        'stack/main.tf.json',
      ),
    ).toThrow(
      'stack/main.tf.json:3:22: Invalid module argument; The "source" argument of module "a" must be a literal string: tofu and terraform read it before any variable is known.\n' +
        'stack/main.tf.json:3:54: Invalid module argument; The "version" argument of module "a" must be a literal string: tofu and terraform read it before any variable is known.',
    );
  });

  it('refuses invalid JSON and a root that is not an object, with FILE:LINE:COL', () => {
    expect(() =>
      readJsonModuleCalls('{\n  "module": {\n    "a": { "source": "x" },\n  }\n}\n', 'bad.tf.json'),
    ).toThrow(/^bad\.tf\.json:4:3: Invalid JSON; /);
    expect(() => readJsonModuleCalls('[{"module": {}}]\n', 'list.tf.json')).toThrow(
      'list.tf.json:1:1: Invalid JSON configuration; The root of a .tf.json file must be an object, as tofu and terraform read it.',
    );
  });
});
