// What a transfer tarball holds, in which order, with which modes
// (docs/TRANSFER-FORMAT.md). Pure: it takes the bundle's manifest, a listing of the
// bundle directory and the tool archive's digest, checks that the directory is
// the bundle its manifest describes, and returns the entry list with the packed
// airgap.json and SHA256SUMS; services/export/ streams the list as tar.
//
// Digests: SHA256SUMS is written before the payload, so its digests must be known
// before any file is streamed. They are taken from airgap.json (written by mirror
// from the bytes it verified) instead of from a first hashing pass over the
// directory, which would read every byte twice. They are not trusted blindly:
// sizes are checked here, before anything is written, and every file is hashed
// from the very bytes streamed into the tarball (one read per file); a digest
// that differs aborts the export before the tarball is moved into place
// (verifyStreamedFile; services/export/ does the streaming).

import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';

import type { BundleManifest, FileRef } from '../bundle/manifest.js';
import { creationTime, manifestFiles, renderManifest } from '../bundle/manifest.js';
import { pathsFromBase } from '../bundle/delta.js';
import { formatSha256Sums } from '../checksums/sha256sums.js';
import { AirgapError, AirgapErrors } from '../errors.js';
import { BUNDLE, TEMP_PREFIX, TRANSFER } from '../layout/names.js';

/** mtime of every entry when SOURCE_DATE_EPOCH is not set. */
export const PACK_DEFAULT_MTIME = new Date('2020-01-01T00:00:00Z');

export const MODE_DIRECTORY = 0o755;
export const MODE_EXECUTABLE = 0o755;
export const MODE_FILE = 0o644;

/** One entry of the bundle directory, bundle-relative (POSIX), as lstat saw it. */
export interface FoundEntry {
  path: string;
  kind: 'file' | 'directory' | 'other';
  size: number;
  /** Any execute bit set (files only). */
  executable: boolean;
}

/** airgap.json as packed: the bundle's manifest plus the tool archive. */
export interface PackedManifest extends BundleManifest {
  toolPackage: FileRef;
}

export type PackContent =
  | { from: 'bytes'; bytes: Uint8Array }
  /** A file of the bundle directory, at `path` below it. */
  | { from: 'bundle'; path: string }
  /** The tool archive (`npm pack` output). */
  | { from: 'tool' };

export interface PackDirectory {
  type: 'directory';
  /** Tar entry name: the bundle-relative path with a trailing "/". */
  name: string;
  mode: number;
}

export interface PackFile {
  type: 'file';
  /** Tar entry name: the bundle-relative path. */
  name: string;
  mode: number;
  size: number;
  /** Lower-case hex; what SHA256SUMS lists, and what the streamed bytes must hash to. */
  sha256: string;
  content: PackContent;
}

export type PackEntry = PackDirectory | PackFile;

export interface PackInput {
  manifest: BundleManifest;
  /** The manifest's file name, for messages. */
  manifestFile: string;
  /** Everything below the bundle directory (airgap.json included). */
  found: readonly FoundEntry[];
  /** The tool archive; its path is toolPackagePath(version). */
  tool: FileRef;
}

export interface PackPlan {
  manifest: PackedManifest;
  manifestBytes: Uint8Array;
  checksums: Uint8Array;
  /** airgap.json, then every directory and file sorted by entry name. */
  body: PackEntry[];
  /** Paths found in the directory that the tarball regenerates or leaves out (SHA256SUMS, tool/, temp files). */
  ignored: string[];
}

/** Bytewise order of the UTF-8 names, which is what `LC_ALL=C sort` and the spec mean. */
export function compareBytewise(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function isReserved(path: string): boolean {
  return (
    path === BUNDLE.checksums ||
    path === BUNDLE.checksumsSignature ||
    path === BUNDLE.manifest ||
    path === TRANSFER.toolDir ||
    path.startsWith(`${TRANSFER.toolDir}/`)
  );
}

function isTemp(path: string): boolean {
  return path.split('/').some((s) => s.startsWith(TEMP_PREFIX));
}

function mismatch(
  message: string,
  path: string,
  expected: string,
  actual: string,
  remedy: string,
): AirgapError {
  return new AirgapError('BUNDLE_MISMATCH', message, { path, expected, actual }, remedy);
}

// A listed file that is gone or changed: mirror rewrites it. An unlisted one: mirror
// never wrote it (or no longer lists it), so re-running mirror cannot help; it must go.
const REPAIR =
  'the bundle directory changed since airgap.json was written: re-run `airgap mirror` with the same inputs and --out to repair it, then export again';
const UNLISTED =
  'move the unlisted file out of the bundle directory (airgap export packs only what airgap.json lists), then export again';

/** A manifest path the tarball can carry: relative, no empty, "." or ".." segments, no NUL. */
function checkPath(ref: FileRef, manifestFile: string): void {
  const segments = ref.path.split('/');
  if (ref.path.includes('\0') || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new AirgapError(
      'MANIFEST_INVALID',
      `${manifestFile}: file reference "${ref.path}" is not a plain relative path (empty, "." or ".." segment, or NUL)`,
      { path: manifestFile, expected: 'a/b/c relative path', actual: ref.path },
    );
  }
  if (isReserved(ref.path) || isTemp(ref.path)) {
    throw new AirgapError(
      'MANIFEST_INVALID',
      `${manifestFile}: file reference "${ref.path}" uses a name the transfer format reserves (${BUNDLE.checksums}, ${BUNDLE.checksumsSignature}, ${BUNDLE.manifest}, ${TRANSFER.toolDir}/, ${TEMP_PREFIX}*)`,
      { path: manifestFile, expected: 'a bundle file path', actual: ref.path },
    );
  }
}

/** The manifest's files, each once; one path with two digests is a broken manifest. */
function uniqueFiles(manifest: BundleManifest, manifestFile: string): FileRef[] {
  const byPath = new Map<string, FileRef>();
  for (const ref of manifestFiles(manifest)) {
    checkPath(ref, manifestFile);
    const prior = byPath.get(ref.path);
    if (prior !== undefined && (prior.sha256 !== ref.sha256 || prior.size !== ref.size)) {
      throw new AirgapError(
        'MANIFEST_INVALID',
        `${manifestFile}: "${ref.path}" is listed twice, as ${prior.size} bytes sha256 ${prior.sha256} and as ${ref.size} bytes sha256 ${ref.sha256}`,
        {
          path: manifestFile,
          expected: `${prior.size} ${prior.sha256}`,
          actual: `${ref.size} ${ref.sha256}`,
        },
      );
    }
    byPath.set(ref.path, ref);
  }
  return [...byPath.values()];
}

function parentsOf(path: string): string[] {
  const segments = path.split('/');
  const parents: string[] = [];
  for (let i = 1; i < segments.length; i++) parents.push(segments.slice(0, i).join('/'));
  return parents;
}

/**
 * Checks the directory against the manifest (every listed file present as a regular
 * file of the listed size; nothing unlisted but the names the tarball regenerates and
 * temp files) and lays out the tarball. Throws AirgapErrors of BUNDLE_MISMATCH with
 * every disagreement found, not only the first.
 */
export function planPack(input: PackInput): PackPlan {
  const { manifest, manifestFile, tool } = input;
  const files = uniqueFiles(manifest, manifestFile);
  const found = new Map(input.found.map((f) => [f.path, f]));
  const listed = new Set(files.map((f) => f.path));
  const problems: AirgapError[] = [];
  const ignored: string[] = [];

  for (const ref of files) {
    const f = found.get(ref.path);
    if (f === undefined) {
      problems.push(
        mismatch(
          `${ref.path}: listed in ${manifestFile} but missing from the bundle directory`,
          ref.path,
          `a file of ${ref.size} bytes`,
          'missing',
          REPAIR,
        ),
      );
    } else if (f.kind !== 'file') {
      problems.push(
        mismatch(
          `${ref.path}: listed in ${manifestFile} as a file, but it is a ${f.kind === 'directory' ? 'directory' : 'symlink or special file'}; only regular files are packed`,
          ref.path,
          'a regular file',
          f.kind === 'directory' ? 'a directory' : 'not a regular file',
          REPAIR,
        ),
      );
    } else if (f.size !== ref.size) {
      problems.push(
        mismatch(
          `${ref.path}: ${manifestFile} lists ${ref.size} bytes, the file has ${f.size}`,
          ref.path,
          `${ref.size} bytes`,
          `${f.size} bytes`,
          REPAIR,
        ),
      );
    }
  }
  for (const f of [...input.found].sort((a, b) => compareBytewise(a.path, b.path))) {
    if (f.kind === 'directory' || listed.has(f.path)) continue;
    if (isReserved(f.path) || isTemp(f.path)) {
      if (f.path !== BUNDLE.manifest) ignored.push(f.path);
      continue;
    }
    problems.push(
      mismatch(
        `${f.path}: in the bundle directory but not listed in ${manifestFile}; a tarball carries only what its manifest accounts for`,
        f.path,
        'only files airgap.json lists',
        f.kind === 'file' ? 'an unlisted file' : 'an unlisted symlink or special file',
        UNLISTED,
      ),
    );
  }
  if (problems.length === 1) throw problems[0]!;
  if (problems.length > 1) throw new AirgapErrors(problems);

  const { toolPackage: _old, ...base } = manifest as BundleManifest & { toolPackage?: unknown };
  const packed: PackedManifest = {
    ...base,
    toolPackage: { path: tool.path, size: tool.size, sha256: tool.sha256 },
  };
  const manifestBytes = Buffer.from(renderManifest(packed), 'utf8');
  const manifestSha = sha256Hex(manifestBytes);
  // A delta (export --base) carries, and SHA256SUMS lists, only what its base lacks; the
  // directory was still checked whole above, as the manifest describes all of it.
  const fromBase = pathsFromBase(manifest);
  const carried = files.filter((f) => !fromBase.has(f.path));
  // The tool archive too, when the base has the same bytes (docs/BUNDLE-FORMAT.md, "Delta bundles").
  const tools = fromBase.has(tool.path) ? [] : [tool];
  const checksums = Buffer.from(
    formatSha256Sums([
      ...carried.map((f) => ({ name: f.path, sha256: f.sha256 })),
      { name: BUNDLE.manifest, sha256: manifestSha },
      ...tools.map((t) => ({ name: t.path, sha256: t.sha256 })),
    ]),
    'utf8',
  );

  const sorted: PackEntry[] = [];
  const dirs = new Set<string>();
  for (const f of [...carried, ...tools]) for (const d of parentsOf(f.path)) dirs.add(d);
  for (const d of dirs) sorted.push({ type: 'directory', name: `${d}/`, mode: MODE_DIRECTORY });
  for (const f of carried) {
    sorted.push({
      type: 'file',
      name: f.path,
      mode: found.get(f.path)?.executable === true ? MODE_EXECUTABLE : MODE_FILE,
      size: f.size,
      sha256: f.sha256,
      content: { from: 'bundle', path: f.path },
    });
  }
  for (const t of tools) {
    sorted.push({
      type: 'file',
      name: t.path,
      mode: MODE_FILE,
      size: t.size,
      sha256: t.sha256,
      content: { from: 'tool' },
    });
  }
  // Directory names end in "/", so a directory sorts right before its own contents.
  sorted.sort((a, b) => compareBytewise(a.name, b.name));

  const manifestEntry: PackFile = {
    type: 'file',
    name: BUNDLE.manifest,
    mode: MODE_FILE,
    size: manifestBytes.length,
    sha256: manifestSha,
    content: { from: 'bytes', bytes: manifestBytes },
  };
  return { manifest: packed, manifestBytes, checksums, body: [manifestEntry, ...sorted], ignored };
}

/** The whole entry list in tarball order: SHA256SUMS.sig (when signed), SHA256SUMS, then the body. */
export function packEntries(plan: PackPlan, signature?: Uint8Array): PackEntry[] {
  const bytesEntry = (name: string, bytes: Uint8Array): PackFile => ({
    type: 'file',
    name,
    mode: MODE_FILE,
    size: bytes.length,
    sha256: sha256Hex(bytes),
    content: { from: 'bytes', bytes },
  });
  return [
    ...(signature === undefined ? [] : [bytesEntry(BUNDLE.checksumsSignature, signature)]),
    bytesEntry(BUNDLE.checksums, plan.checksums),
    ...plan.body,
  ];
}

/**
 * The check made on each file as it is streamed into the tarball: its bytes must hash
 * to the digest SHA256SUMS already promised. Throws BUNDLE_MISMATCH otherwise.
 */
export function verifyStreamedFile(entry: PackFile, actualSha256: string, manifestFile: string): void {
  if (actualSha256 === entry.sha256) return;
  const what =
    entry.content.from === 'tool' ? 'the tool archive (it changed while being packed)' : manifestFile;
  throw mismatch(
    `${entry.name}: sha256 is ${actualSha256}, but ${what} lists ${entry.sha256}; the export was abandoned and no tarball written`,
    entry.name,
    entry.sha256,
    actualSha256,
    entry.content.from === 'tool' ? 'export again once nothing is rebuilding the airgap checkout' : REPAIR,
  );
}

/** Entry mtime: SOURCE_DATE_EPOCH (whole seconds) when set, else PACK_DEFAULT_MTIME, never the clock. */
export function packMtime(env: Record<string, string | undefined>): Date {
  return creationTime(env, () => PACK_DEFAULT_MTIME);
}
