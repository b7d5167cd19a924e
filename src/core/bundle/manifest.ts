// airgap.json: the description of a whole bundle directory (docs/BUNDLE-FORMAT.md).
// Every file the bundle carries is listed with its bundle-relative path, size
// and sha256, so that packing, signing, verifying and a later differential
// bundle ("what changed since bundle X") all work from this one document.

import { compareStrings } from '../compare.js';
import { AirgapError } from '../errors.js';
import type { DeltaSection } from './delta.js';

export const BUNDLE_FORMAT_VERSION = 1;

export interface FileRef {
  /** Bundle-relative POSIX path. */
  path: string;
  size: number;
  /** Lower-case hex. */
  sha256: string;
}

export interface ManifestPackage extends FileRef {
  platform: string;
  /** h1: and zh: */
  hashes: string[];
  /** "registry": verified against the registry's signed SHA256SUMS; "local": given with --local-provider. */
  source: 'registry' | 'local';
}

export interface ManifestProvider {
  address: string;
  version: string;
  packages: ManifestPackage[];
}

export interface ManifestBinaryPlatform extends FileRef {
  platform: string;
}

export interface ManifestBinary {
  tool: 'tofu' | 'terraform';
  version: string;
  platforms: ManifestBinaryPlatform[];
  sums: FileRef;
  signature: FileRef;
  verifiedBy: {
    primaryKeyFingerprint: string;
    signingKeyFingerprint: string;
    keyExpiredSince: boolean;
  };
}

export interface ManifestLockfile extends FileRef {
  /** The path it was read from, as given on the command line. */
  source: string;
  /** It holds h1: and zh: for every platform of the bundle (see --update-lockfiles). */
  complete: boolean;
}

/**
 * One registry module version (issue 13): its package, a zip of the module's source tree
 * with fixed timestamps and sorted entries, at modules/HOST/NS/NAME/SYSTEM/VERSION.zip.
 * Modules carry no signature in either ecosystem: the sha256 (and git commit) pin what
 * was fetched, so a later fetch of the same version that gives other bytes is refused.
 */
export interface ManifestModule extends FileRef {
  /** "HOST/NS/NAME/SYSTEM" */
  source: string;
  version: string;
  /** Where the registry said the source was (X-Terraform-Get or location), credentials redacted. */
  location: string;
  /** For git locations: the commit the ref resolved to. */
  commit?: string;
  /**
   * The `//SUBDIR` of the location: the zip holds the whole fetched tree (a module may use
   * `../` paths inside its repository) and the module itself is this directory in it, so a
   * registry serving the zip answers `X-Terraform-Get: ZIP-URL//SUBDIR`.
   */
  subdir?: string;
}

export type ConfigKind = 'tofurc' | 'workflow' | 'dockerfile';

export interface ManifestConfig extends FileRef {
  kind: ConfigKind;
}

/** The runner image `mirror --image` built: an OCI image layout under image/ (docs/IMAGE-FORMAT.md). */
export interface ManifestImage {
  /** Bundle-relative directory of the OCI image layout: "image". */
  layout: string;
  /** The layout's index.json names the image index by this ref (org.opencontainers.image.ref.name). */
  ref: string;
  /** Digest of the image index (what a registry tag points at after `import --push`). */
  digest: string;
  /** --base-image as given, and the digest it resolved to (an index, or a single manifest). */
  base: { reference: string; digest: string };
  /** One image manifest per platform, in tofu's OS_ARCH form. */
  platforms: { platform: string; manifest: string }[];
  /** The tool put at /bin/NAME in every platform's image. */
  tool: { name: 'tofu' | 'terraform'; version: string };
  /** Every file of the layout: oci-layout, index.json, blobs/sha256/*. */
  files: FileRef[];
}

export interface BundleManifest {
  formatVersion: typeof BUNDLE_FORMAT_VERSION;
  tool: { name: 'airgap'; version: string };
  /** RFC 3339, UTC; from SOURCE_DATE_EPOCH when set. */
  createdAt: string;
  /**
   * "full": every file listed is in the bundle. "delta" (a transfer tarball made with
   * `export --base`): the list is still the complete state, but the files `delta.fromBase`
   * names are not carried; the receiver must already hold them (core/bundle/delta.ts).
   */
  kind: 'full' | 'delta';
  platforms: string[];
  lockfiles: ManifestLockfile[];
  providers: ManifestProvider[];
  binaries: ManifestBinary[];
  configs: ManifestConfig[];
  /** The network-mirror index.json and VERSION.json files under providers/. */
  mirrorIndexes: FileRef[];
  /** With `mirror --image`; absent otherwise. */
  image?: ManifestImage;
  /** airgap.lock.json: the request and what it resolved to (absent in bundles of airgap before 0.2). */
  resolved?: FileRef;
  /** Registry modules (absent when the bundle carries none). */
  modules?: ManifestModule[];
  /** sbom.cdx.json, CycloneDX 1.6 (docs/SBOM-FORMAT.md; absent in bundles of airgap before 0.2). */
  sbom?: FileRef;
  /** Present exactly when kind is "delta". */
  delta?: DeltaSection;
}

export interface ManifestInput {
  toolVersion: string;
  createdAt: Date;
  platforms: string[];
  lockfiles: ManifestLockfile[];
  providers: ManifestProvider[];
  binaries: ManifestBinary[];
  configs: ManifestConfig[];
  mirrorIndexes: FileRef[];
  image?: ManifestImage;
  resolved?: FileRef;
  modules?: ManifestModule[];
  sbom?: FileRef;
}

/** Builds the manifest with every list in a stable order, so equal inputs give equal bytes. */
export function buildManifest(input: ManifestInput): BundleManifest {
  const byPath = <T extends { path: string }>(a: T, b: T): number => compareStrings(a.path, b.path);
  return {
    formatVersion: BUNDLE_FORMAT_VERSION,
    tool: { name: 'airgap', version: input.toolVersion },
    createdAt: input.createdAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    kind: 'full',
    platforms: [...new Set(input.platforms)].sort(compareStrings),
    lockfiles: [...input.lockfiles].sort(byPath),
    providers: input.providers
      .map((p) => ({
        ...p,
        packages: p.packages
          .map((k) => ({ ...k, hashes: [...new Set(k.hashes)].sort(compareStrings) }))
          .sort((a, b) => compareStrings(a.platform, b.platform)),
      }))
      .sort((a, b) => compareStrings(a.address, b.address) || compareStrings(a.version, b.version)),
    binaries: input.binaries
      .map((b) => ({
        ...b,
        platforms: [...b.platforms].sort((x, y) => compareStrings(x.platform, y.platform)),
      }))
      .sort((a, b) => compareStrings(a.tool, b.tool) || compareStrings(a.version, b.version)),
    configs: [...input.configs].sort(byPath),
    mirrorIndexes: [...input.mirrorIndexes].sort(byPath),
    ...(input.image === undefined
      ? {}
      : {
          image: {
            ...input.image,
            platforms: [...input.image.platforms].sort((a, b) => compareStrings(a.platform, b.platform)),
            files: [...input.image.files].sort(byPath),
          },
        }),
    ...(input.resolved === undefined ? {} : { resolved: input.resolved }),
    ...(input.modules === undefined || input.modules.length === 0
      ? {}
      : {
          modules: [...input.modules].sort(
            (a, b) => compareStrings(a.source, b.source) || compareStrings(a.version, b.version),
          ),
        }),
    ...(input.sbom === undefined ? {} : { sbom: input.sbom }),
  };
}

/** The same bundle content: equal but for when it was made (a re-run that changed nothing). */
export function sameContent(a: BundleManifest, b: BundleManifest): boolean {
  return renderManifest({ ...a, createdAt: '' }) === renderManifest({ ...b, createdAt: '' });
}

export function renderManifest(m: BundleManifest): string {
  return `${JSON.stringify(m, null, 2)}\n`;
}

/** Every file the manifest lists, sorted by path. */
export function manifestFiles(m: BundleManifest): FileRef[] {
  const files: FileRef[] = [
    ...m.lockfiles,
    ...m.providers.flatMap((p) => p.packages),
    ...m.binaries.flatMap((b) => [...b.platforms, b.sums, b.signature]),
    ...m.configs,
    ...m.mirrorIndexes,
    ...(m.image?.files ?? []),
    ...(m.resolved === undefined ? [] : [m.resolved]),
    ...(m.modules ?? []),
    ...(m.sbom === undefined ? [] : [m.sbom]),
  ].map(({ path, size, sha256 }) => ({ path, size, sha256 }));
  return files.sort((a, b) => compareStrings(a.path, b.path));
}

/** The creation time: SOURCE_DATE_EPOCH (seconds) when set, for reproducible bundles. */
export function creationTime(
  env: Record<string, string | undefined>,
  now: () => Date = () => new Date(),
): Date {
  const sde = env.SOURCE_DATE_EPOCH;
  if (sde === undefined || sde === '') return now();
  if (!/^\d+$/.test(sde)) {
    throw new AirgapError(
      'USAGE',
      `SOURCE_DATE_EPOCH must be a whole number of seconds since 1970, found "${sde}"`,
      {
        expected: 'seconds since the epoch',
        actual: sde,
      },
    );
  }
  return new Date(Number(sde) * 1000);
}

function fail(path: string, where: string, expected: string, found: unknown): AirgapError {
  return new AirgapError(
    'MANIFEST_INVALID',
    `${path}: ${where}: expected ${expected}, found ${JSON.stringify(found)?.slice(0, 120)}`,
    {
      path,
      expected,
      actual: JSON.stringify(found)?.slice(0, 120),
    },
  );
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const HEX64 = /^[0-9a-f]{64}$/;

function checkFileRef(v: unknown, file: string, where: string): void {
  if (!isObj(v)) throw fail(file, where, 'an object', v);
  if (
    typeof v.path !== 'string' ||
    v.path === '' ||
    v.path.startsWith('/') ||
    v.path.split('/').includes('..')
  ) {
    throw fail(file, `${where}.path`, 'a relative path inside the bundle', v.path);
  }
  if (typeof v.size !== 'number' || !Number.isSafeInteger(v.size) || v.size < 0)
    throw fail(file, `${where}.size`, 'a byte count', v.size);
  if (typeof v.sha256 !== 'string' || !HEX64.test(v.sha256))
    throw fail(file, `${where}.sha256`, '64 lower-case hex digits', v.sha256);
}

/** Reads an airgap.json, checking the format version and every file reference. */
export function parseManifest(text: string, file: string): BundleManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new AirgapError('MANIFEST_INVALID', `${file} is not valid JSON: ${(e as Error).message}`, {
      path: file,
      cause: e,
    });
  }
  if (!isObj(doc)) throw fail(file, 'top level', 'an object', doc);
  if (doc.formatVersion !== BUNDLE_FORMAT_VERSION) {
    throw fail(
      file,
      'formatVersion',
      `${BUNDLE_FORMAT_VERSION} (this airgap reads bundle format ${BUNDLE_FORMAT_VERSION})`,
      doc.formatVersion,
    );
  }
  for (const key of [
    'lockfiles',
    'providers',
    'binaries',
    'configs',
    'platforms',
    'mirrorIndexes',
  ] as const) {
    if (!Array.isArray(doc[key])) throw fail(file, key, 'a list', doc[key]);
  }
  (doc.lockfiles as unknown[]).forEach((l, i) => checkFileRef(l, file, `lockfiles[${i}]`));
  (doc.configs as unknown[]).forEach((c, i) => checkFileRef(c, file, `configs[${i}]`));
  (doc.mirrorIndexes as unknown[]).forEach((c, i) => checkFileRef(c, file, `mirrorIndexes[${i}]`));
  (doc.providers as unknown[]).forEach((p, i) => {
    if (!isObj(p) || !Array.isArray(p.packages))
      throw fail(file, `providers[${i}]`, 'an object with "packages"', p);
    p.packages.forEach((k, j) => checkFileRef(k, file, `providers[${i}].packages[${j}]`));
  });
  (doc.binaries as unknown[]).forEach((b, i) => {
    if (!isObj(b) || !Array.isArray(b.platforms))
      throw fail(file, `binaries[${i}]`, 'an object with "platforms"', b);
    b.platforms.forEach((k, j) => checkFileRef(k, file, `binaries[${i}].platforms[${j}]`));
    checkFileRef(b.sums, file, `binaries[${i}].sums`);
    checkFileRef(b.signature, file, `binaries[${i}].signature`);
  });
  if (doc.image !== undefined) {
    const image = doc.image;
    if (!isObj(image)) throw fail(file, 'image', 'an object', image);
    for (const key of ['layout', 'ref', 'digest'] as const) {
      if (typeof image[key] !== 'string' || image[key] === '')
        throw fail(file, `image.${key}`, 'a string', image[key]);
    }
    if (
      !isObj(image.base) ||
      typeof image.base.reference !== 'string' ||
      typeof image.base.digest !== 'string'
    ) {
      throw fail(file, 'image.base', '{"reference": ..., "digest": ...}', image.base);
    }
    if (!isObj(image.tool) || typeof image.tool.name !== 'string' || typeof image.tool.version !== 'string') {
      throw fail(file, 'image.tool', '{"name": ..., "version": ...}', image.tool);
    }
    if (!Array.isArray(image.platforms)) throw fail(file, 'image.platforms', 'a list', image.platforms);
    image.platforms.forEach((p, i) => {
      if (!isObj(p) || typeof p.platform !== 'string' || typeof p.manifest !== 'string') {
        throw fail(file, `image.platforms[${i}]`, '{"platform": ..., "manifest": ...}', p);
      }
    });
    if (!Array.isArray(image.files)) throw fail(file, 'image.files', 'a list', image.files);
    image.files.forEach((f, i) => checkFileRef(f, file, `image.files[${i}]`));
  }
  if (doc.resolved !== undefined) checkFileRef(doc.resolved, file, 'resolved');
  if (doc.sbom !== undefined) checkFileRef(doc.sbom, file, 'sbom');
  checkKind(doc, file);
  if (doc.modules !== undefined) {
    if (!Array.isArray(doc.modules)) throw fail(file, 'modules', 'a list', doc.modules);
    doc.modules.forEach((m, i) => {
      checkFileRef(m, file, `modules[${i}]`);
      const mod = m as Record<string, unknown>;
      for (const key of ['source', 'version', 'location'] as const) {
        if (typeof mod[key] !== 'string' || mod[key] === '')
          throw fail(file, `modules[${i}].${key}`, 'a string', mod[key]);
      }
      for (const key of ['commit', 'subdir'] as const) {
        if (mod[key] !== undefined && (typeof mod[key] !== 'string' || mod[key] === ''))
          throw fail(file, `modules[${i}].${key}`, 'a string when present', mod[key]);
      }
    });
  }
  if (doc.kind === 'delta') checkDelta(doc, file);
  return doc as unknown as BundleManifest;
}

function checkKind(doc: Record<string, unknown>, file: string): void {
  if (doc.kind !== 'full' && doc.kind !== 'delta') throw fail(file, 'kind', '"full" or "delta"', doc.kind);
  if (doc.kind === 'full' && doc.delta !== undefined)
    throw fail(file, 'delta', 'no delta section in a "full" bundle', doc.delta);
}

/**
 * A delta's section: the base it needs, and the files it leaves to that base, each one a
 * file the manifest lists (or its packed `toolPackage`) with the same size and sha256 (else the receiver would be told to
 * keep something the new state does not hold).
 */
function checkDelta(doc: Record<string, unknown>, file: string): void {
  const delta = doc.delta;
  if (!isObj(delta)) throw fail(file, 'delta', 'an object (kind is "delta")', delta);
  const base = delta.base;
  if (!isObj(base)) throw fail(file, 'delta.base', 'an object', base);
  if (typeof base.manifestSha256 !== 'string' || !HEX64.test(base.manifestSha256))
    throw fail(file, 'delta.base.manifestSha256', '64 lower-case hex digits', base.manifestSha256);
  if (
    base.bundleDigest !== undefined &&
    (typeof base.bundleDigest !== 'string' || !HEX64.test(base.bundleDigest))
  )
    throw fail(file, 'delta.base.bundleDigest', '64 lower-case hex digits when present', base.bundleDigest);
  if (typeof base.createdAt !== 'string' || base.createdAt === '')
    throw fail(file, 'delta.base.createdAt', 'a time', base.createdAt);
  if (!Array.isArray(delta.fromBase)) throw fail(file, 'delta.fromBase', 'a list', delta.fromBase);
  const listed = new Map(manifestFiles(doc as unknown as BundleManifest).map((f) => [f.path, f]));
  // A packed airgap.json's tool archive may be left to the base too (its sha256 unchanged).
  const tool = doc.toolPackage;
  if (isObj(tool) && typeof tool.path === 'string' && !listed.has(tool.path))
    listed.set(tool.path, tool as unknown as FileRef);
  const seen = new Set<string>();
  delta.fromBase.forEach((f, i) => {
    const where = `delta.fromBase[${i}]`;
    checkFileRef(f, file, where);
    const ref = f as FileRef;
    const own = listed.get(ref.path);
    if (own === undefined || own.sha256 !== ref.sha256 || own.size !== ref.size)
      throw fail(file, where, 'a file this airgap.json lists, with the same size and sha256', ref);
    if (seen.has(ref.path)) throw fail(file, where, 'each path once', ref.path);
    seen.add(ref.path);
  });
}
