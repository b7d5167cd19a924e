// Writes the parts of a bundle directory that describe it: copies of the input
// lock files under lockfiles/, and airgap.json listing every file with its
// size and sha256 (docs/BUNDLE-FORMAT.md).

import fs from 'node:fs/promises';
import path from 'node:path';
import { readFileIfExists, writeFileAtomic } from '../../adapters/fs/atomic.js';
import { sha256File } from '../../adapters/fs/sha256-file.js';
import {
  buildManifest,
  parseManifest,
  renderManifest,
  type BundleManifest,
  type FileRef,
  type ManifestInput,
  type ManifestLockfile,
  type ManifestProvider,
} from '../../core/bundle/manifest.js';
import { compareStrings } from '../../core/compare.js';
import { AirgapError } from '../../core/errors.js';
import { BUNDLE, MIRROR, TEMP_PREFIX } from '../../core/layout/names.js';
import { parseVersionJson } from '../../core/mirror/network-mirror-json.js';

export interface LockfileCopy {
  /** As given on the command line. */
  source: string;
  /** Bundle-relative name, "lockfiles/..." (src/core/bundle/lockfile-names.ts). */
  name: string;
  text: string;
  complete: boolean;
}

/** Replaces DIR/lockfiles/ with this run's lock files (built aside, then swapped in). */
export async function writeLockfileCopies(
  outDir: string,
  copies: LockfileCopy[],
): Promise<ManifestLockfile[]> {
  const final = path.join(outDir, BUNDLE.lockfilesDir);
  const staging = path.join(outDir, `${TEMP_PREFIX}${BUNDLE.lockfilesDir}`);
  const old = path.join(outDir, `${TEMP_PREFIX}${BUNDLE.lockfilesDir}-old`);
  await fs.rm(staging, { recursive: true, force: true });
  await fs.rm(old, { recursive: true, force: true });
  const entries: ManifestLockfile[] = [];
  for (const c of copies) {
    const rel = c.name;
    const target = path.join(staging, ...rel.split('/').slice(1));
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.writeFile(target, c.text);
    const { sha256, size } = await sha256File(target);
    entries.push({ path: rel, size, sha256, source: c.source, complete: c.complete });
  }
  await fs.mkdir(staging, { recursive: true });
  const hadOld = await fs
    .rename(final, old)
    .then(() => true)
    .catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return false;
      throw new AirgapError('FS_ERROR', `cannot replace ${final}: ${e.message}`, { path: final, cause: e });
    });
  await fs.rename(staging, final);
  if (hadOld) await fs.rm(old, { recursive: true, force: true });
  return entries;
}

/** A package this run verified: its digest is known without reading the zip again. */
export interface KnownPackage {
  /** Bundle-relative path. */
  path: string;
  sha256: string;
  size: number;
  local: boolean;
}

/**
 * Every package in DIR/providers, from the VERSION.json files (which only ever
 * list verified packages). Packages this run did not touch are hashed again, so
 * the manifest never repeats a stale value.
 */
export async function scanProviders(
  outDir: string,
  known: ReadonlyMap<string, KnownPackage>,
  previous: BundleManifest | undefined,
): Promise<{ providers: ManifestProvider[]; mirrorIndexes: FileRef[] }> {
  const root = path.join(outDir, BUNDLE.providersDir);
  const mirrorIndexes: FileRef[] = [];
  const indexRef = async (file: string): Promise<void> => {
    const rel = path.relative(outDir, file).split(path.sep).join('/');
    const { size, sha256 } = await sha256File(file);
    mirrorIndexes.push({ path: rel, size, sha256 });
  };
  const wasLocal = new Set(
    (previous?.providers ?? []).flatMap((p) =>
      p.packages.filter((k) => k.source === 'local').map((k) => `${k.path}\0${k.sha256}`),
    ),
  );
  const providers: ManifestProvider[] = [];
  for (const dir of await providerDirs(root)) {
    const rel = path.relative(root, dir).split(path.sep).join('/');
    const names = (await fs.readdir(dir))
      .filter((n) => n.endsWith('.json') && n !== MIRROR.index)
      .sort(compareStrings);
    await indexRef(path.join(dir, MIRROR.index));
    for (const name of names) {
      const version = name.slice(0, -'.json'.length);
      const file = path.join(dir, name);
      const archives = parseVersionJson(await fs.readFile(file, 'utf8'), file);
      await indexRef(file);
      const packages = [];
      for (const [platform, a] of Object.entries(archives)) {
        const pathInBundle = `${BUNDLE.providersDir}/${rel}/${a.url}`;
        const k = known.get(pathInBundle);
        const digest = k ?? { ...(await sha256File(path.join(dir, a.url))), local: false };
        const local = k?.local ?? wasLocal.has(`${pathInBundle}\0${digest.sha256}`);
        packages.push({
          path: pathInBundle,
          size: digest.size,
          sha256: digest.sha256,
          platform,
          hashes: a.hashes,
          source: local ? ('local' as const) : ('registry' as const),
        });
      }
      providers.push({ address: rel, version, packages });
    }
  }
  return { providers, mirrorIndexes };
}

async function providerDirs(root: string): Promise<string[]> {
  const out: string[] = [];
  const level = async (dir: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for (const e of entries) {
      if (!e.isDirectory() || e.name.startsWith(TEMP_PREFIX)) continue;
      const p = path.join(dir, e.name);
      if (depth === 2) out.push(p);
      else await level(p, depth + 1);
    }
  };
  await level(root, 0);
  return out.sort(compareStrings);
}

export async function readPreviousManifest(outDir: string): Promise<BundleManifest | undefined> {
  const file = path.join(outDir, BUNDLE.manifest);
  const text = await readFileIfExists(file);
  if (text === undefined) return undefined;
  try {
    return parseManifest(text, file);
  } catch {
    // An older or damaged manifest is simply rewritten; it is only a hint here.
    return undefined;
  }
}

export async function writeManifest(outDir: string, parts: ManifestInput): Promise<BundleManifest> {
  const manifest = buildManifest(parts);
  await writeFileAtomic(path.join(outDir, BUNDLE.manifest), renderManifest(manifest));
  return manifest;
}
