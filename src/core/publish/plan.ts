// The plan of `airgap publish`: which objects of a provider network mirror to upload
// to an object store, which to leave alone and which to delete, in the order that
// keeps the published mirror consistent for a reader at every moment:
//
//   1. zips, so every archive a JSON file will name is already there;
//   2. VERSION.json files, which name zips;
//   3. index.json files, which name versions;
//   4. with prune only, and only after every upload: the objects the source no
//      longer has, in the reverse order (index.json, VERSION.json, zips), so no JSON
//      still published names an object that is already gone.
//
// An object whose sha256 (from its metadata or the store's checksum) and size equal the
// source file's is skipped: a second publish of the same source uploads nothing. An
// object whose sha256 is unknown is uploaded again; it costs bytes, never correctness.

import { compareStrings } from '../compare.js';
import { MIRROR } from '../layout/names.js';
import { checkHostname } from '../provider/address.js';

export type MirrorObjectKind = 'zip' | 'version-json' | 'index-json';

/** One file of the source mirror, relative to its providers/ directory. */
export interface SourceFile {
  /** "HOST/NS/TYPE/NAME", POSIX. */
  path: string;
  size: number;
  /** Lower-case hex. */
  sha256: string;
}

/** One object under the published prefix, relative to it (as SourceFile.path). */
export interface RemoteObject {
  path: string;
  size: number;
  /** Lower-case hex, when the object's metadata or checksum says; undefined when unknown. */
  sha256?: string;
}

export interface PlannedUpload extends SourceFile {
  kind: MirrorObjectKind;
  contentType: string;
  /** Why it is uploaded: absent remotely, or there with other content (or content not known). */
  reason: 'new' | 'changed';
}

export interface PlannedDeletion {
  path: string;
  size: number;
}

export interface PublishPlan {
  /** In upload order. */
  uploads: PlannedUpload[];
  /** Objects already holding the source's bytes. */
  unchanged: SourceFile[];
  /** In deletion order; empty without prune. */
  deletions: PlannedDeletion[];
  /** Remote objects the source does not have, kept because prune is off. */
  kept: PlannedDeletion[];
}

/** tofu refuses a mirror's JSON served as anything but application/json; zips may be any type, we say what they are. */
export const CONTENT_TYPE: Readonly<Record<MirrorObjectKind, string>> = {
  zip: 'application/zip',
  'version-json': 'application/json',
  'index-json': 'application/json',
};

const KIND_ORDER: readonly MirrorObjectKind[] = ['zip', 'version-json', 'index-json'];

/**
 * What a mirror path is, by the network-mirror layout (HOST/NS/TYPE/NAME), or undefined
 * for anything else: such files are not part of the mirror and are never published.
 */
export function mirrorObjectKind(path: string): MirrorObjectKind | undefined {
  const parts = path.split('/');
  if (parts.length !== 4 || parts.some((p) => p === '' || p === '.' || p === '..')) return undefined;
  const name = parts[3]!;
  if (name === MIRROR.index) return 'index-json';
  if (name.endsWith('.json')) return 'version-json';
  if (name.endsWith('.zip')) return 'zip';
  return undefined;
}

/**
 * The object path of a mirror file: tofu asks a network mirror for HOST/NS/TYPE/... with
 * HOST in its ASCII form (IDN labels in punycode), while the mirror's directory has the
 * Unicode form (docs/MIRROR-FORMAT.md, "Serving providers/"). ASCII hosts are unchanged.
 */
export function publishedPath(mirrorPath: string): string {
  const slash = mirrorPath.indexOf('/');
  if (slash <= 0) return mirrorPath;
  const host = checkHostname(mirrorPath.slice(0, slash));
  return host.ok ? `${host.value}${mirrorPath.slice(slash)}` : mirrorPath;
}

function rank(path: string): number {
  const kind = mirrorObjectKind(path);
  return kind === undefined ? KIND_ORDER.length : KIND_ORDER.indexOf(kind);
}

/** index.json, then VERSION.json, then zips; objects of no known kind last, as nothing names them. */
function deletionRank(path: string): number {
  const kind = mirrorObjectKind(path);
  return kind === undefined ? KIND_ORDER.length : KIND_ORDER.length - 1 - KIND_ORDER.indexOf(kind);
}

function byKindThenPath(a: { path: string }, b: { path: string }): number {
  return rank(a.path) - rank(b.path) || compareStrings(a.path, b.path);
}

/**
 * Remote objects whose sha256 is worth asking the store for: those the source has with
 * the same size. Any other object is uploaded (size differs) or deleted anyway.
 */
export function objectsToInspect(source: readonly SourceFile[], remote: readonly RemoteObject[]): string[] {
  const sizes = new Map(source.map((f) => [f.path, f.size]));
  return remote
    .filter((r) => r.sha256 === undefined && sizes.get(r.path) === r.size)
    .map((r) => r.path)
    .sort(compareStrings);
}

export function planPublish(
  source: readonly SourceFile[],
  remote: readonly RemoteObject[],
  options: { prune: boolean },
): PublishPlan {
  const remoteByPath = new Map(remote.map((r) => [r.path, r]));
  const uploads: PlannedUpload[] = [];
  const unchanged: SourceFile[] = [];
  for (const f of source) {
    const kind = mirrorObjectKind(f.path);
    if (kind === undefined) continue;
    const r = remoteByPath.get(f.path);
    if (r !== undefined && r.size === f.size && r.sha256 === f.sha256) {
      unchanged.push({ path: f.path, size: f.size, sha256: f.sha256 });
      continue;
    }
    uploads.push({
      path: f.path,
      size: f.size,
      sha256: f.sha256,
      kind,
      contentType: CONTENT_TYPE[kind],
      reason: r === undefined ? 'new' : 'changed',
    });
  }
  const sourcePaths = new Set(
    source.filter((f) => mirrorObjectKind(f.path) !== undefined).map((f) => f.path),
  );
  const gone = remote
    .filter((r) => !sourcePaths.has(r.path))
    .map((r) => ({ path: r.path, size: r.size }))
    .sort((a, b) => deletionRank(a.path) - deletionRank(b.path) || compareStrings(a.path, b.path));
  return {
    uploads: uploads.sort(byKindThenPath),
    unchanged: unchanged.sort((a, b) => compareStrings(a.path, b.path)),
    deletions: options.prune ? gone : [],
    kept: options.prune ? [] : gone.slice().sort((a, b) => compareStrings(a.path, b.path)),
  };
}
