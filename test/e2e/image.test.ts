// `airgap mirror --image` end to end through the real executable: the runner image
// is built on the test fixture base (an OCI layout, a docker-archive, and pulled
// from a real docker-registry), then checked with real skopeo and umoci: per
// platform /bin/tofu, /providers holding only that platform's zips, the CLI
// config, the CA bundle, the base's files and config kept; digests reproducible.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { parseManifest } from '../../src/core/bundle/manifest.js';
import type { VerifyReport } from '../../src/core/transfer/verify-report.js';
import {
  BASE_CA_BUNDLE,
  BASE_ENV,
  fixtureDockerArchive,
  pushFixtureToRegistry,
  writeBaseImageLayout,
  type BaseImageFixture,
} from '../helpers/base-image.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startDockerRegistry, startTokenServer, type DockerRegistry } from '../helpers/docker-registry.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry/index.js';
import { startReleaseServer, type ReleaseServer } from '../helpers/release-server/index.js';
import { generateSigningKey } from '../helpers/pgp.js';
import { makeTempDir } from '../helpers/tmp.js';
import { describeWithTools } from '../helpers/tools.js';

const run = promisify(execFile);
const PLATFORMS = ['linux_amd64', 'linux_arm64'];
const EPOCH = '1764000000';
const EXTRA_CA = '-----BEGIN CERTIFICATE-----\nRVhUUkE=\n-----END CERTIFICATE-----\n';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

async function zipMember(zip: string, name: string): Promise<Buffer> {
  const z = await yauzl.openPromise(zip, { lazyEntries: true });
  try {
    for await (const e of z.eachEntry()) {
      if (e.fileName !== name) continue;
      const chunks: Buffer[] = [];
      for await (const c of await z.openReadStreamPromise(e)) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    }
  } finally {
    z.close();
  }
  throw new Error(`${zip} has no ${name}`);
}

async function tree(root: string, dir = root): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    out.push(path.relative(root, p) + (e.isDirectory() ? '/' : ''));
    if (e.isDirectory()) out.push(...(await tree(root, p)));
  }
  return out.sort();
}

describeWithTools(['skopeo', 'umoci', 'docker-registry'], 'airgap mirror --image', () => {
  let registry: TestRegistry;
  let releases: ReleaseServer;
  let work: string;
  let lockfile: string;
  let cfg: string;
  let fixture: BaseImageFixture;
  let caFile: string;

  beforeAll(async () => {
    registry = await startTestRegistry({
      providers: [
        {
          namespace: 'hashicorp',
          type: 'null',
          versions: ['3.2.1'],
          platforms: PLATFORMS,
          payloadSize: 4096,
        },
        {
          namespace: 'hashicorp',
          type: 'random',
          versions: ['3.6.0'],
          platforms: PLATFORMS,
          payloadSize: 2048,
        },
      ],
    });
    releases = await startReleaseServer({ tofu: { versions: ['1.8.5'], platforms: PLATFORMS } });
    work = await makeTempDir('airgap-image-');
    cfg = path.join(work, 'cli.tfrc');
    await fs.writeFile(cfg, registry.cliConfigText());
    lockfile = path.join(work, 'stack', '.terraform.lock.hcl');
    await fs.mkdir(path.dirname(lockfile), { recursive: true });
    await fs.writeFile(
      lockfile,
      `provider "${registry.hostname}/hashicorp/null" {\n  version = "3.2.1"\n}\n\nprovider "${registry.hostname}/hashicorp/random" {\n  version = "3.6.0"\n}\n`,
    );
    fixture = await writeBaseImageLayout(path.join(work, 'base'));
    caFile = path.join(work, 'corp-ca.pem');
    await fs.writeFile(caFile, EXTRA_CA);
  });

  afterAll(async () => {
    await registry?.close();
    await releases?.close();
  });

  function mirror(
    out: string,
    extra: string[],
    platforms = PLATFORMS,
    env: Record<string, string> = {},
  ): Promise<CliResult> {
    return runCli(
      [
        'mirror',
        '--lockfile',
        lockfile,
        '--out',
        out,
        ...platforms.flatMap((p) => ['--platform', p]),
        ...releases.mirrorArgs('tofu', '1.8.5'),
        '--ca-cert',
        registry.caCertPath,
        '--image',
        ...extra,
      ],
      { env: { TF_CLI_CONFIG_FILE: cfg, SOURCE_DATE_EPOCH: EPOCH, ...env } },
    );
  }

  it('builds a two-platform runner image that skopeo and umoci read, byte-reproducibly', async () => {
    const out = path.join(work, 'bundle');
    const archive = path.join(work, 'runner-amd64.tar');
    const r = await mirror(out, [
      '--base-image',
      fixture.reference,
      '--ca-cert-into-image',
      caFile,
      '--image-archive',
      archive,
      '--json',
    ]);
    expect(r.stderr).not.toMatch(/warning/i);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as {
      image: { digest: string; platforms: { platform: string; base: string }[] };
    };
    const manifest = parseManifest(await fs.readFile(path.join(out, 'airgap.json'), 'utf8'), 'airgap.json');
    const image = manifest.image!;
    expect(image.digest).toBe(result.image.digest);
    expect(image.base).toEqual({ reference: fixture.reference, digest: fixture.indexDigest });
    expect(image.tool).toEqual({ name: 'tofu', version: '1.8.5' });
    expect(result.image.platforms.map((p) => [p.platform, p.base])).toEqual([
      ['linux_amd64', fixture.images['linux_amd64']!.manifestDigest],
      ['linux_arm64', fixture.images['linux_arm64']!.manifestDigest],
    ]);
    // Every file of the layout is listed, with its real digest.
    const listed = image.files.map((f) => f.path).sort();
    expect(listed).toEqual(
      (await tree(path.join(out, 'image'))).filter((p) => !p.endsWith('/')).map((p) => `image/${p}`),
    );
    for (const f of image.files) {
      const bytes = await fs.readFile(path.join(out, f.path));
      expect([bytes.length, sha256(bytes)]).toEqual([f.size, f.sha256]);
    }
    // skopeo reads the index through the layout, and every platform by its ref.
    const raw = await run('skopeo', ['inspect', '--raw', `oci:${out}/image:latest`]);
    expect(`sha256:${sha256(Buffer.from(raw.stdout))}`).toBe(image.digest);

    for (const platform of PLATFORMS) {
      const arch = platform.split('_')[1]!;
      const cfgOut = await run('skopeo', ['inspect', '--config', `oci:${out}/image:${platform}`]);
      const config = JSON.parse(cfgOut.stdout) as {
        architecture: string;
        created: string;
        config: { User: string; Env: string[]; Entrypoint: string[]; Cmd: string[]; WorkingDir: string };
        rootfs: { diff_ids: string[] };
        history: { created_by?: string; comment?: string }[];
      };
      const base = fixture.images[platform]!;
      expect(config.architecture).toBe(arch);
      expect(config.created).toBe('2025-11-24T16:00:00Z');
      expect(config.config).toMatchObject({
        User: 'spacelift',
        Entrypoint: ['/bin/sh'],
        Cmd: ['-c', 'echo base'],
        WorkingDir: '/home/spacelift',
        Env: [...BASE_ENV, 'TF_CLI_CONFIG_FILE=/etc/airgap/tofurc'],
      });
      expect(config.rootfs.diff_ids.slice(0, 2)).toEqual(base.layers.map((l) => l.diffId));
      expect(config.rootfs.diff_ids).toHaveLength(3);
      expect(config.history).toHaveLength(3);
      expect(config.history[2]!.comment).toMatch(/^airgap /);

      // umoci unpacks the platform; its root filesystem is the base's plus our layer.
      const unpacked = path.join(work, `unpacked-${platform}`);
      await run('umoci', ['unpack', '--rootless', '--image', `${out}/image:${platform}`, unpacked]);
      const rootfs = path.join(unpacked, 'rootfs');
      const tofu = await fs.stat(path.join(rootfs, 'bin/tofu'));
      expect(tofu.mode & 0o777).toBe(0o755);
      const zip = path.join(out, `tofu/1.8.5/tofu_1.8.5_${platform}.zip`);
      expect(sha256(await fs.readFile(path.join(rootfs, 'bin/tofu')))).toBe(
        sha256(await zipMember(zip, 'tofu')),
      );
      const providerTree = await tree(path.join(rootfs, 'providers'));
      const host = registry.hostname;
      expect(providerTree).toEqual([
        `${host}/`,
        `${host}/hashicorp/`,
        `${host}/hashicorp/null/`,
        `${host}/hashicorp/null/3.2.1.json`,
        `${host}/hashicorp/null/index.json`,
        `${host}/hashicorp/null/terraform-provider-null_3.2.1_${platform}.zip`,
        `${host}/hashicorp/random/`,
        `${host}/hashicorp/random/3.6.0.json`,
        `${host}/hashicorp/random/index.json`,
        `${host}/hashicorp/random/terraform-provider-random_3.6.0_${platform}.zip`,
      ]);
      for (const type of ['null', 'random']) {
        const version = type === 'null' ? '3.2.1' : '3.6.0';
        const rel = `${host}/hashicorp/${type}/terraform-provider-${type}_${version}_${platform}.zip`;
        const inImage = await fs.readFile(path.join(rootfs, 'providers', rel));
        expect(sha256(inImage)).toBe(sha256(await fs.readFile(path.join(out, 'providers', rel))));
        expect((await fs.stat(path.join(rootfs, 'providers', rel))).mode & 0o777).toBe(0o644);
        const versionJson = JSON.parse(
          await fs.readFile(
            path.join(rootfs, 'providers', host, 'hashicorp', type, `${version}.json`),
            'utf8',
          ),
        ) as { archives: Record<string, unknown> };
        expect(Object.keys(versionJson.archives)).toEqual([platform]);
      }
      expect(await fs.readFile(path.join(rootfs, 'etc/airgap/tofurc'), 'utf8')).toBe(
        await fs.readFile(path.join(out, 'config/tofurc'), 'utf8'),
      );
      expect(await fs.readFile(path.join(rootfs, 'etc/ssl/certs/ca-certificates.crt'), 'utf8')).toBe(
        BASE_CA_BUNDLE + EXTRA_CA,
      );
      expect(await fs.readlink(path.join(rootfs, 'bin/ps'))).toBe('busybox');
      expect(await fs.readFile(path.join(rootfs, 'etc/os-release'), 'utf8')).toBe(
        `ID=fixture\nARCH=${arch}\n`,
      );
      await expect(fs.stat(path.join(rootfs, 'tmp/junk'))).rejects.toThrow(/ENOENT/);
    }

    // The docker-archive holds the amd64 image, with the same config.
    const inspect = JSON.parse((await run('skopeo', ['inspect', `docker-archive:${archive}`])).stdout) as {
      Architecture: string;
      RepoTags: string[];
      Layers: string[];
    };
    expect(inspect.Architecture).toBe('amd64');
    expect(inspect.Layers).toHaveLength(3);
    const archiveConfig = (await run('skopeo', ['inspect', '--config', '--raw', `docker-archive:${archive}`]))
      .stdout;
    const layoutConfig = (
      await run('skopeo', ['inspect', '--config', '--raw', `oci:${out}/image:linux_amd64`])
    ).stdout;
    expect(archiveConfig).toBe(layoutConfig);

    // Same inputs, fresh directory: the same digests. And a re-run in place keeps them.
    const again = path.join(work, 'bundle-again');
    const r2 = await mirror(again, [
      '--base-image',
      fixture.reference,
      '--ca-cert-into-image',
      caFile,
      '--json',
    ]);
    expect(r2.code).toBe(0);
    expect((JSON.parse(r2.stdout) as { image: { digest: string } }).image.digest).toBe(image.digest);
    // The re-run keeps both layers: same inputs, recorded in the layer's annotation.
    const r3 = await mirror(out, ['--base-image', fixture.reference, '--ca-cert-into-image', caFile]);
    expect(r3.code).toBe(0);
    expect(r3.stderr.match(/layer is unchanged since the last run: kept sha256:[0-9a-f]{64}/g)).toHaveLength(
      2,
    );
    expect(r3.stdout).toContain(`Built the runner image ${image.digest} for linux_amd64, linux_arm64`);
    expect(await tree(path.join(again, 'image'))).toEqual(await tree(path.join(out, 'image')));

    // The bundle, image included, verifies.
    const v = await runCli(['verify', out, '--tofu-key', releases.publicKeyPath, '--json']);
    expect(v.code).toBe(0);
    const okFiles = (JSON.parse(v.stdout) as VerifyReport).rows
      .filter((r) => r.check === 'file' && r.status === 'ok')
      .map((r) => r.subject);
    expect(okFiles).toContain(`image/blobs/sha256/${image.digest.slice(7)}`);
    expect(okFiles).toContain('image/index.json');
  });

  it('warns about a base without ps, without uid 1983 and without a platform, and builds what it can', async () => {
    const poor = await writeBaseImageLayout(path.join(work, 'poor-base'), {
      platforms: ['linux_amd64'],
      ps: false,
      spacelift: false,
    });
    const out = path.join(work, 'bundle-poor');
    const r = await mirror(out, ['--base-image', poor.reference, '--json']);
    expect(r.code).toBe(0);
    const where = `base image ${poor.reference} (linux_amd64)`;
    expect(r.stderr).toContain(
      `${where} has no ps (looked in /bin/ps, /usr/bin/ps, /sbin/ps, /usr/sbin/ps, /usr/local/bin/ps)`,
    );
    expect(r.stderr).toContain(`${where}: /etc/passwd has no user with uid 1983`);
    expect(r.stderr).toContain(
      `base image ${poor.reference} has no linux/arm64/v8 image (it offers linux/amd64); the runner image is built without linux_arm64`,
    );
    const result = JSON.parse(r.stdout) as {
      image: { platforms: { platform: string }[] };
      warnings: string[];
    };
    expect(result.image.platforms.map((p) => p.platform)).toEqual(['linux_amd64']);
    expect(result.warnings.filter((w) => w.includes('base image'))).toHaveLength(3);
  });

  it('builds the same layers from a docker-archive base and from a registry', async () => {
    const dockerArchive = await fixtureDockerArchive(
      fixture,
      'linux_arm64',
      path.join(work, 'base-arm64.tar'),
    );
    const outA = path.join(work, 'bundle-docker-archive');
    const armArchive = path.join(work, 'runner-arm64.tar');
    const a = await mirror(
      outA,
      [
        '--base-image',
        dockerArchive,
        '--image-archive',
        armArchive,
        '--image-archive-platform',
        'linux_arm64',
        '--image-archive-tag',
        'corp/runner:1.0',
        '--json',
      ],
      ['linux_arm64'],
    );
    expect(a.stderr).not.toMatch(/warning/i);
    expect(a.code).toBe(0);
    const armInspect = JSON.parse(
      (await run('skopeo', ['inspect', `docker-archive:${armArchive}`])).stdout,
    ) as { Architecture: string };
    expect(armInspect.Architecture).toBe('arm64');
    // docker load names the image from manifest.json's RepoTags (skopeo inspect does not show them).
    const loadManifest = JSON.parse((await run('tar', ['-xOf', armArchive, 'manifest.json'])).stdout) as {
      RepoTags: string[];
    }[];
    expect(loadManifest.map((m) => m.RepoTags)).toEqual([['corp/runner:1.0']]);

    let docker: DockerRegistry | undefined;
    try {
      docker = await startDockerRegistry();
      await pushFixtureToRegistry(fixture, `${docker.host}/spacelift/runner:base`);
      const outR = path.join(work, 'bundle-registry');
      const reg = await mirror(
        outR,
        ['--base-image', `${docker.host}/spacelift/runner:base`, '--base-registry-insecure', '--json'],
        ['linux_arm64'],
      );
      expect(reg.code).toBe(0);
      const configOf = async (out: string): Promise<{ rootfs: { diff_ids: string[] } }> =>
        JSON.parse(
          (await run('skopeo', ['inspect', '--config', '--raw', `oci:${out}/image:linux_arm64`])).stdout,
        ) as {
          rootfs: { diff_ids: string[] };
        };
      const fromArchive = await configOf(outA);
      const fromRegistry = await configOf(outR);
      const base = fixture.images['linux_arm64']!;
      // Same base filesystem and the very same added layer, whichever way the base arrived.
      expect(fromRegistry.rootfs.diff_ids).toEqual(fromArchive.rootfs.diff_ids);
      expect(fromRegistry.rootfs.diff_ids.slice(0, 2)).toEqual(base.layers.map((l) => l.diffId));
      const manifestR = parseManifest(
        await fs.readFile(path.join(outR, 'airgap.json'), 'utf8'),
        'airgap.json',
      );
      expect(manifestR.image!.base).toEqual({
        reference: `${docker.host}/spacelift/runner:base`,
        digest: fixture.indexDigest,
      });
    } finally {
      await docker?.stop();
    }
  });

  it('pulls the base through the anonymous Bearer flow, and with docker config credentials', async () => {
    const tokens = await startTokenServer();
    let anonymous: DockerRegistry | undefined;
    let basic: DockerRegistry | undefined;
    try {
      // Anonymous tokens, as ECR Public, Docker Hub and GHCR hand out for public images.
      anonymous = await startDockerRegistry({ token: tokens });
      await pushFixtureToRegistry(fixture, `${anonymous.host}/public/runner:base`);
      const before = tokens.requests.length;
      const anon = await mirror(
        path.join(work, 'bundle-anon'),
        ['--base-image', `${anonymous.host}/public/runner:base`, '--base-registry-insecure'],
        ['linux_amd64'],
      );
      expect(anon.code).toBe(0);
      const ours = tokens.requests.slice(before);
      expect(ours.length).toBeGreaterThan(0);
      expect(ours.every((r) => r.username === undefined && r.status === 200)).toBe(true);
      expect(ours[0]!.scopes).toEqual(['repository:public/runner:pull']);

      // Basic auth with the login from $DOCKER_CONFIG/config.json, as `docker login` leaves it,
      // over TLS (a login never goes over plain http), its CA trusted through SSL_CERT_FILE.
      const user = { username: 'puller', password: 's3cret-pull' };
      basic = await startDockerRegistry({ htpasswd: user, tls: true });
      await pushFixtureToRegistry(fixture, `${basic.host}/private/runner:base`, {
        creds: `${user.username}:${user.password}`,
      });
      const dockerConfig = path.join(work, 'docker-config');
      await fs.mkdir(dockerConfig, { recursive: true });
      const auth = Buffer.from(`${user.username}:${user.password}`).toString('base64');
      await fs.writeFile(
        path.join(dockerConfig, 'config.json'),
        JSON.stringify({ auths: { [basic.host]: { auth } } }),
      );
      const base = ['--base-image', `${basic.host}/private/runner:base`];
      const trust = { SSL_CERT_FILE: basic.caCertPath as string };
      const withLogin = await mirror(path.join(work, 'bundle-basic'), base, ['linux_amd64'], {
        DOCKER_CONFIG: dockerConfig,
        ...trust,
      });
      expect(withLogin.stderr).not.toMatch(/warning/i);
      expect(withLogin.code).toBe(0);
      const without = await mirror(path.join(work, 'bundle-basic-nologin'), base, ['linux_amd64'], {
        DOCKER_CONFIG: path.join(work, 'no-docker-config'),
        ...trust,
      });
      expect(without.code).toBe(3);
      expect(without.stderr).toContain('401');
      expect(without.stderr).toContain(`no credentials for ${basic.host} were given`);
    } finally {
      await anonymous?.stop();
      await basic?.stop();
      await tokens.stop();
    }
  });

  // export, import and a TLS push of a two-platform image take well over a minute on a shared, loaded machine.
  it('travels in the signed tarball, is imported offline and pushed over TLS; skopeo pulls back the same digests', async () => {
    const out = path.join(work, 'bundle-travel');
    const key = await generateSigningKey({ name: 'image signer', date: new Date('2019-06-01T00:00:00Z') });
    const secret = path.join(work, 'travel-signer.asc');
    const trusted = path.join(work, 'travel-signer.pub.asc');
    await fs.writeFile(secret, key.privateKeyArmored);
    await fs.writeFile(trusted, key.publicKeyArmored);
    const tarball = path.join(work, 'travel.tar');
    const built = await mirror(out, [
      '--base-image',
      fixture.reference,
      '--tarball',
      tarball,
      '--sign-key',
      secret,
      '--json',
    ]);
    expect(built.code).toBe(0);
    const digest = (JSON.parse(built.stdout) as { image: { digest: string } }).image.digest;
    const listing = (await run('tar', ['-tf', tarball])).stdout.split('\n');
    expect(listing).toContain(`image/blobs/sha256/${digest.slice('sha256:'.length)}`);
    expect(listing).toContain('image/index.json');

    let docker: DockerRegistry | undefined;
    try {
      docker = await startDockerRegistry({ tls: true });
      const certDir = path.join(work, 'registry-certs');
      await fs.mkdir(certDir, { recursive: true });
      await fs.copyFile(docker.caCertPath!, path.join(certDir, 'ca.crt'));
      // The base was mirrored into the internal registry before: its layers are mounted, not sent.
      await pushFixtureToRegistry(fixture, `${docker.host}/mirror/runner-base:base`, { certDir });
      const dest = path.join(work, 'isolated');
      const target = `${docker.host}/platform/runner:v1`;
      const imported = await runCli([
        'import',
        tarball,
        '--dest',
        dest,
        '--trusted-key',
        trusted,
        '--push',
        target,
        '--push-mount-from',
        'mirror/runner-base',
        '--ca-cert',
        docker.caCertPath!,
        '--json',
      ]);
      expect(imported.stderr).not.toMatch(/warning/i);
      expect(imported.code).toBe(0);
      const pushed = (
        JSON.parse(imported.stdout) as { image: { digest: string; blobs: Record<string, number> } }
      ).image;
      expect(pushed.digest).toBe(digest);
      // 4 base layers (2 per platform) mounted; our 2 layers and 2 configs uploaded.
      expect(pushed.blobs).toEqual({ uploaded: 4, existing: 0, mounted: 4 });
      // Every missing blob is first offered as a mount: the registry mounts the base's (201)
      // and opens an upload session for ours (202).
      const mounts = [
        ...docker
          .log()
          .matchAll(/"POST \/v2\/platform\/runner\/blobs\/uploads\/\?mount=\S+ HTTP\/1\.1" (\d{3})/g),
      ];
      expect(mounts.map((m) => m[1]).sort()).toEqual([
        '201',
        '201',
        '201',
        '201',
        '202',
        '202',
        '202',
        '202',
      ]);
      // The import destination holds the image byte for byte.
      expect(await tree(path.join(dest, 'image/'))).toEqual(await tree(path.join(out, 'image')));
      const raw = await run('skopeo', ['inspect', '--raw', '--cert-dir', certDir, `docker://${target}`]);
      expect(`sha256:${sha256(Buffer.from(raw.stdout))}`).toBe(digest);
      const pulled = path.join(work, 'pulled');
      await run('skopeo', [
        'copy',
        '-q',
        '--all',
        '--preserve-digests',
        '--src-cert-dir',
        certDir,
        `docker://${target}`,
        `oci:${pulled}:v1`,
      ]);
      // Every blob we built came back with the same digest and bytes.
      for (const name of await fs.readdir(path.join(out, 'image/blobs/sha256'))) {
        const ours = await fs.readFile(path.join(out, 'image/blobs/sha256', name));
        const theirs = await fs.readFile(path.join(pulled, 'blobs/sha256', name));
        expect(sha256(theirs)).toBe(sha256(ours));
      }
    } finally {
      await docker?.stop();
    }
  }, 240_000);

  it('refuses bad image options before writing anything', async () => {
    const out = path.join(work, 'never');
    const noTofu = await runCli(
      ['mirror', '--lockfile', lockfile, '--out', out, '--image', '--base-image', fixture.reference],
      { env: { TF_CLI_CONFIG_FILE: cfg } },
    );
    expect(noTofu.code).toBe(2);
    expect(noTofu.stderr).toContain('--image puts tofu at /bin/tofu: pass --tofu VERSION');
    const notPem = path.join(work, 'not-a-cert.txt');
    await fs.writeFile(notPem, 'hello\n');
    const badCa = await mirror(out, ['--base-image', fixture.reference, '--ca-cert-into-image', notPem]);
    expect(badCa.code).toBe(2);
    expect(badCa.stderr).toContain(`--ca-cert-into-image ${notPem} holds no PEM certificate`);
    const inside = await mirror(out, [
      '--base-image',
      fixture.reference,
      '--image-archive',
      path.join(out, 'x.tar'),
    ]);
    expect(inside.code).toBe(2);
    expect(inside.stderr).toContain('is inside the bundle directory');
    const badTag = await mirror(out, [
      '--base-image',
      fixture.reference,
      '--image-archive',
      path.join(work, 'x.tar'),
      '--image-archive-tag',
      'Corp/Runner:1',
    ]);
    expect(badTag.code).toBe(2);
    expect(badTag.stderr).toContain(
      '--image-archive-tag: docker-archive tag "Corp/Runner:1" has repository "Corp/Runner", not lower-case components joined by "/"',
    );
    const badRef = await mirror(out, ['--base-image', 'Not A Reference']);
    expect(badRef.code).toBe(2);
    const stray = await runCli([
      'mirror',
      '--lockfile',
      lockfile,
      '--out',
      out,
      '--ca-cert-into-image',
      caFile,
    ]);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain('--ca-cert-into-image only apply with --image');
    await expect(fs.stat(out)).rejects.toThrow(/ENOENT/);
    const dest = path.join(work, 'never-imported');
    const badMount = await runCli([
      'import',
      path.join(work, 'no-such-bundle.tar'),
      '--dest',
      dest,
      '--push',
      '127.0.0.1:5000/platform/runner:v1',
      '--push-mount-from',
      'Mirror/Base',
    ]);
    expect(badMount.code).toBe(2);
    expect(badMount.stderr).toContain('--push-mount-from "Mirror/Base" is not a repository name');
    await expect(fs.stat(dest)).rejects.toThrow(/ENOENT/);
  });
});
