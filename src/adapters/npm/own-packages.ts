// The npm packages bundled into this airgap (core/sbom/npm-packages.ts): from the
// package-lock.json of a source checkout, else from dist/npm-packages.json, which the
// build writes (scripts/npm-packages.mjs) because npm never packs a package-lock.json.

import fs from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import {
  bundledPackagesFromLock,
  parseNpmPackages,
  type BundledNpmPackage,
} from '../../core/sbom/npm-packages.js';

/** The package root: the same relative path from src/adapters/npm and dist/adapters/npm. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export const NPM_PACKAGES_FILE = 'npm-packages.json';

export async function readOwnNpmPackages(root: string = ROOT): Promise<BundledNpmPackage[]> {
  const lock = path.join(root, 'package-lock.json');
  const text = await fs.readFile(lock, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  if (text !== undefined) return bundledPackagesFromLock(text, lock);
  const built = path.join(root, 'dist', NPM_PACKAGES_FILE);
  return parseNpmPackages(await fs.readFile(built, 'utf8'), built);
}
