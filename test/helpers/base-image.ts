// A tiny multi-arch base image made by the tests themselves, standing in for
// public.ecr.aws/spacelift/runner-terraform: an OCI image layout with an index
// over linux/amd64 and linux/arm64 (variant v8), two gzip layers each:
//   layer 1: etc/passwd (root, and spacelift:x:1983 unless `spacelift: false`),
//            etc/ssl/certs/ca-certificates.crt, bin/busybox (0755), bin/sh -> busybox,
//            bin/ps -> busybox (unless `ps: false`), tmp/junk
//   layer 2: etc/os-release, and the whiteout tmp/.wh.junk removing tmp/junk
// Configs carry User, Env, Entrypoint, Cmd, WorkingDir and history, so that tests
// can check the built image keeps them. Bytes are deterministic.
// Also: the same image as docker-archive / oci-archive (made by real skopeo) and
// pushed into a registry (skopeo copy --all).

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';

const run = promisify(execFile);

export const BASE_TAG = 'base';
export const BASE_PASSWD_WITH_SPACELIFT =
  'root:x:0:0:root:/root:/bin/sh\nspacelift:x:1983:1983:spacelift:/home/spacelift:/bin/sh\n';
export const BASE_PASSWD_WITHOUT_SPACELIFT =
  'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n';
export const BASE_CA_BUNDLE =
  '# base image CA bundle\n-----BEGIN CERTIFICATE-----\nQkFTRQ==\n-----END CERTIFICATE-----\n';
export const BASE_ENV = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'BASE_MARK=1'];
export const BASE_CREATED = '2024-01-02T03:04:05Z';

export type FixturePlatform = 'linux_amd64' | 'linux_arm64';

export interface BaseImageOptions {
  platforms?: FixturePlatform[];
  /** Put bin/ps in the image (default true). */
  ps?: boolean;
  /** A spacelift user with uid 1983 in /etc/passwd (default true). */
  spacelift?: boolean;
  /** Content of /etc/ssl/certs/ca-certificates.crt; null: no such file (default BASE_CA_BUNDLE). */
  caBundle?: string | null;
}

export interface FixtureLayer {
  digest: string;
  diffId: string;
  size: number;
  /** Uncompressed tar bytes. */
  tar: Buffer;
}

export interface FixtureImage {
  platform: FixturePlatform;
  manifestDigest: string;
  manifestSize: number;
  configDigest: string;
  config: Record<string, unknown>;
  layers: FixtureLayer[];
}

export interface BaseImageFixture {
  layoutDir: string;
  /** `oci:LAYOUT:base` */
  reference: string;
  indexDigest: string;
  images: Record<string, FixtureImage>;
}

interface TarItem {
  name: string;
  type: 'File' | 'Directory' | 'SymbolicLink';
  mode: number;
  body?: string;
  linkpath?: string;
}

function tarBytes(items: TarItem[]): Buffer {
  const parts: Buffer[] = [];
  for (const item of items) {
    const body = Buffer.from(item.body ?? '', 'utf8');
    const header = new Header({
      path: item.name,
      type: item.type,
      mode: item.mode,
      size: item.type === 'File' ? body.length : 0,
      mtime: new Date('2024-01-02T03:04:05Z'),
      uid: 0,
      gid: 0,
      uname: '',
      gname: '',
      ...(item.linkpath === undefined ? {} : { linkpath: item.linkpath }),
    });
    header.encode();
    parts.push(header.block!);
    if (item.type === 'File' && body.length > 0) {
      parts.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
    }
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

const sha = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function putBlob(layoutDir: string, bytes: Uint8Array): Promise<string> {
  const digest = sha(bytes);
  const file = path.join(layoutDir, 'blobs', 'sha256', digest.slice('sha256:'.length));
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, bytes);
  return digest;
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

/** Writes the fixture's OCI layout at `layoutDir` (created) and describes it. */
export async function writeBaseImageLayout(
  layoutDir: string,
  options: BaseImageOptions = {},
): Promise<BaseImageFixture> {
  const platforms = options.platforms ?? ['linux_amd64', 'linux_arm64'];
  await fs.mkdir(layoutDir, { recursive: true });
  await fs.writeFile(path.join(layoutDir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const images: Record<string, FixtureImage> = {};
  const descriptors: unknown[] = [];
  for (const platform of platforms) {
    const arch = platform.split('_')[1]!;
    const passwd = options.spacelift === false ? BASE_PASSWD_WITHOUT_SPACELIFT : BASE_PASSWD_WITH_SPACELIFT;
    const ca = options.caBundle === undefined ? BASE_CA_BUNDLE : options.caBundle;
    const layer1: TarItem[] = [
      { name: 'bin/', type: 'Directory', mode: 0o755 },
      { name: 'bin/busybox', type: 'File', mode: 0o755, body: `#!/bin/sh\necho fake busybox for ${arch}\n` },
      ...(options.ps === false
        ? []
        : [{ name: 'bin/ps', type: 'SymbolicLink' as const, mode: 0o777, linkpath: 'busybox' }]),
      { name: 'bin/sh', type: 'SymbolicLink', mode: 0o777, linkpath: 'busybox' },
      { name: 'etc/', type: 'Directory', mode: 0o755 },
      { name: 'etc/passwd', type: 'File', mode: 0o644, body: passwd },
      ...(ca === null
        ? []
        : [
            { name: 'etc/ssl/', type: 'Directory' as const, mode: 0o755 },
            { name: 'etc/ssl/certs/', type: 'Directory' as const, mode: 0o755 },
            { name: 'etc/ssl/certs/ca-certificates.crt', type: 'File' as const, mode: 0o644, body: ca },
          ]),
      { name: 'home/', type: 'Directory', mode: 0o755 },
      { name: 'home/spacelift/', type: 'Directory', mode: 0o755 },
      { name: 'tmp/', type: 'Directory', mode: 0o1777 },
      { name: 'tmp/junk', type: 'File', mode: 0o644, body: 'removed by layer 2\n' },
    ];
    const layer2: TarItem[] = [
      { name: 'etc/os-release', type: 'File', mode: 0o644, body: `ID=fixture\nARCH=${arch}\n` },
      { name: 'tmp/.wh.junk', type: 'File', mode: 0o644 },
    ];
    const layers: FixtureLayer[] = [];
    for (const items of [layer1, layer2]) {
      const tar = tarBytes(items);
      const gz = gzipSync(tar, { level: 6 });
      const digest = await putBlob(layoutDir, gz);
      layers.push({ digest, diffId: sha(tar), size: gz.length, tar });
    }
    const config = {
      created: BASE_CREATED,
      architecture: arch,
      ...(arch === 'arm64' ? { variant: 'v8' } : {}),
      os: 'linux',
      config: {
        User: 'spacelift',
        Env: BASE_ENV,
        Entrypoint: ['/bin/sh'],
        Cmd: ['-c', 'echo base'],
        WorkingDir: '/home/spacelift',
        Labels: { 'org.example.fixture': 'base' },
      },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: [
        { created: BASE_CREATED, created_by: 'fixture layer 1' },
        { created: BASE_CREATED, created_by: 'fixture layer 2' },
      ],
    };
    const configBytes = json(config);
    const configDigest = await putBlob(layoutDir, configBytes);
    const manifest = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: configDigest,
        size: configBytes.length,
      },
      layers: layers.map((l) => ({
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
        digest: l.digest,
        size: l.size,
      })),
    };
    const manifestBytes = json(manifest);
    const manifestDigest = await putBlob(layoutDir, manifestBytes);
    descriptors.push({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: manifestDigest,
      size: manifestBytes.length,
      platform: { architecture: arch, os: 'linux', ...(arch === 'arm64' ? { variant: 'v8' } : {}) },
    });
    images[platform] = {
      platform,
      manifestDigest,
      manifestSize: manifestBytes.length,
      configDigest,
      config,
      layers,
    };
  }
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: descriptors,
  };
  const indexBytes = json(index);
  const indexDigest = await putBlob(layoutDir, indexBytes);
  await fs.writeFile(
    path.join(layoutDir, 'index.json'),
    json({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.index.v1+json',
          digest: indexDigest,
          size: indexBytes.length,
          annotations: { 'org.opencontainers.image.ref.name': BASE_TAG },
        },
      ],
    }),
  );
  return { layoutDir, reference: `oci:${layoutDir}:${BASE_TAG}`, indexDigest, images };
}

/** `docker-archive:FILE` of one platform of the fixture, written by real skopeo (tagged `base:latest`). */
export async function fixtureDockerArchive(
  fixture: BaseImageFixture,
  platform: FixturePlatform,
  file: string,
): Promise<string> {
  const arch = platform.split('_')[1]!;
  await run('skopeo', [
    '--override-os',
    'linux',
    '--override-arch',
    arch,
    'copy',
    '-q',
    `oci:${fixture.layoutDir}:${BASE_TAG}`,
    `docker-archive:${file}:base:latest`,
  ]);
  return `docker-archive:${file}`;
}

/** `oci-archive:FILE` of the whole fixture (every platform), written by real skopeo. */
export async function fixtureOciArchive(fixture: BaseImageFixture, file: string): Promise<string> {
  await run('skopeo', [
    'copy',
    '-q',
    '--all',
    `oci:${fixture.layoutDir}:${BASE_TAG}`,
    `oci-archive:${file}:${BASE_TAG}`,
  ]);
  return `oci-archive:${file}`;
}

/** Pushes the whole fixture to `HOST:PORT/REPO:TAG` over plain http with skopeo; returns that reference. */
export async function pushFixtureToRegistry(
  fixture: BaseImageFixture,
  target: string,
  options: { tlsVerify?: boolean; creds?: string; certDir?: string } = {},
): Promise<string> {
  const args = ['copy', '-q', '--all', '--preserve-digests'];
  if (options.certDir !== undefined) args.push('--dest-cert-dir', options.certDir);
  else args.push(`--dest-tls-verify=${options.tlsVerify ?? false}`);
  if (options.creds !== undefined) args.push('--dest-creds', options.creds);
  args.push(`oci:${fixture.layoutDir}:${BASE_TAG}`, `docker://${target}`);
  await run('skopeo', args);
  return target;
}
