// The airgap.yaml corpus both parse.test.ts and schema.test.ts walk: each spec the
// parser is tested with is validated with docs/airgap.schema.json too, so the two
// cannot drift apart unnoticed.

/** A spec both the parser and the schema accept. */
export interface ValidCase {
  name: string;
  text: string;
}

/**
 * How the schema judges a spec the parser refuses:
 *  - 'refuses': it refuses it too;
 *  - 'yaml': the text is not one plain YAML document (syntax, duplicate keys, aliases
 *    to nothing, unknown tags), which only the parser sees: the schema reads data;
 *  - { parserOnly }: the schema accepts it; the rule is one only the parser checks,
 *    named in docs/SPEC-FORMAT.md's list under exactly this name.
 */
export type SchemaVerdict = 'refuses' | 'yaml' | { parserOnly: string };

export interface InvalidCase {
  name: string;
  text: string;
  /** Every message, in order, exactly. */
  messages: string[];
  schema: SchemaVerdict;
}

const V1 = 'apiVersion: airgap/v1\n';

/** Every key, with positions worth checking (parse.test.ts pins the typed result). */
export const FULL_SPEC = `# yaml-language-server: $schema=../docs/airgap.schema.json
apiVersion: airgap/v1
defaultRegistry: Registry.Terraform.IO
platforms: [linux_amd64, linux_arm64]
lockfiles:
  - stacks/
  - other/**/.terraform.lock.hcl
providers:
  hashicorp/aws: ["~> 5.0"]
  registry.opentofu.org/HashiCorp/null:
    versions: [">= 3.1, < 4.0", "2.1.2"]
    all: true
localProviders:
  - source: registry.myorg.io/myorg/sops
    version: 1.0.0-beta1
    platform: linux_amd64
    path: dist/terraform-provider-sops
binaries:
  tofu: ["~> 1.8"]
  terraform:
    versions: ["1.11.4"]
    key: keys/hashicorp.asc
    apiUrl: https://releases.example/terraform/index.json
    baseUrl: https://releases.example/terraform
image:
  build: true
  base: registry.example/base/alpine:3.20
  caCertificates: [certs/corp.pem]
  archive:
    file: ../runner.tar
    platform: linux_arm64
    tag: runner:1
  registryInsecure: true
configs:
  networkMirrorUrl: https://mirror.example/providers/
  allowDirect: ["registry.myorg.io/*/*"]
  workflowTool: terraform
output:
  dir: bundle
  tarball: bundle.tar
  compress: gzip
  splitSize: 4G
  signKey: keys/sign.asc
  toolPackage: airgap-0.1.0.tgz
registries:
  caCertificates: [certs/corp.pem, /etc/ssl/other.pem]
`;

export const VALID: ValidCase[] = [
  { name: 'the smallest spec', text: V1 },
  { name: 'every key', text: FULL_SPEC },
  { name: 'image: with nothing after it (build with every default)', text: `${V1}image:\n` },
  {
    name: 'image.serve: the serve the image points module hosts at',
    text: `${V1}image:\n  serve: {url: "https://tf-mirror.corp.example:8443"}\n`,
  },
  {
    name: 'image: build false, only the base for the Dockerfile',
    text: `${V1}image: {build: false, base: "oci:base-layout:3.20", registryInsecure: false}\n`,
  },
  {
    name: 'empty lists where none is a fine answer',
    text: `${V1}lockfiles: []\nlocalProviders: []\nregistries: {caCertificates: []}\nconfigs: {allowDirect: []}\n`,
  },
  {
    name: 'empty sections',
    text: `${V1}binaries: {}\nconfigs: {}\noutput: {}\nregistries: {}\nproviders: {}\n`,
  },
  {
    name: 'a provider in the long form without all',
    text: `${V1}providers:\n  hashicorp/null:\n    versions: ["3.2.1"]\n`,
  },
  { name: 'all: false', text: `${V1}providers: {hashicorp/null: {versions: ["~> 3.0"], all: false}}\n` },
  { name: 'splitSize as a number of bytes', text: `${V1}output: {tarball: b.tar, splitSize: 1048576}\n` },
  {
    name: 'splitSize in lower case with spaces',
    text: `${V1}output: {tarball: b.tar, splitSize: " 700m "}\n`,
  },
  {
    name: 'terraform as the workflow tool, with defaultRegistry',
    text: `${V1}defaultRegistry: registry.terraform.io\nconfigs: {workflowTool: terraform}\nproviders: {hashicorp/aws: ["~> 5.0"]}\n`,
  },
  {
    name: 'terraform as the workflow tool, full addresses',
    text: `${V1}configs: {workflowTool: terraform}\nproviders: {registry.terraform.io/hashicorp/aws: ["~> 5.0"]}\n`,
  },
  {
    name: 'tofu as the workflow tool, short addresses',
    text: `${V1}configs: {workflowTool: tofu}\nproviders: {hashicorp/aws: ["~> 5.0"]}\n`,
  },
  {
    name: 'anchors and aliases',
    text: `${V1}registries: {caCertificates: &ca [certs/corp.pem]}\nimage: {caCertificates: *ca}\n`,
  },
  { name: 'a mirror path on Windows', text: `${V1}configs: {mirrorPath: "C:/providers"}\n` },
  {
    name: 'lock file globs and directories',
    text: `${V1}lockfiles: ["**/.terraform.lock.hcl", "stacks/*/prod/", "../shared/?.lock.hcl", /abs/stack/.terraform.lock.hcl]\n`,
  },
  {
    name: 'several constraints for one provider',
    text: `${V1}providers: {hashicorp/aws: ["~> 5.0", "~> 4.67", "= 3.76.1"]}\n`,
  },
  {
    name: 'modules by constraint or list, and configurations',
    text: `${V1}modules:\n  terraform-aws-modules/vpc/aws: "~> 5.0"\n  example.com/acme/net/aws: ["1.0.0", ">= 2.0"]\nconfigurations: [stacks/app]\n`,
  },
];

export const INVALID: InvalidCase[] = [
  {
    name: 'a module address that is no registry module',
    text: `${V1}modules:\n  ./local: "1.0.0"\n  acme/net: "1.0.0"\n`,
    messages: [
      'airgap.yaml:3:3: modules["./local"]: expected a registry module address NAMESPACE/NAME/SYSTEM or HOSTNAME/NAMESPACE/NAME/SYSTEM, found "./local"',
      'airgap.yaml:4:3: modules["acme/net"]: expected a registry module address NAMESPACE/NAME/SYSTEM or HOSTNAME/NAMESPACE/NAME/SYSTEM, found "acme/net"',
    ],
    schema: 'refuses',
  },
  {
    name: 'a module with a bad constraint',
    text: `${V1}modules:\n  acme/net/aws: "~> x"\n`,
    messages: [
      'airgap.yaml:3:17: modules["acme/net/aws"]: expected a version or constraint such as "5.31.0", "~> 5.0" or ">= 1.6, < 1.9", found "~> x"; can\'t use wildcard for major number; omit segments that should be unconstrained',
    ],
    schema: { parserOnly: 'version constraint syntax' },
  },
  // --- YAML itself
  {
    name: 'a YAML syntax error',
    text: `${V1}platforms: [linux_amd64\nlockfiles: []\n`,
    messages: [
      'airgap.yaml:3:1: expected valid YAML, found Flow sequence in block collection must be sufficiently indented and end with a ]',
    ],
    schema: 'yaml',
  },
  {
    name: 'two documents',
    text: `${V1}---\n${V1}`,
    messages: [
      'airgap.yaml:2:1: expected valid YAML, found a second document (after "---"); airgap.yaml holds one',
    ],
    schema: 'yaml',
  },
  {
    name: 'a duplicate key',
    text: `${V1}platforms: [linux_amd64]\noutput: {dir: a}\nplatforms: [linux_arm64]\n`,
    messages: ['airgap.yaml:4:1: platforms: expected each key once, found "platforms" again (first at 2:1)'],
    schema: 'yaml',
  },
  {
    name: 'an alias of no anchor',
    text: `${V1}platforms: *nothing\n`,
    messages: ['airgap.yaml:2:12: platforms: expected an alias of an anchor defined above, found *nothing'],
    schema: 'yaml',
  },
  {
    name: 'an unknown tag',
    text: `${V1}output: {dir: !path bundle}\n`,
    messages: ['airgap.yaml:2:15: expected valid YAML, found Unresolved tag: !path'],
    schema: 'yaml',
  },
  // --- the top
  {
    name: 'an empty file',
    text: '',
    messages: [
      'airgap.yaml:1:1: expected a map starting with apiVersion: airgap/v1, found an empty document',
    ],
    schema: 'refuses',
  },
  {
    name: 'a list at the top',
    text: '- apiVersion: airgap/v1\n',
    messages: ['airgap.yaml:1:1: expected a map starting with apiVersion: airgap/v1, found a list'],
    schema: 'refuses',
  },
  {
    name: 'no apiVersion',
    text: 'platforms: [linux_amd64]\n',
    messages: ['airgap.yaml:1:1: apiVersion: expected airgap/v1, found nothing; the key is required'],
    schema: 'refuses',
  },
  {
    name: 'another apiVersion: only that is said',
    text: 'apiVersion: airgap/v2\nsources: {}\nplatforms: linux_amd64\n',
    messages: [
      'airgap.yaml:1:13: apiVersion: expected airgap/v1 (the only version this airgap reads), found "airgap/v2"',
    ],
    schema: 'refuses',
  },
  {
    name: 'apiVersion as a number',
    text: 'apiVersion: 1\n',
    messages: [
      'airgap.yaml:1:13: apiVersion: expected airgap/v1, found the number 1; write it in quotes ("1") to keep it text',
    ],
    schema: 'refuses',
  },
  {
    name: 'a key that is not a string',
    text: `${V1}1: linux_amd64\n`,
    messages: ['airgap.yaml:2:1: expected a key name, found the number 1'],
    schema: 'refuses',
  },
  // --- unknown keys
  {
    name: 'a misspelt key',
    text: `${V1}plaforms: [linux_amd64]\n`,
    messages: [
      'airgap.yaml:2:1: plaforms: expected one of apiVersion, defaultRegistry, platforms, lockfiles, providers, localProviders, binaries, image, configs, output, registries, modules, configurations, found unknown key "plaforms"; did you mean "platforms"?',
    ],
    schema: 'refuses',
  },
  {
    name: 'a key in snake case',
    text: `${V1}local_providers: []\n`,
    messages: [
      'airgap.yaml:2:1: local_providers: expected one of apiVersion, defaultRegistry, platforms, lockfiles, providers, localProviders, binaries, image, configs, output, registries, modules, configurations, found unknown key "local_providers"; did you mean "localProviders"?',
    ],
    schema: 'refuses',
  },
  {
    name: 'an unknown key with nothing close',
    text: `${V1}colour: blue\n`,
    messages: [
      'airgap.yaml:2:1: colour: expected one of apiVersion, defaultRegistry, platforms, lockfiles, providers, localProviders, binaries, image, configs, output, registries, modules, configurations, found unknown key "colour"',
    ],
    schema: 'refuses',
  },
  {
    name: 'a flag name at the top',
    text: `${V1}out: bundle\ntofu: ["1.8.5"]\nbase-image: alpine:3\n`,
    messages: [
      'airgap.yaml:2:1: out: expected one of apiVersion, defaultRegistry, platforms, lockfiles, providers, localProviders, binaries, image, configs, output, registries, modules, configurations, found unknown key "out"; did you mean output.dir?',
      'airgap.yaml:3:1: tofu: expected one of apiVersion, defaultRegistry, platforms, lockfiles, providers, localProviders, binaries, image, configs, output, registries, modules, configurations, found unknown key "tofu"; did you mean binaries.tofu?',
      'airgap.yaml:4:1: ["base-image"]: expected one of apiVersion, defaultRegistry, platforms, lockfiles, providers, localProviders, binaries, image, configs, output, registries, modules, configurations, found unknown key "base-image"; did you mean image.base?',
    ],
    schema: 'refuses',
  },
  {
    name: 'a key from another section',
    text: `${V1}image: {tarball: x.tar}\n`,
    messages: [
      'airgap.yaml:2:9: image.tarball: expected one of build, base, caCertificates, archive, registryInsecure, serve, found unknown key "tarball"; did you mean output.tarball?',
    ],
    schema: 'refuses',
  },
  {
    name: 'a misspelt nested key',
    text: `${V1}image:\n  archive: {file: a.tar, tga: "x:1"}\n`,
    messages: [
      'airgap.yaml:3:26: image.archive.tga: expected one of file, platform, tag, found unknown key "tga"; did you mean "tag"?',
    ],
    schema: 'refuses',
  },
  {
    name: 'run behaviour is not content',
    text: `${V1}concurrency: 4\nupdateLockfiles: true\noutput: {skip-missing-platforms: true}\n`,
    messages: [
      'airgap.yaml:2:1: concurrency: expected a key saying what crosses the gap, found "concurrency", which says how one run behaves; pass --concurrency to airgap mirror instead',
      'airgap.yaml:3:1: updateLockfiles: expected a key saying what crosses the gap, found "updateLockfiles", which says how one run behaves; pass --update-lockfiles to airgap mirror instead',
      'airgap.yaml:4:10: output["skip-missing-platforms"]: expected a key saying what crosses the gap, found "skip-missing-platforms", which says how one run behaves; pass --skip-missing-platforms to airgap mirror instead',
    ],
    schema: 'refuses',
  },
  // --- secrets
  {
    name: 'secrets anywhere, never echoed',
    text: `${V1}registries:\n  token: s3cr3t-t0ken\noutput: {signKeyPassphrase: hunter2}\nbinaries: {tofu: {versions: ["1.8.5"], password: pa55}}\nauths: {}\n`,
    messages: [
      'airgap.yaml:3:3: registries.token: expected no secrets in this file, found the key "token"; secrets never go in airgap.yaml: registry tokens come from TF_TOKEN_<host> variables or the CLI config (tofu login), image registry logins from the docker config (docker login), the signing key\'s passphrase from AIRGAP_SIGN_PASSPHRASE',
      'airgap.yaml:4:10: output.signKeyPassphrase: expected no secrets in this file, found the key "signKeyPassphrase"; secrets never go in airgap.yaml: registry tokens come from TF_TOKEN_<host> variables or the CLI config (tofu login), image registry logins from the docker config (docker login), the signing key\'s passphrase from AIRGAP_SIGN_PASSPHRASE',
      'airgap.yaml:5:40: binaries.tofu.password: expected no secrets in this file, found the key "password"; secrets never go in airgap.yaml: registry tokens come from TF_TOKEN_<host> variables or the CLI config (tofu login), image registry logins from the docker config (docker login), the signing key\'s passphrase from AIRGAP_SIGN_PASSPHRASE',
      'airgap.yaml:6:1: auths: expected no secrets in this file, found the key "auths"; secrets never go in airgap.yaml: registry tokens come from TF_TOKEN_<host> variables or the CLI config (tofu login), image registry logins from the docker config (docker login), the signing key\'s passphrase from AIRGAP_SIGN_PASSPHRASE',
    ],
    schema: 'refuses',
  },
  {
    name: 'credentials in a URL',
    text: `${V1}binaries: {tofu: {versions: ["1.8.5"], apiUrl: "https://bob:pa55@releases.example/tofu/api.json"}}\n`,
    messages: [
      'airgap.yaml:2:48: binaries.tofu.apiUrl: expected an http(s) URL without credentials, found "https://***@releases.example/tofu/api.json"; secrets never go in airgap.yaml: registry tokens come from TF_TOKEN_<host> variables or the CLI config (tofu login), image registry logins from the docker config (docker login), the signing key\'s passphrase from AIRGAP_SIGN_PASSPHRASE',
    ],
    schema: { parserOnly: 'credentials in a URL' },
  },
  // --- platforms and lockfiles
  {
    name: 'platforms as a string',
    text: `${V1}platforms: linux_amd64\n`,
    messages: [
      'airgap.yaml:2:12: platforms: expected a list of OS_ARCH platforms, found the string "linux_amd64"',
    ],
    schema: 'refuses',
  },
  {
    name: 'an empty platforms list and a bad archive platform',
    text: `${V1}platforms: []\nimage: {archive: {file: a.tar, platform: linux-amd64}}\n`,
    messages: [
      'airgap.yaml:2:12: platforms: expected a list of OS_ARCH platforms, found an empty list',
      'airgap.yaml:3:42: image.archive.platform: expected an OS_ARCH platform such as linux_amd64, found "linux-amd64"',
    ],
    schema: 'refuses',
  },
  {
    name: 'a bad and a repeated platform',
    text: `${V1}platforms: [linux_amd64, Linux_ARM64, linux_amd64]\n`,
    messages: [
      'airgap.yaml:2:26: platforms[1]: expected an OS_ARCH platform such as linux_amd64, found "Linux_ARM64"',
      'airgap.yaml:2:39: platforms[2]: expected each item once, found "linux_amd64" again (first at 2:13)',
    ],
    schema: 'refuses',
  },
  {
    name: 'lock file patterns airgap does not read',
    text: `${V1}lockfiles:\n  - "!stacks/old"\n  - "stacks/{a,b}/"\n  - 'stacks\\\\a'\n  - stacks/a**/x\n  - stacks/\n  - stacks/\n`,
    messages: [
      'airgap.yaml:3:5: lockfiles[0]: expected a lock file path, glob or directory, found "!stacks/old" with a leading "!" (exclusions are not supported: list what to include)',
      'airgap.yaml:4:5: lockfiles[1]: expected a lock file path, glob or directory, found "stacks/{a,b}/" with "[", "]", "{" or "}" (classes and alternatives are not supported: list each path)',
      'airgap.yaml:5:5: lockfiles[2]: expected a lock file path, glob or directory, found "stacks\\\\\\\\a" with a backslash (separate directories with "/")',
      'airgap.yaml:6:5: lockfiles[3]: expected a lock file path, glob or directory, found "stacks/a**/x" with "**" inside a name ("**" stands alone between slashes)',
      'airgap.yaml:8:5: lockfiles[5]: expected each item once, found "stacks/" again (first at 7:5)',
    ],
    schema: 'refuses',
  },
  // --- providers
  {
    name: 'provider addresses of the wrong shape',
    text: `${V1}providers:\n  aws: ["~> 5.0"]\n  a/b/c/d: ["1.0.0"]\n`,
    messages: [
      'airgap.yaml:3:3: providers.aws: expected a provider source address NAMESPACE/TYPE or HOSTNAME/NAMESPACE/TYPE, found "aws"; did you mean "hashicorp/aws"?',
      'airgap.yaml:4:3: providers["a/b/c/d"]: expected a provider source address NAMESPACE/TYPE or HOSTNAME/NAMESPACE/TYPE, found "a/b/c/d"; Invalid provider source string: The "source" attribute must be in the format "[hostname/][namespace/]name"',
    ],
    schema: 'refuses',
  },
  {
    name: 'an invalid provider namespace',
    text: `${V1}providers:\n  hashi_corp/aws: ["~> 5.0"]\n`,
    messages: [
      'airgap.yaml:3:3: providers["hashi_corp/aws"]: expected a provider source address NAMESPACE/TYPE or HOSTNAME/NAMESPACE/TYPE, found "hashi_corp/aws"; Invalid provider namespace: Invalid provider namespace "hashi_corp": must contain only letters, digits, and dashes, and may not use leading or trailing dashes',
    ],
    schema: { parserOnly: 'provider address syntax' },
  },
  {
    name: 'a built-in provider',
    text: `${V1}providers:\n  terraform.io/builtin/terraform: ["1.0.0"]\n`,
    messages: [
      'airgap.yaml:3:3: providers["terraform.io/builtin/terraform"]: expected a provider a registry serves, found "terraform.io/builtin/terraform"; a built-in provider comes with tofu itself',
    ],
    schema: { parserOnly: 'no built-in or legacy providers' },
  },
  {
    name: 'one provider written twice',
    text: `${V1}providers:\n  hashicorp/aws: ["~> 5.0"]\n  Registry.OpenTofu.org/HashiCorp/AWS: ["~> 4.0"]\n`,
    messages: [
      'airgap.yaml:4:3: providers["Registry.OpenTofu.org/HashiCorp/AWS"]: expected each provider once, found registry.opentofu.org/hashicorp/aws again (first at 3:3)',
    ],
    schema: { parserOnly: 'each provider once' },
  },
  {
    name: 'a bad version constraint',
    text: `${V1}providers:\n  hashicorp/aws: ["=> 5.0", "5.0 || 6.0"]\n`,
    messages: [
      'airgap.yaml:3:19: providers["hashicorp/aws"][0]: expected a version or constraint such as "5.31.0", "~> 5.0" or ">= 1.6, < 1.9", found "=> 5.0"; invalid constraint operator "=>"; did you mean ">="?',
      'airgap.yaml:3:29: providers["hashicorp/aws"][1]: expected a version or constraint such as "5.31.0", "~> 5.0" or ">= 1.6, < 1.9", found "5.0 || 6.0"; missing comma after "5.0"',
    ],
    schema: { parserOnly: 'version constraint syntax' },
  },
  {
    name: 'version constraints of the wrong shape',
    text: `${V1}providers:\n  hashicorp/aws: "~> 5.0"\n  hashicorp/null: []\n  hashicorp/random: [3.6]\n  hashicorp/tls: {all: yes}\n`,
    messages: [
      'airgap.yaml:3:18: providers["hashicorp/aws"]: expected a list of versions or constraints, or a map with versions (and all), found the string "~> 5.0"',
      'airgap.yaml:4:19: providers["hashicorp/null"]: expected a list of versions or constraints, found an empty list',
      'airgap.yaml:5:22: providers["hashicorp/random"][0]: expected a version or constraint such as "5.31.0", "~> 5.0" or ">= 1.6, < 1.9", found the number 3.6; write it in quotes ("3.6") to keep it text',
      'airgap.yaml:6:18: providers["hashicorp/tls"].versions: expected a list of versions or constraints, found nothing; the key is required',
      'airgap.yaml:6:24: providers["hashicorp/tls"].all: expected true or false, found the string "yes"',
    ],
    schema: 'refuses',
  },
  {
    name: 'a short address with terraform and no defaultRegistry',
    text: `${V1}configs: {workflowTool: terraform}\nproviders:\n  hashicorp/aws: ["~> 5.0"]\n  registry.terraform.io/hashicorp/null: ["3.2.1"]\n`,
    messages: [
      'airgap.yaml:4:3: providers["hashicorp/aws"]: expected HOSTNAME/hashicorp/aws, or defaultRegistry, found the short address "hashicorp/aws" with configs.workflowTool terraform; terraform reads it as registry.terraform.io/hashicorp/aws, this file as registry.opentofu.org/hashicorp/aws: write the hostname, or set defaultRegistry',
    ],
    schema: 'refuses',
  },
  {
    name: 'an invalid defaultRegistry',
    text: `${V1}defaultRegistry: https://registry.example\n`,
    messages: [
      'airgap.yaml:2:18: defaultRegistry: expected a registry hostname such as registry.opentofu.org, found "https://registry.example"; need just a hostname and optional port number, not a full URL',
    ],
    schema: { parserOnly: 'hostname syntax' },
  },
  // --- localProviders
  {
    name: 'local providers missing keys and badly written',
    text: `${V1}localProviders:\n  - source: myorg/sops\n    version: "1.0"\n  - {source: registry.myorg.io/myorg/sops, version: 1.0.0, platform: linux_amd64, path: ""}\n  - linux_amd64\n`,
    messages: [
      'airgap.yaml:3:5: localProviders[0].platform: expected an OS_ARCH platform such as linux_amd64, found nothing; the key is required',
      'airgap.yaml:3:5: localProviders[0].path: expected a file path (a provider zip or executable), found nothing; the key is required',
      'airgap.yaml:3:13: localProviders[0].source: expected a fully qualified provider address HOSTNAME/NAMESPACE/TYPE, found "myorg/sops"',
      'airgap.yaml:4:14: localProviders[0].version: expected a version MAJOR.MINOR.PATCH, found "1.0"; version "1.0" must be written in normalized form "1.0.0"',
      'airgap.yaml:5:89: localProviders[1].path: expected a file path (a provider zip or executable), found an empty string',
      'airgap.yaml:6:5: localProviders[2]: expected a map with source, version, platform and path, found the string "linux_amd64"',
    ],
    schema: 'refuses',
  },
  {
    name: 'one local package twice',
    text: `${V1}localProviders:\n  - {source: registry.myorg.io/myorg/sops, version: 1.0.0, platform: linux_amd64, path: a.zip}\n  - {source: registry.myorg.io/MyOrg/sops, version: 1.0.0, platform: linux_amd64, path: b.zip}\n`,
    messages: [
      'airgap.yaml:4:5: localProviders[1]: expected each provider version and platform once, found registry.myorg.io/myorg/sops 1.0.0 linux_amd64 again (first at 3:5)',
    ],
    schema: { parserOnly: 'each local package once' },
  },
  // --- binaries
  {
    name: 'binaries of the wrong shape',
    text: `${V1}binaries:\n  opentofu: ["1.8.5"]\n  tofu: {key: k.asc}\n  terraform: [1.10]\n`,
    messages: [
      'airgap.yaml:3:3: binaries.opentofu: expected one of tofu, terraform, found unknown key "opentofu"; did you mean binaries.tofu?',
      'airgap.yaml:4:9: binaries.tofu.versions: expected a list of versions or constraints, found nothing; the key is required',
      'airgap.yaml:5:15: binaries.terraform[0]: expected a version or constraint such as "5.31.0", "~> 5.0" or ">= 1.6, < 1.9", found the number 1.10; write it in quotes ("1.10") to keep it text',
    ],
    schema: 'refuses',
  },
  {
    name: 'a release URL that is not http(s)',
    text: `${V1}binaries: {tofu: {versions: ["~> 1.8"], baseUrl: "ftp://releases.example/", apiUrl: "HTTPS://releases.example/api.json"}}\n`,
    messages: [
      'airgap.yaml:2:50: binaries.tofu.baseUrl: expected an http(s) URL, found "ftp://releases.example/"',
      'airgap.yaml:2:85: binaries.tofu.apiUrl: expected an http(s) URL, found "HTTPS://releases.example/api.json"',
    ],
    schema: 'refuses',
  },
  // --- image
  {
    name: 'image: true',
    text: `${V1}image: true\n`,
    messages: [
      'airgap.yaml:2:8: image: expected a map with build, base, caCertificates, archive, registryInsecure, serve (or nothing), found the boolean true',
    ],
    schema: 'refuses',
  },
  {
    name: 'build: false with what only a build uses',
    text: `${V1}image:\n  build: false\n  caCertificates: [ca.pem]\n  archive: {file: a.tar}\n  registryInsecure: true\n`,
    messages: [
      'airgap.yaml:4:3: image.caCertificates: expected no caCertificates with build: false, found caCertificates (it applies only to the image airgap builds)',
      'airgap.yaml:5:3: image.archive: expected no archive with build: false, found archive (it applies only to the image airgap builds)',
      'airgap.yaml:6:3: image.registryInsecure: expected no registryInsecure with build: false, found registryInsecure (it applies only to the image airgap builds)',
    ],
    schema: 'refuses',
  },
  {
    name: 'image.serve without a url, with build: false',
    text: `${V1}image:\n  build: false\n  serve: {}\n`,
    messages: [
      'airgap.yaml:4:3: image.serve: expected no serve with build: false, found serve (it applies only to the image airgap builds)',
      'airgap.yaml:4:10: image.serve.url: expected https://HOST[:PORT], the address runners reach airgap serve at, found nothing; the key is required',
    ],
    schema: 'refuses',
  },
  {
    name: 'an image.serve url with a path',
    text: `${V1}image:\n  serve: {url: "https://tf-mirror.corp.example/airgap"}\n`,
    messages: [
      'airgap.yaml:3:16: image.serve.url: expected https://HOST[:PORT], the address runners reach airgap serve at, found "https://tf-mirror.corp.example/airgap"; image.serve.url "https://tf-mirror.corp.example/airgap" is not https://HOST[:PORT]',
    ],
    schema: 'refuses',
  },
  {
    name: 'an image.serve url with credentials',
    text: `${V1}image: {serve: {url: "https://u:p@tf.example"}}\n`,
    messages: [
      'airgap.yaml:2:22: image.serve.url: expected https://HOST[:PORT], the address runners reach airgap serve at without credentials, found "https://***@tf.example/"; secrets never go in airgap.yaml: registry tokens come from TF_TOKEN_<host> variables or the CLI config (tofu login), image registry logins from the docker config (docker login), the signing key\'s passphrase from AIRGAP_SIGN_PASSPHRASE',
    ],
    schema: 'refuses',
  },
  {
    name: 'an archive without a file, with a bad tag',
    text: `${V1}image: {archive: {platform: linux_amd64, tag: runner}}\n`,
    messages: [
      'airgap.yaml:2:18: image.archive.file: expected the docker-archive file to write, found nothing; the key is required',
      'airgap.yaml:2:47: image.archive.tag: expected an image name with a tag, NAME:TAG, found "runner"',
    ],
    schema: 'refuses',
  },
  {
    name: 'an archive tag that is no image name',
    text: `${V1}image: {archive: {file: a.tar, tag: "Runner:1"}}\n`,
    messages: [
      'airgap.yaml:2:37: image.archive.tag: expected an image name with a tag, NAME:TAG, found "Runner:1"',
    ],
    schema: { parserOnly: 'image name syntax' },
  },
  {
    name: 'an archive platform not mirrored',
    text: `${V1}platforms: [linux_amd64]\nimage: {archive: {file: a.tar, platform: linux_arm64}}\n`,
    messages: [
      'airgap.yaml:3:42: image.archive.platform: expected one of the platforms (linux_amd64), found "linux_arm64"',
    ],
    schema: { parserOnly: 'archive platform among platforms' },
  },
  {
    name: 'a base image reference airgap cannot read',
    text: `${V1}image: {base: "dir:/srv/base"}\n`,
    messages: [
      'airgap.yaml:2:15: image.base: expected an image reference: REGISTRY/REPO[:TAG|@DIGEST], oci:DIR[:TAG], oci-archive:FILE[:TAG] or docker-archive:FILE, found "dir:/srv/base"; the dir: transport is not supported',
    ],
    schema: { parserOnly: 'image reference syntax' },
  },
  // --- configs
  {
    name: 'a relative mirror path and both mirrors',
    text: `${V1}configs:\n  mirrorPath: providers\n  networkMirrorUrl: https://mirror.example/providers/\n`,
    messages: [
      'airgap.yaml:3:15: configs.mirrorPath: expected an absolute path on the isolated side, such as /providers, found "providers"; the filesystem mirror path "providers" is not absolute',
      'airgap.yaml:4:3: configs.networkMirrorUrl: expected mirrorPath or networkMirrorUrl, found both; tofu installs from a filesystem mirror or from a network mirror: keep the one the isolated side has',
    ],
    schema: 'refuses',
  },
  {
    name: 'a network mirror over http',
    text: `${V1}configs: {networkMirrorUrl: "http://mirror.example/providers/"}\n`,
    messages: [
      'airgap.yaml:2:29: configs.networkMirrorUrl: expected an https URL such as https://mirror.example/providers/, found "http://mirror.example/providers/"',
    ],
    schema: 'refuses',
  },
  {
    name: 'a mirror path tofu would read differently',
    text: `${V1}configs: {mirrorPath: "/providers/${'${'}x}"}\n`,
    messages: [
      'airgap.yaml:2:23: configs.mirrorPath: expected an absolute path on the isolated side, such as /providers, found "/providers/${x}"; contains "${" or "%{", which tofu\'s CLI configuration reader and HCL 2 read differently',
    ],
    schema: { parserOnly: 'mirror path characters' },
  },
  {
    name: 'a release URL that is no URL',
    text: `${V1}binaries: {tofu: {versions: ["~> 1.8"], apiUrl: "https://[releases/api.json"}}\n`,
    messages: [
      'airgap.yaml:2:49: binaries.tofu.apiUrl: expected an http(s) URL, found "https://[releases/api.json"',
    ],
    schema: { parserOnly: 'URL syntax' },
  },
  {
    name: 'a network mirror URL with a query',
    text: `${V1}configs: {networkMirrorUrl: "https://mirror.example/providers/?x=1"}\n`,
    messages: [
      'airgap.yaml:2:29: configs.networkMirrorUrl: expected an https URL such as https://mirror.example/providers/, found "https://mirror.example/providers/?x=1"; a query or fragment is not allowed',
    ],
    schema: { parserOnly: 'network mirror URL rules' },
  },
  {
    name: 'allowDirect patterns',
    text: `${V1}configs: {allowDirect: ["registry.myorg.io/*/sops", "*/hashicorp/aws", "registry.myorg.io/my_org/*"]}\n`,
    messages: [
      'airgap.yaml:2:25: configs.allowDirect[0]: expected a provider pattern HOST/NAMESPACE/TYPE (* for a whole segment), found "registry.myorg.io/*/sops"; the namespace can be a wildcard only if the provider type is a wildcard too',
      'airgap.yaml:2:53: configs.allowDirect[1]: expected a provider pattern HOST/NAMESPACE/TYPE (* for a whole segment), found "*/hashicorp/aws"; the hostname can be a wildcard only if the namespace and the provider type are wildcards too',
      'airgap.yaml:2:72: configs.allowDirect[2]: expected a provider pattern HOST/NAMESPACE/TYPE (* for a whole segment), found "registry.myorg.io/my_org/*"; invalid namespace "my_org": must be the wildcard * (a whole segment) or a literal namespace; must contain only letters, digits, and dashes, and may not use leading or trailing dashes',
    ],
    schema: { parserOnly: 'provider pattern rules' },
  },
  {
    name: 'allowDirect pattern of two segments',
    text: `${V1}configs: {allowDirect: ["hashicorp/*"]}\n`,
    messages: [
      'airgap.yaml:2:25: configs.allowDirect[0]: expected a provider pattern HOST/NAMESPACE/TYPE (* for a whole segment), found "hashicorp/*"; give the hostname too (HOST/NAMESPACE/TYPE): tofu reads a two-segment pattern as registry.opentofu.org/..., terraform as registry.terraform.io/...',
    ],
    schema: 'refuses',
  },
  {
    name: 'one allowDirect pattern twice',
    text: `${V1}configs: {allowDirect: ["registry.myorg.io/*/*", "Registry.MyOrg.io/*/*"]}\n`,
    messages: [
      'airgap.yaml:2:50: configs.allowDirect[1]: expected each item once, found "Registry.MyOrg.io/*/*" again (first at 2:25)',
    ],
    schema: { parserOnly: 'each pattern once' },
  },
  {
    name: 'a misspelt workflow tool',
    text: `${V1}configs: {workflowTool: terrafrom}\n`,
    messages: [
      'airgap.yaml:2:25: configs.workflowTool: expected tofu or terraform, found "terrafrom"; did you mean "terraform"?',
    ],
    schema: 'refuses',
  },
  // --- output
  // One case per key, so that the schema's rule for each is tested on its own.
  ...(
    [
      ['compress', 'gzip'],
      ['splitSize', '4G'],
      ['signKey', 'sign.asc'],
      ['toolPackage', 'airgap.tgz'],
      ['base', 'v1.tar'],
    ] as const
  ).map(([key, value]): InvalidCase => ({
    name: `output.${key} without a tarball`,
    text: `${V1}output:\n  dir: bundle\n  ${key}: ${value}\n`,
    messages: [
      `airgap.yaml:4:3: output.${key}: expected output.tarball beside it, found ${key} alone; ${key} applies only to the tarball airgap packs`,
    ],
    schema: 'refuses',
  })),
  {
    name: 'output.baseTrustedKeys without a base',
    text: `${V1}output:\n  tarball: b.tar\n  baseTrustedKeys: [signer.asc]\n`,
    messages: [
      'airgap.yaml:4:3: output.baseTrustedKeys: expected output.base beside it, found baseTrustedKeys alone; baseTrustedKeys applies only to the base of a delta',
    ],
    schema: 'refuses',
  },
  {
    name: 'sizes and compressions airgap does not read',
    text: `${V1}output: {tarball: b.tar, splitSize: 4GB, compress: gz}\n`,
    messages: [
      'airgap.yaml:2:37: output.splitSize: expected a size such as 700M or 4G (powers of 1024), or a number of bytes, found "4GB"',
      'airgap.yaml:2:52: output.compress: expected none or gzip, found "gz"',
    ],
    schema: 'refuses',
  },
  {
    name: 'a split size of 0',
    text: `${V1}output: {tarball: b.tar, splitSize: 0}\n`,
    messages: [
      'airgap.yaml:2:37: output.splitSize: expected a size such as 700M or 4G (powers of 1024), or a number of bytes, found the number 0',
    ],
    schema: 'refuses',
  },
  {
    name: 'a fractional split size',
    text: `${V1}output: {tarball: b.tar, splitSize: 1.5}\n`,
    messages: [
      'airgap.yaml:2:37: output.splitSize: expected a size such as 700M or 4G (powers of 1024), or a number of bytes, found the number 1.5',
    ],
    schema: 'refuses',
  },
  {
    name: 'a split size too large to count',
    text: `${V1}output: {tarball: b.tar, splitSize: 99999999999T}\n`,
    messages: [
      'airgap.yaml:2:37: output.splitSize: expected a size such as 700M or 4G (powers of 1024), or a number of bytes, found "99999999999T"',
    ],
    schema: { parserOnly: 'split size range' },
  },
  {
    name: 'empty strings and control characters',
    text: `${V1}output: {dir: "", tarball: "b\\tc.tar"}\n`,
    messages: [
      'airgap.yaml:2:15: output.dir: expected the bundle directory, found an empty string',
      'airgap.yaml:2:28: output.tarball: expected the tarball file to write without control characters, found the string "b\\tc.tar"',
    ],
    schema: 'refuses',
  },
  {
    name: 'an empty value where a path goes',
    text: `${V1}output:\n  dir:\n`,
    messages: ['airgap.yaml:3:3: output.dir: expected the bundle directory, found an empty value'],
    schema: 'refuses',
  },
  // --- each rule of the schema alone, so that each is tested on its own
  {
    name: 'both mirrors',
    text: `${V1}configs: {mirrorPath: /providers, networkMirrorUrl: "https://mirror.example/p/"}\n`,
    messages: [
      'airgap.yaml:2:35: configs.networkMirrorUrl: expected mirrorPath or networkMirrorUrl, found both; tofu installs from a filesystem mirror or from a network mirror: keep the one the isolated side has',
    ],
    schema: 'refuses',
  },
  {
    name: 'a platform twice',
    text: `${V1}platforms: [linux_amd64, linux_amd64]\n`,
    messages: [
      'airgap.yaml:2:26: platforms[1]: expected each item once, found "linux_amd64" again (first at 2:13)',
    ],
    schema: 'refuses',
  },
  {
    name: 'a lock file entry twice',
    text: `${V1}lockfiles: [stacks/, stacks/]\n`,
    messages: [
      'airgap.yaml:2:22: lockfiles[1]: expected each item once, found "stacks/" again (first at 2:13)',
    ],
    schema: 'refuses',
  },
  {
    name: 'a constraint twice',
    text: `${V1}providers: {hashicorp/aws: ["~> 5.0", "~> 5.0"]}\n`,
    messages: [
      'airgap.yaml:2:39: providers["hashicorp/aws"][1]: expected each item once, found "~> 5.0" again (first at 2:29)',
    ],
    schema: 'refuses',
  },
  {
    name: 'a CA file twice',
    text: `${V1}registries: {caCertificates: [ca.pem, ca.pem]}\n`,
    messages: [
      'airgap.yaml:2:39: registries.caCertificates[1]: expected each item once, found "ca.pem" again (first at 2:31)',
    ],
    schema: 'refuses',
  },
  {
    name: 'an allowDirect pattern twice',
    text: `${V1}configs: {allowDirect: ["registry.myorg.io/*/*", "registry.myorg.io/*/*"]}\n`,
    messages: [
      'airgap.yaml:2:50: configs.allowDirect[1]: expected each item once, found "registry.myorg.io/*/*" again (first at 2:25)',
    ],
    schema: 'refuses',
  },
  {
    name: 'a lock file exclusion',
    text: `${V1}lockfiles: ["!stacks/old/"]\n`,
    messages: [
      'airgap.yaml:2:13: lockfiles[0]: expected a lock file path, glob or directory, found "!stacks/old/" with a leading "!" (exclusions are not supported: list what to include)',
    ],
    schema: 'refuses',
  },
  {
    name: 'a lock file alternative',
    text: `${V1}lockfiles: ["stacks/{a,b}/"]\n`,
    messages: [
      'airgap.yaml:2:13: lockfiles[0]: expected a lock file path, glob or directory, found "stacks/{a,b}/" with "[", "]", "{" or "}" (classes and alternatives are not supported: list each path)',
    ],
    schema: 'refuses',
  },
  {
    name: 'a lock file backslash',
    text: `${V1}lockfiles: ['stacks\\a\\']\n`,
    messages: [
      'airgap.yaml:2:13: lockfiles[0]: expected a lock file path, glob or directory, found "stacks\\\\a\\\\" with a backslash (separate directories with "/")',
    ],
    schema: 'refuses',
  },
  {
    name: 'a lock file ** inside a name',
    text: `${V1}lockfiles: ["stacks/**x/"]\n`,
    messages: [
      'airgap.yaml:2:13: lockfiles[0]: expected a lock file path, glob or directory, found "stacks/**x/" with "**" inside a name ("**" stands alone between slashes)',
    ],
    schema: 'refuses',
  },
  {
    name: 'build: false with caCertificates',
    text: `${V1}image: {build: false, caCertificates: []}\n`,
    messages: [
      'airgap.yaml:2:23: image.caCertificates: expected no caCertificates with build: false, found caCertificates (it applies only to the image airgap builds)',
    ],
    schema: 'refuses',
  },
  {
    name: 'build: false with an archive',
    text: `${V1}image: {build: false, archive: {file: a.tar}}\n`,
    messages: [
      'airgap.yaml:2:23: image.archive: expected no archive with build: false, found archive (it applies only to the image airgap builds)',
    ],
    schema: 'refuses',
  },
  {
    name: 'build: false with registryInsecure',
    text: `${V1}image: {build: false, registryInsecure: true}\n`,
    messages: [
      'airgap.yaml:2:23: image.registryInsecure: expected no registryInsecure with build: false, found registryInsecure (it applies only to the image airgap builds)',
    ],
    schema: 'refuses',
  },
  // --- many at once
  {
    name: 'every problem at once, in file order',
    text: `${V1}platforms: [linux_amd64, windows]\nproviders:\n  hashicorp/aws: ["=> 5"]\noutput: {dir: bundle, splitSize: 4G}\nimag: {}\nregistries: {caCertificates: corp.pem}\n`,
    messages: [
      'airgap.yaml:2:26: platforms[1]: expected an OS_ARCH platform such as linux_amd64, found "windows"',
      'airgap.yaml:4:19: providers["hashicorp/aws"][0]: expected a version or constraint such as "5.31.0", "~> 5.0" or ">= 1.6, < 1.9", found "=> 5"; invalid constraint operator "=>"; did you mean ">="?',
      'airgap.yaml:5:23: output.splitSize: expected output.tarball beside it, found splitSize alone; splitSize applies only to the tarball airgap packs',
      'airgap.yaml:6:1: imag: expected one of apiVersion, defaultRegistry, platforms, lockfiles, providers, localProviders, binaries, image, configs, output, registries, modules, configurations, found unknown key "imag"; did you mean "image"?',
      'airgap.yaml:7:30: registries.caCertificates: expected a list of PEM certificate files, found the string "corp.pem"',
    ],
    schema: 'refuses',
  },
];
