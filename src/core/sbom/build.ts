// sbom.cdx.json: a CycloneDX 1.6 description of everything a bundle carries and where
// each piece came from (docs/SBOM-FORMAT.md). Pure: the bundle's manifest (without the
// SBOM's own entry), what the run learnt while verifying (download URLs, the keys
// that signed each SHA256SUMS), the runner image's added layers, and the tool's own
// npm packages in; the document out. The same inputs give the same bytes: every list
// is in manifest order (sorted), the serial number is derived from the content, and
// the timestamp is an input (SOURCE_DATE_EPOCH, else a fixed date).

import type {
  BundleManifest,
  FileRef,
  ManifestBinary,
  ManifestImage,
  ManifestModule,
} from '../bundle/manifest.js';
import { BUNDLE } from '../layout/names.js';
import { parseBaseImageReference } from '../oci/base-reference.js';
import { redactUrl } from '../redact.js';
import { releaseFiles, releaseUrl } from '../releases/files.js';
import {
  CDX_SPEC_VERSION,
  contentUuid,
  purl,
  type CdxBom,
  type CdxComponent,
  type CdxExternalReference,
  type CdxProperty,
} from './cyclonedx.js';
import { integrityHash, type BundledNpmPackage } from './npm-packages.js';

/** Property names (namespace "airgap:"; docs/SBOM-FORMAT.md lists each). */
export const SBOM_PROPERTY = {
  /** Bundle-relative path of the file the component is: what `airgap verify` matches. */
  path: 'airgap:path',
  role: 'airgap:role',
  platform: 'airgap:platform',
  address: 'airgap:provider:address',
  source: 'airgap:provider:source',
  h1: 'airgap:hash:h1',
  zh: 'airgap:hash:zh',
  downloadUrl: 'airgap:download-url',
  sumsUrl: 'airgap:sha256sums-url',
  primaryKey: 'airgap:signature:primary-key-fingerprint',
  signingKey: 'airgap:signature:signing-key-fingerprint',
  keyExpiredSince: 'airgap:signature:key-expired-since',
  moduleLocation: 'airgap:module:location',
  moduleCommit: 'airgap:module:commit',
  moduleSubdir: 'airgap:module:subdir',
  imageRef: 'airgap:image:ref',
  imageTool: 'airgap:image:tool',
  layerDigest: 'airgap:image:added-layer',
  layerMode: 'airgap:image:mode',
  npmPath: 'airgap:npm:path',
  platforms: 'airgap:bundle:platforms',
} as const;

export interface SignedBy {
  primaryKeyFingerprint: string;
  signingKeyFingerprint: string;
}

/** What verifying a registry provider package established (absent for --local-provider ones). */
export interface ProviderProvenance {
  downloadUrl: string;
  sumsUrl: string;
  signedBy: SignedBy;
}

export interface AddedLayerFile {
  /** Rootfs-relative, no leading "/". */
  name: string;
  size: number;
  sha256: string;
  mode: number;
}

/** One platform's layer that `mirror --image` added over the base. */
export interface AddedLayer {
  platform: string;
  digest: string;
  files: AddedLayerFile[];
}

export interface SbomInput {
  /** The bundle's manifest as it will be written, minus the SBOM's own entry. */
  manifest: BundleManifest;
  timestamp: Date;
  toolVersion: string;
  /** By the package's bundle-relative path. */
  providers: ReadonlyMap<string, ProviderProvenance>;
  /** Release base URL per tool (--tofu-base-url / --terraform-base-url): each file's download URL. */
  releaseUrls: ReadonlyMap<string, string>;
  /** Per platform of the runner image, sorted by platform. */
  addedLayers: readonly AddedLayer[];
  npmPackages: readonly BundledNpmPackage[];
}

const TOOL_REF = 'tool:airgap';

export function fileRef(path: string): string {
  return `file:${path}`;
}

function props(entries: [string, string | undefined][]): CdxProperty[] {
  return entries
    .filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '')
    .map(([name, value]) => ({ name, value }));
}

function sha256Hash(hex: string): { alg: 'SHA-256'; content: string }[] {
  return [{ alg: 'SHA-256', content: hex }];
}

function digestHex(digest: string): string {
  return digest.startsWith('sha256:') ? digest.slice('sha256:'.length) : digest;
}

function distribution(url: string | undefined, sha256: string): CdxExternalReference[] | undefined {
  if (url === undefined) return undefined;
  return [{ type: 'distribution', url, hashes: sha256Hash(sha256) }];
}

/** A plain bundle file (lock file, config, mirror JSON, airgap.lock.json, image layout file). */
function plainFile(f: FileRef, role: string): CdxComponent {
  return {
    type: 'file',
    'bom-ref': fileRef(f.path),
    name: f.path,
    hashes: sha256Hash(f.sha256),
    properties: props([
      [SBOM_PROPERTY.path, f.path],
      [SBOM_PROPERTY.role, role],
    ]),
  };
}

function providerComponents(m: BundleManifest, provenance: SbomInput['providers']): CdxComponent[] {
  return m.providers.flatMap((p) => {
    const [host = '', namespace = '', type = ''] = p.address.split('/');
    return p.packages.map((k): CdxComponent => {
      const from = k.source === 'registry' ? provenance.get(k.path) : undefined;
      return {
        type: 'library',
        'bom-ref': fileRef(k.path),
        name: p.address,
        version: p.version,
        description: `${k.path.slice(k.path.lastIndexOf('/') + 1)}`,
        hashes: sha256Hash(k.sha256),
        purl: purl('generic', [host, namespace], type, p.version, {
          checksum: `sha256:${k.sha256}`,
          download_url: from?.downloadUrl,
          platform: k.platform,
        }),
        ...optional('externalReferences', distribution(from?.downloadUrl, k.sha256)),
        properties: props([
          [SBOM_PROPERTY.path, k.path],
          [SBOM_PROPERTY.role, 'provider-package'],
          [SBOM_PROPERTY.address, p.address],
          [SBOM_PROPERTY.platform, k.platform],
          [SBOM_PROPERTY.source, k.source],
          [SBOM_PROPERTY.h1, k.hashes.find((h) => h.startsWith('h1:'))],
          [SBOM_PROPERTY.zh, k.hashes.find((h) => h.startsWith('zh:'))],
          [SBOM_PROPERTY.downloadUrl, from?.downloadUrl],
          [SBOM_PROPERTY.sumsUrl, from?.sumsUrl],
          [SBOM_PROPERTY.primaryKey, from?.signedBy.primaryKeyFingerprint],
          [SBOM_PROPERTY.signingKey, from?.signedBy.signingKeyFingerprint],
        ]),
      };
    });
  });
}

function binaryComponents(m: BundleManifest, baseUrls: SbomInput['releaseUrls']): CdxComponent[] {
  return m.binaries.flatMap((b: ManifestBinary) => {
    const vendor = b.tool === 'tofu' ? 'opentofu' : 'hashicorp';
    const base = baseUrls.get(b.tool);
    // The remote path of each file (BASE/v1.8.5/... or BASE/1.9.8/...), from the one place that knows it.
    const remote = releaseFiles(b.tool, b.version, b.platforms[0]?.platform ?? 'linux_amd64');
    const remoteDir = remote.sumsPath.slice(0, remote.sumsPath.lastIndexOf('/') + 1);
    const url = (path: string): string | undefined =>
      base === undefined
        ? undefined
        : redactUrl(releaseUrl(base, `${remoteDir}${path.slice(path.lastIndexOf('/') + 1)}`));
    const signed: [string, string][] = [
      [SBOM_PROPERTY.primaryKey, b.verifiedBy.primaryKeyFingerprint],
      [SBOM_PROPERTY.signingKey, b.verifiedBy.signingKeyFingerprint],
      [SBOM_PROPERTY.keyExpiredSince, String(b.verifiedBy.keyExpiredSince)],
    ];
    const zips = b.platforms.map((p): CdxComponent => {
      const downloadUrl = url(p.path);
      return {
        type: 'application',
        'bom-ref': fileRef(p.path),
        name: b.tool,
        version: b.version,
        description: p.path.slice(p.path.lastIndexOf('/') + 1),
        hashes: sha256Hash(p.sha256),
        purl: purl('generic', [vendor], b.tool, b.version, {
          checksum: `sha256:${p.sha256}`,
          download_url: downloadUrl,
          platform: p.platform,
        }),
        ...optional('externalReferences', distribution(downloadUrl, p.sha256)),
        properties: props([
          [SBOM_PROPERTY.path, p.path],
          [SBOM_PROPERTY.role, 'release-zip'],
          [SBOM_PROPERTY.platform, p.platform],
          [SBOM_PROPERTY.downloadUrl, downloadUrl],
          [SBOM_PROPERTY.sumsUrl, url(b.sums.path)],
          ...signed,
        ]),
      };
    });
    const side = (f: FileRef, role: string): CdxComponent => {
      const c = plainFile(f, role);
      const downloadUrl = url(f.path);
      return {
        ...c,
        ...optional('externalReferences', distribution(downloadUrl, f.sha256)),
        properties: [
          ...(c.properties ?? []),
          ...props([[SBOM_PROPERTY.downloadUrl, downloadUrl], ...signed]),
        ],
      };
    };
    return [...zips, side(b.sums, 'release-sha256sums'), side(b.signature, 'release-signature')];
  });
}

function moduleComponents(modules: readonly ManifestModule[]): CdxComponent[] {
  return modules.map((mod): CdxComponent => {
    const [host = '', namespace = '', name = '', system = ''] = mod.source.split('/');
    const git = mod.location.startsWith('git::') ? mod.location.slice('git::'.length) : undefined;
    const vcsUrl =
      git === undefined
        ? undefined
        : `git+${git.split('?')[0]}${mod.commit === undefined ? '' : `@${mod.commit}`}`;
    const external: CdxExternalReference[] =
      git === undefined ? [{ type: 'distribution', url: mod.location }] : [{ type: 'vcs', url: git }];
    return {
      type: 'library',
      'bom-ref': fileRef(mod.path),
      name: mod.source,
      version: mod.version,
      hashes: sha256Hash(mod.sha256),
      purl: purl('generic', [host, namespace, name], system, mod.version, {
        checksum: `sha256:${mod.sha256}`,
        download_url: git === undefined ? mod.location : undefined,
        vcs_url: vcsUrl,
      }),
      ...optional('externalReferences', isUrl(external[0]!.url) ? external : undefined),
      properties: props([
        [SBOM_PROPERTY.path, mod.path],
        [SBOM_PROPERTY.role, 'module-package'],
        [SBOM_PROPERTY.moduleLocation, mod.location],
        [SBOM_PROPERTY.moduleCommit, mod.commit],
        [SBOM_PROPERTY.moduleSubdir, mod.subdir],
      ]),
    };
  });
}

function isUrl(text: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/[^\s]+$/i.test(text);
}

function imageComponent(image: ManifestImage, layers: readonly AddedLayer[]): CdxComponent {
  const base = parseBaseImageReference(image.base.reference);
  const basePurl =
    base.kind === 'registry'
      ? purl('oci', [], base.repository.slice(base.repository.lastIndexOf('/') + 1), image.base.digest, {
          repository_url: `${base.registry}/${base.repository}`,
          tag: base.tag,
        })
      : undefined;
  const baseComponent: CdxComponent = {
    type: 'container',
    'bom-ref': 'image:base',
    name: image.base.reference,
    version: image.base.digest,
    hashes: sha256Hash(digestHex(image.base.digest)),
    ...optional('purl', basePurl),
    properties: props([[SBOM_PROPERTY.role, 'base-image']]),
  };
  const byPlatform = new Map(layers.map((l) => [l.platform, l]));
  const platforms = image.platforms.map((p): CdxComponent => {
    const layer = byPlatform.get(p.platform);
    return {
      type: 'container',
      'bom-ref': `image:${p.platform}`,
      name: `runner image ${p.platform}`,
      version: p.manifest,
      hashes: sha256Hash(digestHex(p.manifest)),
      properties: props([
        [SBOM_PROPERTY.role, 'image-manifest'],
        [SBOM_PROPERTY.platform, p.platform],
        [SBOM_PROPERTY.layerDigest, layer?.digest],
      ]),
      ...optional(
        'components',
        layer?.files.map((f): CdxComponent => ({
          type: 'file',
          'bom-ref': `image:${p.platform}:/${f.name}`,
          name: `/${f.name}`,
          hashes: sha256Hash(f.sha256),
          properties: props([
            [SBOM_PROPERTY.role, 'image-layer-file'],
            [SBOM_PROPERTY.layerMode, f.mode.toString(8).padStart(4, '0')],
          ]),
        })),
      ),
    };
  });
  return {
    type: 'container',
    'bom-ref': 'image',
    name: 'runner image',
    version: image.digest,
    hashes: sha256Hash(digestHex(image.digest)),
    properties: props([
      [SBOM_PROPERTY.role, 'image-index'],
      [SBOM_PROPERTY.imageRef, image.ref],
      [SBOM_PROPERTY.imageTool, `${image.tool.name} ${image.tool.version}`],
    ]),
    components: [baseComponent, ...platforms, ...image.files.map((f) => plainFile(f, 'image-layout-file'))],
  };
}

function toolComponent(version: string, packages: readonly BundledNpmPackage[]): CdxComponent {
  return {
    type: 'application',
    'bom-ref': TOOL_REF,
    name: 'airgap',
    version,
    purl: purl('npm', [], 'airgap', version),
    properties: props([[SBOM_PROPERTY.role, 'tool']]),
    components: packages.map((p): CdxComponent => {
      const slash = p.name.startsWith('@') ? p.name.indexOf('/') : -1;
      const hash = integrityHash(p.integrity);
      return {
        type: 'library',
        'bom-ref': `npm:${p.path}`,
        name: slash < 0 ? p.name : p.name.slice(slash + 1),
        ...(slash < 0 ? {} : { group: p.name.slice(0, slash) }),
        version: p.version,
        ...optional('hashes', hash === undefined ? undefined : [{ alg: hash.alg, content: hash.hex }]),
        purl: purl(
          'npm',
          slash < 0 ? [] : [p.name.slice(0, slash)],
          slash < 0 ? p.name : p.name.slice(slash + 1),
          p.version,
        ),
        ...optional(
          'externalReferences',
          p.resolved === undefined || !isUrl(p.resolved)
            ? undefined
            : [{ type: 'distribution' as const, url: p.resolved }],
        ),
        properties: props([[SBOM_PROPERTY.npmPath, p.path]]),
      };
    }),
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function buildSbom(input: SbomInput): CdxBom {
  const m = input.manifest;
  const components: CdxComponent[] = [
    ...providerComponents(m, input.providers),
    ...binaryComponents(m, input.releaseUrls),
    ...moduleComponents(m.modules ?? []),
    ...(m.image === undefined ? [] : [imageComponent(m.image, input.addedLayers)]),
    ...m.lockfiles.map((f) => plainFile(f, 'lockfile')),
    ...m.configs.map((f) => plainFile(f, `config-${f.kind}`)),
    ...m.mirrorIndexes.map((f) => plainFile(f, 'mirror-index')),
    ...(m.resolved === undefined ? [] : [plainFile(m.resolved, 'resolved')]),
    toolComponent(input.toolVersion, input.npmPackages),
  ];
  const unsigned: Omit<CdxBom, 'serialNumber'> = {
    bomFormat: 'CycloneDX',
    specVersion: CDX_SPEC_VERSION,
    version: 1,
    metadata: {
      timestamp: rfc3339(input.timestamp),
      tools: { components: [{ type: 'application', name: 'airgap', version: input.toolVersion }] },
      component: {
        type: 'data',
        'bom-ref': 'bundle',
        name: 'airgap bundle',
        description: `an airgap bundle (${BUNDLE.manifest} format ${m.formatVersion})`,
        properties: props([[SBOM_PROPERTY.platforms, m.platforms.join(',')]]),
      },
    },
    components,
    dependencies: [
      { ref: 'bundle', dependsOn: components.map((c) => c['bom-ref']) },
      { ref: TOOL_REF, dependsOn: input.npmPackages.map((p) => `npm:${p.path}`) },
    ],
  };
  const serialNumber = `urn:uuid:${contentUuid(JSON.stringify(unsigned))}`;
  const { metadata, ...rest } = unsigned;
  return {
    bomFormat: rest.bomFormat,
    specVersion: rest.specVersion,
    serialNumber,
    version: 1,
    metadata,
    components,
    dependencies: rest.dependencies,
  };
}

export function renderSbom(bom: CdxBom): string {
  return `${JSON.stringify(bom, null, 2)}\n`;
}
