// Packs a fetched module tree as the bundle's module package: one deterministic zip
// (zip-write.ts: sorted entries, fixed timestamps), so the same source gives the same
// sha256 on every run and machine. Regular files only, with 0755 or 0644 by their
// executable bit; git's own data (.git) is left out. A symlink whose target is inside
// the tree is packed as the file or directory it points at (the walker's follow-inside
// policy); one that leaves the tree, or dangles, is refused naming the module.

import path from 'node:path';
import { AirgapError } from '../../core/errors.js';
import { walkTree } from '../fs/walk.js';
import { writeDeterministicZip, type ZipSource, type ZipWriteResult } from './zip-write.js';

const SKIPPED_DIRS = new Set(['.git']);

export async function packModuleTree(root: string, destZip: string, label: string): Promise<ZipWriteResult> {
  const sources: ZipSource[] = [];
  for await (const e of walkTree(root, {
    symlinks: 'follow-inside',
    stats: true,
    label,
    descend: (d) => !SKIPPED_DIRS.has(d.name),
  })) {
    if (e.rel.split('/').some((p) => SKIPPED_DIRS.has(p))) continue;
    if (e.kind === 'directory') continue;
    if (e.kind === 'symlink') {
      throw new AirgapError(
        'ARCHIVE_ENTRY_UNSAFE',
        `module ${label}: ${JSON.stringify(e.rel)} is a symlink that points outside the module (or nowhere)`,
        { path: e.rel, expected: 'files and links inside the module' },
        'the module is unsafe to carry; do not carry this version',
      );
    }
    if (e.kind !== 'file') {
      throw new AirgapError(
        'ARCHIVE_ENTRY_UNSAFE',
        `module ${label}: ${JSON.stringify(e.rel)} is a ${e.kind}, not a regular file`,
        { path: e.rel, expected: 'regular files' },
      );
    }
    const mode = ((e.stats?.mode ?? 0) & 0o111) !== 0 ? 0o755 : 0o644;
    sources.push({ name: e.rel, mode, path: e.abs.toString(), size: e.stats?.size ?? 0 });
  }
  if (sources.length === 0) {
    throw new AirgapError('ARCHIVE_INVALID', `module ${label}: its source holds no files`, {
      path: path.basename(root),
      expected: 'at least one file',
      actual: 'none',
    });
  }
  return writeDeterministicZip(destZip, sources);
}
