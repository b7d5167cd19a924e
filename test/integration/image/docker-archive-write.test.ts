// writeDockerArchive: one platform of an OCI layout as a `docker load` tar, checked
// entry by entry and byte for byte, read back by real skopeo (inspect, copy), unpacked
// by real umoci and listed by GNU tar; and every refusal, with nothing left behind.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { Header, Parser, type ReadEntry } from 'tar';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeDockerArchive } from '../../../src/adapters/oci/docker-archive-write.js';
import { sha256File } from '../../../src/adapters/fs/sha256-file.js';
import { AirgapError } from '../../../src/core/errors.js';
import {
  BASE_ENV,
  fixtureDockerArchive,
  writeBaseImageLayout,
  type BaseImageFixture,
} from '../../helpers/base-image.js';
import { makeTempDir } from '../../helpers/tmp.js';
import { describeWithTools } from '../../helpers/tools.js';

const run = promisify(execFile);

// The archive of the fixture's linux_amd64 image tagged airgap/runner:latest: it
// depends only on the config bytes and the uncompressed layers, so it is pinned.
const AMD64_ARCHIVE_SHA256 = '30cd4b25ce713793ec776b5827ebe0900efba04bb74b54ffac030ac785d43591';
const AMD64_ARCHIVE_SIZE = 17920;
const AMD64_CONFIG = 'sha256:01610c100b2f56a0160f1149f4825fc6cfc79e91c63a3c4453cbaea8fd79ddd8';
const AMD64_DIFF_IDS = [
  'sha256:780d894d4027e29b4946210160f0c642572af6bfdd6befd848748ce60df33225',
  'sha256:b137e65aa2702a6bedc2a1e831b69e4495645a10a4bfdaf0c2bd9e5d62110a39',
];
const TAG = 'airgap/runner:latest';

const hex = (d: string): string => d.slice('sha256:'.length);
const sha = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

interface TarEntry {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  mtime: string;
  size: number;
  body: Buffer;
}

async function readTar(file: string): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  const parser = new Parser({
    onReadEntry: (entry: ReadEntry) => {
      const chunks: Buffer[] = [];
      entry.on('data', (c: Buffer) => chunks.push(c));
      entry.on('end', () =>
        entries.push({
          name: entry.path,
          type: entry.type,
          mode: entry.mode ?? -1,
          uid: entry.uid ?? -1,
          gid: entry.gid ?? -1,
          uname: entry.uname ?? '',
          gname: entry.gname ?? '',
          mtime: entry.mtime?.toISOString() ?? '',
          size: entry.size ?? -1,
          body: Buffer.concat(chunks),
        }),
      );
    },
  });
  const done = new Promise<void>((resolve, reject) => {
    parser.on('end', () => resolve());
    parser.on('error', reject);
  });
  parser.end(await fs.readFile(file));
  await done;
  return entries;
}

/** Writes an OCI layout holding one image manifest; returns its digest. */
async function writeLayout(
  dir: string,
  config: Buffer,
  layers: { mediaType: string; blob: Buffer }[],
): Promise<string> {
  const put = async (bytes: Buffer): Promise<string> => {
    const digest = sha(bytes);
    await fs.mkdir(path.join(dir, 'blobs', 'sha256'), { recursive: true });
    await fs.writeFile(path.join(dir, 'blobs', 'sha256', hex(digest)), bytes);
    return digest;
  };
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: await put(config),
        size: config.length,
      },
      layers: await Promise.all(
        layers.map(async (l) => ({ mediaType: l.mediaType, digest: await put(l.blob), size: l.blob.length })),
      ),
    }),
  );
  const digest = await put(manifest);
  await fs.writeFile(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  await fs.writeFile(
    path.join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: manifest.length }],
    }),
  );
  return digest;
}

function tarOf(name: string, body: string): Buffer {
  const data = Buffer.from(body);
  const h = new Header({
    path: name,
    type: 'File',
    mode: 0o644,
    size: data.length,
    mtime: new Date(0),
    uid: 0,
    gid: 0,
  });
  h.encode();
  return Buffer.concat([h.block!, data, Buffer.alloc((512 - (data.length % 512)) % 512), Buffer.alloc(1024)]);
}

async function expectAirgapError(p: Promise<unknown>): Promise<AirgapError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AirgapError);
  return e as AirgapError;
}

let fixture: BaseImageFixture;
let configBytes: Buffer;

beforeAll(async () => {
  fixture = await writeBaseImageLayout(path.join(await makeTempDir(), 'layout'));
  configBytes = await fs.readFile(
    path.join(fixture.layoutDir, 'blobs', 'sha256', hex(fixture.images['linux_amd64']!.configDigest)),
  );
});

function amd64(): { manifestDigest: string; layers: { tar: Buffer; diffId: string; digest: string }[] } {
  return fixture.images['linux_amd64']!;
}

describe('writeDockerArchive', () => {
  it('writes config, uncompressed layers, manifest.json and repositories, deterministically', async () => {
    const dir = await makeTempDir();
    const dest = path.join(dir, 'out', 'runner.tar');
    const result = await writeDockerArchive({
      layoutDir: fixture.layoutDir,
      manifestDigest: amd64().manifestDigest,
      repoTag: TAG,
      dest,
    });
    expect(fixture.images['linux_amd64']!.configDigest).toBe(AMD64_CONFIG);
    expect(amd64().layers.map((l) => l.diffId)).toEqual(AMD64_DIFF_IDS);
    expect(result).toEqual({
      path: dest,
      size: AMD64_ARCHIVE_SIZE,
      sha256: AMD64_ARCHIVE_SHA256,
      configDigest: AMD64_CONFIG,
      layers: 2,
    });
    expect(await sha256File(dest)).toEqual({ sha256: AMD64_ARCHIVE_SHA256, size: AMD64_ARCHIVE_SIZE });
    expect(await fs.readdir(path.dirname(dest))).toEqual(['runner.tar']);

    const entries = await readTar(dest);
    const manifestJson = `[{"Config":"${hex(AMD64_CONFIG)}.json","RepoTags":["airgap/runner:latest"],"Layers":["${hex(AMD64_DIFF_IDS[0]!)}.tar","${hex(AMD64_DIFF_IDS[1]!)}.tar"]}]`;
    const repositories = `{"airgap/runner":{"latest":"${hex(AMD64_CONFIG)}"}}`;
    expect(entries.map((e) => ({ ...e, body: e.body.toString('base64') }))).toEqual(
      [
        [`${hex(AMD64_CONFIG)}.json`, configBytes],
        [`${hex(AMD64_DIFF_IDS[0]!)}.tar`, amd64().layers[0]!.tar],
        [`${hex(AMD64_DIFF_IDS[1]!)}.tar`, amd64().layers[1]!.tar],
        ['manifest.json', Buffer.from(manifestJson)],
        ['repositories', Buffer.from(repositories)],
      ].map(([name, body]) => ({
        name,
        type: 'File',
        mode: 0o644,
        uid: 0,
        gid: 0,
        uname: '',
        gname: '',
        mtime: '1970-01-01T00:00:00.000Z',
        size: (body as Buffer).length,
        body: (body as Buffer).toString('base64'),
      })),
    );
    // The config is the layout's blob byte for byte, so the image ID is the config digest.
    expect(sha(entries[0]!.body)).toBe(AMD64_CONFIG);
    expect(entries.slice(1, 3).map((e) => sha(e.body))).toEqual(AMD64_DIFF_IDS);

    const again = await writeDockerArchive({
      layoutDir: fixture.layoutDir,
      manifestDigest: amd64().manifestDigest,
      repoTag: TAG,
      dest: path.join(dir, 'again.tar'),
    });
    expect(again.sha256).toBe(AMD64_ARCHIVE_SHA256);
    expect(await fs.readFile(path.join(dir, 'again.tar'))).toEqual(await fs.readFile(dest));
  });

  it('stamps the given mtime on every entry', async () => {
    const dest = path.join(await makeTempDir(), 'runner.tar');
    const result = await writeDockerArchive({
      layoutDir: fixture.layoutDir,
      manifestDigest: amd64().manifestDigest,
      repoTag: TAG,
      dest,
      mtime: new Date('2024-05-06T07:08:09Z'),
    });
    expect(result.sha256).not.toBe(AMD64_ARCHIVE_SHA256);
    expect(result.size).toBe(AMD64_ARCHIVE_SIZE);
    expect((await readTar(dest)).map((e) => e.mtime)).toEqual(Array(5).fill('2024-05-06T07:08:09.000Z'));
  });

  it('gives the same bytes for a layout with uncompressed layers', async () => {
    const layoutDir = path.join(await makeTempDir(), 'plain');
    const manifestDigest = await writeLayout(
      layoutDir,
      configBytes,
      amd64().layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', blob: l.tar })),
    );
    const dest = path.join(layoutDir, '..', 'plain.tar');
    const result = await writeDockerArchive({ layoutDir, manifestDigest, repoTag: TAG, dest });
    expect(result.sha256).toBe(AMD64_ARCHIVE_SHA256);
    expect(await sha256File(dest)).toEqual({ sha256: AMD64_ARCHIVE_SHA256, size: AMD64_ARCHIVE_SIZE });
  });

  it('writes a layer the manifest repeats once, and names it each time', async () => {
    const layoutDir = path.join(await makeTempDir(), 'dup');
    const [l1, l2] = amd64().layers;
    const config = JSON.parse(configBytes.toString()) as { rootfs: { diff_ids: string[] } };
    config.rootfs.diff_ids = [l1!.diffId, l2!.diffId, l1!.diffId];
    const gz = 'application/vnd.oci.image.layer.v1.tar+gzip';
    const manifestDigest = await writeLayout(layoutDir, Buffer.from(JSON.stringify(config)), [
      { mediaType: gz, blob: gzipSync(l1!.tar) },
      { mediaType: gz, blob: gzipSync(l2!.tar) },
      { mediaType: 'application/vnd.oci.image.layer.v1.tar', blob: l1!.tar },
    ]);
    const dest = path.join(layoutDir, '..', 'dup.tar');
    const result = await writeDockerArchive({
      layoutDir,
      manifestDigest,
      repoTag: 'localhost:5000/x/y:v1',
      dest,
    });
    expect(result.layers).toBe(3);
    const entries = await readTar(dest);
    expect(entries.map((e) => e.name)).toEqual([
      `${hex(result.configDigest)}.json`,
      `${hex(l1!.diffId)}.tar`,
      `${hex(l2!.diffId)}.tar`,
      'manifest.json',
      'repositories',
    ]);
    const manifest = JSON.parse(entries[3]!.body.toString()) as [{ Layers: string[]; RepoTags: string[] }];
    expect(manifest[0].Layers).toEqual([l1!.diffId, l2!.diffId, l1!.diffId].map((d) => `${hex(d)}.tar`));
    expect(manifest[0].RepoTags).toEqual(['localhost:5000/x/y:v1']);
    expect(entries[4]!.body.toString()).toBe(`{"localhost:5000/x/y":{"v1":"${hex(result.configDigest)}"}}`);
  });

  it('refuses a layer whose uncompressed digest is not its diff_id, leaving nothing', async () => {
    const dir = await makeTempDir();
    const layoutDir = path.join(dir, 'tampered');
    const other = tarOf('etc/os-release', 'ID=evil\n');
    const manifestDigest = await writeLayout(layoutDir, configBytes, [
      { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', blob: gzipSync(amd64().layers[0]!.tar) },
      { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', blob: gzipSync(other) },
    ]);
    const out = path.join(dir, 'out');
    await fs.mkdir(out);
    const e = await expectAirgapError(
      writeDockerArchive({ layoutDir, manifestDigest, repoTag: TAG, dest: path.join(out, 'runner.tar') }),
    );
    expect(e.code).toBe('CHECKSUM_MISMATCH');
    expect(e.message).toContain('layer 1 ');
    expect(e.message).toContain(`rootfs.diff_ids[1] is ${AMD64_DIFF_IDS[1]}`);
    expect(e.details.expected).toBe(AMD64_DIFF_IDS[1]);
    expect(e.details.actual).toBe(sha(other));
    expect(await fs.readdir(out)).toEqual([]);
  });

  it('refuses a layer blob that differs from its manifest digest', async () => {
    const dir = await makeTempDir();
    const layoutDir = path.join(dir, 'layout');
    const layer0 = gzipSync(amd64().layers[0]!.tar);
    const manifestDigest = await writeLayout(layoutDir, configBytes, [
      { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', blob: layer0 },
      { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', blob: gzipSync(amd64().layers[1]!.tar) },
    ]);
    // Same uncompressed bytes, other gzip framing: the diff_id still holds, the blob digest does not.
    const blobPath = path.join(layoutDir, 'blobs', 'sha256', hex(sha(layer0)));
    const reframed = gzipSync(amd64().layers[0]!.tar, { level: 1 });
    await fs.writeFile(blobPath, reframed);
    const e = await expectAirgapError(
      writeDockerArchive({ layoutDir, manifestDigest, repoTag: TAG, dest: path.join(dir, 'runner.tar') }),
    );
    expect(e.code).toBe('CHECKSUM_MISMATCH');
    expect(e.message).toContain(`layer 0 blob ${blobPath}`);
    expect(e.details).toMatchObject({ path: blobPath, expected: sha(layer0), actual: sha(reframed) });
    expect((await fs.readdir(dir)).sort()).toEqual(['layout']);
  });

  it('names a missing layer, manifest or config blob by path', async () => {
    const dir = await makeTempDir();
    const layoutDir = path.join(dir, 'layout');
    const layer1 = gzipSync(amd64().layers[1]!.tar);
    const manifestDigest = await writeLayout(layoutDir, configBytes, [
      { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', blob: gzipSync(amd64().layers[0]!.tar) },
      { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', blob: layer1 },
    ]);
    const dest = path.join(dir, 'runner.tar');
    const layerPath = path.join(layoutDir, 'blobs', 'sha256', hex(sha(layer1)));
    await fs.rm(layerPath);
    let e = await expectAirgapError(writeDockerArchive({ layoutDir, manifestDigest, repoTag: TAG, dest }));
    expect(e.code).toBe('IMAGE_INVALID');
    expect(e.message).toBe(`layer ${sha(layer1)} is missing from the image layout: no ${layerPath}`);
    expect(e.details.path).toBe(layerPath);

    const configPath = path.join(layoutDir, 'blobs', 'sha256', hex(AMD64_CONFIG));
    await fs.rm(configPath);
    e = await expectAirgapError(writeDockerArchive({ layoutDir, manifestDigest, repoTag: TAG, dest }));
    expect(e.code).toBe('IMAGE_INVALID');
    expect(e.message).toBe(`image config ${AMD64_CONFIG} is missing from the image layout: no ${configPath}`);

    const absent = `sha256:${'0'.repeat(64)}`;
    e = await expectAirgapError(
      writeDockerArchive({ layoutDir, manifestDigest: absent, repoTag: TAG, dest }),
    );
    expect(e.code).toBe('IMAGE_INVALID');
    expect(e.details.path).toBe(path.join(layoutDir, 'blobs', 'sha256', '0'.repeat(64)));
    expect((await fs.readdir(dir)).sort()).toEqual(['layout']);
  });

  it('refuses zstd layers, an index, and a diff_id count that disagrees', async () => {
    const dir = await makeTempDir();
    const zstdDir = path.join(dir, 'zstd');
    const zstdDigest = await writeLayout(zstdDir, configBytes, [
      { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', blob: gzipSync(amd64().layers[0]!.tar) },
      {
        mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd',
        blob: Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0]),
      },
    ]);
    const dest = path.join(dir, 'runner.tar');
    let e = await expectAirgapError(
      writeDockerArchive({ layoutDir: zstdDir, manifestDigest: zstdDigest, repoTag: TAG, dest }),
    );
    expect(e.code).toBe('IMAGE_INVALID');
    expect(e.message).toMatch(
      /^layer 1 \(sha256:[a-f0-9]{64}\) is zstd-compressed \(application\/vnd\.oci\.image\.layer\.v1\.tar\+zstd\); Node\.js 20 cannot inflate zstd/,
    );

    e = await expectAirgapError(
      writeDockerArchive({
        layoutDir: fixture.layoutDir,
        manifestDigest: fixture.indexDigest,
        repoTag: TAG,
        dest,
      }),
    );
    expect(e.code).toBe('IMAGE_INVALID');
    expect(e.message).toContain('is an image index (application/vnd.oci.image.index.v1+json)');

    const shortDir = path.join(dir, 'short');
    const shortDigest = await writeLayout(shortDir, configBytes, [
      { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', blob: gzipSync(amd64().layers[0]!.tar) },
    ]);
    e = await expectAirgapError(
      writeDockerArchive({ layoutDir: shortDir, manifestDigest: shortDigest, repoTag: TAG, dest }),
    );
    expect(e.code).toBe('IMAGE_INVALID');
    expect(e.details).toMatchObject({ expected: '1', actual: '2' });
    expect((await fs.readdir(dir)).sort()).toEqual(['short', 'zstd']);
  });

  it('refuses a repoTag that is not REPOSITORY:TAG', async () => {
    const dest = path.join(await makeTempDir(), 'runner.tar');
    for (const repoTag of [
      'airgap/runner',
      'Airgap/runner:latest',
      `airgap/runner@sha256:${'a'.repeat(64)}`,
      'x:-bad',
    ]) {
      const e = await expectAirgapError(
        writeDockerArchive({
          layoutDir: fixture.layoutDir,
          manifestDigest: amd64().manifestDigest,
          repoTag,
          dest,
        }),
      );
      expect(e.code).toBe('OCI_REFERENCE_INVALID');
      expect(e.details.actual).toBe(repoTag);
    }
  });

  it('leaves no temp file when the final rename fails', async () => {
    const dir = await makeTempDir();
    const dest = path.join(dir, 'runner.tar');
    await fs.mkdir(dest);
    await fs.writeFile(path.join(dest, 'keep'), 'x');
    const e = await expectAirgapError(
      writeDockerArchive({
        layoutDir: fixture.layoutDir,
        manifestDigest: amd64().manifestDigest,
        repoTag: TAG,
        dest,
      }),
    );
    expect(e.code).toBe('FS_ERROR');
    expect(await fs.readdir(dir)).toEqual(['runner.tar']);
  });
});

describeWithTools(['tar'], 'writeDockerArchive, listed by GNU tar', () => {
  it('lists exactly the expected entries, modes, owners and mtimes', async () => {
    const dest = path.join(await makeTempDir(), 'runner.tar');
    await writeDockerArchive({
      layoutDir: fixture.layoutDir,
      manifestDigest: amd64().manifestDigest,
      repoTag: TAG,
      dest,
    });
    const { stdout } = await run('tar', ['--full-time', '--numeric-owner', '-tvf', dest], {
      env: { ...process.env, TZ: 'UTC', LC_ALL: 'C' },
    });
    const line = (size: number, name: string): string =>
      `-rw-r--r-- 0/0 ${String(size).padStart(15)} 1970-01-01 00:00:00 ${name}`;
    expect(stdout).toBe(
      [
        line(configBytes.length, `${hex(AMD64_CONFIG)}.json`),
        line(9728, `${hex(AMD64_DIFF_IDS[0]!)}.tar`),
        line(2560, `${hex(AMD64_DIFF_IDS[1]!)}.tar`),
        line(273, 'manifest.json'),
        line(95, 'repositories'),
        '',
      ].join('\n'),
    );
  });
});

describeWithTools(['skopeo', 'umoci'], 'writeDockerArchive, read by skopeo and umoci', () => {
  it('inspects as the image skopeo itself archives, with the config byte for byte', async () => {
    const dir = await makeTempDir();
    const ours = path.join(dir, 'ours.tar');
    await writeDockerArchive({
      layoutDir: fixture.layoutDir,
      manifestDigest: amd64().manifestDigest,
      repoTag: TAG,
      dest: ours,
    });
    const theirs = await fixtureDockerArchive(fixture, 'linux_amd64', path.join(dir, 'skopeo.tar'));
    const inspect = async (ref: string): Promise<Record<string, unknown>> =>
      JSON.parse((await run('skopeo', ['inspect', ref])).stdout) as Record<string, unknown>;
    const info = await inspect(`docker-archive:${ours}`);
    expect(info).toMatchObject({ Architecture: 'amd64', Os: 'linux', Env: BASE_ENV, Layers: AMD64_DIFF_IDS });
    expect(info).toEqual(await inspect(theirs));
    const raw = await run('skopeo', ['inspect', '--config', '--raw', `docker-archive:${ours}`], {
      encoding: 'buffer',
    });
    expect(raw.stdout).toEqual(configBytes);

    const arm = fixture.images['linux_arm64']!;
    const armDest = path.join(dir, 'arm.tar');
    const armResult = await writeDockerArchive({
      layoutDir: fixture.layoutDir,
      manifestDigest: arm.manifestDigest,
      repoTag: TAG,
      dest: armDest,
    });
    expect(armResult.configDigest).toBe(arm.configDigest);
    expect(await inspect(`docker-archive:${armDest}`)).toMatchObject({
      Architecture: 'arm64',
      Os: 'linux',
      Layers: arm.layers.map((l) => l.diffId),
    });
    // skopeo 1.9's inspect omits Variant; the config it reads carries it.
    const armConfig = await run('skopeo', ['inspect', '--config', '--raw', `docker-archive:${armDest}`]);
    expect(JSON.parse(armConfig.stdout)).toMatchObject({ architecture: 'arm64', variant: 'v8' });
  });

  it('copies to an OCI layout that umoci unpacks into the fixture tree, whiteout applied', async () => {
    const dir = await makeTempDir();
    const dest = path.join(dir, 'runner.tar');
    await writeDockerArchive({
      layoutDir: fixture.layoutDir,
      manifestDigest: amd64().manifestDigest,
      repoTag: TAG,
      dest,
    });
    await run('skopeo', ['copy', '-q', `docker-archive:${dest}`, `oci:${path.join(dir, 'oci')}:t`]);
    const bundle = path.join(dir, 'bundle');
    await run('umoci', ['unpack', '--rootless', '--image', `${path.join(dir, 'oci')}:t`, bundle]);
    const rootfs = path.join(bundle, 'rootfs');
    expect(await fs.readFile(path.join(rootfs, 'bin/busybox'), 'utf8')).toBe(
      '#!/bin/sh\necho fake busybox for amd64\n',
    );
    expect(await fs.readlink(path.join(rootfs, 'bin/ps'))).toBe('busybox');
    expect(await fs.readFile(path.join(rootfs, 'etc/os-release'), 'utf8')).toBe('ID=fixture\nARCH=amd64\n');
    expect(await fs.readdir(path.join(rootfs, 'tmp'))).toEqual([]);
  });

  it('reads plain layers that skopeo 1.9 stores under a +gzip media type', async () => {
    const dir = await makeTempDir();
    const theirs = await fixtureDockerArchive(fixture, 'linux_amd64', path.join(dir, 'skopeo.tar'));
    const layoutDir = path.join(dir, 'from-archive');
    await run('skopeo', [
      'copy',
      '-q',
      '--dest-oci-accept-uncompressed-layers',
      theirs,
      `oci:${layoutDir}:t`,
    ]);
    const index = JSON.parse(await fs.readFile(path.join(layoutDir, 'index.json'), 'utf8')) as {
      manifests: [{ digest: string }];
    };
    const manifestDigest = index.manifests[0].digest;
    const manifest = JSON.parse(
      await fs.readFile(path.join(layoutDir, 'blobs', 'sha256', hex(manifestDigest)), 'utf8'),
    ) as { layers: { mediaType: string; digest: string }[] };
    // The premise: blobs whose digests are the diff_ids (uncompressed), labelled gzip.
    expect(manifest.layers).toEqual(
      AMD64_DIFF_IDS.map((digest) =>
        expect.objectContaining({ digest, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' }),
      ),
    );
    const result = await writeDockerArchive({
      layoutDir,
      manifestDigest,
      repoTag: TAG,
      dest: path.join(dir, 'ours.tar'),
    });
    expect(result.sha256).toBe(AMD64_ARCHIVE_SHA256);
  });
});
