// `airgap plan` through the real executable, against the test registry and the test
// release server (real HTTPS on 127.0.0.1, real signatures): the exact items, sizes,
// totals and exit codes on an empty and on a complete bundle, that plan downloads no
// package (the registry's request log is counted), that a changed spec plans exactly
// what mirror then does, the tofu releases with their signature, the --json document,
// and init -> plan -> mirror -> plan.

import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderTofurc, renderWorkflow } from '../../src/core/config/index.js';
import { renderDockerfile } from '../../src/core/config/index.js';
import { PROVIDERS_LOCKFILE } from '../../src/core/layout/names.js';
import type { PlanDocument, PlanItem } from '../../src/core/plan/index.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startTestRegistry, type TestPackage, type TestRegistry } from '../helpers/registry/index.js';
import { startReleaseServer, type ReleaseServer } from '../helpers/release-server/index.js';
import { writeBaseImageLayout } from '../helpers/base-image.js';
import { makeTempDir } from '../helpers/tmp.js';
import { TOOL_VERSION } from '../../src/services/tool-version.js';

const HOST = 'registry.airgap.test';
const PLATFORMS = ['linux_amd64', 'linux_arm64'];
let registry: TestRegistry;
let extRegistry: TestRegistry;
let releases: ReleaseServer;

const PROVIDERS = [
  { namespace: 'hashicorp', type: 'null', versions: ['3.2.0', '3.2.1'], platforms: PLATFORMS },
  {
    namespace: 'acme',
    type: 'widget',
    versions: ['1.0.0', '1.1.0'],
    platforms: PLATFORMS,
    payloadSize: 3000,
  },
];

beforeAll(async () => {
  [registry, extRegistry, releases] = await Promise.all([
    startTestRegistry({ providers: PROVIDERS }),
    // OpenTofu's `packages` extension: package_size and h1: in the download answer.
    startTestRegistry({ providers: PROVIDERS, packagesExtension: true }),
    startReleaseServer({ tofu: { versions: ['1.8.4', '1.8.5', '1.9.0'], platforms: PLATFORMS } }),
  ]);
});

afterAll(async () => {
  await Promise.all([registry?.close(), extRegistry?.close(), releases?.close()]);
});

function pkg(reg: TestRegistry, type: string, version: string, platform: string): TestPackage {
  const p = reg.packages.find((x) => x.type === type && x.version === version && x.platform === platform);
  if (p === undefined) throw new Error(`no test package ${type} ${version} ${platform}`);
  return p;
}

function lockText(blocks: { address: string; version: string }[]): string {
  return (
    '# This file is maintained automatically by "tofu init".\n# Manual edits may be lost in future updates.\n\n' +
    blocks.map((b) => `provider "${b.address}" {\n  version = "${b.version}"\n}\n`).join('\n')
  );
}

interface Workspace {
  dir: string;
  cliConfig: string;
  run(command: 'plan' | 'mirror', args?: string[]): Promise<CliResult>;
}

/** A directory with airgap.yaml, a lock file under stacks/app/, and a CLI config for `reg`. */
async function workspace(reg: TestRegistry, spec: string, lockVersion = '3.2.1'): Promise<Workspace> {
  const dir = await makeTempDir('airgap-plan-');
  await fs.mkdir(path.join(dir, 'stacks/app'), { recursive: true });
  await fs.writeFile(
    path.join(dir, 'stacks/app/.terraform.lock.hcl'),
    lockText([{ address: `${HOST}/hashicorp/null`, version: lockVersion }]),
  );
  await fs.writeFile(path.join(dir, 'airgap.yaml'), spec);
  const cliConfig = path.join(dir, 'cli.tfrc');
  await fs.writeFile(cliConfig, reg.cliConfigText());
  return {
    dir,
    cliConfig,
    run: (command, args = []) =>
      runCli([command, ...args], {
        cwd: dir,
        env: { TF_CLI_CONFIG_FILE: cliConfig, SSL_CERT_FILE: reg.caCertPath },
      }),
  };
}

const SPEC = `apiVersion: airgap/v1
defaultRegistry: ${HOST}
platforms: [linux_amd64, linux_arm64]
lockfiles: [stacks/]
providers:
  acme/widget: ['~> 1.0']
output:
  dir: bundle
`;

function zipGets(reg: { requests: { method: string; path: string }[] }): number {
  return reg.requests.filter(
    (r) => r.method === 'GET' && new URL(r.path, 'https://x').pathname.endsWith('.zip'),
  ).length;
}
function zipHeads(reg: { requests: { method: string; path: string }[] }): number {
  return reg.requests.filter(
    (r) => r.method === 'HEAD' && new URL(r.path, 'https://x').pathname.endsWith('.zip'),
  ).length;
}

const TOFURC = renderTofurc({ mirrorPath: '/providers', allowDirect: [] });
const WORKFLOW = renderWorkflow('tofu');
const LOCK_COPY = 'lockfiles/stacks/app/.terraform.lock.hcl';

function providerItem(
  reg: TestRegistry,
  type: string,
  ns: string,
  version: string,
  platform: string,
  action: PlanItem['action'],
  sizeSource: PlanItem['sizeSource'],
): PlanItem {
  const p = pkg(reg, type, version, platform);
  return {
    kind: 'provider',
    subject: `${HOST}/${ns}/${type} ${version} ${platform}`,
    path: `providers/${HOST}/${ns}/${type}/${p.filename}`,
    size: p.size,
    sizeSource,
    action,
  };
}

function generated(kind: 'config' | 'lockfile', rel: string, text: string, present: boolean): PlanItem {
  return {
    kind,
    subject: rel,
    path: rel,
    size: Buffer.byteLength(text),
    sizeSource: present ? 'bundle' : 'local',
    action: present ? 'present' : 'build',
  };
}

describe('airgap plan against the test registry', () => {
  it('on an empty bundle: every package to download with its size, no package fetched; after mirror: nothing to do', async () => {
    const ws = await workspace(registry, SPEC);
    const lock = lockText([{ address: `${HOST}/hashicorp/null`, version: '3.2.1' }]);
    const gets = zipGets(registry);
    const heads = zipHeads(registry);

    const r = await ws.run('plan', ['--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(10);
    const plan = JSON.parse(r.stdout) as PlanDocument;
    const downloads = [
      providerItem(registry, 'widget', 'acme', '1.1.0', 'linux_amd64', 'download', 'Content-Length'),
      providerItem(registry, 'widget', 'acme', '1.1.0', 'linux_arm64', 'download', 'Content-Length'),
      providerItem(registry, 'null', 'hashicorp', '3.2.1', 'linux_amd64', 'download', 'Content-Length'),
      providerItem(registry, 'null', 'hashicorp', '3.2.1', 'linux_arm64', 'download', 'Content-Length'),
    ];
    const toDownload = downloads.reduce((n, i) => n + i.size!, 0);
    // The whole document, pinned.
    expect(plan).toEqual({
      schemaVersion: 1,
      tool: `airgap/${TOOL_VERSION}`,
      outDir: path.join(await fs.realpath(ws.dir), 'bundle'),
      platforms: PLATFORMS,
      items: [
        ...downloads,
        generated('config', 'config/tofurc', TOFURC, false),
        generated('config', 'config/workflow.yml', WORKFLOW, false),
        // The spec's providers' lock file records each package's h1:, which only the zip tells.
        {
          kind: 'lockfile',
          subject: PROVIDERS_LOCKFILE,
          path: PROVIDERS_LOCKFILE,
          size: null,
          sizeSource: null,
          action: 'build',
          note: 'after download',
        },
        generated('lockfile', LOCK_COPY, lock, false),
      ],
      removals: [],
      skipped: [],
      warnings: [],
      totals: {
        bytesToDownload: toDownload,
        unknownSizes: 1,
        bundleBytes:
          toDownload + Buffer.byteLength(TOFURC) + Buffer.byteLength(WORKFLOW) + Buffer.byteLength(lock),
        download: 4,
        present: 0,
        remove: 0,
        build: 4,
      },
      changes: true,
    });
    // Sizes from a HEAD of each package; not one package fetched, nothing written.
    expect(zipGets(registry)).toBe(gets);
    expect(zipHeads(registry)).toBe(heads + 4);
    await expect(fs.stat(path.join(ws.dir, 'bundle'))).rejects.toThrow(/ENOENT/);

    // The table says the same.
    const table = await ws.run('plan');
    expect(table.code).toBe(10);
    expect(table.stderr).toBe(
      `plan: 4 provider package(s) for linux_amd64, linux_arm64, against ${plan.outDir}\n`,
    );
    const n = (i: number): string => `${(downloads[i]!.size! / 1000).toFixed(1)} kB`;
    expect(table.stdout).toBe(
      [
        'ACTION    KIND              SIZE  SOURCE          SUBJECT',
        `download  provider     ${n(0).padStart(9)}  Content-Length  ${HOST}/acme/widget 1.1.0 linux_amd64`,
        `download  provider     ${n(1).padStart(9)}  Content-Length  ${HOST}/acme/widget 1.1.0 linux_arm64`,
        `download  provider     ${n(2).padStart(9)}  Content-Length  ${HOST}/hashicorp/null 3.2.1 linux_amd64`,
        `download  provider     ${n(3).padStart(9)}  Content-Length  ${HOST}/hashicorp/null 3.2.1 linux_arm64`,
        `build     config       ${`${Buffer.byteLength(TOFURC)} B`.padStart(9)}  local           config/tofurc`,
        `build     config       ${`${(Buffer.byteLength(WORKFLOW) / 1000).toFixed(1)} kB`.padStart(9)}  local           config/workflow.yml`,
        `build     lockfile       unknown  after download  ${PROVIDERS_LOCKFILE}`,
        `build     lockfile     ${`${Buffer.byteLength(lock)} B`.padStart(9)}  local           ${LOCK_COPY}`,
        '',
        `To download: 4 (${(toDownload / 1000).toFixed(1)} kB, ${toDownload} bytes). To build: 4. Present: 0. To remove: 0.`,
        `Bundle after the run: ${(plan.totals.bundleBytes / 1000).toFixed(1)} kB, ${plan.totals.bundleBytes} bytes; 1 item of unknown size not counted.`,
        'Mirror would change the bundle (exit code 10).',
        '',
      ].join('\n'),
    );

    // mirror does what plan said; plan then finds everything present, and asks for no package.
    const m = await ws.run('mirror', ['--json']);
    expect(m.code).toBe(0);
    expect(JSON.parse(m.stdout).bytesDownloaded).toBe(toDownload);
    const providersLock = await fs.readFile(path.join(ws.dir, 'bundle', PROVIDERS_LOCKFILE), 'utf8');
    const afterMirror = { gets: zipGets(registry), heads: zipHeads(registry) };
    const again = await ws.run('plan', ['--json']);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    const steady = JSON.parse(again.stdout) as PlanDocument;
    expect(steady.items).toEqual([
      ...downloads.map((i) => ({ ...i, sizeSource: 'bundle', action: 'present' })),
      generated('config', 'config/tofurc', TOFURC, true),
      generated('config', 'config/workflow.yml', WORKFLOW, true),
      generated('lockfile', PROVIDERS_LOCKFILE, providersLock, true),
      generated('lockfile', LOCK_COPY, lock, true),
    ]);
    expect(steady.totals).toEqual({
      bytesToDownload: 0,
      unknownSizes: 0,
      bundleBytes: plan.totals.bundleBytes + Buffer.byteLength(providersLock),
      download: 0,
      present: 8,
      remove: 0,
      build: 0,
    });
    expect(steady.changes).toBe(false);
    expect({ gets: zipGets(registry), heads: zipHeads(registry) }).toEqual(afterMirror);
    const steadyTable = await ws.run('plan');
    expect(steadyTable.code).toBe(0);
    expect(steadyTable.stdout.split('\n').slice(-4)).toEqual([
      'To download: 0 (0 bytes). To build: 0. Present: 8. To remove: 0.',
      `Bundle after the run: ${(steady.totals.bundleBytes / 1000).toFixed(1)} kB, ${steady.totals.bundleBytes} bytes.`,
      'No changes: the bundle holds what the request asks for.',
      '',
    ]);
  });

  it('a changed spec: plan lists the downloads and the removals, and mirror then does exactly that', async () => {
    const ws = await workspace(registry, SPEC);
    expect((await ws.run('mirror')).code).toBe(0);
    // Drop null 3.2.1 (the lock file moves to 3.2.0) and widget 1.1.0 (pinned to 1.0.0): two versions in, two out.
    await fs.writeFile(
      path.join(ws.dir, 'stacks/app/.terraform.lock.hcl'),
      lockText([{ address: `${HOST}/hashicorp/null`, version: '3.2.0' }]),
    );
    await fs.writeFile(path.join(ws.dir, 'airgap.yaml'), SPEC.replace("['~> 1.0']", "['1.0.0']"));
    const gets = zipGets(registry);

    const r = await ws.run('plan', ['--json']);
    expect(r.code).toBe(10);
    const plan = JSON.parse(r.stdout) as PlanDocument;
    const byAction = (a: PlanItem['action']): string[] =>
      plan.items.filter((i) => i.action === a && i.kind === 'provider').map((i) => i.subject);
    expect(byAction('download')).toEqual([
      `${HOST}/acme/widget 1.0.0 linux_amd64`,
      `${HOST}/acme/widget 1.0.0 linux_arm64`,
      `${HOST}/hashicorp/null 3.2.0 linux_amd64`,
      `${HOST}/hashicorp/null 3.2.0 linux_arm64`,
    ]);
    expect(plan.items.filter((i) => i.action === 'remove')).toEqual([
      providerItem(registry, 'widget', 'acme', '1.1.0', 'linux_amd64', 'remove', 'bundle'),
      providerItem(registry, 'widget', 'acme', '1.1.0', 'linux_arm64', 'remove', 'bundle'),
      providerItem(registry, 'null', 'hashicorp', '3.2.1', 'linux_amd64', 'remove', 'bundle'),
      providerItem(registry, 'null', 'hashicorp', '3.2.1', 'linux_arm64', 'remove', 'bundle'),
    ]);
    expect(plan.removals).toEqual([
      `removed provider ${HOST}/acme/widget 1.1.0 (linux_amd64, linux_arm64): no longer requested`,
      `removed provider ${HOST}/hashicorp/null 3.2.1 (linux_amd64, linux_arm64): no longer requested`,
    ]);
    expect(plan.totals.bytesToDownload).toBe(
      ['widget:1.0.0', 'null:3.2.0']
        .flatMap((k) => PLATFORMS.map((p) => pkg(registry, k.split(':')[0]!, k.split(':')[1]!, p).size))
        .reduce((a, b) => a + b),
    );
    expect(zipGets(registry)).toBe(gets);

    const m = await ws.run('mirror', ['--json']);
    expect(m.code).toBe(0);
    const mirrored = JSON.parse(m.stdout) as {
      removed: string[];
      bytesDownloaded: number;
      packagesDownloaded: number;
    };
    expect(mirrored.removed).toEqual(plan.removals);
    expect(mirrored.packagesDownloaded).toBe(4);
    expect(mirrored.bytesDownloaded).toBe(plan.totals.bytesToDownload);
    expect((await ws.run('plan')).code).toBe(0);
  });

  it("takes sizes from the registry's package_size when it states them: no HEAD, and the lock file's size is known", async () => {
    const ws = await workspace(extRegistry, SPEC);
    const r = await ws.run('plan', ['--json']);
    expect(r.code).toBe(10);
    const plan = JSON.parse(r.stdout) as PlanDocument;
    expect(plan.items.filter((i) => i.kind === 'provider')).toEqual([
      providerItem(
        extRegistry,
        'widget',
        'acme',
        '1.1.0',
        'linux_amd64',
        'download',
        'registry package_size',
      ),
      providerItem(
        extRegistry,
        'widget',
        'acme',
        '1.1.0',
        'linux_arm64',
        'download',
        'registry package_size',
      ),
      providerItem(
        extRegistry,
        'null',
        'hashicorp',
        '3.2.1',
        'linux_amd64',
        'download',
        'registry package_size',
      ),
      providerItem(
        extRegistry,
        'null',
        'hashicorp',
        '3.2.1',
        'linux_arm64',
        'download',
        'registry package_size',
      ),
    ]);
    expect(zipHeads(extRegistry)).toBe(0);
    expect(zipGets(extRegistry)).toBe(0);
    // The h1: comes with the answer: the lock file plan computes is the one mirror writes.
    const planned = plan.items.find((i) => i.path === PROVIDERS_LOCKFILE)!;
    expect(plan.totals.unknownSizes).toBe(0);
    expect((await ws.run('mirror')).code).toBe(0);
    const written = await fs.readFile(path.join(ws.dir, 'bundle', PROVIDERS_LOCKFILE));
    expect(planned).toEqual({
      kind: 'lockfile',
      subject: PROVIDERS_LOCKFILE,
      path: PROVIDERS_LOCKFILE,
      size: written.length,
      sizeSource: 'local',
      action: 'build',
    });
  });

  it('a damaged package in the bundle is to download again; a missing platform fails, or is skipped as mirror would', async () => {
    const ws = await workspace(registry, SPEC);
    expect((await ws.run('mirror')).code).toBe(0);
    const a = pkg(registry, 'null', '3.2.1', 'linux_amd64');
    const file = path.join(ws.dir, 'bundle/providers', HOST, 'hashicorp/null', a.filename);
    const bytes = await fs.readFile(file);
    bytes.writeUInt8(bytes.readUInt8(bytes.length >> 1) ^ 0xff, bytes.length >> 1);
    await fs.writeFile(file, bytes);
    const r = await ws.run('plan', ['--json']);
    expect(r.code).toBe(10);
    const plan = JSON.parse(r.stdout) as PlanDocument;
    expect(plan.items.filter((i) => i.action !== 'present')).toEqual([
      providerItem(registry, 'null', 'hashicorp', '3.2.1', 'linux_amd64', 'download', 'Content-Length'),
    ]);
    expect(plan.warnings).toEqual([
      `${HOST}/hashicorp/null 3.2.1 (linux_amd64): ${a.filename} in the bundle is damaged (sha256 ${createHash('sha256').update(bytes).digest('hex')}, recorded zh:${a.sha256}); mirror would fetch it again`,
    ]);

    // A platform the registry has no package for: the error mirror gives, or a skip.
    const missing = await ws.run('plan', [
      '--platform',
      'linux_amd64',
      '--platform',
      'darwin_arm64',
      '--json',
    ]);
    expect(missing.code).toBe(3);
    expect((JSON.parse(missing.stdout) as { error: { code: string } }).error.code).toBe('PLATFORM_MISSING');
    const skipped = await ws.run('plan', [
      '--platform',
      'linux_amd64',
      '--platform',
      'darwin_arm64',
      '--skip-missing-platforms',
      '--json',
    ]);
    const doc = JSON.parse(skipped.stdout) as PlanDocument;
    expect(skipped.code).toBe(10);
    expect(doc.skipped.map((k) => `${k.address} ${k.version} ${k.platform}`)).toEqual([
      `${HOST}/acme/widget 1.1.0 darwin_arm64`,
      `${HOST}/hashicorp/null 3.2.1 darwin_arm64`,
    ]);
    expect(doc.items.some((i) => i.subject.endsWith('darwin_arm64'))).toBe(false);
  });

  it('an in-house executable is zipped as mirror zips it: built, then present', async () => {
    const ws = await workspace(registry, SPEC);
    const exe = path.join(ws.dir, 'terraform-provider-thing');
    await fs.writeFile(exe, '#!/bin/sh\necho thing\n', { mode: 0o755 });
    const args = ['--local-provider', `registry.myorg.io/myorg/thing@1.0.0=linux_amd64:${exe}`, '--json'];
    const r = await ws.run('plan', args);
    expect(r.code).toBe(10);
    const item = (JSON.parse(r.stdout) as PlanDocument).items.find((i) =>
      i.subject.startsWith('registry.myorg.io'),
    );
    expect(await ws.run('mirror', args.slice(0, 2))).toMatchObject({ code: 0 });
    const zip = path.join(
      ws.dir,
      'bundle/providers/registry.myorg.io/myorg/thing/terraform-provider-thing_1.0.0_linux_amd64.zip',
    );
    const size = (await fs.stat(zip)).size;
    expect(item).toEqual({
      kind: 'provider',
      subject: 'registry.myorg.io/myorg/thing 1.0.0 linux_amd64',
      path: 'providers/registry.myorg.io/myorg/thing/terraform-provider-thing_1.0.0_linux_amd64.zip',
      size,
      sizeSource: 'local',
      action: 'build',
      note: `from ${exe}`,
    });
    const again = await ws.run('plan', args);
    expect(again.code).toBe(0);
    const { note: _note, ...rest } = item!;
    expect(
      (JSON.parse(again.stdout) as PlanDocument).items.find((i) => i.subject.startsWith('registry.myorg.io')),
    ).toStrictEqual({
      ...rest,
      sizeSource: 'bundle',
      action: 'present',
    });
  });

  it('a signature that does not verify fails the plan (exit 1), as it would fail mirror', async () => {
    const ws = await workspace(registry, SPEC);
    registry.addFault({ kind: 'wrong-signature', match: 'widget' });
    try {
      const r = await ws.run('plan', ['--json']);
      expect(r.code).toBe(1);
      const doc = JSON.parse(r.stdout) as { error: { code: string; message: string } };
      expect(doc.error.code).toBe('SIGNATURE_INVALID');
      expect(doc.error.message).toContain(
        `${HOST}/acme/widget 1.1.0 terraform-provider-widget_1.1.0_SHA256SUMS`,
      );
    } finally {
      registry.clearFaults();
    }
  });

  it('a download answer that contradicts the signed SHA256SUMS fails the plan (exit 1), before any download', async () => {
    const ws = await workspace(registry, SPEC);
    const p = pkg(registry, 'null', '3.2.1', 'linux_arm64');
    const promised = p.sha256.slice(0, -1) + ((parseInt(p.sha256.slice(-1), 16) + 1) % 16).toString(16);
    registry.addFault({ kind: 'wrong-shasum', match: 'null/3.2.1/download/linux/arm64' });
    const gets = zipGets(registry);
    try {
      const r = await ws.run('plan', ['--json']);
      expect(r.code).toBe(1);
      const doc = JSON.parse(r.stdout) as { error: { code: string; message: string } };
      expect(doc.error.code).toBe('CHECKSUM_MISMATCH');
      expect(doc.error.message).toBe(
        `${HOST}/hashicorp/null 3.2.1 (linux_arm64): the registry's download answer promises sha256 ${promised} for ${p.filename}, ` +
          `but the signed ${registry.url}/files/hashicorp/null/3.2.1/terraform-provider-null_3.2.1_SHA256SUMS lists ${p.sha256}; mirror would refuse the package`,
      );
      expect(zipGets(registry)).toBe(gets);
    } finally {
      registry.clearFaults();
    }
  });
});

describe('airgap plan with tofu releases', () => {
  function releaseSpec(extra = ''): string {
    return `apiVersion: airgap/v1
platforms: [linux_amd64, linux_arm64]
binaries:
  tofu:
    versions: ['~> 1.8.0']
    key: ${releases.publicKeyPath}
    apiUrl: ${releases.tofuApiUrl}
    baseUrl: ${releases.tofuBaseUrl}
registries:
  caCertificates: [${releases.caCertPath}]
output:
  dir: bundle
${extra}`;
  }

  it('resolves the version, verifies the signature and sizes each zip with a HEAD; a bad signature exits 1', async () => {
    const ws = await workspace(registry, releaseSpec());
    const before = releases.requests.length;
    const r = await ws.run('plan', ['--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(10);
    const plan = JSON.parse(r.stdout) as PlanDocument;
    const zip = (platform: string): PlanItem => {
      const a = releases.artifact('tofu', '1.8.5', platform);
      return {
        kind: 'binary',
        subject: `tofu 1.8.5 ${platform}`,
        path: `tofu/1.8.5/${a.filename}`,
        size: a.bytes.length,
        sizeSource: 'Content-Length',
        action: 'download',
      };
    };
    const dockerfile = renderDockerfile({
      baseImage: 'public.ecr.aws/spacelift/runner-terraform:latest',
      tool: 'tofu',
      version: '1.8.5',
      platforms: PLATFORMS,
      mirrorDir: 'providers',
      tofurcPath: 'config/tofurc',
      mirrorPath: '/providers',
    });
    expect(plan.items).toEqual([
      zip('linux_amd64'),
      zip('linux_arm64'),
      generated('config', 'config/Dockerfile', dockerfile, false),
      generated('config', 'config/tofurc', TOFURC, false),
      generated('config', 'config/workflow.yml', WORKFLOW, false),
    ]);
    const made = releases.requests.slice(before);
    // The release list, SHA256SUMS and its signature; each zip only asked for its size.
    expect(made.map((q) => `${q.method} ${q.path}`).sort()).toEqual(
      [
        'GET /tofu/api.json',
        'GET /tofu/v1.8.5/tofu_1.8.5_SHA256SUMS',
        'GET /tofu/v1.8.5/tofu_1.8.5_SHA256SUMS.gpgsig',
        'HEAD /tofu/v1.8.5/tofu_1.8.5_linux_amd64.zip',
        'HEAD /tofu/v1.8.5/tofu_1.8.5_linux_arm64.zip',
      ].sort(),
    );

    // After mirror: every zip present (verified against the stored, signed SHA256SUMS), no request for a zip.
    expect((await ws.run('mirror')).code).toBe(0);
    const mark = releases.requests.length;
    const again = await ws.run('plan', ['--json']);
    expect(again.code).toBe(0);
    const steady = JSON.parse(again.stdout) as PlanDocument;
    expect(steady.items.filter((i) => i.kind === 'binary')).toEqual([
      { ...zip('linux_amd64'), sizeSource: 'bundle', action: 'present' },
      { ...zip('linux_arm64'), sizeSource: 'bundle', action: 'present' },
    ]);
    expect(releases.requests.slice(mark).map((q) => `${q.method} ${q.path}`)).toEqual(['GET /tofu/api.json']);

    // A new release and a signature by another key: the plan fails as mirror would, nothing fetched.
    await fs.writeFile(path.join(ws.dir, 'airgap.yaml'), releaseSpec().replace("'~> 1.8.0'", "'~> 1.8'"));
    releases.addFault({ kind: 'wrong-signature', match: '1.9.0' });
    try {
      const mark2 = releases.requests.length;
      const bad = await ws.run('plan', ['--json']);
      expect(bad.code).toBe(1);
      const doc = JSON.parse(bad.stdout) as { error: { code: string; message: string } };
      expect(doc.error.code).toBe('SIGNATURE_INVALID');
      expect(doc.error.message).toContain('tofu 1.9.0 tofu_1.9.0_SHA256SUMS');
      expect(releases.requests.slice(mark2).filter((q) => q.path.endsWith('.zip'))).toEqual([]);
    } finally {
      releases.clearFaults();
    }
  });
});

describe('airgap plan with the runner image', () => {
  it("lists the base layers with their sizes from the manifest and airgap's own layer as built locally; after mirror, present", async () => {
    const dir = await makeTempDir('airgap-plan-image-');
    const fixture = await writeBaseImageLayout(path.join(dir, 'base'));
    const spec = (image: boolean): string => `apiVersion: airgap/v1
defaultRegistry: ${HOST}
platforms: [linux_amd64, linux_arm64]
lockfiles: [stacks/]
binaries:
  tofu:
    versions: ['1.8.5']
    key: ${releases.publicKeyPath}
    apiUrl: ${releases.tofuApiUrl}
    baseUrl: ${releases.tofuBaseUrl}
${image ? 'image:\n  base: oci:base:base\n' : ''}registries:
  caCertificates: [${releases.caCertPath}]
output:
  dir: bundle
`;
    const ws = await workspace(registry, spec(true));
    await fs.rename(path.join(dir, 'base'), path.join(ws.dir, 'base'));
    const layers = (action: PlanItem['action'], sizeSource: PlanItem['sizeSource']): PlanItem[] =>
      PLATFORMS.flatMap((p) =>
        fixture.images[p]!.layers.map((l) => ({
          kind: 'image-layer' as const,
          subject: `${l.digest} ${p}`,
          path: `image/blobs/sha256/${l.digest.slice('sha256:'.length)}`,
          size: l.size,
          sizeSource,
          action,
        })),
      ).sort((a, b) => (a.path < b.path ? -1 : 1));
    const ours = (p: string): PlanItem => ({
      kind: 'image-layer',
      subject: `airgap layer ${p}`,
      path: null,
      size: null,
      sizeSource: null,
      action: 'build',
      note: 'built locally',
    });

    const r = await ws.run('plan', ['--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(10);
    const plan = JSON.parse(r.stdout) as PlanDocument;
    expect(plan.items.filter((i) => i.kind === 'image-layer')).toEqual([
      ours('linux_amd64'),
      ours('linux_arm64'),
      ...layers('download', 'manifest'),
    ]);
    expect(plan.totals.unknownSizes).toBe(2);

    const m = await ws.run('mirror');
    expect(m.code).toBe(0);
    const manifest = JSON.parse(await fs.readFile(path.join(ws.dir, 'bundle/airgap.json'), 'utf8')) as {
      image: { platforms: { platform: string; manifest: string }[] };
    };
    const built = async (p: string): Promise<PlanItem> => {
      const digest = manifest.image.platforms.find((x) => x.platform === p)!.manifest;
      const doc = JSON.parse(
        await fs.readFile(
          path.join(ws.dir, 'bundle/image/blobs/sha256', digest.slice('sha256:'.length)),
          'utf8',
        ),
      ) as { layers: { digest: string; size: number }[] };
      const layer = doc.layers[doc.layers.length - 1]!;
      return {
        kind: 'image-layer',
        subject: `airgap layer ${p}`,
        path: `image/blobs/sha256/${layer.digest.slice('sha256:'.length)}`,
        size: layer.size,
        sizeSource: 'bundle',
        action: 'present',
      };
    };
    const again = await ws.run('plan', ['--json']);
    expect(again.code).toBe(0);
    const steady = JSON.parse(again.stdout) as PlanDocument;
    expect(steady.items.filter((i) => i.kind === 'image-layer')).toEqual(
      [await built('linux_amd64'), await built('linux_arm64'), ...layers('present', 'bundle')].sort((a, b) =>
        a.path! < b.path! ? -1 : 1,
      ),
    );

    // A new provider version changes what goes into airgap's layer: it is built again.
    await fs.writeFile(
      path.join(ws.dir, 'stacks/app/.terraform.lock.hcl'),
      lockText([{ address: `${HOST}/hashicorp/null`, version: '3.2.0' }]),
    );
    const changed = JSON.parse((await ws.run('plan', ['--json'])).stdout) as PlanDocument;
    expect(changed.items.filter((i) => i.kind === 'image-layer' && i.action !== 'present')).toEqual(
      [
        ours('linux_amd64'),
        ours('linux_arm64'),
        { ...(await built('linux_amd64')), action: 'remove' },
        { ...(await built('linux_arm64')), action: 'remove' },
      ].sort((a, b) => ((a.path ?? '') < (b.path ?? '') ? -1 : 1)),
    );

    // No image asked for any more: mirror removes the image, every layer with it.
    await fs.writeFile(path.join(ws.dir, 'airgap.yaml'), spec(false));
    const dropped = await ws.run('plan', ['--json']);
    expect(dropped.code).toBe(10);
    const doc = JSON.parse(dropped.stdout) as PlanDocument;
    expect(doc.removals).toContain(
      'removed image/ (the runner image an earlier run built): this request builds no image',
    );
    expect(doc.items.filter((i) => i.kind === 'image-layer').map((i) => [i.path, i.action])).toEqual(
      [
        ...layers('remove', 'bundle'),
        { ...(await built('linux_amd64')) },
        { ...(await built('linux_arm64')) },
      ]
        .map((i) => [i.path, 'remove'])
        .sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
    );
  });
});

describe('airgap init, then plan', () => {
  it('init writes a spec plan accepts; mirror does what plan says, and plan then exits 0', async () => {
    const dir = await makeTempDir('airgap-plan-init-');
    const put = async (rel: string, text: string): Promise<void> => {
      await fs.mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
      await fs.writeFile(path.join(dir, rel), text);
    };
    await put(
      'stacks/app/.terraform.lock.hcl',
      lockText([{ address: `${HOST}/hashicorp/null`, version: '3.2.1' }]),
    );
    await put(
      'stacks/db/.terraform.lock.hcl',
      lockText([{ address: `${HOST}/acme/widget`, version: '1.0.0' }]),
    );
    const cliConfig = path.join(dir, 'cli.tfrc');
    await fs.writeFile(cliConfig, registry.cliConfigText());
    const env = { TF_CLI_CONFIG_FILE: cliConfig, SSL_CERT_FILE: registry.caCertPath };

    const init = await runCli(['init'], { cwd: dir });
    expect(init.code).toBe(0);
    const gets = zipGets(registry);
    const plan = await runCli(['plan', '--json'], { cwd: dir, env });
    expect(plan.stderr).toBe('');
    expect(plan.code).toBe(10);
    const doc = JSON.parse(plan.stdout) as PlanDocument;
    expect(doc.items.filter((i) => i.kind === 'provider').map((i) => [i.subject, i.action, i.size])).toEqual([
      [
        `${HOST}/acme/widget 1.0.0 linux_amd64`,
        'download',
        pkg(registry, 'widget', '1.0.0', 'linux_amd64').size,
      ],
      [
        `${HOST}/acme/widget 1.0.0 linux_arm64`,
        'download',
        pkg(registry, 'widget', '1.0.0', 'linux_arm64').size,
      ],
      [
        `${HOST}/hashicorp/null 3.2.1 linux_amd64`,
        'download',
        pkg(registry, 'null', '3.2.1', 'linux_amd64').size,
      ],
      [
        `${HOST}/hashicorp/null 3.2.1 linux_arm64`,
        'download',
        pkg(registry, 'null', '3.2.1', 'linux_arm64').size,
      ],
    ]);
    expect(zipGets(registry)).toBe(gets);

    const mirror = await runCli(['mirror', '--json'], { cwd: dir, env });
    expect(mirror.code).toBe(0);
    const result = JSON.parse(mirror.stdout) as { packagesDownloaded: number; bytesDownloaded: number };
    expect([result.packagesDownloaded, result.bytesDownloaded]).toEqual([4, doc.totals.bytesToDownload]);
    const after = await runCli(['plan'], { cwd: dir, env });
    expect(after.code).toBe(0);
    expect(after.stdout).toContain('No changes: the bundle holds what the request asks for.\n');
  });
});
