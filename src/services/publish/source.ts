// What `airgap publish DIR` reads: the provider mirror of a bundle directory
// (DIR/airgap.json and DIR/providers/, as `airgap mirror --out` wrote them) or of an
// import destination's live generation (DIR/.airgap/current, resolved once: a
// generation never changes after it is switched to, so an import running meanwhile
// cannot change what this publish reads). Every file is hashed and checked against
// what vouches for it (core/publish/source-check.ts) before the plan is made.

import fs from 'node:fs/promises';
import path from 'node:path';

import { sha256File } from '../../adapters/fs/sha256-file.js';
import { walkTree } from '../../adapters/fs/walk.js';
import { manifestFiles, parseManifest } from '../../core/bundle/manifest.js';
import { compareStrings } from '../../core/compare.js';
import { AirgapError } from '../../core/errors.js';
import { BUNDLE, IMPORT, TEMP_PREFIX } from '../../core/layout/names.js';
import { parseVersionJson } from '../../core/mirror/network-mirror-json.js';
import { mirrorObjectKind, type SourceFile } from '../../core/publish/plan.js';
import { checkAgainstManifest, checkArchives, type VersionDoc } from '../../core/publish/source-check.js';
import { IMPORT_META } from '../../core/transfer/import-layout.js';
import { mapLimit } from '../concurrency.js';
import { inspectDestination } from '../import/destination.js';

export interface PublishSource {
  kind: 'bundle' | 'import-destination';
  /** Absolute. */
  dir: string;
  /** The directory whose files are published: DIR/providers, or the live generation's. */
  providersDir: string;
  /** The live generation's name, for an import destination. */
  generation?: string;
  /** Mirror files, path-sorted, hashed and checked. */
  files: SourceFile[];
  /** Files under providers/ that are not part of a network mirror (never published). */
  ignored: string[];
}

function notASource(dir: string, actual: string): AirgapError {
  return new AirgapError(
    'USAGE',
    `${dir} is neither a bundle directory (no ${BUNDLE.manifest}) nor an import destination (no ${IMPORT_META.dir}/${IMPORT_META.current})`,
    { path: dir, expected: 'a directory airgap mirror --out or airgap import --dest wrote', actual },
    'pass the bundle directory airgap mirror wrote, or the --dest directory of airgap import',
  );
}

async function exists(p: string): Promise<boolean> {
  return (await fs.lstat(p).catch(() => undefined)) !== undefined;
}

/** Lists, hashes and checks the mirror `dir` holds. */
export async function readPublishSource(dir: string, hashConcurrency = 4): Promise<PublishSource> {
  const st = await fs.stat(dir).catch(() => undefined);
  if (st === undefined) {
    throw new AirgapError(
      'INPUT_NOT_FOUND',
      `${dir} does not exist`,
      { path: dir, expected: 'a bundle directory or an import destination', actual: 'missing' },
      'pass the bundle directory airgap mirror wrote, or the --dest directory of airgap import',
    );
  }
  if (!st.isDirectory()) throw notASource(dir, 'a file');

  const manifestFile = path.join(dir, BUNDLE.manifest);
  if (await exists(manifestFile)) {
    const manifest = parseManifest(await fs.readFile(manifestFile, 'utf8'), manifestFile);
    const providersDir = path.join(dir, BUNDLE.providersDir);
    const listing = await listMirror(providersDir, providersDir, hashConcurrency);
    checkAgainstManifest(listing.all, manifestFiles(manifest), BUNDLE.providersDir, manifestFile);
    await checkVersionDocs(providersDir, listing.files, providersDir);
    return { kind: 'bundle', dir, providersDir, files: listing.files, ignored: listing.ignored };
  }
  if (await exists(path.join(dir, IMPORT_META.dir))) {
    const dest = await inspectDestination(dir, { force: true });
    if (dest.live === undefined || dest.liveDir === undefined) {
      throw new AirgapError(
        'USAGE',
        `${dir} is an import destination with no completed import yet: there is no mirror to publish`,
        { path: dir, expected: 'a completed airgap import', actual: 'none' },
        'run airgap import --dest DIR first',
      );
    }
    const providersDir = path.join(dest.liveDir, IMPORT.providersDir);
    const label = path.join(dir, IMPORT.providersDir);
    const listing = await listMirror(providersDir, label, hashConcurrency);
    await checkVersionDocs(providersDir, listing.files, label);
    return {
      kind: 'import-destination',
      dir,
      providersDir,
      generation: dest.live,
      files: listing.files,
      ignored: listing.ignored,
    };
  }
  throw notASource(dir, 'neither');
}

interface Listing {
  /** Mirror files (zips, VERSION.json, index.json). */
  files: SourceFile[];
  /** Every regular file, for the manifest check. */
  all: SourceFile[];
  ignored: string[];
}

async function listMirror(root: string, label: string, concurrency: number): Promise<Listing> {
  const rootStat = await fs.lstat(root).catch(() => undefined);
  if (rootStat === undefined || !rootStat.isDirectory()) {
    throw new AirgapError(
      'BUNDLE_FILE_MISSING',
      `${label} is ${rootStat === undefined ? 'missing' : 'not a directory'}: there is no provider mirror to publish`,
      {
        path: label,
        expected: 'a directory',
        actual: rootStat === undefined ? 'missing' : 'not a directory',
      },
    );
  }
  const found: string[] = [];
  for await (const e of walkTree(root, {
    symlinks: 'report',
    label,
    descend: (d) => !d.name.startsWith(TEMP_PREFIX),
  })) {
    if (e.kind === 'directory') continue;
    if (e.kind !== 'file') {
      // A link could make the published mirror serve what the source never vouched for.
      throw new AirgapError(
        'BUNDLE_MISMATCH',
        `${e.path} is a ${e.kind}, not a regular file; a published mirror carries only the mirror's own files`,
        { path: e.path, expected: 'a regular file', actual: e.kind },
        'remove it from the mirror (airgap never writes one), then publish again',
      );
    }
    if (e.name.startsWith(TEMP_PREFIX)) continue;
    found.push(e.rel);
  }
  found.sort(compareStrings);
  const all = await mapLimit(found, concurrency, async (rel) => {
    const h = await sha256File(path.join(root, ...rel.split('/')));
    return { path: rel, size: h.size, sha256: h.sha256 };
  });
  const files = all.filter((f) => mirrorObjectKind(f.path) !== undefined);
  const ignored = all.filter((f) => mirrorObjectKind(f.path) === undefined).map((f) => f.path);
  return { files, all, ignored };
}

async function checkVersionDocs(root: string, files: readonly SourceFile[], label: string): Promise<void> {
  const docs: VersionDoc[] = [];
  for (const f of files) {
    if (mirrorObjectKind(f.path) !== 'version-json') continue;
    const text = await fs.readFile(path.join(root, ...f.path.split('/')), 'utf8');
    docs.push({ path: f.path, archives: parseVersionJson(text, `${label}/${f.path}`) });
  }
  checkArchives(files, docs, label);
}
