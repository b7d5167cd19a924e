// `airgap mirror` end to end through the real executable, against the test
// registry (real HTTPS on 127.0.0.1, real signatures, real zips), once per fault.

import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderTofurc, renderWorkflow } from '../../src/core/config/index.js';
import { AIRGAP_BIN, runCli, type CliResult } from '../helpers/cli.js';
import { startTestRegistry, type TestPackage, type TestRegistry } from '../helpers/registry/index.js';
import { makeTempDir } from '../helpers/tmp.js';
import { describeWithTools } from '../helpers/tools.js';

const HOST = 'registry.airgap.test';
let registry: TestRegistry;
let cliConfig: string;

beforeAll(async () => {
  registry = await startTestRegistry({
    providers: [
      {
        namespace: 'hashicorp',
        type: 'null',
        versions: ['3.2.0', '3.2.1'],
        platforms: ['linux_amd64', 'linux_arm64', 'darwin_arm64'],
      },
      { namespace: 'acme', type: 'widget', versions: ['1.0.0'], platforms: ['linux_amd64', 'linux_arm64'] },
      {
        namespace: 'acme',
        type: 'folders',
        versions: ['0.1.0'],
        platforms: ['linux_amd64', 'linux_arm64'],
        withDirectoryEntry: true,
      },
    ],
  });
  const dir = await makeTempDir();
  cliConfig = path.join(dir, 'cli.tfrc');
  await fs.writeFile(cliConfig, registry.cliConfigText());
});

afterAll(async () => {
  await registry?.close();
});

function pkg(type: string, version: string, platform: string): TestPackage {
  const p = registry.packages.find(
    (x) => x.type === type && x.version === version && x.platform === platform,
  );
  if (!p) throw new Error(`no test package ${type} ${version} ${platform}`);
  return p;
}

function zh(p: TestPackage): string {
  return `zh:${p.sha256}`;
}

function lockText(blocks: { address: string; version: string; hashes?: string[] }[]): string {
  const parts = blocks.map((b) => {
    const hashes = (b.hashes ?? []).map((h) => `    "${h}",\n`).join('');
    const list = hashes === '' ? '' : `  hashes = [\n${hashes}  ]\n`;
    return `provider "${b.address}" {\n  version = "${b.version}"\n${list}}\n`;
  });
  return `# This file is maintained automatically by "tofu init".\n# Manual edits may be lost in future updates.\n\n${parts.join('\n')}`;
}

async function workspace(lock: string): Promise<{ dir: string; lockfile: string; out: string }> {
  const dir = await makeTempDir();
  const lockfile = path.join(dir, '.terraform.lock.hcl');
  await fs.writeFile(lockfile, lock);
  return { dir, lockfile, out: path.join(dir, 'bundle') };
}

function mirror(args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
  return runCli(['mirror', ...args], {
    env: { TF_CLI_CONFIG_FILE: cliConfig, SSL_CERT_FILE: registry.caCertPath, ...extraEnv },
  });
}

function zipRequests(): number {
  return registry.requests.filter((r) => r.path.endsWith('.zip')).length;
}

async function listTree(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string): Promise<void> {
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(path.relative(root, p));
    }
  }
  await walk(root).catch(() => undefined);
  return out.sort();
}

describe('airgap mirror against the test registry', () => {
  it('mirrors every provider version for every platform, verified, with network-mirror JSON', async () => {
    const ws = await workspace(
      lockText([
        { address: `${HOST}/hashicorp/null`, version: '3.2.1' },
        { address: `${HOST}/acme/widget`, version: '1.0.0' },
      ]),
    );
    const r = await mirror(['--lockfile', ws.lockfile, '--out', ws.out, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.schemaVersion).toBe(1);
    expect(json.platforms).toEqual(['linux_amd64', 'linux_arm64']);
    expect(json.packagesDownloaded).toBe(4);
    expect(json.packagesCached).toBe(0);
    const n = pkg('null', '3.2.1', 'linux_amd64');
    expect(json.providers[0]).toEqual({
      address: `${HOST}/acme/widget`,
      version: '1.0.0',
      packages: ['linux_amd64', 'linux_arm64'].map((pl) => {
        const p = pkg('widget', '1.0.0', pl);
        return {
          platform: pl,
          filename: p.filename,
          size: p.size,
          sha256: p.sha256,
          h1: p.h1,
          zh: zh(p),
          status: 'downloaded',
        };
      }),
    });
    expect(json.bytesDownloaded).toBe(
      ['null:3.2.1', 'widget:1.0.0']
        .flatMap((k) =>
          ['linux_amd64', 'linux_arm64'].map((pl) => pkg(k.split(':')[0]!, k.split(':')[1]!, pl).size),
        )
        .reduce((a, b) => a + b),
    );

    expect(await listTree(path.join(ws.out, 'providers'))).toEqual([
      `${HOST}/acme/widget/1.0.0.json`,
      `${HOST}/acme/widget/index.json`,
      `${HOST}/acme/widget/terraform-provider-widget_1.0.0_linux_amd64.zip`,
      `${HOST}/acme/widget/terraform-provider-widget_1.0.0_linux_arm64.zip`,
      `${HOST}/hashicorp/null/3.2.1.json`,
      `${HOST}/hashicorp/null/index.json`,
      `${HOST}/hashicorp/null/terraform-provider-null_3.2.1_linux_amd64.zip`,
      `${HOST}/hashicorp/null/terraform-provider-null_3.2.1_linux_arm64.zip`,
    ]);
    const zipBytes = await fs.readFile(path.join(ws.out, 'providers', HOST, 'hashicorp/null', n.filename));
    expect(zipBytes.equals(await fs.readFile(n.path))).toBe(true);
    const a = pkg('null', '3.2.1', 'linux_amd64');
    const b = pkg('null', '3.2.1', 'linux_arm64');
    expect(await fs.readFile(path.join(ws.out, 'providers', HOST, 'hashicorp/null/3.2.1.json'), 'utf8')).toBe(
      JSON.stringify(
        {
          archives: {
            linux_amd64: { hashes: [a.h1, zh(a)], url: a.filename },
            linux_arm64: { hashes: [b.h1, zh(b)], url: b.filename },
          },
        },
        null,
        2,
      ),
    );
    expect(await fs.readFile(path.join(ws.out, 'providers', HOST, 'hashicorp/null/index.json'), 'utf8')).toBe(
      '{\n  "versions": {\n    "3.2.1": {}\n  }\n}',
    );

    // A re-run with nothing new downloads nothing.
    const before = zipRequests();
    const again = await mirror(['--lockfile', ws.lockfile, '--out', ws.out, '--json']);
    expect(again.code).toBe(0);
    const againJson = JSON.parse(again.stdout);
    expect(againJson.packagesDownloaded).toBe(0);
    expect(againJson.packagesCached).toBe(4);
    expect(zipRequests()).toBe(before);

    // A damaged zip and a crash's leftover temp file are detected; only the damaged zip is fetched again.
    const damaged = path.join(ws.out, 'providers', HOST, 'hashicorp/null', n.filename);
    const bytes = await fs.readFile(damaged);
    const mid = bytes.length >> 1;
    bytes.writeUInt8(bytes.readUInt8(mid) ^ 0xff, mid);
    await fs.writeFile(damaged, bytes);
    await fs.writeFile(
      path.join(ws.out, 'providers', HOST, 'hashicorp/null', '.airgap-tmp-abc-partial.zip'),
      'partial',
    );
    const third = await mirror(['--lockfile', ws.lockfile, '--out', ws.out]);
    expect(third.code).toBe(0);
    expect(third.stderr).toContain(`${n.filename} in the mirror is damaged`);
    expect(third.stderr).toContain('removed 1 partial file(s)');
    expect(zipRequests()).toBe(before + 1);
    expect((await fs.readFile(damaged)).equals(await fs.readFile(n.path))).toBe(true);
    expect(
      (await listTree(path.join(ws.out, 'providers'))).filter((f) => f.includes('.airgap-tmp-')),
    ).toEqual([]);
  });

  it('completes lock files for every mirrored platform, keeping existing hashes, byte for byte in tofu format', async () => {
    const a = pkg('null', '3.2.1', 'linux_amd64');
    const b = pkg('null', '3.2.1', 'linux_arm64');
    // An h1: of a platform not mirrored here (as a laptop records its own): kept, and no obstacle.
    const foreign = 'h1:BdIx478D4wpFgFeaS+5Bdve1HIlt3Yhsr5hAbUs2rRg=';
    const ws = await workspace(
      lockText([{ address: `${HOST}/hashicorp/null`, version: '3.2.1', hashes: [a.h1, foreign] }]),
    );
    const r = await mirror(['--lockfile', ws.lockfile, '--out', ws.out, '--update-lockfiles', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).lockfiles).toEqual([{ path: ws.lockfile, updated: true, hashesAdded: 3 }]);
    expect(JSON.parse(r.stdout).warnings).toEqual([]);
    const hashes = [a.h1, b.h1, foreign, zh(a), zh(b)].sort();
    expect(await fs.readFile(ws.lockfile, 'utf8')).toBe(
      lockText([{ address: `${HOST}/hashicorp/null`, version: '3.2.1', hashes }]),
    );
    // Nothing to add: the file is left untouched.
    const st = await fs.stat(ws.lockfile);
    const again = await mirror(['--lockfile', ws.lockfile, '--out', ws.out, '--update-lockfiles', '--json']);
    expect(JSON.parse(again.stdout).lockfiles).toEqual([
      { path: ws.lockfile, updated: false, hashesAdded: 0 },
    ]);
    expect((await fs.stat(ws.lockfile)).mtimeMs).toBe(st.mtimeMs);
  });

  it('mirrors every version named across lock files found with --dir, skipping .terraform and node_modules', async () => {
    const root = await makeTempDir();
    const put = async (rel: string, text: string): Promise<void> => {
      await fs.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
      await fs.writeFile(path.join(root, rel), text);
    };
    await put('a/.terraform.lock.hcl', lockText([{ address: `${HOST}/hashicorp/null`, version: '3.2.0' }]));
    await put('b/c/.terraform.lock.hcl', lockText([{ address: `${HOST}/hashicorp/null`, version: '3.2.1' }]));
    await put(
      'b/.terraform/.terraform.lock.hcl',
      lockText([{ address: `${HOST}/acme/widget`, version: '9.9.9' }]),
    );
    await put(
      'node_modules/x/.terraform.lock.hcl',
      lockText([{ address: `${HOST}/acme/widget`, version: '9.9.9' }]),
    );
    const outside = await makeTempDir();
    await fs.writeFile(
      path.join(outside, '.terraform.lock.hcl'),
      lockText([{ address: `${HOST}/acme/widget`, version: '9.9.9' }]),
    );
    await fs.symlink(outside, path.join(root, 'escape'));
    const r = await mirror([
      '--dir',
      root,
      '--out',
      path.join(root, 'out'),
      '--platform',
      'linux_amd64',
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(
      json.providers.map((p: { address: string; version: string }) => `${p.address}@${p.version}`),
    ).toEqual([`${HOST}/hashicorp/null@3.2.0`, `${HOST}/hashicorp/null@3.2.1`]);
    expect(
      await fs.readFile(path.join(root, 'out/providers', HOST, 'hashicorp/null/index.json'), 'utf8'),
    ).toBe('{\n  "versions": {\n    "3.2.0": {},\n    "3.2.1": {}\n  }\n}');
  });

  it('names provider and both platforms when a package is missing, and skips it with --skip-missing-platforms', async () => {
    const ws = await workspace(lockText([{ address: `${HOST}/acme/widget`, version: '1.0.0' }]));
    const r = await mirror([
      '--lockfile',
      ws.lockfile,
      '--out',
      ws.out,
      '--platform',
      'linux_amd64',
      '--platform',
      'darwin_arm64',
    ]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      `the registry lists no darwin_arm64 package for ${HOST}/acme/widget 1.0.0 (it has linux_amd64, linux_arm64)`,
    );
    const s = await mirror([
      '--lockfile',
      ws.lockfile,
      '--out',
      ws.out,
      '--platform',
      'linux_amd64',
      '--platform',
      'darwin_arm64',
      '--skip-missing-platforms',
      '--json',
    ]);
    expect(s.code).toBe(0);
    expect(JSON.parse(s.stdout).skipped).toEqual([
      {
        address: `${HOST}/acme/widget`,
        version: '1.0.0',
        platform: 'darwin_arm64',
        reason: `the registry lists no darwin_arm64 package for ${HOST}/acme/widget 1.0.0 (it has linux_amd64, linux_arm64)`,
      },
    ]);
  });

  it('refuses a package when the lock file records a zh: the signed SHA256SUMS does not list, and writes nothing for it', async () => {
    const p = pkg('widget', '1.0.0', 'linux_amd64');
    const wrong = ['h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', `zh:${'0'.repeat(64)}`];
    const ws = await workspace(
      lockText([{ address: `${HOST}/acme/widget`, version: '1.0.0', hashes: wrong }]),
    );
    const r = await mirror([
      '--lockfile',
      ws.lockfile,
      '--out',
      ws.out,
      '--platform',
      'linux_amd64',
      '--json',
    ]);
    expect(r.code).toBe(1);
    const err = JSON.parse(r.stdout).error;
    const sumsUrl = `${registry.url}/files/acme/widget/1.0.0/terraform-provider-widget_1.0.0_SHA256SUMS`;
    expect(err.code).toBe('LOCK_HASH_MISMATCH');
    expect(err.message).toBe(
      `${HOST}/acme/widget 1.0.0 (linux_amd64): ${ws.lockfile} records ${wrong[1]} for this version, which the signed ${sumsUrl} does not list, ` +
        `and none of its 2 hashes matches the package (${p.h1}, ${zh(p)}): the registry serves a different release than the one the lock file was written for`,
    );
    expect(err.details).toEqual({
      provider: `${HOST}/acme/widget`,
      version: '1.0.0',
      platform: 'linux_amd64',
      path: ws.lockfile,
      address: sumsUrl,
      expected: `every zh: of ${ws.lockfile} in ${sumsUrl}`,
      actual: `not listed: ${wrong[1]}`,
    });
    expect(await listTree(path.join(ws.out, 'providers'))).toEqual([]);
  });

  it('accepts a lock file whose zh: list lacks a platform: a warning, from the cache too, and --update-lockfiles completes it', async () => {
    const [a, b, d] = ['linux_amd64', 'linux_arm64', 'darwin_arm64'].map((pl) =>
      pkg('null', '3.2.1', pl),
    ) as [TestPackage, TestPackage, TestPackage];
    // As terraform writes it on linux_amd64 (its h1:, every zh:), with linux_arm64's zh: line removed.
    const pruned = [a.h1, zh(a), zh(d)];
    const lock = lockText([{ address: `${HOST}/hashicorp/null`, version: '3.2.1', hashes: pruned }]);
    const ws = await workspace(lock);
    const warning =
      `${ws.lockfile} has no hash for ${HOST}/hashicorp/null 3.2.1 on linux_arm64. Every zh: it records is in the registry's signed SHA256SUMS, ` +
      `so it just lacks this platform; its package was verified against that list alone. --update-lockfiles completes it.`;
    const r = await mirror(['--lockfile', ws.lockfile, '--out', ws.out, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).warnings).toEqual([warning]);
    expect(JSON.parse(r.stdout).lockfiles).toEqual([{ path: ws.lockfile, updated: false, hashesAdded: 0 }]);
    expect(r.stderr).toBe(`Warning: ${warning}\n`);
    expect(await fs.readFile(ws.lockfile, 'utf8')).toBe(lock);

    // From the mirror's cache: the signed list is fetched again to judge the lock file, the package is not.
    const zipsBefore = zipRequests();
    const sumsBefore = registry.requests.filter((q) => q.path.endsWith('_SHA256SUMS')).length;
    const cached = await mirror(['--lockfile', ws.lockfile, '--out', ws.out, '--json']);
    expect(cached.code).toBe(0);
    expect(JSON.parse(cached.stdout).packagesCached).toBe(2);
    expect(JSON.parse(cached.stdout).warnings).toEqual([warning]);
    expect(zipRequests()).toBe(zipsBefore);
    expect(registry.requests.filter((q) => q.path.endsWith('_SHA256SUMS')).length).toBe(sumsBefore + 1);

    // --update-lockfiles completes it, and says so instead of warning.
    const u = await mirror(['--lockfile', ws.lockfile, '--out', ws.out, '--update-lockfiles']);
    expect(u.code).toBe(0);
    expect(u.stderr).not.toContain('Warning');
    expect(u.stderr).toContain(
      `${ws.lockfile}: recorded ${HOST}/hashicorp/null 3.2.1 on linux_arm64, which it lacked (verified against the registry's signed SHA256SUMS)\n`,
    );
    expect(await fs.readFile(ws.lockfile, 'utf8')).toBe(
      lockText([
        {
          address: `${HOST}/hashicorp/null`,
          version: '3.2.1',
          hashes: [a.h1, b.h1, zh(a), zh(b), zh(d)].sort(),
        },
      ]),
    );
    const again = await mirror(['--lockfile', ws.lockfile, '--out', ws.out, '--json']);
    expect(JSON.parse(again.stdout).warnings).toEqual([]);
  });

  it('names every platform a lock file lacks, in one warning per provider version', async () => {
    const d = pkg('widget', '1.0.0', 'linux_amd64');
    // null: only darwin_arm64's line, so both mirrored platforms are lacking; widget: linux_amd64's line only.
    const ws = await workspace(
      lockText([
        {
          address: `${HOST}/hashicorp/null`,
          version: '3.2.1',
          hashes: [zh(pkg('null', '3.2.1', 'darwin_arm64'))],
        },
        { address: `${HOST}/acme/widget`, version: '1.0.0', hashes: [zh(d)] },
      ]),
    );
    const r = await mirror(['--lockfile', ws.lockfile, '--out', ws.out, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).warnings).toEqual([
      `${ws.lockfile} has no hash for ${HOST}/acme/widget 1.0.0 on linux_arm64. Every zh: it records is in the registry's signed SHA256SUMS, ` +
        `so it just lacks this platform; its package was verified against that list alone. --update-lockfiles completes it.`,
      `${ws.lockfile} has no hash for ${HOST}/hashicorp/null 3.2.1 on linux_amd64, linux_arm64. Every zh: it records is in the registry's signed SHA256SUMS, ` +
        `so it just lacks these platforms; their packages were verified against that list alone. --update-lockfiles completes it.`,
    ]);
  });

  it('refuses a cached package too when the lock file records a zh: the signed list does not have', async () => {
    const a = pkg('null', '3.2.1', 'linux_amd64');
    const ws = await workspace(
      lockText([{ address: `${HOST}/hashicorp/null`, version: '3.2.1', hashes: [a.h1] }]),
    );
    expect(
      (await mirror(['--lockfile', ws.lockfile, '--out', ws.out, '--platform', 'linux_amd64'])).code,
    ).toBe(0);
    const foreign = `zh:${'1'.repeat(64)}`;
    await fs.writeFile(
      ws.lockfile,
      lockText([{ address: `${HOST}/hashicorp/null`, version: '3.2.1', hashes: [foreign] }]),
    );
    const r = await mirror([
      '--lockfile',
      ws.lockfile,
      '--out',
      ws.out,
      '--platform',
      'linux_amd64',
      '--json',
    ]);
    expect(r.code).toBe(1);
    const err = JSON.parse(r.stdout).error;
    expect(err.code).toBe('LOCK_HASH_MISMATCH');
    expect(err.details.actual).toBe(`not listed: ${foreign}`);
  });

  it('warns when an h1:-only lock file can confirm no mirrored platform, and completes it', async () => {
    const laptop = pkg('null', '3.2.1', 'darwin_arm64');
    const ws = await workspace(
      lockText([{ address: `${HOST}/hashicorp/null`, version: '3.2.1', hashes: [laptop.h1] }]),
    );
    const r = await mirror(['--lockfile', ws.lockfile, '--out', ws.out, '--json']);
    expect(r.code).toBe(0);
    const warning =
      `${ws.lockfile} records only h1: hashes for ${HOST}/hashicorp/null 3.2.1, and none matches the mirrored packages (linux_amd64, linux_arm64): ` +
      `it was probably written on another platform, so it cannot confirm them. They were verified against the registry's signed SHA256SUMS; ` +
      `--update-lockfiles records their hashes.`;
    expect(JSON.parse(r.stdout).warnings).toEqual([warning]);
    expect(r.stderr).toBe(`Warning: ${warning}\n`);
    const u = await mirror(['--lockfile', ws.lockfile, '--out', ws.out, '--update-lockfiles', '--json']);
    expect(JSON.parse(u.stdout).lockfiles).toEqual([{ path: ws.lockfile, updated: true, hashesAdded: 4 }]);
    // Now the lock file confirms every platform: no warning.
    const again = await mirror(['--lockfile', ws.lockfile, '--out', ws.out, '--json']);
    expect(JSON.parse(again.stdout).warnings).toEqual([]);
  });

  it('warns about the directory-entry trap when a lock file holds only h1: for such a package', async () => {
    const p = pkg('folders', '0.1.0', 'linux_amd64');
    const ws = await workspace(
      lockText([{ address: `${HOST}/acme/folders`, version: '0.1.0', hashes: [p.h1] }]),
    );
    const r = await mirror(['--lockfile', ws.lockfile, '--out', ws.out, '--platform', 'linux_amd64']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      `Warning: ${HOST}/acme/folders 0.1.0 (linux_amd64): ${p.filename} holds directory entries, so \`init\` from this packed mirror ` +
        `computes a different h1: than the one recorded in ${ws.lockfile} (golang/go#53448). Fix: re-run with --update-lockfiles to record ${zh(p)}.`,
    );
    const fixed = await mirror([
      '--lockfile',
      ws.lockfile,
      '--out',
      ws.out,
      '--platform',
      'linux_amd64',
      '--update-lockfiles',
    ]);
    expect(fixed.code).toBe(0);
    expect(fixed.stderr).not.toContain('golang/go#53448');
    expect(await fs.readFile(ws.lockfile, 'utf8')).toContain(`"${zh(p)}",`);
  });

  it('packages an in-house provider given as a bare executable, deterministically', async () => {
    const dir = await makeTempDir();
    const exe = path.join(dir, 'terraform-provider-sops_v1.0.0');
    await fs.writeFile(exe, '#!/bin/sh\necho sops\n', { mode: 0o755 });
    const outA = path.join(dir, 'a');
    const outB = path.join(dir, 'b');
    const spec = `registry.myorg.io/myorg/sops@1.0.0=linux_amd64:${exe}`;
    const r1 = await mirror(['--local-provider', spec, '--out', outA, '--json']);
    const r2 = await mirror(['--local-provider', spec, '--out', outB, '--json']);
    expect(r1.code).toBe(0);
    const p1 = JSON.parse(r1.stdout).providers[0];
    expect(p1.address).toBe('registry.myorg.io/myorg/sops');
    expect(p1.packages[0].status).toBe('local');
    expect(p1.packages[0].filename).toBe('terraform-provider-sops_1.0.0_linux_amd64.zip');
    expect(JSON.parse(r2.stdout).providers[0].packages[0].sha256).toBe(p1.packages[0].sha256);
    // h1 of the single file named as given, exactly as the unpacked directory would hash.
    const { createHash } = await import('node:crypto');
    const line = `${createHash('sha256').update('#!/bin/sh\necho sops\n').digest('hex')}  terraform-provider-sops_v1.0.0\n`;
    expect(p1.packages[0].h1).toBe(`h1:${createHash('sha256').update(line).digest('base64')}`);
  });

  it('exits 2 and names file:line:column for a broken lock file', async () => {
    const ws = await workspace(
      'provider "registry.airgap.test/acme/widget" {\n  version = "1.0.0"\n  hashes = [\n',
    );
    const r = await mirror(['--lockfile', ws.lockfile, '--out', ws.out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${ws.lockfile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: `));
  });
});

describe('airgap mirror under registry faults', () => {
  const address = `${HOST}/acme/widget`;

  async function run(fault: Parameters<TestRegistry['addFault']>[0]): Promise<{ r: CliResult; out: string }> {
    registry.clearFaults();
    registry.addFault(fault);
    const ws = await workspace(lockText([{ address, version: '1.0.0' }]));
    try {
      const r = await mirror([
        '--lockfile',
        ws.lockfile,
        '--out',
        ws.out,
        '--platform',
        'linux_amd64',
        '--json',
      ]);
      return { r, out: ws.out };
    } finally {
      registry.clearFaults();
    }
  }

  const zipFile = 'terraform-provider-widget_1.0.0_linux_amd64.zip';

  it('retries 500s on the API and succeeds', async () => {
    const { r } = await run({ kind: 'status', status: 500, match: '/versions', times: 2 });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).packagesDownloaded).toBe(1);
  });

  it('retries a reset in the middle of the package body and stores the exact bytes', async () => {
    const { r, out } = await run({ kind: 'reset-mid-body', match: zipFile, times: 1 });
    expect(r.code).toBe(0);
    const p = pkg('widget', '1.0.0', 'linux_amd64');
    expect(
      (await fs.readFile(path.join(out, 'providers', HOST, 'acme/widget', zipFile))).equals(
        await fs.readFile(p.path),
      ),
    ).toBe(true);
  });

  it('survives a slow body', async () => {
    const { r } = await run({ kind: 'slow-body', bytesPerSecond: 64 * 1024, match: zipFile, times: 1 });
    expect(r.code).toBe(0);
  });

  it('refuses a package that differs from SHA256SUMS', async () => {
    const { r, out } = await run({ kind: 'tamper-package', match: zipFile });
    expect(r.code).toBe(1);
    const err = JSON.parse(r.stdout).error;
    expect(err.code).toBe('CHECKSUM_MISMATCH');
    expect(err.details).toMatchObject({
      provider: address,
      version: '1.0.0',
      platform: 'linux_amd64',
      expected: pkg('widget', '1.0.0', 'linux_amd64').sha256,
    });
    expect(await listTree(path.join(out, 'providers'))).toEqual([]);
  });

  it('refuses checksums signed by a key the registry does not list', async () => {
    const { r, out } = await run({ kind: 'wrong-signature', match: 'SHA256SUMS.sig' });
    expect(r.code).toBe(1);
    const err = JSON.parse(r.stdout).error;
    expect(err.code).toBe('SIGNATURE_INVALID');
    expect(err.message).toContain(address);
    expect(await listTree(path.join(out, 'providers'))).toEqual([]);
  });

  it('refuses a download response whose shasum disagrees with SHA256SUMS', async () => {
    const { r } = await run({ kind: 'wrong-shasum', match: '/download/' });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.code).toBe('CHECKSUM_MISMATCH');
  });

  it('gives up on a registry that keeps failing, naming the URL and status', async () => {
    const { r } = await run({ kind: 'status', status: 503, match: '/versions' });
    expect(r.code).toBe(3);
    const err = JSON.parse(r.stdout).error;
    expect(err.code).toBe('HTTP_ERROR');
    expect(err.details.status).toBe(503);
    expect(err.details.address).toBe(`${registry.url}/v1/providers/acme/widget/versions`);
  }, 120_000);
});

describe('airgap mirror against a private registry (token, packages extension, --ca-cert)', () => {
  let priv: TestRegistry;
  let cfgWithoutCredentials: string;
  const token = 'sekret-token-123';

  beforeAll(async () => {
    priv = await startTestRegistry({
      hostname: 'private-registry.example.com',
      token,
      packagesExtension: true,
      providers: [
        { namespace: 'acme', type: 'widget', versions: ['2.0.0'], platforms: ['linux_amd64', 'linux_arm64'] },
      ],
    });
    const dir = await makeTempDir();
    cfgWithoutCredentials = path.join(dir, 'cli.tfrc');
    // Only the host block: the token comes from TF_TOKEN_<host> (periods as _, hyphens as __).
    await fs.writeFile(
      cfgWithoutCredentials,
      `host "private-registry.example.com" {\n  services = {\n    "providers.v1" = "${priv.url}/v1/providers/"\n  }\n}\n`,
    );
  });

  afterAll(async () => {
    await priv?.close();
  });

  it('sends TF_TOKEN_<host> to that registry only, trusts --ca-cert, and cross-checks the packages extension', async () => {
    const ws = await workspace(
      lockText([{ address: 'private-registry.example.com/acme/widget', version: '2.0.0' }]),
    );
    const env = { TF_CLI_CONFIG_FILE: cfgWithoutCredentials, TF_TOKEN_private__registry_example_com: token };
    const r = await runCli(
      ['mirror', '--lockfile', ws.lockfile, '--out', ws.out, '--ca-cert', priv.caCertPath, '--json'],
      { env },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).packagesDownloaded).toBe(2);
    const api = priv.requests.filter((q) => q.path.startsWith('/v1/'));
    expect(api.length).toBeGreaterThan(0);
    expect(api.every((q) => q.headers.authorization === `Bearer ${token}`)).toBe(true);
    expect(priv.requests.every((q) => (q.headers['user-agent'] as string).startsWith('airgap/'))).toBe(true);

    // Without the token the registry refuses, and the error names the URL and status.
    const denied = await runCli(
      [
        'mirror',
        '--lockfile',
        ws.lockfile,
        '--out',
        path.join(ws.dir, 'other'),
        '--ca-cert',
        priv.caCertPath,
        '--json',
      ],
      {
        env: { TF_CLI_CONFIG_FILE: cfgWithoutCredentials },
      },
    );
    expect(denied.code).toBe(3);
    expect(JSON.parse(denied.stdout).error.details.status).toBe(401);

    // Without --ca-cert the self-signed registry is not trusted, and the hint says what to do.
    const untrusted = await runCli(['mirror', '--lockfile', ws.lockfile, '--out', path.join(ws.dir, 'x')], {
      env,
    });
    expect(untrusted.code).toBe(3);
    expect(untrusted.stderr).toContain('--ca-cert');
  });

  it('never hands the token to another host', async () => {
    const { createRegistryClient } = await import('../../src/adapters/registry/registry-client.js');
    const { createHttpClient } = await import('../../src/adapters/http/client.js');
    const { parseCliConfig } = await import('../../src/core/cliconfig/parse.js');
    const { cliConfigHosts } = await import('../../src/core/cliconfig/credentials.js');
    const http = createHttpClient({ userAgent: 'airgap/test', caCertFiles: [priv.caCertPath] });
    try {
      const client = createRegistryClient({
        http,
        hosts: cliConfigHosts(
          parseCliConfig(await fs.readFile(cfgWithoutCredentials, 'utf8'), cfgWithoutCredentials),
          { TF_TOKEN_private__registry_example_com: token },
        ),
      });
      const provider = { hostname: 'private-registry.example.com', namespace: 'acme', type: 'widget' };
      expect(await client.headersFor(provider, `${priv.url}/files/x.zip`)).toEqual({
        Authorization: `Bearer ${token}`,
      });
      expect(await client.headersFor(provider, 'https://github.com/acme/releases/x.zip')).toEqual({});
      expect(await client.headersFor(provider, `https://127.0.0.1:${priv.port + 1}/x.zip`)).toEqual({});
    } finally {
      await http.close();
    }
  });
});

describe('airgap mirror: discovery and progress', () => {
  it('discovers the registry through /.well-known/terraform.json, once per host', async () => {
    const host = `127.0.0.1:${registry.port}`;
    const ws = await workspace(
      lockText([
        { address: `${host}/acme/widget`, version: '1.0.0' },
        { address: `${host}/hashicorp/null`, version: '3.2.1' },
      ]),
    );
    const before = registry.requests.length;
    // No CLI config at all: the hostname itself must be discovered.
    const r = await runCli(['mirror', '--lockfile', ws.lockfile, '--out', ws.out, '--json'], {
      env: { SSL_CERT_FILE: registry.caCertPath },
    });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).packagesDownloaded).toBe(4);
    const paths = registry.requests.slice(before).map((q) => q.path);
    expect(paths.filter((p) => p === '/.well-known/terraform.json')).toHaveLength(1);
    expect(paths.filter((p) => p.endsWith('/versions')).sort()).toEqual([
      '/v1/providers/acme/widget/versions',
      '/v1/providers/hashicorp/null/versions',
    ]);
    expect(await listTree(path.join(ws.out, 'providers', host, 'acme/widget'))).toEqual([
      '1.0.0.json',
      'index.json',
      'terraform-provider-widget_1.0.0_linux_amd64.zip',
      'terraform-provider-widget_1.0.0_linux_arm64.zip',
    ]);
  });
});

describeWithTools(['script'], 'airgap mirror on a terminal', () => {
  it('draws a progress bar on a TTY instead of one line per package', async () => {
    const ws = await workspace(lockText([{ address: `${HOST}/acme/widget`, version: '1.0.0' }]));
    const cmd = [process.execPath, AIRGAP_BIN, 'mirror', '--lockfile', ws.lockfile, '--out', ws.out]
      .map((a) => `'${a}'`)
      .join(' ');
    // util-linux script(1) runs the command on a real pseudo-terminal.
    const { stdout } = await promisify(execFile)('script', ['-qfec', cmd, '/dev/null'], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        TF_CLI_CONFIG_FILE: cliConfig,
        SSL_CERT_FILE: registry.caCertPath,
      },
    });
    expect(stdout).toContain('\r\x1b[2K[########################] 2/2 packages');
    expect(stdout).not.toContain('verified ');
    expect(stdout).toContain('Mirrored 1 provider version(s): 2 package(s) downloaded');
  });
});

describe('airgap mirror: the bundle manifest', () => {
  it('describes every file with size and sha256, copies the completed lock files, and is reproducible', async () => {
    const ws = await workspace(lockText([{ address: `${HOST}/acme/widget`, version: '1.0.0' }]));
    const env = { SOURCE_DATE_EPOCH: '1700000000' };
    const r = await mirror(['--lockfile', ws.lockfile, '--out', ws.out, '--update-lockfiles'], env);
    expect(r.code).toBe(0);
    const completed = await fs.readFile(ws.lockfile, 'utf8');
    // Outside the working directory: named by its parent directory, never by its absolute path.
    const copyPath = `lockfiles/${path.basename(ws.dir)}/.terraform.lock.hcl`;
    expect(await fs.readFile(path.join(ws.out, copyPath), 'utf8')).toBe(completed);
    const { createHash } = await import('node:crypto');
    const text = await fs.readFile(path.join(ws.out, 'airgap.json'), 'utf8');
    const resolved = await fs.readFile(path.join(ws.out, 'airgap.lock.json'), 'utf8');
    const sbom = await fs.readFile(path.join(ws.out, 'sbom.cdx.json'), 'utf8');
    const [a, b] = ['linux_amd64', 'linux_arm64'].map((pl) => pkg('widget', '1.0.0', pl));
    expect(JSON.parse(text)).toEqual({
      formatVersion: 1,
      tool: { name: 'airgap', version: '0.1.0' },
      createdAt: '2023-11-14T22:13:20Z',
      kind: 'full',
      platforms: ['linux_amd64', 'linux_arm64'],
      lockfiles: [
        {
          path: copyPath,
          size: Buffer.byteLength(completed),
          sha256: createHash('sha256').update(completed).digest('hex'),
          source: ws.lockfile,
          complete: true,
        },
      ],
      providers: [
        {
          address: `${HOST}/acme/widget`,
          version: '1.0.0',
          packages: [a!, b!].map((p) => ({
            path: `providers/${HOST}/acme/widget/${p.filename}`,
            size: p.size,
            sha256: p.sha256,
            platform: p.platform,
            hashes: [p.h1, zh(p)],
            source: 'registry',
          })),
        },
      ],
      binaries: [],
      configs: [
        ['tofurc', 'config/tofurc', renderTofurc({ mirrorPath: '/providers', allowDirect: [] })],
        ['workflow', 'config/workflow.yml', renderWorkflow('tofu')],
      ].map(([kind, p, body]) => ({
        kind,
        path: p,
        size: Buffer.byteLength(body!),
        sha256: createHash('sha256').update(body!).digest('hex'),
      })),
      mirrorIndexes: expect.any(Array),
      resolved: {
        path: 'airgap.lock.json',
        size: Buffer.byteLength(resolved),
        sha256: createHash('sha256').update(resolved).digest('hex'),
      },
      sbom: {
        path: 'sbom.cdx.json',
        size: Buffer.byteLength(sbom),
        sha256: createHash('sha256').update(sbom).digest('hex'),
      },
    });
    // What was asked (the lock file, as its completed copy in the bundle) and what it resolved to.
    expect(JSON.parse(resolved)).toEqual({
      formatVersion: 1,
      platforms: ['linux_amd64', 'linux_arm64'],
      inputs: [{ path: copyPath, sha256: createHash('sha256').update(completed).digest('hex') }],
      providers: [
        { address: `${HOST}/acme/widget`, requestedBy: [copyPath], constraints: [], versions: ['1.0.0'] },
      ],
      binaries: [],
    });
    expect(await fs.readFile(path.join(ws.out, 'config/tofurc'), 'utf8')).toBe(
      renderTofurc({ mirrorPath: '/providers' }),
    );
    // Nothing new: the same bytes again.
    const again = await mirror(['--lockfile', ws.lockfile, '--out', ws.out, '--update-lockfiles'], env);
    expect(again.code).toBe(0);
    expect(await fs.readFile(path.join(ws.out, 'airgap.json'), 'utf8')).toBe(text);
    expect(await fs.readFile(path.join(ws.out, 'airgap.lock.json'), 'utf8')).toBe(resolved);
  });
});

describe('airgap mirror: options checked before anything is written', () => {
  it.each([
    [['--tofu', '~> banana'], '--tofu "~> banana"'],
    [
      ['--terraform', '^1.9'],
      '--terraform "^1.9": invalid specification "^1.9": invalid constraint operator "^"; expected a version (1.8.5), latest, or constraints like "~> 1.8", ">= 1.6, < 1.9"',
    ],
    [['--allow-direct', 'not-a-pattern'], 'invalid provider pattern "not-a-pattern"'],
    [
      ['--network-mirror-url', 'http://mirror.example/'],
      'invalid network mirror URL "http://mirror.example/"',
    ],
  ])('%j: exit 2, the value named, no output directory', async (extra, named) => {
    const ws = await workspace(lockText([{ address: `${HOST}/acme/widget`, version: '1.0.0' }]));
    const r = await mirror(['--lockfile', ws.lockfile, '--out', ws.out, ...extra]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`Error: ${named}`);
    await expect(fs.stat(ws.out)).rejects.toThrow('ENOENT');
  });
});
