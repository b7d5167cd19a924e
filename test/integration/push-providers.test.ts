// `airgap import --push-providers`: a fixture bundle imported for real, its providers
// pushed through the real OCI client to the real CNCF registry (docker-registry), and
// read back with skopeo, field by field against OpenTofu's provider-mirror spec; the
// zips' blobs fetched from the registry and compared with the mirror's bytes; a second
// push that sends nothing; a push that fails half way leaves no tag; DIR/tofurc.oci,
// with the same NS/TYPE from two provider hosts (as tofu and terraform lock files give)
// in two repositories and two oci_mirror blocks, each checked against tofu's rules
// (opentofu internal/command/cliconfig/provider_installation.go) and resolved to the
// repository that holds the tags; what tofu needs when the push used
// --registry-insecure or --ca-cert (tofu has neither).

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createOciRegistryClient } from '../../src/adapters/oci/registry-client.js';
import type { AirgapError } from '../../src/core/errors.js';
import type { OciRegistryClient, Reporter } from '../../src/core/ports.js';
import { runImport, type ImportOptions } from '../../src/services/import/import-service.js';
import { pushProviders } from '../../src/services/import/push-providers.js';
import { readOciMirrors } from '../../src/core/config/tofurc-oci.js';
import { buildProviderArtifact } from '../../src/core/oci/provider-artifact.js';
import { startDockerRegistry, type DockerRegistry } from '../helpers/docker-registry.js';
import {
  FIXTURE_HOST,
  readFixtureDirectory,
  writeFixtureBundle,
  type FixtureBundle,
} from '../helpers/import-fixtures.js';
import { runCli } from '../helpers/cli.js';
import { thisProcess } from '../helpers/host.js';
import { makeTempDir } from '../helpers/tmp.js';
import { describeWithTools } from '../helpers/tools.js';

const exec = promisify(execFile);
const quiet: Reporter = { info: () => undefined, warn: () => undefined };
const sha = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
/** The second provider host: terraform's registry, beside FIXTURE_HOST's hashicorp/null. */
const TF_HOST = 'registry.terraform.io';
const NULL_REPO = `tofu/${FIXTURE_HOST}/hashicorp/null`;

let registry: DockerRegistry;
let work: string;
let bundle: FixtureBundle;
let dest: string;
/** What the first push reported. */
let firstPush: { repository: string; digest: string }[] = [];

function client(): OciRegistryClient & { close(): Promise<void> } {
  return createOciRegistryClient({
    registry: registry.host,
    insecure: true,
    userAgent: 'airgap-test',
    env: {},
  });
}

function importOptions(extra: Partial<ImportOptions> = {}): ImportOptions {
  return {
    source: bundle.dir,
    dest,
    trustedKeyFiles: [],
    insecureSkipSignature: true,
    allowDowngrade: false,
    host: thisProcess(),
    platform: 'linux_amd64',
    pushProviders: { target: `${registry.host}/tofu`, insecure: true, caCertFiles: [] },
    ...extra,
  };
}

async function skopeoRaw(ref: string): Promise<string> {
  const { stdout } = await exec('skopeo', [
    'inspect',
    '--raw',
    '--tls-verify=false',
    `docker://${registry.host}/${ref}`,
  ]);
  return stdout;
}

async function blob(repo: string, digest: string): Promise<Buffer> {
  const res = await fetch(`${registry.url}/v2/${repo}/blobs/${digest}`);
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

/** Requests that write to the registry (blob uploads and manifest PUTs). */
function writes(from: number): string[] {
  return registry
    .requests()
    .slice(from)
    .filter((r) => !r.startsWith('GET ') && !r.startsWith('HEAD '));
}

describeWithTools(['docker-registry', 'skopeo'], 'airgap import --push-providers', () => {
  beforeAll(async () => {
    work = await makeTempDir('airgap-push-');
    [registry, bundle] = await Promise.all([
      startDockerRegistry(),
      writeFixtureBundle(path.join(work, 'bundle'), {
        createdAt: '2026-01-01T00:00:00Z',
        providers: [
          {
            namespace: 'hashicorp',
            type: 'null',
            version: '3.2.1',
            platforms: ['linux_amd64', 'linux_arm64'],
          },
          { namespace: 'acme', type: 'widget', version: '1.0.0+build.7', platforms: ['linux_amd64'] },
          // The same NS/TYPE and version from a second host (the same zip, as the two
          // public registries serve hashicorp's).
          {
            hostname: TF_HOST,
            namespace: 'hashicorp',
            type: 'null',
            version: '3.2.1',
            platforms: ['linux_amd64'],
          },
        ],
        packageCache: path.join(work, 'cache'),
      }),
    ]);
    dest = path.join(work, 'dest');
  }, 30_000);

  afterAll(async () => {
    await registry?.stop();
  });

  it('imports, pushes every provider version as an OpenTofu artifact, and writes tofurc.oci', async () => {
    const result = await runImport(importOptions(), quiet, {
      readBundle: readFixtureDirectory,
      createOciClient: async (r) => {
        expect(r).toEqual({
          target: `${registry.host}/tofu`,
          insecure: true,
          caCertFiles: [],
          registry: registry.host,
        });
        return client();
      },
    });
    expect(result.action).toBe('imported');
    const push = result.push!;
    firstPush = push.versions;
    expect(push.registry).toBe(registry.host);
    expect(push.prefix).toBe('tofu');
    const tofuTemplate = `${registry.host}/tofu/${FIXTURE_HOST}/\${namespace}/\${type}`;
    const tfTemplate = `${registry.host}/tofu/${TF_HOST}/\${namespace}/\${type}`;
    expect(push.mirrors).toEqual([
      {
        hostname: FIXTURE_HOST,
        repositoryTemplate: tofuTemplate,
        include: [`${FIXTURE_HOST}/acme/widget`, `${FIXTURE_HOST}/hashicorp/null`],
      },
      { hostname: TF_HOST, repositoryTemplate: tfTemplate, include: [`${TF_HOST}/hashicorp/null`] },
    ]);
    expect(
      push.versions.map((v) => [v.address, v.version, v.repository, v.tag, v.platforms, v.action, v.blobs]),
    ).toEqual([
      [
        `${FIXTURE_HOST}/acme/widget`,
        '1.0.0+build.7',
        `tofu/${FIXTURE_HOST}/acme/widget`,
        '1.0.0_build.7',
        ['linux_amd64'],
        'pushed',
        { uploaded: 2, existing: 0, mounted: 0 },
      ],
      [
        `${FIXTURE_HOST}/hashicorp/null`,
        '3.2.1',
        NULL_REPO,
        '3.2.1',
        ['linux_amd64', 'linux_arm64'],
        'pushed',
        { uploaded: 3, existing: 0, mounted: 0 },
      ],
      [
        `${TF_HOST}/hashicorp/null`,
        '3.2.1',
        `tofu/${TF_HOST}/hashicorp/null`,
        '3.2.1',
        ['linux_amd64'],
        'pushed',
        { uploaded: 2, existing: 0, mounted: 0 },
      ],
    ]);
    const plainHttp = `The providers were pushed to ${registry.host} over plain HTTP (--registry-insecure), but tofu reaches OCI registries over HTTPS only and has no setting for plain HTTP: serve ${registry.host} over HTTPS, with a certificate the hosts running tofu trust, before using tofurc.oci.`;
    expect(push.warnings).toEqual([plainHttp]);
    expect(push.tofurc).toBe(path.join(dest, 'tofurc.oci'));
    const tofurc = await fs.readFile(path.join(dest, 'tofurc.oci'), 'utf8');
    expect(tofurc).toBe(`# Generated by airgap import --push-providers; do not edit (push again instead).
# CLI configuration for OpenTofu >= 1.10 (Terraform has no oci_mirror): point
# TF_CLI_CONFIG_FILE at this file, or install it as ~/.tofurc.
#
# The providers listed in include install from the OCI registry they were pushed
# to, and every other provider from nowhere: with a provider_installation block,
# tofu uses only the methods it lists. One oci_mirror block per provider host:
# tofu refuses a repository_template without \${hostname} for more than one host.
#
# The providers were pushed to ${registry.host} over plain HTTP
# (--registry-insecure), but tofu reaches OCI registries over HTTPS only and has
# no setting for plain HTTP: serve ${registry.host} over HTTPS, with a
# certificate the hosts running tofu trust, before using tofurc.oci.

provider_installation {
  oci_mirror {
    repository_template = "${tofuTemplate}"
    include             = [
      "${FIXTURE_HOST}/acme/widget",
      "${FIXTURE_HOST}/hashicorp/null",
    ]
  }
  oci_mirror {
    repository_template = "${tfTemplate}"
    include             = [
      "${TF_HOST}/hashicorp/null",
    ]
  }
}
`);
    // Read back by our HCL parser, and checked by tofu's rules as written here rather
    // than through readOciMirrors' own check: a template without ${hostname} must not
    // serve more than one host, and each must give REGISTRY/REPOSITORY.
    const blocks = readOciMirrors(tofurc, 'tofurc.oci');
    expect(blocks.map((b) => b.problem)).toEqual([undefined, undefined]);
    for (const { block } of blocks) {
      const hosts = new Set(block.include.map((p) => p.split('/')[0]));
      expect(hosts.size === 1 || block.repositoryTemplate.includes('${hostname}')).toBe(true);
    }
    // Resolve each included provider as tofu does (fill in the template) and find its
    // tags in the registry: the file names the repositories the push wrote.
    for (const { block } of blocks) {
      for (const address of block.include) {
        const [hostname, namespace, type] = address.split('/') as [string, string, string];
        const ref = block.repositoryTemplate
          .replaceAll('${hostname}', hostname)
          .replaceAll('${namespace}', namespace)
          .replaceAll('${type}', type);
        const { stdout } = await exec('skopeo', ['list-tags', '--tls-verify=false', `docker://${ref}`]);
        expect((JSON.parse(stdout) as { Tags: string[] }).Tags).toEqual(
          push.versions.filter((v) => v.address === address).map((v) => v.tag),
        );
      }
    }
  }, 30_000);

  it('reads back with skopeo as the OpenTofu spec requires, field by field, the zips byte for byte', async () => {
    const repo = NULL_REPO;
    const rawIndex = await skopeoRaw(`${repo}:3.2.1`);
    const pushed = firstPush.find((v) => v.repository === repo)!;
    expect(sha(Buffer.from(rawIndex))).toBe(pushed.digest);
    const index = JSON.parse(rawIndex) as {
      schemaVersion: number;
      mediaType: string;
      artifactType: string;
      manifests: {
        mediaType: string;
        artifactType: string;
        digest: string;
        size: number;
        platform: unknown;
      }[];
    };
    expect(index.schemaVersion).toBe(2);
    expect(index.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(index.artifactType).toBe('application/vnd.opentofu.provider');
    expect(index.manifests.map((m) => m.platform)).toEqual([
      { architecture: 'amd64', os: 'linux' },
      { architecture: 'arm64', os: 'linux' },
    ]);
    for (const [i, entry] of index.manifests.entries()) {
      const platform = ['linux_amd64', 'linux_arm64'][i]!;
      expect(entry.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
      expect(entry.artifactType).toBe('application/vnd.opentofu.provider-target');
      const raw = await skopeoRaw(`${repo}@${entry.digest}`);
      expect(sha(Buffer.from(raw))).toBe(entry.digest);
      expect(Buffer.byteLength(raw)).toBe(entry.size);
      const manifest = JSON.parse(raw) as {
        schemaVersion: number;
        mediaType: string;
        artifactType: string;
        config: unknown;
        layers: { mediaType: string; digest: string; size: number; annotations: Record<string, string> }[];
      };
      expect(manifest.schemaVersion).toBe(2);
      expect(manifest.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
      expect(manifest.artifactType).toBe('application/vnd.opentofu.provider-target');
      expect(manifest.config).toEqual({
        mediaType: 'application/vnd.oci.empty.v1+json',
        digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
        size: 2,
      });
      expect(manifest.layers).toHaveLength(1);
      const layer = manifest.layers[0]!;
      const filename = `terraform-provider-null_3.2.1_${platform}.zip`;
      const zip = await fs.readFile(
        path.join(dest, 'providers', FIXTURE_HOST, 'hashicorp', 'null', filename),
      );
      // The mirror's zip is the bundle's, which is the origin registry's.
      expect(sha(zip)).toBe(
        `sha256:${bundle.sums.get(`providers/${FIXTURE_HOST}/hashicorp/null/${filename}`)}`,
      );
      expect(layer.mediaType).toBe('archive/zip');
      expect(layer.digest).toBe(sha(zip));
      expect(layer.size).toBe(zip.length);
      expect(layer.annotations).toEqual({ 'org.opencontainers.image.title': filename });
      expect((await blob(repo, layer.digest)).equals(zip)).toBe(true);
    }
    expect(
      (
        await blob(repo, 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a')
      ).toString(),
    ).toBe('{}');
  }, 30_000);

  it('tags a version with build metadata with _ for +, and nothing else', async () => {
    const { stdout } = await exec('skopeo', [
      'list-tags',
      '--tls-verify=false',
      `docker://${registry.host}/tofu/${FIXTURE_HOST}/acme/widget`,
    ]);
    expect((JSON.parse(stdout) as { Tags: string[] }).Tags).toEqual(['1.0.0_build.7']);
    const index = JSON.parse(await skopeoRaw(`tofu/${FIXTURE_HOST}/acme/widget:1.0.0_build.7`)) as {
      manifests: unknown[];
    };
    expect(index.manifests).toHaveLength(1);
  }, 30_000);

  it('a second run (the import a no-op) sends nothing: every tag names its index already', async () => {
    const before = registry.requests().length;
    const result = await runImport(importOptions(), quiet, {
      readBundle: readFixtureDirectory,
      createOciClient: async () => client(),
    });
    expect(result.action).toBe('unchanged');
    expect(result.push!.versions.map((v) => [v.tag, v.action, v.blobs.uploaded])).toEqual([
      ['1.0.0_build.7', 'unchanged', 0],
      ['3.2.1', 'unchanged', 0],
      ['3.2.1', 'unchanged', 0],
    ]);
    expect(writes(before)).toEqual([]);
  }, 30_000);

  it('re-pushing over a moved tag uploads no blob: HEAD finds them, only manifests are PUT', async () => {
    const c = client();
    const repo = NULL_REPO;
    // Point the tag at an index of the amd64 manifest alone (its bytes are the pushed ones).
    const dir = path.join(dest, 'providers', FIXTURE_HOST, 'hashicorp', 'null');
    const versionJson = JSON.parse(await fs.readFile(path.join(dir, '3.2.1.json'), 'utf8')) as {
      archives: Record<string, { url: string; hashes: string[] }>;
    };
    const amd = versionJson.archives['linux_amd64']!;
    const partial = buildProviderArtifact({
      zips: [
        {
          platform: 'linux_amd64',
          filename: amd.url,
          sha256: amd.hashes.find((h) => h.startsWith('zh:'))!.slice(3),
          size: (await fs.stat(path.join(dir, amd.url))).size,
        },
      ],
    });
    await c.pushManifest(repo, '3.2.1', { mediaType: partial.index.mediaType, bytes: partial.index.bytes });
    expect((await c.getManifest(repo, '3.2.1'))!.digest).toBe(partial.index.digest);

    const before = registry.requests().length;
    const result = await pushProviders({
      dest,
      target: `${registry.host}/tofu`,
      client: c,
      reporter: quiet,
      only: [`${FIXTURE_HOST}/hashicorp/null`],
    });
    await c.close();
    expect(result.versions).toHaveLength(1);
    const v = result.versions[0]!;
    expect([v.action, v.blobs, v.digest]).toEqual([
      'pushed',
      { uploaded: 0, existing: 3, mounted: 0 },
      firstPush.find((f) => f.repository === repo)!.digest,
    ]);
    const sent = writes(before);
    expect(sent).toHaveLength(4);
    expect(sent.every((r) => r.startsWith(`PUT /v2/${repo}/manifests/`))).toBe(true);
    expect(sent[3]).toBe(`PUT /v2/${repo}/manifests/3.2.1`);
    expect(sha(Buffer.from(await skopeoRaw(`${repo}:3.2.1`)))).toBe(v.digest);
    // tofurc.oci now names only what this push covered; a push without
    // --registry-insecure or --ca-cert has nothing to tell the tofu hosts.
    expect(result.warnings).toEqual([]);
    expect(readOciMirrors(await fs.readFile(path.join(dest, 'tofurc.oci'), 'utf8'), 'tofurc.oci')).toEqual([
      {
        block: {
          repositoryTemplate: `${registry.host}/tofu/${FIXTURE_HOST}/\${namespace}/\${type}`,
          include: [`${FIXTURE_HOST}/hashicorp/null`],
        },
      },
    ]);
  }, 30_000);

  it('a push that fails before the tag leaves no tag; the same push again completes it', async () => {
    const real = client();
    let calls = 0;
    const failing: OciRegistryClient = {
      hasBlob: (r, d) => real.hasBlob(r, d),
      getManifest: (r, ref) => real.getManifest(r, ref),
      pushBlob: (r, b, o) => real.pushBlob(r, b, o),
      pushManifest: async (r, ref, m) => {
        calls += 1;
        // The two platform manifests go up; the index by digest fails.
        if (calls === 3) throw new Error('connection reset (test)');
        return real.pushManifest(r, ref, m);
      },
    };
    const target = `${registry.host}/half`;
    const err = await pushProviders({
      dest,
      target,
      client: failing,
      reporter: quiet,
      only: [`${FIXTURE_HOST}/hashicorp/null`],
    }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toBe('connection reset (test)');
    expect(await real.getManifest(`half/${FIXTURE_HOST}/hashicorp/null`, '3.2.1')).toBeUndefined();
    await expect(skopeoRaw(`half/${FIXTURE_HOST}/hashicorp/null:3.2.1`)).rejects.toThrow(/manifest unknown/i);

    const before = registry.requests().length;
    const done = await pushProviders({
      dest,
      target,
      client: real,
      reporter: quiet,
      only: [`${FIXTURE_HOST}/hashicorp/null`],
    });
    await real.close();
    // Every blob went up the first time: only manifests are sent now.
    expect(done.versions[0]!.blobs).toEqual({ uploaded: 0, existing: 3, mounted: 0 });
    const sent = writes(before);
    expect(sent).toHaveLength(4);
    expect(sent.every((r) => r.startsWith(`PUT /v2/half/${FIXTURE_HOST}/hashicorp/null/manifests/`))).toBe(
      true,
    );
    expect(sent[3]).toBe(`PUT /v2/half/${FIXTURE_HOST}/hashicorp/null/manifests/3.2.1`);
    expect(sha(Buffer.from(await skopeoRaw(`half/${FIXTURE_HOST}/hashicorp/null:3.2.1`)))).toBe(
      done.versions[0]!.digest,
    );
  }, 30_000);

  it('over TLS with --ca-cert (CLI): the output, --json and tofurc.oci say what tofu needs instead', async () => {
    const tls = await startDockerRegistry({ tls: true });
    const cliDest = path.join(work, 'cli-dest');
    try {
      const args = [
        'import',
        bundle.dir,
        '--dest',
        cliDest,
        '--insecure-skip-signature',
        '--platform',
        'linux_amd64',
        '--push-providers',
        `${tls.host}/tofu`,
        '--ca-cert',
        tls.caCertPath!,
      ];
      const note = `The push trusted ${tls.host}'s certificate through --ca-cert, but tofu has no such setting: it checks an OCI registry's certificate against the system trust store. Add that CA to the trust store of every host that runs tofu (on Linux, SSL_CERT_FILE naming a PEM file that holds it also works).`;
      const human = await runCli(args);
      expect(human.stderr).not.toMatch(/error/i);
      expect(human.code).toBe(0);
      expect(human.stdout).toContain(
        `Pushed 3 provider version(s) to ${tls.host} (0 up to date). For tofu's oci_mirror: export TF_CLI_CONFIG_FILE=${path.join(cliDest, 'tofurc.oci')}\nWarning for tofu: ${note}\n`,
      );
      const tofurc = await fs.readFile(path.join(cliDest, 'tofurc.oci'), 'utf8');
      // The header comment carries the same words, wrapped.
      const comment = tofurc
        .split('\n')
        .filter((l) => l.startsWith('#'))
        .map((l) => l.slice(1).trim())
        .join(' ');
      expect(comment).toContain(note);
      expect(tofurc).not.toContain('plain HTTP');

      const json = await runCli([...args, '--json']);
      expect(json.code).toBe(0);
      const doc = JSON.parse(json.stdout) as {
        action: string;
        push: { warnings: string[]; mirrors: unknown[] };
      };
      expect(doc.action).toBe('unchanged');
      expect(doc.push.warnings).toEqual([note]);
      expect(doc.push.mirrors).toHaveLength(2);
    } finally {
      await tls.stop();
    }
  }, 60_000);

  it('refuses two directories for one provider (one repository), naming both, before any request', async () => {
    const dir = path.join(work, 'two-hosts');
    // tofu reads both as host a.example (":443" is the default port): one repository.
    for (const host of ['a.example', 'a.example:443']) {
      const p = path.join(dir, 'providers', host, 'hashicorp', 'null');
      await fs.mkdir(p, { recursive: true });
      await fs.writeFile(path.join(p, 'index.json'), '{"versions":{"1.0.0":{}}}');
      await fs.writeFile(
        path.join(p, '1.0.0.json'),
        JSON.stringify({ archives: { linux_amd64: { url: 'p.zip', hashes: [`zh:${'a'.repeat(64)}`] } } }),
      );
      await fs.writeFile(path.join(p, 'p.zip'), 'zip');
    }
    const untouched: OciRegistryClient = {
      hasBlob: () => Promise.reject(new Error('no request expected')),
      getManifest: () => Promise.reject(new Error('no request expected')),
      pushBlob: () => Promise.reject(new Error('no request expected')),
      pushManifest: () => Promise.reject(new Error('no request expected')),
    };
    const e = (await pushProviders({
      dest: dir,
      target: 'r.example/p',
      client: untouched,
      reporter: quiet,
    }).catch((x: unknown) => x)) as AirgapError;
    expect(e.code).toBe('USAGE');
    expect(e.message).toBe(
      'providers/a.example/hashicorp/null and providers/a.example:443/hashicorp/null would both be pushed to repository p/a.example/hashicorp/null: they name the same provider; keep one of the two directories',
    );
    expect(e.details).toMatchObject({
      provider: 'a.example:443/hashicorp/null',
      actual: 'a.example/hashicorp/null, a.example:443/hashicorp/null',
    });
    expect(e.remedy).toBe('remove or merge the duplicate directory under DIR/providers, then push again');
    const missing = (await pushProviders({
      dest: dir,
      target: 'r.example/p',
      client: untouched,
      reporter: quiet,
      only: ['c.example/hashicorp/null'],
    }).catch((x: unknown) => x)) as AirgapError;
    expect(missing.code).toBe('PROVIDER_NOT_FOUND');
    expect(missing.details.expected).toBe('a.example/hashicorp/null');
    await expect(fs.access(path.join(dir, 'tofurc.oci'))).rejects.toThrow(/ENOENT/);
  });
});
