// The base rootfs as its layers build it: whiteouts, opaque directories, symlinks,
// captured files, /etc/passwd users, and the layers it cannot read.
import fs from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { scanRootfs, type RootfsLayer } from '../../../src/adapters/oci/rootfs-scan.js';
import { IMAGE_MEDIA_TYPES } from '../../../src/core/image/oci-image.js';
import {
  BASE_CA_BUNDLE,
  BASE_PASSWD_WITH_SPACELIFT,
  writeBaseImageLayout,
  type BaseImageFixture,
} from '../../helpers/base-image.js';
import { makeTempDir } from '../../helpers/tmp.js';
import { blobFile, rejection, tarOf, type TarItem } from './helpers.js';

const CA = 'etc/ssl/certs/ca-certificates.crt';
let dir: string;
let fixture: BaseImageFixture;
let counter = 0;

function fixtureLayers(f: BaseImageFixture, platform = 'linux_amd64'): RootfsLayer[] {
  return f.images[platform]!.layers.map((l) => ({
    path: blobFile(f.layoutDir, l.digest),
    mediaType: IMAGE_MEDIA_TYPES.ociLayerGzip,
  }));
}

async function layer(items: TarItem[], how: 'gzip' | 'plain' = 'gzip'): Promise<RootfsLayer> {
  const file = path.join(dir, `layer-${counter++}`);
  const tar = tarOf(items);
  await fs.writeFile(file, how === 'gzip' ? gzipSync(tar) : tar);
  return {
    path: file,
    mediaType: how === 'gzip' ? IMAGE_MEDIA_TYPES.ociLayerGzip : IMAGE_MEDIA_TYPES.ociLayer,
  };
}

beforeAll(async () => {
  dir = await makeTempDir('airgap-rootfs-');
  fixture = await writeBaseImageLayout(path.join(dir, 'layout'));
});

describe('scanRootfs on the fixture base image', () => {
  it('applies the whiteout, follows /bin/ps to busybox and reads the captured files', async () => {
    const view = await scanRootfs(fixtureLayers(fixture), [`/${CA}`]);
    expect(view.stat('/tmp/junk')).toBeUndefined();
    expect(view.stat('tmp')).toEqual({ type: 'directory', mode: 0o1777, size: 0 });
    expect(view.stat('/bin/ps')).toEqual({ type: 'symlink', mode: 0o777, size: 0, linkname: 'busybox' });
    const busybox = '#!/bin/sh\necho fake busybox for amd64\n';
    expect(view.stat('/bin/busybox')).toEqual({ type: 'file', mode: 0o755, size: busybox.length });
    expect(view.resolve('/bin/ps')).toBe('/bin/busybox');
    expect(view.resolve('bin/sh')).toBe('/bin/busybox');
    expect(view.resolve('/bin/nope')).toBeUndefined();
    expect(view.stat('/etc/os-release')).toEqual({ type: 'file', mode: 0o644, size: 22 });
    expect(Buffer.from(view.read('/etc/passwd')!).toString('utf8')).toBe(BASE_PASSWD_WITH_SPACELIFT);
    expect(Buffer.from(view.read(CA)!).toString('utf8')).toBe(BASE_CA_BUNDLE);
    // Not asked for: not kept.
    expect(view.read('/etc/os-release')).toBeUndefined();
    expect(view.hasUser(1983)).toBe(true);
    expect(view.hasUser(0)).toBe(true);
    expect(view.hasUser(65534)).toBe(false);
  });

  it('finds no uid 1983 in the spacelift:false variant, and no ps in the ps:false one', async () => {
    const other = await writeBaseImageLayout(path.join(dir, 'layout-nouser'), {
      spacelift: false,
      ps: false,
      platforms: ['linux_arm64'],
    });
    const view = await scanRootfs(fixtureLayers(other, 'linux_arm64'), []);
    expect(view.hasUser(1983)).toBe(false);
    expect(view.hasUser(65534)).toBe(true);
    expect(view.resolve('/bin/ps')).toBeUndefined();
    expect(view.resolve('/bin/sh')).toBe('/bin/busybox');
  });
});

describe('scanRootfs with layers built here', () => {
  it('empties a directory of its lower content on an opaque whiteout, wherever it sits in the tar', async () => {
    const lower = await layer([
      { name: 'opt/', type: 'Directory' },
      { name: 'opt/a', type: 'File', body: 'a' },
      { name: 'opt/sub/', type: 'Directory' },
      { name: 'opt/sub/b', type: 'File', body: 'b' },
      { name: 'keep', type: 'File', body: 'k' },
    ]);
    // The new file comes before the marker: the marker hides lower content only.
    const upper = await layer([
      { name: 'opt/c', type: 'File', body: 'cc' },
      { name: 'opt/.wh..wh..opq', type: 'File' },
    ]);
    const view = await scanRootfs([lower, upper], []);
    expect(view.stat('opt/a')).toBeUndefined();
    expect(view.stat('opt/sub')).toBeUndefined();
    expect(view.stat('opt/sub/b')).toBeUndefined();
    expect(view.stat('opt/c')).toEqual({ type: 'file', mode: 0o644, size: 2 });
    expect(view.stat('opt')).toEqual({ type: 'directory', mode: 0o755, size: 0 });
    expect(view.stat('keep')).toEqual({ type: 'file', mode: 0o644, size: 1 });
  });

  it('removes a whited-out directory with everything below it, but not what the same layer adds', async () => {
    const lower = await layer([
      { name: 'opt/sub/deep/x', type: 'File', body: 'x' },
      { name: 'opt/y', type: 'File', body: 'y' },
    ]);
    const upper = await layer([
      { name: 'opt/.wh.sub', type: 'File' },
      { name: 'opt/.wh.y', type: 'File' },
      { name: 'opt/y', type: 'File', body: 'new y' },
    ]);
    const view = await scanRootfs([lower, upper], []);
    expect(view.stat('opt/sub')).toBeUndefined();
    expect(view.stat('opt/sub/deep/x')).toBeUndefined();
    expect(view.stat('opt/y')).toEqual({ type: 'file', mode: 0o644, size: 5 });
    // A directory implied by a file's path, without an entry of its own.
    expect(view.stat('opt')).toEqual({ type: 'directory', mode: 0o755, size: 0 });
  });

  it('captures a file by the path a symlink or hardlink leads to, in a later pass', async () => {
    const passwd = 'root:x:0:0::/root:/bin/sh\nrunner:x:1983:1983::/home/runner:/bin/sh\n';
    const lower = await layer([
      { name: 'usr/share/base/passwd', type: 'File', body: passwd },
      { name: 'usr/share/base/ca.pem', type: 'File', body: 'CA' },
      { name: 'usr/share/base/ca-link.pem', type: 'Link', linkpath: 'usr/share/base/ca.pem' },
    ]);
    const upper = await layer(
      [
        { name: 'etc/passwd', type: 'SymbolicLink', linkpath: '/usr/share/base/passwd' },
        {
          name: 'etc/ssl/certs/ca-certificates.crt',
          type: 'SymbolicLink',
          linkpath: '../../../usr/share/base/ca-link.pem',
        },
      ],
      'plain',
    );
    const view = await scanRootfs([lower, upper], [CA]);
    expect(view.resolve('/etc/passwd')).toBe('/usr/share/base/passwd');
    expect(view.hasUser(1983)).toBe(true);
    expect(Buffer.from(view.read('/etc/passwd')!).toString('utf8')).toBe(passwd);
    expect(view.stat(CA)).toEqual({
      type: 'symlink',
      mode: 0o644,
      size: 0,
      linkname: '../../../usr/share/base/ca-link.pem',
    });
    expect(Buffer.from(view.read(CA)!).toString('utf8')).toBe('CA');
  });

  it('follows symlinked parents, refuses loops and dangling links, and puts files under a linked dir where it leads', async () => {
    const lower = await layer([
      { name: 'usr/lib/', type: 'Directory' },
      { name: 'usr/lib/libc.so', type: 'File', body: 'elf' },
      { name: 'lib', type: 'SymbolicLink', linkpath: 'usr/lib' },
      { name: 'loop1', type: 'SymbolicLink', linkpath: 'loop2' },
      { name: 'loop2', type: 'SymbolicLink', linkpath: '/loop1' },
      { name: 'dangling', type: 'SymbolicLink', linkpath: '/nowhere' },
      { name: 'up', type: 'SymbolicLink', linkpath: '../../../usr' },
    ]);
    // usrmerge: a later layer writing lib/x without a lib/ entry writes through the link.
    const upper = await layer([{ name: 'lib/libz.so', type: 'File', body: 'z' }]);
    const view = await scanRootfs([lower, upper], []);
    expect(view.resolve('/lib/libc.so')).toBe('/usr/lib/libc.so');
    expect(view.resolve('/lib')).toBe('/usr/lib');
    expect(view.resolve('/up/lib/libc.so')).toBe('/usr/lib/libc.so');
    expect(view.resolve('/loop1')).toBeUndefined();
    expect(view.resolve('/dangling')).toBeUndefined();
    expect(view.resolve('/usr/lib/libc.so/x')).toBeUndefined();
    expect(view.stat('lib')).toMatchObject({ type: 'symlink', linkname: 'usr/lib' });
    expect(view.stat('usr/lib/libz.so')).toEqual({ type: 'file', mode: 0o644, size: 1 });
    expect(view.resolve('/')).toBe('/');
  });

  it('sniffs gzip whatever the media type says, and has no passwd user without /etc/passwd', async () => {
    const gz = await layer([{ name: './etc/hostname', type: 'File', body: 'h' }]);
    const view = await scanRootfs([{ path: gz.path, mediaType: IMAGE_MEDIA_TYPES.dockerLayer }], []);
    expect(view.stat('/etc/hostname')).toEqual({ type: 'file', mode: 0o644, size: 1 });
    expect(view.hasUser(0)).toBe(false);
  });

  it('refuses zstd layers with the Node 20 reason, and a layer that is not a tar', async () => {
    const zstdFile = path.join(dir, 'zstd-layer');
    // A zstd frame header (magic 28 b5 2f fd) is enough: the scan must stop before decoding.
    await fs.writeFile(zstdFile, Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58, 0x00, 0x00]));
    const zstd = await rejection(
      scanRootfs([{ path: zstdFile, mediaType: IMAGE_MEDIA_TYPES.ociLayerZstd }], []),
    );
    expect(zstd.code).toBe('IMAGE_INVALID');
    expect(zstd.message).toBe(
      `base layer 1 (${zstdFile}) is zstd-compressed; zstd base layers can't be inspected on Node 20`,
    );
    // Found by magic even when the media type claims a plain tar.
    const sniffed = await rejection(
      scanRootfs([{ path: zstdFile, mediaType: IMAGE_MEDIA_TYPES.ociLayer }], []),
    );
    expect(sniffed.message).toContain("zstd base layers can't be inspected on Node 20");

    const junk = path.join(dir, 'junk-layer');
    await fs.writeFile(junk, Buffer.alloc(1024, 0x41));
    const bad = await rejection(scanRootfs([{ path: junk, mediaType: IMAGE_MEDIA_TYPES.ociLayer }], []));
    expect(bad.code).toBe('IMAGE_INVALID');
    expect(bad.message).toMatch(new RegExp(`^base layer 1 \\(${junk}\\) is not a readable layer tar: `));

    const foreign = await rejection(
      scanRootfs([{ path: junk, mediaType: IMAGE_MEDIA_TYPES.dockerForeignLayerGzip }], []),
    );
    expect(foreign.code).toBe('IMAGE_INVALID');
    expect(foreign.details.actual).toBe(IMAGE_MEDIA_TYPES.dockerForeignLayerGzip);
  });

  it('refuses an entry that climbs out of the root', async () => {
    const evil = await layer([{ name: 'a/../../etc/passwd', type: 'File', body: 'x' }], 'plain');
    const error = await rejection(scanRootfs([evil], []));
    expect(error.code).toBe('IMAGE_INVALID');
    expect(error.message).toBe(
      `base layer 1 (${evil.path}): entry "a/../../etc/passwd" has a ".." component`,
    );
  });
});
