import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { AirgapError } from '../../../src/core/errors.js';
import { parseSpec } from '../../../src/core/spec/parse.js';
import {
  literalLockfilePattern,
  renderInitialSpec,
  type InitialSpecInput,
} from '../../../src/core/spec/render-init.js';

const schema = JSON.parse(
  readFileSync(new URL('../../../docs/airgap.schema.json', import.meta.url), 'utf8'),
) as object;
const validate = new Ajv({ allErrors: true }).compile(schema);

/** Every example ("#key: value", "#  key: value") turned into a real line; explanations ("# text") stay. */
function uncommented(text: string): string {
  return text.replace(/^#(?=[^ \n]| {2})/gm, '');
}

const TYPICAL: InitialSpecInput = {
  lockfiles: ['stacks/app/.terraform.lock.hcl', 'stacks/db/.terraform.lock.hcl'],
  providers: ['registry.opentofu.org/hashicorp/null', 'registry.opentofu.org/hashicorp/aws'],
  binaries: { tofu: ['1.8.5', 'latest'] },
  schema: 'https://example.invalid/airgap.schema.json',
};

const INPUTS: [string, InitialSpecInput][] = [
  ['typical', TYPICAL],
  ['no lock files at all', { lockfiles: [] }],
  [
    'terraform stacks',
    {
      lockfiles: ['main/.terraform.lock.hcl'],
      providers: ['registry.terraform.io/hashicorp/aws'],
      binaries: { terraform: ['~> 1.11', '1.11.4'] },
      platforms: ['linux_amd64'],
    },
  ],
  [
    'paths the pattern syntax reserves',
    {
      lockfiles: [
        'stacks[1]/.terraform.lock.hcl',
        '!odd/{x}/a\\b/.terraform.lock.hcl',
        'star*/x',
        'with space/y: z',
      ],
      outDir: '../out dir',
    },
  ],
];

describe('renderInitialSpec', () => {
  it('writes a commented airgap.yaml from what it found', () => {
    expect(renderInitialSpec(TYPICAL))
      .toBe(`# yaml-language-server: $schema=https://example.invalid/airgap.schema.json
# airgap.yaml: what crosses the air gap. \`airgap mirror\` reads it from this directory
# (or -f FILE); a flag given on the command line wins for that run. Paths are relative
# to this file. docs/SPEC-FORMAT.md describes every key; lines like "#key: value" are
# examples: delete the "#" to use one.
# Secrets never go here: registry tokens come from TF_TOKEN_<host> or the CLI config
# (tofu login), image registry logins from the docker config (docker login), the
# signing key's passphrase from AIRGAP_SIGN_PASSPHRASE.
apiVersion: airgap/v1

# Short provider addresses (hashicorp/aws) mean this registry: registry.opentofu.org
# is what tofu reads them as, registry.terraform.io what terraform does.
defaultRegistry: registry.opentofu.org

# The platforms (OS_ARCH) of the machines on the isolated side.
platforms:
  - linux_amd64
  - linux_arm64

# Lock files whose providers are mirrored, for every platform above. Globs
# (stacks/**/.terraform.lock.hcl) and directories (stacks/: every lock file below)
# work too.
# Found 2, naming 2 provider(s):
# - registry.opentofu.org/hashicorp/aws
# - registry.opentofu.org/hashicorp/null
lockfiles:
  - stacks/app/.terraform.lock.hcl
  - stacks/db/.terraform.lock.hcl

# Providers to carry without a lock file: each constraint mirrors its newest match
# (all: true mirrors every match); the bundle gets a lock file for them.
#providers:
#  hashicorp/aws: ["~> 5.0"]
#  hashicorp/random:
#    versions: [">= 3.5"]
#    all: true

# In-house provider packages, a zip or an executable per platform.
#localProviders:
#  - source: registry.example.com/myorg/thing
#    version: 1.0.0
#    platform: linux_amd64
#    path: dist/terraform-provider-thing_1.0.0_linux_amd64.zip

# tofu and terraform releases to bundle, checked against the vendors' release keys.
# Left out tofu "latest": not a version or constraint.
binaries:
  tofu: ["1.8.5"]

# The runner image, built without Docker into the bundle (an OCI image layout).
#image:
#  base: public.ecr.aws/spacelift/runner-terraform:latest
#  caCertificates: [certs/corp.pem]

# The configuration generated for the isolated side.
configs:
  workflowTool: tofu
#  mirrorPath: /providers
#  allowDirect: ["registry.example.com/*/*"]

# Where the bundle goes, and how it is packed for the transfer.
output:
  dir: bundle
#  tarball: bundle.tar
#  compress: gzip
#  splitSize: 4G
#  signKey: keys/signing-key.asc

# Extra CA certificates to trust when reaching registries.
#registries:
#  caCertificates: [certs/corp.pem]
`);
  });

  it.each(INPUTS)('writes a spec the parser and the schema accept (%s)', (_name, input) => {
    const text = renderInitialSpec(input);
    expect(() => parseSpec(text, 'airgap.yaml')).not.toThrow();
    expect(validate(parse(text))).toBe(true);
  });

  it.each(INPUTS)('has examples that are valid once uncommented (%s)', (_name, input) => {
    const text = uncommented(renderInitialSpec(input));
    const spec = parseSpec(text, 'airgap.yaml');
    expect(validate(parse(text))).toBe(true);
    expect(Object.keys(spec).sort()).toEqual([
      'apiVersion',
      'binaries',
      'configs',
      'defaultRegistry',
      'file',
      'image',
      'localProviders',
      'lockfiles',
      'output',
      'platforms',
      'providers',
      'registries',
    ]);
  });

  it('chooses terraform when every provider found is on registry.terraform.io, and says so', () => {
    const spec = parseSpec(renderInitialSpec(INPUTS[2]![1]), 'airgap.yaml');
    expect(spec.defaultRegistry?.value).toBe('registry.terraform.io');
    expect(spec.configs?.value.workflowTool?.value).toBe('terraform');
    expect(spec.binaries?.value.terraform?.versions.value.map((v) => v.value)).toEqual(['~> 1.11', '1.11.4']);
    expect(spec.platforms?.value.map((p) => p.value)).toEqual(['linux_amd64']);
  });

  it('keeps tofu for mixed registries, and lets the caller decide', () => {
    const mixed = ['registry.terraform.io/hashicorp/aws', 'registry.opentofu.org/hashicorp/null'];
    const tofu = parseSpec(renderInitialSpec({ lockfiles: [], providers: mixed }), 'airgap.yaml');
    expect(tofu.configs?.value.workflowTool?.value).toBe('tofu');
    const told = parseSpec(renderInitialSpec({ lockfiles: [], workflowTool: 'terraform' }), 'airgap.yaml');
    expect(told.defaultRegistry?.value).toBe('registry.terraform.io');
  });

  it('writes paths the pattern syntax reserves as globs that match them', () => {
    const spec = parseSpec(renderInitialSpec(INPUTS[3]![1]), 'airgap.yaml');
    expect(spec.lockfiles?.value.map((l) => l.value)).toEqual([
      'stacks?1?/.terraform.lock.hcl',
      '?odd/?x?/a?b/.terraform.lock.hcl',
      'star?/x',
      'with space/y: z',
    ]);
    expect(spec.output?.value.dir?.value).toBe('../out dir');
  });

  it("names the directory searched when it is not the file's own, with no line break in the comment", () => {
    const found = renderInitialSpec({
      lockfiles: ['../stacks/a/.terraform.lock.hcl'],
      providers: ['registry.opentofu.org/hashicorp/null'],
      searchedDir: '../stacks',
    });
    expect(found).toContain('# Found 1 below ../stacks, naming 1 provider(s):\n');
    const none = renderInitialSpec({ lockfiles: [], searchedDir: '../odd\nname: x' });
    expect(none).toContain('# None were found below ../odd?name: x.\nlockfiles: []\n');
    expect(() => parseSpec(none, 'airgap.yaml')).not.toThrow();
  });

  it('refuses a platform that is not OS_ARCH', () => {
    expect(() => renderInitialSpec({ lockfiles: [], platforms: ['linux-amd64'] })).toThrow(AirgapError);
  });
});

describe('literalLockfilePattern', () => {
  it('keeps ordinary paths and puts "?" where the syntax reserves a character', () => {
    expect(literalLockfilePattern('stacks/app/.terraform.lock.hcl')).toBe('stacks/app/.terraform.lock.hcl');
    expect(literalLockfilePattern('a!b/[x]/{y}/z*\\w')).toBe('a!b/?x?/?y?/z??w');
    expect(literalLockfilePattern('!a/b\n')).toBe('?a/b?');
  });
});
