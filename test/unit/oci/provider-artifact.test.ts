// The OpenTofu provider OCI artifact as exact bytes (real null 3.1.0 zip hashes from
// HashiCorp's signed SHA256SUMS), every field against the OpenTofu spec
// (opentofu.org/docs/cli/oci_registries/provider-mirror), the tag and repository
// rules (DIR/tofurc.oci: test/unit/config/tofurc-oci.test.ts).

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AirgapError } from '../../../src/core/errors.js';
import {
  buildProviderArtifact,
  EMPTY_CONFIG,
  parseOciTarget,
  providerRepository,
  providerVersionTag,
  repositoryHostSegment,
  repositoryTemplate,
  type ProviderZip,
} from '../../../src/core/oci/provider-artifact.js';
import { realdata } from '../../helpers/realdata.js';

const SUMS = fs.readFileSync(
  realdata(
    'keys',
    'signed-sums',
    'terraform-provider-null_3.1.0',
    'terraform-provider-null_3.1.0_SHA256SUMS',
  ),
  'utf8',
);

function realSha256(filename: string): string {
  const line = SUMS.split('\n').find((l) => l.endsWith(`  ${filename}`));
  if (line === undefined) throw new Error(`${filename} not in SHA256SUMS`);
  return line.slice(0, 64);
}

const AMD64 = 'terraform-provider-null_3.1.0_linux_amd64.zip';
const ARM64 = 'terraform-provider-null_3.1.0_linux_arm64.zip';
// Sizes are fixed inputs; the hashes are the real ones.
const ZIPS: ProviderZip[] = [
  { platform: 'linux_arm64', filename: ARM64, sha256: realSha256(ARM64), size: 5017349 },
  { platform: 'linux_amd64', filename: AMD64, sha256: realSha256(AMD64), size: 5519660 },
];

const AMD64_MANIFEST =
  '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.opentofu.provider-target",' +
  '"config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},' +
  '"layers":[{"mediaType":"archive/zip","digest":"sha256:53e30545ff8926a8e30ad30648991ca8b93b6fa496272cd23b26763c8ee84515","size":5519660,' +
  '"annotations":{"org.opencontainers.image.title":"terraform-provider-null_3.1.0_linux_amd64.zip"}}]}';
const ARM64_MANIFEST =
  '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.opentofu.provider-target",' +
  '"config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},' +
  '"layers":[{"mediaType":"archive/zip","digest":"sha256:cecb6a304046df34c11229f20a80b24b1603960b794d68361a67c5efe58e62b8","size":5017349,' +
  '"annotations":{"org.opencontainers.image.title":"terraform-provider-null_3.1.0_linux_arm64.zip"}}]}';
const AMD64_DIGEST = 'sha256:388a81fda748a4727c486cc85787717072dcc6ffc50e6425264bc51cb95a7072';
const ARM64_DIGEST = 'sha256:7de4cdcf023300143a2434206fd6d57a5f0185e698967a7cb11ecea35010e713';
const INDEX =
  '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","artifactType":"application/vnd.opentofu.provider","manifests":[' +
  `{"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.opentofu.provider-target","digest":"${AMD64_DIGEST}","size":519,"platform":{"architecture":"amd64","os":"linux"}},` +
  `{"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.opentofu.provider-target","digest":"${ARM64_DIGEST}","size":519,"platform":{"architecture":"arm64","os":"linux"}}]}`;
const INDEX_DIGEST = 'sha256:3c557ec7f5e83853dcac73430a9002ce8b2780fc206f601321e354d715d59d45';

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const sha = (s: string | Uint8Array): string => `sha256:${createHash('sha256').update(s).digest('hex')}`;

function catchError(fn: () => unknown): AirgapError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AirgapError);
    return e as AirgapError;
  }
  throw new Error('expected an AirgapError');
}

describe('buildProviderArtifact', () => {
  it('renders the exact manifest and index bytes, their digests and sizes', () => {
    expect(ZIPS[1]!.sha256).toBe('53e30545ff8926a8e30ad30648991ca8b93b6fa496272cd23b26763c8ee84515');
    const a = buildProviderArtifact({ zips: ZIPS });
    expect(a.manifests.map((m) => m.platform)).toEqual(['linux_amd64', 'linux_arm64']);
    const [amd, arm] = a.manifests;
    expect(text(amd!.bytes)).toBe(AMD64_MANIFEST);
    expect(text(arm!.bytes)).toBe(ARM64_MANIFEST);
    expect(amd!.digest).toBe(AMD64_DIGEST);
    expect(sha(AMD64_MANIFEST)).toBe(AMD64_DIGEST);
    expect(arm!.digest).toBe(ARM64_DIGEST);
    expect(sha(ARM64_MANIFEST)).toBe(ARM64_DIGEST);
    expect([amd!.size, arm!.size]).toEqual([519, 519]);
    expect(amd!.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(amd!.zipDigest).toBe('sha256:53e30545ff8926a8e30ad30648991ca8b93b6fa496272cd23b26763c8ee84515');

    expect(text(a.index.bytes)).toBe(INDEX);
    expect(a.index.digest).toBe(INDEX_DIGEST);
    expect(sha(INDEX)).toBe(INDEX_DIGEST);
    expect(a.index.size).toBe(Buffer.byteLength(INDEX));
    expect(a.index.mediaType).toBe('application/vnd.oci.image.index.v1+json');
  });

  it('gives the same bytes whatever the input order', () => {
    const a = buildProviderArtifact({ zips: ZIPS });
    const b = buildProviderArtifact({ zips: [...ZIPS].reverse() });
    expect(b.index.digest).toBe(a.index.digest);
    expect(b.manifests.map((m) => m.digest)).toEqual(a.manifests.map((m) => m.digest));
  });

  it('follows the OpenTofu spec field by field', () => {
    const a = buildProviderArtifact({ zips: ZIPS });
    const index = JSON.parse(text(a.index.bytes)) as Record<string, unknown>;
    expect(Object.keys(index)).toEqual(['schemaVersion', 'mediaType', 'artifactType', 'manifests']);
    expect(index['schemaVersion']).toBe(2);
    expect(index['mediaType']).toBe('application/vnd.oci.image.index.v1+json');
    expect(index['artifactType']).toBe('application/vnd.opentofu.provider');
    const entries = index['manifests'] as Record<string, unknown>[];
    expect(entries).toHaveLength(2);
    for (const [i, e] of entries.entries()) {
      const m = a.manifests[i]!;
      expect(e).toEqual({
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        artifactType: 'application/vnd.opentofu.provider-target',
        digest: sha(m.bytes),
        size: m.bytes.length,
        platform: { architecture: m.platform.split('_')[1], os: 'linux' },
      });
      const manifest = JSON.parse(text(m.bytes)) as Record<string, unknown>;
      expect(manifest['schemaVersion']).toBe(2);
      expect(manifest['mediaType']).toBe('application/vnd.oci.image.manifest.v1+json');
      expect(manifest['artifactType']).toBe('application/vnd.opentofu.provider-target');
      expect(manifest['config']).toEqual({
        mediaType: 'application/vnd.oci.empty.v1+json',
        digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
        size: 2,
      });
      const layers = manifest['layers'] as Record<string, unknown>[];
      expect(layers).toHaveLength(1);
      const zip = ZIPS.find((z) => z.platform === m.platform)!;
      expect(layers[0]).toEqual({
        mediaType: 'archive/zip',
        digest: `sha256:${zip.sha256}`,
        size: zip.size,
        annotations: { 'org.opencontainers.image.title': zip.filename },
      });
    }
  });

  it('uses the OCI empty descriptor: the two bytes {} and their sha256', () => {
    expect(text(EMPTY_CONFIG.bytes)).toBe('{}');
    expect(sha(EMPTY_CONFIG.bytes)).toBe(EMPTY_CONFIG.digest);
    expect(EMPTY_CONFIG.size).toBe(2);
    expect(EMPTY_CONFIG.mediaType).toBe('application/vnd.oci.empty.v1+json');
  });

  it('names os and architecture as tofu does for other platforms too', () => {
    const a = buildProviderArtifact({
      zips: [{ platform: 'windows_386', filename: 'p.zip', sha256: 'c'.repeat(64), size: 1 }],
    });
    expect(text(a.index.bytes)).toContain('"platform":{"architecture":"386","os":"windows"}');
  });

  it('refuses no zips, two zips for one platform, a bad sha256, size or platform', () => {
    expect(catchError(() => buildProviderArtifact({ zips: [] })).message).toBe(
      'a provider artifact needs at least one platform zip',
    );
    const dup = catchError(() =>
      buildProviderArtifact({ zips: [ZIPS[0]!, { ...ZIPS[0]!, filename: 'other.zip' }] }),
    );
    expect(dup.code).toBe('USAGE');
    expect(dup.message).toMatch(/^two zips for platform linux_arm64: /);
    const upper = catchError(() =>
      buildProviderArtifact({ zips: [{ ...ZIPS[0]!, sha256: 'A'.repeat(64) }] }),
    );
    expect(upper.message).toBe(`${ARM64}: sha256 "${'A'.repeat(64)}" is not 64 lower-case hex digits`);
    expect(upper.details.platform).toBe('linux_arm64');
    expect(catchError(() => buildProviderArtifact({ zips: [{ ...ZIPS[0]!, size: 0 }] })).message).toBe(
      `${ARM64}: size 0 is not a positive integer`,
    );
    expect(
      catchError(() => buildProviderArtifact({ zips: [{ ...ZIPS[0]!, platform: 'linux' }] })).details.actual,
    ).toBe('linux');
    expect(
      catchError(() => buildProviderArtifact({ zips: [{ ...ZIPS[0]!, filename: '../x.zip' }] })).details
        .actual,
    ).toBe('../x.zip');
  });
});

describe('names', () => {
  it('tags a version with + replaced by _', () => {
    expect(providerVersionTag('3.2.1')).toBe('3.2.1');
    expect(providerVersionTag('1.0.0+build.1')).toBe('1.0.0_build.1');
    expect(providerVersionTag('2.0.0-rc.1+a+b')).toBe('2.0.0-rc.1_a_b');
    const e = catchError(() => providerVersionTag('1.0.0/x'));
    expect(e.code).toBe('OCI_REFERENCE_INVALID');
    expect(e.details).toMatchObject({ version: '1.0.0/x', actual: '1.0.0/x' });
    expect(catchError(() => providerVersionTag(`1.${'0'.repeat(130)}`)).code).toBe('OCI_REFERENCE_INVALID');
  });

  it('parses REGISTRY/PREFIX and makes PREFIX/HOST/NS/TYPE in lower case', () => {
    expect(parseOciTarget('Registry.Corp.example:5000/tofu/providers')).toEqual({
      registry: 'registry.corp.example:5000',
      prefix: 'tofu/providers',
    });
    expect(parseOciTarget('localhost:5000')).toEqual({ registry: 'localhost:5000', prefix: '' });
    const tofuNull = { hostname: 'registry.opentofu.org', namespace: 'HashiCorp', type: 'null' };
    const tfNull = { hostname: 'registry.terraform.io', namespace: 'hashicorp', type: 'null' };
    expect(providerRepository('tofu/providers', tofuNull)).toBe(
      'tofu/providers/registry.opentofu.org/hashicorp/null',
    );
    // The same NS/TYPE from tofu's and terraform's registries: two repositories.
    expect(providerRepository('tofu/providers', tfNull)).toBe(
      'tofu/providers/registry.terraform.io/hashicorp/null',
    );
    expect(providerRepository('', { hostname: 'r.example', namespace: 'acme', type: 'my-thing' })).toBe(
      'r.example/acme/my-thing',
    );
    expect(repositoryTemplate({ registry: '127.0.0.1:5000', prefix: 'p' }, 'registry.opentofu.org')).toBe(
      '127.0.0.1:5000/p/registry.opentofu.org/${namespace}/${type}',
    );
    expect(repositoryTemplate({ registry: 'r.example', prefix: '' }, 'registry.terraform.io')).toBe(
      'r.example/registry.terraform.io/${namespace}/${type}',
    );
  });

  it("writes a host as tofu's ${hostname} gives it (punycode), a port as _PORT, the default port dropped", () => {
    expect(repositoryHostSegment('Registry.OpenTofu.org')).toBe('registry.opentofu.org');
    expect(repositoryHostSegment('bücher.example')).toBe('xn--bcher-kva.example');
    expect(repositoryHostSegment('git.corp.example:8443')).toBe('git.corp.example_8443');
    expect(repositoryHostSegment('git.corp.example:443')).toBe('git.corp.example');
    expect(
      providerRepository('p', { hostname: 'bücher.example:8443', namespace: 'acme', type: 'widget' }),
    ).toBe('p/xn--bcher-kva.example_8443/acme/widget');
    const bad = catchError(() => repositoryHostSegment('no_underscores.example'));
    expect(bad.code).toBe('OCI_REFERENCE_INVALID');
    expect(bad.message).toBe(
      'provider host "no_underscores.example" cannot name an OCI repository: hostname label "no_underscores" contains characters not allowed in a hostname',
    );
  });

  it('refuses a prefix with capitals, a tag, a scheme; a legacy "-" namespace; an over-long name', () => {
    expect(catchError(() => parseOciTarget('r.example/Tofu')).code).toBe('OCI_REFERENCE_INVALID');
    expect(catchError(() => parseOciTarget('r.example/tofu:1')).code).toBe('OCI_REFERENCE_INVALID');
    expect(catchError(() => parseOciTarget('https://r.example/tofu')).code).toBe('OCI_REFERENCE_INVALID');
    const legacy = catchError(() =>
      providerRepository('p', { hostname: 'registry.terraform.io', namespace: '-', type: 'null' }),
    );
    expect(legacy.code).toBe('OCI_REFERENCE_INVALID');
    expect(legacy.message).toBe(
      'provider registry.terraform.io/-/null: "p/registry.terraform.io/-/null" cannot be an OCI repository path (at most 255 characters; lower-case [a-z0-9] joined by "/", ".", "_", "__" or "-")',
    );
    expect(legacy.details).toMatchObject({
      provider: 'registry.terraform.io/-/null',
      actual: 'p/registry.terraform.io/-/null',
    });
    expect(
      catchError(() =>
        providerRepository('p'.repeat(240), { hostname: 'r.example', namespace: 'hashicorp', type: 'null' }),
      ).code,
    ).toBe('OCI_REFERENCE_INVALID');
  });
});
