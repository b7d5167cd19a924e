// `airgap verify DIR` on an import destination made by the real `airgap import`
// (runImport reading through readVerifiedBundle): the mirror's zips against their
// VERSION.json hashes, and airgap-state.json's imports against the mirror.

import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { BUNDLE } from '../../src/core/layout/names.js';
import type { Reporter } from '../../src/core/ports.js';
import type { CheckRow, VerifyReport } from '../../src/core/transfer/verify-report.js';
import { runImport } from '../../src/services/import/import-service.js';
import { readVerifiedBundle } from '../../src/services/transfer/bundle-reader.js';
import { runVerify } from '../../src/services/verify/verify-service.js';
import { runCli } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/tmp.js';
import { describeWithTools } from '../helpers/tools.js';
import {
  generateBundleSigningKey,
  makeTestBundle,
  packBundleForTest,
  sha256Hex,
  type PackedBundle,
  type TestBundle,
} from '../helpers/transfer.js';

const HOST = 'registry.airgap.test';
const NULL = `${HOST}/hashicorp/null`;
const WIDGET = `${HOST}/acme/widget`;
const quiet: Reporter = { info: () => undefined, warn: () => undefined };

let bundle: TestBundle;
let packed: PackedBundle;
let keyFile: string;
let fingerprint: string;

beforeAll(async () => {
  const [b, key] = await Promise.all([
    makeTestBundle({
      providers: [
        {
          namespace: 'hashicorp',
          type: 'null',
          versions: ['3.2.1'],
          platforms: ['linux_amd64', 'linux_arm64'],
          payloadSize: 128,
        },
        {
          namespace: 'acme',
          type: 'widget',
          versions: ['1.0.0'],
          platforms: ['linux_amd64'],
          payloadSize: 128,
        },
      ],
      skipMissingPlatforms: true,
      tofu: [],
    }),
    generateBundleSigningKey(),
  ]);
  bundle = b;
  fingerprint = key.fingerprint;
  keyFile = path.join(await makeTempDir(), 'signer.asc');
  await fs.writeFile(keyFile, key.publicKeyArmored);
  packed = await packBundleForTest(bundle.dir, { signKey: key });
}, 60_000);

afterAll(async () => {
  await bundle?.close();
});

async function importInto(): Promise<string> {
  const dest = path.join(await makeTempDir(), 'dest');
  await runImport(
    {
      source: packed.file,
      dest,
      trustedKeyFiles: [keyFile],
      insecureSkipSignature: false,
      allowDowngrade: false,
      platform: 'linux_amd64',
    },
    quiet,
    { readBundle: readVerifiedBundle },
  );
  return dest;
}

function verify(dest: string, lockfiles: string[] = []): Promise<VerifyReport> {
  return runVerify({ target: dest, trustedKeyFiles: [], insecureSkipSignature: false, lockfiles }, quiet);
}

function pkg(type: string, platform: string) {
  return bundle.registry.packages.find((p) => p.type === type && p.platform === platform)!;
}

function zipRel(address: string, type: string, version: string, platform: string): string {
  return `${address}/terraform-provider-${type}_${version}_${platform}.zip`;
}

describeWithTools(['tar'], 'airgap verify on an import destination', () => {
  it('verifies every zip against its VERSION.json and every imported package against the mirror', async () => {
    const dest = await importInto();
    const report = await verify(dest);
    const digest = sha256Hex(await fs.readFile(path.join(packed.staged.dir, BUNDLE.checksums)));
    const ok = (address: string, type: string, version: string, platform: string): CheckRow => ({
      check: 'provider',
      subject: `${address} ${version} ${platform}`,
      status: 'ok',
      detail: `${pkg(type, platform).h1} zh:${pkg(type, platform).sha256}`,
    });
    const imported = (address: string, version: string, platform: string): CheckRow => ({
      check: 'state',
      subject: `${address} ${version} ${platform}`,
      status: 'ok',
      detail: 'imported, and in the mirror verified',
    });
    expect(report.kind).toBe('import-destination');
    expect(report.bundleDigest).toBe(digest);
    expect(report.rows).toEqual([
      {
        check: 'state',
        subject: 'airgap-state.json',
        status: 'ok',
        detail: `import 1 (generation 0001-${digest.slice(0, 16)}): bundle ${digest} created 2025-11-24T16:00:00Z, signed by ${fingerprint}`,
      },
      ok(WIDGET, 'widget', '1.0.0', 'linux_amd64'),
      ok(NULL, 'null', '3.2.1', 'linux_amd64'),
      ok(NULL, 'null', '3.2.1', 'linux_arm64'),
      imported(WIDGET, '1.0.0', 'linux_amd64'),
      imported(NULL, '3.2.1', 'linux_amd64'),
      imported(NULL, '3.2.1', 'linux_arm64'),
    ]);
    expect(report.verdict).toBe('verified');

    const cli = await runCli(['verify', dest, '--json']);
    expect(cli.code).toBe(0);
    expect((JSON.parse(cli.stdout) as VerifyReport).rows).toEqual(report.rows);
  });

  it('fails a changed zip, a missing one, and a lock file the mirror cannot satisfy; warns of stray files', async () => {
    const dest = await importInto();
    const providers = await fs.realpath(path.join(dest, 'providers'));
    const amd = zipRel(NULL, 'null', '3.2.1', 'linux_amd64');
    // Generations share files by hard link: replace, never edit in place.
    const bytes = Buffer.from(await fs.readFile(path.join(providers, amd)));
    const mid = bytes.length >> 1;
    bytes[mid] = bytes[mid]! ^ 0x01;
    await fs.rm(path.join(providers, amd));
    await fs.writeFile(path.join(providers, amd), bytes);
    await fs.rm(path.join(providers, zipRel(WIDGET, 'widget', '1.0.0', 'linux_amd64')));
    await fs.writeFile(path.join(providers, HOST, 'notes.txt'), 'stray\n');
    const lock = path.join(await makeTempDir(), '.terraform.lock.hcl');
    await fs.writeFile(
      lock,
      `provider "${NULL}" {\n  version = "3.2.1"\n  hashes = [\n    "zh:${pkg('null', 'linux_arm64').sha256}",\n  ]\n}\n`,
    );

    const report = await verify(dest, [lock]);
    expect(report.verdict).toBe('failed');
    const amdPkg = pkg('null', 'linux_amd64');
    expect(report.rows.filter((r) => r.status !== 'ok')).toEqual([
      {
        check: 'provider',
        subject: `${WIDGET} 1.0.0 linux_amd64`,
        status: 'failed',
        code: 'BUNDLE_FILE_MISSING',
        detail: `providers/${WIDGET}/1.0.0.json lists providers/${zipRel(WIDGET, 'widget', '1.0.0', 'linux_amd64')} for linux_amd64, but it is missing`,
      },
      {
        check: 'provider',
        subject: `${NULL} 3.2.1 linux_amd64`,
        status: 'failed',
        code: 'CHECKSUM_MISMATCH',
        detail: `providers/${amd}: zh:${sha256Hex(bytes)} is not among the hashes providers/${NULL}/3.2.1.json serves (${amdPkg.h1}, zh:${amdPkg.sha256})`,
      },
      {
        check: 'state',
        subject: `${WIDGET} 1.0.0 linux_amd64`,
        status: 'failed',
        code: 'BUNDLE_FILE_MISSING',
        detail: `airgap-state.json records ${WIDGET} 1.0.0 linux_amd64 as imported, but providers/ has no verified package for it`,
      },
      {
        check: 'state',
        subject: `${NULL} 3.2.1 linux_amd64`,
        status: 'failed',
        code: 'BUNDLE_FILE_MISSING',
        detail: `airgap-state.json records ${NULL} 3.2.1 linux_amd64 as imported, but providers/ has no verified package for it`,
      },
      {
        check: 'extra',
        subject: `providers/${HOST}/notes.txt`,
        status: 'warning',
        detail: `providers/${HOST}/notes.txt is named by no index.json or VERSION.json`,
      },
      {
        check: 'lockfile',
        subject: `${lock}: ${NULL} 3.2.1 linux_amd64`,
        status: 'failed',
        code: 'PLATFORM_MISSING',
        detail: `the bundle has no ${NULL} 3.2.1 package for linux_amd64, which ${lock} needs`,
      },
    ]);
    expect(report.rows.find((r) => r.check === 'lockfile' && r.subject.endsWith('linux_arm64'))).toEqual({
      check: 'lockfile',
      subject: `${lock}: ${NULL} 3.2.1 linux_arm64`,
      status: 'ok',
      detail: `matches zh:${pkg('null', 'linux_arm64').sha256}`,
    });
  });
});
