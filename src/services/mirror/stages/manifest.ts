// Stage: airgap.json, listing every file of the bundle with its size and sha256
// (docs/BUNDLE-FORMAT.md). Packages this run verified are not read again.

import { creationTime, type BundleManifest, type ManifestInput } from '../../../core/bundle/manifest.js';
import { BUNDLE, providerDir } from '../../../core/layout/names.js';
import { readPreviousManifest, scanProviders, writeManifest, type KnownPackage } from '../bundle-writer.js';
import type { JobOutcome } from '../provider-packages.js';
import { TOOL_VERSION } from '../../tool-version.js';

/** Every provider package of the bundle directory, for the manifest and the image. */
export async function listProviders(
  outDir: string,
  outcomes: readonly JobOutcome[],
): Promise<Pick<ManifestInput, 'providers' | 'mirrorIndexes'>> {
  const previous = await readPreviousManifest(outDir);
  const known = new Map<string, KnownPackage>();
  for (const o of outcomes) {
    if (o.pkg === undefined) continue;
    const rel = `${BUNDLE.providersDir}/${providerDir(o.job.address)}/${o.pkg.filename}`;
    known.set(rel, { path: rel, sha256: o.pkg.sha256, size: o.pkg.size, local: o.pkg.status === 'local' });
  }
  return scanProviders(outDir, known, previous);
}

export async function writeBundleManifest(
  outDir: string,
  parts: Omit<ManifestInput, 'toolVersion' | 'createdAt'>,
  env: Record<string, string | undefined>,
): Promise<BundleManifest> {
  return writeManifest(outDir, { toolVersion: TOOL_VERSION, createdAt: creationTime(env), ...parts });
}
