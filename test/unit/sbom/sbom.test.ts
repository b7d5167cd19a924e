// The pure parts of the SBOM (src/core/sbom, src/core/oci/sbom-referrer.ts): the
// content-derived serial number, package URLs, npm integrity, the check verify runs,
// and the referrers tag schema's index.

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildManifest } from '../../../src/core/bundle/manifest.js';
import { buildSbom, renderSbom } from '../../../src/core/sbom/build.js';
import { checkSbomAgainstManifest, sbomFileComponents } from '../../../src/core/sbom/check.js';
import { contentUuid, purl } from '../../../src/core/sbom/cyclonedx.js';
import { bundledPackagesFromLock, integrityHash } from '../../../src/core/sbom/npm-packages.js';
import { referrersTag, sbomArtifact, withReferrer } from '../../../src/core/oci/sbom-referrer.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

function manifest() {
  return buildManifest({
    toolVersion: '0.1.0',
    createdAt: new Date('2025-01-01T00:00:00Z'),
    platforms: ['linux_amd64'],
    lockfiles: [],
    providers: [
      {
        address: 'registry.terraform.io/hashicorp/null',
        version: '3.2.1',
        packages: [
          {
            path: 'providers/registry.terraform.io/hashicorp/null/terraform-provider-null_3.2.1_linux_amd64.zip',
            size: 10,
            sha256: A,
            platform: 'linux_amd64',
            hashes: ['h1:x', `zh:${A}`],
            source: 'registry',
          },
        ],
      },
    ],
    binaries: [],
    configs: [],
    mirrorIndexes: [
      { path: 'providers/registry.terraform.io/hashicorp/null/index.json', size: 3, sha256: B },
    ],
  });
}

function sbomText(): string {
  return renderSbom(
    buildSbom({
      manifest: manifest(),
      timestamp: new Date('2020-01-01T00:00:00Z'),
      toolVersion: '0.1.0',
      providers: new Map(),
      releaseUrls: new Map(),
      addedLayers: [],
      npmPackages: [],
    }),
  );
}

describe('the SBOM core', () => {
  it('derives a version-5-style UUID from sha256, the same for the same content', () => {
    const hex = createHash('sha256').update('x').digest('hex');
    expect(contentUuid('x')).toBe(
      `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`,
    );
    expect(sbomText()).toBe(sbomText());
  });

  it('writes package URLs with sorted qualifiers, a URL keeping its ":" and "/"', () => {
    expect(
      purl('generic', ['registry.terraform.io', 'hashicorp'], 'null', '3.2.1', {
        platform: 'linux_amd64',
        download_url: 'https://example.com/a b.zip',
        checksum: `sha256:${A}`,
        empty: undefined,
      }),
    ).toBe(
      `pkg:generic/registry.terraform.io/hashicorp/null@3.2.1?checksum=sha256:${A}&download_url=https://example.com/a%20b.zip&platform=linux_amd64`,
    );
    expect(purl('npm', ['@aws-sdk'], 'client-s3', '3.1.0')).toBe('pkg:npm/%40aws-sdk/client-s3@3.1.0');
    expect(purl('oci', [], 'alpine', 'sha256:abc')).toBe('pkg:oci/alpine@sha256%3Aabc');
  });

  it('reads bundled packages and their integrity from a lock file', () => {
    const lock = JSON.stringify({
      lockfileVersion: 3,
      packages: {
        '': { name: 'airgap' },
        'node_modules/yaml': { version: '2.9.1', integrity: 'sha512-AAEC', inBundle: true },
        'node_modules/vitest': { version: '3.2.7', dev: true },
        'node_modules/@scope/x/node_modules/y': { version: '1.0.0', inBundle: true },
      },
    });
    expect(bundledPackagesFromLock(lock, 'package-lock.json')).toEqual([
      { path: 'node_modules/@scope/x/node_modules/y', name: 'y', version: '1.0.0' },
      { path: 'node_modules/yaml', name: 'yaml', version: '2.9.1', integrity: 'sha512-AAEC' },
    ]);
    expect(integrityHash('sha512-AAEC')).toEqual({ alg: 'SHA-512', hex: '000102' });
    expect(integrityHash('md5-AAEC')).toBeUndefined();
  });

  it('names a component whose hash differs, one naming no bundle file, and a file no component names', () => {
    const m = manifest();
    const components = sbomFileComponents(sbomText(), 'sbom.cdx.json');
    expect(checkSbomAgainstManifest(components, m, 'sbom.cdx.json')).toEqual([]);
    const zip = m.providers[0]!.packages[0]!.path;
    const lying = components.map((c) => (c.path === zip ? { ...c, sha256: B } : c));
    const extra = [...lying, { ...lying[0]!, path: 'providers/gone.zip' }].filter(
      (c) => !c.path.endsWith('index.json'),
    );
    expect(checkSbomAgainstManifest(extra, m, 'sbom.cdx.json')).toEqual([
      {
        kind: 'not-in-bundle',
        path: 'providers/gone.zip',
        message:
          'component "registry.terraform.io/hashicorp/null 3.2.1" names providers/gone.zip, which the bundle does not hold',
        expected: 'a file airgap.json lists',
        actual: 'none',
      },
      {
        kind: 'no-component',
        path: 'providers/registry.terraform.io/hashicorp/null/index.json',
        message: `providers/registry.terraform.io/hashicorp/null/index.json (sha256 ${B}) is in the bundle but no SBOM component describes it`,
        expected: 'a component with airgap:path',
        actual: 'none',
      },
      {
        kind: 'hash-mismatch',
        path: zip,
        message: `component "registry.terraform.io/hashicorp/null 3.2.1": SHA-256 ${B}, but ${zip} has sha256 ${A}`,
        expected: A,
        actual: B,
      },
    ]);
    expect(() => sbomFileComponents('{"bomFormat":"SPDX"}', 'sbom.cdx.json')).toThrow(
      /sbom.cdx.json: expected bomFormat "CycloneDX" and specVersion "1.6"/,
    );
  });

  it('keeps the referrers tag schema: tag ALG-HEX, an index appended to once', () => {
    expect(referrersTag(`sha256:${A}`)).toBe(`sha256-${A}`);
    const artifact = sbomArtifact({
      sbom: new TextEncoder().encode('{}'),
      fileName: 'sbom.cdx.json',
      subject: { mediaType: 'application/vnd.oci.image.index.v1+json', digest: `sha256:${A}`, size: 5 },
      created: '2020-01-01T00:00:00Z',
    });
    const first = withReferrer(undefined, artifact.descriptor, 'r:tag')!;
    const other = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${B}`, size: 1 };
    const existing = withReferrer(undefined, other, 'r:tag')!;
    const both = withReferrer(existing, artifact.descriptor, 'r:tag')!;
    expect(JSON.parse(new TextDecoder().decode(both.bytes))).toEqual({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [other, artifact.descriptor],
    });
    expect(withReferrer(first, artifact.descriptor, 'r:tag')).toBeUndefined();
    expect(() =>
      withReferrer(
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', bytes: first.bytes },
        artifact.descriptor,
        'r:tag',
      ),
    ).toThrow(/r:tag is not an OCI image index/);
  });
});
