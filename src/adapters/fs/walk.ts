// The one directory walker: every tree airgap walks (lock file search, lock file globs,
// the h1 of an unpacked provider, bundle listings) goes through here, so the symlink
// policy is one of two named choices, not a new readdir loop each time.
//
//   'report'         lstat only: a symlink is an entry of kind 'symlink', never followed.
//                    A bundle listing must see links to refuse them, and Go's
//                    filepath.Walk (behind tofu's h1 of a directory) does not follow them.
//   'follow-inside'  a symlink whose target (realpath) lies inside the walk's root is
//                    reported as what it points at, and a directory behind it is walked.
//                    Each real directory is walked once, so link loops end. A link that
//                    leaves the root or dangles is reported as kind 'symlink', unfollowed.
//
// Order: a directory's entries in bytewise order of their raw names, each directory's
// contents right after it (depth first, pre-order), as Go's WalkDir and tar list them.
// Names are kept as raw bytes too, so a name that is not UTF-8 can still be opened.

import type { Dirent, Stats } from 'node:fs';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { AirgapError } from '../../core/errors.js';

export type SymlinkPolicy = 'report' | 'follow-inside';

/** What an entry is (after following, for a followed link), named as tar and lstat name them. */
export type WalkKind =
  'file' | 'directory' | 'symlink' | 'fifo' | 'character-device' | 'block-device' | 'socket' | 'unknown';

export interface WalkEntry {
  /** The entry's own name (UTF-8 decoded; see nameBytes). */
  name: string;
  /** Raw bytes of the name. */
  nameBytes: Buffer;
  /** Root-relative, "/"-separated (UTF-8 decoded). */
  rel: string;
  /** Raw bytes of rel. */
  relBytes: Buffer;
  /** For messages: the root as given (or `label`) joined with rel. */
  path: string;
  /** Where to read it: below the root, or a followed link's real target. Every fs call takes a Buffer path. */
  abs: Buffer;
  kind: WalkKind;
  /** A symlink the policy followed: kind, abs and stats describe its target. */
  followed: boolean;
  /** With `stats: true`: lstat, or the target's stat for a followed link. */
  stats?: Stats;
}

export interface WalkOptions {
  symlinks: SymlinkPolicy;
  /**
   * Whether to walk into a directory entry (it is reported either way). Absent: every
   * directory. The skip list of a search lives here.
   */
  descend?: (dir: WalkEntry) => boolean | Promise<boolean>;
  /** Fill `stats` on every entry (one lstat each). */
  stats?: boolean;
  /** How the root is shown in `path` and in errors; default the root as given. */
  label?: string;
}

const SLASH = Buffer.from('/');

/**
 * Every entry below `root` (the root itself is not reported). The caller checks that the
 * root is a directory, with its own message; a directory that cannot be listed is
 * FS_ERROR naming it.
 */
export async function* walkTree(root: string | Buffer, options: WalkOptions): AsyncGenerator<WalkEntry> {
  const label = options.label ?? root.toString();
  const rootBytes = typeof root === 'string' ? Buffer.from(root) : root;
  const follow = options.symlinks === 'follow-inside';
  const realRoot = follow
    ? await fsCall('list', label, () => realpath(rootBytes, { encoding: 'buffer' }))
    : rootBytes;
  const seen = new Set<string>();

  async function* walkDir(dirAbs: Buffer, dirRel: Buffer): AsyncGenerator<WalkEntry> {
    if (follow) {
      const key = dirAbs.toString('latin1');
      if (seen.has(key)) return;
      seen.add(key);
    }
    const shownDir = dirRel.length === 0 ? label : path.join(label, dirRel.toString());
    const dirents = await fsCall('list', shownDir, () =>
      readdir(dirAbs, { withFileTypes: true, encoding: 'buffer' }),
    );
    dirents.sort((a, b) => Buffer.compare(a.name, b.name));
    for (const d of dirents) {
      const relBytes = dirRel.length === 0 ? d.name : Buffer.concat([dirRel, SLASH, d.name]);
      const rel = relBytes.toString();
      const entry: WalkEntry = {
        name: d.name.toString(),
        nameBytes: d.name,
        rel,
        relBytes,
        path: path.join(label, rel),
        abs: Buffer.concat([dirAbs, SLASH, d.name]),
        kind: direntKind(d),
        followed: false,
      };
      if (entry.kind === 'symlink' && follow) await followInside(entry, realRoot);
      if (options.stats === true && entry.stats === undefined) entry.stats = await lstatOf(entry);
      if (entry.kind === 'unknown') entry.kind = statsKind(entry.stats ?? (await lstatOf(entry)));
      yield entry;
      if (entry.kind === 'directory' && (await (options.descend?.(entry) ?? true)))
        yield* walkDir(entry.abs, relBytes);
    }
  }

  yield* walkDir(realRoot, Buffer.alloc(0));
}

/** Follows `entry` (a symlink) when its target is inside `realRoot`; else leaves it a 'symlink'. */
async function followInside(entry: WalkEntry, realRoot: Buffer): Promise<void> {
  let target: Buffer;
  let info: Stats;
  try {
    target = await realpath(entry.abs, { encoding: 'buffer' });
    if (!isInside(target, realRoot)) return;
    info = await stat(target);
  } catch {
    return; // dangling, or a loop of links: reported as the link it is
  }
  entry.abs = target;
  entry.kind = statsKind(info);
  entry.followed = true;
  entry.stats = info;
}

function isInside(child: Buffer, parent: Buffer): boolean {
  const rel = path.relative(parent.toString('latin1'), child.toString('latin1'));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

async function lstatOf(entry: WalkEntry): Promise<Stats> {
  return fsCall('read', entry.path, () => lstat(entry.abs));
}

async function fsCall<T>(verb: 'list' | 'read', shown: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw new AirgapError('FS_ERROR', `cannot ${verb} ${shown}: ${(e as Error).message}`, {
      path: shown,
      cause: e,
    });
  }
}

function direntKind(d: Dirent<Buffer>): WalkKind {
  if (d.isFile()) return 'file';
  if (d.isDirectory()) return 'directory';
  if (d.isSymbolicLink()) return 'symlink';
  if (d.isFIFO()) return 'fifo';
  if (d.isCharacterDevice()) return 'character-device';
  if (d.isBlockDevice()) return 'block-device';
  if (d.isSocket()) return 'socket';
  return 'unknown'; // DT_UNKNOWN: the filesystem did not say; lstat decides
}

function statsKind(s: Stats): WalkKind {
  if (s.isFile()) return 'file';
  if (s.isDirectory()) return 'directory';
  if (s.isSymbolicLink()) return 'symlink';
  if (s.isFIFO()) return 'fifo';
  if (s.isCharacterDevice()) return 'character-device';
  if (s.isBlockDevice()) return 'block-device';
  if (s.isSocket()) return 'socket';
  return 'unknown';
}
