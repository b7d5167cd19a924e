// Base images from files: an OCI layout (oci:), an oci-archive and a docker-archive
// written by the real skopeo, and archives built here for the cases skopeo does not
// write (several images, gzip layers, symlinks out of the archive, Docker 25's
// embedded layout). Digests are the fixture's; blobs are compared byte for byte.
import fs from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { openImageSource } from '../../../src/adapters/oci/image-source/index.js';
import { IMAGE_MEDIA_TYPES, type Descriptor } from '../../../src/core/image/oci-image.js';
import type { Platform } from '../../../src/core/provider/platform.js';
import {
  BASE_TAG,
  fixtureDockerArchive,
  fixtureOciArchive,
  writeBaseImageLayout,
  type BaseImageFixture,
} from '../../helpers/base-image.js';
import { makeTempDir } from '../../helpers/tmp.js';
import { describeWithTools } from '../../helpers/tools.js';
import { blobFile, exists, rejection, sha256, tarOf, UA, type TarItem } from './helpers.js';

const AMD64: Platform = { os: 'linux', arch: 'amd64' };
const ARM64: Platform = { os: 'linux', arch: 'arm64' };
const S390X: Platform = { os: 'linux', arch: 's390x' };

let dir: string;
let fixture: BaseImageFixture;

function configBytesOf(f: BaseImageFixture, platform: string): Promise<Buffer> {
  return fs.readFile(blobFile(f.layoutDir, f.images[platform]!.configDigest));
}

function layerDescriptors(f: BaseImageFixture, platform: string): Descriptor[] {
  return f.images[platform]!.layers.map((l) => ({
    mediaType: IMAGE_MEDIA_TYPES.ociLayerGzip,
    digest: l.digest,
    size: l.size,
  }));
}

/** A copy of the fixture layout to tamper with. */
async function layoutCopy(name: string): Promise<string> {
  const copy = path.join(dir, name);
  await fs.cp(fixture.layoutDir, copy, { recursive: true });
  return copy;
}

/** Adds `doc` as a blob of `layout` and an index.json entry tagged `tag` pointing at it. */
async function addTagged(layout: string, tag: string, doc: unknown, mediaType: string): Promise<string> {
  const bytes = Buffer.from(JSON.stringify(doc));
  const digest = sha256(bytes);
  await fs.writeFile(blobFile(layout, digest), bytes);
  const indexPath = path.join(layout, 'index.json');
  const index = JSON.parse(await fs.readFile(indexPath, 'utf8')) as { manifests: unknown[] };
  index.manifests.push({
    mediaType,
    digest,
    size: bytes.length,
    annotations: { 'org.opencontainers.image.ref.name': tag },
  });
  await fs.writeFile(indexPath, JSON.stringify(index));
  return digest;
}

async function readIndexBlob(): Promise<{
  schemaVersion: 2;
  mediaType: string;
  manifests: Record<string, unknown>[];
}> {
  return JSON.parse(await fs.readFile(blobFile(fixture.layoutDir, fixture.indexDigest), 'utf8')) as {
    schemaVersion: 2;
    mediaType: string;
    manifests: Record<string, unknown>[];
  };
}

beforeAll(async () => {
  dir = await makeTempDir('airgap-image-source-');
  fixture = await writeBaseImageLayout(path.join(dir, 'layout'));
});

describe('oci: layout directory', () => {
  it('resolves the tagged index to both platforms with the fixture digests and config bytes', async () => {
    const source = openImageSource(fixture.reference, { userAgent: UA });
    expect(source.reference).toBe(`oci:${fixture.layoutDir}:${BASE_TAG}`);
    const resolved = await source.resolve([AMD64, ARM64]);
    expect(resolved.digest).toBe(fixture.indexDigest);
    expect(resolved.missing).toEqual([]);
    expect(resolved.available).toEqual(['linux/amd64', 'linux/arm64/v8']);
    expect(resolved.images.map((i) => i.platform)).toEqual(['linux_amd64', 'linux_arm64']);
    for (const image of resolved.images) {
      const f = fixture.images[image.platform]!;
      expect(image.manifestDigest).toBe(f.manifestDigest);
      expect(sha256(image.config)).toBe(f.configDigest);
      expect(Buffer.from(image.config)).toEqual(await configBytesOf(fixture, image.platform));
      expect(image.parsedConfig).toEqual(f.config);
      expect(image.layers).toEqual(layerDescriptors(fixture, image.platform));
    }
    await source.close();
  });

  it('takes the only entry when no tag is given, and lists what is missing', async () => {
    const source = openImageSource(`oci:${fixture.layoutDir}`, { userAgent: UA });
    const resolved = await source.resolve([S390X, ARM64]);
    expect(resolved.digest).toBe(fixture.indexDigest);
    expect(resolved.missing).toEqual(['linux_s390x']);
    expect(resolved.images.map((i) => [i.platform, i.manifestDigest])).toEqual([
      ['linux_arm64', fixture.images['linux_arm64']!.manifestDigest],
    ]);
  });

  it('copies a layer byte for byte, reporting its bytes', async () => {
    const source = openImageSource(fixture.reference, { userAgent: UA });
    const layer = fixture.images['linux_arm64']!.layers[0]!;
    const dest = path.join(dir, 'copied-layer');
    let bytes = 0;
    await source.copyBlob(layerDescriptors(fixture, 'linux_arm64')[0]!, dest, (n) => (bytes += n));
    expect(await fs.readFile(dest)).toEqual(await fs.readFile(blobFile(fixture.layoutDir, layer.digest)));
    expect(bytes).toBe(layer.size);
  });

  it('refuses a tampered blob with CHECKSUM_MISMATCH and leaves nothing at the destination', async () => {
    const copy = await layoutCopy('tampered');
    const layer = fixture.images['linux_amd64']!.layers[1]!;
    const original = await fs.readFile(blobFile(copy, layer.digest));
    const tampered = Buffer.from(original);
    tampered[tampered.length - 1] = tampered[tampered.length - 1]! ^ 0xff;
    await fs.writeFile(blobFile(copy, layer.digest), tampered);
    const reference = `oci:${copy}:${BASE_TAG}`;
    const source = openImageSource(reference, { userAgent: UA });
    const dest = path.join(dir, 'tampered-layer');
    const error = await rejection(source.copyBlob(layerDescriptors(fixture, 'linux_amd64')[1]!, dest));
    expect(error.code).toBe('CHECKSUM_MISMATCH');
    expect(error.message).toBe(
      `blob ${layer.digest} of ${reference}: digest is ${sha256(tampered)}, expected ${layer.digest}`,
    );
    expect(error.details).toMatchObject({
      address: reference,
      expected: layer.digest,
      actual: sha256(tampered),
    });
    expect(await exists(dest)).toBe(false);

    // A longer blob stops at the descriptor's size.
    await fs.writeFile(blobFile(copy, layer.digest), Buffer.concat([original, Buffer.from('x')]));
    const longer = await rejection(source.copyBlob(layerDescriptors(fixture, 'linux_amd64')[1]!, dest));
    expect(longer.code).toBe('CHECKSUM_MISMATCH');
    expect(longer.details).toMatchObject({
      expected: String(layer.size),
      actual: `more than ${layer.size} bytes`,
    });
    expect(await exists(dest)).toBe(false);

    // A tampered config fails resolve.
    const config = fixture.images['linux_amd64']!.configDigest;
    const configBytes = await fs.readFile(blobFile(copy, config));
    await fs.writeFile(
      blobFile(copy, config),
      Buffer.from(configBytes.toString('utf8').replace('base', 'BASE')),
    );
    const resolveError = await rejection(source.resolve([AMD64]));
    expect(resolveError.code).toBe('CHECKSUM_MISMATCH');
    expect(resolveError.message).toContain(`config ${config} of ${reference}: digest is sha256:`);
  });

  it('refuses a manifest listed for one platform whose config names another', async () => {
    const copy = await layoutCopy('swapped');
    const index = await readIndexBlob();
    const [amd, arm] = index.manifests;
    const swapped = {
      ...index,
      manifests: [
        { ...amd, platform: arm!['platform'] },
        { ...arm, platform: amd!['platform'] },
      ],
    };
    await addTagged(copy, 'swapped', swapped, IMAGE_MEDIA_TYPES.ociIndex);
    const reference = `oci:${copy}:swapped`;
    const error = await rejection(openImageSource(reference, { userAgent: UA }).resolve([ARM64]));
    expect(error.code).toBe('IMAGE_INVALID');
    expect(error.message).toBe(
      `${reference}: manifest ${fixture.images['linux_amd64']!.manifestDigest}: listed for linux_arm64, but its config ${fixture.images['linux_amd64']!.configDigest} says linux/amd64`,
    );
    expect(error.details).toMatchObject({
      expected: 'linux_arm64',
      actual: 'linux/amd64',
      platform: 'linux_arm64',
    });
  });

  it('skips artifact and unknown/unknown entries of an index', async () => {
    const copy = await layoutCopy('attested');
    const index = await readIndexBlob();
    const [amd, arm] = index.manifests;
    const attested = {
      ...index,
      manifests: [
        // An artifact that claims linux/amd64 comes first: it must not be picked.
        {
          ...arm,
          artifactType: 'application/vnd.example.sbom',
          platform: { os: 'linux', architecture: 'amd64' },
        },
        amd,
        arm,
        {
          ...amd,
          platform: { os: 'unknown', architecture: 'unknown' },
          annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
        },
      ],
    };
    await addTagged(copy, 'attested', attested, IMAGE_MEDIA_TYPES.ociIndex);
    const resolved = await openImageSource(`oci:${copy}:attested`, { userAgent: UA }).resolve([AMD64]);
    expect(resolved.images.map((i) => i.manifestDigest)).toEqual([
      fixture.images['linux_amd64']!.manifestDigest,
    ]);
    expect(resolved.available).toEqual(['linux/amd64', 'linux/arm64/v8']);
  });

  it('serves the one platform of a single-manifest base, and refuses non-Linux layers', async () => {
    const copy = await layoutCopy('single');
    const amd = fixture.images['linux_amd64']!;
    const manifest = JSON.parse(await fs.readFile(blobFile(copy, amd.manifestDigest), 'utf8')) as {
      layers: Record<string, unknown>[];
    };
    const digest = await addTagged(copy, 'single', manifest, IMAGE_MEDIA_TYPES.ociManifest);
    expect(digest).toBe(amd.manifestDigest);
    const resolved = await openImageSource(`oci:${copy}:single`, { userAgent: UA }).resolve([AMD64, ARM64]);
    expect(resolved).toMatchObject({
      digest: amd.manifestDigest,
      missing: ['linux_arm64'],
      available: ['linux/amd64'],
    });
    expect(resolved.images.map((i) => [i.platform, i.manifestDigest])).toEqual([
      ['linux_amd64', amd.manifestDigest],
    ]);

    const foreignType = IMAGE_MEDIA_TYPES.dockerForeignLayerGzip;
    const foreign = {
      ...manifest,
      layers: [{ ...manifest.layers[0], mediaType: foreignType }, manifest.layers[1]],
    };
    const foreignDigest = await addTagged(copy, 'foreign', foreign, IMAGE_MEDIA_TYPES.ociManifest);
    const reference = `oci:${copy}:foreign`;
    const error = await rejection(openImageSource(reference, { userAgent: UA }).resolve([AMD64]));
    expect(error.code).toBe('IMAGE_INVALID');
    expect(error.message).toBe(
      `${reference}: manifest ${foreignDigest}: layers[0]: layer media type ${foreignType} is not a Linux layer tar`,
    );
  });

  it('names what is missing or malformed', async () => {
    const absent = path.join(dir, 'no-such-layout');
    const missing = await rejection(openImageSource(`oci:${absent}`, { userAgent: UA }).resolve([AMD64]));
    expect(missing.code).toBe('INPUT_NOT_FOUND');
    expect(missing.message).toBe(`oci:${absent}: no OCI layout directory at ${absent}`);

    const untagged = await rejection(
      openImageSource(`oci:${fixture.layoutDir}:v9`, { userAgent: UA }).resolve([AMD64]),
    );
    expect(untagged.code).toBe('IMAGE_INVALID');
    expect(untagged.message).toBe(
      `oci:${fixture.layoutDir}:v9: index.json has no image tagged "v9" (tags: base)`,
    );

    const copy = await layoutCopy('marker');
    await fs.writeFile(path.join(copy, 'oci-layout'), '{"imageLayoutVersion":"2.0.0"}');
    const marker = await rejection(openImageSource(`oci:${copy}`, { userAgent: UA }).resolve([AMD64]));
    expect(marker.code).toBe('IMAGE_INVALID');
    expect(marker.details).toMatchObject({
      expected: '{"imageLayoutVersion":"1.0.0"}',
      actual: '{"imageLayoutVersion":"2.0.0"}',
    });

    const layer = fixture.images['linux_amd64']!.layers[0]!;
    await fs.rm(blobFile(copy, layer.digest));
    const dest = path.join(dir, 'never');
    const blob = await rejection(
      openImageSource(`oci:${copy}`, { userAgent: UA }).copyBlob(
        layerDescriptors(fixture, 'linux_amd64')[0]!,
        dest,
      ),
    );
    expect(blob.code).toBe('INPUT_NOT_FOUND');
    expect(blob.message).toBe(`oci:${copy}: ${blobFile(copy, layer.digest)} does not exist`);
    expect(await exists(dest)).toBe(false);
  });
});

describeWithTools(['skopeo'], 'archives written by skopeo', () => {
  let ociArchive: string;
  let dockerArchive: string;

  beforeAll(async () => {
    ociArchive = await fixtureOciArchive(fixture, path.join(dir, 'base-oci.tar'));
    dockerArchive = await fixtureDockerArchive(fixture, 'linux_arm64', path.join(dir, 'base-docker.tar'));
  });

  it('oci-archive: resolves with and without the tag, and copies blobs by byte range', async () => {
    for (const reference of [ociArchive, `${ociArchive}:${BASE_TAG}`]) {
      const source = openImageSource(reference, { userAgent: UA });
      const resolved = await source.resolve([AMD64, ARM64, S390X]);
      expect(resolved.digest).toBe(fixture.indexDigest);
      expect(resolved.missing).toEqual(['linux_s390x']);
      expect(resolved.available).toEqual(['linux/amd64', 'linux/arm64/v8']);
      for (const image of resolved.images) {
        const f = fixture.images[image.platform]!;
        expect([image.manifestDigest, sha256(image.config)]).toEqual([f.manifestDigest, f.configDigest]);
        expect(image.layers).toEqual(layerDescriptors(fixture, image.platform));
      }
      await source.close();
    }
    const source = openImageSource(ociArchive, { userAgent: UA });
    for (const [i, layer] of fixture.images['linux_amd64']!.layers.entries()) {
      const dest = path.join(dir, `oci-archive-layer-${i}`);
      await source.copyBlob(layerDescriptors(fixture, 'linux_amd64')[i]!, dest);
      expect(await fs.readFile(dest)).toEqual(await fs.readFile(blobFile(fixture.layoutDir, layer.digest)));
    }
    const missing = await rejection(
      openImageSource(`oci-archive:${path.join(dir, 'none.tar')}`, { userAgent: UA }).resolve([AMD64]),
    );
    expect(missing.code).toBe('INPUT_NOT_FOUND');
    expect(missing.message).toBe(
      `oci-archive:${path.join(dir, 'none.tar')}: ${path.join(dir, 'none.tar')} does not exist`,
    );
  });

  it('docker-archive: the arm64 image with uncompressed layers (diff_ids), config kept, a synthesized manifest', async () => {
    const arm = fixture.images['linux_arm64']!;
    for (const reference of [
      dockerArchive,
      `${dockerArchive}:base:latest`,
      `${dockerArchive}:docker.io/library/base:latest`,
    ]) {
      const source = openImageSource(reference, { userAgent: UA });
      const resolved = await source.resolve([AMD64, ARM64]);
      const layers = arm.layers.map((l) => ({
        mediaType: IMAGE_MEDIA_TYPES.dockerLayer,
        size: l.tar.length,
        digest: l.diffId,
      }));
      const manifest = JSON.stringify({
        schemaVersion: 2,
        mediaType: IMAGE_MEDIA_TYPES.dockerManifest,
        config: {
          mediaType: IMAGE_MEDIA_TYPES.dockerConfig,
          size: (await configBytesOf(fixture, 'linux_arm64')).length,
          digest: arm.configDigest,
        },
        layers,
      });
      expect(resolved.digest).toBe(sha256(Buffer.from(manifest)));
      expect(resolved.missing).toEqual(['linux_amd64']);
      expect(resolved.available).toEqual(['linux/arm64/v8']);
      expect(resolved.images).toHaveLength(1);
      const image = resolved.images[0]!;
      expect(image.platform).toBe('linux_arm64');
      expect(image.manifestDigest).toBe(resolved.digest);
      expect(sha256(image.config)).toBe(arm.configDigest);
      expect(image.layers).toEqual(layers);
      const dest = path.join(dir, 'docker-layer-0');
      await source.copyBlob(image.layers[0]!, dest);
      expect(await fs.readFile(dest)).toEqual(arm.layers[0]!.tar);
    }
    const other = await rejection(
      openImageSource(`${dockerArchive}:other:1`, { userAgent: UA }).resolve([ARM64]),
    );
    expect(other.code).toBe('IMAGE_INVALID');
    expect(other.message).toBe(
      `${dockerArchive}:other:1: manifest.json has no image tagged other:1 (RepoTags: docker.io/library/base:latest)`,
    );
  });

  it('docker-archive built here: several images, a gzip layer behind a symlink', async () => {
    const layerTar = tarOf([{ name: 'etc/hostname', type: 'File', body: 'built-here\n' }]);
    const gz = gzipSync(layerTar);
    const config = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: { Env: ['A=1'] },
        rootfs: { type: 'layers', diff_ids: [sha256(layerTar)] },
      }),
    );
    const items: TarItem[] = [
      { name: 'blobs/layer.tar.gz', type: 'File', body: gz },
      { name: 'img/layer.tar', type: 'SymbolicLink', linkpath: '../blobs/layer.tar.gz' },
      { name: 'config.json', type: 'File', body: config },
      {
        name: 'manifest.json',
        type: 'File',
        body: JSON.stringify([
          { Config: 'config.json', RepoTags: ['a:1'], Layers: ['img/layer.tar'] },
          { Config: 'config.json', RepoTags: ['b:2'], Layers: ['blobs/layer.tar.gz'] },
        ]),
      },
    ];
    const file = path.join(dir, 'handmade-docker.tar');
    await fs.writeFile(file, tarOf(items));
    const source = openImageSource(`docker-archive:${file}:a:1`, { userAgent: UA });
    const resolved = await source.resolve([AMD64]);
    const layer = { mediaType: IMAGE_MEDIA_TYPES.dockerLayerGzip, size: gz.length, digest: sha256(gz) };
    expect(resolved.images[0]!.layers).toEqual([layer]);
    const manifest = {
      schemaVersion: 2,
      mediaType: IMAGE_MEDIA_TYPES.dockerManifest,
      config: { mediaType: IMAGE_MEDIA_TYPES.dockerConfig, size: config.length, digest: sha256(config) },
      layers: [layer],
    };
    expect(resolved.digest).toBe(sha256(Buffer.from(JSON.stringify(manifest))));
    const dest = path.join(dir, 'handmade-layer');
    await source.copyBlob(layer, dest);
    expect(await fs.readFile(dest)).toEqual(gz);

    const several = await rejection(
      openImageSource(`docker-archive:${file}`, { userAgent: UA }).resolve([AMD64]),
    );
    expect(several.code).toBe('IMAGE_INVALID');
    expect(several.message).toBe(
      `docker-archive:${file}: manifest.json holds 2 images; name one as docker-archive:${file}:NAME:TAG (RepoTags: a:1, b:2)`,
    );

    const escaping = path.join(dir, 'escaping-docker.tar');
    await fs.writeFile(
      escaping,
      tarOf([
        { name: 'img/layer.tar', type: 'SymbolicLink', linkpath: '../../etc/passwd' },
        { name: 'config.json', type: 'File', body: config },
        {
          name: 'manifest.json',
          type: 'File',
          body: JSON.stringify([{ Config: 'config.json', RepoTags: null, Layers: ['img/layer.tar'] }]),
        },
      ]),
    );
    const out = await rejection(
      openImageSource(`docker-archive:${escaping}`, { userAgent: UA }).resolve([AMD64]),
    );
    expect(out.code).toBe('IMAGE_INVALID');
    expect(out.message).toBe(
      `docker-archive:${escaping}: ${escaping}: symlink "img/layer.tar" -> "../../etc/passwd" points outside the archive`,
    );

    const noLayer = path.join(dir, 'nolayer-docker.tar');
    await fs.writeFile(
      noLayer,
      tarOf([
        { name: 'config.json', type: 'File', body: config },
        {
          name: 'manifest.json',
          type: 'File',
          body: JSON.stringify([{ Config: 'config.json', Layers: ['gone.tar'] }]),
        },
      ]),
    );
    const gone = await rejection(
      openImageSource(`docker-archive:${noLayer}`, { userAgent: UA }).resolve([AMD64]),
    );
    expect(gone.code).toBe('INPUT_NOT_FOUND');
    expect(gone.message).toBe(`docker-archive:${noLayer}: ${noLayer} has no member gone.tar`);
  });

  it('docker-archive with an OCI layout inside (Docker 25+) is read as that layout', async () => {
    const items: TarItem[] = [];
    for (const name of await fs.readdir(path.join(fixture.layoutDir, 'blobs', 'sha256'))) {
      items.push({
        name: `blobs/sha256/${name}`,
        type: 'File',
        body: await fs.readFile(path.join(fixture.layoutDir, 'blobs', 'sha256', name)),
      });
    }
    const index = JSON.parse(await fs.readFile(path.join(fixture.layoutDir, 'index.json'), 'utf8')) as {
      manifests: { annotations: Record<string, string> }[];
    };
    index.manifests[0]!.annotations = {
      'io.containerd.image.name': 'docker.io/library/base:latest',
      'org.opencontainers.image.ref.name': 'latest',
    };
    items.push(
      { name: 'oci-layout', type: 'File', body: '{"imageLayoutVersion":"1.0.0"}' },
      { name: 'index.json', type: 'File', body: JSON.stringify(index) },
      { name: 'manifest.json', type: 'File', body: '[]' },
    );
    const file = path.join(dir, 'docker25.tar');
    await fs.writeFile(file, tarOf(items));
    for (const reference of [`docker-archive:${file}`, `docker-archive:${file}:base:latest`]) {
      const resolved = await openImageSource(reference, { userAgent: UA }).resolve([AMD64, ARM64]);
      expect(resolved.digest).toBe(fixture.indexDigest);
      expect(resolved.images.map((i) => i.manifestDigest)).toEqual([
        fixture.images['linux_amd64']!.manifestDigest,
        fixture.images['linux_arm64']!.manifestDigest,
      ]);
    }
    const source = openImageSource(`docker-archive:${file}`, { userAgent: UA });
    const dest = path.join(dir, 'docker25-layer');
    await source.copyBlob(layerDescriptors(fixture, 'linux_amd64')[0]!, dest);
    expect(sha256(await fs.readFile(dest))).toBe(fixture.images['linux_amd64']!.layers[0]!.digest);
    const wrong = await rejection(
      openImageSource(`docker-archive:${file}:other:1`, { userAgent: UA }).resolve([AMD64]),
    );
    expect(wrong.code).toBe('IMAGE_INVALID');
    expect(wrong.message).toBe(
      `docker-archive:${file}:other:1: index.json has no image named other:1 (names: docker.io/library/base:latest)`,
    );
  });
});
