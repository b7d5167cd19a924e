// Names of the lock-file copies under lockfiles/ in a bundle: short, readable, and
// unique. A lock file found under --dir D keeps its path below D, prefixed with D's
// own name ("stacks/app/.terraform.lock.hcl"); one given with --lockfile keeps its
// path relative to the working directory, or, from elsewhere, just its parent
// directory's name. Machine-specific absolute paths never appear.

import path from 'node:path';

export interface LockfileOrigin {
  /** As found or given. */
  path: string;
  /** The --dir it was found under, if any. */
  dir?: string;
}

function posix(p: string): string {
  return p.split(path.sep).join('/');
}

function inside(rel: string): boolean {
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

function preferredName(origin: LockfileOrigin, cwd: string): string {
  const abs = path.resolve(cwd, origin.path);
  if (origin.dir !== undefined) {
    const root = path.resolve(cwd, origin.dir);
    const rel = path.relative(root, abs);
    if (inside(rel)) return posix(path.join(path.basename(root) || 'root', rel));
  }
  const rel = path.relative(cwd, abs);
  if (inside(rel)) return posix(rel);
  return posix(path.join(path.basename(path.dirname(abs)) || 'root', path.basename(abs)));
}

/** Bundle-relative names ("lockfiles/..."), in input order; a clash gets "-2", "-3" on its directory. */
export function lockfileCopyNames(
  origins: readonly LockfileOrigin[],
  cwd: string,
  prefix = 'lockfiles',
): string[] {
  const taken = new Set<string>();
  return origins.map((o) => {
    const want = preferredName(o, cwd);
    let name = want;
    for (let n = 2; taken.has(name); n++) {
      const dir = path.posix.dirname(want);
      name = dir === '.' ? `${n}/${want}` : `${dir}-${n}/${path.posix.basename(want)}`;
    }
    taken.add(name);
    return `${prefix}/${name}`;
  });
}
