// `airgap export --base` (issue 14 §1): a delta tarball carries only the files whose sha256
// the base lacks (a zip that moved is not re-sent), its airgap.json still lists the whole
// new state with a `delta` section, SHA256SUMS lists only what it holds, `verify` checks
// that and names the base, and `import` refuses it with DIR unchanged where the base is
// missing (import-delta.test.ts has the rest). Everything through the built CLI; members
// listed with GNU tar.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

import { beforeAll, expect, it } from 'vitest';

import { manifestFiles, parseManifest } from '../../src/core/bundle/manifest.js';
import { runCli } from '../helpers/cli.js';
import { writeFixtureBundle } from '../helpers/import-fixtures.js';
import { generateSigningKey } from '../helpers/pgp.js';
import { makeTempDir } from '../helpers/tmp.js';
import { describeWithTools } from '../helpers/tools.js';
import { fakeToolArchive } from '../helpers/transfer.js';

const exec = promisify(execFile);
const ENV = { SOURCE_DATE_EPOCH: '1764000000' };

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

const PLATFORMS = ['linux_amd64', 'linux_arm64'];
const NULL_DIR = 'providers/registry.airgap.test/hashicorp/null';

describeWithTools(['tar'], 'export --base: a delta bundle', () => {
  let work: string;
  let pub: string;
  let priv: string;
  let tool: string;
  let v1Dir: string;
  let v2Dir: string;
  let v1Tar: string;
  let deltaTar: string;

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

  beforeAll(async () => {
    work = await makeTempDir('airgap-delta-');
    const key = await generateSigningKey({ name: 'delta signer' });
    pub = path.join(work, 'signer.asc');
    priv = path.join(work, 'signer.key');
    tool = path.join(work, 'airgap-0.1.0.tgz');
    await fs.writeFile(pub, key.publicKeyArmored);
    await fs.writeFile(priv, key.privateKeyArmored);
    await fs.writeFile(tool, fakeToolArchive());
    const cache = path.join(work, 'cache');
    const releases = [{ tool: 'tofu' as const, version: '1.8.5', platforms: PLATFORMS }];
    v1Dir = path.join(work, 'v1');
    await writeFixtureBundle(v1Dir, {
      createdAt: '2026-01-01T00:00:00Z',
      packageCache: cache,
      releases,
      providers: [
        { namespace: 'hashicorp', type: 'null', version: '3.2.1', platforms: PLATFORMS },
        { namespace: 'hashicorp', type: 'random', version: '3.6.0', platforms: PLATFORMS },
      ],
    });
    // v2: null bumped to 3.2.2; random unchanged but served from another host, so its
    // zips (same bytes) sit at new paths.
    v2Dir = path.join(work, 'v2');
    await writeFixtureBundle(v2Dir, {
      createdAt: '2026-02-01T00:00:00Z',
      packageCache: cache,
      releases,
      providers: [
        { namespace: 'hashicorp', type: 'null', version: '3.2.2', platforms: PLATFORMS },
        {
          hostname: 'mirror.airgap.test',
          namespace: 'hashicorp',
          type: 'random',
          version: '3.6.0',
          platforms: PLATFORMS,
        },
      ],
    });
    // The fixture writer leaves a SHA256SUMS in the directory, as an extracted bundle has;
    // a mirror output has none.
    await fs.rm(path.join(v1Dir, 'SHA256SUMS'));
    await fs.rm(path.join(v2Dir, 'SHA256SUMS'));
    v1Tar = path.join(work, 'v1.tar');
    deltaTar = path.join(work, 'delta.tar');
    const full = await runCli(exportArgs(v1Dir, v1Tar), { env: ENV });
    expect(full.code).toBe(0);
  });

  it('carries exactly the changed files, lists the whole state and names the base', async () => {
    const res = await runCli(exportArgs(v2Dir, deltaTar, '--base', v1Tar, '--trusted-key', pub, '--json'), {
      env: ENV,
    });
    expect(res.code).toBe(0);
    const v1Manifest = await member(v1Tar, 'airgap.json');
    const v1Sums = await member(v1Tar, 'SHA256SUMS');
    const result = JSON.parse(res.stdout) as { delta: unknown; files: number };

    expect(await members(deltaTar)).toEqual([
      'SHA256SUMS.sig',
      'SHA256SUMS',
      'airgap.json',
      'providers/',
      'providers/mirror.airgap.test/',
      'providers/mirror.airgap.test/hashicorp/',
      'providers/mirror.airgap.test/hashicorp/random/',
      'providers/mirror.airgap.test/hashicorp/random/3.6.0.json',
      'providers/mirror.airgap.test/hashicorp/random/index.json',
      'providers/registry.airgap.test/',
      'providers/registry.airgap.test/hashicorp/',
      `${NULL_DIR}/`,
      `${NULL_DIR}/3.2.2.json`,
      `${NULL_DIR}/index.json`,
      `${NULL_DIR}/terraform-provider-null_3.2.2_linux_amd64.zip`,
      `${NULL_DIR}/terraform-provider-null_3.2.2_linux_arm64.zip`,
    ]);
    const sums = await member(deltaTar, 'SHA256SUMS');
    const packed = parseManifest(await member(deltaTar, 'airgap.json'), 'delta airgap.json');
    const own = parseManifest(await fs.readFile(path.join(v2Dir, 'airgap.json'), 'utf8'), 'v2');
    // The complete new state, as the directory's own airgap.json lists it.
    expect(manifestFiles(packed)).toEqual(manifestFiles(own));
    expect(packed.kind).toBe('delta');
    // Network-mirror JSON is always carried: an import merges it, so no receiver holds the base's bytes.
    const carried = [
      'providers/mirror.airgap.test/hashicorp/random/3.6.0.json',
      'providers/mirror.airgap.test/hashicorp/random/index.json',
      `${NULL_DIR}/3.2.2.json`,
      `${NULL_DIR}/index.json`,
      `${NULL_DIR}/terraform-provider-null_3.2.2_linux_amd64.zip`,
      `${NULL_DIR}/terraform-provider-null_3.2.2_linux_arm64.zip`,
    ];
    // The tool archive has the bytes the base carried: left to the base like any other file.
    const toolBytes = await fs.readFile(tool);
    const toolRef = { path: 'tool/airgap-0.1.0.tgz', size: toolBytes.length, sha256: sha256(toolBytes) };
    expect(packed.delta).toEqual({
      base: {
        manifestSha256: sha256(v1Manifest),
        bundleDigest: sha256(v1Sums),
        createdAt: '2026-01-01T00:00:00Z',
      },
      fromBase: [...manifestFiles(own).filter((f) => !carried.includes(f.path)), toolRef],
    });
    expect(packed.delta!.fromBase.map((f) => f.path)).toEqual([
      'config/tofurc',
      'providers/mirror.airgap.test/hashicorp/random/terraform-provider-random_3.6.0_linux_amd64.zip',
      'providers/mirror.airgap.test/hashicorp/random/terraform-provider-random_3.6.0_linux_arm64.zip',
      'tofu/1.8.5/tofu_1.8.5_SHA256SUMS',
      'tofu/1.8.5/tofu_1.8.5_SHA256SUMS.gpgsig',
      'tofu/1.8.5/tofu_1.8.5_linux_amd64.zip',
      'tofu/1.8.5/tofu_1.8.5_linux_arm64.zip',
      'tool/airgap-0.1.0.tgz',
    ]);
    // The moved random zips are the very bytes v1 carried at its old paths.
    const v1Own = parseManifest(await fs.readFile(path.join(v1Dir, 'airgap.json'), 'utf8'), 'v1');
    const moved = packed.delta!.fromBase.filter((f) => f.path.includes('random_3.6.0'));
    const v1Random = manifestFiles(v1Own).filter((f) => f.path.includes('random_3.6.0'));
    expect(moved.map((f) => f.sha256)).toEqual(v1Random.map((f) => f.sha256));
    expect(v1Random.map((f) => f.path)[0]).toBe(
      'providers/registry.airgap.test/hashicorp/random/terraform-provider-random_3.6.0_linux_amd64.zip',
    );
    // SHA256SUMS lists what the tarball holds, and nothing else.
    expect(
      sums
        .trim()
        .split('\n')
        .map((l) => l.slice(66)),
    ).toEqual([...carried, 'airgap.json'].sort());
    const bytes = (await Promise.all(carried.map((p) => fs.stat(path.join(v2Dir, p))))).reduce(
      (n, s) => n + s.size,
      0,
    );
    expect(result.delta).toEqual({
      base: packed.delta!.base,
      carried: 6,
      carriedBytes: bytes,
      fromBase: 8,
      fromBaseBytes: packed.delta!.fromBase.reduce((n, f) => n + f.size, 0),
    });
    expect(result.files).toBe(9);

    // The signature covers SHA256SUMS, which covers the delta's airgap.json.
    const verify = await runCli(['verify', deltaTar, '--trusted-key', pub, '--json', '--all']);
    expect(verify.code).toBe(0);
    const report = JSON.parse(verify.stdout) as {
      verdict: string;
      bundleDigest: string;
      rows: { check: string; subject: string; status: string; detail: string }[];
    };
    expect(report.verdict).toBe('verified');
    expect(report.bundleDigest).toBe(sha256(sums));
    expect(report.rows.filter((r) => r.status !== 'ok')).toEqual([
      {
        check: 'delta-base',
        subject: `the bundle created at 2026-01-01T00:00:00Z (bundle digest ${sha256(v1Sums)})`,
        status: 'skipped',
        detail: `a delta bundle: 8 of its files (${packed.delta!.fromBase.reduce((n, f) => n + f.size, 0)} bytes) are not carried but expected from this base, which an import destination must already hold`,
      },
    ]);
    expect(report.rows.filter((r) => r.check === 'provider').map((r) => r.subject)).toEqual([
      'registry.airgap.test/hashicorp/null 3.2.2 linux_amd64',
      'registry.airgap.test/hashicorp/null 3.2.2 linux_arm64',
    ]);
    expect(report.rows.filter((r) => r.check === 'file').map((r) => r.subject)).toEqual(carried);
  });

  it('a tampered delta fails as any bundle does', async () => {
    const dir = await makeTempDir('airgap-delta-x-');
    await exec('tar', ['-xf', deltaTar, '-C', dir]);
    const zip = `${NULL_DIR}/terraform-provider-null_3.2.2_linux_amd64.zip`;
    const bytes = await fs.readFile(path.join(dir, zip));
    bytes[0] = bytes[0]! ^ 1;
    await fs.writeFile(path.join(dir, zip), bytes);
    const res = await runCli(['verify', dir, '--trusted-key', pub, '--json']);
    expect(res.code).toBe(1);
    const report = JSON.parse(res.stdout) as {
      verdict: string;
      rows: { check: string; subject: string; status: string; code?: string }[];
    };
    expect(report.verdict).toBe('failed');
    expect(report.rows.filter((r) => r.status === 'failed').map((r) => [r.check, r.subject, r.code])).toEqual(
      [['file', zip, 'CHECKSUM_MISMATCH']],
    );
  });

  it('measures against a base directory or its airgap.json alike, carrying the tool archive they do not name', async () => {
    const fromDir = path.join(work, 'delta-dir.tar');
    const fromJson = path.join(work, 'delta-json.tar');
    const a = await runCli(exportArgs(v2Dir, fromDir, '--base', v1Dir), { env: ENV });
    const b = await runCli(exportArgs(v2Dir, fromJson, '--base', path.join(v1Dir, 'airgap.json')), {
      env: ENV,
    });
    expect([a.code, b.code]).toEqual([0, 0]);
    const baseSha = sha256(await fs.readFile(path.join(v1Dir, 'airgap.json')));
    // An unpacked bundle's airgap.json names no tool archive, so the delta carries it.
    const carriedBytes = 5582 + (await fs.stat(tool)).size;
    expect(a.stderr).toContain(
      `delta against the bundle created at 2026-01-01T00:00:00Z (airgap.json sha256 ${baseSha}): carrying 7 files (${carriedBytes} bytes), 7 expected from the base\n`,
    );
    expect(a.stdout).toContain(`Delta: 7 files (${carriedBytes} bytes) carried, 7 (`);
    expect(await fs.readFile(fromDir)).toEqual(await fs.readFile(fromJson));
    const packed = parseManifest(await member(fromDir, 'airgap.json'), 'delta');
    expect(packed.delta!.base).toEqual({
      manifestSha256: baseSha,
      createdAt: '2026-01-01T00:00:00Z',
    });
    expect((await members(fromDir)).filter((m) => !m.endsWith('/'))).toEqual([
      ...(await members(deltaTar)).filter((m) => !m.endsWith('/')),
      'tool/airgap-0.1.0.tgz',
    ]);
    expect(packed.delta!.fromBase.map((f) => f.path)).not.toContain('tool/airgap-0.1.0.tgz');
  });

  it('refuses a signed base tarball it cannot check, and a base that is not there', async () => {
    const out = path.join(work, 'never.tar');
    const noKey = await runCli(exportArgs(v2Dir, out, '--base', v1Tar), { env: ENV });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain(`no --trusted-key given to check ${v1Tar}`);
    const missing = await runCli(exportArgs(v2Dir, out, '--base', path.join(work, 'nope')), { env: ENV });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`--base: ${path.join(work, 'nope')} does not exist`);
    await expect(fs.stat(out)).rejects.toThrow('ENOENT');
  });

  it('import refuses the delta before placing anything where its base is missing, and applies it over the base', async () => {
    const fresh = path.join(work, 'fresh-dest');
    const args = (dest: string): string[] => [
      'import',
      deltaTar,
      '--dest',
      dest,
      '--trusted-key',
      pub,
      '--platform',
      'linux_amd64',
    ];
    const refused = await runCli(args(fresh));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `${deltaTar} is a delta bundle on top of the bundle created at 2026-01-01T00:00:00Z (bundle digest ${sha256(await member(v1Tar, 'SHA256SUMS'))}), but ${fresh} does not hold 3 of the 8 files it expects from that base (matched by sha256)`,
    );
    await expect(fs.stat(fresh)).rejects.toThrow('ENOENT');

    const dest = path.join(work, 'dest');
    const first = await runCli([
      'import',
      v1Tar,
      '--dest',
      dest,
      '--trusted-key',
      pub,
      '--platform',
      'linux_amd64',
    ]);
    expect(first.code).toBe(0);
    const applied = await runCli(args(dest));
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stderr).toContain('3 files taken from the live generation, matched by sha256');
  });
});
