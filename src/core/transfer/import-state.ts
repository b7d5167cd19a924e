// DIR/airgap-state.json (docs/IMPORT-STATE.md): what the live generation of an
// import destination holds and which bundles were imported into it, and the
// rollback-protection decision made from it. Pure: the service reads and writes
// the file.

import { bundleFileList } from '../bundle/delta.js';
import { type BundleManifest, type FileRef } from '../bundle/manifest.js';
import { compareStrings } from '../compare.js';
import { AirgapError } from '../errors.js';
import { isGenerationName } from './import-layout.js';

export const IMPORT_STATE_FORMAT_VERSION = 1;

export interface ImportSigner {
  primaryKeyFingerprint: string;
  signingKeyFingerprint: string;
}

/** One import, as the history keeps it. */
export interface ImportRecord {
  /** 1 for the first import into DIR, then +1 for each import that changed DIR. */
  sequence: number;
  /** Lower-case hex sha256 of the bundle's SHA256SUMS. */
  bundleDigest: string;
  /** The bundle's airgap.json createdAt (RFC 3339, UTC). */
  createdAt: string;
  generation: string;
  /** The key that signed SHA256SUMS; null when imported with --insecure-skip-signature. */
  signer: ImportSigner | null;
  /** Imported with --allow-downgrade although an imported bundle was newer. */
  downgrade: boolean;
  /** Present for a delta bundle (additive in format 1; absent: a full bundle). */
  kind?: 'delta';
  /** A delta's base, as its airgap.json names it. */
  base?: { bundleDigest?: string; manifestSha256: string; createdAt: string };
}

export interface ImportedProvider {
  address: string;
  version: string;
  platforms: string[];
}

export interface ImportedBinary {
  tool: 'tofu' | 'terraform';
  version: string;
  platforms: string[];
  /** DIR-relative path it was unpacked to ("bin/tofu"), or null when the bundle has no build for the host platform. */
  installed: string | null;
  /** When installed: the sha256 of the executable and of the release zip it came from (additive in format 1). */
  sha256?: string;
  zipSha256?: string;
}

/** The runner image (`airgap mirror --image`) the generation holds at image/, as airgap.json describes it. */
export interface ImportedImage {
  /** The name of the image index in image/index.json (org.opencontainers.image.ref.name). */
  ref: string;
  /** Digest of the image index. */
  digest: string;
  /** One image manifest per platform, tofu's OS_ARCH. */
  platforms: { platform: string; manifest: string }[];
}

/**
 * A registry module version the generation holds at modules/HOST/NS/NAME/SYSTEM/VERSION.zip:
 * every one, carried over from earlier imports or new with this one (what `airgap serve`
 * serves and `airgap verify DIR` checks).
 */
export interface ImportedModule {
  /** "HOST/NS/NAME/SYSTEM" */
  source: string;
  version: string;
  /** Generation-relative: modules/HOST/NS/NAME/SYSTEM/VERSION.zip. */
  path: string;
  size: number;
  sha256: string;
  subdir?: string;
}

export interface ImportContents {
  platforms: string[];
  providers: ImportedProvider[];
  binaries: ImportedBinary[];
  /** Bundle-relative paths of the lock files the bundle carried. */
  lockfiles: string[];
  /** Payload files verified (every SHA256SUMS line but airgap.json's), and their total size. */
  files: number;
  bytes: number;
  /** Present when the bundle carries a runner image (an additive field of format 1). */
  image?: ImportedImage;
  /** Present when the generation holds registry modules (an additive field of format 1). */
  modules?: ImportedModule[];
  /**
   * Every file of the bundle's complete state (airgap.json's list and the packed tool archive;
   * for a delta, the new state including what came from the base), sorted by path: what `airgap inventory` reports as the
   * bundle the destination holds. An additive field of format 1.
   */
  bundleFiles?: FileRef[];
}

export interface ImportState {
  formatVersion: typeof IMPORT_STATE_FORMAT_VERSION;
  /** The platform bin/ was filled for. */
  hostPlatform: string;
  /** The generation that was live before this one (kept for a manual rollback), or null. */
  previousGeneration: string | null;
  /** The last import: the one this generation is. */
  current: ImportRecord & {
    toolVersion: string;
    /** sha256 of the bundle's airgap.json as packed (additive in format 1). */
    manifestSha256?: string;
    contents: ImportContents;
  };
  /** Every import into DIR, oldest first; the last one is `current`. */
  history: ImportRecord[];
}

export interface IncomingBundle {
  bundleDigest: string;
  createdAt: string;
}

export type ImportDecision =
  | { action: 'noop'; record: ImportRecord }
  | { action: 'import'; sequence: number; downgrade: boolean; newest?: ImportRecord };

/**
 * Same bundle as the live one: nothing to do. A bundle created before the newest
 * one already imported is refused (DOWNGRADE_REFUSED) unless `allowDowngrade`:
 * whoever can replay an old, validly signed bundle must not roll back a fixed provider.
 */
export function decideImport(
  state: ImportState | undefined,
  incoming: IncomingBundle,
  allowDowngrade: boolean,
): ImportDecision {
  if (!/^[0-9a-f]{64}$/.test(incoming.bundleDigest)) {
    throw new AirgapError(
      'MANIFEST_INVALID',
      `the bundle digest "${incoming.bundleDigest}" is not a sha256`,
      {
        expected: '64 lower-case hex digits (the sha256 of SHA256SUMS)',
        actual: incoming.bundleDigest,
      },
    );
  }
  const incomingTime = parseTime(incoming.createdAt, 'airgap.json createdAt');
  if (state === undefined) return { action: 'import', sequence: 1, downgrade: false };
  if (state.current.bundleDigest === incoming.bundleDigest) return { action: 'noop', record: state.current };
  const sequence = Math.max(0, ...state.history.map((h) => h.sequence)) + 1;
  const newest = newestRecord(state.history);
  if (newest === undefined || parseTime(newest.createdAt, 'airgap-state.json') <= incomingTime) {
    return { action: 'import', sequence, downgrade: false };
  }
  if (!allowDowngrade) {
    throw new AirgapError(
      'DOWNGRADE_REFUSED',
      `the bundle ${incoming.bundleDigest.slice(0, 16)} was created at ${incoming.createdAt}, before ` +
        `${newest.createdAt}, when the newest bundle already imported (${newest.bundleDigest.slice(0, 16)}, import #${newest.sequence}) was created; ` +
        'importing it could roll back fixed providers',
      { expected: `a bundle created at or after ${newest.createdAt}`, actual: incoming.createdAt },
      'import a newer bundle, or pass --allow-downgrade if the rollback is deliberate',
    );
  }
  return { action: 'import', sequence, downgrade: true, newest };
}

function newestRecord(history: readonly ImportRecord[]): ImportRecord | undefined {
  let best: ImportRecord | undefined;
  for (const h of history) {
    if (best === undefined || Date.parse(h.createdAt) > Date.parse(best.createdAt)) best = h;
  }
  return best;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function parseTime(text: string, where: string): number {
  const t = RFC3339.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(t)) {
    throw new AirgapError('MANIFEST_INVALID', `${where}: "${text}" is not an RFC 3339 time`, {
      expected: 'an RFC 3339 time such as 2026-11-22T00:00:00Z',
      actual: text,
    });
  }
  return t;
}

export interface BuildImportStateInput {
  previous: ImportState | undefined;
  manifest: BundleManifest;
  bundleDigest: string;
  signer: ImportSigner | null;
  hostPlatform: string;
  sequence: number;
  generation: string;
  downgrade: boolean;
  /**
   * tool -> DIR-relative path, for each binary in bin/ this bundle accounts for: unpacked by
   * this import, or (a delta) carried from the live generation as unpacked from the same zip.
   */
  installed: ReadonlyMap<
    'tofu' | 'terraform',
    { version: string; path: string; sha256?: string; zipSha256?: string }
  >;
  /** sha256 of the bundle's airgap.json as packed, when known. */
  manifestSha256?: string;
  files: { count: number; bytes: number };
  /** Every module the generation holds (mergeModules), or empty. */
  modules?: ImportedModule[];
}

/** The state of the generation an import builds; deterministic (no wall-clock time) so equal histories give equal bytes. */
export function buildImportState(input: BuildImportStateInput): ImportState {
  const m = input.manifest;
  const record: ImportRecord = {
    sequence: input.sequence,
    bundleDigest: input.bundleDigest,
    createdAt: m.createdAt,
    generation: input.generation,
    signer: input.signer,
    downgrade: input.downgrade,
    ...(m.delta === undefined
      ? {}
      : {
          kind: 'delta' as const,
          base: {
            ...(m.delta.base.bundleDigest === undefined ? {} : { bundleDigest: m.delta.base.bundleDigest }),
            manifestSha256: m.delta.base.manifestSha256,
            createdAt: m.delta.base.createdAt,
          },
        }),
  };
  const providers = m.providers
    .map((p) => ({
      address: p.address,
      version: p.version,
      platforms: [...new Set(p.packages.map((k) => k.platform))].sort(compareStrings),
    }))
    .sort((a, b) => compareStrings(a.address, b.address) || compareStrings(a.version, b.version));
  const binaries = m.binaries
    .map((b): ImportedBinary => {
      const inst = input.installed.get(b.tool);
      return {
        tool: b.tool,
        version: b.version,
        platforms: b.platforms.map((p) => p.platform).sort(compareStrings),
        installed: inst !== undefined && inst.version === b.version ? inst.path : null,
        ...(inst === undefined || inst.version !== b.version
          ? {}
          : {
              ...(inst.sha256 === undefined ? {} : { sha256: inst.sha256 }),
              ...(inst.zipSha256 === undefined ? {} : { zipSha256: inst.zipSha256 }),
            }),
      };
    })
    .sort((a, b) => compareStrings(a.tool, b.tool) || compareStrings(a.version, b.version));
  return {
    formatVersion: IMPORT_STATE_FORMAT_VERSION,
    hostPlatform: input.hostPlatform,
    previousGeneration: input.previous?.current.generation ?? null,
    current: {
      ...record,
      toolVersion: m.tool.version,
      ...(input.manifestSha256 === undefined ? {} : { manifestSha256: input.manifestSha256 }),
      contents: {
        platforms: [...m.platforms].sort(compareStrings),
        providers,
        binaries,
        lockfiles: m.lockfiles.map((l) => l.path).sort(compareStrings),
        files: input.files.count,
        bytes: input.files.bytes,
        ...(m.image === undefined
          ? {}
          : {
              image: {
                ref: m.image.ref,
                digest: m.image.digest,
                platforms: m.image.platforms
                  .map((p) => ({ platform: p.platform, manifest: p.manifest }))
                  .sort((a, b) => compareStrings(a.platform, b.platform)),
              },
            }),
        ...(input.modules === undefined || input.modules.length === 0 ? {} : { modules: input.modules }),
        bundleFiles: bundleFileList(m),
      },
    },
    history: [...(input.previous?.history ?? []), record],
  };
}

export function renderImportState(state: ImportState): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}

/** Reads airgap-state.json; anything but a format-1 state written by airgap import is IMPORT_DEST_INVALID. */
export function parseImportState(text: string, file: string): ImportState {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new AirgapError('IMPORT_DEST_INVALID', `${file} is not valid JSON: ${(e as Error).message}`, {
      path: file,
      cause: e,
    });
  }
  const fail = (where: string, expected: string, found: unknown): AirgapError =>
    new AirgapError(
      'IMPORT_DEST_INVALID',
      `${file}: ${where}: expected ${expected}, found ${JSON.stringify(found)?.slice(0, 120)}`,
      { path: file, expected, actual: JSON.stringify(found)?.slice(0, 120) },
    );
  if (!isObj(doc)) throw fail('top level', 'an object', doc);
  if (doc.formatVersion !== IMPORT_STATE_FORMAT_VERSION) {
    throw fail(
      'formatVersion',
      `${IMPORT_STATE_FORMAT_VERSION} (this airgap reads import state format ${IMPORT_STATE_FORMAT_VERSION})`,
      doc.formatVersion,
    );
  }
  if (typeof doc.hostPlatform !== 'string') throw fail('hostPlatform', 'a platform', doc.hostPlatform);
  if (doc.previousGeneration !== null && !isGeneration(doc.previousGeneration)) {
    throw fail('previousGeneration', 'a generation name or null', doc.previousGeneration);
  }
  if (!Array.isArray(doc.history) || doc.history.length === 0) {
    throw fail('history', 'a non-empty list', doc.history);
  }
  doc.history.forEach((h, i) => checkRecord(h, `history[${i}]`, fail));
  checkRecord(doc.current, 'current', fail);
  const current = doc.current as Record<string, unknown>;
  if (!isObj(current.contents)) throw fail('current.contents', 'an object', current.contents);
  if (current.contents.image !== undefined) checkImage(current.contents.image, fail);
  if (current.contents.modules !== undefined) checkModules(current.contents.modules, fail);
  const last = doc.history.at(-1) as ImportRecord;
  if (last.bundleDigest !== current.bundleDigest || last.generation !== current.generation) {
    throw fail('history', 'the current import as its last entry', last);
  }
  return doc as unknown as ImportState;
}

function checkRecord(
  v: unknown,
  where: string,
  fail: (where: string, expected: string, found: unknown) => AirgapError,
): void {
  if (!isObj(v)) throw fail(where, 'an object', v);
  if (!Number.isSafeInteger(v.sequence) || (v.sequence as number) < 1) {
    throw fail(`${where}.sequence`, 'a positive whole number', v.sequence);
  }
  if (typeof v.bundleDigest !== 'string' || !/^[0-9a-f]{64}$/.test(v.bundleDigest)) {
    throw fail(`${where}.bundleDigest`, '64 lower-case hex digits', v.bundleDigest);
  }
  if (typeof v.createdAt !== 'string' || !RFC3339.test(v.createdAt)) {
    throw fail(`${where}.createdAt`, 'an RFC 3339 time', v.createdAt);
  }
  if (!isGeneration(v.generation)) throw fail(`${where}.generation`, 'a generation name', v.generation);
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

function checkImage(
  v: unknown,
  fail: (where: string, expected: string, found: unknown) => AirgapError,
): void {
  const where = 'current.contents.image';
  if (!isObj(v)) throw fail(where, 'an object', v);
  if (typeof v.ref !== 'string' || v.ref === '') throw fail(`${where}.ref`, 'a ref name', v.ref);
  if (typeof v.digest !== 'string' || !DIGEST.test(v.digest)) {
    throw fail(`${where}.digest`, 'sha256:<64 lower-case hex>', v.digest);
  }
  if (!Array.isArray(v.platforms)) throw fail(`${where}.platforms`, 'a list', v.platforms);
  v.platforms.forEach((p, i) => {
    if (
      !isObj(p) ||
      typeof p.platform !== 'string' ||
      typeof p.manifest !== 'string' ||
      !DIGEST.test(p.manifest)
    ) {
      throw fail(`${where}.platforms[${i}]`, '{"platform": OS_ARCH, "manifest": sha256:<hex>}', p);
    }
  });
}

const MODULE_PATH = /^modules\/[^/]+\/[^/]+\/[^/]+\/[^/]+\/[^/]+\.zip$/;

function checkModules(
  v: unknown,
  fail: (where: string, expected: string, found: unknown) => AirgapError,
): void {
  const where = 'current.contents.modules';
  if (!Array.isArray(v)) throw fail(where, 'a list', v);
  v.forEach((m, i) => {
    const ok =
      isObj(m) &&
      typeof m.source === 'string' &&
      m.source.split('/').length === 4 &&
      typeof m.version === 'string' &&
      typeof m.path === 'string' &&
      MODULE_PATH.test(m.path) &&
      !m.path.split('/').includes('..') &&
      Number.isSafeInteger(m.size) &&
      typeof m.sha256 === 'string' &&
      /^[0-9a-f]{64}$/.test(m.sha256) &&
      (m.subdir === undefined || typeof m.subdir === 'string');
    if (!ok) {
      throw fail(
        `${where}[${i}]`,
        '{"source": "HOST/NS/NAME/SYSTEM", "version", "path": "modules/...zip", "size", "sha256"[, "subdir"]}',
        m,
      );
    }
  });
}

function isGeneration(v: unknown): v is string {
  return typeof v === 'string' && isGenerationName(v);
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
