// Puts a staged generation live with one atomic switch, as an explicit list of
// steps (so that the crash tests can stop after any of them):
//
//   sweep       remove generations and temp symlinks a crashed import left
//   meta-dirs   create DIR/.airgap/generations when missing
//   place       rename the staged generation into .airgap/generations/NAME
//   links       create the stable symlinks DIR/providers, bin, tofurc, airgap-state.json (first
//               import), and DIR/image (first import of a bundle with a runner image)
//   switch      rename a new symlink over DIR/.airgap/current          <- the commit point
//   cleanup     remove staging, and every generation but the new and the previous one
//
// Until `switch`, every stable path still resolves into the old generation (or,
// on a first import, to nothing, as before); after it, into the new one. The
// symlinks `links` creates dangle until `switch` and so change nothing visible.

import fs from 'node:fs/promises';
import path from 'node:path';
import { IMPORT, TEMP_PREFIX } from '../../core/layout/names.js';
import {
  currentLinkTarget,
  isGenerationName,
  OPTIONAL_STABLE_ENTRIES,
  stableLinkTarget,
} from '../../core/transfer/import-layout.js';
import { generationDir, type Destination } from './destination.js';
import { fsError, fsyncPath, lstatIfExists, swapSymlink } from './fs-ops.js';
import type { ImportStaging } from './staging.js';

export type CommitStepName = 'sweep' | 'meta-dirs' | 'place' | 'links' | 'switch' | 'cleanup';

export interface CommitStep {
  name: CommitStepName;
  run(): Promise<void>;
}

export interface CommitPlan {
  steps: CommitStep[];
  /** Whether `switch` has completed: from then on the import has happened and is not rolled back. */
  switched(): boolean;
  /** Undoes the steps run so far; only meaningful before `switch`. */
  rollback(): Promise<void>;
}

export function planCommit(dest: Destination, staging: ImportStaging, generation: string): CommitPlan {
  const target = generationDir(dest, generation);
  const created: string[] = [];
  let placed = false;
  let switched = false;
  const liveKeep = new Set([dest.live, dest.state?.previousGeneration].filter((g): g is string => !!g));
  // DIR/image and DIR/modules only once a generation has them (see OPTIONAL_STABLE_ENTRIES).
  const links = dest.missingLinks.filter(
    (name) =>
      !OPTIONAL_STABLE_ENTRIES.includes(name) ||
      (name === IMPORT.imageDir && staging.imageFiles.length > 0) ||
      (name === IMPORT.modulesDir && staging.moduleFiles.length > 0),
  );

  const steps: CommitStep[] = [
    { name: 'sweep', run: () => sweepLeftovers(dest, liveKeep) },
    {
      name: 'meta-dirs',
      run: async () => {
        for (const d of [dest.metaDir, dest.generationsDir]) {
          const st = await lstatIfExists(d);
          // inspectDestination refused anything else; this keeps a bug from writing through a link.
          if (st?.isDirectory() === true) continue;
          await fs.mkdir(d).catch((e: unknown) => {
            throw fsError('create', d, e);
          });
          created.push(d);
        }
      },
    },
    {
      name: 'place',
      run: async () => {
        await fs.rename(staging.generationRoot, target).catch((e: unknown) => {
          throw fsError('move the staged generation to', target, e);
        });
        placed = true;
        await fsyncPath(dest.generationsDir);
      },
    },
    {
      name: 'links',
      run: async () => {
        for (const name of links) {
          const link = path.join(dest.dir, name);
          await swapSymlink(stableLinkTarget(name), link);
          created.push(link);
        }
        if (links.length > 0) await fsyncPath(dest.dir);
      },
    },
    {
      name: 'switch',
      run: async () => {
        await swapSymlink(currentLinkTarget(generation), dest.currentLink);
        switched = true;
        // The switch is done once rename(2) returns; the flush only makes it durable sooner.
        await fsyncPath(dest.metaDir).catch(() => undefined);
      },
    },
    {
      name: 'cleanup',
      run: async () => {
        await staging.remove();
        const keep = new Set([generation, ...(dest.live === undefined ? [] : [dest.live])]);
        await sweepLeftovers(dest, keep);
      },
    },
  ];

  return {
    steps,
    switched: () => switched,
    async rollback() {
      if (switched) return;
      if (placed) await fs.rm(target, { recursive: true, force: true });
      for (const p of created.reverse()) await fs.rm(p, { recursive: true, force: true });
    },
  };
}

/**
 * Removes what an interrupted import leaves in DIR/.airgap: generations other than
 * `keep` (built or placed but never switched to, or no longer the previous one) and
 * temp symlinks. Touches nothing when there is nothing to remove.
 */
export async function sweepLeftovers(dest: Destination, keep: ReadonlySet<string>): Promise<void> {
  for (const name of await readdirIfExists(dest.generationsDir)) {
    if (keep.has(name)) continue;
    if (!isGenerationName(name) && !name.startsWith(TEMP_PREFIX)) continue;
    await fs.rm(path.join(dest.generationsDir, name), { recursive: true, force: true });
  }
  for (const dir of [dest.metaDir, dest.dir]) {
    for (const name of await readdirIfExists(dir)) {
      if (!name.startsWith(TEMP_PREFIX)) continue;
      // DIR's staging and lock belong to the running import: it removes them itself.
      if (dir === dest.dir && (name === IMPORT.staging || name === IMPORT.lock)) continue;
      await fs.rm(path.join(dir, name), { recursive: true, force: true });
    }
  }
}

async function readdirIfExists(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw fsError('read the directory', dir, e);
  }
}
