// The npm packages bundled into the airgap tool (package.json bundleDependencies and
// everything they pull in): read from package-lock.json, where npm marks each of them
// `inBundle`. The published package carries no package-lock.json (npm never packs it),
// so the build writes this list to dist/npm-packages.json (scripts/npm-packages.mjs);
// a source checkout reads its package-lock.json directly. Both go through here.

import { compareStrings } from '../compare.js';
import { AirgapError } from '../errors.js';

export const NPM_PACKAGES_FORMAT_VERSION = 1;

export interface BundledNpmPackage {
  /** "node_modules/a/node_modules/b": unique, where two versions of one name are bundled. */
  path: string;
  name: string;
  version: string;
  /** The lock file's Subresource Integrity string, e.g. "sha512-BASE64". */
  integrity?: string;
  resolved?: string;
  license?: string;
}

export interface NpmPackagesDocument {
  formatVersion: typeof NPM_PACKAGES_FORMAT_VERSION;
  packages: BundledNpmPackage[];
}

function fail(file: string, message: string, actual: string): AirgapError {
  return new AirgapError('TOOL_PACKAGE_INVALID', `${file}: ${message}`, { path: file, actual });
}

/** The bundled packages of a lockfileVersion 2 or 3 package-lock.json, sorted by path. */
export function bundledPackagesFromLock(text: string, file: string): BundledNpmPackage[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw fail(file, `not JSON (${(e as Error).message})`, text.slice(0, 40));
  }
  const packages = (doc as { packages?: unknown }).packages;
  if (typeof packages !== 'object' || packages === null)
    throw fail(file, 'has no "packages" (lockfileVersion 2 or 3 expected)', typeof packages);
  const out: BundledNpmPackage[] = [];
  for (const [path, value] of Object.entries(packages as Record<string, unknown>)) {
    if (path === '' || typeof value !== 'object' || value === null) continue;
    const entry = value as Record<string, unknown>;
    if (entry.inBundle !== true || typeof entry.version !== 'string') continue;
    const name =
      typeof entry.name === 'string' ? entry.name : path.slice(path.lastIndexOf('node_modules/') + 13);
    out.push({
      path,
      name,
      version: entry.version,
      ...(typeof entry.integrity === 'string' ? { integrity: entry.integrity } : {}),
      ...(typeof entry.resolved === 'string' ? { resolved: entry.resolved } : {}),
      ...(typeof entry.license === 'string' ? { license: entry.license } : {}),
    });
  }
  return out.sort((a, b) => compareStrings(a.path, b.path));
}

export function renderNpmPackages(packages: readonly BundledNpmPackage[]): string {
  const doc: NpmPackagesDocument = { formatVersion: NPM_PACKAGES_FORMAT_VERSION, packages: [...packages] };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export function parseNpmPackages(text: string, file: string): BundledNpmPackage[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw fail(file, `not JSON (${(e as Error).message})`, text.slice(0, 40));
  }
  const d = doc as Partial<NpmPackagesDocument>;
  if (d.formatVersion !== NPM_PACKAGES_FORMAT_VERSION || !Array.isArray(d.packages))
    throw fail(
      file,
      `expected formatVersion ${NPM_PACKAGES_FORMAT_VERSION} and "packages"`,
      text.slice(0, 40),
    );
  for (const p of d.packages) {
    if (typeof p?.path !== 'string' || typeof p.name !== 'string' || typeof p.version !== 'string')
      throw fail(file, 'every package needs "path", "name" and "version"', JSON.stringify(p).slice(0, 80));
  }
  return [...d.packages].sort((a, b) => compareStrings(a.path, b.path));
}

/** "sha512-BASE64" -> { alg, hex }; undefined for other algorithms or a malformed value. */
export function integrityHash(
  integrity: string | undefined,
): { alg: 'SHA-512' | 'SHA-256' | 'SHA-1'; hex: string } | undefined {
  const m = /^(sha512|sha256|sha1)-([A-Za-z0-9+/]+={0,2})$/.exec(integrity?.split(/\s+/)[0] ?? '');
  if (m === null) return undefined;
  const alg = m[1] === 'sha512' ? 'SHA-512' : m[1] === 'sha256' ? 'SHA-256' : 'SHA-1';
  return { alg, hex: Buffer.from(m[2]!, 'base64').toString('hex') };
}
