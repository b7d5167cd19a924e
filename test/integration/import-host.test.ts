// The import sees the process it runs in only through `host` (ImportOptions): the
// working directory a relative --dest is under, the platform bin/ is for, and the pid
// its lock names. Each test hands in a host that differs from this test process, so
// an import that read `process` itself would give a different answer.

import fs from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import type { AirgapError } from '../../src/core/errors.js';
import type { Reporter } from '../../src/core/ports.js';
import {
  runImport,
  type ImportOptions,
  type ImportResult,
} from '../../src/services/import/import-service.js';
import { runVerify } from '../../src/services/verify/verify-service.js';
import { thisProcess } from '../helpers/host.js';
import {
  readFixtureDirectory,
  releaseExecutable,
  writeFixtureBundle,
  type FixtureBundle,
} from '../helpers/import-fixtures.js';
import { makeTempDir } from '../helpers/tmp.js';

const quiet: Reporter = { info: () => undefined, warn: () => undefined };
let bundle: FixtureBundle;

beforeAll(async () => {
  const work = await makeTempDir('airgap-import-host-');
  const platforms = ['linux_amd64', 'linux_arm64'];
  bundle = await writeFixtureBundle(path.join(work, 'b1'), {
    createdAt: '2026-01-01T00:00:00Z',
    providers: [{ namespace: 'hashicorp', type: 'null', version: '3.2.0', platforms }],
    releases: [{ tool: 'tofu', version: '1.8.5', platforms }],
    packageCache: path.join(work, 'cache'),
  });
});

function imp(dest: string, host: Partial<ImportOptions['host']>): Promise<ImportResult> {
  return runImport(
    {
      source: bundle.dir,
      dest,
      trustedKeyFiles: [],
      insecureSkipSignature: true,
      allowDowngrade: false,
      host: { ...thisProcess(), ...host },
    },
    quiet,
    { readBundle: readFixtureDirectory },
  );
}

async function failure(p: Promise<unknown>): Promise<AirgapError> {
  try {
    await p;
  } catch (e) {
    return e as AirgapError;
  }
  throw new Error('the import succeeded');
}

it("a relative --dest is under host.cwd, and bin/ holds host.platform/host.arch's build", async () => {
  const cwd = await makeTempDir();
  // Unique, so an import that used the test process's cwd instead leaves something findable.
  const rel = path.join(path.basename(cwd), 'airgap');
  try {
    const result = await imp(rel, { cwd, platform: 'linux', arch: 'arm64' });
    const dest = path.join(cwd, rel);
    expect([result.dest, result.hostPlatform, result.tofurc]).toEqual([
      dest,
      'linux_arm64',
      path.join(dest, 'tofurc'),
    ]);
    expect(await fs.readFile(path.join(dest, 'bin', 'tofu'))).toEqual(
      releaseExecutable('tofu', '1.8.5', 'linux_arm64'),
    );

    // verify takes its relative TARGET under the cwd it is handed too.
    const report = await runVerify(
      { target: rel, cwd, tempDir: cwd, trustedKeyFiles: [], insecureSkipSignature: false, lockfiles: [] },
      quiet,
    );
    expect([report.target, report.kind, report.verdict]).toEqual([dest, 'import-destination', 'verified']);
  } finally {
    await fs.rm(path.resolve(path.basename(cwd)), { recursive: true, force: true });
  }
});

it('a host platform tofu has no name for is refused before DIR is made: pass --platform', async () => {
  const dest = path.join(await makeTempDir(), 'dest');
  const e = await failure(imp(dest, { platform: 'aix', arch: 'ppc64' }));
  expect([e.code, e.message]).toEqual([
    'USAGE',
    'this host (aix/ppc64) has no OpenTofu platform name; pass --platform OS_ARCH',
  ]);
  await expect(fs.lstat(dest)).rejects.toMatchObject({ code: 'ENOENT' });
});

it("DIR's lock names host.pid: a live holder is another import unless it is host.pid", async () => {
  const dest = path.join(await makeTempDir(), 'dest');
  await fs.mkdir(dest);
  const lock = path.join(dest, '.airgap-tmp-import.lock');
  // This test process holds it: alive. For an import handed another pid, that is another import.
  await fs.symlink(`airgap-import:${process.pid}:0123456789abcdef`, lock);
  const e = await failure(imp(dest, { pid: 4194305 }));
  expect([e.code, e.message]).toEqual([
    'IMPORT_IN_PROGRESS',
    `another airgap import (process ${process.pid}) is running in ${dest}; wait for it to finish`,
  ]);
  expect(await fs.readlink(lock)).toBe(`airgap-import:${process.pid}:0123456789abcdef`);
  // Handed this process's pid, it is an import of its own that never finished: taken over.
  expect((await imp(dest, { pid: process.pid })).action).toBe('imported');
  await expect(fs.lstat(lock)).rejects.toMatchObject({ code: 'ENOENT' });
});
