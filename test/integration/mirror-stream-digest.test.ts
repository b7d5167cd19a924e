// The providers stage digests release-shaped zips while they download: no second read of
// the file (digestedFrom 'stream'), whether sizes are in the local headers or, as Go's
// archive/zip writes them, in data descriptors; the file read once only for zips with stored
// entries closed by data descriptors;
// a download cut mid-entry leaves no file and no digest behind, and a re-run succeeds.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient, type ClosableHttpClient } from '../../src/adapters/http/client.js';
import { createRegistryClient } from '../../src/adapters/registry/registry-client.js';
import { ZipHashPool } from '../../src/adapters/workers/zip-hash-pool.js';
import { digestZip } from '../../src/adapters/archive/zip-read.js';
import { BUNDLE } from '../../src/core/layout/names.js';
import type { PackageJob } from '../../src/core/mirror/plan.js';
import type { RegistryHosts, Reporter } from '../../src/core/ports.js';
import { parsePlatform } from '../../src/core/provider/platform.js';
import { mirrorProviders } from '../../src/services/mirror/stages/providers.js';
import { hash1, startTestRegistry, type TestRegistry } from '../helpers/registry/index.js';
import { writeReleaseZip } from '../helpers/registry/release-zip.js';
import { makeTempDir } from '../helpers/tmp.js';

const HOST = 'registry.airgap.test';
const PLATFORMS = ['linux_amd64', 'linux_arm64'];

let registry: TestRegistry;
let http: ClosableHttpClient;

beforeAll(async () => {
  registry = await startTestRegistry({
    providers: [
      // Release-shaped as goreleaser writes them (Go's archive/zip): deflated, every file
      // closed by a data descriptor with its signature (one with a directory entry).
      {
        namespace: 'acme',
        type: 'big',
        versions: ['1.0.0'],
        platforms: PLATFORMS,
        payloadSize: 3_000_000,
        shape: 'release',
        dataDescriptor: { signature: true, zip64: false },
      },
      {
        namespace: 'acme',
        type: 'docs',
        versions: ['2.0.0'],
        platforms: PLATFORMS,
        payloadSize: 100_000,
        shape: 'release',
        withDirectoryEntry: true,
        dataDescriptor: { signature: true, zip64: false },
      },
      // Release-shaped with sizes in the local headers (Info-ZIP).
      {
        namespace: 'acme',
        type: 'plain',
        versions: ['3.0.0'],
        platforms: ['linux_amd64'],
        payloadSize: 100_000,
        shape: 'release',
      },
      // The stored test shape: yazl streams it with data descriptors, stored entries.
      {
        namespace: 'acme',
        type: 'stored',
        versions: ['0.1.0'],
        platforms: ['linux_amd64'],
        payloadSize: 50_000,
      },
    ],
  });
  http = createHttpClient({ userAgent: 'airgap/test', caCertFiles: [registry.caCertPath], retries: 0 });
});

afterAll(async () => {
  await http?.close();
  await registry?.close();
});

function jobs(type: string, version: string, platforms = PLATFORMS): PackageJob[] {
  return platforms.map((p) => ({
    address: { hostname: HOST, namespace: 'acme', type },
    key: `${HOST}/acme/${type}`,
    version,
    platform: parsePlatform(p),
    recorded: [],
  }));
}

const hosts: RegistryHosts = {
  services: (h) => (h === HOST ? { 'providers.v1': `${registry.url}/v1/providers/` } : undefined),
  servicesSource: () => undefined,
  token: () => Promise.resolve(undefined),
};

const sha256Hex = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

const quiet: Reporter = { info: () => undefined, warn: () => undefined };

async function run(outDir: string, list: PackageJob[], digests: ZipHashPool) {
  return mirrorProviders(
    { outDir, jobs: list, concurrency: 4, skipMissingPlatforms: false, updateLockfiles: false },
    { http, registry: createRegistryClient({ http, hosts }), reporter: quiet, digests },
  );
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out.push(path.relative(dir, path.join(e.parentPath, e.name)));
  }
  return out.sort();
}

describe('mirror digests provider zips as they download', () => {
  it('reads no release-shaped package back from disk, and gets the same h1 as the packages were built with', async () => {
    const out = await makeTempDir('airgap-stream-');
    const pool = new ZipHashPool({ size: 2 });
    try {
      const r = await run(
        out,
        [
          ...jobs('big', '1.0.0'),
          ...jobs('docs', '2.0.0'),
          ...jobs('plain', '3.0.0', ['linux_amd64']),
          ...jobs('stored', '0.1.0', ['linux_amd64']),
        ],
        pool,
      );
      expect(r.failures).toEqual([]);
      // Flag bit 3 (data descriptor) on each zip's first entry, the executable.
      const flags = await Promise.all(
        registry.packages.map(async (p) => [p.type, ((await fs.readFile(p.path)).readUInt16LE(6) & 8) !== 0]),
      );
      expect(Object.fromEntries(flags)).toEqual({ big: true, docs: true, plain: false, stored: true });
      const got = r.outcomes.map((o) => [o.job.key, o.pkg?.platform, o.pkg?.h1, o.pkg?.zh, o.digestedFrom]);
      const want = (type: string, platform: string, from: string) => {
        const p = registry.packages.find((x) => x.type === type && x.platform === platform)!;
        return [`${HOST}/acme/${type}`, platform, p.h1, `zh:${p.sha256}`, from];
      };
      expect(got).toEqual([
        want('big', 'linux_amd64', 'stream'),
        want('big', 'linux_arm64', 'stream'),
        want('docs', 'linux_amd64', 'stream'),
        want('docs', 'linux_arm64', 'stream'),
        want('plain', 'linux_amd64', 'stream'),
        // Stored entries with data descriptors: the one package read back.
        want('stored', 'linux_amd64', 'file'),
      ]);
      expect(r.outcomes.filter((o) => o.hasDirectoryEntries).map((o) => o.pkg?.filename)).toEqual([
        'terraform-provider-docs_2.0.0_linux_amd64.zip',
        'terraform-provider-docs_2.0.0_linux_arm64.zip',
      ]);
      expect(pool.active).toBe(0);
    } finally {
      await pool.close();
    }
  });

  it('leaves no file and no digest behind when the download is cut mid-entry, and a re-run succeeds from the stream', async () => {
    const out = await makeTempDir('airgap-stream-cut-');
    const pool = new ZipHashPool({ size: 2 });
    const big = registry.packages.find((p) => p.type === 'big' && p.platform === 'linux_amd64')!;
    try {
      // Half-way through the deflated executable, on every attempt (retries are off).
      registry.addFault({ kind: 'reset-mid-body', match: big.filename, at: Math.floor(big.size / 2) });
      const failed = await run(out, jobs('big', '1.0.0', ['linux_amd64']), pool);
      expect(failed.failures.map((f) => f.code)).toEqual(['HTTP_ERROR']);
      expect(await filesUnder(path.join(out, BUNDLE.providersDir))).toEqual([]);
      expect(pool.active).toBe(0);

      registry.clearFaults();
      const again = await run(out, jobs('big', '1.0.0', ['linux_amd64']), pool);
      expect(again.failures).toEqual([]);
      expect(again.outcomes.map((o) => [o.pkg?.h1, o.pkg?.zh, o.digestedFrom])).toEqual([
        [big.h1, `zh:${big.sha256}`, 'stream'],
      ]);
      expect(await filesUnder(path.join(out, BUNDLE.providersDir))).toEqual([
        `${HOST}/acme/big/1.0.0.json`,
        `${HOST}/acme/big/index.json`,
        `${HOST}/acme/big/${big.filename}`,
      ]);
      expect(pool.active).toBe(0);
    } finally {
      registry.clearFaults();
      await pool.close();
    }
  });

  it('digests --local-provider packages in the same single read that hashes them (zip as given, and a bare executable zipped here)', async () => {
    const out = await makeTempDir('airgap-stream-local-');
    const src = await makeTempDir('airgap-stream-local-src-');
    const zipPath = path.join(src, 'terraform-provider-inhouse_1.0.0_linux_amd64.zip');
    const written = await writeReleaseZip(
      zipPath,
      { name: 'terraform-provider-inhouse_v1.0.0', seed: 'inhouse', size: 400_000 },
      [{ name: 'docs/README.md', data: Buffer.from('# in-house\n') }],
      { dataDescriptor: { signature: true, zip64: false } },
    );
    const exe = path.join(src, 'terraform-provider-inhouse_v1.0.0');
    await fs.writeFile(exe, Buffer.from('#!/bin/sh\necho in-house\n'.repeat(5000)));
    const local = (platform: string, localPath: string): PackageJob => ({
      address: { hostname: 'registry.myorg.io', namespace: 'myorg', type: 'inhouse' },
      key: 'registry.myorg.io/myorg/inhouse',
      version: '1.0.0',
      platform: parsePlatform(platform),
      recorded: [],
      localPath,
    });
    const pool = new ZipHashPool({ size: 1 });
    try {
      const r = await run(out, [local('linux_amd64', zipPath), local('linux_arm64', exe)], pool);
      expect(r.failures).toEqual([]);
      const dir = path.join(out, BUNDLE.providersDir, 'registry.myorg.io/myorg/inhouse');
      const zipped = path.join(dir, 'terraform-provider-inhouse_1.0.0_linux_arm64.zip');
      expect(r.outcomes.map((o) => [o.pkg?.platform, o.pkg?.status, o.pkg?.h1, o.digestedFrom])).toEqual([
        ['linux_amd64', 'local', hash1(written.files), 'stream'],
        ['linux_arm64', 'local', (await digestZip(zipped)).h1, 'stream'],
      ]);
      expect((await digestZip(zipped)).h1).toBe(
        hash1([{ name: 'terraform-provider-inhouse_v1.0.0', sha256: sha256Hex(await fs.readFile(exe)) }]),
      );
      expect(pool.active).toBe(0);
    } finally {
      await pool.close();
    }
  });

  it('refuses a tampered package by its sha256 from the digest worker, and writes nothing', async () => {
    const out = await makeTempDir('airgap-stream-tamper-');
    const pool = new ZipHashPool({ size: 1 });
    const big = registry.packages.find((p) => p.type === 'big' && p.platform === 'linux_amd64')!;
    try {
      registry.addFault({ kind: 'tamper-package', match: big.filename });
      const r = await run(out, jobs('big', '1.0.0', ['linux_amd64']), pool);
      expect(r.failures.map((f) => [f.code, f.details.expected])).toEqual([
        ['CHECKSUM_MISMATCH', big.sha256],
      ]);
      expect(r.failures[0]!.details.actual).not.toBe(big.sha256);
      expect(await filesUnder(path.join(out, BUNDLE.providersDir))).toEqual([]);
      expect(pool.active).toBe(0);
    } finally {
      registry.clearFaults();
      await pool.close();
    }
  });

  it('stops a download whose checksum list turns out badly signed, and reports the signature', async () => {
    const out = await makeTempDir('airgap-stream-sig-');
    const pool = new ZipHashPool({ size: 1 });
    const big = registry.packages.find((p) => p.type === 'big' && p.platform === 'linux_amd64')!;
    try {
      // The package trickles in while the signature is checked.
      registry.addFault({ kind: 'wrong-signature', match: 'SHA256SUMS.sig' });
      registry.addFault({ kind: 'slow-body', bytesPerSecond: 256 * 1024, match: big.filename });
      const r = await run(out, jobs('big', '1.0.0', ['linux_amd64']), pool);
      expect(r.failures.map((f) => f.code)).toEqual(['SIGNATURE_INVALID']);
      expect(r.failures[0]!.message).toContain(`${HOST}/acme/big 1.0.0`);
      expect(await filesUnder(path.join(out, BUNDLE.providersDir))).toEqual([]);
      expect(pool.active).toBe(0);
    } finally {
      registry.clearFaults();
      await pool.close();
    }
  });

  it('continues the same digest when a cut download resumes with a Range request', async () => {
    const out = await makeTempDir('airgap-stream-resume-');
    const pool = new ZipHashPool({ size: 1 });
    const resuming = createHttpClient({
      userAgent: 'airgap/test',
      caCertFiles: [registry.caCertPath],
      retries: 2,
    });
    const docs = registry.packages.find((p) => p.type === 'docs' && p.platform === 'linux_arm64')!;
    try {
      registry.addFault({ kind: 'reset-mid-body', match: docs.filename, at: 1000, times: 1 });
      const before = registry.requests.length;
      const r = await mirrorProviders(
        {
          outDir: out,
          jobs: jobs('docs', '2.0.0', ['linux_arm64']),
          concurrency: 1,
          skipMissingPlatforms: false,
          updateLockfiles: false,
        },
        {
          http: resuming,
          registry: createRegistryClient({ http: resuming, hosts }),
          reporter: quiet,
          digests: pool,
        },
      );
      expect(r.failures).toEqual([]);
      expect(r.outcomes.map((o) => [o.pkg?.h1, o.digestedFrom])).toEqual([[docs.h1, 'stream']]);
      expect(
        registry.requests
          .slice(before)
          .filter((q) => q.path.includes(docs.filename))
          .map((q) => [q.status, q.headers.range]),
      ).toEqual([
        [200, undefined],
        [206, 'bytes=1000-'],
      ]);
    } finally {
      registry.clearFaults();
      await resuming.close();
      await pool.close();
    }
  });
  it('a digest worker lost mid-download: the retry finishes the file from what it wrote; with no retry, nothing is left behind', async () => {
    const big = registry.packages.find((p) => p.type === 'big' && p.platform === 'linux_arm64')!;
    const resuming = createHttpClient({
      userAgent: 'airgap/test',
      caCertFiles: [registry.caCertPath],
      retries: 2,
    });
    try {
      for (const [client, outcome] of [
        [http, 'fails'],
        [resuming, 'completes'],
      ] as const) {
        const out = await makeTempDir('airgap-stream-lost-');
        const pool = new ZipHashPool({ size: 1 });
        pool.warm();
        const worker = (pool as unknown as { slots: { worker: Worker }[] }).slots[0]!.worker;
        registry.addFault({ kind: 'slow-body', bytesPerSecond: 512 * 1024, match: big.filename, times: 1 });
        let seen = 0;
        let lost: Promise<number> | undefined;
        const reporter: Reporter = {
          ...quiet,
          progress: (e) => {
            if (e.phase !== 'bytes') return;
            seen += e.bytes ?? 0;
            if (seen >= 300_000) lost ??= worker.terminate();
          },
        };
        try {
          const r = await mirrorProviders(
            {
              outDir: out,
              jobs: jobs('big', '1.0.0', ['linux_arm64']),
              concurrency: 1,
              skipMissingPlatforms: false,
              updateLockfiles: false,
            },
            {
              http: client,
              registry: createRegistryClient({ http: client, hosts }),
              reporter,
              digests: pool,
            },
          );
          expect(lost).toBeDefined();
          const dir = path.join(out, BUNDLE.providersDir);
          if (outcome === 'fails') {
            expect(r.failures.map((f) => f.code)).toEqual(['HTTP_ERROR']);
            expect(r.failures[0]!.message).toMatch(
              new RegExp(
                `: the thread writing ${dir}/${HOST}/acme/big/\\.airgap-tmp-[0-9a-f]{12}-${big.filename.replaceAll('.', '\\.')} was lost \\(a zip-hash worker exited\\): run the command again$`,
              ),
            );
            expect(await filesUnder(dir)).toEqual([]);
          } else {
            expect(r.failures).toEqual([]);
            // The digest was lost with its worker: the file is read once more.
            expect(r.outcomes.map((o) => [o.pkg?.h1, o.pkg?.zh, o.pkg?.size, o.digestedFrom])).toEqual([
              [big.h1, `zh:${big.sha256}`, big.size, 'file'],
            ]);
            expect(sha256Hex(await fs.readFile(path.join(dir, HOST, 'acme/big', big.filename)))).toBe(
              big.sha256,
            );
            expect(await filesUnder(dir)).toEqual([
              `${HOST}/acme/big/1.0.0.json`,
              `${HOST}/acme/big/index.json`,
              `${HOST}/acme/big/${big.filename}`,
            ]);
          }
          expect(pool.active).toBe(0);
        } finally {
          registry.clearFaults();
          await pool.close();
        }
      }
    } finally {
      await resuming.close();
    }
  });
});
