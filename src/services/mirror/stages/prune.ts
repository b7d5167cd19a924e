// Stage: the bundle directory becomes exactly what the request asks for. Whatever an
// earlier run left in providers/, tofu/, terraform/ or config/ that this run did not
// produce is deleted, and said so line by line (core/mirror/prune.ts decides).

import fs from 'node:fs/promises';
import path from 'node:path';
import {
  BUNDLE,
  TEMP_PREFIX,
  providerDir,
  providerIndexPath,
  providerVersionJsonPath,
} from '../../../core/layout/names.js';
import { planPrune, PRUNED_AREAS } from '../../../core/mirror/prune.js';
import type { ManifestBinary, ManifestConfig, ManifestModule } from '../../../core/bundle/manifest.js';
import type { Reporter } from '../../../core/ports.js';
import type { JobOutcome } from '../provider-packages.js';

export async function pruneBundle(
  outDir: string,
  kept: {
    outcomes: readonly JobOutcome[];
    binaries: readonly ManifestBinary[];
    configs: readonly ManifestConfig[];
    modules: readonly ManifestModule[];
  },
  reporter: Reporter,
): Promise<string[]> {
  const keep = new Set<string>();
  for (const o of kept.outcomes) {
    if (o.pkg === undefined) continue;
    const dir = `${BUNDLE.providersDir}/${providerDir(o.job.address)}`;
    keep.add(`${dir}/${o.pkg.filename}`);
    keep.add(`${BUNDLE.providersDir}/${providerVersionJsonPath(o.job.address, o.job.version)}`);
    keep.add(`${BUNDLE.providersDir}/${providerIndexPath(o.job.address)}`);
  }
  for (const b of kept.binaries) {
    for (const f of [...b.platforms, b.sums, b.signature]) keep.add(f.path);
  }
  for (const c of kept.configs) keep.add(c.path);
  for (const m of kept.modules) keep.add(m.path);

  const found: string[] = [];
  for (const area of PRUNED_AREAS) found.push(...(await listFiles(outDir, area)));
  const plan = planPrune(found, keep);
  for (const rel of plan.remove) await fs.rm(path.join(outDir, ...rel.split('/')), { force: true });
  for (const area of PRUNED_AREAS)
    await removeEmptyDirs(path.join(outDir, area), area === BUNDLE.providersDir);
  for (const line of plan.lines) reporter.info(line);
  return plan.lines;
}

/** Bundle-relative paths of the regular files (and links) under `area`; temp files are not listed. */
async function listFiles(outDir: string, area: string): Promise<string[]> {
  const root = path.join(outDir, area);
  let entries: string[];
  try {
    entries = await fs.readdir(root, { recursive: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: string[] = [];
  for (const rel of entries) {
    if (rel.split(path.sep).some((s) => s.startsWith(TEMP_PREFIX))) continue;
    const st = await fs.lstat(path.join(root, rel));
    if (!st.isDirectory()) out.push(`${area}/${rel.split(path.sep).join('/')}`);
  }
  return out;
}

/** Deletes directories left empty below `dir` (and `dir` itself unless it must stay). */
async function removeEmptyDirs(dir: string, keepRoot: boolean): Promise<void> {
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  for (const e of entries) {
    if (e.isDirectory() && !e.name.startsWith(TEMP_PREFIX))
      await removeEmptyDirs(path.join(dir, e.name), false);
  }
  if (!keepRoot && (await fs.readdir(dir)).length === 0) await fs.rmdir(dir);
}

/** Without --image: an image/ an earlier run left would be an unlisted part of the bundle. */
export async function removeStaleImage(outDir: string, reporter: Reporter): Promise<void> {
  const dir = path.join(outDir, BUNDLE.imageDir);
  const exists = await fs.stat(dir).then(
    () => true,
    () => false,
  );
  if (!exists) return;
  await fs.rm(dir, { recursive: true, force: true });
  reporter.warn(
    `removed ${dir}, the runner image an earlier run built: this run has no --image, and a stale image would not match the providers`,
  );
}
