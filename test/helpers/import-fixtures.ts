// Fixtures for the import tests: small real bundle directories (deterministic
// provider zips from the test registry's builder, tofu/terraform release zips,
// network-mirror JSON and airgap.json rendered by the product's own code, and
// SHA256SUMS in the transfer format), a reader over such a directory that keeps
// the bundle reader's sink contract, and digests of a destination tree.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { writeDeterministicZip } from '../../src/adapters/archive/zip-write.js';
import {
  buildManifest,
  manifestFiles,
  parseManifest,
  renderManifest,
  type FileRef,
  type ManifestBinary,
  type ManifestProvider,
} from '../../src/core/bundle/manifest.js';
import { formatSha256Sums, parseSha256Sums } from '../../src/core/checksums/sha256sums.js';
import { AirgapError } from '../../src/core/errors.js';
import { BUNDLE } from '../../src/core/layout/names.js';
import { renderIndexJson, renderVersionJson } from '../../src/core/mirror/network-mirror-json.js';
import { STABLE_ENTRIES } from '../../src/core/transfer/import-layout.js';
import type { BundleReader } from '../../src/services/import/import-service.js';
import { buildPackages } from './registry/packages.js';
import type { TestPackage } from './registry/types.js';

export const FIXTURE_HOST = 'registry.airgap.test';

export interface FixtureProvider {
  /** The provider's registry host; default FIXTURE_HOST. */
  hostname?: string;
  namespace: string;
  type: string;
  version: string;
  platforms: string[];
  /** Bytes of the provider executable; default 2048. */
  payloadSize?: number;
}

export interface FixtureRelease {
  tool: 'tofu' | 'terraform';
  version: string;
  platforms: string[];
}

export interface FixtureBundleOptions {
  /** RFC 3339, e.g. 2026-01-01T00:00:00Z. */
  createdAt: string;
  providers: FixtureProvider[];
  releases?: FixtureRelease[];
  /** Where built provider zips are cached between bundles of one test file. */
  packageCache: string;
}

export interface FixtureBundle {
  dir: string;
  packages: TestPackage[];
  /** sha256 of SHA256SUMS: the bundle digest. */
  digest: string;
  /** Every SHA256SUMS line: bundle path -> sha256. */
  sums: Map<string, string>;
}

/** The executable inside a fixture release zip. */
export function releaseExecutable(tool: string, version: string, platform: string): Buffer {
  return Buffer.from(`#!/bin/sh\necho "${tool} v${version} on ${platform}"\n`, 'utf8');
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

async function fileRef(root: string, rel: string): Promise<FileRef> {
  const data = await fs.readFile(path.join(root, rel));
  return { path: rel, size: data.length, sha256: sha256Hex(data) };
}

async function put(root: string, rel: string, data: string | Uint8Array): Promise<void> {
  await fs.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
  await fs.writeFile(path.join(root, rel), data);
}

/** Writes a bundle directory as `airgap mirror` + packing lay it out (docs/TRANSFER-FORMAT.md), unsigned. */
export async function writeFixtureBundle(dir: string, options: FixtureBundleOptions): Promise<FixtureBundle> {
  await fs.mkdir(dir, { recursive: true });
  const packages = await buildPackages(
    options.providers.map((p) => ({
      namespace: p.namespace,
      type: p.type,
      versions: [p.version],
      platforms: p.platforms,
      ...(p.payloadSize === undefined ? {} : { payloadSize: p.payloadSize }),
    })),
    options.packageCache,
  );
  const providers: ManifestProvider[] = [];
  const mirrorIndexes: FileRef[] = [];
  const byProvider = new Map<string, TestPackage[]>();
  // buildPackages returns each spec's packages in spec order, one per platform.
  const hosts = options.providers.flatMap((p) => p.platforms.map(() => p.hostname ?? FIXTURE_HOST));
  for (const [i, p] of packages.entries()) {
    const key = `${hosts[i]!}/${p.namespace}/${p.type}`;
    byProvider.set(key, [...(byProvider.get(key) ?? []), p]);
  }
  for (const [key, pkgs] of byProvider) {
    const provDir = `${BUNDLE.providersDir}/${key}`;
    const versions = [...new Set(pkgs.map((p) => p.version))];
    for (const version of versions) {
      const mine = pkgs.filter((p) => p.version === version);
      const archives: Record<string, { url: string; hashes: string[] }> = {};
      const refs = [];
      for (const p of mine) {
        const rel = `${provDir}/${p.filename}`;
        await put(dir, rel, await fs.readFile(p.path));
        archives[p.platform] = { url: p.filename, hashes: [p.h1, `zh:${p.sha256}`] };
        refs.push({
          platform: p.platform,
          path: rel,
          size: p.size,
          sha256: p.sha256,
          hashes: [p.h1, `zh:${p.sha256}`],
          source: 'registry' as const,
        });
      }
      await put(dir, `${provDir}/${version}.json`, renderVersionJson({}, archives));
      mirrorIndexes.push(await fileRef(dir, `${provDir}/${version}.json`));
      providers.push({ address: key, version, packages: refs });
    }
    await put(dir, `${provDir}/index.json`, renderIndexJson([], versions));
    mirrorIndexes.push(await fileRef(dir, `${provDir}/index.json`));
  }

  const binaries: ManifestBinary[] = [];
  for (const r of options.releases ?? []) {
    const relDir = `${r.tool}/${r.version}`;
    const platforms = [];
    for (const platform of r.platforms) {
      const rel = `${relDir}/${r.tool}_${r.version}_${platform}.zip`;
      await fs.mkdir(path.join(dir, relDir), { recursive: true });
      await writeDeterministicZip(path.join(dir, rel), [
        { name: 'LICENSE', mode: 0o644, data: Buffer.from('license text\n') },
        { name: r.tool, mode: 0o755, data: releaseExecutable(r.tool, r.version, platform) },
      ]);
      platforms.push({ platform, ...(await fileRef(dir, rel)) });
    }
    const sumsRel = `${relDir}/${r.tool}_${r.version}_SHA256SUMS`;
    await put(
      dir,
      sumsRel,
      formatSha256Sums(platforms.map((p) => ({ name: path.posix.basename(p.path), sha256: p.sha256 }))),
    );
    const sigRel = `${sumsRel}${r.tool === 'tofu' ? '.gpgsig' : '.sig'}`;
    await put(dir, sigRel, Buffer.from(`signature over ${sumsRel}`));
    binaries.push({
      tool: r.tool,
      version: r.version,
      platforms,
      sums: await fileRef(dir, sumsRel),
      signature: await fileRef(dir, sigRel),
      verifiedBy: {
        primaryKeyFingerprint: 'F'.repeat(40),
        signingKeyFingerprint: 'F'.repeat(40),
        keyExpiredSince: false,
      },
    });
  }

  await put(dir, 'config/tofurc', 'provider_installation {}\n');
  const manifest = buildManifest({
    toolVersion: '0.1.0',
    createdAt: new Date(options.createdAt),
    platforms: [...new Set(options.providers.flatMap((p) => p.platforms))],
    lockfiles: [],
    providers,
    binaries,
    configs: [{ kind: 'tofurc', ...(await fileRef(dir, 'config/tofurc')) }],
    mirrorIndexes,
  });
  await put(dir, BUNDLE.manifest, renderManifest(manifest));
  return resum(dir, packages);
}

/** (Re)writes SHA256SUMS from airgap.json's file list plus airgap.json itself, as packing does. */
export async function resum(dir: string, packages: TestPackage[] = []): Promise<FixtureBundle> {
  const manifest = parseManifest(await fs.readFile(path.join(dir, BUNDLE.manifest), 'utf8'), BUNDLE.manifest);
  const entries = [
    ...manifestFiles(manifest).map((f) => ({ name: f.path, sha256: f.sha256 })),
    { name: BUNDLE.manifest, sha256: (await fileRef(dir, BUNDLE.manifest)).sha256 },
  ];
  const text = formatSha256Sums(entries);
  await fs.writeFile(path.join(dir, BUNDLE.checksums), text);
  return { dir, packages, digest: sha256Hex(text), sums: parseSha256Sums(text, BUNDLE.checksums) };
}

/**
 * A BundleReader over a fixture bundle directory with the real reader's sink contract:
 * every SHA256SUMS file but airgap.json, in path order, streamed once to the sink while
 * hashed; CHECKSUM_MISMATCH naming the entry after the sink returns when they differ.
 * No signature check: it stands in for the transport, not for verification.
 */
export const readFixtureDirectory: BundleReader = async (request) => {
  const sumsText = await fs.readFile(path.join(request.source, BUNDLE.checksums), 'utf8');
  const sums = parseSha256Sums(sumsText, BUNDLE.checksums);
  const manifest = parseManifest(
    await fs.readFile(path.join(request.source, BUNDLE.manifest), 'utf8'),
    BUNDLE.manifest,
  );
  const names = [...sums.keys()].filter((n) => n !== BUNDLE.manifest).sort();
  for (const name of names) {
    const file = path.join(request.source, name);
    const size = (await fs.stat(file)).size;
    const hash = createHash('sha256');
    const body = createReadStream(file).pipe(
      new Transform({
        transform(chunk: Buffer, _enc, cb) {
          hash.update(chunk);
          cb(null, chunk);
        },
      }),
    );
    const expected = sums.get(name) ?? '';
    if (request.sink) await request.sink({ path: name, size, expectedSha256: expected }, body);
    else for await (const _ of body) void _;
    const actual = hash.digest('hex');
    if (actual !== expected) {
      throw new AirgapError(
        'CHECKSUM_MISMATCH',
        `${name}: sha256 is ${actual}, but SHA256SUMS lists ${expected}`,
        {
          path: name,
          expected,
          actual,
        },
      );
    }
  }
  return { manifest, bundleDigest: sha256Hex(sumsText) };
};

export interface TreeDigest {
  digest: string;
  /** One line per entry: "path type mode detail" (sha256 for files, target for symlinks). */
  entries: string[];
}

/** Every entry below `root` by lstat (symlinks are not followed): type, permission bits, link target, content sha256. */
export async function treeDigest(root: string): Promise<TreeDigest> {
  const entries: string[] = [];
  async function walk(dir: string, rel: string): Promise<void> {
    let names: string[];
    try {
      names = (await fs.readdir(dir)).sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && rel === '') return;
      throw e;
    }
    for (const name of names) {
      const p = path.join(dir, name);
      const r = rel === '' ? name : `${rel}/${name}`;
      const st = await fs.lstat(p);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) entries.push(`${r} link ${mode} ${await fs.readlink(p)}`);
      else if (st.isDirectory()) {
        entries.push(`${r} dir ${mode}`);
        await walk(p, r);
      } else if (st.isFile()) entries.push(`${r} file ${mode} ${sha256Hex(await fs.readFile(p))}`);
      else entries.push(`${r} other ${mode}`);
    }
  }
  await walk(root, '');
  return { digest: sha256Hex(entries.join('\n')), entries };
}

/**
 * What users and tofu see: the four stable paths of DIR, followed through their
 * symlinks; one that resolves to nothing is absent, as before a first import.
 */
export async function visibleDigest(root: string): Promise<TreeDigest> {
  const entries: string[] = [];
  for (const name of STABLE_ENTRIES) {
    const p = path.join(root, name);
    const st = await fs.stat(p).catch(() => undefined);
    if (st === undefined) continue;
    if (st.isDirectory()) {
      entries.push(`${name} dir`);
      for (const line of (await treeDigest(p)).entries) entries.push(`${name}/${line}`);
    } else {
      entries.push(`${name} file ${(st.mode & 0o7777).toString(8)} ${sha256Hex(await fs.readFile(p))}`);
    }
  }
  return { digest: sha256Hex(entries.join('\n')), entries };
}
