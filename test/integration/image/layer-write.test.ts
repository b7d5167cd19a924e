// The image layer writer: the bytes it writes are exactly the tar the plan describes
// (checked against the same headers concatenated in the test, and read back by GNU
// tar), the digest is the sha256 of those bytes whichever way they were fed (files
// read into shared slots, in-memory bytes, a zip member's stream), and a source that
// changed under it fails without leaving a blob or a temp file.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { encodeTarHeader, tarPadding, TAR_END_SIZE } from '../../../src/adapters/archive/tar-write.js';
import { writeLayerBlob } from '../../../src/adapters/oci/layer-write.js';
import type { LayerEntry } from '../../../src/core/image/layer-plan.js';
import { makeTempDir } from '../../helpers/tmp.js';

const run = promisify(execFile);
const MTIME = new Date('2025-11-24T16:00:00Z');

async function zipWith(file: string, name: string, body: Buffer): Promise<void> {
  const zip = new yazl.ZipFile();
  zip.addBuffer(body, name, { mtime: MTIME, mode: 0o100755 });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  await fs.writeFile(file, Buffer.concat(chunks));
}

function expectedTar(entries: LayerEntry[], bodies: Map<string, Buffer>): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    if (e.type === 'directory') {
      parts.push(encodeTarHeader({ ...e, size: 0, mtime: MTIME }));
      continue;
    }
    parts.push(
      encodeTarHeader({ ...e, mtime: MTIME }),
      bodies.get(e.name)!,
      Buffer.alloc(tarPadding(e.size)),
    );
  }
  parts.push(Buffer.alloc(TAR_END_SIZE));
  return Buffer.concat(parts);
}

describe('writeLayerBlob', () => {
  it('writes exactly the planned tar, named by its sha256, from files, bytes and a zip member', async () => {
    const dir = await makeTempDir();
    const bundle = path.join(dir, 'bundle');
    await fs.mkdir(path.join(bundle, 'providers/h/ns/t'), { recursive: true });
    await fs.mkdir(path.join(bundle, 'tofu/1.8.5'), { recursive: true });
    // Larger than several 1 MiB slots, and not a multiple of the slot or block size.
    const big = Buffer.alloc(5 * 1024 * 1024 + 12345);
    for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
    await fs.writeFile(path.join(bundle, 'providers/h/ns/t/p.zip'), big);
    const tofu = Buffer.from('#!/bin/sh\necho tofu\n'.repeat(70000));
    await zipWith(path.join(bundle, 'tofu/1.8.5/tofu.zip'), 'tofu', tofu);
    const cfg = Buffer.from('provider_installation {}\n');
    const entries: LayerEntry[] = [
      {
        type: 'file',
        name: 'bin/tofu',
        mode: 0o755,
        size: tofu.length,
        source: {
          kind: 'zip-member',
          zip: 'tofu/1.8.5/tofu.zip',
          zipSha256: 'not-read-here',
          member: 'tofu',
        },
      },
      { type: 'directory', name: 'etc/airgap/', mode: 0o755 },
      {
        type: 'file',
        name: 'etc/airgap/tofurc',
        mode: 0o644,
        size: cfg.length,
        source: { kind: 'bytes', bytes: cfg },
      },
      { type: 'directory', name: 'providers/', mode: 0o755 },
      {
        type: 'file',
        name: 'providers/h/ns/t/p.zip',
        mode: 0o644,
        size: big.length,
        source: { kind: 'bundle-file', path: 'providers/h/ns/t/p.zip', sha256: 'not-read-here' },
      },
    ];
    const want = expectedTar(
      entries,
      new Map([
        ['bin/tofu', tofu],
        ['etc/airgap/tofurc', cfg],
        ['providers/h/ns/t/p.zip', big],
      ]),
    );
    const blobs = path.join(dir, 'blobs/sha256');
    let reported = 0;
    const layer = await writeLayerBlob({
      entries,
      bundleDir: bundle,
      blobsDir: blobs,
      mtime: MTIME,
      onBytes: (n) => (reported += n),
    });
    const hex = createHash('sha256').update(want).digest('hex');
    expect(layer).toEqual({ digest: `sha256:${hex}`, size: want.length });
    expect(reported).toBe(want.length);
    const written = await fs.readFile(path.join(blobs, hex));
    expect(written.equals(want)).toBe(true);
    expect(await fs.readdir(blobs)).toEqual([hex]);
    const listing = await run('tar', ['--numeric-owner', '-tvf', path.join(blobs, hex)], {
      env: { TZ: 'UTC' },
    });
    expect(
      listing.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(/\s+/).slice(0, 3).concat(l.split(/\s+/).slice(-1))),
    ).toEqual([
      ['-rwxr-xr-x', '0/0', String(tofu.length), 'bin/tofu'],
      ['drwxr-xr-x', '0/0', '0', 'etc/airgap/'],
      ['-rw-r--r--', '0/0', String(cfg.length), 'etc/airgap/tofurc'],
      ['drwxr-xr-x', '0/0', '0', 'providers/'],
      ['-rw-r--r--', '0/0', String(big.length), 'providers/h/ns/t/p.zip'],
    ]);
    // Again: the same blob, kept as it is.
    const before = await fs.stat(path.join(blobs, hex));
    expect(await writeLayerBlob({ entries, bundleDir: bundle, blobsDir: blobs, mtime: MTIME })).toEqual(
      layer,
    );
    expect((await fs.stat(path.join(blobs, hex))).ino).toBe(before.ino);
    expect(await fs.readdir(blobs)).toEqual([hex]);
  });

  it('fails on a file shorter than planned and leaves nothing behind', async () => {
    const dir = await makeTempDir();
    await fs.mkdir(path.join(dir, 'bundle/providers'), { recursive: true });
    await fs.writeFile(path.join(dir, 'bundle/providers/p.zip'), Buffer.alloc(3000, 1));
    const blobs = path.join(dir, 'blobs/sha256');
    const entries: LayerEntry[] = [
      {
        type: 'file',
        name: 'providers/p.zip',
        mode: 0o644,
        size: 4000,
        source: { kind: 'bundle-file', path: 'providers/p.zip', sha256: 'not-read-here' },
      },
    ];
    await expect(
      writeLayerBlob({ entries, bundleDir: path.join(dir, 'bundle'), blobsDir: blobs, mtime: MTIME }),
    ).rejects.toThrow('providers/p.zip changed while the image layer was written: 3000 bytes, expected 4000');
    expect(await fs.readdir(blobs)).toEqual([]);
  });
});
