// Build step: writes dist/npm-packages.json, the npm packages bundled into airgap with
// their versions and integrity hashes, read from package-lock.json. npm never packs a
// package-lock.json, so an installed airgap reads this list instead when it writes a
// bundle's SBOM (src/adapters/npm/own-packages.ts, docs/SBOM-FORMAT.md).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundledPackagesFromLock, renderNpmPackages } from '../dist/core/sbom/npm-packages.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const lock = `${root}package-lock.json`;
const packages = bundledPackagesFromLock(readFileSync(lock, 'utf8'), lock);
writeFileSync(`${root}dist/npm-packages.json`, renderNpmPackages(packages));
