// What `airgap serve DIR` serves, found once at start: a bundle directory (airgap.json
// at its top: its catalogue never changes) or an import destination (the live
// generation, looked up again for every request through DIR/.airgap/current, so that
// after `airgap import` switches generations new requests see the new content).

import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ServeView } from '../../adapters/serve/https-server.js';
import { parseManifest } from '../../core/bundle/manifest.js';
import { AirgapError } from '../../core/errors.js';
import { BUNDLE } from '../../core/layout/names.js';
import { catalogueFromManifest, type ServeCatalogue } from '../../core/serve/catalogue.js';
import { generationFromCurrentTarget, IMPORT_META } from '../../core/transfer/import-layout.js';
import { inspectDestination } from '../import/destination.js';
import { generationCatalogue } from './generation-catalogue.js';

export interface ServedDir {
  kind: 'bundle' | 'destination';
  /** Absolute. */
  dir: string;
  /** The view for a request arriving now. */
  view(): Promise<ServeView>;
}

/** A bundle directory has airgap.json at its top; anything else is taken for an import destination. */
export async function isBundleDir(dir: string): Promise<boolean> {
  const st = await fs.stat(path.join(dir, BUNDLE.manifest)).catch(() => undefined);
  return st?.isFile() === true;
}

/** `onCatalogue`: told of each new catalogue (the first, and each generation switch after it). */
export async function openServedDir(
  dir: string,
  onCatalogue: (catalogue: ServeCatalogue, generation: string | undefined) => void,
  /** A bundle directory: the sha256 airgap.json had when it was verified. */
  manifestSha256?: string,
): Promise<ServedDir> {
  const st = await fs.stat(dir).catch(() => undefined);
  if (st === undefined || !st.isDirectory()) {
    throw new AirgapError(
      st === undefined ? 'INPUT_NOT_FOUND' : 'SERVE_DIR_INVALID',
      `${dir} ${st === undefined ? 'does not exist' : 'is not a directory'}`,
      {
        path: dir,
        expected: 'a bundle directory or an import destination',
        actual: st === undefined ? 'missing' : 'a file',
      },
      'pass the directory airgap mirror wrote (or one extracted from a transfer tarball), or an import destination',
    );
  }
  const manifestPath = path.join(dir, BUNDLE.manifest);
  const manifestText = await fs.readFile(manifestPath, 'utf8').catch(() => undefined);
  if (manifestText !== undefined) {
    const actual = createHash('sha256').update(manifestText, 'utf8').digest('hex');
    if (manifestSha256 !== undefined && actual !== manifestSha256) {
      throw new AirgapError(
        'CHECKSUM_MISMATCH',
        `${manifestPath} changed since it was verified: sha256 ${actual}, verified ${manifestSha256}`,
        { path: manifestPath, expected: manifestSha256, actual },
        'something is writing into the bundle directory: stop it, keep DIR read-only to others, and start serve again',
      );
    }
    const catalogue = catalogueFromManifest(parseManifest(manifestText, manifestPath));
    const view: ServeView = { realRoot: await fs.realpath(dir), catalogue };
    onCatalogue(catalogue, undefined);
    return { kind: 'bundle', dir, view: () => Promise.resolve(view) };
  }
  // Checks DIR the way import does (links, ownership); --force-like: serve writes nothing there.
  const dest = await inspectDestination(dir, { force: true });
  if (dest.live === undefined) {
    throw new AirgapError(
      'SERVE_DIR_INVALID',
      `${dir} has neither ${BUNDLE.manifest} (a bundle directory) nor a live import generation (${dest.currentLink})`,
      { path: dir, expected: 'a bundle directory or an import destination', actual: 'neither' },
      'pass a bundle directory, or run airgap import into DIR first',
    );
  }
  const views = new Map<string, Promise<ServeView>>();
  const view = async (): Promise<ServeView> => {
    const target = await fs.readlink(dest.currentLink);
    const generation = generationFromCurrentTarget(target);
    if (generation === undefined) {
      throw new AirgapError(
        'SERVE_DIR_INVALID',
        `${dest.currentLink} points at ${target}, not at a generation`,
        {
          path: dest.currentLink,
          expected: `${IMPORT_META.generations}/NNNN-DIGEST`,
          actual: target,
        },
      );
    }
    let found = views.get(generation);
    if (found === undefined) {
      found = loadGeneration(path.join(dest.generationsDir, generation));
      // Only the live generation and the one before stay cached.
      for (const old of [...views.keys()].slice(0, -1)) views.delete(old);
      views.set(generation, found);
      found.then(
        (v) => onCatalogue(v.catalogue, generation),
        () => views.delete(generation),
      );
    }
    return found;
  };
  await view();
  return { kind: 'destination', dir, view };
}

async function loadGeneration(genDir: string): Promise<ServeView> {
  return { realRoot: await fs.realpath(genDir), catalogue: await generationCatalogue(genDir) };
}
