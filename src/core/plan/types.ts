// The plan document: what `airgap mirror` would do to a bundle directory, as `airgap
// plan` finds it from registry metadata and the bundle as it stands. `--json` prints it;
// docs/JSON-OUTPUT.md ("airgap plan --json") is its contract.

export const PLAN_SCHEMA_VERSION = 1;

/** What an item is: a provider package, a release zip, a layer of the runner image, a generated file. */
export type PlanItemKind = 'provider' | 'binary' | 'module' | 'image-layer' | 'config' | 'lockfile';

/**
 * What mirror would do with it: fetch it, keep it (already in the bundle, intact), delete
 * it (the request no longer names it), or make it on this machine (configs, lock-file
 * copies, in-house packages, the runner image's own layer).
 */
export type PlanAction = 'download' | 'present' | 'remove' | 'build';

/**
 * Where the size comes from:
 * - "registry package_size": the registry's download answer states it (OpenTofu's `packages`);
 * - "Content-Length": a HEAD of the download URL;
 * - "manifest": the base image's manifest (layer descriptors carry their size);
 * - "bundle": the file as it is in the bundle directory;
 * - "local": computed on this machine (a generated file's text, an in-house package's file).
 */
export type SizeSource = 'registry package_size' | 'Content-Length' | 'manifest' | 'bundle' | 'local';

export const KIND_ORDER: readonly PlanItemKind[] = [
  'provider',
  'binary',
  'module',
  'image-layer',
  'config',
  'lockfile',
];

export interface PlanItem {
  kind: PlanItemKind;
  /**
   * What it is, for people: "ADDRESS VERSION PLATFORM" (provider), "TOOL VERSION
   * PLATFORM" (binary), "DIGEST PLATFORMS" (image-layer), the bundle path otherwise.
   */
  subject: string;
  /**
   * Bundle-relative POSIX path of the file (an image layer: its blob); null for a file
   * named after a digest not known before it is built (the runner image's own layer).
   */
  path: string | null;
  /** Bytes; null when unknown (note says why). */
  size: number | null;
  sizeSource: SizeSource | null;
  action: PlanAction;
  /**
   * Why a size is unknown, in a few words: "not stated" (the registry gave no size and a
   * HEAD no Content-Length), "after download" (a lock file that records hashes only the
   * download tells), "built locally" (the runner image's own layer); or where an
   * in-house package comes from ("from PATH").
   */
  note?: string;
}

export interface PlanTotals {
  /** Sum of the sizes of the items to download (those of unknown size left out). */
  bytesToDownload: number;
  /** How many items to download or build have an unknown size. */
  unknownSizes: number;
  /**
   * The bundle after the run: the sizes of every item not removed (unknown sizes left
   * out). The small metadata files (index.json, VERSION.json, SHA256SUMS and its
   * signature, airgap.json, airgap.lock.json, the image's index and manifests) are not
   * items and not counted.
   */
  bundleBytes: number;
  /** Items per action. */
  download: number;
  present: number;
  remove: number;
  build: number;
}

/** A package mirror would leave out (--skip-missing-platforms), as mirror's `skipped`. */
export interface PlanSkipped {
  address: string;
  version: string;
  platform: string;
  reason: string;
}

export interface PlanDocument {
  schemaVersion: typeof PLAN_SCHEMA_VERSION;
  tool: string;
  /** Absolute bundle directory. */
  outDir: string;
  platforms: string[];
  /** In KIND_ORDER, then by path. */
  items: PlanItem[];
  /** One line per provider version, release, config or image mirror would delete, as mirror prints them. */
  removals: string[];
  skipped: PlanSkipped[];
  warnings: string[];
  totals: PlanTotals;
  /** True when mirror would change the bundle: an item not present, or a file it would delete. */
  changes: boolean;
}
