// The catalogue of one import generation (DIR/.airgap/generations/NAME): the modules
// its airgap-state.json records, and every regular file below providers/. The network-
// mirror JSON is small and is hashed here for its ETag; each provider zip's ETag is the
// zh: (its sha256) that its VERSION.json lists. Links and other file types are skipped:
// an import writes none, and what is not catalogued is never served.

import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { walkTree } from '../../adapters/fs/walk.js';
import { IMPORT } from '../../core/layout/names.js';
import { parseVersionJson } from '../../core/mirror/network-mirror-json.js';
import { buildCatalogue, type ServeCatalogue, type ServedFile } from '../../core/serve/catalogue.js';
import { mirrorJsonKind } from '../../core/transfer/import-merge.js';
import { parseImportState } from '../../core/transfer/import-state.js';

export async function generationCatalogue(genDir: string): Promise<ServeCatalogue> {
  const statePath = path.join(genDir, IMPORT.state);
  const state = parseImportState(await fs.readFile(statePath, 'utf8'), statePath);
  const providersRoot = path.join(genDir, IMPORT.providersDir);
  const files: ServedFile[] = [];
  const zipHashes = new Map<string, string>();
  const zips: string[] = [];
  for await (const e of walkTree(providersRoot, { symlinks: 'report' })) {
    if (e.kind !== 'file') continue;
    const rel = `${IMPORT.providersDir}/${e.rel}`;
    const kind = mirrorJsonKind(e.rel);
    if (kind === undefined) {
      zips.push(rel);
      continue;
    }
    const bytes = await fs.readFile(e.abs);
    files.push({ path: rel, sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length });
    if (kind === 'version') {
      const dir = path.posix.dirname(rel);
      for (const archive of Object.values(parseVersionJson(bytes.toString('utf8'), rel))) {
        const zh = archive.hashes.find((h) => h.startsWith('zh:'));
        if (zh !== undefined) zipHashes.set(`${dir}/${archive.url}`, zh.slice(3));
      }
    }
  }
  for (const rel of zips) {
    const sha256 = zipHashes.get(rel);
    files.push(sha256 === undefined ? { path: rel } : { path: rel, sha256 });
  }
  return buildCatalogue(files, state.current.contents.modules ?? []);
}
