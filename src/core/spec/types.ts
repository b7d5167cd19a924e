// The typed form of airgap.yaml (docs/SPEC-FORMAT.md), as parseSpec returns it. Only
// what the file says is here: a key the file leaves out is absent, so the caller can
// tell "set in the file" from "not set" and fill defaults (the flags' defaults) itself.
// Every value keeps where it was written, so an error found later ("no version of
// hashicorp/aws matches ~> 9.0") can point at airgap.yaml:LINE:COL.

import type { ModuleSource } from '../module/address.js';
import type { ProviderAddress } from '../provider/address.js';
import type { ReleaseTool } from '../releases/types.js';

/** The one format version this parser reads. */
export const SPEC_API_VERSION = 'airgap/v1';

/** The file `airgap mirror` looks for in the working directory (without -f). */
export const SPEC_FILE_NAME = 'airgap.yaml';

/**
 * The registry a short provider address ("hashicorp/aws") names when the file has no
 * `defaultRegistry`: OpenTofu's, as tofu itself reads it and as airgap's default
 * workflow tool (tofu) will install it. See docs/SPEC-FORMAT.md, "defaultRegistry".
 */
export const SPEC_DEFAULT_REGISTRY = 'registry.opentofu.org';

/** Where a value was written: 1-based line and column (columns count UTF-16 code units, as `yaml` does). */
export interface SourcePosition {
  line: number;
  col: number;
}

/**
 * A value and where it was written. For a scalar or a flow collection (`[a, b]`,
 * `{a: 1}`) that is where the value starts; for a block map or list, or an empty value,
 * it is where its key starts (the value itself begins on the next line, or nowhere).
 */
export interface Located<T> {
  value: T;
  at: SourcePosition;
}

/** A list and each of its items, each with its position. */
export type LocatedList<T> = Located<Located<T>[]>;

export interface Spec {
  /** The file name the positions refer to, as given to parseSpec. */
  file: string;
  apiVersion: Located<typeof SPEC_API_VERSION>;
  /** Normalized hostname (display form); absent: SPEC_DEFAULT_REGISTRY was used. */
  defaultRegistry?: Located<string>;
  /** OS_ARCH strings (`--platform`). */
  platforms?: LocatedList<string>;
  /** Paths, globs or directories, relative to the spec file's directory, as written (`--lockfile`, `--dir`). */
  lockfiles?: LocatedList<string>;
  /** In the order written. */
  providers?: Located<SpecProvider[]>;
  /** `--local-provider`, in the order written. */
  localProviders?: Located<SpecLocalProvider[]>;
  binaries?: Located<SpecBinaries>;
  /** Present: build the runner image (`--image`), unless `build: false`. */
  image?: Located<SpecImage>;
  configs?: Located<SpecConfigs>;
  output?: Located<SpecOutput>;
  registries?: Located<SpecRegistries>;
  /** Registry modules to carry (`--module`), in the order written. */
  modules?: Located<SpecModule[]>;
  /** Directories of .tf files whose registry `module` calls are carried (`--configuration`), as written. */
  configurations?: LocatedList<string>;
}

/** One entry of `modules:`: a registry module and the versions to carry. */
export interface SpecModule {
  /** The key as written, at the key's position. */
  source: Located<string>;
  /** The short form resolved against defaultRegistry, else the workflow tool's registry. */
  address: ModuleSource;
  /** "HOST/NS/NAME/SYSTEM" */
  key: string;
  /** Constraints in the module `version` syntax, each as written; at least one. */
  versions: LocatedList<string>;
}

/** One entry of `providers:`, mirrored without a lock file. */
export interface SpecProvider {
  /** The key as written ("hashicorp/aws"), at the key's position. */
  source: Located<string>;
  /** Fully qualified, the short form resolved against the default registry. */
  address: ProviderAddress;
  /** The canonical "host/namespace/type", as lock files write it. */
  key: string;
  /** Constraints (or exact versions) in tofu's syntax, each as written; at least one. */
  versions: LocatedList<string>;
  /** true: every listed version that matches; absent or false: the newest match of each constraint. */
  all?: Located<boolean>;
}

/** One entry of `localProviders:` (what `--local-provider HOST/NS/TYPE@VERSION=OS_ARCH:PATH` says). */
export interface SpecLocalProvider {
  /** The whole entry. */
  at: SourcePosition;
  source: Located<string>;
  address: ProviderAddress;
  key: string;
  /** Canonical MAJOR.MINOR.PATCH[-PRE][+META]. */
  version: Located<string>;
  /** OS_ARCH. */
  platform: Located<string>;
  /** A zip or a bare executable, relative to the spec file's directory. */
  path: Located<string>;
}

export type SpecBinaries = Partial<Record<ReleaseTool, SpecBinary>>;

/** `binaries.tofu` / `binaries.terraform`: the `--tofu*` / `--terraform*` flags. */
export interface SpecBinary {
  at: SourcePosition;
  /** Versions or constraints in tofu's syntax, each as written; at least one. */
  versions: LocatedList<string>;
  /** Public key file replacing the pinned release key (`--tofu-key`). */
  key?: Located<string>;
  /** Release list URL (`--tofu-api-url`). */
  apiUrl?: Located<string>;
  /** Release files URL (`--tofu-base-url`). */
  baseUrl?: Located<string>;
}

export interface SpecImage {
  /** false: only set the base for config/Dockerfile, build no image. Absent: true. */
  build?: Located<boolean>;
  /** `--base-image`, as written (a path inside oci:/oci-archive:/docker-archive: is relative to the spec file). */
  base?: Located<string>;
  /** PEM files appended to the image's CA bundle (`--ca-cert-into-image`). */
  caCertificates?: LocatedList<string>;
  /** `--image-archive*`. */
  archive?: Located<SpecImageArchive>;
  /** `--base-registry-insecure`. */
  registryInsecure?: Located<boolean>;
  /** The `airgap serve` the image's CLI configuration points module hosts at. */
  serve?: Located<SpecImageServe>;
}

export interface SpecImageServe {
  /** https://HOST[:PORT], as written. */
  url: Located<string>;
}

export interface SpecImageArchive {
  file: Located<string>;
  /** OS_ARCH; absent: linux_amd64, or the only platform. */
  platform?: Located<string>;
  /** NAME:TAG; absent: airgap-runner:latest. */
  tag?: Located<string>;
}

export interface SpecConfigs {
  /** Absolute path on the isolated side (`--mirror-path`). */
  mirrorPath?: Located<string>;
  /** `--network-mirror-url`, as written. */
  networkMirrorUrl?: Located<string>;
  /** HOST/NS/TYPE patterns, as written (`--allow-direct`). */
  allowDirect?: LocatedList<string>;
  workflowTool?: Located<ReleaseTool>;
}

export type SpecCompression = 'none' | 'gzip';

export interface SpecOutput {
  /** Bundle directory (`--out`). */
  dir?: Located<string>;
  tarball?: Located<string>;
  compress?: Located<SpecCompression>;
  /** In bytes (`--split-size`, e.g. "4G"). */
  splitSize?: Located<number>;
  /** Armored OpenPGP private key file; the passphrase stays in AIRGAP_SIGN_PASSPHRASE. */
  signKey?: Located<string>;
  toolPackage?: Located<string>;
  /** Pack a delta against this (`export --base`): a previous bundle, or an `airgap inventory`. */
  base?: Located<string>;
  /** Public keys whose signature on a base tarball or signed inventory is accepted (`export --trusted-key`). */
  baseTrustedKeys?: LocatedList<string>;
}

export interface SpecRegistries {
  /** Extra PEM CA certificates to trust (`--ca-cert`). */
  caCertificates?: LocatedList<string>;
}
