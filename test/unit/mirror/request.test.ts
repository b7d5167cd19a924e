// buildMirrorRequest: the spec with the command line laid over it, defaults filled in,
// the spec's paths resolved against its directory.
import { describe, expect, it } from 'vitest';
import { buildMirrorRequest } from '../../../src/core/mirror/request.js';
import { parseSpec } from '../../../src/core/spec/parse.js';

const SPEC = `apiVersion: airgap/v1
platforms: [linux_amd64, linux_arm64]
lockfiles: [stacks/, 'envs/*/.terraform.lock.hcl']
providers:
  hashicorp/null: ['~> 3.2']
localProviders:
  - source: registry.myorg.io/myorg/sops
    version: 1.0.0
    platform: linux_amd64
    path: build/sops.zip
binaries:
  tofu:
    versions: ['~> 1.8.0']
    key: keys/tofu.asc
image:
  base: oci:images/base:latest
  caCertificates: [certs/corp.pem]
  archive:
    file: out/runner.tar
configs:
  networkMirrorUrl: https://mirror.internal.example/providers/
  allowDirect: [registry.myorg.io/*/*]
output:
  dir: bundle
  tarball: out/bundle.tar
  splitSize: 4G
  signKey: keys/signer.asc
registries:
  caCertificates: [certs/corp.pem]
modules:
  terraform-aws-modules/vpc/aws: '~> 5.0'
  registry.terraform.io/acme/net/aws: ['1.0.0', '~>2.1']
configurations: [stacks/app]
`;

const spec = parseSpec(SPEC, 'conf/airgap.yaml');

describe('buildMirrorRequest', () => {
  it('takes everything from the spec, paths relative to its directory', () => {
    expect(buildMirrorRequest(spec, {})).toEqual({
      specFile: 'conf/airgap.yaml',
      modules: [
        {
          source: 'terraform-aws-modules/vpc/aws',
          address: {
            hostname: 'registry.opentofu.org',
            namespace: 'terraform-aws-modules',
            name: 'vpc',
            system: 'aws',
          },
          constraints: ['~> 5.0'],
          from: 'modules',
        },
        {
          source: 'registry.terraform.io/acme/net/aws',
          address: { hostname: 'registry.terraform.io', namespace: 'acme', name: 'net', system: 'aws' },
          constraints: ['1.0.0', '~>2.1'],
          from: 'modules',
        },
      ],
      configurations: ['conf/stacks/app'],
      moduleDefaultHost: 'registry.opentofu.org',
      platforms: ['linux_amd64', 'linux_arm64'],
      lockfiles: [],
      dirs: [],
      lockfilePatterns: [
        { text: 'stacks/', line: 3, col: 13 },
        { text: 'envs/*/.terraform.lock.hcl', line: 3, col: 22 },
      ],
      providers: spec.providers!.value,
      localProviders: ['registry.myorg.io/myorg/sops@1.0.0=linux_amd64:conf/build/sops.zip'],
      outDir: 'conf/bundle',
      caCertFiles: ['conf/certs/corp.pem'],
      binaries: {
        tofu: {
          versions: ['~> 1.8.0'],
          apiUrl: 'https://get.opentofu.org/tofu/api.json',
          baseUrl: 'https://github.com/opentofu/opentofu/releases/download',
          keyFile: 'conf/keys/tofu.asc',
        },
        terraform: {
          versions: [],
          apiUrl: 'https://releases.hashicorp.com/terraform/index.json',
          baseUrl: 'https://releases.hashicorp.com/terraform',
        },
      },
      configs: {
        networkMirrorUrl: 'https://mirror.internal.example/providers/',
        allowDirect: ['registry.myorg.io/*/*'],
        workflowTool: 'tofu',
        baseImage: 'oci:conf/images/base:latest',
      },
      image: {
        baseImage: 'oci:conf/images/base:latest',
        baseRegistryInsecure: false,
        caCerts: [{ file: 'conf/certs/corp.pem', from: 'conf/airgap.yaml:17:20 (image.caCertificates[0])' }],
        archive: { file: 'conf/out/runner.tar', platform: 'linux_amd64', tag: 'airgap-runner:latest' },
      },
      pack: {
        tarball: 'conf/out/bundle.tar',
        compress: 'none',
        splitSize: 4 * 1024 ** 3,
        signKeyFile: 'conf/keys/signer.asc',
      },
    });
  });

  it('output.base packs a delta: the base and its keys resolved against the spec, never insecure', () => {
    const withBase = parseSpec(
      `apiVersion: airgap/v1\noutput:\n  dir: bundle\n  tarball: out/v2.tar\n  base: out/v1.tar\n  baseTrustedKeys: [keys/signer.pub.asc]\n`,
      'conf/airgap.yaml',
    );
    expect(buildMirrorRequest(withBase, {}).pack).toEqual({
      tarball: 'conf/out/v2.tar',
      compress: 'none',
      base: {
        source: 'conf/out/v1.tar',
        trustedKeyFiles: ['conf/keys/signer.pub.asc'],
        insecureSkipSignature: false,
      },
    });
    const inventory = parseSpec(
      `apiVersion: airgap/v1\noutput: {dir: b, tarball: d.tar, base: inventory.json}\n`,
      'airgap.yaml',
    );
    expect(buildMirrorRequest(inventory, {}).pack?.base).toEqual({
      source: 'inventory.json',
      trustedKeyFiles: [],
      insecureSkipSignature: false,
    });
  });

  it('a flag wins for its run; a repeatable flag replaces the list; --lockfile/--dir replace lockfiles', () => {
    const r = buildMirrorRequest(spec, {
      platform: ['linux_arm64'],
      lockfile: ['x.hcl'],
      out: 'elsewhere',
      'mirror-path': '/opt/providers',
      tofu: ['1.9.0'],
      'ca-cert-into-image': 'ca.pem',
      compress: 'gzip',
    });
    expect(r.platforms).toEqual(['linux_arm64']);
    expect([r.lockfiles, r.dirs, r.lockfilePatterns]).toEqual([['x.hcl'], [], []]);
    expect(r.outDir).toBe('elsewhere');
    expect(r.configs).toMatchObject({ mirrorPath: '/opt/providers' });
    expect(r.configs.networkMirrorUrl).toBeUndefined();
    expect(r.binaries.tofu).toMatchObject({ versions: ['1.9.0'], keyFile: 'conf/keys/tofu.asc' });
    expect(r.image?.caCerts).toEqual([{ file: 'ca.pem', from: '--ca-cert-into-image' }]);
    expect(r.pack?.compress).toBe('gzip');
  });

  it('--module SOURCE@CONSTRAINT and --configuration replace the spec lists; a bad one is a usage error', () => {
    const r = buildMirrorRequest(spec, {
      module: ['acme/net/aws@~> 1.2', 'example.com/acme/dns/aws'],
      configuration: ['here'],
      'workflow-tool': 'terraform',
    });
    expect(r.modules).toEqual([
      {
        source: 'acme/net/aws',
        address: { hostname: 'registry.terraform.io', namespace: 'acme', name: 'net', system: 'aws' },
        constraints: ['~> 1.2'],
        from: '--module',
      },
      {
        source: 'example.com/acme/dns/aws',
        address: { hostname: 'example.com', namespace: 'acme', name: 'dns', system: 'aws' },
        constraints: [],
        from: '--module',
      },
    ]);
    expect(r.configurations).toEqual(['here']);
    expect(r.moduleDefaultHost).toBe('registry.terraform.io');
    expect(() => buildMirrorRequest(spec, { module: ['./local@1.0.0'] })).toThrow(
      '--module ./local@1.0.0: "./local" is not a registry module address',
    );
    expect(() => buildMirrorRequest(spec, { module: ['acme/net/aws@bogus'] })).toThrow(
      '--module acme/net/aws@bogus: "bogus" is not a version constraint',
    );
  });

  it('without a spec: the flags and the defaults; no --out anywhere is a usage error', () => {
    expect(buildMirrorRequest(undefined, { out: 'b', lockfile: ['l.hcl'] })).toEqual({
      modules: [],
      configurations: [],
      moduleDefaultHost: 'registry.opentofu.org',
      platforms: ['linux_amd64', 'linux_arm64'],
      lockfiles: ['l.hcl'],
      dirs: [],
      lockfilePatterns: [],
      providers: [],
      localProviders: [],
      outDir: 'b',
      caCertFiles: [],
      binaries: {
        tofu: {
          versions: [],
          apiUrl: 'https://get.opentofu.org/tofu/api.json',
          baseUrl: 'https://github.com/opentofu/opentofu/releases/download',
        },
        terraform: {
          versions: [],
          apiUrl: 'https://releases.hashicorp.com/terraform/index.json',
          baseUrl: 'https://releases.hashicorp.com/terraform',
        },
      },
      configs: {
        mirrorPath: '/providers',
        allowDirect: [],
        workflowTool: 'tofu',
        baseImage: 'public.ecr.aws/spacelift/runner-terraform:latest',
      },
    });
    expect(() => buildMirrorRequest(undefined, {})).toThrow(
      'no bundle directory: pass --out DIR, or write an airgap.yaml (airgap init) whose output.dir names one',
    );
    expect(() => buildMirrorRequest(parseSpec('apiVersion: airgap/v1\n', 'airgap.yaml'), {})).toThrow(
      'no bundle directory: airgap.yaml has no output.dir, and no --out was given',
    );
  });

  it('takes an s3:// output.tarball as written, not as a path beside the spec', () => {
    const s3 = parseSpec(
      SPEC.replace('tarball: out/bundle.tar', 'tarball: s3://transfer-bucket/b/bundle.tar'),
      'conf/airgap.yaml',
    );
    expect(buildMirrorRequest(s3, {}).pack?.tarball).toBe('s3://transfer-bucket/b/bundle.tar');
  });

  it('image: build false sets only the Dockerfile base; --image builds anyway', () => {
    const s = parseSpec(
      'apiVersion: airgap/v1\nimage:\n  build: false\n  base: alpine:3\noutput:\n  dir: b\n',
      'airgap.yaml',
    );
    expect(buildMirrorRequest(s, {}).image).toBeUndefined();
    expect(buildMirrorRequest(s, {}).configs.baseImage).toBe('alpine:3');
    expect(buildMirrorRequest(s, { image: true }).image?.baseImage).toBe('alpine:3');
  });
});
