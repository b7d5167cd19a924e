// The runner image on the isolated host: `airgap import` keeps a bundle's image/ OCI
// layout at DIR/image (byte for byte; unchanged blobs hard-linked across generations;
// recorded in airgap-state.json; re-checked by `airgap verify DIR`), and
// `--push REGISTRY/REPO:TAG` pushes it to the real CNCF registry (docker-registry),
// read back with skopeo. Also: a re-push that uploads nothing, a push failed half way
// by a proxy that leaves no tag and completes when run again, htpasswd Basic (through
// the CLI, the password on stdin) and token Bearer auth, a tampered blob refused by
// name before any request, and --push without an image.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOciRegistryClient } from '../../src/adapters/oci/registry-client.js';
import type { AirgapError } from '../../src/core/errors.js';
import type { Reporter } from '../../src/core/ports.js';
import type { VerifyReport } from '../../src/core/transfer/verify-report.js';
import { runImport, type ImportOptions } from '../../src/services/import/import-service.js';
import { pushImage } from '../../src/services/import/push-image.js';
import { runVerify } from '../../src/services/verify/verify-service.js';
import type { FixtureImage } from '../helpers/base-image.js';
import { runCli } from '../helpers/cli.js';
import { startDockerRegistry, startTokenServer, type DockerRegistry } from '../helpers/docker-registry.js';
import {
  addImageToBundle,
  IMAGE_REF,
  listFiles,
  startFailingProxy,
  type BundleImage,
} from '../helpers/image-bundle.js';
import {
  readFixtureDirectory,
  resum,
  writeFixtureBundle,
  type FixtureBundle,
} from '../helpers/import-fixtures.js';
import { thisProcess, workingDirs } from '../helpers/host.js';
import { makeTempDir } from '../helpers/tmp.js';
import { describeWithTools } from '../helpers/tools.js';

const exec = promisify(execFile);
const quiet: Reporter = { info: () => undefined, warn: () => undefined };
const sha = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const hex = (digest: string): string => digest.slice('sha256:'.length);

let registry: DockerRegistry;
let work: string;
/** No image; then an image; the same image with another first layer; no image again. */
let b0: FixtureBundle;
let b1: FixtureBundle;
let b2: FixtureBundle;
let b3: FixtureBundle;
let img1: BundleImage;
let img2: BundleImage;
let dest: string;

function client(host = registry.host): ReturnType<typeof createOciRegistryClient> {
  return createOciRegistryClient({ registry: host, insecure: true, userAgent: 'airgap-test', env: {} });
}

function importOptions(source: string, extra: Partial<ImportOptions> = {}): ImportOptions {
  return {
    source,
    dest,
    trustedKeyFiles: [],
    insecureSkipSignature: true,
    allowDowngrade: false,
    host: thisProcess(),
    platform: 'linux_amd64',
    ...extra,
  };
}

function pushTo(target: string): Pick<ImportOptions, 'pushImage'> {
  return { pushImage: { target, insecure: true, caCertFiles: [] } };
}

/** Every blob of the fixture image, as the push sends them: per platform its config, then its layers. */
function blobsOf(image: BundleImage): string[] {
  return Object.values(image.fixture.images)
    .sort((a, b) => (a.platform < b.platform ? -1 : 1))
    .flatMap((i: FixtureImage) => [i.configDigest, ...i.layers.map((l) => l.digest)]);
}

function platformsOf(image: BundleImage): { platform: string; manifest: string }[] {
  return [
    { platform: 'linux_amd64', manifest: image.fixture.images['linux_amd64']!.manifestDigest },
    { platform: 'linux_arm64', manifest: image.fixture.images['linux_arm64']!.manifestDigest },
  ];
}

async function skopeoRaw(ref: string, extra: string[] = []): Promise<string> {
  const { stdout } = await exec('skopeo', [
    'inspect',
    '--raw',
    '--tls-verify=false',
    ...extra,
    `docker://${ref}`,
  ]);
  return stdout;
}

/** Requests that write to a registry (blob uploads and manifest PUTs) since `from`. */
function writes(r: DockerRegistry, from: number): string[] {
  return r
    .requests()
    .slice(from)
    .filter((x) => !x.startsWith('GET ') && !x.startsWith('HEAD '));
}

async function flipByte(file: string, at: number): Promise<void> {
  const data = await fs.readFile(file);
  data[at] = data[at]! ^ 0x01;
  await fs.writeFile(file, data);
}

async function generationOf(dir: string): Promise<string> {
  return path.join(dir, '.airgap', await fs.readlink(path.join(dir, '.airgap', 'current')));
}

describeWithTools(
  ['docker-registry', 'skopeo'],
  'the runner image: import keeps it, --push pushes it',
  () => {
    beforeAll(async () => {
      work = await makeTempDir('airgap-push-image-');
      const cache = path.join(work, 'cache');
      const bundle = (name: string, createdAt: string): Promise<FixtureBundle> =>
        writeFixtureBundle(path.join(work, name), {
          createdAt,
          providers: [{ namespace: 'hashicorp', type: 'null', version: '3.2.1', platforms: ['linux_amd64'] }],
          packageCache: cache,
        });
      registry = await startDockerRegistry();
      b0 = await bundle('b0', '2026-01-01T00:00:00Z');
      ({ bundle: b1, image: img1 } = await addImageToBundle(await bundle('b1', '2026-02-01T00:00:00Z')));
      ({ bundle: b2, image: img2 } = await addImageToBundle(await bundle('b2', '2026-03-01T00:00:00Z'), {
        ps: false,
      }));
      b3 = await bundle('b3', '2026-04-01T00:00:00Z');
      dest = path.join(work, 'dest');
    }, 30_000);

    afterAll(async () => {
      await registry?.stop();
    });

    describe('in order, on one destination', () => {
      it('a first import without an image makes no DIR/image', async () => {
        const result = await runImport(importOptions(b0.dir), quiet, { readBundle: readFixtureDirectory });
        expect(result.action).toBe('imported');
        await expect(fs.lstat(path.join(dest, 'image'))).rejects.toThrow(/ENOENT/);
        const state = JSON.parse(await fs.readFile(path.join(dest, 'airgap-state.json'), 'utf8')) as {
          current: { contents: Record<string, unknown> };
        };
        expect(Object.keys(state.current.contents)).toEqual([
          'platforms',
          'providers',
          'binaries',
          'lockfiles',
          'files',
          'bytes',
          'bundleFiles',
        ]);
      });

      it('imports an image bundle: DIR/image is the layout byte for byte, the state records it; then pushes it', async () => {
        const before = registry.requests().length;
        const result = await runImport(importOptions(b1.dir, pushTo(`${registry.host}/ci/runner:1`)), quiet, {
          readBundle: readFixtureDirectory,
          createOciClient: async (r) => {
            expect(r).toEqual({
              target: `${registry.host}/ci/runner:1`,
              insecure: true,
              caCertFiles: [],
              registry: registry.host,
            });
            return client();
          },
        });
        expect(result.action).toBe('imported');
        expect(await fs.readlink(path.join(dest, 'image'))).toBe('.airgap/current/image');
        // The layout as the bundle carries it: every file, byte for byte.
        expect(await listFiles(path.join(dest, 'image'))).toEqual(img1.files);
        for (const f of img1.files) {
          expect(sha(await fs.readFile(path.join(dest, 'image', f)))).toBe(
            sha(await fs.readFile(path.join(b1.dir, 'image', f))),
          );
        }
        expect(img1.files).toHaveLength(2 + 1 + 2 * 4); // oci-layout, index.json, the index, 2 x (manifest, config, 2 layers)
        const state = JSON.parse(await fs.readFile(path.join(dest, 'airgap-state.json'), 'utf8')) as {
          current: { contents: { image: unknown; files: number } };
        };
        expect(state.current.contents.image).toEqual({
          ref: IMAGE_REF,
          digest: img1.fixture.indexDigest,
          platforms: platformsOf(img1),
        });
        expect(state.current.contents.files).toBe(b1.sums.size - 1);

        expect(result.image).toEqual({
          target: `${registry.host}/ci/runner:1`,
          registry: registry.host,
          repository: 'ci/runner',
          tag: '1',
          ref: IMAGE_REF,
          digest: img1.fixture.indexDigest,
          platforms: platformsOf(img1),
          action: 'pushed',
          blobs: { uploaded: 6, existing: 0, mounted: 0 },
        });
        // Blobs first, then each manifest by digest, the tag last.
        const sent = writes(registry, before);
        const puts = sent.filter((r) => r.startsWith('PUT /v2/ci/runner/manifests/'));
        expect(puts).toEqual([
          `PUT /v2/ci/runner/manifests/${img1.fixture.images['linux_amd64']!.manifestDigest}`,
          `PUT /v2/ci/runner/manifests/${img1.fixture.images['linux_arm64']!.manifestDigest}`,
          'PUT /v2/ci/runner/manifests/1',
        ]);
        expect(sent.slice(-3)).toEqual(puts);
        expect(sent.filter((r) => r.startsWith('POST /v2/ci/runner/blobs/uploads/'))).toHaveLength(6);
      }, 30_000);

      it('reads back with skopeo: the index byte for byte, and a full copy has our digests', async () => {
        const raw = await skopeoRaw(`${registry.host}/ci/runner:1`);
        expect(Buffer.from(raw).equals(img1.indexBytes)).toBe(true);

        const out = path.join(await makeTempDir('airgap-skopeo-'), 'layout');
        await exec('skopeo', [
          'copy',
          '-q',
          '--all',
          '--src-tls-verify=false',
          `docker://${registry.host}/ci/runner:1`,
          `oci:${out}:t`,
        ]);
        const index = JSON.parse(await fs.readFile(path.join(out, 'index.json'), 'utf8')) as {
          manifests: { digest: string; annotations?: Record<string, string> }[];
        };
        expect(
          index.manifests.map((m) => [m.digest, m.annotations?.['org.opencontainers.image.ref.name']]),
        ).toEqual([[img1.fixture.indexDigest, 't']]);
        const blob = (d: string): Promise<Buffer> => fs.readFile(path.join(out, 'blobs', 'sha256', hex(d)));
        const pulledIndex = JSON.parse((await blob(img1.fixture.indexDigest)).toString()) as {
          manifests: { digest: string }[];
        };
        expect(pulledIndex.manifests.map((m) => m.digest)).toEqual(platformsOf(img1).map((p) => p.manifest));
        for (const p of ['linux_amd64', 'linux_arm64']) {
          const fx = img1.fixture.images[p]!;
          const manifest = JSON.parse((await blob(fx.manifestDigest)).toString()) as {
            config: { digest: string };
            layers: { digest: string }[];
          };
          expect(manifest.config.digest).toBe(fx.configDigest);
          expect(manifest.layers.map((l) => l.digest)).toEqual(fx.layers.map((l) => l.digest));
          for (const d of [fx.manifestDigest, fx.configDigest, ...fx.layers.map((l) => l.digest)]) {
            expect(sha(await blob(d))).toBe(d);
            expect(
              (await blob(d)).equals(await fs.readFile(path.join(dest, 'image', 'blobs', 'sha256', hex(d)))),
            ).toBe(true);
          }
        }
      }, 30_000);

      it('the same command again imports nothing and sends nothing: the tag names the index already', async () => {
        const before = registry.requests().length;
        const result = await runImport(importOptions(b1.dir, pushTo(`${registry.host}/ci/runner:1`)), quiet, {
          readBundle: readFixtureDirectory,
          createOciClient: async () => client(),
        });
        expect(result.action).toBe('unchanged');
        expect([result.image?.action, result.image?.blobs]).toEqual([
          'unchanged',
          { uploaded: 0, existing: 0, mounted: 0 },
        ]);
        expect(writes(registry, before)).toEqual([]);
      }, 30_000);

      it('a re-push over a moved tag uploads no blob: HEADs find them, only the manifests are PUT', async () => {
        const c = client();
        const amd = img1.fixture.images['linux_amd64']!;
        const amdBytes = await fs.readFile(
          path.join(dest, 'image', 'blobs', 'sha256', hex(amd.manifestDigest)),
        );
        await c.pushManifest('ci/runner', '1', {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          bytes: amdBytes,
        });
        const before = registry.requests().length;
        const result = await pushImage({
          dest,
          target: `${registry.host}/ci/runner:1`,
          client: c,
          reporter: quiet,
        });
        await c.close();
        expect([result.action, result.blobs]).toEqual(['pushed', { uploaded: 0, existing: 6, mounted: 0 }]);
        const sent = registry.requests().slice(before);
        expect(sent.filter((r) => r.startsWith('HEAD /v2/ci/runner/blobs/'))).toEqual(
          blobsOf(img1).map((d) => `HEAD /v2/ci/runner/blobs/${d}`),
        );
        expect(writes(registry, before)).toEqual([
          `PUT /v2/ci/runner/manifests/${amd.manifestDigest}`,
          `PUT /v2/ci/runner/manifests/${img1.fixture.images['linux_arm64']!.manifestDigest}`,
          'PUT /v2/ci/runner/manifests/1',
        ]);
        expect(sha(Buffer.from(await skopeoRaw(`${registry.host}/ci/runner:1`)))).toBe(
          img1.fixture.indexDigest,
        );
      }, 30_000);

      it('a newer image: blobs the live generation has are hard links, the rest new; only those are uploaded', async () => {
        const previous = await generationOf(dest);
        const result = await runImport(importOptions(b2.dir, pushTo(`${registry.host}/ci/runner:2`)), quiet, {
          readBundle: readFixtureDirectory,
          createOciClient: async () => client(),
        });
        expect(result.action).toBe('imported');
        const current = await generationOf(dest);
        expect(current).not.toBe(previous);
        // ps: false changes layer 1 (so each config, manifest and the index); layer 2 is the same.
        const kept = ['linux_amd64', 'linux_arm64'].map((p) => img2.fixture.images[p]!.layers[1]!.digest);
        expect(kept).toEqual(
          ['linux_amd64', 'linux_arm64'].map((p) => img1.fixture.images[p]!.layers[1]!.digest),
        );
        const linked: string[] = [];
        for (const f of img2.files) {
          const [a, b] = await Promise.all([
            fs.stat(path.join(current, 'image', f)),
            fs.stat(path.join(previous, 'image', f)).catch(() => undefined),
          ]);
          if (b !== undefined && a.ino === b.ino) linked.push(f);
        }
        expect(linked).toEqual(kept.map((d) => `blobs/sha256/${hex(d)}`).sort());
        expect(await listFiles(path.join(dest, 'image'))).toEqual(img2.files);
        expect(result.image).toMatchObject({
          digest: img2.fixture.indexDigest,
          platforms: platformsOf(img2),
          action: 'pushed',
          blobs: { uploaded: 4, existing: 2, mounted: 0 },
        });
        expect(sha(Buffer.from(await skopeoRaw(`${registry.host}/ci/runner:2`)))).toBe(
          img2.fixture.indexDigest,
        );
      }, 30_000);

      it('a push that fails at the first manifest PUT leaves no tag; the same command again completes it', async () => {
        const proxy = await startFailingProxy(registry.host);
        try {
          proxy.failNext(/^PUT \/v2\/half\/manifests\//);
          const warnings: string[] = [];
          const reporter: Reporter = { info: () => undefined, warn: (m) => warnings.push(m) };
          const target = `${proxy.host}/half:v1`;
          const err = (await runImport(importOptions(b2.dir, pushTo(target)), reporter, {
            readBundle: readFixtureDirectory,
            createOciClient: async () => client(proxy.host),
          }).catch((e: unknown) => e)) as AirgapError;
          expect(err.code).toBe('OCI_REGISTRY_ERROR');
          expect(warnings).toEqual([
            '--insecure-skip-signature: the bundle signature is NOT checked; anyone who could alter the bundle could alter what is installed',
            `${dest} is imported, but pushing its image to ${target} failed; run the same command again to resume`,
          ]);
          expect(proxy.seen.filter((s) => s.failed).map((s) => s.request)).toEqual([
            `PUT /v2/half/manifests/${img2.fixture.images['linux_amd64']!.manifestDigest}`,
          ]);
          const c = client();
          expect(await c.getManifest('half', 'v1')).toBeUndefined();
          await c.close();
          await expect(skopeoRaw(`${registry.host}/half:v1`)).rejects.toThrow(/manifest unknown/i);

          const before = registry.requests().length;
          const done = await runImport(importOptions(b2.dir, pushTo(target)), quiet, {
            readBundle: readFixtureDirectory,
            createOciClient: async () => client(proxy.host),
          });
          expect([done.action, done.image?.action, done.image?.blobs]).toEqual([
            'unchanged',
            'pushed',
            { uploaded: 0, existing: 6, mounted: 0 },
          ]);
          expect(writes(registry, before)).toEqual([
            `PUT /v2/half/manifests/${img2.fixture.images['linux_amd64']!.manifestDigest}`,
            `PUT /v2/half/manifests/${img2.fixture.images['linux_arm64']!.manifestDigest}`,
            'PUT /v2/half/manifests/v1',
          ]);
          expect(sha(Buffer.from(await skopeoRaw(`${registry.host}/half:v1`)))).toBe(
            img2.fixture.indexDigest,
          );
        } finally {
          await proxy.stop();
        }
      }, 30_000);

      it('token auth: the default client gets a Bearer token for the repository with the given login', async () => {
        // Both over TLS: a login, and any token bought with it, never go over plain http.
        const token = await startTokenServer({ user: { username: 'ci', password: 's3cret' }, tls: true });
        const tokenRegistry = await startDockerRegistry({ token, tls: true });
        try {
          const result = await runImport(
            importOptions(b2.dir, {
              pushImage: {
                target: `${tokenRegistry.host}/runner:2`,
                insecure: false,
                caCertFiles: [tokenRegistry.caCertPath as string, token.certPath],
                username: 'ci',
                password: 's3cret',
              },
            }),
            quiet,
            { readBundle: readFixtureDirectory },
          );
          expect([result.image?.action, result.image?.blobs]).toEqual([
            'pushed',
            { uploaded: 6, existing: 0, mounted: 0 },
          ]);
          expect(token.requests.length).toBeGreaterThan(0);
          expect(token.requests.every((r) => r.username === 'ci' && r.status === 200)).toBe(true);
          // The GET of the tag asks for pull; the uploads for pull,push.
          expect([...new Set(token.requests.flatMap((r) => r.scopes))].sort()).toEqual([
            'repository:runner:pull',
            'repository:runner:pull,push',
          ]);
          const raw = await skopeoRaw(`${tokenRegistry.host}/runner:2`, ['--creds', 'ci:s3cret']);
          expect(sha(Buffer.from(raw))).toBe(img2.fixture.indexDigest);
        } finally {
          await tokenRegistry.stop();
          await token.stop();
        }
      }, 30_000);

      it('a bundle without an image: no image/ in the generation, DIR/image resolves to nothing, --push says why', async () => {
        let created = false;
        const err = (await runImport(importOptions(b3.dir, pushTo(`${registry.host}/ci/runner:3`)), quiet, {
          readBundle: readFixtureDirectory,
          createOciClient: async () => {
            created = true;
            return client();
          },
        }).catch((e: unknown) => e)) as AirgapError;
        const gen = await generationOf(dest);
        expect(path.basename(gen)).toBe(`0004-${b3.digest.slice(0, 16)}`);
        expect(err.code).toBe('INPUT_NOT_FOUND');
        expect(err.message).toBe(
          `${dest} holds no runner image to push: the bundle imported last (${b3.digest.slice(0, 16)}, created 2026-04-01T00:00:00Z) was built without \`airgap mirror --image\``,
        );
        expect(created).toBe(false);
        await expect(fs.lstat(path.join(gen, 'image'))).rejects.toThrow(/ENOENT/);
        expect(await fs.readlink(path.join(dest, 'image'))).toBe('.airgap/current/image');
        await expect(fs.stat(path.join(dest, 'image'))).rejects.toThrow(/ENOENT/);
        const report = await runVerify(
          {
            target: dest,
            trustedKeyFiles: [],
            insecureSkipSignature: false,
            lockfiles: [],
            ...workingDirs(),
          },
          quiet,
        );
        expect(report.verdict).toBe('verified');
        expect(report.rows.filter((r) => r.subject.startsWith('image'))).toEqual([]);
      }, 30_000);
    });

    describe('import checks the image it keeps', () => {
      it("a damaged live blob is not carried over: the new generation gets the bundle's bytes", async () => {
        const d = path.join(work, 'damaged-live');
        await runImport(importOptions(b1.dir, { dest: d }), quiet, { readBundle: readFixtureDirectory });
        const previous = await generationOf(d);
        const [amdKept, armKept] = ['linux_amd64', 'linux_arm64'].map(
          (p) => `blobs/sha256/${hex(img1.fixture.images[p]!.layers[1]!.digest)}`,
        ) as [string, string];
        await flipByte(path.join(previous, 'image', amdKept), 10);
        await runImport(importOptions(b2.dir, { dest: d }), quiet, { readBundle: readFixtureDirectory });
        const current = await generationOf(d);
        const ino = async (g: string, f: string): Promise<number> =>
          (await fs.stat(path.join(g, 'image', f))).ino;
        expect(await ino(current, amdKept)).not.toBe(await ino(previous, amdKept));
        expect(sha(await fs.readFile(path.join(current, 'image', amdKept)))).toBe(
          `sha256:${path.basename(amdKept)}`,
        );
        expect(await ino(current, armKept)).toBe(await ino(previous, armKept));
      }, 30_000);

      it('refuses a layout blob whose name is not its sha256, and leaves no DIR', async () => {
        const hostile = path.join(work, 'hostile-name');
        await fs.cp(b1.dir, hostile, { recursive: true });
        const layer = hex(img1.fixture.images['linux_amd64']!.layers[0]!.digest);
        const fake = 'f'.repeat(64);
        await fs.rename(
          path.join(hostile, 'image', 'blobs', 'sha256', layer),
          path.join(hostile, 'image', 'blobs', 'sha256', fake),
        );
        const manifestPath = path.join(hostile, 'airgap.json');
        await fs.writeFile(
          manifestPath,
          (await fs.readFile(manifestPath, 'utf8')).replace(
            `image/blobs/sha256/${layer}`,
            `image/blobs/sha256/${fake}`,
          ),
        );
        const bundle = await resum(hostile);
        const d = path.join(work, 'hostile-name-dest');
        const err = (await runImport(importOptions(bundle.dir, { dest: d }), quiet, {
          readBundle: readFixtureDirectory,
        }).catch((e: unknown) => e)) as AirgapError;
        expect(err.code).toBe('IMAGE_INVALID');
        expect(err.message).toBe(
          `image/blobs/sha256/${fake}: an OCI layout blob must hash to its name, but SHA256SUMS lists sha256 ${layer}`,
        );
        await expect(fs.lstat(d)).rejects.toThrow(/ENOENT/);
      }, 30_000);

      it('refuses an airgap.json whose image digest is not the one index.json names for the ref', async () => {
        const hostile = path.join(work, 'hostile-digest');
        await fs.cp(b1.dir, hostile, { recursive: true });
        const other = img1.fixture.images['linux_arm64']!.manifestDigest;
        const manifestPath = path.join(hostile, 'airgap.json');
        const doc = JSON.parse(await fs.readFile(manifestPath, 'utf8')) as { image: { digest: string } };
        doc.image.digest = other;
        await fs.writeFile(manifestPath, `${JSON.stringify(doc, null, 2)}\n`);
        const bundle = await resum(hostile);
        const d = path.join(work, 'hostile-digest-dest');
        const err = (await runImport(importOptions(bundle.dir, { dest: d }), quiet, {
          readBundle: readFixtureDirectory,
        }).catch((e: unknown) => e)) as AirgapError;
        expect(err.code).toBe('CHECKSUM_MISMATCH');
        expect(err.message).toBe(
          `image/index.json: the entry named "latest" is ${img1.fixture.indexDigest}, but the bundle's airgap.json names the image index ${other}`,
        );
        await expect(fs.lstat(d)).rejects.toThrow(/ENOENT/);
      }, 30_000);
    });

    describe('through the CLI', () => {
      it('htpasswd Basic with --registry-username and the password on stdin; verify; a tampered blob is refused by name', async () => {
        const basic = await startDockerRegistry({
          htpasswd: { username: 'ci', password: 'pw with spaces' },
          tls: true,
        });
        const cliDest = path.join(work, 'cli-dest');
        try {
          const args = (tag: string): string[] => [
            'import',
            b1.dir,
            '--dest',
            cliDest,
            '--insecure-skip-signature',
            '--platform',
            'linux_amd64',
            '--push',
            `${basic.host}/runner:${tag}`,
            '--ca-cert',
            basic.caCertPath as string,
            '--registry-username',
            'ci',
            '--registry-password-stdin',
          ];
          const ok = await runCli([...args('cli'), '--json'], { stdin: 'pw with spaces\n' });
          expect(ok.stderr).not.toMatch(/error/i);
          expect(ok.code).toBe(0);
          const json = JSON.parse(ok.stdout) as { action: string; image: unknown };
          expect(json.action).toBe('imported');
          expect(json.image).toEqual({
            target: `${basic.host}/runner:cli`,
            registry: basic.host,
            repository: 'runner',
            tag: 'cli',
            ref: IMAGE_REF,
            digest: img1.fixture.indexDigest,
            platforms: platformsOf(img1),
            action: 'pushed',
            blobs: { uploaded: 6, existing: 0, mounted: 0 },
          });
          const raw = await skopeoRaw(`${basic.host}/runner:cli`, ['--creds', 'ci:pw with spaces']);
          expect(Buffer.from(raw).equals(img1.indexBytes)).toBe(true);

          // The human line.
          const again = await runCli(args('cli'), { stdin: 'pw with spaces\n' });
          expect(again.code).toBe(0);
          expect(again.stdout).toContain(
            `${basic.host}/runner:cli already names the runner image ${img1.fixture.indexDigest} (linux_amd64, linux_arm64); nothing sent.`,
          );

          const verify = (): Promise<VerifyReport> =>
            runVerify(
              {
                target: cliDest,
                trustedKeyFiles: [],
                insecureSkipSignature: false,
                lockfiles: [],
                ...workingDirs(),
              },
              quiet,
            );
          const good = await verify();
          expect(good.verdict).toBe('verified');
          const imageRows = good.rows.filter((r) => r.subject.startsWith('image'));
          const blobFiles = img1.files.filter((f) => f.startsWith('blobs/'));
          expect(imageRows.map((r) => [r.check, r.subject, r.status])).toEqual([
            ...blobFiles.map((f) => ['file', `image/${f}`, 'ok']),
            ['state', `image ${IMAGE_REF}`, 'ok'],
          ]);
          expect(imageRows.at(-1)!.detail).toBe(
            `index ${img1.fixture.indexDigest}: linux_amd64 ${platformsOf(img1)[0]!.manifest}, linux_arm64 ${platformsOf(img1)[1]!.manifest}`,
          );

          const layer = img1.fixture.images['linux_arm64']!.layers[0]!.digest;
          const layerFile = path.join(cliDest, 'image', 'blobs', 'sha256', hex(layer));
          await flipByte(layerFile, 100);
          const flipped = sha(await fs.readFile(layerFile));
          const bad = await verify();
          expect(bad.verdict).toBe('failed');
          expect(bad.rows.filter((r) => r.status === 'failed')).toEqual([
            {
              check: 'file',
              subject: `image/blobs/sha256/${hex(layer)}`,
              status: 'failed',
              code: 'CHECKSUM_MISMATCH',
              detail: `image/blobs/sha256/${hex(layer)}: sha256 is ${flipped}, but an OCI layout blob must hash to its name`,
            },
          ]);

          const before = basic.requests().length;
          const refused = await runCli(args('tampered'), { stdin: 'pw with spaces\n' });
          expect(refused.code).toBe(1);
          expect(refused.stderr).toContain(`${layerFile}: sha256 is ${flipped}, but it is named ${layer}`);
          expect(refused.stderr).not.toContain('run the same command again');
          expect(basic.requests().slice(before)).toEqual([]);
          await expect(
            skopeoRaw(`${basic.host}/runner:tampered`, ['--creds', 'ci:pw with spaces']),
          ).rejects.toThrow(/manifest unknown/i);
        } finally {
          await basic.stop();
        }
      }, 60_000);

      it('--registry-insecure with a login: the login is not sent over plain http, and the 401 says so (exit 3)', async () => {
        const plain = await startDockerRegistry({ htpasswd: { username: 'ci', password: 'pw-plain-9' } });
        try {
          const r = await runCli(
            [
              'import',
              b1.dir,
              '--dest',
              path.join(work, 'plain-dest'),
              '--insecure-skip-signature',
              '--platform',
              'linux_amd64',
              '--push',
              `${plain.host}/runner:plain`,
              '--registry-insecure',
              '--registry-username',
              'ci',
              '--registry-password-stdin',
            ],
            { stdin: 'pw-plain-9\n' },
          );
          expect(r.code).toBe(3);
          expect(r.stderr).toContain(
            `401 Unauthorized: UNAUTHORIZED: authentication required (the registry requires Basic auth, and credentials are never sent over plain http: reach ${plain.host} over https, with --ca-cert for a private CA)`,
          );
          // A registry's refusal: running again may get past it, but not with a login over http.
          expect(r.stderr).toContain(
            `is imported, but pushing its image to ${plain.host}/runner:plain failed; run the same command again to resume`,
          );
          expect(r.stderr).toContain(
            '\n  Hint: logins are sent only over https, never under --registry-insecure: push to the registry over https (without --registry-insecure; --ca-cert FILE for a private CA) with --registry-username and --registry-password-stdin, or a `docker login`\n',
          );
          expect(r.stderr).not.toContain('--registry-username with --registry-password-stdin, or log in');
          expect(r.stderr).not.toContain('pw-plain-9');
        } finally {
          await plain.stop();
        }
      }, 30_000);

      it('--push on a destination without an image: exit 2, and why', async () => {
        const noImage = path.join(work, 'no-image');
        const r = await runCli([
          'import',
          b0.dir,
          '--dest',
          noImage,
          '--insecure-skip-signature',
          '--platform',
          'linux_amd64',
          '--push',
          `${registry.host}/ci/runner:x`,
          '--registry-insecure',
        ]);
        expect(r.code).toBe(2);
        expect(r.stderr).toContain('was built without `airgap mirror --image`');
        expect(await fs.readlink(path.join(noImage, '.airgap', 'current'))).toBe(
          `generations/0001-${b0.digest.slice(0, 16)}`,
        );
      }, 30_000);

      it('registry flags need --push or --push-providers; --push needs a tag', async () => {
        const r = await runCli(['import', b0.dir, '--dest', path.join(work, 'x'), '--registry-insecure']);
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(/--push/);
        const t = await runCli([
          'import',
          b0.dir,
          '--dest',
          path.join(work, 'x'),
          '--insecure-skip-signature',
          '--push',
          `${registry.host}/ci/runner`,
        ]);
        expect(t.code).toBe(2);
        expect(t.stderr).toContain(
          `--push "${registry.host}/ci/runner": name the image as REGISTRY/REPO:TAG (a tag, and no digest: the tag is what the push writes)`,
        );
        await expect(fs.lstat(path.join(work, 'x'))).rejects.toThrow(/ENOENT/);
      }, 30_000);
    });
  },
);
