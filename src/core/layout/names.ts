// Every on-disk name airgap reads or writes lives here, and nowhere else.
// Paths are POSIX, relative to a bundle (or mirror) root; adapters join them
// with the real root. The bundle format is specified in docs/BUNDLE-FORMAT.md.

import { hostnameForDisplayLenient } from '../provider/address.js';
import type { Platform } from '../provider/platform.js';

export interface ProviderCoords {
  hostname: string;
  namespace: string;
  type: string;
}

/** Top-level entries of a bundle directory. */
export const BUNDLE = {
  providersDir: 'providers',
  tofuDir: 'tofu',
  terraformDir: 'terraform',
  configDir: 'config',
  lockfilesDir: 'lockfiles',
  /** The runner image, an OCI image layout (mirror --image; docs/IMAGE-FORMAT.md). */
  imageDir: 'image',
  /** Registry modules: modules/HOST/NS/NAME/SYSTEM/VERSION.zip (docs/BUNDLE-FORMAT.md). */
  modulesDir: 'modules',
  manifest: 'airgap.json',
  /** What the spec asked for and what it resolved to (docs/BUNDLE-FORMAT.md, "airgap.lock.json"). */
  resolved: 'airgap.lock.json',
  /** The CycloneDX 1.6 SBOM of the bundle (docs/SBOM-FORMAT.md); an import keeps it for `--push`. */
  sbom: 'sbom.cdx.json',
  checksums: 'SHA256SUMS',
  checksumsSignature: 'SHA256SUMS.sig',
} as const;

/** Prefix of every temporary file or directory airgap creates; a crash can leave these, and re-runs delete them. */
export const TEMP_PREFIX = '.airgap-tmp-';

/** Added when a bundle is packed for transfer (docs/TRANSFER-FORMAT.md). */
export const TRANSFER = {
  /** The tool itself, installable offline with `npm install -g ./tool/airgap-VERSION.tgz`. */
  toolDir: 'tool',
  /** Split parts: FILE.000, FILE.001, ... */
  partSuffix: (n: number): string => `.${String(n).padStart(3, '0')}`,
} as const;

/** User metadata airgap puts on the S3 objects it writes (x-amz-meta-NAME; docs/S3.md). */
export const S3_METADATA = {
  /** Lower-case hex sha256 of the object's bytes: what `sha256sum` prints for the downloaded file. */
  sha256: 'sha256',
  /** On the checksum object: the sha256 of the whole tarball, all parts together. */
  tarballSha256: 'airgap-tarball-sha256',
  /** On every object of an export: what the tarball holds (core/s3/content-id.ts), known before it is streamed. */
  contentId: 'airgap-content-id',
} as const;

/**
 * Beside an exported KEY in S3: the `sha256sum` lines of KEY (or of KEY.000, KEY.001,
 * ...). Not `KEY.something`: `cat KEY.*` must still join the split parts.
 */
export const S3_CHECKSUM_SUFFIX = '_SHA256SUMS';

export function toolPackagePath(version: string): string {
  return `${TRANSFER.toolDir}/airgap-${version}.tgz`;
}

/** On the isolated host, inside an import destination (docs/TRANSFER-FORMAT.md). */
export const IMPORT = {
  providersDir: 'providers',
  binDir: 'bin',
  tofurc: 'tofurc',
  ociTofurc: 'tofurc.oci',
  /** The CLI configuration `airgap publish` writes for the network mirror it published (docs/PUBLISH.md). */
  networkMirrorTofurc: 'tofurc.network-mirror',
  /** The bundle's runner image (OCI image layout), what `import --push` pushes. */
  imageDir: 'image',
  /** Registry modules, as in a bundle: modules/HOST/NS/NAME/SYSTEM/VERSION.zip (what `airgap serve` serves). */
  modulesDir: 'modules',
  state: 'airgap-state.json',
  /** The bundle's SBOM, kept in each generation (not linked into DIR) for `import --push`. */
  sbom: BUNDLE.sbom,
  /** Staging for an import in progress; a crash leaves it, the next import removes it. */
  staging: `${TEMP_PREFIX}import`,
  /** The import lock: a symlink whose target names the process holding it (docs/IMPORT-STATE.md). */
  lock: `${TEMP_PREFIX}import.lock`,
} as const;

/**
 * What `airgap publish` writes: the mirror goes to PREFIX/providers/ in the bucket (as
 * under a bundle), and the CLI configuration naming it to tofurc.network-mirror.
 */
export const PUBLISH = {
  providersPrefix: `${BUNDLE.providersDir}/`,
  tofurc: IMPORT.networkMirrorTofurc,
} as const;

/** Generated configuration, bundle-relative. */
export const CONFIG_FILES = {
  tofurc: 'config/tofurc',
  workflow: 'config/workflow.yml',
  dockerfile: 'config/Dockerfile',
} as const;

/** Names inside the packed provider mirror (the `terraform providers mirror` layout). */
export const MIRROR = {
  index: 'index.json',
} as const;

/** Hostnames appear in display form (IDN labels in Unicode), as lock files and `tofu providers mirror` write them. */
export function providerDir(p: ProviderCoords): string {
  return `${hostnameForDisplayLenient(p.hostname)}/${p.namespace}/${p.type}`;
}

export function providerZipName(type: string, version: string, platform: Platform): string {
  return `terraform-provider-${type}_${version}_${platform.os}_${platform.arch}.zip`;
}

/** Path of a provider zip relative to the mirror root (the `providers/` directory). */
export function providerZipPath(p: ProviderCoords, version: string, platform: Platform): string {
  return `${providerDir(p)}/${providerZipName(p.type, version, platform)}`;
}

export function providerIndexPath(p: ProviderCoords): string {
  return `${providerDir(p)}/${MIRROR.index}`;
}

export function providerVersionJsonPath(p: ProviderCoords, version: string): string {
  return `${providerDir(p)}/${version}.json`;
}

export const LOCKFILE_NAME = '.terraform.lock.hcl';

/**
 * Version files of the version managers (tofuenv, tfenv, tenv): one version or
 * constraint each. `airgap init` proposes what they name under `binaries`.
 */
export const VERSION_FILE_NAMES = { tofu: '.opentofu-version', terraform: '.terraform-version' } as const;

/** Directories never searched for lock files. */
export const LOCKFILE_SEARCH_SKIP: readonly string[] = ['.terraform', 'node_modules', '.git'];

/** Top-level directory of one tool's release binaries in a bundle: "tofu" or "terraform". */
export function releaseToolDir(tool: 'tofu' | 'terraform'): string {
  return tool === 'tofu' ? BUNDLE.tofuDir : BUNDLE.terraformDir;
}

/** Where one release's zips, SHA256SUMS and signature are stored, as downloaded: "tofu/1.8.5". */
export function releaseDir(tool: 'tofu' | 'terraform', version: string): string {
  return `${releaseToolDir(tool)}/${version}`;
}

/**
 * The lock file airgap writes for airgap.yaml's `providers:` (docs/SPEC-FORMAT.md,
 * "providers"), bundle-relative: one block per provider, at the newest version mirrored.
 */
export const PROVIDERS_LOCKFILE = `${BUNDLE.lockfilesDir}/airgap-providers.terraform.lock.hcl`;

/** A registry module's address: HOST/NAMESPACE/NAME/SYSTEM (the Module Registry Protocol's). */
export interface ModuleCoords {
  hostname: string;
  namespace: string;
  name: string;
  system: string;
}

/** "HOST/NS/NAME/SYSTEM", the host in display form, as the module's directory under modules/. */
export function moduleDir(m: ModuleCoords): string {
  return `${hostnameForDisplayLenient(m.hostname)}/${m.namespace}/${m.name}/${m.system}`;
}

/** Bundle-relative path of one module version's package: modules/HOST/NS/NAME/SYSTEM/VERSION.zip. */
export function modulePackagePath(m: ModuleCoords, version: string): string {
  return `${BUNDLE.modulesDir}/${moduleDir(m)}/${version}.zip`;
}

/**
 * URL paths of `airgap serve` (docs/SERVE.md). Files are served at their root-relative
 * path (the bundle's, or the live generation's), so providers/ and modules/ are those names.
 */
export const SERVE_URL = {
  providers: BUNDLE.providersDir,
  modules: BUNDLE.modulesDir,
  /** The Module Registry Protocol's base: /v1/modules/HOST/NS/NAME/SYSTEM/... */
  moduleApi: 'v1/modules',
} as const;

/** What `airgap serve` writes into its --out directory (never into the directory it serves). */
export const SERVE_FILES = {
  /** The CLI configuration a runner needs (TF_CLI_CONFIG_FILE). */
  cliConfig: 'airgap-serve.tfrc',
  /** --self-signed: the CA certificate runners trust (SSL_CERT_FILE); its key is never stored. */
  caCert: 'airgap-serve-ca.pem',
  /** --self-signed: the server's certificate (signed by that CA) and key. */
  cert: 'airgap-serve-cert.pem',
  key: 'airgap-serve-key.pem',
} as const;
