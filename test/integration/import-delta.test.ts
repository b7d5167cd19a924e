// `airgap import` of a delta bundle (issue 14 §2), through the built CLI: the destination
// must hold the delta's base by sha256 before anything is placed (refused, exit 1, DIR
// unchanged otherwise); the generation built holds what a full import of the new bundle
// gives; a chain full -> delta -> delta works; the same delta twice is a no-op; a tampered
// delta fails as any bundle does; SIGKILL during a delta import leaves old or new.

import { execFile, spawn } from 'node:child_process';
import { watch } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

import { beforeAll, describe, expect, it } from 'vitest';

import { parseManifest } from '../../src/core/bundle/manifest.js';
import { AIRGAP_BIN, runCli } from '../helpers/cli.js';
import {
  releaseExecutable,
  sha256Hex,
  treeDigest,
  visibleDigest,
  writeFixtureBundle,
  type FixtureProvider,
  type FixtureRelease,
} from '../helpers/import-fixtures.js';
import { generateSigningKey } from '../helpers/pgp.js';
import { makeTempDir } from '../helpers/tmp.js';
import { describeWithTools } from '../helpers/tools.js';
import { fakeToolArchive } from '../helpers/transfer.js';

const exec = promisify(execFile);
const ENV = { SOURCE_DATE_EPOCH: '1764000000' };
const PLATFORMS = ['linux_amd64', 'linux_arm64'];
const HOST = 'registry.airgap.test';
const NULL_DIR = `providers/${HOST}/hashicorp/null`;
const RANDOM_DIR = `providers/${HOST}/hashicorp/random`;

function tofu(version: string): FixtureRelease[] {
  return [{ tool: 'tofu', version, platforms: PLATFORMS }];
}

function provider(type: string, version: string, payloadSize?: number): FixtureProvider {
  return {
    namespace: 'hashicorp',
    type,
    version,
    platforms: PLATFORMS,
    ...(payloadSize === undefined ? {} : { payloadSize }),
  };
}

async function member(tarball: string, name: string): Promise<string> {
  const { stdout } = await exec('tar', ['-xOf', tarball, name], { maxBuffer: 64 << 20 });
  return stdout;
}

describeWithTools(['tar'], 'import of a delta bundle', () => {
  let work: string;
  let pub: string;
  let priv: string;
  let tool: string;
  let cache: string;
  const tar: Record<string, string> = {};

  async function bundle(name: string, createdAt: string, providers: FixtureProvider[], tofuVersion: string) {
    const dir = path.join(work, name);
    await writeFixtureBundle(dir, { createdAt, packageCache: cache, releases: tofu(tofuVersion), providers });
    await fs.rm(path.join(dir, 'SHA256SUMS'));
    return dir;
  }

  async function exportTar(dir: string, name: string, base?: string): Promise<string> {
    const out = path.join(work, `${name}.tar`);
    const res = await runCli(
      [
        'export',
        dir,
        '--tarball',
        out,
        '--sign-key',
        priv,
        '--tool-package',
        tool,
        ...(base === undefined ? [] : ['--base', base, '--trusted-key', pub]),
      ],
      { env: ENV },
    );
    expect(res.code, res.stderr).toBe(0);
    return out;
  }

  const importArgs = (source: string, dest: string, ...more: string[]): string[] => [
    'import',
    source,
    '--dest',
    dest,
    '--trusted-key',
    pub,
    '--platform',
    'linux_amd64',
    ...more,
  ];

  async function imported(dest: string, ...sources: string[]): Promise<void> {
    for (const s of sources) {
      const r = await runCli(importArgs(s, dest));
      expect(r.code, r.stderr).toBe(0);
    }
  }

  /** providers/ and bin/ as tofu sees them (followed through DIR's symlinks). */
  async function installed(dest: string): Promise<string[]> {
    return (await visibleDigest(dest)).entries.filter(
      (e) => e.startsWith('providers') || e.startsWith('bin'),
    );
  }

  beforeAll(async () => {
    work = await makeTempDir('airgap-delta-import-');
    cache = path.join(work, 'cache');
    const key = await generateSigningKey({ name: 'delta signer' });
    pub = path.join(work, 'signer.asc');
    priv = path.join(work, 'signer.key');
    tool = path.join(work, 'airgap-0.1.0.tgz');
    await fs.writeFile(pub, key.publicKeyArmored);
    await fs.writeFile(priv, key.privateKeyArmored);
    await fs.writeFile(tool, fakeToolArchive());
    const v1 = await bundle(
      'v1',
      '2026-01-01T00:00:00Z',
      [provider('null', '3.2.1'), provider('random', '3.6.0')],
      '1.8.5',
    );
    // v2: null bumped on both platforms, tofu bumped; random as it was.
    const v2 = await bundle(
      'v2',
      '2026-02-01T00:00:00Z',
      [provider('null', '3.2.2'), provider('random', '3.6.0')],
      '1.8.6',
    );
    // v3: random bumped; null and tofu as in v2 (so tofu's zip is left to the base too).
    const v3 = await bundle(
      'v3',
      '2026-03-01T00:00:00Z',
      [provider('null', '3.2.2'), provider('random', '3.6.1')],
      '1.8.6',
    );
    const other = await bundle('other', '2026-01-15T00:00:00Z', [provider('random', '3.5.0')], '1.8.4');
    tar.v1 = await exportTar(v1, 'v1');
    tar.v2 = await exportTar(v2, 'v2');
    tar.other = await exportTar(other, 'other');
    tar.d12 = await exportTar(v2, 'd12', tar.v1);
    tar.d23 = await exportTar(v3, 'd23', tar.v2);
  }, 120_000);

  it('full v1, then the delta v1->v2: the same providers and bin/ as the full v2 import gives', async () => {
    const dest = path.join(work, 'dest-chain');
    await imported(dest, tar.v1!);
    const res = await runCli(importArgs(tar.d12!, dest, '--json'));
    expect(res.code, res.stderr).toBe(0);
    const result = JSON.parse(res.stdout) as Record<string, unknown>;
    const v1Sums = await member(tar.v1!, 'SHA256SUMS');
    expect(result.action).toBe('imported');
    expect(result.bundleDigest).toBe(sha256Hex(await member(tar.d12!, 'SHA256SUMS')));
    // random's two zips linked from the live generation; tofu 1.8.6 is carried (it changed);
    // config/tofurc and the tool archive (same bytes as v1's) are left to the base, kept by no import.
    expect(result.delta).toEqual({
      base: {
        manifestSha256: sha256Hex(await member(tar.v1!, 'airgap.json')),
        bundleDigest: sha256Hex(v1Sums),
        createdAt: '2026-01-01T00:00:00Z',
      },
      fromBase: 4,
      linked: 2,
      binaries: 0,
    });
    expect(await fs.readFile(path.join(dest, 'bin/tofu'))).toEqual(
      releaseExecutable('tofu', '1.8.6', 'linux_amd64'),
    );

    const reference = path.join(work, 'dest-full');
    await imported(reference, tar.v1!, tar.v2!);
    expect(await installed(dest)).toEqual(await installed(reference));
    const files = (await installed(dest)).filter((e) => e.includes(' file '));
    expect(files.map((e) => e.split(' ')[0])).toEqual([
      'providers/registry.airgap.test/hashicorp/null/3.2.1.json',
      'providers/registry.airgap.test/hashicorp/null/3.2.2.json',
      'providers/registry.airgap.test/hashicorp/null/index.json',
      'providers/registry.airgap.test/hashicorp/null/terraform-provider-null_3.2.1_linux_amd64.zip',
      'providers/registry.airgap.test/hashicorp/null/terraform-provider-null_3.2.1_linux_arm64.zip',
      'providers/registry.airgap.test/hashicorp/null/terraform-provider-null_3.2.2_linux_amd64.zip',
      'providers/registry.airgap.test/hashicorp/null/terraform-provider-null_3.2.2_linux_arm64.zip',
      'providers/registry.airgap.test/hashicorp/random/3.6.0.json',
      'providers/registry.airgap.test/hashicorp/random/index.json',
      'providers/registry.airgap.test/hashicorp/random/terraform-provider-random_3.6.0_linux_amd64.zip',
      'providers/registry.airgap.test/hashicorp/random/terraform-provider-random_3.6.0_linux_arm64.zip',
      'bin/tofu',
    ]);

    // The state records which bundle each generation came from.
    const state = JSON.parse(await fs.readFile(path.join(dest, 'airgap-state.json'), 'utf8')) as {
      history: { sequence: number; kind?: string; base?: { bundleDigest: string } }[];
      current: { contents: { binaries: { zipSha256?: string }[] } };
    };
    expect(state.history.map((h) => [h.sequence, h.kind ?? 'full', h.base?.bundleDigest ?? null])).toEqual([
      [1, 'full', null],
      [2, 'delta', sha256Hex(v1Sums)],
    ]);

    // The same delta twice: nothing to do, nothing written.
    const before = await treeDigest(dest);
    const again = await runCli(importArgs(tar.d12!, dest));
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(
      `${dest} already holds bundle ${sha256Hex(await member(tar.d12!, 'SHA256SUMS')).slice(0, 16)} (import #2): nothing to do`,
    );
    expect((await treeDigest(dest)).entries).toEqual(before.entries);

    // The next delta (v2 -> v3) leaves tofu's zip to the base: bin/tofu is carried, checked by sha256.
    const next = await runCli(importArgs(tar.d23!, dest, '--json'));
    expect(next.code, next.stderr).toBe(0);
    expect((JSON.parse(next.stdout) as { delta: unknown }).delta).toMatchObject({ binaries: 1 });
    expect(await fs.readFile(path.join(dest, 'bin/tofu'))).toEqual(
      releaseExecutable('tofu', '1.8.6', 'linux_amd64'),
    );
    const names = (await installed(dest)).map((e) => e.split(' ')[0]);
    expect(names).toContain(`${RANDOM_DIR}/terraform-provider-random_3.6.1_linux_arm64.zip`);
    expect(names).toContain(`${NULL_DIR}/terraform-provider-null_3.2.2_linux_amd64.zip`);
    const verify = await runCli(['verify', dest]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });

  it('refuses the delta on an empty destination and on one holding another base: exit 1, DIR unchanged', async () => {
    const v1Sums = sha256Hex(await member(tar.v1!, 'SHA256SUMS'));
    const fresh = path.join(work, 'fresh');
    const empty = await runCli(importArgs(tar.d12!, fresh, '--json'));
    expect(empty.code).toBe(1);
    const err = (JSON.parse(empty.stdout) as { error: { code: string; message: string; remedy: string } })
      .error;
    expect(err.code).toBe('DELTA_BASE_MISSING');
    expect(err.message).toBe(
      `${tar.d12!} is a delta bundle on top of the bundle created at 2026-01-01T00:00:00Z (bundle digest ${v1Sums}), ` +
        `but ${fresh} does not hold 2 of the 4 files it expects from that base (matched by sha256); nothing was placed:\n` +
        (
          await Promise.all(
            ['linux_amd64', 'linux_arm64'].map(async (p) => {
              const zip = `${RANDOM_DIR}/terraform-provider-random_3.6.0_${p}.zip`;
              return `  ${zip} (sha256 ${sha256Hex(await fs.readFile(path.join(work, 'v2', zip)))})`;
            }),
          )
        ).join('\n'),
    );
    expect(err.remedy).toBe(
      `import the bundle created at 2026-01-01T00:00:00Z (bundle digest ${v1Sums}) into ${fresh} first, or export a full bundle (without --base) for this destination`,
    );
    await expect(fs.stat(fresh)).rejects.toThrow('ENOENT');

    const other = path.join(work, 'dest-other');
    await imported(other, tar.other!);
    const before = await treeDigest(other);
    const refused = await runCli(importArgs(tar.d12!, other));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`but ${other} does not hold 2 of the 4 files it expects from that base`);
    expect(refused.stderr).toContain(`Hint: import the bundle created at 2026-01-01T00:00:00Z`);
    expect((await treeDigest(other)).entries).toEqual(before.entries);

    // A delta on top of v2 over v1 alone: tofu 1.8.6's zip is left to a base that bin/ does not hold.
    const v1Only = path.join(work, 'dest-v1-only');
    await imported(v1Only, tar.v1!);
    const beforeV1 = await treeDigest(v1Only);
    const skipped = await runCli(importArgs(tar.d23!, v1Only));
    expect(skipped.code).toBe(1);
    expect(skipped.stderr).toContain('tofu/1.8.6/tofu_1.8.6_linux_amd64.zip (sha256 ');
    expect(skipped.stderr).toContain(`${NULL_DIR}/terraform-provider-null_3.2.2_linux_amd64.zip (sha256 `);
    expect((await treeDigest(v1Only)).entries).toEqual(beforeV1.entries);
  });

  it('verify --against DEST: the same base check, read only, as rows of the report', async () => {
    const v1Sums = sha256Hex(await member(tar.v1!, 'SHA256SUMS'));
    const subject = `the bundle created at 2026-01-01T00:00:00Z (bundle digest ${v1Sums})`;
    type Report = {
      verdict: string;
      rows: { check: string; subject: string; status: string; detail: string; code?: string }[];
    };
    const verify = async (dest: string): Promise<{ code: number | null; report: Report }> => {
      const r = await runCli(['verify', tar.d12!, '--trusted-key', pub, '--against', dest, '--json']);
      return { code: r.code, report: JSON.parse(r.stdout) as Report };
    };
    const dest = path.join(work, 'dest-against');
    await imported(dest, tar.v1!);
    const before = await treeDigest(dest);
    const ok = await verify(dest);
    // The fixture's tofu release signature is a placeholder: that row alone fails here.
    expect(ok.report.rows.filter((r) => r.status === 'failed').map((r) => [r.check, r.subject])).toEqual([
      ['binary-signature', 'tofu 1.8.6'],
    ]);
    expect(ok.report.rows.filter((r) => r.check === 'delta-base')).toEqual([
      {
        check: 'delta-base',
        subject,
        status: 'ok',
        detail: `${dest} holds the base: 2 files found by sha256 in its live generation, 0 bin/ executables unpacked from the expected zips; 2 of the 4 files are kept by no import and not needed`,
      },
    ]);
    expect((await treeDigest(dest)).entries).toEqual(before.entries);

    const empty = path.join(work, 'never-imported');
    const bad = await verify(empty);
    expect(bad.code).toBe(1);
    expect(bad.report.verdict).toBe('failed');
    const zips = ['linux_amd64', 'linux_arm64'].map(
      (p) => `${RANDOM_DIR}/terraform-provider-random_3.6.0_${p}.zip`,
    );
    expect(
      bad.report.rows.filter((r) => r.check === 'delta-base').map((r) => [r.subject, r.status, r.code]),
    ).toEqual([
      [subject, 'failed', 'DELTA_BASE_MISSING'],
      [zips[0], 'failed', 'DELTA_BASE_MISSING'],
      [zips[1], 'failed', 'DELTA_BASE_MISSING'],
    ]);
    expect(bad.report.rows.find((r) => r.subject === subject)?.detail).toBe(
      `${empty} does not hold 2 of the 4 files the delta expects from this base (matched by sha256)`,
    );
    await expect(fs.stat(empty)).rejects.toThrow('ENOENT');

    const table = await runCli(['verify', tar.d12!, '--trusted-key', pub, '--against', empty]);
    expect(table.code).toBe(1);
    expect(table.stdout).toContain('\ndelta base      3   0       3        0        0\n');
  });

  it('inventory DIR: the live files hashed and the bundles imported; a delta from it is the delta from the bundle, byte for byte', async () => {
    const dest = path.join(work, 'dest-inventory');
    await imported(dest, tar.v1!);
    const inv = await runCli(['inventory', dest]);
    expect(inv.code, inv.stderr).toBe(0);
    const doc = JSON.parse(inv.stdout) as {
      schemaVersion: number;
      kind: string;
      generation: string;
      live: { bundleDigest: string; manifestSha256: string; kind: string; files: { path: string }[] };
      bundles: { sequence: number; kind: string; bundleDigest: string }[];
      files: { path: string; size: number; sha256: string }[];
    };
    const v1Sums = sha256Hex(await member(tar.v1!, 'SHA256SUMS'));
    expect(doc.schemaVersion).toBe(1);
    expect(doc.kind).toBe('airgap-inventory');
    expect(doc.generation).toBe(`0001-${v1Sums.slice(0, 16)}`);
    expect(doc.live.bundleDigest).toBe(v1Sums);
    expect(doc.live.manifestSha256).toBe(sha256Hex(await member(tar.v1!, 'airgap.json')));
    expect(doc.bundles.map((b) => [b.sequence, b.kind, b.bundleDigest])).toEqual([[1, 'full', v1Sums]]);
    const zip = `${NULL_DIR}/terraform-provider-null_3.2.1_linux_amd64.zip`;
    const zipBytes = await fs.readFile(path.join(work, 'v1', zip));
    expect(doc.files.find((f) => f.path === zip)).toEqual({
      path: zip,
      size: zipBytes.length,
      sha256: sha256Hex(zipBytes),
    });
    expect(doc.files.map((f) => f.path).filter((p) => !p.startsWith('providers/'))).toEqual([
      'airgap-state.json',
      'bin/tofu',
      'tofurc',
    ]);
    // Deterministic: the same DIR gives the same bytes.
    expect((await runCli(['inventory', dest])).stdout).toBe(inv.stdout);
    const invFile = path.join(work, 'inventory.json');
    await fs.writeFile(invFile, inv.stdout);

    const fromInv = path.join(work, 'd12-from-inventory.tar');
    const e = await runCli(
      [
        'export',
        path.join(work, 'v2'),
        '--tarball',
        fromInv,
        '--sign-key',
        priv,
        '--tool-package',
        tool,
        '--base',
        invFile,
      ],
      { env: ENV },
    );
    expect(e.code, e.stderr).toBe(0);
    expect(sha256Hex(await fs.readFile(fromInv))).toBe(sha256Hex(await fs.readFile(tar.d12!)));

    // Signed: an envelope checked against --trusted-key, as a bundle's signature is.
    const signed = await runCli(['inventory', dest, '--sign-key', priv], { env: ENV });
    expect(signed.code, signed.stderr).toBe(0);
    const envelope = JSON.parse(signed.stdout) as {
      kind: string;
      inventory: string;
      signature: string;
      signedBy: string;
    };
    expect(envelope.kind).toBe('airgap-inventory-signed');
    expect(envelope.inventory).toBe(inv.stdout);
    const signedFile = path.join(work, 'inventory-signed.json');
    await fs.writeFile(signedFile, signed.stdout);
    const exportFrom = (base: string, ...more: string[]) =>
      runCli(
        [
          'export',
          path.join(work, 'v2'),
          '--tarball',
          fromInv,
          '--sign-key',
          priv,
          '--tool-package',
          tool,
          '--base',
          base,
          ...more,
        ],
        { env: ENV },
      );
    const noKey = await exportFrom(signedFile);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain(
      `no --trusted-key given to check ${signedFile}: the inventory is signed (by ${envelope.signedBy})`,
    );
    await fs.rm(fromInv);
    const checked = await exportFrom(signedFile, '--trusted-key', pub);
    expect(checked.code, checked.stderr).toBe(0);
    expect(checked.stderr).toContain(`the inventory is signed by ${envelope.signedBy}`);
    expect(sha256Hex(await fs.readFile(fromInv))).toBe(sha256Hex(await fs.readFile(tar.d12!)));

    // An inventory altered after signing (a file claimed that DIR does not hold) is refused.
    const forged = {
      ...envelope,
      inventory: envelope.inventory.replace(doc.files[0]!.sha256, 'f'.repeat(64)),
    };
    const forgedFile = path.join(work, 'inventory-forged.json');
    await fs.writeFile(forgedFile, JSON.stringify(forged));
    await fs.rm(fromInv);
    const refused = await exportFrom(forgedFile, '--trusted-key', pub, '--json');
    expect(refused.code).toBe(1);
    expect((JSON.parse(refused.stdout) as { error: { code: string } }).error.code).toBe('SIGNATURE_INVALID');
    await expect(fs.stat(fromInv)).rejects.toThrow('ENOENT');
  });

  it('a tampered delta fails as any bundle does, DIR unchanged', async () => {
    const dest = path.join(work, 'dest-tamper');
    await imported(dest, tar.v1!);
    const before = await treeDigest(dest);
    const dir = await makeTempDir('airgap-delta-x-');
    await exec('tar', ['-xf', tar.d12!, '-C', dir]);
    const zip = `${NULL_DIR}/terraform-provider-null_3.2.2_linux_amd64.zip`;
    const bytes = await fs.readFile(path.join(dir, zip));
    bytes[0] = bytes[0]! ^ 1;
    await fs.writeFile(path.join(dir, zip), bytes);
    const tampered = path.join(work, 'tampered.tar');
    const names = (await exec('tar', ['-tf', tar.d12!])).stdout.split('\n').filter((l) => l !== '');
    await exec('tar', ['--no-recursion', '-cf', tampered, '-C', dir, ...names]);
    const res = await runCli(importArgs(tampered, dest, '--json'));
    expect(res.code).toBe(1);
    expect(
      (JSON.parse(res.stdout) as { error: { code: string; details: { path: string } } }).error,
    ).toMatchObject({
      code: 'CHECKSUM_MISMATCH',
      details: { path: zip },
    });
    expect((await treeDigest(dest)).entries).toEqual(before.entries);
  });

  describe('SIGKILL during a delta import', () => {
    it('leaves the old generation or the new one, never a mix; a re-run completes it', async () => {
      // Packages of a few MB, so that a good part of the run is the streaming import.
      const big1 = await bundle(
        'big1',
        '2026-01-01T00:00:00Z',
        [provider('null', '3.2.1', 3 << 20)],
        '1.8.5',
      );
      const big2 = await bundle(
        'big2',
        '2026-02-01T00:00:00Z',
        [provider('null', '3.2.1', 3 << 20), provider('random', '3.6.0', 3 << 20)],
        '1.8.5',
      );
      const full = await exportTar(big1, 'big1');
      const delta = await exportTar(big2, 'big-delta', full);
      const template = path.join(work, 'crash-template');
      const dest = path.join(work, 'crash-dest');
      const reset = async (): Promise<void> => {
        await fs.rm(dest, { recursive: true, force: true });
        await fs.cp(template, dest, { recursive: true, verbatimSymlinks: true });
      };
      // tofurc names DIR by its absolute path: the template is imported at dest's path, then copied.
      await imported(dest, full);
      await fs.cp(dest, template, { recursive: true, verbatimSymlinks: true });
      const oldVisible = await visibleDigest(dest);
      // A clean run: how long it takes, and when DIR/.airgap/current is swapped (the commit point).
      const t0 = performance.now();
      let switchMs: number | undefined;
      const watcher = watch(path.join(dest, '.airgap'), (_event, name) => {
        if (name === 'current' && switchMs === undefined) switchMs = performance.now() - t0;
      });
      await imported(dest, delta);
      watcher.close();
      const typical = performance.now() - t0;
      const commitAt = switchMs ?? typical;
      const newVisible = await visibleDigest(dest);
      const newTree = await treeDigest(dest);
      expect(newVisible.digest).not.toBe(oldVisible.digest);

      const outcomes: string[] = [];
      for (let i = 0; i < 8; i++) {
        await reset();
        // Half the kills spread over a run, half within 60 ms of where the clean run switched.
        const delay =
          i % 2 === 0
            ? Math.floor(((i + 0.5) / 8) * typical)
            : Math.max(0, Math.floor(commitAt - 60 + (i * 120) / 8));
        const signal = await new Promise<string>((resolve, reject) => {
          const child = spawn(process.execPath, [AIRGAP_BIN, ...importArgs(delta, dest)], {
            env: { PATH: process.env.PATH, HOME: process.env.HOME },
            stdio: 'ignore',
          });
          const timer = setTimeout(() => child.kill('SIGKILL'), delay);
          child.on('error', reject);
          child.on('close', (code, sig) => {
            clearTimeout(timer);
            resolve(sig ?? `exit ${code}`);
          });
        });
        const visible = await visibleDigest(dest);
        const state =
          visible.digest === oldVisible.digest
            ? 'old'
            : visible.digest === newVisible.digest
              ? 'new'
              : 'MIXED';
        outcomes.push(`${delay}ms:${signal}:${state}`);
        expect(state, outcomes.join(' ')).not.toBe('MIXED');
        await imported(dest, delta);
        expect((await treeDigest(dest)).entries).toEqual(newTree.entries);
      }
      console.log(`delta import crash outcomes: ${outcomes.join(' ')}`);
      // A run where every kill came too late tested nothing.
      expect(outcomes.filter((o) => o.includes('SIGKILL')).length).toBeGreaterThan(0);
    }, 180_000);
  });

  it('the delta manifest lists the complete new state', async () => {
    const packed = parseManifest(await member(tar.d12!, 'airgap.json'), 'd12');
    expect(packed.kind).toBe('delta');
    expect(packed.delta!.fromBase.map((f) => f.path)).toEqual([
      'config/tofurc',
      `${RANDOM_DIR}/terraform-provider-random_3.6.0_linux_amd64.zip`,
      `${RANDOM_DIR}/terraform-provider-random_3.6.0_linux_arm64.zip`,
      'tool/airgap-0.1.0.tgz',
    ]);
    // Its tarball does not carry the tool archive: v1 carried the same bytes.
    const { stdout } = await exec('tar', ['-tf', tar.d12!]);
    expect(stdout.split('\n').filter((m) => m.startsWith('tool'))).toEqual([]);
    expect(packed.delta!.fromBase.at(-1)!.sha256).toBe(sha256Hex(fakeToolArchive()));
  });
});
