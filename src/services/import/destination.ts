// Reads an import destination as it stands: which generation is live, its state,
// and which stable symlinks exist. Anything in the stable names (STABLE_ENTRIES) or in
// .airgap that airgap import did not make is refused before anything is written.

import fs from 'node:fs/promises';
import path from 'node:path';
import type { Stats } from 'node:fs';
import { AirgapError } from '../../core/errors.js';
import { IMPORT } from '../../core/layout/names.js';
import {
  IMPORT_META,
  STABLE_ENTRIES,
  generationFromCurrentTarget,
  stableLinkTarget,
} from '../../core/transfer/import-layout.js';
import { parseImportState, type ImportState } from '../../core/transfer/import-state.js';
import { fsError, lstatIfExists } from './fs-ops.js';

export interface Destination {
  /** Absolute. */
  dir: string;
  /** DIR's own lstat before the import, or undefined when DIR did not exist. */
  before: Stats | undefined;
  /** DIR's access and modification times in nanoseconds, for putting them back. */
  beforeTimes: { atimeNs: bigint; mtimeNs: bigint } | undefined;
  metaDir: string;
  generationsDir: string;
  currentLink: string;
  /** The live generation's name, or undefined before the first import. */
  live: string | undefined;
  liveDir: string | undefined;
  state: ImportState | undefined;
  /** Stable names (providers, bin, tofurc, airgap-state.json, image) whose symlink is still to be made. */
  missingLinks: string[];
}

export function generationDir(dest: Pick<Destination, 'generationsDir'>, name: string): string {
  return path.join(dest.generationsDir, name);
}

export async function inspectDestination(dirArg: string): Promise<Destination> {
  const dir = path.resolve(dirArg);
  const before = await lstatIfExists(dir);
  if (before !== undefined && !before.isDirectory()) {
    throw new AirgapError('IMPORT_DEST_INVALID', `${dir} exists and is not a directory`, {
      path: dir,
      expected: 'a directory',
      actual: before.isSymbolicLink() ? 'a symbolic link' : 'a file',
    });
  }
  const metaDir = path.join(dir, IMPORT_META.dir);
  const generationsDir = path.join(metaDir, IMPORT_META.generations);
  const currentLink = path.join(metaDir, IMPORT_META.current);
  const big = before === undefined ? undefined : await fs.lstat(dir, { bigint: true });
  const dest: Destination = {
    dir,
    before,
    beforeTimes: big === undefined ? undefined : { atimeNs: big.atimeNs, mtimeNs: big.mtimeNs },
    metaDir,
    generationsDir,
    currentLink,
    live: undefined,
    liveDir: undefined,
    state: undefined,
    missingLinks: [],
  };
  if (before === undefined) return { ...dest, missingLinks: [...STABLE_ENTRIES] };

  for (const name of STABLE_ENTRIES) {
    const p = path.join(dir, name);
    const st = await lstatIfExists(p);
    if (st === undefined) {
      dest.missingLinks.push(name);
      continue;
    }
    const expected = stableLinkTarget(name);
    const target = st.isSymbolicLink() ? await fs.readlink(p) : undefined;
    if (target !== expected) {
      throw new AirgapError(
        'IMPORT_DEST_INVALID',
        `${p} was not made by airgap import: it is ${target === undefined ? `a ${kind(st)}` : `a symlink to ${target}`}, ` +
          `not a symlink to ${expected}; airgap import does not overwrite what it did not write`,
        { path: p, expected: `a symlink to ${expected}`, actual: target ?? kind(st) },
      );
    }
  }

  const cur = await lstatIfExists(currentLink);
  if (cur === undefined) return dest;
  const target = cur.isSymbolicLink() ? await fs.readlink(currentLink) : undefined;
  const live = target === undefined ? undefined : generationFromCurrentTarget(target);
  if (live === undefined) {
    throw new AirgapError(
      'IMPORT_DEST_INVALID',
      `${currentLink} is ${target === undefined ? `a ${kind(cur)}` : `a symlink to ${target}`}, not a symlink to ${IMPORT_META.generations}/NNNN-DIGEST`,
      {
        path: currentLink,
        expected: `a symlink to ${IMPORT_META.generations}/NNNN-DIGEST`,
        actual: target ?? kind(cur),
      },
    );
  }
  const liveDir = generationDir(dest, live);
  const statePath = path.join(liveDir, IMPORT.state);
  let text: string;
  try {
    text = await fs.readFile(statePath, 'utf8');
  } catch (e) {
    throw fsError('read the import state', statePath, e);
  }
  const state = parseImportState(text, path.join(dir, IMPORT.state));
  if (state.current.generation !== live) {
    throw new AirgapError(
      'IMPORT_DEST_INVALID',
      `${path.join(dir, IMPORT.state)} describes generation ${state.current.generation}, but ${currentLink} points at ${live}`,
      { path: statePath, expected: live, actual: state.current.generation },
    );
  }
  return { ...dest, live, liveDir, state };
}

function kind(st: Stats): string {
  if (st.isDirectory()) return 'directory';
  if (st.isFile()) return 'regular file';
  if (st.isSymbolicLink()) return 'symlink';
  return 'special file';
}
