// sbom.cdx.json (issue 16, docs/SBOM-FORMAT.md): `airgap mirror` writes a CycloneDX 1.6
// SBOM that the official schema (as @cyclonedx/cyclonedx-library ships it) accepts,
// for the demo's inputs and for a bundle with every kind of content (providers, tofu,
// registry modules from git and a zip, the runner image); its fields are the bundle's
// real hashes, the signing keys' fingerprints and the image layout's digests; two
// builds give the same bytes; `airgap verify` finds a component that lies and a file
// no component describes.

import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { readKey } from 'openpgp';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runImport } from '../../src/services/import/import-service.js';
import { readVerifiedBundle } from '../../src/services/transfer/bundle-reader.js';
import { startDockerRegistry, type DockerRegistry } from '../helpers/docker-registry.js';
import { thisProcess } from '../helpers/host.js';
import { describeWithTools } from '../helpers/tools.js';
import { fakeToolArchive } from '../helpers/transfer.js';
import { openZipMember } from '../../src/adapters/archive/zip-entry.js';
import { writeBaseImageLayout } from '../helpers/base-image.js';
import { runCli } from '../helpers/cli.js';
import { startModuleRegistry, type TestModuleRegistry } from '../helpers/module-registry/index.js';
import { REPO_ROOT } from '../helpers/realdata.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry/index.js';
import { startReleaseServer, type ReleaseServer } from '../helpers/release-server/index.js';
import { makeTempDir } from '../helpers/tmp.js';
import { DEMO_PROVIDERS } from '../../fixtures/demo/providers.js';

const MODULE_HOST = 'modules.airgap.test';
let registry: TestRegistry;
let modules: TestModuleRegistry;
let releases: ReleaseServer;
let work: string;
let env: Record<string, string>;

interface Component {
  type: string;
  'bom-ref': string;
  name: string;
  version?: string;
  purl?: string;
  hashes?: { alg: string; content: string }[];
  properties?: { name: string; value: string }[];
  components?: Component[];
}

interface Bom {
  serialNumber: string;
  metadata: { timestamp: string };
  components: Component[];
}

function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function zipMember(zip: string, name: string): Promise<Buffer> {
  const member = await openZipMember(zip, name, zip);
  const chunks: Buffer[] = [];
  for await (const c of await member.open()) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function prop(c: Component, name: string): string | undefined {
  return c.properties?.find((p) => p.name === name)?.value;
}

function all(list: Component[]): Component[] {
  return list.flatMap((c) => [c, ...all(c.components ?? [])]);
}

async function validate(text: string): Promise<unknown> {
  return new Validation.JsonStrictValidator(Spec.Version.v1dot6).validate(text);
}

beforeAll(async () => {
  [registry, releases, modules] = await Promise.all([
    startTestRegistry({ providers: DEMO_PROVIDERS, packagesExtension: true }),
    startReleaseServer({ tofu: { versions: ['1.8.5'], platforms: ['linux_amd64', 'linux_arm64'] } }),
    startModuleRegistry({
      hostname: MODULE_HOST,
      modules: [
        {
          namespace: 'acme',
          name: 'network',
          system: 'aws',
          source: 'git',
          answer: 'terraform',
          versions: [{ version: '1.0.0', files: { 'main.tf': 'output "x" {\n  value = 1\n}\n' } }],
        },
        {
          namespace: 'acme',
          name: 'bucket',
          system: 'aws',
          source: 'zip',
          answer: 'opentofu',
          versions: [{ version: '2.0.0', files: { 'main.tf': '# bucket\n' } }],
        },
      ],
    }),
  ]);
  work = await makeTempDir('airgap-sbom-');
  const cfg = path.join(work, 'cli.tfrc');
  await fs.writeFile(cfg, `${registry.cliConfigText()}\n${modules.cliConfigText()}`);
  const ca = path.join(work, 'ca.pem');
  await fs.writeFile(
    ca,
    (await fs.readFile(registry.caCertPath, 'utf8')) + (await fs.readFile(modules.caCertPath, 'utf8')),
  );
  await fs.cp(path.join(REPO_ROOT, 'fixtures/demo/stacks'), path.join(work, 'stacks'), { recursive: true });
  const base = await writeBaseImageLayout(path.join(work, 'base-image'));
  const tofu = releases.mirrorArgs('tofu', '1.8.5');
  const arg = (flag: string): string => tofu[tofu.indexOf(flag) + 1]!;
  // The demo's airgap.yaml (scripts/demo.ts), without the tarball.
  const demo = `apiVersion: airgap/v1
platforms: [linux_amd64, linux_arm64]
lockfiles: [stacks/]
binaries:
  tofu:
    versions: ['~> 1.8.0']
    apiUrl: ${arg('--tofu-api-url')}
    baseUrl: ${arg('--tofu-base-url')}
    key: ${arg('--tofu-key')}
image:
  base: ${base.reference}
registries:
  caCertificates: [${arg('--ca-cert')}]
`;
  await fs.writeFile(path.join(work, 'demo.yaml'), `${demo}output:\n  dir: demo\n`);
  await fs.writeFile(
    path.join(work, 'all.yaml'),
    `${demo}modules:\n  ${MODULE_HOST}/acme/network/aws: "1.0.0"\n  ${MODULE_HOST}/acme/bucket/aws: "2.0.0"\n`,
  );
  env = { TF_CLI_CONFIG_FILE: cfg, SSL_CERT_FILE: ca, SOURCE_DATE_EPOCH: '1764000000' };
}, 120_000);

afterAll(async () => {
  await Promise.all([registry?.close(), releases?.close(), modules?.close()]);
});

async function mirror(spec: string, out: string): Promise<{ bom: Bom; text: string; dir: string }> {
  const r = await runCli(['mirror', '--file', spec, '--out', out], { cwd: work, env });
  expect(r.stderr).not.toContain('Error');
  expect(r.code).toBe(0);
  const dir = path.join(work, out);
  const text = await fs.readFile(path.join(dir, 'sbom.cdx.json'), 'utf8');
  return { bom: JSON.parse(text) as Bom, text, dir };
}

describe('sbom.cdx.json', { timeout: 300_000 }, () => {
  it('of the demo bundle passes the CycloneDX 1.6 schema and is listed in airgap.json', async () => {
    const { text, dir } = await mirror('demo.yaml', 'demo');
    expect(await validate(text)).toBeNull();
    const manifest = JSON.parse(await fs.readFile(path.join(dir, 'airgap.json'), 'utf8')) as {
      sbom: { path: string; size: number; sha256: string };
    };
    expect(manifest.sbom).toEqual({
      path: 'sbom.cdx.json',
      size: Buffer.byteLength(text),
      sha256: sha256(text),
    });
    const verified = await runCli(
      ['verify', dir, '--insecure-skip-signature', '--tofu-key', releases.publicKeyPath, '--json'],
      { cwd: work, env },
    );
    expect(verified.code).toBe(0);
    const rows = (JSON.parse(verified.stdout) as { rows: { check: string; status: string }[] }).rows;
    expect(rows.filter((r) => r.check === 'sbom')).toEqual([
      expect.objectContaining({ subject: 'sbom.cdx.json', status: 'ok' }),
    ]);
  });

  it('of a bundle with every kind of content: valid, true to the bundle, the same bytes twice', async () => {
    const a = await mirror('all.yaml', 'all-a');
    expect(await validate(a.text)).toBeNull();
    const manifest = JSON.parse(await fs.readFile(path.join(a.dir, 'airgap.json'), 'utf8')) as {
      providers: {
        address: string;
        version: string;
        packages: { path: string; platform: string; sha256: string; hashes: string[] }[];
      }[];
      binaries: {
        platforms: { path: string; sha256: string }[];
        verifiedBy: { primaryKeyFingerprint: string };
      }[];
      modules: { path: string; sha256: string; source: string; commit?: string }[];
      image: {
        digest: string;
        base: { reference: string; digest: string };
        platforms: { platform: string; manifest: string }[];
      };
    };
    const components = all(a.bom.components);
    const byPath = new Map(
      components.filter((c) => prop(c, 'airgap:path') !== undefined).map((c) => [prop(c, 'airgap:path')!, c]),
    );

    // Providers: the zip's sha256, its h1:, where it came from, and the registry's signing key.
    const registryKey = registry.signingKey.fingerprint;
    const packages = manifest.providers.flatMap((p) =>
      p.packages.map((k) => ({ ...k, address: p.address, version: p.version })),
    );
    expect(packages.length).toBe(8);
    for (const k of packages) {
      const c = byPath.get(k.path)!;
      const zip = await fs.readFile(path.join(a.dir, k.path));
      expect(c.hashes).toEqual([{ alg: 'SHA-256', content: sha256(zip) }]);
      expect(c.name).toBe(k.address);
      expect(c.version).toBe(k.version);
      expect(prop(c, 'airgap:hash:h1')).toBe(k.hashes.find((h) => h.startsWith('h1:')));
      expect(prop(c, 'airgap:signature:primary-key-fingerprint')).toBe(registryKey);
      expect(prop(c, 'airgap:signature:signing-key-fingerprint')).toBe(registryKey);
      const file = k.path.slice(k.path.lastIndexOf('/') + 1);
      const [, ns, type] = k.address.split('/');
      expect(prop(c, 'airgap:download-url')).toBe(`${registry.url}/files/${ns}/${type}/${k.version}/${file}`);
      expect(c.purl).toBe(
        `pkg:generic/${registry.hostname}/${ns}/${type}@${k.version}?checksum=sha256:${sha256(zip)}&download_url=${registry.url}/files/${ns}/${type}/${k.version}/${file}&platform=${k.platform}`,
      );
    }

    // tofu: each zip's sha256 and the release key that signed its SHA256SUMS.
    const releaseKey = (await readKey({ armoredKey: await fs.readFile(releases.publicKeyPath, 'utf8') }))
      .getFingerprint()
      .toUpperCase();
    expect(manifest.binaries[0]!.verifiedBy.primaryKeyFingerprint).toBe(releaseKey);
    for (const p of manifest.binaries[0]!.platforms) {
      const c = byPath.get(p.path)!;
      expect(c.hashes).toEqual([
        { alg: 'SHA-256', content: sha256(await fs.readFile(path.join(a.dir, p.path))) },
      ]);
      expect(prop(c, 'airgap:signature:primary-key-fingerprint')).toBe(releaseKey);
      expect(prop(c, 'airgap:download-url')).toBe(
        `${releases.tofuBaseUrl}/v1.8.5/${p.path.split('/').at(-1)}`,
      );
    }

    // Modules: source, sha256, git commit where there is one.
    expect(manifest.modules.map((m) => m.source)).toEqual([
      `${MODULE_HOST}/acme/bucket/aws`,
      `${MODULE_HOST}/acme/network/aws`,
    ]);
    for (const m of manifest.modules) {
      const c = byPath.get(m.path)!;
      expect(c.name).toBe(m.source);
      expect(c.hashes).toEqual([
        { alg: 'SHA-256', content: sha256(await fs.readFile(path.join(a.dir, m.path))) },
      ]);
      expect(prop(c, 'airgap:module:commit')).toBe(m.commit);
    }
    expect(manifest.modules[1]!.commit).toMatch(/^[0-9a-f]{40}$/);

    // The image: index, per-platform manifests and base as the layout says; our layer's files.
    const image = components.find((c) => c['bom-ref'] === 'image')!;
    const layoutIndex = JSON.parse(await fs.readFile(path.join(a.dir, 'image/index.json'), 'utf8')) as {
      manifests: { digest: string; annotations: Record<string, string> }[];
    };
    const named = (ref: string): string =>
      layoutIndex.manifests.find((m) => m.annotations['org.opencontainers.image.ref.name'] === ref)!.digest;
    expect(image.version).toBe(named('latest'));
    expect(image.version).toBe(manifest.image.digest);
    expect(image.hashes).toEqual([{ alg: 'SHA-256', content: named('latest').slice(7) }]);
    const base = components.find((c) => c['bom-ref'] === 'image:base')!;
    expect([base.name, base.version]).toEqual([manifest.image.base.reference, manifest.image.base.digest]);
    for (const p of ['linux_amd64', 'linux_arm64']) {
      const c = components.find((x) => x['bom-ref'] === `image:${p}`)!;
      expect(c.version).toBe(named(p));
      expect(manifest.image.platforms.find((x) => x.platform === p)!.manifest).toBe(named(p));
      const tofuZip = manifest.binaries[0]!.platforms.find((x) => x.path.endsWith(`_${p}.zip`))!.path;
      const exe = await zipMember(path.join(a.dir, tofuZip), 'tofu');
      const files = new Map((c.components ?? []).map((f) => [f.name, f.hashes![0]!.content]));
      expect(files.get('/bin/tofu')).toBe(sha256(exe));
      const pkg = packages.find(
        (k) => k.platform === p && k.address.endsWith('/null') && k.version === '3.2.1',
      )!;
      expect(files.get(`/providers/${pkg.path.slice('providers/'.length)}`)).toBe(pkg.sha256);
      expect(files.get('/etc/airgap/tofurc')).toBe(
        sha256(await fs.readFile(path.join(a.dir, 'config/tofurc'))),
      );
    }

    // The tool and its bundled npm packages, with the lock file's integrity.
    const tool = components.find((c) => c['bom-ref'] === 'tool:airgap')!;
    expect(tool.purl).toBe('pkg:npm/airgap@0.1.0');
    const lock = JSON.parse(await fs.readFile(path.join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version: string; integrity: string }>;
    };
    const yaml = tool.components!.find((c) => c.name === 'yaml')!;
    expect(yaml.version).toBe(lock.packages['node_modules/yaml']!.version);
    expect(yaml.hashes).toEqual([
      {
        alg: 'SHA-512',
        content: Buffer.from(lock.packages['node_modules/yaml']!.integrity.slice(7), 'base64').toString(
          'hex',
        ),
      },
    ]);
    const s3 = tool.components!.find((c) => c.name === 'client-s3')!;
    expect(s3.purl).toBe(
      `pkg:npm/%40aws-sdk/client-s3@${lock.packages['node_modules/@aws-sdk/client-s3']!.version}`,
    );

    expect(a.bom.metadata.timestamp).toBe('2025-11-24T16:00:00Z');
    expect(a.bom.serialNumber).toMatch(
      /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );

    // Determinism: a second build into a fresh directory, and a re-run over the first that
    // fetches nothing, give the same bytes.
    const b = await mirror('all.yaml', 'all-b');
    expect(b.text).toBe(a.text);
    const again = await mirror('all.yaml', 'all-a');
    expect(again.text).toBe(a.text);
  });

  it('verify names a component whose hash lies, and a file no component describes', async () => {
    const { bom, dir } = await mirror('all.yaml', 'tampered');
    const zip = all(bom.components).find((c) => prop(c, 'airgap:role') === 'provider-package')!;
    const zipPath = prop(zip, 'airgap:path')!;
    zip.hashes = [{ alg: 'SHA-256', content: '0'.repeat(64) }];
    const dropped = bom.components.findIndex((c) => prop(c, 'airgap:role') === 'module-package');
    const modulePath = prop(bom.components[dropped]!, 'airgap:path')!;
    bom.components.splice(dropped, 1);
    // A consistent bundle whose SBOM lies: airgap.json lists the SBOM's new bytes.
    const text = `${JSON.stringify(bom, null, 2)}\n`;
    await fs.writeFile(path.join(dir, 'sbom.cdx.json'), text);
    const manifestFile = path.join(dir, 'airgap.json');
    const manifest = JSON.parse(await fs.readFile(manifestFile, 'utf8')) as { sbom: object };
    manifest.sbom = { path: 'sbom.cdx.json', size: Buffer.byteLength(text), sha256: sha256(text) };
    await fs.writeFile(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);

    const r = await runCli(['verify', dir, '--insecure-skip-signature', '--json'], { cwd: work, env });
    expect(r.code).toBe(1);
    const rows = (
      JSON.parse(r.stdout) as {
        rows: { check: string; subject: string; status: string; code?: string; detail: string }[];
      }
    ).rows;
    const zipSha = sha256(await fs.readFile(path.join(dir, zipPath)));
    expect(rows.filter((x) => x.check === 'sbom')).toEqual(
      [
        {
          check: 'sbom',
          subject: `sbom.cdx.json: ${modulePath}`,
          status: 'failed',
          code: 'SBOM_MISMATCH',
          detail: `${modulePath} (sha256 ${sha256(await fs.readFile(path.join(dir, modulePath)))}) is in the bundle but no SBOM component describes it`,
        },
        {
          check: 'sbom',
          subject: `sbom.cdx.json: ${zipPath}`,
          status: 'failed',
          code: 'SBOM_MISMATCH',
          detail: `component "${zip.name} ${zip.version}": SHA-256 ${'0'.repeat(64)}, but ${zipPath} has sha256 ${zipSha}`,
        },
      ].sort((x, y) => (x.subject < y.subject ? -1 : 1)),
    );
  });
});

describeWithTools(['docker-registry', 'skopeo'], 'import --push: the SBOM next to the image', () => {
  let docker: DockerRegistry;
  beforeAll(async () => {
    docker = await startDockerRegistry();
  });
  afterAll(async () => {
    await docker?.stop();
  });

  it('refers to the pushed index: found through the referrers API or the fallback tag, shown by skopeo', async () => {
    const { text, dir } = await mirror('all.yaml', 'pushed');
    const tool = path.join(work, 'airgap-0.1.0.tgz');
    await fs.writeFile(tool, fakeToolArchive());
    const tarball = path.join(work, 'pushed.tar');
    const exported = await runCli(['export', dir, '--tarball', tarball, '--tool-package', tool], {
      cwd: work,
      env,
    });
    expect(exported.code).toBe(0);
    const manifest = JSON.parse(await fs.readFile(path.join(dir, 'airgap.json'), 'utf8')) as {
      image: { digest: string };
    };
    const index = await fs.readFile(path.join(dir, 'image/blobs/sha256', manifest.image.digest.slice(7)));
    const dest = path.join(await makeTempDir('airgap-sbom-dest-'), 'dest');
    const quiet = { info: () => undefined, warn: () => undefined };
    const result = await runImport(
      {
        source: tarball,
        dest,
        trustedKeyFiles: [],
        insecureSkipSignature: true,
        allowDowngrade: false,
        host: thisProcess(),
        platform: 'linux_amd64',
        pushImage: { target: `${docker.host}/runner/tofu:1`, insecure: true, caCertFiles: [] },
      },
      quiet,
      { readBundle: readVerifiedBundle },
    );
    const sbom = result.image!.sbom!;
    const artifactBytes = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: 'application/vnd.cyclonedx+json',
      config: {
        mediaType: 'application/vnd.oci.empty.v1+json',
        digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
        size: 2,
      },
      layers: [
        {
          mediaType: 'application/vnd.cyclonedx+json',
          digest: `sha256:${sha256(text)}`,
          size: Buffer.byteLength(text),
          annotations: { 'org.opencontainers.image.title': 'sbom.cdx.json' },
        },
      ],
      subject: {
        mediaType: 'application/vnd.oci.image.index.v1+json',
        digest: manifest.image.digest,
        size: index.length,
      },
      annotations: { 'org.opencontainers.image.created': '2025-11-24T16:00:00Z' },
    });
    expect(sbom.digest).toBe(`sha256:${sha256(artifactBytes)}`);
    expect(sbom.subject).toBe(manifest.image.digest);
    expect(sbom.artifactType).toBe('application/vnd.cyclonedx+json');

    // The referrers API where the registry has one, else the tag sha256-HEX of the index.
    const api = await fetch(`${docker.url}/v2/runner/tofu/referrers/${manifest.image.digest}`);
    const listing =
      api.status === 200
        ? await api.json()
        : await (
            await fetch(`${docker.url}/v2/runner/tofu/manifests/sha256-${manifest.image.digest.slice(7)}`, {
              headers: { accept: 'application/vnd.oci.image.index.v1+json' },
            })
          ).json();
    expect(sbom.referrers).toBe(api.status === 200 ? 'api' : 'tag');
    expect((listing as { manifests: unknown[] }).manifests).toEqual([
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: sbom.digest,
        size: Buffer.byteLength(artifactBytes),
        artifactType: 'application/vnd.cyclonedx+json',
        annotations: { 'org.opencontainers.image.created': '2025-11-24T16:00:00Z' },
      },
    ]);

    const { stdout } = await promisify(execFile)('skopeo', [
      'inspect',
      '--raw',
      '--tls-verify=false',
      `docker://${docker.host}/runner/tofu@${sbom.digest}`,
    ]);
    expect(stdout).toBe(artifactBytes);
    const raw = JSON.parse(stdout) as { subject: { digest: string }; artifactType: string };
    expect(raw.subject.digest).toBe(manifest.image.digest);
    expect(raw.artifactType).toBe('application/vnd.cyclonedx+json');
    const layer = await fetch(`${docker.url}/v2/runner/tofu/blobs/sha256:${sha256(text)}`);
    expect(await layer.text()).toBe(text);

    // Again: the image is up to date, the SBOM listed already: only reads.
    const before = docker.requests().length;
    const again = await runImport(
      {
        source: tarball,
        dest,
        trustedKeyFiles: [],
        insecureSkipSignature: true,
        allowDowngrade: false,
        host: thisProcess(),
        platform: 'linux_amd64',
        pushImage: { target: `${docker.host}/runner/tofu:1`, insecure: true, caCertFiles: [] },
      },
      quiet,
      { readBundle: readVerifiedBundle },
    );
    expect(again.image!.sbom).toEqual(sbom);
    if (sbom.referrers === 'tag') {
      expect(
        docker
          .requests()
          .slice(before)
          .filter((x) => !x.startsWith('GET ') && !x.startsWith('HEAD ')),
      ).toEqual([]);
    }
  });
});
