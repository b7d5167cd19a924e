// `airgap import` places a bundle's registry modules in the generation (modules/, with
// DIR/modules pointing there), records them in airgap-state.json, keeps earlier imports'
// modules, and `airgap verify DIR` checks each zip against the state.

import fs from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import type { ManifestModule } from '../../../src/core/bundle/manifest.js';
import { BUNDLE } from '../../../src/core/layout/names.js';
import type { Reporter } from '../../../src/core/ports.js';
import { parseImportState } from '../../../src/core/transfer/import-state.js';
import { runImport, type ImportOptions } from '../../../src/services/import/import-service.js';
import { runVerify } from '../../../src/services/verify/verify-service.js';
import { thisProcess, workingDirs } from '../../helpers/host.js';
import { readFixtureDirectory, sha256Hex, writeFixtureBundle } from '../../helpers/import-fixtures.js';
import { addModulesToBundle } from '../../helpers/module-bundle.js';
import { makeTempDir } from '../../helpers/tmp.js';

const TFR = 'registry.terraform.io';
const quiet: Reporter = { info: () => undefined, warn: () => undefined };
let work: string;
let a: { dir: string; modules: ManifestModule[] };
let b: { dir: string; modules: ManifestModule[] };

async function bundle(name: string, createdAt: string, mods: Parameters<typeof addModulesToBundle>[1]) {
  const dir = path.join(work, name);
  await writeFixtureBundle(dir, {
    createdAt,
    providers: [{ namespace: 'hashicorp', type: 'null', version: '3.2.1', platforms: ['linux_amd64'] }],
    packageCache: path.join(work, 'cache'),
  });
  return { dir, modules: await addModulesToBundle(dir, mods) };
}

function options(source: string, dest: string): ImportOptions {
  return {
    source,
    dest,
    trustedKeyFiles: [],
    insecureSkipSignature: true,
    allowDowngrade: false,
    host: thisProcess(),
    platform: 'linux_amd64',
  };
}

async function state(dest: string) {
  const p = path.join(dest, 'airgap-state.json');
  return parseImportState(await fs.readFile(p, 'utf8'), p);
}

async function moduleRows(dest: string) {
  const report = await runVerify(
    { target: dest, trustedKeyFiles: [], insecureSkipSignature: false, lockfiles: [], ...workingDirs() },
    quiet,
  );
  return report.rows
    .filter((r) => r.check === 'module' || r.subject.startsWith('modules/'))
    .map((r) => [r.check, r.subject, r.status, r.code ?? '']);
}

beforeAll(async () => {
  work = await makeTempDir();
  a = await bundle('a', '2026-01-01T00:00:00Z', [
    { source: `${TFR}/acme/net/aws`, version: '1.0.0', files: { 'main.tf': '# a 1.0.0\n' } },
    { source: 'tf.corp.example/team/dns/aws', version: '0.1.0', files: { 'x/main.tf': '\n' }, subdir: 'x' },
  ]);
  b = await bundle('b', '2026-02-01T00:00:00Z', [
    { source: `${TFR}/acme/net/aws`, version: '1.0.0', files: { 'main.tf': '# b 1.0.0, rebuilt\n' } },
    { source: `${TFR}/acme/net/aws`, version: '2.0.0', files: { 'main.tf': '# b 2.0.0\n' } },
  ]);
}, 60_000);

it('places modules, records them, carries them over and lets the bundle replace one', async () => {
  const dest = path.join(work, 'dest');
  await runImport(options(a.dir, dest), quiet, { readBundle: readFixtureDirectory });
  expect(await fs.readlink(path.join(dest, 'modules'))).toBe('.airgap/current/modules');
  for (const m of a.modules) {
    const bytes = await fs.readFile(path.join(dest, ...m.path.split('/')));
    expect(sha256Hex(bytes)).toBe(m.sha256);
  }
  const strip = (m: ManifestModule) => ({
    source: m.source,
    version: m.version,
    path: m.path,
    size: m.size,
    sha256: m.sha256,
    ...(m.subdir === undefined ? {} : { subdir: m.subdir }),
  });
  expect((await state(dest)).current.contents.modules).toEqual([strip(a.modules[0]!), strip(a.modules[1]!)]);
  expect(await moduleRows(dest)).toEqual([
    ['module', `${TFR}/acme/net/aws 1.0.0`, 'ok', ''],
    ['module', 'tf.corp.example/team/dns/aws 0.1.0', 'ok', ''],
  ]);

  await runImport(options(b.dir, dest), quiet, { readBundle: readFixtureDirectory });
  expect((await state(dest)).current.contents.modules).toEqual([
    strip(b.modules[0]!),
    strip(b.modules[1]!),
    strip(a.modules[1]!),
  ]);
  expect(sha256Hex(await fs.readFile(path.join(dest, ...b.modules[0]!.path.split('/'))))).toBe(
    b.modules[0]!.sha256,
  );

  // Tampered, stray and linked files under DIR/modules.
  await fs.appendFile(path.join(dest, ...b.modules[1]!.path.split('/')), 'x');
  await fs.writeFile(path.join(dest, 'modules', 'stray.zip'), 'x');
  await fs.symlink('/etc/hostname', path.join(dest, 'modules', 'link.zip'));
  expect(await moduleRows(dest)).toEqual([
    ['module', `${TFR}/acme/net/aws 1.0.0`, 'ok', ''],
    ['module', `${TFR}/acme/net/aws 2.0.0`, 'failed', 'CHECKSUM_MISMATCH'],
    ['module', 'tf.corp.example/team/dns/aws 0.1.0', 'ok', ''],
    ['extra', 'modules/link.zip', 'failed', 'ARCHIVE_ENTRY_UNSAFE'],
    ['extra', 'modules/stray.zip', 'warning', ''],
  ]);
}, 60_000);

it('refuses a bundle whose airgap.json lists a module it does not deliver, and changes nothing', async () => {
  const dir = path.join(work, 'short');
  await fs.cp(a.dir, dir, { recursive: true });
  const sums = path.join(dir, BUNDLE.checksums);
  const text = await fs.readFile(sums, 'utf8');
  await fs.writeFile(
    sums,
    text
      .split('\n')
      .filter((l) => !l.endsWith(a.modules[0]!.path))
      .join('\n'),
  );
  const dest = path.join(work, 'dest-short');
  await expect(
    runImport(options(dir, dest), quiet, { readBundle: readFixtureDirectory }),
  ).rejects.toMatchObject({
    code: 'MANIFEST_INVALID',
    message: `airgap.json lists ${a.modules[0]!.path} for module ${TFR}/acme/net/aws 1.0.0, but the bundle did not deliver it`,
  });
  expect(await fs.readdir(dest).catch(() => [])).toEqual([]);
});
