// Fetches what one module version's location names into a working directory: a git
// clone at the ref, or an https archive downloaded and unpacked under the hostile-archive
// policy (adapters/archive/module-extract.ts). Then the `//SUBDIR` is found in it (a `*`
// in a segment matches exactly one directory, as go-getter's subdir glob), so the
// manifest records the directory the module really is.

import fs from 'node:fs/promises';
import path from 'node:path';
import { extractModuleArchive } from '../../../adapters/archive/module-extract.js';
import { gitCloneAtRef } from '../../../adapters/process/git.js';
import { AirgapError } from '../../../core/errors.js';
import type { ModuleLocation } from '../../../core/module/location.js';
import type { HttpClient } from '../../../core/ports.js';
import { redactText } from '../../../core/redact.js';

export interface FetchedTree {
  /** The whole fetched tree. */
  root: string;
  commit?: string;
  /** The //SUBDIR resolved against the tree. */
  subdir?: string;
  /** Bytes downloaded (archives). */
  bytes: number;
}

export interface FetchDeps {
  http: HttpClient;
  env: Record<string, string | undefined>;
  /** PEM bundle for git when the run trusts extra CAs. */
  gitCaFile?: string;
}

export async function fetchModuleTree(
  location: ModuleLocation,
  work: string,
  label: string,
  deps: FetchDeps,
): Promise<FetchedTree> {
  const root = path.join(work, 'tree');
  let commit: string | undefined;
  let bytes = 0;
  if (location.kind === 'git') {
    ({ commit } = await gitCloneAtRef({
      url: location.url,
      ...(location.ref === undefined ? {} : { ref: location.ref }),
      dest: root,
      env: deps.env,
      ...(deps.gitCaFile === undefined ? {} : { caFile: deps.gitCaFile }),
      label,
    }));
  } else {
    const archive = path.join(work, `archive.${location.format}`);
    bytes = (await deps.http.download(location.url, archive)).size;
    await extractModuleArchive(archive, location.format, root, label);
  }
  const subdir = location.subdir === undefined ? undefined : await findSubdir(root, location.subdir, label);
  return {
    root,
    bytes,
    ...(commit === undefined ? {} : { commit }),
    ...(subdir === undefined ? {} : { subdir }),
  };
}

async function findSubdir(root: string, wanted: string, label: string): Promise<string> {
  const missing = (why: string): AirgapError =>
    new AirgapError('REGISTRY_PROTOCOL', `module ${label}: the location's //${redactText(wanted)} ${why}`, {
      path: wanted,
      expected: 'a directory inside the fetched source',
    });
  const parts: string[] = [];
  for (const segment of wanted.split('/').filter((s) => s !== '' && s !== '.')) {
    if (segment === '..') throw missing('leaves the fetched source');
    if (!segment.includes('*')) {
      parts.push(segment);
      continue;
    }
    const re = new RegExp(`^${segment.split('*').map(escapeRegExp).join('[^/]*')}$`);
    const entries = await fs.readdir(path.join(root, ...parts), { withFileTypes: true }).catch(() => []);
    const dirs = entries.filter((e) => e.isDirectory() && re.test(e.name) && e.name !== '.git');
    if (dirs.length !== 1) throw missing(`matches ${dirs.length} directories, not one`);
    parts.push(dirs[0]!.name);
  }
  const st = await fs.lstat(path.join(root, ...parts)).catch(() => undefined);
  if (st === undefined || !st.isDirectory()) throw missing('is not a directory in the fetched source');
  return parts.join('/');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
