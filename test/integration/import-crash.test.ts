// Crash safety of `airgap import` under SIGKILL: the real executable (bin/run.js over
// dist/) is killed at a random point of an import 20 times. Each time, what DIR shows
// (its four stable paths, followed) must be exactly the state before the import or
// exactly the state after it, and a re-run must succeed and leave DIR byte for byte
// (every entry, by lstat) as an uninterrupted import does. The delays come from a
// seeded PRNG: the seed is printed, and AIRGAP_CRASH_SEED=N replays a run.
// AIRGAP_CLI_BIN runs another build of the CLI than ./bin/run.js.

import { spawn } from 'node:child_process';
import { watch as fsWatch } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Reporter } from '../../src/core/ports.js';
import { runImport } from '../../src/services/import/import-service.js';
import { readVerifiedBundle } from '../../src/services/transfer/bundle-reader.js';
import { AIRGAP_BIN } from '../helpers/cli.js';
import { treeDigest, visibleDigest, type TreeDigest } from '../helpers/import-fixtures.js';
import type { TestKey } from '../helpers/pgp.js';
import { thisProcess } from '../helpers/host.js';
import { makeTempDir } from '../helpers/tmp.js';
import { describeWithTools } from '../helpers/tools.js';
import {
  generateBundleSigningKey,
  hostileTarball,
  makeTestBundle,
  packBundleForTest,
  stageBundleForTest,
  type TestBundle,
} from '../helpers/transfer.js';

const RUNS = 20;
const BIN = process.env.AIRGAP_CLI_BIN ?? AIRGAP_BIN;
const quiet: Reporter = { info: () => undefined, warn: () => undefined };

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs `airgap import`; with `killAfterMs`, sends SIGKILL after that long (if still running).
 * With `watch` (DIR/.airgap), also reports when DIR/.airgap/current was swapped: the commit point.
 */
function cliImport(
  args: string[],
  killAfterMs?: number,
  watch?: string,
): Promise<Run & { switchMs?: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let switchMs: number | undefined;
    const watcher =
      watch === undefined
        ? undefined
        : fsWatch(watch, (_event, name) => {
            if (name === 'current' && switchMs === undefined) switchMs = performance.now() - t0;
          });
    const child = spawn(process.execPath, [BIN, 'import', ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer =
      killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      watcher?.close();
      resolve({
        code,
        signal,
        stdout,
        stderr,
        ms: performance.now() - t0,
        ...(switchMs === undefined ? {} : { switchMs }),
      });
    });
  });
}

describeWithTools(['tar'], 'airgap import killed with SIGKILL at a random point', () => {
  let bundle: TestBundle;
  let keyFile: string;
  let older: string;
  let newer: string;
  let dest: string;
  let template: string;
  const ref: { old?: TreeDigest; oldTree?: TreeDigest; new?: TreeDigest; newTree?: TreeDigest } = {};
  let typicalMs = 0;
  let switchMs = 0;

  let key: TestKey;

  beforeAll(async () => {
    key = await generateBundleSigningKey();
    // Packages of a few MB, so that a good part of the run is the streaming import, not node's start-up.
    bundle = await makeTestBundle({
      providers: [
        {
          namespace: 'hashicorp',
          type: 'null',
          versions: ['3.2.1'],
          platforms: ['linux_amd64', 'linux_arm64'],
          payloadSize: 3 << 20,
        },
      ],
    });
    await bundle.close();
    const work = await makeTempDir('airgap-crash-');
    keyFile = path.join(work, 'signer.asc');
    await fs.writeFile(keyFile, key.publicKeyArmored);
    // Two bundles with the same createdAt and different contents (the tool archive): the second is no downgrade.
    older = (
      await packBundleForTest(bundle.dir, {
        staged: await stageBundleForTest(bundle.dir, { signKey: key, toolPackage: false }),
      })
    ).file;
    newer = (await packBundleForTest(bundle.dir, { signKey: key })).file;

    // Every run uses the same DIR path: tofurc names it.
    dest = path.join(work, 'dest');
    template = path.join(work, 'template');
    await runImport(
      {
        source: older,
        dest,
        trustedKeyFiles: [keyFile],
        insecureSkipSignature: false,
        allowDowngrade: false,
        host: thisProcess(),
      },
      quiet,
      { readBundle: readVerifiedBundle },
    );
    ref.old = await visibleDigest(dest);
    ref.oldTree = await treeDigest(dest);
    await fs.cp(dest, template, { recursive: true, verbatimSymlinks: true });
    // Three clean runs: how long an import takes, and when its switch happens.
    const runs: (Run & { switchMs?: number })[] = [];
    for (let i = 0; i < 3; i++) {
      await fs.rm(dest, { recursive: true, force: true });
      await fs.cp(template, dest, { recursive: true, verbatimSymlinks: true });
      const clean = await cliImport(
        [newer, '--dest', dest, '--trusted-key', keyFile],
        undefined,
        path.join(dest, '.airgap'),
      );
      expect(clean.code, clean.stderr).toBe(0);
      runs.push(clean);
    }
    typicalMs = Math.max(...runs.map((r) => r.ms));
    switchMs = Math.min(...runs.map((r) => r.switchMs ?? r.ms));
    ref.new = await visibleDigest(dest);
    ref.newTree = await treeDigest(dest);
    expect(ref.new.digest).not.toBe(ref.old.digest);
  }, 60_000);

  afterAll(async () => {
    await bundle?.close();
  });

  it('through the executable, a damaged bundle exits 1 naming the entry and leaves DIR as it was', async () => {
    await fs.rm(dest, { recursive: true, force: true });
    await fs.cp(template, dest, { recursive: true, verbatimSymlinks: true });
    const hostile = await hostileTarball(
      await stageBundleForTest(bundle.dir, { signKey: key }),
      'flipped-byte',
    );
    const r = await cliImport([hostile.file, '--dest', dest, '--trusted-key', keyFile]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Error: ${hostile.file}: ${hostile.subject} has sha256 `);
    expect((await treeDigest(dest)).entries).toEqual(ref.oldTree!.entries);
    const j = await cliImport([hostile.file, '--dest', dest, '--trusted-key', keyFile, '--json']);
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stdout).error).toMatchObject({
      code: 'CHECKSUM_MISMATCH',
      details: { path: hostile.subject },
    });
    expect((await treeDigest(dest)).entries).toEqual(ref.oldTree!.entries);
  });

  it(`${RUNS} kills: DIR is the old state or the new one, never a mix, and a re-run completes the import`, async () => {
    const seed = Number(process.env.AIRGAP_CRASH_SEED ?? Date.now() % 2 ** 31);
    console.log(
      `import crash test: seed ${seed} (AIRGAP_CRASH_SEED=${seed} replays it), ` +
        `clean runs take up to ${typicalMs.toFixed(0)} ms and switch from ${switchMs.toFixed(0)} ms`,
    );
    const random = prng(seed);
    const outcomes: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      await fs.rm(dest, { recursive: true, force: true });
      await fs.cp(template, dest, { recursive: true, verbatimSymlinks: true });
      expect((await treeDigest(dest)).entries).toEqual(ref.oldTree!.entries);

      // Half the kills anywhere in a run, half within 40 ms of where clean runs switched.
      const delay =
        i % 2 === 0
          ? Math.floor(random() * typicalMs)
          : Math.max(0, Math.floor(switchMs - 40 + random() * 80));
      const run = await cliImport([newer, '--dest', dest, '--trusted-key', keyFile], delay);
      const visible = await visibleDigest(dest);
      const state =
        visible.digest === ref.old!.digest ? 'old' : visible.digest === ref.new!.digest ? 'new' : 'MIXED';
      outcomes.push(`${delay}ms:${run.signal ?? `exit ${run.code}`}:${state}`);
      if (state === 'MIXED') {
        // Show the difference against the nearer state.
        expect(visible.entries, `run ${i} (seed ${seed}, killed after ${delay} ms)`).toEqual(
          ref.new!.entries,
        );
      }
      if (run.signal === null) expect(run.code, run.stderr).toBe(0);

      await runImport(
        {
          source: newer,
          dest,
          trustedKeyFiles: [keyFile],
          insecureSkipSignature: false,
          allowDowngrade: false,
          host: thisProcess(),
        },
        quiet,
        { readBundle: readVerifiedBundle },
      );
      expect((await treeDigest(dest)).entries, `re-run after run ${i} (seed ${seed})`).toEqual(
        ref.newTree!.entries,
      );
    }
    console.log(`import crash test outcomes: ${outcomes.join(' ')}`);
    expect(outcomes).toHaveLength(RUNS);
    // Most kills land mid-import: a run where every kill came too late tested nothing.
    expect(outcomes.filter((o) => o.includes('SIGKILL')).length).toBeGreaterThan(0);
  }, 120_000);
});
