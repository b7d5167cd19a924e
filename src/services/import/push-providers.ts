// `airgap import --push-providers REGISTRY/PREFIX`: pushes every provider version in
// DIR/providers to REGISTRY/PREFIX/HOST/NS/TYPE:VERSION as the OCI artifact OpenTofu's
// oci_mirror installs (src/core/oci/provider-artifact.ts), then writes DIR/tofurc.oci
// with one oci_mirror block per provider host (src/core/config/tofurc-oci.ts).
//
// Order per version: the zips and the empty config (each HEAD first: a re-push
// uploads nothing the registry has), each platform manifest by digest, the index
// by digest, and only then the tag. A failure anywhere before the tag leaves the
// tag where it was: never pointing at an index whose parts are missing.
//
// The zips are not hashed again: the import verified each against the signed
// SHA256SUMS, the mirror's VERSION.json carries that sha256 as `zh:`, and the
// registry checks the digest of every blob it receives. Only a VERSION.json entry
// without exactly one `zh:` (a hand-made mirror) makes us hash the file.

import fs from 'node:fs/promises';
import path from 'node:path';
import { renderOciTofurc, tofuRegistryAccessNotes } from '../../core/config/tofurc-oci.js';
import { normalizeProviderPattern } from '../../core/config/tofurc.js';
import { compareStrings } from '../../core/compare.js';
import { AirgapError } from '../../core/errors.js';
import { IMPORT, MIRROR } from '../../core/layout/names.js';
import { parseIndexJson, parseVersionJson } from '../../core/mirror/network-mirror-json.js';
import {
  buildProviderArtifact,
  EMPTY_CONFIG,
  parseOciTarget,
  providerRepository,
  providerVersionTag,
  repositoryTemplate,
  type OciTarget,
  type ProviderZip,
} from '../../core/oci/provider-artifact.js';
import type { OciRegistryClient, Reporter } from '../../core/ports.js';
import { writeFileAtomic } from '../../adapters/fs/atomic.js';
import { sha256File } from '../../adapters/fs/sha256-file.js';

export interface PushProvidersOptions {
  /** The import destination DIR, absolute. */
  dest: string;
  /** REGISTRY/PREFIX, e.g. registry.corp.example:5000/tofu-providers. */
  target: string;
  /** Made for the target's registry. */
  client: OciRegistryClient;
  reporter: Reporter;
  /** Provider addresses HOST/NAMESPACE/TYPE to push; default every provider in DIR/providers. */
  only?: readonly string[];
  /** The push went over plain HTTP (--registry-insecure): tofu cannot follow (see `warnings`). */
  insecure?: boolean;
  /** --ca-cert files the push trusted: tofu has no such setting (see `warnings`). */
  caCertFiles?: readonly string[];
}

export interface PushedVersion {
  /** HOST/NAMESPACE/TYPE, host in display form. */
  address: string;
  version: string;
  /** Repository within the registry: PREFIX/HOST/NS/TYPE (HOST in ASCII, ":PORT" as "_PORT"). */
  repository: string;
  tag: string;
  /** The index's digest, which the tag names. */
  digest: string;
  platforms: string[];
  /** "unchanged": the tag named this very index already; nothing was sent. */
  action: 'pushed' | 'unchanged';
  /** Blobs (zips and the empty config) sent, found in the registry already, or mounted. */
  blobs: { uploaded: number; existing: number; mounted: number };
}

/** One oci_mirror block of DIR/tofurc.oci: the providers of one host. */
export interface PushedMirror {
  /** The providers' registry host, display form, as in their addresses. */
  hostname: string;
  /** REGISTRY/PREFIX/HOST/${namespace}/${type} */
  repositoryTemplate: string;
  /** The pushed providers of that host, HOST/NAMESPACE/TYPE, sorted. */
  include: string[];
}

export interface PushResult {
  registry: string;
  prefix: string;
  /** Sorted by hostname. */
  mirrors: PushedMirror[];
  versions: PushedVersion[];
  /** Absolute path of DIR/tofurc.oci. */
  tofurc: string;
  /** What the hosts running tofu need that this push did not show (plain HTTP, a private CA); also in tofurc.oci. */
  warnings: string[];
}

interface LocalVersion {
  address: string;
  hostname: string;
  namespace: string;
  type: string;
  version: string;
  zips: (ProviderZip & { file: string })[];
}

export async function pushProviders(options: PushProvidersOptions): Promise<PushResult> {
  const { client, reporter, dest } = options;
  const target = parseOciTarget(options.target);
  const local = await selectVersions(await readMirror(path.join(dest, IMPORT.providersDir)), options.only);
  if (local.length === 0) {
    throw new AirgapError(
      'INPUT_NOT_FOUND',
      `${path.join(dest, IMPORT.providersDir)} holds no provider to push`,
      {
        path: path.join(dest, IMPORT.providersDir),
        expected: 'at least one provider version',
        actual: 'none',
      },
    );
  }
  checkRepositoryCollisions(local, target.prefix);
  const mirrors = mirrorBlocks(local, target);
  const warnings = tofuRegistryAccessNotes({
    registry: target.registry,
    insecure: options.insecure ?? false,
    caCert: (options.caCertFiles ?? []).length > 0,
  });

  const versions: PushedVersion[] = [];
  const configPushed = new Set<string>();
  for (const v of local) {
    const repository = providerRepository(target.prefix, v);
    const tag = providerVersionTag(v.version);
    const artifact = buildProviderArtifact({ zips: v.zips });
    const ref = `${target.registry}/${repository}:${tag}`;
    const base = {
      address: v.address,
      version: v.version,
      repository,
      tag,
      digest: artifact.index.digest,
      platforms: artifact.manifests.map((m) => m.platform),
    };

    const existing = await client.getManifest(repository, tag);
    if (existing?.digest === artifact.index.digest) {
      reporter.info(`${ref} is up to date (${artifact.index.digest.slice(0, 19)})`);
      versions.push({ ...base, action: 'unchanged', blobs: { uploaded: 0, existing: 0, mounted: 0 } });
      continue;
    }

    const blobs = { uploaded: 0, existing: 0, mounted: 0 };
    const count = (r: 'exists' | 'mounted' | 'uploaded'): void => {
      if (r === 'exists') blobs.existing += 1;
      else if (r === 'mounted') blobs.mounted += 1;
      else blobs.uploaded += 1;
    };
    if (!configPushed.has(repository)) {
      count(
        await client.pushBlob(repository, {
          digest: EMPTY_CONFIG.digest,
          size: EMPTY_CONFIG.size,
          bytes: EMPTY_CONFIG.bytes,
        }),
      );
      configPushed.add(repository);
    }
    for (const m of artifact.manifests) {
      const file = v.zips.find((z) => z.platform === m.platform)?.file;
      const r = await client.pushBlob(repository, {
        digest: m.zipDigest,
        size: m.zip.size,
        ...(file === undefined ? {} : { path: file }),
      });
      count(r);
    }
    for (const m of artifact.manifests) {
      await putManifest(client, repository, m.digest, m, ref);
    }
    await putManifest(client, repository, artifact.index.digest, artifact.index, ref);
    // Everything the index names is in the registry now: only this PUT makes the version visible.
    await putManifest(client, repository, tag, artifact.index, ref);
    reporter.info(
      `pushed ${ref} (${artifact.manifests.length} platform(s); ${blobs.uploaded} blob(s) uploaded, ${blobs.existing + blobs.mounted} already there)`,
    );
    versions.push({ ...base, action: 'pushed', blobs });
  }

  const tofurc = path.join(dest, IMPORT.ociTofurc);
  await writeFileAtomic(tofurc, renderOciTofurc({ mirrors, notes: warnings }));
  return { registry: target.registry, prefix: target.prefix, mirrors, versions, tofurc, warnings };
}

/**
 * One oci_mirror block per provider host, its template naming the host: tofu refuses a
 * template without ${hostname} whose include names several hosts, and a bundle made
 * from tofu and terraform lock files has two (registry.opentofu.org, registry.terraform.io).
 */
function mirrorBlocks(local: readonly LocalVersion[], target: OciTarget): PushedMirror[] {
  const byHost = new Map<string, Set<string>>();
  for (const v of local) {
    const include = byHost.get(v.hostname) ?? new Set<string>();
    include.add(v.address);
    byHost.set(v.hostname, include);
  }
  return [...byHost.keys()].sort(compareStrings).map((hostname) => ({
    hostname,
    repositoryTemplate: repositoryTemplate(target, hostname),
    include: [...byHost.get(hostname)!].sort(compareStrings),
  }));
}

async function putManifest(
  client: OciRegistryClient,
  repository: string,
  reference: string,
  manifest: { mediaType: string; bytes: Uint8Array; digest: string },
  ref: string,
): Promise<void> {
  const digest = await client.pushManifest(repository, reference, {
    mediaType: manifest.mediaType,
    bytes: manifest.bytes,
  });
  if (digest !== manifest.digest) {
    throw new AirgapError(
      'REGISTRY_PROTOCOL',
      `${ref}: the registry stored the manifest pushed as ${reference} under digest ${digest}, not ${manifest.digest}`,
      { address: ref, expected: manifest.digest, actual: digest },
    );
  }
}

/** Every provider version in a tofu-layout mirror (HOST/NS/TYPE/index.json + VERSION.json), sorted. */
async function readMirror(root: string): Promise<LocalVersion[]> {
  const out: LocalVersion[] = [];
  for (const host of await dirs(root, true)) {
    for (const namespace of await dirs(path.join(root, host))) {
      for (const type of await dirs(path.join(root, host, namespace))) {
        const dir = path.join(root, host, namespace, type);
        const indexPath = path.join(dir, MIRROR.index);
        const indexText = await readText(indexPath, true);
        if (indexText === undefined) continue;
        const address = `${host}/${namespace}/${type}`;
        const versions = parseIndexJson(indexText, indexPath).sort(compareStrings);
        for (const version of versions) {
          if (/[/\\]/.test(version) || version.startsWith('.')) {
            throw new AirgapError(
              'FS_ERROR',
              `${indexPath}: version ${JSON.stringify(version)} is not a version`,
              {
                path: indexPath,
                provider: address,
                actual: version,
              },
            );
          }
          const versionPath = path.join(dir, `${version}.json`);
          const archives = parseVersionJson((await readText(versionPath, false))!, versionPath);
          const zips = [];
          for (const platform of Object.keys(archives).sort(compareStrings)) {
            const a = archives[platform]!;
            zips.push(await localZip(dir, versionPath, address, version, platform, a.url, a.hashes));
          }
          if (zips.length > 0) out.push({ address, hostname: host, namespace, type, version, zips });
        }
      }
    }
  }
  return out;
}

async function localZip(
  dir: string,
  versionPath: string,
  address: string,
  version: string,
  platform: string,
  url: string,
  hashes: string[],
): Promise<ProviderZip & { file: string }> {
  // The mirror we wrote names zips beside VERSION.json; anything else is not ours to read.
  if (url === '' || url.includes('/') || url.includes('\\') || url === '.' || url === '..') {
    throw new AirgapError(
      'FS_ERROR',
      `${versionPath}: archives.${platform}.url ${JSON.stringify(url)} is not a file name beside it`,
      {
        path: versionPath,
        provider: address,
        version,
        platform,
        expected: 'a zip file name',
        actual: url,
      },
    );
  }
  const file = path.join(dir, url);
  let size: number;
  try {
    const st = await fs.stat(file);
    if (!st.isFile()) throw new Error('not a regular file');
    size = st.size;
  } catch (e) {
    throw new AirgapError(
      'FS_ERROR',
      `${file} (${address} ${version} ${platform}, listed in ${versionPath}) cannot be read: ${(e as Error).message}`,
      {
        path: file,
        provider: address,
        version,
        platform,
        cause: e,
      },
    );
  }
  const zh = hashes.filter((h) => h.startsWith('zh:')).map((h) => h.slice(3));
  let sha256 = zh.length === 1 ? zh[0]! : undefined;
  if (sha256 === undefined) {
    const hashed = await sha256File(file);
    if (zh.length > 1 && !zh.includes(hashed.sha256)) {
      throw new AirgapError(
        'CHECKSUM_MISMATCH',
        `${file}: sha256 ${hashed.sha256} is none of the zh: hashes ${versionPath} lists`,
        {
          path: file,
          provider: address,
          version,
          platform,
          expected: zh.join(', '),
          actual: hashed.sha256,
        },
      );
    }
    sha256 = hashed.sha256;
  }
  return { platform, filename: url, sha256, size, file };
}

function selectVersions(all: LocalVersion[], only: readonly string[] | undefined): LocalVersion[] {
  if (only === undefined) return all;
  const wanted = new Set(only.map(normalizeProviderPattern));
  const have = new Set(all.map((v) => normalizeProviderPattern(v.address)));
  for (const w of wanted) {
    if (!have.has(w)) {
      throw new AirgapError('PROVIDER_NOT_FOUND', `provider ${w} is not in the import destination's mirror`, {
        provider: w,
        expected: [...have].sort(compareStrings).join(', ') || 'none',
        actual: w,
      });
    }
  }
  return all.filter((v) => wanted.has(normalizeProviderPattern(v.address)));
}

/**
 * Two providers in one repository would overwrite each other's tags. PREFIX/HOST/NS/TYPE
 * keeps distinct providers apart; what is left is one host under two directory names
 * (e.g. r.example and r.example:443, which tofu reads as the same host). Checked for
 * every version before any request.
 */
function checkRepositoryCollisions(local: LocalVersion[], prefix: string): void {
  const byRepo = new Map<string, string>();
  for (const v of local) {
    const repo = providerRepository(prefix, v);
    const other = byRepo.get(repo);
    if (other !== undefined && other !== v.address) {
      throw new AirgapError(
        'USAGE',
        `providers/${other} and providers/${v.address} would both be pushed to repository ${repo}: they name the same provider; keep one of the two directories`,
        {
          provider: v.address,
          expected: `one provider per repository ${repo}`,
          actual: `${other}, ${v.address}`,
        },
        'remove or merge the duplicate directory under DIR/providers, then push again',
      );
    }
    byRepo.set(repo, v.address);
  }
}

async function dirs(p: string, mustExist = false): Promise<string[]> {
  try {
    const entries = await fs.readdir(p, { withFileTypes: true });
    // DIR/providers itself is a symlink into the live generation; below it, real directories only.
    return entries
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort(compareStrings);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !mustExist) return [];
    if (code === 'ENOENT') {
      throw new AirgapError(
        'INPUT_NOT_FOUND',
        `${p} does not exist: import a bundle into this directory first`,
        {
          path: p,
          cause: e,
        },
      );
    }
    throw new AirgapError('FS_ERROR', `cannot read ${p}: ${(e as Error).message}`, { path: p, cause: e });
  }
}

async function readText(p: string, optional: boolean): Promise<string | undefined> {
  try {
    return await fs.readFile(p, 'utf8');
  } catch (e) {
    if (optional && (e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AirgapError('FS_ERROR', `cannot read ${p}: ${(e as Error).message}`, { path: p, cause: e });
  }
}
