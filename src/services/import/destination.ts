// Reads an import destination as it stands: which generation is live, its state,
// and which stable symlinks exist. Nothing in DIR that airgap import did not make is
// trusted: every level an import writes or reads through (.airgap, .airgap/generations,
// the live generation and its state, providers/, bin/ and image/ in it, the staging
// directory) is checked with lstat and must be what import makes there, never a
// symlink to elsewhere; a stable name (STABLE_ENTRIES) must be our symlink. A DIR that
// holds anything else and has no import yet is refused unless --force. All of it is
// refused (IMPORT_DEST_INVALID) before anything is written.

import { constants as fsConstants, type Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { AirgapError } from '../../core/errors.js';
import { IMPORT, TEMP_PREFIX } from '../../core/layout/names.js';
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
  /**
   * When DIR did not exist: the topmost directory of its path that did not either (DIR
   * or a missing parent). A failed first import removes these again, where empty.
   */
  createdRoot: string | undefined;
  metaDir: string;
  generationsDir: string;
  currentLink: string;
  /** The live generation's name, or undefined before the first import. */
  live: string | undefined;
  liveDir: string | undefined;
  state: ImportState | undefined;
  /** Stable names (providers, bin, tofurc, airgap-state.json, image) whose symlink is still to be made. */
  missingLinks: string[];
  /** Entries of DIR airgap import did not make, sorted; only with --force or beside an earlier import. */
  foreign: string[];
}

export interface InspectOptions {
  /** --force: accept a DIR holding files airgap import did not make, and import beside them. */
  force: boolean;
}

/** Names in DIR that belong to airgap: the stable entries, .airgap, tofurc.oci, tofurc.network-mirror (publish) and temp names. */
export function isImportEntry(name: string): boolean {
  return (
    STABLE_ENTRIES.includes(name) ||
    name === IMPORT_META.dir ||
    name === IMPORT.ociTofurc ||
    name === IMPORT.networkMirrorTofurc ||
    name.startsWith(TEMP_PREFIX)
  );
}

export function generationDir(dest: Pick<Destination, 'generationsDir'>, name: string): string {
  return path.join(dest.generationsDir, name);
}

const NOT_OURS_REMEDY = 'import into a new or empty DIR, or move what airgap import did not make out of DIR';

/** What DIR (absolute) holds, and whether an import may use it. */
export async function inspectDestination(dir: string, options: InspectOptions): Promise<Destination> {
  const before = await lstatIfExists(dir);
  if (before !== undefined && !before.isDirectory()) {
    const actual = before.isSymbolicLink() ? 'a symbolic link' : 'a file';
    throw new AirgapError(
      'IMPORT_DEST_INVALID',
      `${dir} exists and is not a directory`,
      { path: dir, expected: 'a directory', actual },
      'pass --dest a directory: a new one, an empty one, or one an earlier airgap import made',
    );
  }
  const metaDir = path.join(dir, IMPORT_META.dir);
  const generationsDir = path.join(metaDir, IMPORT_META.generations);
  const currentLink = path.join(metaDir, IMPORT_META.current);
  const big = before === undefined ? undefined : await fs.lstat(dir, { bigint: true });
  const dest: Destination = {
    dir,
    before,
    beforeTimes: big === undefined ? undefined : { atimeNs: big.atimeNs, mtimeNs: big.mtimeNs },
    createdRoot: before === undefined ? await topmostMissing(dir) : undefined,
    metaDir,
    generationsDir,
    currentLink,
    live: undefined,
    liveDir: undefined,
    state: undefined,
    missingLinks: [],
    foreign: [],
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
        NOT_OURS_REMEDY,
      );
    }
  }
  await ownEntry(path.join(dir, IMPORT.staging), 'directory');
  await ownEntry(metaDir, 'directory');
  await ownEntry(generationsDir, 'directory');

  const cur = await lstatIfExists(currentLink);
  dest.foreign = (await readNames(dir)).filter((n) => !isImportEntry(n));
  if (cur === undefined) {
    // No import yet: DIR must be empty, or hold only what an interrupted import left.
    if (dest.foreign.length > 0 && !options.force) throw foreignDir(dir, dest.foreign);
    return dest;
  }
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
      `point ${currentLink} back at a generation (docs/IMPORT-STATE.md, "Manual rollback"), or import into a new DIR`,
    );
  }
  const liveDir = generationDir(dest, live);
  await ownEntry(liveDir, 'directory');
  for (const sub of [
    IMPORT.providersDir,
    IMPORT.binDir,
    IMPORT.imageDir,
    `${IMPORT.imageDir}/blobs`,
    IMPORT.modulesDir,
  ]) {
    await ownEntry(path.join(liveDir, sub), 'directory');
  }
  await ownEntry(path.join(liveDir, IMPORT.imageDir, 'blobs', 'sha256'), 'directory');
  const statePath = path.join(liveDir, IMPORT.state);
  await ownEntry(statePath, 'file');
  const state = parseImportState(await readNoFollow(statePath), path.join(dir, IMPORT.state));
  if (state.current.generation !== live) {
    throw new AirgapError(
      'IMPORT_DEST_INVALID',
      `${path.join(dir, IMPORT.state)} describes generation ${state.current.generation}, but ${currentLink} points at ${live}`,
      { path: statePath, expected: live, actual: state.current.generation },
      `point ${currentLink} back at generations/${state.current.generation}, or import into a new DIR`,
    );
  }
  return { ...dest, live, liveDir, state };
}

/**
 * `p` as airgap import makes it (a real directory or regular file), or undefined when
 * absent. Anything else, a symlink above all, is refused: following it would make the
 * import write or read where DIR's owner never meant it to.
 */
async function ownEntry(p: string, want: 'directory' | 'file'): Promise<Stats | undefined> {
  const st = await lstatIfExists(p);
  if (st === undefined) return undefined;
  if (want === 'directory' ? st.isDirectory() : st.isFile()) return st;
  const actual = st.isSymbolicLink()
    ? `a symlink to ${await fs.readlink(p).catch(() => '(unreadable)')}`
    : `a ${kind(st)}`;
  throw new AirgapError(
    'IMPORT_DEST_INVALID',
    `${p} is ${actual}, not the ${want} airgap import makes there; airgap import does not follow or replace what it did not make`,
    { path: p, expected: `a ${want === 'file' ? 'regular file' : 'directory'}`, actual },
    `remove ${p} (airgap import did not make it; check who did), or import into a new DIR`,
  );
}

function foreignDir(dir: string, foreign: string[]): AirgapError {
  const shown = foreign
    .slice(0, 3)
    .map((n) => JSON.stringify(n))
    .join(', ');
  const more = foreign.length > 3 ? ` and ${foreign.length - 3} more` : '';
  return new AirgapError(
    'IMPORT_DEST_INVALID',
    `${dir} holds ${shown}${more}, which airgap import did not make; it imports only into a new or empty directory, or one it made`,
    {
      path: path.join(dir, foreign[0]!),
      expected: 'an absent or empty DIR, or one made by airgap import',
      actual: `${foreign.length} other entr${foreign.length === 1 ? 'y' : 'ies'}`,
    },
    'pass --force to import beside them (airgap import never changes or removes them), or choose a new or empty DIR',
  );
}

async function readNames(dir: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir)).sort();
  } catch (e) {
    throw fsError('read the directory', dir, e);
  }
}

/** The state file, read without following a symlink swapped in after the lstat. */
async function readNoFollow(p: string): Promise<string> {
  try {
    const fh = await fs.open(p, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
    try {
      return await fh.readFile('utf8');
    } finally {
      await fh.close();
    }
  } catch (e) {
    throw fsError('read the import state', p, e);
  }
}

/** The topmost directory on `dir`'s path that does not exist (`dir` itself at least). */
async function topmostMissing(dir: string): Promise<string> {
  let top = dir;
  for (let p = path.dirname(dir); p !== path.dirname(p); p = path.dirname(p)) {
    if ((await lstatIfExists(p)) !== undefined) break;
    top = p;
  }
  return top;
}

function kind(st: Stats): string {
  if (st.isDirectory()) return 'directory';
  if (st.isFile()) return 'regular file';
  if (st.isSymbolicLink()) return 'symlink';
  return 'special file';
}
