// Whether an import destination holds the base a delta bundle expects (issue 14 §2),
// checked by sha256 against the live generation's files (hashed here, names not
// trusted) before anything is placed. Used by `airgap import` (which then links the
// matched files into the generation it builds) and, read-only, by
// `airgap verify DELTA --against DIR`.

import path from 'node:path';
import fs from 'node:fs/promises';
import { sha256File } from '../../adapters/fs/sha256-file.js';
import { deltaNeeds, type DeltaNeeds } from '../../core/bundle/delta.js';
import type { BundleManifest, FileRef } from '../../core/bundle/manifest.js';
import { compareStrings } from '../../core/compare.js';
import { IMPORT } from '../../core/layout/names.js';
import { chooseHostBinaries } from '../../core/transfer/import-platform.js';
import type { ImportState } from '../../core/transfer/import-state.js';
import { fsError, walkFiles } from './fs-ops.js';

/** The host binary a delta leaves to its base, as the live generation holds it. */
export interface BaseBinary {
  tool: 'tofu' | 'terraform';
  version: string;
  /** DIR-relative ("bin/tofu"). */
  path: string;
  sha256: string;
  zipSha256: string;
}

export interface DeltaBaseMatch {
  needs: DeltaNeeds;
  /** Bundle path -> absolute path of a live generation file with the same size and sha256. */
  placed: Map<string, string>;
  /** Host release zip path -> the live executable unpacked from that very zip. */
  binaries: Map<string, BaseBinary>;
  /** What the destination lacks, sorted by path ([] when it holds the whole base). */
  missing: FileRef[];
}

export interface LiveGeneration {
  /** Absolute path of the live generation, or undefined when DIR has none. */
  liveDir: string | undefined;
  state: ImportState | undefined;
}

/**
 * Matches every file the delta expects from its base against the live generation. Files of
 * the sizes needed are hashed (the others cannot match); a file is found wherever it sits.
 */
export async function matchDeltaBase(
  live: LiveGeneration,
  manifest: BundleManifest,
  hostPlatform: string | undefined,
): Promise<DeltaBaseMatch> {
  // No live generation (hostPlatform unknown): every placed file is missing already.
  const zips = new Set(
    hostPlatform === undefined
      ? []
      : chooseHostBinaries(manifest, hostPlatform).install.map((b) => b.zipPath),
  );
  const needs = deltaNeeds(manifest, zips);
  const placed = new Map<string, string>();
  const binaries = new Map<string, BaseBinary>();
  const missing: FileRef[] = [];
  const index = live.liveDir === undefined ? new Map() : await hashLive(live.liveDir, needs.placed);
  for (const f of needs.placed) {
    const found = index.get(`${f.size}:${f.sha256}`);
    if (found === undefined) missing.push(f);
    else placed.set(f.path, found);
  }
  for (const f of needs.hostZips) {
    const bin = live.liveDir === undefined ? undefined : await liveBinary(live, f);
    if (bin === undefined) missing.push(f);
    else binaries.set(f.path, bin);
  }
  missing.sort((a, b) => compareStrings(a.path, b.path));
  return { needs, placed, binaries, missing };
}

/** "size:sha256" -> absolute path, for the live files under providers/, modules/ and image/ of a needed size. */
async function hashLive(liveDir: string, wanted: readonly FileRef[]): Promise<Map<string, string>> {
  const sizes = new Set(wanted.map((f) => f.size));
  const index = new Map<string, string>();
  if (sizes.size === 0) return index;
  for (const dir of [IMPORT.providersDir, IMPORT.modulesDir, IMPORT.imageDir]) {
    for (const rel of await walkFiles(path.join(liveDir, dir))) {
      const file = path.join(liveDir, dir, ...rel.split('/'));
      const st = await fs.lstat(file).catch((e: unknown) => {
        throw fsError('inspect', file, e);
      });
      if (!sizes.has(st.size)) continue;
      const { sha256, size } = await sha256File(file).catch((e: unknown) => {
        throw fsError('read', file, e);
      });
      const key = `${size}:${sha256}`;
      if (!index.has(key)) index.set(key, file);
    }
  }
  return index;
}

/**
 * The live bin/ executable recorded as unpacked from the zip `zip` names by sha256, when it
 * still hashes to what was recorded: the zip itself is not kept, so this is the only proof.
 */
async function liveBinary(live: LiveGeneration, zip: FileRef): Promise<BaseBinary | undefined> {
  const rec = live.state?.current.contents.binaries.find(
    (b) => b.zipSha256 === zip.sha256 && b.installed !== null && b.sha256 !== undefined,
  );
  if (rec?.installed == null || rec.sha256 === undefined || rec.zipSha256 === undefined) return undefined;
  const file = path.join(live.liveDir!, ...rec.installed.split('/'));
  const st = await fs.lstat(file).catch(() => undefined);
  if (st === undefined || !st.isFile()) return undefined;
  const { sha256 } = await sha256File(file).catch((e: unknown) => {
    throw fsError('read', file, e);
  });
  if (sha256 !== rec.sha256) return undefined;
  return { tool: rec.tool, version: rec.version, path: rec.installed, sha256, zipSha256: rec.zipSha256 };
}
