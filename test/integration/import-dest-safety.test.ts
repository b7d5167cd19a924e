// What `airgap import` trusts in DIR: nothing it did not make. Through the real
// executable: a symlink planted at any level an import writes or reads through is
// refused (IMPORT_DEST_INVALID, exit 2) naming it, and what it points at is left byte
// for byte as it was; a DIR holding other files is refused (exit 2) unless --force,
// which imports beside them and never touches them; two imports at once take one lock:
// one runs, the other finds the bundle imported or is told another import is running
// (IMPORT_IN_PROGRESS, exit 4), and no half-made DIR is left, also when both find a
// stale lock a crashed import left.

import fs from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Reporter } from '../../src/core/ports.js';
import { runImport } from '../../src/services/import/import-service.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import {
  readFixtureDirectory,
  treeDigest,
  writeFixtureBundle,
  type FixtureBundle,
  type TreeDigest,
} from '../helpers/import-fixtures.js';
import { thisProcess } from '../helpers/host.js';
import { makeTempDir } from '../helpers/tmp.js';

const PLATFORMS = ['linux_amd64'];
const quiet: Reporter = { info: () => undefined, warn: () => undefined };
let work: string;
let b1: FixtureBundle;
let b2: FixtureBundle;

beforeAll(async () => {
  work = await makeTempDir('airgap-dest-');
  const cache = path.join(work, 'cache');
  b1 = await writeFixtureBundle(path.join(work, 'b1'), {
    createdAt: '2026-01-01T00:00:00Z',
    providers: [{ namespace: 'hashicorp', type: 'null', version: '3.2.0', platforms: PLATFORMS }],
    packageCache: cache,
  });
  b2 = await writeFixtureBundle(path.join(work, 'b2'), {
    createdAt: '2026-02-01T00:00:00Z',
    providers: [{ namespace: 'hashicorp', type: 'null', version: '3.2.1', platforms: PLATFORMS }],
    packageCache: cache,
  });
});

/** `airgap import` of a fixture bundle directory (unsigned) through the executable, --json. */
function cliImport(bundle: FixtureBundle, dest: string, ...extra: string[]): Promise<CliResult> {
  return runCli([
    'import',
    bundle.dir,
    '--dest',
    dest,
    '--insecure-skip-signature',
    '--platform',
    'linux_amd64',
    '--json',
    ...extra,
  ]);
}

interface JsonError {
  code: string;
  message: string;
  remedy?: string;
  details: { path?: string };
}

function jsonError(r: CliResult): JsonError {
  return (JSON.parse(r.stdout) as { error: JsonError }).error;
}

/** DIR after an in-process import of b1: the starting point of the planted-symlink cases. */
async function importedDir(): Promise<string> {
  const dest = path.join(await makeTempDir('airgap-planted-'), 'dest');
  await runImport(
    {
      source: b1.dir,
      dest,
      trustedKeyFiles: [],
      insecureSkipSignature: true,
      allowDowngrade: false,
      host: thisProcess(),
      platform: 'linux_amd64',
    },
    quiet,
    { readBundle: readFixtureDirectory },
  );
  return dest;
}

const GEN = (): string => `0001-${b1.digest.slice(0, 16)}`;

/**
 * Each level: what is there (made by the import of b1) is moved to OUTSIDE and replaced by
 * a symlink to it, so that a reader following the link finds a consistent destination.
 */
const LEVELS: { name: string; rel: () => string; says: string }[] = [
  { name: '.airgap', rel: () => '.airgap', says: 'not the directory airgap import makes there' },
  {
    name: '.airgap/generations',
    rel: () => '.airgap/generations',
    says: 'not the directory airgap import makes there',
  },
  {
    name: 'the live generation',
    rel: () => `.airgap/generations/${GEN()}`,
    says: 'not the directory airgap import makes there',
  },
  {
    name: "the live generation's state file",
    rel: () => `.airgap/generations/${GEN()}/airgap-state.json`,
    says: 'not the file airgap import makes there',
  },
  {
    name: "the live generation's providers/",
    rel: () => `.airgap/generations/${GEN()}/providers`,
    says: 'not the directory airgap import makes there',
  },
  {
    name: "the live generation's bin/",
    rel: () => `.airgap/generations/${GEN()}/bin`,
    says: 'not the directory airgap import makes there',
  },
  {
    name: 'the live symlink .airgap/current',
    rel: () => '.airgap/current',
    says: 'not a symlink to generations/NNNN-DIGEST',
  },
  {
    name: 'a stable symlink (providers)',
    rel: () => 'providers',
    says: 'was not made by airgap import',
  },
];

describe('symlinks planted inside DIR', () => {
  for (const level of LEVELS) {
    it(`at ${level.name}: exit 2, IMPORT_DEST_INVALID naming it, and what it points at unchanged`, async () => {
      const dest = await importedDir();
      const outside = await makeTempDir('airgap-outside-');
      const at = path.join(dest, level.rel());
      const moved = path.join(outside, 'moved');
      await fs.rename(at, moved);
      await fs.symlink(moved, at);
      const outsideBefore = await treeDigest(outside);
      const destBefore = await treeDigest(dest);

      const r = await cliImport(b2, dest);
      expect(r.code, r.stderr).toBe(2);
      const e = jsonError(r);
      expect(e.code).toBe('IMPORT_DEST_INVALID');
      expect(e.details.path).toBe(at);
      expect(e.message).toContain(at);
      expect(e.message).toContain(moved);
      expect(e.message).toContain(level.says);
      expect(await treeDigest(outside)).toEqual(outsideBefore);
      expect(await treeDigest(dest)).toEqual(destBefore);
    });
  }

  for (const name of ['.airgap-tmp-import', '.airgap-tmp-import.lock']) {
    it(`at the ${name.endsWith('.lock') ? 'lock' : 'staging directory'} ${name}: refused, never followed or removed`, async () => {
      const dest = await importedDir();
      const outside = await makeTempDir('airgap-outside-');
      await fs.writeFile(path.join(outside, 'keep.txt'), 'outside\n');
      const at = path.join(dest, name);
      await fs.symlink(outside, at);
      const outsideBefore = await treeDigest(outside);
      const destBefore = await treeDigest(dest);

      const r = await cliImport(b2, dest);
      expect(r.code, r.stderr).toBe(2);
      const e = jsonError(r);
      expect(e.code).toBe('IMPORT_DEST_INVALID');
      expect(e.details.path).toBe(at);
      expect(e.message).toBe(
        name.endsWith('.lock')
          ? `${at} is a symlink to ${outside}, not an import lock; airgap import does not follow or remove what it did not make`
          : `${at} is a symlink to ${outside}, not the directory airgap import makes there; airgap import does not follow or replace what it did not make`,
      );
      expect(await treeDigest(outside)).toEqual(outsideBefore);
      expect(await treeDigest(dest)).toEqual(destBefore);
    });
  }
});

describe('a DIR holding files airgap import did not make', () => {
  it('is refused (exit 2) naming them, and left as it was', async () => {
    const dest = await makeTempDir('airgap-foreign-');
    await fs.writeFile(path.join(dest, 'notes.txt'), 'mine\n');
    await fs.mkdir(path.join(dest, 'old-mirror'));
    const before = await treeDigest(dest);
    const r = await cliImport(b1, dest);
    expect(r.code, r.stderr).toBe(2);
    expect(jsonError(r)).toEqual({
      code: 'IMPORT_DEST_INVALID',
      category: 'usage',
      message: `${dest} holds "notes.txt", "old-mirror", which airgap import did not make; it imports only into a new or empty directory, or one it made`,
      remedy:
        'pass --force to import beside them (airgap import never changes or removes them), or choose a new or empty DIR',
      details: {
        path: path.join(dest, 'notes.txt'),
        expected: 'an absent or empty DIR, or one made by airgap import',
        actual: '2 other entries',
      },
      errors: [expect.objectContaining({ code: 'IMPORT_DEST_INVALID' })],
    });
    expect(await treeDigest(dest)).toEqual(before);
  });

  it('--force imports beside them and never touches them; later imports need no --force', async () => {
    const dest = await makeTempDir('airgap-foreign-');
    await fs.writeFile(path.join(dest, 'notes.txt'), 'mine\n');
    await fs.mkdir(path.join(dest, 'old-mirror'));
    await fs.writeFile(path.join(dest, 'old-mirror', 'x.zip'), 'zip\n');
    const theirs = async (): Promise<string[]> =>
      (await treeDigest(dest)).entries.filter((l) => l.startsWith('notes.txt') || l.startsWith('old-mirror'));
    const before = await theirs();
    const ino = (await fs.stat(path.join(dest, 'notes.txt'), { bigint: true })).ino;

    const r = await cliImport(b1, dest, '--force');
    expect(r.code, r.stderr).toBe(0);
    expect((await fs.readdir(dest)).sort()).toEqual([
      '.airgap',
      'airgap-state.json',
      'bin',
      'notes.txt',
      'old-mirror',
      'providers',
      'tofurc',
    ]);
    expect(await theirs()).toEqual(before);
    expect((await fs.stat(path.join(dest, 'notes.txt'), { bigint: true })).ino).toBe(ino);

    // DIR is an import destination now: the next import needs no --force, and leaves them too.
    const r2 = await cliImport(b2, dest);
    expect(r2.code, r2.stderr).toBe(0);
    expect(await theirs()).toEqual(before);
  });

  it('--force does not let import replace a name it needs', async () => {
    const dest = await makeTempDir('airgap-foreign-');
    await fs.mkdir(path.join(dest, 'providers'));
    const before = await treeDigest(dest);
    const r = await cliImport(b1, dest, '--force');
    expect(r.code, r.stderr).toBe(2);
    expect(jsonError(r).message).toBe(
      `${path.join(dest, 'providers')} was not made by airgap import: it is a directory, not a symlink to ` +
        '.airgap/current/providers; airgap import does not overwrite what it did not write',
    );
    expect(await treeDigest(dest)).toEqual(before);
  });

  it('a failed --force import leaves the DIR exactly as it was', async () => {
    const dest = await makeTempDir('airgap-foreign-');
    await fs.writeFile(path.join(dest, 'notes.txt'), 'mine\n');
    const bad = path.join(work, 'bad');
    await fs.cp(b1.dir, bad, { recursive: true });
    const zip = (await fs.readdir(path.join(bad, 'providers/registry.airgap.test/hashicorp/null'))).find(
      (n) => n.endsWith('.zip'),
    )!;
    await fs.appendFile(path.join(bad, 'providers/registry.airgap.test/hashicorp/null', zip), 'x');
    const before = await treeDigest(dest);
    const mtime = (await fs.stat(dest, { bigint: true })).mtimeNs;
    const r = await cliImport({ ...b1, dir: bad }, dest, '--force');
    expect(r.code, r.stderr).toBe(1);
    expect(await treeDigest(dest)).toEqual(before);
    expect((await fs.stat(dest, { bigint: true })).mtimeNs).toBe(mtime - (mtime % 1000n));
  });
});

describe('two imports into one DIR at once', () => {
  // DIR's parent (race/) is removed before each round: the imports make it, with --parents.
  let reference: TreeDigest;
  let dest: string;

  beforeAll(async () => {
    dest = path.join(work, 'race', 'dest');
    const r = await cliImport(b1, dest, '--parents');
    expect(r.code, r.stderr).toBe(0);
    reference = await treeDigest(dest);
  }, 60_000);

  /**
   * Runs two imports of b1 into DIR at once, `rounds` times, after `setup`. Each round:
   * one imports; the other either found it imported (exit 0, unchanged) or was told
   * another import is running (exit 4); DIR is what one import makes, to the byte.
   */
  async function race(rounds: number, setup: () => Promise<void>): Promise<string[]> {
    const outcomes: string[] = [];
    for (let i = 0; i < rounds; i++) {
      await fs.rm(path.dirname(dest), { recursive: true, force: true });
      await setup();
      const runs = await Promise.all([cliImport(b1, dest, '--parents'), cliImport(b1, dest, '--parents')]);
      const actions = runs.map((r) => {
        if (r.code === 0) return (JSON.parse(r.stdout) as { action: string }).action;
        expect(r.code, `round ${i}: ${r.stdout}${r.stderr}`).toBe(4);
        const e = jsonError(r);
        expect(e.code).toBe('IMPORT_IN_PROGRESS');
        expect(e.message).toMatch(/^another airgap import \(process \d+\) is running in /);
        expect(e.message).toContain(`is running in ${dest}; wait for it to finish`);
        return 'busy';
      });
      outcomes.push(actions.join('/'));
      expect(actions.sort(), `round ${i}`).toEqual(
        actions.includes('busy') ? ['busy', 'imported'] : ['imported', 'unchanged'],
      );
      expect((await treeDigest(dest)).entries, `round ${i}`).toEqual(reference.entries);
    }
    return outcomes;
  }

  it('20 rounds, first imports into a new DIR: one imports, the other waits its turn or is told; never a half-made DIR', async () => {
    const outcomes = await race(20, async () => undefined);
    console.log(`two first imports at once: ${outcomes.join(' ')}`);
  }, 300_000);

  it('10 rounds, both finding the stale lock and staging a crashed import left: one takes it over', async () => {
    const outcomes = await race(10, async () => {
      await fs.mkdir(path.join(dest, '.airgap-tmp-import'), { recursive: true });
      await fs.writeFile(path.join(dest, '.airgap-tmp-import', 'half-written.zip'), 'x');
      // A pid no process has (beyond pid_max): the import that held it is gone.
      await fs.symlink('airgap-import:4194305:0123456789abcdef', path.join(dest, '.airgap-tmp-import.lock'));
    });
    console.log(`two imports over a stale lock: ${outcomes.join(' ')}`);
  }, 300_000);

  it('a lock a live process holds: exit 4, IMPORT_IN_PROGRESS, DIR untouched', async () => {
    await fs.rm(path.dirname(dest), { recursive: true, force: true });
    const r0 = await cliImport(b1, dest, '--parents');
    expect(r0.code, r0.stderr).toBe(0);
    // This test process: alive, and not the import's.
    await fs.symlink(
      `airgap-import:${process.pid}:0123456789abcdef`,
      path.join(dest, '.airgap-tmp-import.lock'),
    );
    const before = await treeDigest(dest);
    const r = await cliImport(b2, dest, '--parents');
    expect(r.code).toBe(4);
    expect(jsonError(r)).toMatchObject({
      code: 'IMPORT_IN_PROGRESS',
      category: 'filesystem',
      message: `another airgap import (process ${process.pid}) is running in ${dest}; wait for it to finish`,
      remedy: 'wait for the other import to finish, then run this one again',
    });
    expect(await treeDigest(dest)).toEqual(before);
  });
});
