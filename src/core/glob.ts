// The glob syntax of airgap.yaml's `lockfiles` (docs/SPEC-FORMAT.md, "lockfiles"), as
// pure functions over "/"-separated names: `*` any characters within one name, `?` one
// character, `**` alone between slashes any number of directories (none included).
// Nothing else is special: parse.ts refuses what this syntax leaves out ("!", "[…]",
// "{a,b}", "\", "**" inside a name) before a pattern gets here. Matching is exact and
// case-sensitive, and `*` matches a leading "." (the lock file's own name starts with one).
// The walk that feeds these functions lives in src/adapters/fs/lockfile-patterns.ts.

export interface Glob {
  /**
   * The leading names without a wildcard, "/"-joined: where a walk starts. "" for none;
   * an absolute pattern's base starts with "/". "." names are dropped, ".." kept.
   */
  base: string;
  /** The names from the first wildcard on; empty for a pattern without one. */
  segments: readonly string[];
  /**
   * It names directories: it ended in "/" or in "**" (a trailing "**" only says "any
   * depth below", which a directory entry already means), so each match stands for
   * every lock file below it.
   */
  directories: boolean;
}

export const GLOBSTAR = '**';

export function hasWildcard(name: string): boolean {
  return name.includes('*') || name.includes('?');
}

export function compileGlob(pattern: string): Glob {
  const absolute = pattern.startsWith('/');
  const names = pattern.split('/').filter((n) => n !== '' && n !== '.');
  let directories = pattern.endsWith('/');
  while (names.length > 0 && names[names.length - 1] === GLOBSTAR) {
    names.pop();
    directories = true;
  }
  const first = names.findIndex(hasWildcard);
  const literal = first === -1 ? names : names.slice(0, first);
  const base = `${absolute ? '/' : ''}${literal.join('/')}`;
  return { base, segments: first === -1 ? [] : names.slice(first), directories };
}

/** Whether one name matches one pattern name (`*` and `?`; compared by code point). */
export function matchName(pattern: string, name: string): boolean {
  const p = [...pattern];
  const n = [...name];
  let pi = 0;
  let ni = 0;
  // Where the last `*` was, and how much of the name it has taken: on a mismatch it takes one more.
  let star = -1;
  let taken = 0;
  while (ni < n.length) {
    if (pi < p.length && (p[pi] === '?' || (p[pi] !== '*' && p[pi] === n[ni]))) {
      pi++;
      ni++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      taken = ni;
    } else if (star !== -1) {
      pi = star + 1;
      ni = ++taken;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

/** The positions in `segments` reachable after `names` (an NFA: `**` takes zero or more names). */
function reachable(segments: readonly string[], names: readonly string[]): Set<number> {
  let states = closure(segments, new Set([0]));
  for (const name of names) {
    const next = new Set<number>();
    for (const k of states) {
      const seg = segments[k];
      if (seg === undefined) continue;
      if (seg === GLOBSTAR) next.add(k);
      else if (matchName(seg, name)) next.add(k + 1);
    }
    states = closure(segments, next);
    if (states.size === 0) break;
  }
  return states;
}

function closure(segments: readonly string[], states: Set<number>): Set<number> {
  for (const k of states) if (segments[k] === GLOBSTAR) states.add(k + 1); // Set iteration visits added items
  return states;
}

/** Whether the path `names` (below the glob's base) matches `segments` as a whole. */
export function matchSegments(segments: readonly string[], names: readonly string[]): boolean {
  return reachable(segments, names).has(segments.length);
}

/** Whether something strictly below the directory `names` can match: a walk need not enter it otherwise. */
export function mayMatchBelow(segments: readonly string[], names: readonly string[]): boolean {
  for (const k of reachable(segments, names)) if (k < segments.length) return true;
  return false;
}
