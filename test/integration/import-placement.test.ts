// Placement: what `airgap import` makes of DIR, driven in-process from fixture
// bundle directories through the reader's sink contract (readFixtureDirectory).
// Layout, merging across imports, no-op re-import, rollback protection, failure
// atomicity (tree digest before == after), and a simulated crash after every
// commit step (the real SIGKILL runs are in import-crash.test.ts).

import fs from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderTofurc } from '../../src/core/config/tofurc.js';
import type { AirgapError } from '../../src/core/errors.js';
import type { Reporter } from '../../src/core/ports.js';
import {
  prepareImport,
  runImport,
  type ImportOptions,
  type ImportResult,
} from '../../src/services/import/import-service.js';
import {
  FIXTURE_HOST,
  readFixtureDirectory,
  releaseExecutable,
  resum,
  sha256Hex,
  treeDigest,
  visibleDigest,
  writeFixtureBundle,
  type FixtureBundle,
} from '../helpers/import-fixtures.js';
import { thisProcess } from '../helpers/host.js';
import { makeTempDir } from '../helpers/tmp.js';

const PLATFORMS = ['linux_amd64', 'linux_arm64'];
let work: string;
let b1: FixtureBundle;
let b2: FixtureBundle;
let b0: FixtureBundle;

interface Captured extends Reporter {
  infos: string[];
  warnings: string[];
}

function reporter(): Captured {
  const infos: string[] = [];
  const warnings: string[] = [];
  return { infos, warnings, info: (m) => infos.push(m), warn: (m) => warnings.push(m) };
}

function options(source: string, dest: string, extra: Partial<ImportOptions> = {}): ImportOptions {
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

function imp(bundle: FixtureBundle, dest: string, extra: Partial<ImportOptions> = {}): Promise<ImportResult> {
  return runImport(options(bundle.dir, dest, extra), reporter(), { readBundle: readFixtureDirectory });
}

async function failure(p: Promise<unknown>): Promise<AirgapError> {
  try {
    await p;
  } catch (e) {
    return e as AirgapError;
  }
  throw new Error('the import succeeded');
}

const NULL_DIR = `${FIXTURE_HOST}/hashicorp/null`;

/**
 * DIR's own mtime in ns. An import puts it back after removing its staging, to the
 * microsecond (utimes' resolution through Node). (atime moves whenever the test reads DIR.)
 */
async function dirTimes(dir: string): Promise<bigint> {
  return (await fs.stat(dir, { bigint: true })).mtimeNs;
}

function microseconds(ns: bigint): bigint {
  return ns - (ns % 1000n);
}

beforeAll(async () => {
  work = await makeTempDir('airgap-import-');
  const cache = path.join(work, 'cache');
  b0 = await writeFixtureBundle(path.join(work, 'b0'), {
    createdAt: '2025-12-01T00:00:00Z',
    providers: [{ namespace: 'hashicorp', type: 'null', version: '3.1.0', platforms: PLATFORMS }],
    packageCache: cache,
  });
  b1 = await writeFixtureBundle(path.join(work, 'b1'), {
    createdAt: '2026-01-01T00:00:00Z',
    providers: [{ namespace: 'hashicorp', type: 'null', version: '3.2.0', platforms: PLATFORMS }],
    releases: [{ tool: 'tofu', version: '1.8.5', platforms: PLATFORMS }],
    packageCache: cache,
  });
  b2 = await writeFixtureBundle(path.join(work, 'b2'), {
    createdAt: '2026-02-01T00:00:00Z',
    providers: [
      { namespace: 'hashicorp', type: 'null', version: '3.2.1', platforms: PLATFORMS },
      { namespace: 'acme', type: 'widget', version: '1.0.0', platforms: ['linux_amd64'] },
    ],
    releases: [
      { tool: 'tofu', version: '1.8.6', platforms: PLATFORMS },
      { tool: 'terraform', version: '1.9.8', platforms: ['linux_arm64'] },
    ],
    packageCache: cache,
  });
});

describe('a first import', () => {
  it('lays out DIR: stable symlinks into one generation with providers, bin/tofu, tofurc and the state', async () => {
    const dest = path.join(work, 'first', 'dest');
    const r = reporter();
    const result = await runImport(options(b1.dir, dest), r, { readBundle: readFixtureDirectory });
    const gen = `0001-${b1.digest.slice(0, 16)}`;
    const pkg = (p: string): string => `${NULL_DIR}/terraform-provider-null_3.2.0_${p}.zip`;
    const z = (p: string): { sha256: string; h1: string } => b1.packages.find((x) => x.platform === p)!;
    const state = await fs.readFile(path.join(dest, 'airgap-state.json'), 'utf8');
    const tofurc = renderTofurc({ mirrorPath: path.join(dest, 'providers') });
    const versionJson = await fs.readFile(path.join(b1.dir, 'providers', NULL_DIR, '3.2.0.json'), 'utf8');
    const indexJson = '{\n  "versions": {\n    "3.2.0": {}\n  }\n}';
    const g = `.airgap/generations/${gen}`;
    expect((await treeDigest(dest)).entries).toEqual([
      '.airgap dir 755',
      '.airgap/current link 777 generations/' + gen,
      '.airgap/generations dir 755',
      `${g} dir 755`,
      `${g}/airgap-state.json file 644 ${sha256Hex(state)}`,
      `${g}/bin dir 755`,
      `${g}/bin/tofu file 755 ${sha256Hex(releaseExecutable('tofu', '1.8.5', 'linux_amd64'))}`,
      `${g}/providers dir 755`,
      `${g}/providers/${FIXTURE_HOST} dir 755`,
      `${g}/providers/${FIXTURE_HOST}/hashicorp dir 755`,
      `${g}/providers/${NULL_DIR} dir 755`,
      `${g}/providers/${NULL_DIR}/3.2.0.json file 644 ${sha256Hex(versionJson)}`,
      `${g}/providers/${NULL_DIR}/index.json file 644 ${sha256Hex(indexJson)}`,
      `${g}/providers/${pkg('linux_amd64')} file 644 ${z('linux_amd64').sha256}`,
      `${g}/providers/${pkg('linux_arm64')} file 644 ${z('linux_arm64').sha256}`,
      `${g}/tofurc file 644 ${sha256Hex(tofurc)}`,
      'airgap-state.json link 777 .airgap/current/airgap-state.json',
      'bin link 777 .airgap/current/bin',
      'providers link 777 .airgap/current/providers',
      'tofurc link 777 .airgap/current/tofurc',
    ]);
    expect(await fs.readFile(path.join(dest, 'bin', 'tofu'), 'utf8')).toBe(
      '#!/bin/sh\necho "tofu v1.8.5 on linux_amd64"\n',
    );
    expect(await fs.readFile(path.join(dest, 'tofurc'), 'utf8')).toContain(
      `filesystem_mirror {\n    path = "${path.join(dest, 'providers')}"`,
    );
    expect(versionJson).toContain(`"zh:${z('linux_amd64').sha256}"`);
    expect(JSON.parse(state)).toMatchObject({
      formatVersion: 1,
      hostPlatform: 'linux_amd64',
      previousGeneration: null,
      current: {
        sequence: 1,
        bundleDigest: b1.digest,
        createdAt: '2026-01-01T00:00:00Z',
        generation: gen,
        signer: null,
        contents: {
          providers: [{ address: `${FIXTURE_HOST}/hashicorp/null`, version: '3.2.0', platforms: PLATFORMS }],
          binaries: [{ tool: 'tofu', version: '1.8.5', platforms: PLATFORMS, installed: 'bin/tofu' }],
          files: b1.sums.size - 1,
        },
      },
    });
    expect(result).toEqual({
      schemaVersion: 1,
      dest,
      action: 'imported',
      bundleDigest: b1.digest,
      createdAt: '2026-01-01T00:00:00Z',
      generation: gen,
      previousGeneration: null,
      downgrade: false,
      signer: null,
      hostPlatform: 'linux_amd64',
      providers: [{ address: `${FIXTURE_HOST}/hashicorp/null`, version: '3.2.0', platforms: PLATFORMS }],
      binaries: [{ tool: 'tofu', version: '1.8.5', path: 'bin/tofu' }],
      providerFiles: { kept: 0, replaced: 0, added: 4, merged: 0 },
      tofurc: path.join(dest, 'tofurc'),
    });
    expect(r.warnings).toEqual([
      '--insecure-skip-signature: the bundle signature is NOT checked; anyone who could alter the bundle could alter what is installed',
    ]);
  });
});

describe('binaries', () => {
  it('installs terraform too when the bundle has it for the platform, each 0755; --platform picks the build', async () => {
    const dest = await makeTempDir();
    const r = reporter();
    const result = await runImport(options(b2.dir, dest, { platform: 'linux_arm64' }), r, {
      readBundle: readFixtureDirectory,
    });
    expect(result.binaries).toEqual([
      { tool: 'terraform', version: '1.9.8', path: 'bin/terraform' },
      { tool: 'tofu', version: '1.8.6', path: 'bin/tofu' },
    ]);
    for (const [tool, version] of [
      ['terraform', '1.9.8'],
      ['tofu', '1.8.6'],
    ] as const) {
      const p = path.join(dest, 'bin', tool);
      expect(await fs.readFile(p, 'utf8')).toBe(releaseExecutable(tool, version, 'linux_arm64').toString());
      expect((await fs.stat(p)).mode & 0o7777).toBe(0o755);
    }
    expect(r.warnings.slice(1)).toEqual([]);

    const amd = await makeTempDir();
    const r2 = reporter();
    await runImport(options(b2.dir, amd), r2, { readBundle: readFixtureDirectory });
    expect(r2.warnings.slice(1)).toEqual([
      'the bundle carries terraform 1.9.8 but no build for linux_amd64; bin/terraform is not updated',
    ]);
    expect(await fs.readdir(path.join(amd, 'bin'))).toEqual(['tofu']);
  });
});

describe('successive imports', () => {
  it('keep earlier providers (hard links, no copy), merge the mirror JSON, and keep one previous generation', async () => {
    const dest = await makeTempDir();
    await imp(b1, dest);
    const g1 = `0001-${b1.digest.slice(0, 16)}`;
    const old = path.join(
      dest,
      '.airgap/generations',
      g1,
      'providers',
      NULL_DIR,
      'terraform-provider-null_3.2.0_linux_amd64.zip',
    );
    const r2 = await imp(b2, dest);
    expect(r2.providerFiles).toEqual({ kept: 3, replaced: 0, added: 6, merged: 1 });
    expect(r2.binaries).toEqual([{ tool: 'tofu', version: '1.8.6', path: 'bin/tofu' }]);
    expect(r2.previousGeneration).toBe(g1);
    const kept = path.join(dest, 'providers', NULL_DIR, 'terraform-provider-null_3.2.0_linux_amd64.zip');
    expect((await fs.stat(kept)).ino).toBe((await fs.stat(old)).ino);
    expect(await fs.readFile(path.join(dest, 'providers', NULL_DIR, 'index.json'), 'utf8')).toBe(
      '{\n  "versions": {\n    "3.2.0": {},\n    "3.2.1": {}\n  }\n}',
    );
    expect((await fs.readdir(path.join(dest, 'providers', NULL_DIR))).sort()).toEqual([
      '3.2.0.json',
      '3.2.1.json',
      'index.json',
      'terraform-provider-null_3.2.0_linux_amd64.zip',
      'terraform-provider-null_3.2.0_linux_arm64.zip',
      'terraform-provider-null_3.2.1_linux_amd64.zip',
      'terraform-provider-null_3.2.1_linux_arm64.zip',
    ]);
    expect(await fs.readFile(path.join(dest, 'bin', 'tofu'), 'utf8')).toContain('tofu v1.8.6 on linux_amd64');
    // terraform has no linux_amd64 build in b2: bin/ has only tofu.
    expect(await fs.readdir(path.join(dest, 'bin'))).toEqual(['tofu']);

    const b3 = await writeFixtureBundle(path.join(work, 'b3'), {
      createdAt: '2026-03-01T00:00:00Z',
      providers: [{ namespace: 'acme', type: 'widget', version: '1.0.0', platforms: ['linux_amd64'] }],
      packageCache: path.join(work, 'cache'),
    });
    const r3 = await imp(b3, dest, { platform: 'linux_arm64' });
    expect(r3.binaries).toEqual([]);
    expect(await fs.readdir(path.join(dest, '.airgap/generations'))).toEqual([
      `0002-${b2.digest.slice(0, 16)}`,
      `0003-${b3.digest.slice(0, 16)}`,
    ]);
    // bin/tofu (from b2) survives an import that carries no tofu.
    expect(await fs.readFile(path.join(dest, 'bin', 'tofu'), 'utf8')).toContain('tofu v1.8.6 on linux_amd64');
    const state = JSON.parse(await fs.readFile(path.join(dest, 'airgap-state.json'), 'utf8'));
    expect(
      state.history.map((h: { sequence: number; bundleDigest: string }) => [h.sequence, h.bundleDigest]),
    ).toEqual([
      [1, b1.digest],
      [2, b2.digest],
      [3, b3.digest],
    ]);
    expect(state.hostPlatform).toBe('linux_arm64');
  });

  it('the same bundle twice is a no-op: no entry changes, not even a time stamp', async () => {
    const dest = await makeTempDir();
    await imp(b1, dest);
    const times = async (): Promise<string[]> => {
      const out: string[] = [];
      for (const line of (await treeDigest(dest)).entries) {
        const rel = line.split(' ')[0]!;
        const st = await fs.lstat(path.join(dest, rel), { bigint: true });
        out.push(`${rel} ${st.mtimeNs} ${st.ctimeNs} ${st.ino}`);
      }
      return out;
    };
    const before = { tree: await treeDigest(dest), times: await times(), dir: await dirTimes(dest) };
    const r = reporter();
    const result = await runImport(options(b1.dir, dest), r, { readBundle: readFixtureDirectory });
    expect(result.action).toBe('unchanged');
    expect(result.generation).toBe(`0001-${b1.digest.slice(0, 16)}`);
    expect(r.infos).toEqual([
      `${dest} already holds bundle ${b1.digest.slice(0, 16)} (import #1): nothing to do`,
    ]);
    expect(await treeDigest(dest)).toEqual(before.tree);
    expect(await times()).toEqual(before.times);
    expect(await dirTimes(dest)).toEqual(microseconds(before.dir));
  });
});

describe('refusals leave DIR exactly as it was', () => {
  it('an older bundle is refused (rollback protection) unless --allow-downgrade', async () => {
    const dest = await makeTempDir();
    await imp(b1, dest);
    const before = await treeDigest(dest);
    const e = await failure(imp(b0, dest));
    expect(e.code).toBe('DOWNGRADE_REFUSED');
    expect(e.message).toContain('created at 2025-12-01T00:00:00Z, before 2026-01-01T00:00:00Z');
    expect(await treeDigest(dest)).toEqual(before);

    const r = await imp(b0, dest, { allowDowngrade: true });
    expect(r.downgrade).toBe(true);
    // Kept: the newer 3.2.0 is not removed by the older bundle; bin/tofu stays.
    expect(
      (await fs.readdir(path.join(dest, 'providers', NULL_DIR))).filter((n) => n.endsWith('.zip')),
    ).toEqual([
      'terraform-provider-null_3.1.0_linux_amd64.zip',
      'terraform-provider-null_3.1.0_linux_arm64.zip',
      'terraform-provider-null_3.2.0_linux_amd64.zip',
      'terraform-provider-null_3.2.0_linux_arm64.zip',
    ]);
    expect((await imp(b0, dest)).action).toBe('unchanged');
    // Re-importing b1 (as old as the newest import) is no downgrade; it becomes generation 3.
    const back = await imp(b1, dest);
    expect([back.action, back.downgrade, back.generation]).toEqual([
      'imported',
      false,
      `0003-${b1.digest.slice(0, 16)}`,
    ]);
  });

  it('a file that fails its checksum mid-stream: nothing placed, in an existing DIR and a new one', async () => {
    const bad = path.join(work, 'bad-sum');
    await fs.cp(b2.dir, bad, { recursive: true });
    const zip = path.join(bad, 'providers', NULL_DIR, 'terraform-provider-null_3.2.1_linux_arm64.zip');
    const bytes = await fs.readFile(zip);
    bytes[100] = bytes[100]! ^ 0xff;
    await fs.writeFile(zip, bytes);
    const badBundle = { ...b2, dir: bad };

    const dest = await makeTempDir();
    await imp(b1, dest);
    const before = await treeDigest(dest);
    const mtime = await dirTimes(dest);
    const e = await failure(imp(badBundle, dest));
    expect(e.code).toBe('CHECKSUM_MISMATCH');
    expect(e.message).toContain(
      'providers/registry.airgap.test/hashicorp/null/terraform-provider-null_3.2.1_linux_arm64.zip',
    );
    expect(await treeDigest(dest)).toEqual(before);
    expect(await dirTimes(dest)).toEqual(microseconds(mtime));

    const fresh = path.join(await makeTempDir(), 'a', 'b');
    await failure(imp(badBundle, fresh));
    expect(await fs.readdir(path.dirname(path.dirname(fresh)))).toEqual([]);
  });

  it('a release zip without its executable fails after streaming, before the switch', async () => {
    const bad = path.join(work, 'no-exe');
    await fs.cp(b1.dir, bad, { recursive: true });
    const { writeDeterministicZip } = await import('../../src/adapters/archive/zip-write.js');
    const rel = 'tofu/1.8.5/tofu_1.8.5_linux_amd64.zip';
    await writeDeterministicZip(path.join(bad, rel), [
      { name: 'LICENSE', mode: 0o644, data: Buffer.from('x') },
    ]);
    const data = await fs.readFile(path.join(bad, rel));
    const manifestPath = path.join(bad, 'airgap.json');
    const m = JSON.parse(await fs.readFile(manifestPath, 'utf8'));
    const ref = m.binaries[0].platforms.find((p: { platform: string }) => p.platform === 'linux_amd64');
    ref.size = data.length;
    ref.sha256 = sha256Hex(data);
    await fs.writeFile(manifestPath, `${JSON.stringify(m, null, 2)}\n`);
    const resummed = await resum(bad);

    const dest = await makeTempDir();
    await imp(b0, dest);
    const before = await treeDigest(dest);
    const e = await failure(imp(resummed, dest));
    expect(e.code).toBe('ZIP_INVALID');
    expect(e.message).toBe(`${rel}: has no "tofu" at its root; a tofu release zip always does`);
    expect(await treeDigest(dest)).toEqual(before);
  });

  it('entries airgap import did not make are refused before anything is written', async () => {
    const dest = await makeTempDir();
    await fs.mkdir(path.join(dest, 'providers', 'x'), { recursive: true });
    await fs.writeFile(path.join(dest, 'providers', 'x', 'keep.txt'), 'mine');
    const before = await treeDigest(dest);
    const e = await failure(imp(b1, dest));
    expect(e.code).toBe('IMPORT_DEST_INVALID');
    expect(e.message).toBe(
      `${path.join(dest, 'providers')} was not made by airgap import: it is a directory, not a symlink to ` +
        '.airgap/current/providers; airgap import does not overwrite what it did not write',
    );
    expect(await treeDigest(dest)).toEqual(before);

    const dest2 = await makeTempDir();
    await imp(b1, dest2);
    await fs.rm(path.join(dest2, '.airgap/current'));
    await fs.symlink('/etc', path.join(dest2, '.airgap/current'));
    const e2 = await failure(imp(b2, dest2));
    expect(e2.code).toBe('IMPORT_DEST_INVALID');
    expect(e2.message).toBe(
      `${path.join(dest2, '.airgap/current')} is a symlink to /etc, not a symlink to generations/NNNN-DIGEST`,
    );
  });
});

describe('the import lock and the staging directory', () => {
  it('a lock a live process holds is refused; a dead one is taken over and its staging removed', async () => {
    const dest = await makeTempDir();
    await imp(b1, dest);
    const lock = path.join(dest, '.airgap-tmp-import.lock');
    // The parent of this test process: alive, and not this process.
    await fs.symlink(`airgap-import:${process.ppid}:0123456789abcdef`, lock);
    const before = await treeDigest(dest);
    const e = await failure(imp(b2, dest));
    expect(e.code).toBe('IMPORT_IN_PROGRESS');
    expect(e.message).toBe(
      `another airgap import (process ${process.ppid}) is running in ${dest}; wait for it to finish`,
    );
    expect(e.remedy).toBe('wait for the other import to finish, then run this one again');
    expect(await treeDigest(dest)).toEqual(before);

    // A pid no process has (beyond pid_max), and a half-written staging: what a crash leaves behind.
    await fs.rm(lock);
    await fs.symlink('airgap-import:4194305:0123456789abcdef', lock);
    const staging = path.join(dest, '.airgap-tmp-import');
    await fs.mkdir(staging);
    await fs.writeFile(path.join(staging, 'half-written.zip'), 'x');
    expect((await imp(b2, dest)).action).toBe('imported');
    expect((await fs.readdir(dest)).sort()).toEqual([
      '.airgap',
      'airgap-state.json',
      'bin',
      'providers',
      'tofurc',
    ]);
  });

  it('an import that has just taken the lock, its staging still empty, is not taken for a crashed one', async () => {
    // The instant two first imports race for: the winner holds DIR, its pid is known, and
    // its staging has nothing in it yet. The loser must say so, and touch nothing of it.
    const dest = path.join(await makeTempDir(), 'dest');
    await fs.mkdir(path.join(dest, '.airgap-tmp-import'), { recursive: true });
    await fs.symlink(
      `airgap-import:${process.ppid}:0123456789abcdef`,
      path.join(dest, '.airgap-tmp-import.lock'),
    );
    const before = await treeDigest(dest);
    const e = await failure(imp(b1, dest));
    expect([e.code, e.message]).toEqual([
      'IMPORT_IN_PROGRESS',
      `another airgap import (process ${process.ppid}) is running in ${dest}; wait for it to finish`,
    ]);
    expect(await treeDigest(dest)).toEqual(before);
  });

  it("something airgap import did not make at the lock's name is refused, not removed", async () => {
    const dest = await makeTempDir();
    await imp(b1, dest);
    const lock = path.join(dest, '.airgap-tmp-import.lock');
    await fs.writeFile(lock, '12345\n');
    const before = await treeDigest(dest);
    const e = await failure(imp(b2, dest));
    expect(e.code).toBe('IMPORT_DEST_INVALID');
    expect(e.message).toBe(
      `${lock} is not a symbolic link, not an import lock; airgap import does not follow or remove what it did not make`,
    );
    expect(await treeDigest(dest)).toEqual(before);
  });
});

describe('a crash after any commit step', () => {
  // Stops the import after `k` commit steps, as a crash would (staging and all left behind),
  // then checks what is visible, re-runs the import and compares with an uninterrupted one.
  // tofurc names DIR, so every run uses the same path as the reference.
  let dest: string;
  async function crashAt(k: number, setup: FixtureBundle[], bundle: FixtureBundle): Promise<void> {
    await fs.rm(dest, { recursive: true, force: true });
    for (const b of setup) await imp(b, dest);
    const before = await visibleDigest(dest);
    const prepared = await prepareImport(options(bundle.dir, dest), reporter(), {
      readBundle: readFixtureDirectory,
    });
    const steps = prepared.plan!.steps;
    for (const step of steps.slice(0, k)) await step.run();
    const switched = steps.slice(0, k).some((s) => s.name === 'switch');
    const visible = await visibleDigest(dest);
    expect(visible.entries).toEqual(switched ? reference.get(bundle)!.visible.entries : before.entries);

    await imp(bundle, dest);
    expect((await treeDigest(dest)).entries).toEqual(reference.get(bundle)!.tree.entries);
  }

  const reference = new Map<
    FixtureBundle,
    { visible: Awaited<ReturnType<typeof visibleDigest>>; tree: Awaited<ReturnType<typeof treeDigest>> }
  >();

  beforeAll(async () => {
    dest = path.join(await makeTempDir(), 'dest');
    await imp(b1, dest);
    reference.set(b1, { visible: await visibleDigest(dest), tree: await treeDigest(dest) });
    await imp(b2, dest);
    reference.set(b2, { visible: await visibleDigest(dest), tree: await treeDigest(dest) });
  });

  it('names its steps; the switch is the only one that changes what is visible', async () => {
    const dest = await makeTempDir();
    const prepared = await prepareImport(options(b1.dir, dest), reporter(), {
      readBundle: readFixtureDirectory,
    });
    expect(prepared.plan!.steps.map((s) => s.name)).toEqual([
      'sweep',
      'meta-dirs',
      'place',
      'links',
      'switch',
      'cleanup',
    ]);
    await prepared.abort();
    expect(await fs.readdir(dest)).toEqual([]);
  });

  for (let k = 0; k <= 6; k++) {
    it(`first import, stopped after ${k} step(s): old or new, and a re-run completes it`, async () => {
      await crashAt(k, [], b1);
    });
    it(`second import, stopped after ${k} step(s): old or new, and a re-run completes it`, async () => {
      await crashAt(k, [b1], b2);
    });
  }
});
