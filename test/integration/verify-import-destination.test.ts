// `airgap verify DIR` on an import destination made by the real `airgap import`
// (runImport reading through readVerifiedBundle): the mirror's zips against their
// VERSION.json hashes, and airgap-state.json's imports against the mirror. After a real
// --push-providers to docker-registry: DIR/tofurc.oci by tofu's rules, and lock files
// holding h1: only for pushed providers, which tofu refuses for an OCI install
// (opentofu internal/getproviders/package_location_oci_blob_archive.go: the layer's
// zh: must be among the lock file's hashes).

import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { createOciRegistryClient } from '../../src/adapters/oci/registry-client.js';
import { BUNDLE } from '../../src/core/layout/names.js';
import type { Reporter } from '../../src/core/ports.js';
import type { CheckRow, VerifyReport } from '../../src/core/transfer/verify-report.js';
import { runImport } from '../../src/services/import/import-service.js';
import { pushProviders } from '../../src/services/import/push-providers.js';
import { readVerifiedBundle } from '../../src/services/transfer/bundle-reader.js';
import { runVerify } from '../../src/services/verify/verify-service.js';
import { runCli } from '../helpers/cli.js';
import { startDockerRegistry } from '../helpers/docker-registry.js';
import { thisProcess, workingDirs } from '../helpers/host.js';
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
      host: thisProcess(),
      platform: 'linux_amd64',
    },
    quiet,
    { readBundle: readVerifiedBundle },
  );
  return dest;
}

function verify(dest: string, lockfiles: string[] = []): Promise<VerifyReport> {
  return runVerify(
    { target: dest, trustedKeyFiles: [], insecureSkipSignature: false, lockfiles, ...workingDirs() },
    quiet,
  );
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

describeWithTools(
  ['tar', 'docker-registry'],
  'airgap verify on an import destination with pushed providers',
  () => {
    async function importAndPush(): Promise<{ dest: string; registryHost: string }> {
      const dest = await importInto();
      const registry = await startDockerRegistry();
      const client = createOciRegistryClient({
        registry: registry.host,
        insecure: true,
        userAgent: 'airgap-test',
        env: {},
      });
      try {
        await pushProviders({ dest, target: `${registry.host}/tofu`, client, reporter: quiet });
      } finally {
        await client.close();
        await registry.stop();
      }
      return { dest, registryHost: registry.host };
    }

    it('warns of a lock file without the zh: of a pushed package, naming the fix; the zh: passes', async () => {
      const { dest } = await importAndPush();
      // h1: for both platforms (as `tofu providers lock -fs-mirror` writes), zh: for arm64 only.
      const lock = path.join(await makeTempDir(), '.terraform.lock.hcl');
      await fs.writeFile(
        lock,
        `provider "${NULL}" {\n  version = "3.2.1"\n  hashes = [\n` +
          `    "${pkg('null', 'linux_amd64').h1}",\n    "${pkg('null', 'linux_arm64').h1}",\n` +
          `    "zh:${pkg('null', 'linux_arm64').sha256}",\n  ]\n}\n`,
      );
      const report = await verify(dest, [lock]);
      // Warnings only: the mirror itself is intact, and the filesystem mirror (DIR/tofurc) takes h1:.
      expect(report.verdict).toBe('verified');
      expect(
        report.rows.filter((r) => r.subject === 'tofurc.oci' || r.subject.endsWith('(oci_mirror)')),
      ).toEqual([
        {
          check: 'state',
          subject: 'tofurc.oci',
          status: 'ok',
          detail: `1 oci_mirror block(s), valid by tofu's rules, for ${HOST}`,
        },
        {
          check: 'lockfile',
          subject: `${lock}: ${NULL} 3.2.1 linux_amd64 (oci_mirror)`,
          status: 'warning',
          detail: `${lock} does not record zh:${pkg('null', 'linux_amd64').sha256}, the layer tofurc.oci installs: tofu accepts a provider from an OCI mirror only when the lock file holds its zh: (an h1: does not count); run airgap mirror --update-lockfiles and use the lock file it completes`,
        },
        {
          check: 'lockfile',
          subject: `${lock}: ${NULL} 3.2.1 linux_arm64 (oci_mirror)`,
          status: 'ok',
          detail: `records zh:${pkg('null', 'linux_arm64').sha256}, the layer tofurc.oci installs`,
        },
      ]);
      // The h1: still satisfies the ordinary lockfile rows (the filesystem mirror).
      expect(
        report.rows
          .filter((r) => r.check === 'lockfile' && !r.subject.endsWith('(oci_mirror)'))
          .map((r) => [r.subject, r.status, r.detail]),
      ).toEqual([
        [`${lock}: ${NULL} 3.2.1 linux_amd64`, 'ok', `matches ${pkg('null', 'linux_amd64').h1}`],
        [`${lock}: ${NULL} 3.2.1 linux_arm64`, 'ok', `matches ${pkg('null', 'linux_arm64').h1}`],
      ]);
    }, 60_000);

    it('warns of a tofurc.oci whose block tofu drops (one template without ${hostname} for two hosts)', async () => {
      const { dest, registryHost } = await importAndPush();
      // What airgap wrote before one block per host: tofu refuses it and drops the block.
      await fs.writeFile(
        path.join(dest, 'tofurc.oci'),
        `provider_installation {\n  oci_mirror {\n    repository_template = "${registryHost}/tofu/\${namespace}/\${type}"\n` +
          `    include             = ["${NULL}", "registry.terraform.io/hashicorp/null"]\n  }\n}\n`,
      );
      const lock = path.join(await makeTempDir(), '.terraform.lock.hcl');
      await fs.writeFile(
        lock,
        `provider "${NULL}" {\n  version = "3.2.1"\n  hashes = [\n` +
          `    "${pkg('null', 'linux_amd64').h1}",\n    "${pkg('null', 'linux_arm64').h1}",\n  ]\n}\n`,
      );
      const report = await verify(dest, [lock]);
      expect(report.verdict).toBe('verified');
      // A dropped block serves nothing: no (oci_mirror) lockfile rows.
      expect(
        report.rows.filter((r) => r.subject === 'tofurc.oci' || r.subject.endsWith('(oci_mirror)')),
      ).toEqual([
        {
          check: 'state',
          subject: 'tofurc.oci',
          status: 'warning',
          detail: `tofu drops this oci_mirror block (include ${NULL}, registry.terraform.io/hashicorp/null): invalid repository_template "${registryHost}/tofu/\${namespace}/\${type}": it must refer to \${hostname}, as tofu requires unless include selects exactly one registry hostname (include selects ${HOST}, registry.terraform.io); push the providers again (airgap import --push-providers) to rewrite tofurc.oci`,
        },
      ]);
    }, 60_000);
  },
);
