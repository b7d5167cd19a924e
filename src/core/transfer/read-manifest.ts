// The metadata of a packed bundle, checked before any payload is read
// (docs/TRANSFER-FORMAT.md): the order SHA256SUMS.sig, SHA256SUMS, airgap.json; the
// names SHA256SUMS lists; and airgap.json's file references against SHA256SUMS, so
// that every payload file's path, size and digest are known from trusted metadata
// before its first byte arrives. Pure.

import { compareStrings } from '../compare.js';
import { manifestFiles, type BundleManifest, type FileRef } from '../bundle/manifest.js';
import { pathsFromBase } from '../bundle/delta.js';
import { AirgapError } from '../errors.js';
import { BUNDLE } from '../layout/names.js';
import { checkBundlePath } from './entry-policy.js';

/** What the next metadata entry may be; 'payload' once airgap.json was read. */
export type ReadPhase = 'first' | 'sums' | 'manifest' | 'payload';

export type MetadataRole = 'signature' | 'sums' | 'manifest';

/**
 * The role of the entry at `path` in `phase`, and the phase after it. Throws
 * ARCHIVE_INVALID when the archive does not open with [SHA256SUMS.sig,] SHA256SUMS,
 * airgap.json: an importer must know every digest before it reads a payload byte.
 */
export function metadataStep(
  phase: Exclude<ReadPhase, 'payload'>,
  path: string,
  kind: 'file' | 'directory',
  archive: string,
): { role: MetadataRole; next: ReadPhase } {
  const expected =
    phase === 'first'
      ? `${BUNDLE.checksumsSignature} or ${BUNDLE.checksums}`
      : phase === 'sums'
        ? BUNDLE.checksums
        : BUNDLE.manifest;
  const is = (name: string): boolean => kind === 'file' && path === name;
  if (phase === 'first' && is(BUNDLE.checksumsSignature)) return { role: 'signature', next: 'sums' };
  if ((phase === 'first' || phase === 'sums') && is(BUNDLE.checksums))
    return { role: 'sums', next: 'manifest' };
  if (phase === 'manifest' && is(BUNDLE.manifest)) return { role: 'manifest', next: 'payload' };
  const position =
    phase === 'first'
      ? 'first'
      : phase === 'sums'
        ? `after ${BUNDLE.checksumsSignature}`
        : `after ${BUNDLE.checksums}`;
  const found = kind === 'directory' ? `directory ${JSON.stringify(path)}` : JSON.stringify(path);
  return fail(
    new AirgapError(
      'ARCHIVE_INVALID',
      `${archive}: expected ${expected} ${position}, found ${found}; a transfer archive opens with ${BUNDLE.checksumsSignature} (when signed), ${BUNDLE.checksums}, ${BUNDLE.manifest}`,
      { path: archive, expected, actual: path },
    ),
  );
}

function fail(e: AirgapError): never {
  throw e;
}

/**
 * The names SHA256SUMS lists must be canonical bundle paths other than SHA256SUMS
 * and its signature: a reader of an extracted directory opens each of them.
 */
export function checkSumsNames(sums: Map<string, string>, sumsFile: string): void {
  for (const name of sums.keys()) {
    checkBundlePath(name, sumsFile, 'CHECKSUMS_INVALID');
    if (name === BUNDLE.checksums || name === BUNDLE.checksumsSignature) {
      throw new AirgapError(
        'CHECKSUMS_INVALID',
        `${sumsFile} lists ${name}, which it cannot cover (it does not list itself or its signature)`,
        { path: sumsFile, expected: 'no line for SHA256SUMS or SHA256SUMS.sig', actual: name },
      );
    }
  }
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * The tool archive reference a packed airgap.json carries (`toolPackage`), checked like
 * every other file reference; undefined when absent (an unpacked bundle).
 */
export function toolPackageOf(manifest: BundleManifest, file: string): FileRef | undefined {
  const raw = (manifest as BundleManifest & { toolPackage?: unknown }).toolPackage;
  if (raw === undefined) return undefined;
  const r = raw as Partial<Record<keyof FileRef, unknown>> | null;
  const ok =
    typeof r === 'object' &&
    r !== null &&
    typeof r.path === 'string' &&
    typeof r.size === 'number' &&
    Number.isSafeInteger(r.size) &&
    r.size >= 0 &&
    typeof r.sha256 === 'string' &&
    HEX64.test(r.sha256);
  if (!ok) {
    throw new AirgapError(
      'MANIFEST_INVALID',
      `${file}: toolPackage: expected {path, size, sha256}, found ${JSON.stringify(raw)?.slice(0, 120)}`,
      { path: file, expected: '{path, size, sha256}', actual: JSON.stringify(raw)?.slice(0, 120) },
    );
  }
  checkBundlePath(r.path as string, `${file} toolPackage`, 'MANIFEST_INVALID');
  return { path: r.path as string, size: r.size as number, sha256: r.sha256 as string };
}

/**
 * Every file the bundle carries by airgap.json's account (manifestFiles plus the tool
 * archive), by path; for a delta, less the files it expects from its base (the tool
 * archive among them when the base had the same bytes).
 */
export function payloadRefs(
  manifest: BundleManifest,
  file: string,
): { refs: Map<string, FileRef>; issues: AirgapError[] } {
  const tool = toolPackageOf(manifest, file);
  const fromBase = pathsFromBase(manifest);
  const all = [...manifestFiles(manifest), ...(tool === undefined ? [] : [tool])].filter(
    (f) => !fromBase.has(f.path),
  );
  const refs = new Map<string, FileRef>();
  const issues: AirgapError[] = [];
  for (const ref of all) {
    checkBundlePath(ref.path, file, 'MANIFEST_INVALID');
    const prior = refs.get(ref.path);
    if (prior === undefined) {
      refs.set(ref.path, ref);
      continue;
    }
    if (prior.sha256 !== ref.sha256 || prior.size !== ref.size) {
      issues.push(
        new AirgapError(
          'MANIFEST_MISMATCH',
          `${file} lists ${ref.path} twice, as ${prior.size} bytes sha256 ${prior.sha256} and as ${ref.size} bytes sha256 ${ref.sha256}`,
          {
            path: ref.path,
            expected: `${prior.size} bytes, sha256 ${prior.sha256}`,
            actual: `${ref.size} bytes, sha256 ${ref.sha256}`,
          },
        ),
      );
    }
  }
  return { refs, issues };
}

/**
 * airgap.json against SHA256SUMS: the same set of paths (SHA256SUMS also lists
 * airgap.json itself) and the same sha256 for each. One MANIFEST_MISMATCH per
 * disagreement, sorted by path; sizes are checked against the archive, entry by entry.
 */
export function crossCheckManifest(
  refs: Map<string, FileRef>,
  sums: Map<string, string>,
  files: { manifest: string; sums: string },
): AirgapError[] {
  const issues: AirgapError[] = [];
  const paths = [...new Set([...refs.keys(), ...sums.keys()])]
    .filter((p) => p !== BUNDLE.manifest)
    .sort(compareStrings);
  for (const path of paths) {
    const ref = refs.get(path);
    const listed = sums.get(path);
    if (ref === undefined) {
      issues.push(
        new AirgapError('MANIFEST_MISMATCH', `${files.sums} lists ${path}, but ${files.manifest} does not`, {
          path,
          expected: `${path} in ${files.manifest}`,
          actual: 'not listed',
        }),
      );
    } else if (listed === undefined) {
      issues.push(
        new AirgapError(
          'MANIFEST_MISMATCH',
          `${files.manifest} lists ${path}, but ${files.sums} has no line for it`,
          {
            path,
            expected: `a line for ${path} in ${files.sums}`,
            actual: 'no line',
          },
        ),
      );
    } else if (listed !== ref.sha256) {
      issues.push(
        new AirgapError(
          'MANIFEST_MISMATCH',
          `${path}: ${files.manifest} lists sha256 ${ref.sha256}, but ${files.sums} lists ${listed}`,
          { path, expected: listed, actual: ref.sha256 },
        ),
      );
    }
  }
  return issues;
}
