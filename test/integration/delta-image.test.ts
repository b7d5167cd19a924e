// Delta bundles and the runner image (issue 14 §1: "OCI image blobs already in the base are
// left out by digest"). v1 carries the fixture image; v2 the same image with another first
// layer (another CA bundle: new layer-1 blobs, configs, manifests and index; the second
// layers and oci-layout shared) and a bumped provider; v3 v2's image unchanged and another
// provider bump. The deltas v1→v2 and v2→v3 carry exactly the blobs their base lacks, and
// import of full v1, then both deltas, rebuilds DIR/image as each new bundle's layout byte
// for byte, which `airgap verify DIR` accepts. A shared layer blob with other bytes at the
// destination refuses the delta by name, DIR unchanged; --push after a delta import uploads
// only the new blobs to a real docker-registry. Everything through the built CLI; members
// listed with GNU tar.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, expect, it } from 'vitest';

import { parseManifest } from '../../src/core/bundle/manifest.js';
import type { FixtureImage } from '../helpers/base-image.js';
import { runCli } from '../helpers/cli.js';
import { startDockerRegistry, type DockerRegistry } from '../helpers/docker-registry.js';
import { addImageToBundle, listFiles, type BundleImage } from '../helpers/image-bundle.js';
import { treeDigest, writeFixtureBundle } from '../helpers/import-fixtures.js';
import { generateSigningKey } from '../helpers/pgp.js';
import { makeTempDir } from '../helpers/tmp.js';
import { describeWithTools } from '../helpers/tools.js';
import { fakeToolArchive } from '../helpers/transfer.js';

const exec = promisify(execFile);
const ENV = { SOURCE_DATE_EPOCH: '1764000000' };
const NULL_DIR = 'providers/registry.airgap.test/hashicorp/null';

function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function members(tarball: string): Promise<string[]> {
  const { stdout } = await exec('tar', ['-tf', tarball]);
  return stdout.split('\n').filter((l) => l !== '');
}

async function member(tarball: string, name: string): Promise<string> {
  const { stdout } = await exec('tar', ['-xOf', tarball, name], { maxBuffer: 64 << 20 });
  return stdout;
}

async function memberBytes(tarball: string, name: string): Promise<Buffer> {
  const { stdout } = await exec('tar', ['-xOf', tarball, name], { encoding: 'buffer', maxBuffer: 64 << 20 });
  return stdout;
}

function blob(digest: string): string {
  return `image/blobs/sha256/${digest.slice('sha256:'.length)}`;
}

function images(image: BundleImage): FixtureImage[] {
  return ['linux_amd64', 'linux_arm64'].map((p) => image.fixture.images[p]!);
}

/** Every file below `root` with its sha256, sorted by path. */
async function tree(root: string): Promise<[string, string][]> {
  const files = await listFiles(root);
  return Promise.all(
    files.map(async (f) => [f, sha256(await fs.readFile(path.join(root, f)))] as [string, string]),
  );
}

describeWithTools(['tar'], 'delta bundles with a runner image', () => {
  let work: string;
  let pub: string;
  let priv: string;
  let tool: string;
  const dirs: Record<string, string> = {};
  const imgs: Record<string, BundleImage> = {};
  let v1Tar: string;
  let d12: string;
  let d23: string;

  const exportArgs = (dir: string, tarball: string, ...more: string[]): string[] => [
    'export',
    dir,
    '--tarball',
    tarball,
    '--sign-key',
    priv,
    '--tool-package',
    tool,
    ...more,
  ];
  const importArgs = (tarball: string, dest: string): string[] => [
    'import',
    tarball,
    '--dest',
    dest,
    '--trusted-key',
    pub,
    '--platform',
    'linux_amd64',
  ];

  beforeAll(async () => {
    work = await makeTempDir('airgap-delta-image-');
    const key = await generateSigningKey({ name: 'delta image signer' });
    pub = path.join(work, 'signer.asc');
    priv = path.join(work, 'signer.key');
    tool = path.join(work, 'airgap-0.1.0.tgz');
    await fs.writeFile(pub, key.publicKeyArmored);
    await fs.writeFile(priv, key.privateKeyArmored);
    await fs.writeFile(tool, fakeToolArchive());
    const cache = path.join(work, 'cache');
    const versions = { v1: '3.2.1', v2: '3.2.2', v3: '3.2.3' } as const;
    const created = { v1: '2026-01-01T00:00:00Z', v2: '2026-02-01T00:00:00Z', v3: '2026-03-01T00:00:00Z' };
    const caBundle = '# another CA bundle\n-----BEGIN CERTIFICATE-----\nTkVX\n-----END CERTIFICATE-----\n';
    for (const name of ['v1', 'v2', 'v3'] as const) {
      const dir = path.join(work, name);
      const bundle = await writeFixtureBundle(dir, {
        createdAt: created[name],
        packageCache: cache,
        providers: [
          { namespace: 'hashicorp', type: 'null', version: versions[name], platforms: ['linux_amd64'] },
        ],
      });
      const { image } = await addImageToBundle(bundle, name === 'v1' ? {} : { caBundle });
      // An unpacked mirror output has no SHA256SUMS; export writes it.
      await fs.rm(path.join(dir, 'SHA256SUMS'));
      dirs[name] = dir;
      imgs[name] = image;
    }
    v1Tar = path.join(work, 'v1.tar');
    d12 = path.join(work, 'd12.tar');
    d23 = path.join(work, 'd23.tar');
    const v2Tar = path.join(work, 'v2.tar');
    const full1 = await runCli(exportArgs(dirs['v1']!, v1Tar), { env: ENV });
    const full2 = await runCli(exportArgs(dirs['v2']!, v2Tar), { env: ENV });
    expect([full1.code, full2.code], full1.stderr + full2.stderr).toEqual([0, 0]);
    const a = await runCli(exportArgs(dirs['v2']!, d12, '--base', v1Tar, '--trusted-key', pub), { env: ENV });
    const b = await runCli(exportArgs(dirs['v3']!, d23, '--base', v2Tar, '--trusted-key', pub), { env: ENV });
    expect([a.code, b.code], a.stderr + b.stderr).toEqual([0, 0]);
  }, 60_000);

  it('the fixture images share what the test says they share', () => {
    const [v1a, v1b] = images(imgs['v1']!);
    const [v2a, v2b] = images(imgs['v2']!);
    // Another first layer; the same second layer on each platform.
    expect(v2a!.layers[0]!.digest).not.toBe(v1a!.layers[0]!.digest);
    expect(v2b!.layers[0]!.digest).not.toBe(v1b!.layers[0]!.digest);
    expect(v2a!.layers[1]!.digest).toBe(v1a!.layers[1]!.digest);
    expect(v2b!.layers[1]!.digest).toBe(v1b!.layers[1]!.digest);
    expect(v2a!.configDigest).not.toBe(v1a!.configDigest);
    expect(imgs['v3']!.files).toEqual(imgs['v2']!.files);
    expect(imgs['v3']!.layoutIndex).toEqual(imgs['v2']!.layoutIndex);
  });

  it('v1→v2 carries the new blobs and leaves the shared ones to the base, by digest', async () => {
    const v2 = imgs['v2']!;
    const changed = images(v2).flatMap((i) => [i.manifestDigest, i.configDigest, i.layers[0]!.digest]);
    const shared = images(v2).map((i) => i.layers[1]!.digest);
    const newBlobs = [v2.fixture.indexDigest, ...changed].map(blob).sort();
    expect(newBlobs).toHaveLength(7);
    expect(await members(d12)).toEqual([
      'SHA256SUMS.sig',
      'SHA256SUMS',
      'airgap.json',
      'image/',
      'image/blobs/',
      'image/blobs/sha256/',
      ...newBlobs,
      'image/index.json',
      'providers/',
      'providers/registry.airgap.test/',
      'providers/registry.airgap.test/hashicorp/',
      `${NULL_DIR}/`,
      `${NULL_DIR}/3.2.2.json`,
      `${NULL_DIR}/index.json`,
      `${NULL_DIR}/terraform-provider-null_3.2.2_linux_amd64.zip`,
    ]);
    // Carried blobs are the bytes of v2's layout.
    for (const b of newBlobs) {
      expect(sha256(await memberBytes(d12, b))).toBe(sha256(await fs.readFile(path.join(dirs['v2']!, b))));
    }
    const packed = parseManifest(await member(d12, 'airgap.json'), 'd12 airgap.json');
    expect(packed.kind).toBe('delta');
    const ref = async (p: string): Promise<{ path: string; size: number; sha256: string }> => {
      const bytes = await fs.readFile(path.join(dirs['v2']!, p));
      return { path: p, size: bytes.length, sha256: sha256(bytes) };
    };
    const toolBytes = await fs.readFile(tool);
    expect(packed.delta!.fromBase).toEqual([
      await ref('config/tofurc'),
      ...(await Promise.all([...shared.map(blob).sort(), 'image/oci-layout'].map(ref))),
      { path: 'tool/airgap-0.1.0.tgz', size: toolBytes.length, sha256: sha256(toolBytes) },
    ]);
    // The shared second layers are the very blobs v1 carried.
    const v1Blobs = (await members(v1Tar)).filter(
      (m) => m.startsWith('image/blobs/sha256/') && !m.endsWith('/'),
    );
    expect(v1Blobs).toEqual(expect.arrayContaining(shared.map(blob)));
  });

  it('v2→v3 with the image unchanged carries no image file at all', async () => {
    expect((await members(d23)).filter((m) => m.startsWith('image'))).toEqual([]);
    const packed = parseManifest(await member(d23, 'airgap.json'), 'd23 airgap.json');
    expect(packed.delta!.fromBase.map((f) => f.path).filter((p) => p.startsWith('image/'))).toEqual(
      imgs['v3']!.files.map((f) => `image/${f}`),
    );
  });

  it('import of v1, then the deltas, rebuilds DIR/image byte for byte; verify DIR is ok', async () => {
    const dest = path.join(work, 'dest');
    const first = await runCli(importArgs(v1Tar, dest));
    expect(first.code, first.stderr).toBe(0);
    expect(await tree(path.join(dest, 'image'))).toEqual(await tree(path.join(dirs['v1']!, 'image')));

    const second = await runCli(importArgs(d12, dest));
    expect(second.code, second.stderr).toBe(0);
    expect(await tree(path.join(dest, 'image'))).toEqual(await tree(path.join(dirs['v2']!, 'image')));
    expect(await listFiles(path.join(dest, 'image'))).toEqual(imgs['v2']!.files);
    // The shared layers are the live generation's files, hard-linked, not copies.
    const shared = images(imgs['v2']!).map((i) => blob(i.layers[1]!.digest).slice('image/'.length));
    for (const f of shared) expect((await fs.stat(path.join(dest, 'image', f))).nlink).toBeGreaterThan(1);
    const v2ok = await runCli(['verify', dest]);
    expect(v2ok.code, v2ok.stdout + v2ok.stderr).toBe(0);

    const third = await runCli(importArgs(d23, dest));
    expect(third.code, third.stderr).toBe(0);
    expect(await tree(path.join(dest, 'image'))).toEqual(await tree(path.join(dirs['v3']!, 'image')));
    const v3ok = await runCli(['verify', dest]);
    expect(v3ok.code, v3ok.stdout + v3ok.stderr).toBe(0);
  });

  it('refuses the delta where a shared layer blob at the destination has other bytes, naming it', async () => {
    const dest = path.join(work, 'dest-bad-blob');
    const first = await runCli(importArgs(v1Tar, dest));
    expect(first.code, first.stderr).toBe(0);
    const layer = blob(imgs['v2']!.fixture.images['linux_arm64']!.layers[1]!.digest);
    const file = path.join(dest, layer);
    const bytes = await fs.readFile(file);
    bytes[0] = bytes[0]! ^ 1;
    await fs.writeFile(file, bytes);
    const before = await treeDigest(dest);
    const refused = await runCli(importArgs(d12, dest));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `does not hold 1 of the ${parseManifest(await member(d12, 'airgap.json'), 'd12').delta!.fromBase.length} files it expects from that base (matched by sha256); nothing was placed:\n  ${layer} (sha256 ${sha256(await fs.readFile(path.join(dirs['v1']!, layer)))})\n`,
    );
    expect(await treeDigest(dest)).toEqual(before);
  });

  describeWithTools(['docker-registry', 'skopeo'], 'and --push', () => {
    let registry: DockerRegistry;
    beforeAll(async () => {
      registry = await startDockerRegistry();
    }, 30_000);
    afterAll(async () => {
      await registry?.stop();
    });

    it('pushes the image a delta import rebuilt: only the new blobs are uploaded', async () => {
      const dest = path.join(work, 'dest-push');
      const push = (tarball: string, tag: string): Promise<Awaited<ReturnType<typeof runCli>>> =>
        runCli([
          ...importArgs(tarball, dest),
          '--push',
          `${registry.host}/ci/runner:${tag}`,
          '--registry-insecure',
          '--json',
        ]);
      const first = await push(v1Tar, '1');
      expect(first.code, first.stderr).toBe(0);
      const second = await push(d12, '2');
      expect(second.code, second.stderr).toBe(0);
      const v2 = imgs['v2']!;
      const json = JSON.parse(second.stdout) as { action: string; image: Record<string, unknown> };
      expect(json.action).toBe('imported');
      expect(json.image).toMatchObject({
        target: `${registry.host}/ci/runner:2`,
        digest: v2.fixture.indexDigest,
        action: 'pushed',
        // Per platform a new config and first layer; the second layers are in the repository already.
        blobs: { uploaded: 4, existing: 2, mounted: 0 },
      });
      const { stdout } = await exec(
        'skopeo',
        ['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/ci/runner:2`],
        { encoding: 'buffer' },
      );
      expect(stdout).toEqual(v2.indexBytes);
    }, 60_000);
  });
});
