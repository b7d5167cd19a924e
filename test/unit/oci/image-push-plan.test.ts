// The runner image's push plan from inline OCI documents: the layout entry for the
// ref and its digest, size and sha256 of every document, the order (configs and
// layers once each, then manifests, the index last), and the refusals by name.

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AirgapError } from '../../../src/core/errors.js';
import type { Descriptor } from '../../../src/core/image/oci-image.js';
import {
  checkDocumentBytes,
  findLayoutEntry,
  indexManifests,
  planImagePush,
  type LayoutDocument,
} from '../../../src/core/oci/image-push-plan.js';

const sha = (b: Uint8Array | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
const INDEX = 'application/vnd.oci.image.index.v1+json';
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const CONFIG = 'application/vnd.oci.image.config.v1+json';
const LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

function doc(bytes: Buffer, mediaType: string, extra: Partial<Descriptor> = {}): LayoutDocument {
  return { descriptor: { mediaType, digest: sha(bytes), size: bytes.length, ...extra }, bytes };
}

function blob(text: string, mediaType: string): Descriptor {
  return { mediaType, digest: sha(text), size: Buffer.byteLength(text) };
}

// Two platforms sharing their second layer.
const shared = blob('shared layer', LAYER);
const amdConfig = blob('{"architecture":"amd64"}', CONFIG);
const armConfig = blob('{"architecture":"arm64"}', CONFIG);
const amdLayer = blob('amd64 layer', LAYER);
const armLayer = blob('arm64 layer', LAYER);
const amd = doc(
  json({ schemaVersion: 2, mediaType: MANIFEST, config: amdConfig, layers: [amdLayer, shared] }),
  MANIFEST,
  {
    platform: { os: 'linux', architecture: 'amd64' },
  },
);
const arm = doc(
  json({ schemaVersion: 2, mediaType: MANIFEST, config: armConfig, layers: [armLayer, shared] }),
  MANIFEST,
  {
    platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
  },
);
const index = doc(
  json({ schemaVersion: 2, mediaType: INDEX, manifests: [amd.descriptor, arm.descriptor] }),
  INDEX,
);
const layoutIndex = json({
  schemaVersion: 2,
  mediaType: INDEX,
  manifests: [
    { ...index.descriptor, annotations: { 'org.opencontainers.image.ref.name': 'latest' } },
    { ...amd.descriptor, annotations: { 'org.opencontainers.image.ref.name': 'linux_amd64' } },
  ],
});
const expected = [
  { platform: 'linux_amd64', manifest: amd.descriptor.digest },
  { platform: 'linux_arm64', manifest: arm.descriptor.digest },
];
const where = (d: string): string => `image/blobs/sha256/${d.slice(7)}`;

function caught(f: () => unknown): AirgapError {
  try {
    f();
  } catch (e) {
    return e as AirgapError;
  }
  throw new Error('expected a throw');
}

describe('findLayoutEntry', () => {
  it("returns index.json's entry for the ref when it carries the recorded digest", () => {
    expect(findLayoutEntry(layoutIndex, 'latest', index.descriptor.digest, 'image/index.json')).toEqual({
      ...index.descriptor,
      annotations: { 'org.opencontainers.image.ref.name': 'latest' },
    });
  });

  it('refuses a ref the layout does not name, listing the names it has', () => {
    const e = caught(() => findLayoutEntry(layoutIndex, 'v2', index.descriptor.digest, 'image/index.json'));
    expect(e.code).toBe('IMAGE_INVALID');
    expect(e.message).toBe(
      'image/index.json: no entry is named "v2" (org.opencontainers.image.ref.name); it names "latest", "linux_amd64"',
    );
  });

  it('refuses an entry whose digest is not the recorded one (CHECKSUM_MISMATCH)', () => {
    const other = sha('other');
    const e = caught(() => findLayoutEntry(layoutIndex, 'latest', other, 'image/index.json'));
    expect(e.code).toBe('CHECKSUM_MISMATCH');
    expect(e.details).toMatchObject({ expected: other, actual: index.descriptor.digest });
  });

  it('refuses a ref naming a manifest rather than an index', () => {
    const e = caught(() =>
      findLayoutEntry(layoutIndex, 'linux_amd64', amd.descriptor.digest, 'image/index.json'),
    );
    expect(e.code).toBe('IMAGE_INVALID');
    expect(e.message).toBe(
      `image/index.json: the entry named "linux_amd64" is ${MANIFEST}, not an OCI image index`,
    );
  });
});

describe('checkDocumentBytes', () => {
  it('accepts exact bytes, refuses another size or another sha256 by name', () => {
    checkDocumentBytes(amd.descriptor, amd.bytes, 'm');
    const flipped = Buffer.from(amd.bytes);
    flipped[10] = flipped[10]! ^ 1;
    const e = caught(() => checkDocumentBytes(amd.descriptor, flipped, 'image/blobs/sha256/x'));
    expect(e.code).toBe('CHECKSUM_MISMATCH');
    expect(e.message).toBe(
      `image/blobs/sha256/x: sha256 is ${sha(flipped)}, but it is named ${amd.descriptor.digest}`,
    );
    const short = caught(() => checkDocumentBytes(amd.descriptor, amd.bytes.subarray(1), 'y'));
    expect(short.message).toBe(
      `y: ${amd.bytes.length - 1} bytes, but its descriptor says ${amd.bytes.length}`,
    );
  });
});

describe('planImagePush', () => {
  it('blobs first (each once, manifest order), then the manifests by digest, the index last', () => {
    const plan = planImagePush(index, [amd, arm], expected, where);
    expect(plan.blobs.map((b) => b.digest)).toEqual([
      amdConfig.digest,
      amdLayer.digest,
      shared.digest,
      armConfig.digest,
      armLayer.digest,
    ]);
    expect(plan.blobs[2]).toEqual(shared);
    expect(plan.manifests.map((m) => [m.platform, m.digest, m.mediaType, m.size])).toEqual([
      ['linux_amd64', amd.descriptor.digest, MANIFEST, amd.bytes.length],
      ['linux_arm64', arm.descriptor.digest, MANIFEST, arm.bytes.length],
    ]);
    expect(plan.manifests[1]!.bytes).toBe(arm.bytes);
    expect(plan.index).toEqual({
      mediaType: INDEX,
      digest: index.descriptor.digest,
      size: index.bytes.length,
      bytes: index.bytes,
    });
  });

  it('names a platform the state does not record by the descriptor (OS_ARCH)', () => {
    const plan = planImagePush(index, [amd, arm], [], where);
    expect(plan.manifests.map((m) => m.platform)).toEqual(['linux_amd64', 'linux_arm64']);
  });

  it('refuses a recorded platform manifest the index does not list', () => {
    const gone = sha('gone');
    const e = caught(() =>
      planImagePush(index, [amd, arm], [{ platform: 'linux_s390x', manifest: gone }], where),
    );
    expect(e.code).toBe('IMAGE_INVALID');
    expect(e.message).toBe(
      `${where(index.descriptor.digest)}: the bundle's airgap.json names ${gone} as the linux_s390x manifest, which the index does not list`,
    );
  });

  it('refuses manifests other than the ones the index lists', () => {
    const e = caught(() => planImagePush(index, [arm, amd], expected, where));
    expect(e.code).toBe('IMAGE_INVALID');
    expect(e.message).toBe(
      `${where(index.descriptor.digest)}: the manifests read are not the ones the index lists`,
    );
  });

  it('refuses one blob described with two sizes', () => {
    const liar = doc(
      json({
        schemaVersion: 2,
        mediaType: MANIFEST,
        config: armConfig,
        layers: [{ ...shared, size: shared.size + 1 }],
      }),
      MANIFEST,
    );
    const idx = doc(
      json({ schemaVersion: 2, mediaType: INDEX, manifests: [amd.descriptor, liar.descriptor] }),
      INDEX,
    );
    const e = caught(() => planImagePush(idx, [amd, liar], [], where));
    expect(e.code).toBe('IMAGE_INVALID');
    expect(e.message).toBe(
      `${where(liar.descriptor.digest)}: blob ${shared.digest} is described as ${shared.size + 1} bytes here and ${shared.size} bytes elsewhere`,
    );
  });

  it('refuses a nested index, and a manifest whose media type disagrees with the index', () => {
    const nested = doc(json({ schemaVersion: 2, mediaType: INDEX, manifests: [index.descriptor] }), INDEX);
    const e = caught(() => indexManifests(nested, 'n'));
    expect(e.message).toBe(`n: manifests[0] is ${INDEX}: airgap pushes an index over image manifests only`);
    const docker = 'application/vnd.docker.distribution.manifest.v2+json';
    const mislabelled = { ...amd, descriptor: { ...amd.descriptor, mediaType: docker } };
    const idx = doc(json({ schemaVersion: 2, mediaType: INDEX, manifests: [mislabelled.descriptor] }), INDEX);
    const m = caught(() => planImagePush(idx, [mislabelled], [], where));
    expect(m.message).toBe(
      `${where(amd.descriptor.digest)}: it declares media type ${MANIFEST}, but the index lists it as ${docker}`,
    );
  });
});
