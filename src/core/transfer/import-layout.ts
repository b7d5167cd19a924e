// The on-disk layout of an import destination (docs/IMPORT-STATE.md). The
// user-facing names (providers/, bin/, tofurc, airgap-state.json, image/, the
// staging directory) come from IMPORT in src/core/layout/names.ts; this module adds
// the internal generation store that makes an import one atomic switch:
//
//   DIR/providers          -> .airgap/current/providers       (stable symlinks,
//   DIR/bin                -> .airgap/current/bin               made once and
//   DIR/tofurc             -> .airgap/current/tofurc            never replaced)
//   DIR/airgap-state.json  -> .airgap/current/airgap-state.json
//   DIR/image              -> .airgap/current/image             (made by the first import
//                                                                of a bundle with an image)
//   DIR/modules            -> .airgap/current/modules           (likewise, registry modules)
//   DIR/.airgap/current    -> generations/NNNN-DIGEST16         (swapped by rename(2))
//   DIR/.airgap/generations/NNNN-DIGEST16/{providers/,bin/,tofurc,airgap-state.json[,image/][,modules/]}

import { IMPORT } from '../layout/names.js';

export const IMPORT_META = {
  /** Everything airgap import keeps for itself. */
  dir: '.airgap',
  /** A symlink to the live generation, relative: `generations/NAME`. */
  current: 'current',
  generations: 'generations',
  /** Inside the staging directory: the generation being built. */
  stagedGeneration: 'generation',
  /** Inside the staging directory: host-platform release zips, unpacked into bin/ and then dropped. */
  stagedReleases: 'releases',
} as const;

/** The entries of DIR that users and tofu read; each is a symlink into the current generation. */
export const STABLE_ENTRIES: readonly string[] = [
  IMPORT.providersDir,
  IMPORT.binDir,
  IMPORT.tofurc,
  IMPORT.state,
  IMPORT.imageDir,
  IMPORT.modulesDir,
];

/**
 * Stable entries made only once a generation has them: DIR/image appears with the first
 * bundle that carries a runner image, so a destination that never had one shows no link
 * that resolves to nothing. Once made it stays, and resolves to nothing while the live
 * generation has no image (ENOENT, as every stable entry before a first import).
 */
export const OPTIONAL_STABLE_ENTRIES: readonly string[] = [IMPORT.imageDir, IMPORT.modulesDir];

/** What the stable symlink DIR/NAME points at (relative, so DIR can be moved as a whole). */
export function stableLinkTarget(name: string): string {
  return `${IMPORT_META.dir}/${IMPORT_META.current}/${name}`;
}

/** What DIR/.airgap/current points at for one generation. */
export function currentLinkTarget(generation: string): string {
  return `${IMPORT_META.generations}/${generation}`;
}

/** The generation directory's name: the import's sequence number, then the bundle digest's first 16 hex digits. */
export function generationName(sequence: number, bundleDigest: string): string {
  return `${String(sequence).padStart(4, '0')}-${bundleDigest.slice(0, 16)}`;
}

const GENERATION_RE = /^\d{4,}-[0-9a-f]{16}$/;

export function isGenerationName(name: string): boolean {
  return GENERATION_RE.test(name);
}

/** The generation a DIR/.airgap/current target names, or undefined when it is not one we write. */
export function generationFromCurrentTarget(target: string): string | undefined {
  const prefix = `${IMPORT_META.generations}/`;
  if (!target.startsWith(prefix)) return undefined;
  const name = target.slice(prefix.length);
  return isGenerationName(name) ? name : undefined;
}
