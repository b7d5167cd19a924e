import { describe, expect, it } from 'vitest';
import { AirgapErrors, exitCodeOf, type AirgapError } from '../../../src/core/errors.js';
import { formatKeyPath, parseSpec, SECRETS_NOTE } from '../../../src/core/spec/parse.js';
import { resolveSpecPath } from '../../../src/core/spec/paths.js';
import { closestName, editDistance } from '../../../src/core/spec/suggest.js';
import type { Spec } from '../../../src/core/spec/types.js';
import { FULL_SPEC, INVALID, VALID } from './cases.js';

const V1 = 'apiVersion: airgap/v1\n';

function at(line: number, col: number): { line: number; col: number } {
  return { line, col };
}

function refusal(text: string, file = 'airgap.yaml'): AirgapErrors {
  try {
    parseSpec(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(AirgapErrors);
    return e as AirgapErrors;
  }
  throw new Error('expected parseSpec to refuse the spec');
}

describe('parseSpec: every key', () => {
  it('returns the typed spec, each value with where it was written', () => {
    const expected: Spec = {
      file: 'airgap.yaml',
      apiVersion: { value: 'airgap/v1', at: at(2, 13) },
      defaultRegistry: { value: 'registry.terraform.io', at: at(3, 18) },
      platforms: {
        value: [
          { value: 'linux_amd64', at: at(4, 13) },
          { value: 'linux_arm64', at: at(4, 26) },
        ],
        at: at(4, 12),
      },
      lockfiles: {
        value: [
          { value: 'stacks/', at: at(6, 5) },
          { value: 'other/**/.terraform.lock.hcl', at: at(7, 5) },
        ],
        at: at(5, 1),
      },
      providers: {
        value: [
          {
            source: { value: 'hashicorp/aws', at: at(9, 3) },
            address: { hostname: 'registry.terraform.io', namespace: 'hashicorp', type: 'aws' },
            key: 'registry.terraform.io/hashicorp/aws',
            versions: { value: [{ value: '~> 5.0', at: at(9, 19) }], at: at(9, 18) },
          },
          {
            source: { value: 'registry.opentofu.org/HashiCorp/null', at: at(10, 3) },
            address: { hostname: 'registry.opentofu.org', namespace: 'hashicorp', type: 'null' },
            key: 'registry.opentofu.org/hashicorp/null',
            versions: {
              value: [
                { value: '>= 3.1, < 4.0', at: at(11, 16) },
                { value: '2.1.2', at: at(11, 33) },
              ],
              at: at(11, 15),
            },
            all: { value: true, at: at(12, 10) },
          },
        ],
        at: at(8, 1),
      },
      localProviders: {
        value: [
          {
            at: at(14, 5),
            source: { value: 'registry.myorg.io/myorg/sops', at: at(14, 13) },
            address: { hostname: 'registry.myorg.io', namespace: 'myorg', type: 'sops' },
            key: 'registry.myorg.io/myorg/sops',
            version: { value: '1.0.0-beta1', at: at(15, 14) },
            platform: { value: 'linux_amd64', at: at(16, 15) },
            path: { value: 'dist/terraform-provider-sops', at: at(17, 11) },
          },
        ],
        at: at(13, 1),
      },
      binaries: {
        value: {
          tofu: { at: at(19, 9), versions: { value: [{ value: '~> 1.8', at: at(19, 10) }], at: at(19, 9) } },
          terraform: {
            at: at(20, 3),
            versions: { value: [{ value: '1.11.4', at: at(21, 16) }], at: at(21, 15) },
            key: { value: 'keys/hashicorp.asc', at: at(22, 10) },
            apiUrl: { value: 'https://releases.example/terraform/index.json', at: at(23, 13) },
            baseUrl: { value: 'https://releases.example/terraform', at: at(24, 14) },
          },
        },
        at: at(18, 1),
      },
      image: {
        value: {
          build: { value: true, at: at(26, 10) },
          base: { value: 'registry.example/base/alpine:3.20', at: at(27, 9) },
          caCertificates: { value: [{ value: 'certs/corp.pem', at: at(28, 20) }], at: at(28, 19) },
          archive: {
            value: {
              file: { value: '../runner.tar', at: at(30, 11) },
              platform: { value: 'linux_arm64', at: at(31, 15) },
              tag: { value: 'runner:1', at: at(32, 10) },
            },
            at: at(29, 3),
          },
          registryInsecure: { value: true, at: at(33, 21) },
        },
        at: at(25, 1),
      },
      configs: {
        value: {
          networkMirrorUrl: { value: 'https://mirror.example/providers/', at: at(35, 21) },
          allowDirect: { value: [{ value: 'registry.myorg.io/*/*', at: at(36, 17) }], at: at(36, 16) },
          workflowTool: { value: 'terraform', at: at(37, 17) },
        },
        at: at(34, 1),
      },
      output: {
        value: {
          dir: { value: 'bundle', at: at(39, 8) },
          tarball: { value: 'bundle.tar', at: at(40, 12) },
          compress: { value: 'gzip', at: at(41, 13) },
          splitSize: { value: 4 * 1024 ** 3, at: at(42, 14) },
          signKey: { value: 'keys/sign.asc', at: at(43, 12) },
          toolPackage: { value: 'airgap-0.1.0.tgz', at: at(44, 16) },
        },
        at: at(38, 1),
      },
      registries: {
        value: {
          caCertificates: {
            value: [
              { value: 'certs/corp.pem', at: at(46, 20) },
              { value: '/etc/ssl/other.pem', at: at(46, 36) },
            ],
            at: at(46, 19),
          },
        },
        at: at(45, 1),
      },
    };
    expect(parseSpec(FULL_SPEC, 'airgap.yaml')).toStrictEqual(expected);
  });

  it('leaves out every key the file leaves out', () => {
    expect(parseSpec(V1, 'airgap.yaml')).toStrictEqual({
      file: 'airgap.yaml',
      apiVersion: { value: 'airgap/v1', at: at(1, 13) },
    });
  });

  it('reads `image:` with nothing after it as the image with every default', () => {
    expect(parseSpec(`${V1}image:\n`, 'airgap.yaml').image).toStrictEqual({ value: {}, at: at(2, 1) });
  });

  it('resolves a short provider address against registry.opentofu.org unless defaultRegistry says otherwise', () => {
    const spec = parseSpec(`${V1}providers: {hashicorp/aws: ["~> 5.0"]}\n`, 'airgap.yaml');
    expect(spec.providers?.value.map((p) => p.key)).toEqual(['registry.opentofu.org/hashicorp/aws']);
    const other = parseSpec(
      `${V1}defaultRegistry: registry.example:8443\nproviders: {myorg/thing: ["1.0.0"]}\n`,
      'airgap.yaml',
    );
    expect(other.providers?.value.map((p) => p.key)).toEqual(['registry.example:8443/myorg/thing']);
    expect(other.defaultRegistry?.value).toBe('registry.example:8443');
  });

  it('takes a whole number of bytes as a split size', () => {
    expect(
      parseSpec(`${V1}output: {tarball: b.tar, splitSize: 1048576}\n`, 'airgap.yaml').output?.value.splitSize,
    ).toStrictEqual({ value: 1048576, at: at(2, 37) });
  });

  it('follows aliases to their anchors', () => {
    const spec = parseSpec(
      `${V1}registries: {caCertificates: &ca [certs/corp.pem]}\nimage: {caCertificates: *ca}\n`,
      'airgap.yaml',
    );
    expect(spec.image?.value.caCertificates?.value).toStrictEqual([
      { value: 'certs/corp.pem', at: at(2, 35) },
    ]);
  });

  it.each(VALID.map((c) => [c.name, c.text]))('accepts %s', (_name, text) => {
    expect(() => parseSpec(text, 'airgap.yaml')).not.toThrow();
  });
});

describe('parseSpec: errors', () => {
  it.each(INVALID.map((c) => [c.name, c]))('refuses %s, saying where and why', (_name, c) => {
    const e = refusal(c.text);
    expect(e.errors.map((x) => x.message)).toEqual(c.messages);
    expect(e.message).toBe(c.messages.join('\n'));
  });

  it('gives every error the code SPEC_INVALID, its position, expected and found values, and a remedy', () => {
    const e = refusal(`${V1}platforms: [linux_amd64, windows]\nimag: {}\n`);
    expect(e.code).toBe('SPEC_INVALID');
    expect(e.category).toBe('usage');
    expect(exitCodeOf(e.errors)).toBe(2);
    const [platform, key] = e.errors as [AirgapError, AirgapError];
    expect(platform.code).toBe('SPEC_INVALID');
    expect(platform.details).toEqual({
      path: 'airgap.yaml:2:26',
      expected: 'an OS_ARCH platform such as linux_amd64',
      actual: '"windows"',
    });
    expect(key.details.path).toBe('airgap.yaml:3:1');
    expect(platform.remedy).toBe(
      'fix the file: docs/SPEC-FORMAT.md describes every key (editors check it with docs/airgap.schema.json)',
    );
  });

  it('names the file as it was given', () => {
    const e = refusal(`${V1}colour: blue\n`, 'stacks/prod/airgap.yaml');
    expect(e.errors[0]?.message.startsWith('stacks/prod/airgap.yaml:2:1: colour: ')).toBe(true);
  });

  it('never repeats a secret it refuses', () => {
    const c = INVALID.find((x) => x.name === 'secrets anywhere, never echoed');
    const url = INVALID.find((x) => x.name === 'credentials in a URL');
    for (const text of [c?.text, url?.text]) {
      const e = refusal(text as string);
      for (const secret of ['s3cr3t-t0ken', 'hunter2', 'pa55', 'bob'])
        expect(e.message).not.toContain(secret);
      expect(e.errors.every((x) => x.message.endsWith(SECRETS_NOTE))).toBe(true);
    }
  });

  it('says only that the version is wrong when apiVersion names another', () => {
    expect(refusal('apiVersion: airgap/v2\ncolour: blue\n').errors).toHaveLength(1);
  });
});

describe('key paths and suggestions', () => {
  it('writes key paths as users read them', () => {
    expect(formatKeyPath(['image', 'archive', 'tag'])).toBe('image.archive.tag');
    expect(formatKeyPath(['platforms', 1])).toBe('platforms[1]');
    expect(formatKeyPath(['providers', 'hashicorp/aws', 'versions', 0])).toBe(
      'providers["hashicorp/aws"].versions[0]',
    );
    expect(formatKeyPath(['base-image'])).toBe('["base-image"]');
    expect(formatKeyPath([])).toBe('');
  });

  it('measures edits, a swap of neighbours counting once', () => {
    expect(editDistance('platforms', 'platforms')).toBe(0);
    expect(editDistance('paltforms', 'platforms')).toBe(1);
    expect(editDistance('plaforms', 'platforms')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('suggests the nearest known name within a third of its length, ignoring case, "-" and "_"', () => {
    const keys = ['apiVersion', 'platforms', 'lockfiles', 'localProviders', 'image', 'output'];
    expect(closestName('api_version', keys)).toBe('apiVersion');
    expect(closestName('LOCKFILES', keys)).toBe('lockfiles');
    expect(closestName('lockfile', keys)).toBe('lockfiles');
    expect(closestName('imgae', keys)).toBe('image');
    expect(closestName('imagexyz', keys)).toBeUndefined();
    expect(closestName('colour', keys)).toBeUndefined();
  });
});

describe('resolveSpecPath', () => {
  it('reads relative paths from the spec file\u2019s directory and keeps absolute ones', () => {
    expect(resolveSpecPath('infra/airgap.yaml', 'stacks/')).toBe('infra/stacks/');
    expect(resolveSpecPath('infra/airgap.yaml', '../certs/ca.pem')).toBe('certs/ca.pem');
    expect(resolveSpecPath('/srv/infra/airgap.yaml', 'stacks/**/.terraform.lock.hcl')).toBe(
      '/srv/infra/stacks/**/.terraform.lock.hcl',
    );
    expect(resolveSpecPath('airgap.yaml', 'bundle')).toBe('bundle');
    expect(resolveSpecPath('infra/airgap.yaml', '/etc/ssl/ca.pem')).toBe('/etc/ssl/ca.pem');
  });
});
