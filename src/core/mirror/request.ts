// What one `airgap mirror` (or `airgap plan`) run is asked to put in the bundle: the
// spec file (airgap.yaml) with the command line's flags laid over it, defaults filled
// in, paths resolved. Pure: the command reads the file and hands its parsed form in.
//
// Precedence (docs/SPEC-FORMAT.md, "Flags and the file"): a flag given on the command
// line wins for that run; a repeatable flag replaces the file's list (it does not add
// to it); a key neither sets takes the default below.

import { isS3Url } from '../s3/url.js';
import { DEFAULT_BASE_IMAGE, DEFAULT_MIRROR_PATH, type WorkflowTool } from '../config/index.js';
import { AirgapError } from '../errors.js';
import { DEFAULT_PLATFORMS } from '../provider/platform.js';
import {
  DEFAULT_TERRAFORM_API_URL,
  DEFAULT_TERRAFORM_BASE_URL,
  DEFAULT_TOFU_API_URL,
  DEFAULT_TOFU_BASE_URL,
} from '../releases/index.js';
import { defaultModuleHost, requireModuleSource, type ModuleSource } from '../module/address.js';
import { scanVersionConstraints } from '../provider/version.js';
import { resolveSpecPath } from '../spec/paths.js';
import type { Located, Spec, SpecProvider } from '../spec/types.js';
import { parseServeBaseUrl } from '../serve/listen.js';

export const DEFAULT_IMAGE_ARCHIVE_TAG = 'airgap-runner:latest';

/** The values of `airgap mirror`'s flags that the user gave; absent: not on the command line. */
export interface MirrorFlagValues {
  lockfile?: string[];
  dir?: string[];
  platform?: string[];
  out?: string;
  'local-provider'?: string[];
  'ca-cert'?: string[];
  tofu?: string[];
  'tofu-api-url'?: string;
  'tofu-base-url'?: string;
  'tofu-key'?: string;
  terraform?: string[];
  'terraform-api-url'?: string;
  'terraform-base-url'?: string;
  'terraform-key'?: string;
  'mirror-path'?: string;
  'network-mirror-url'?: string;
  'allow-direct'?: string[];
  'workflow-tool'?: string;
  'base-image'?: string;
  image?: boolean;
  'base-registry-insecure'?: boolean;
  'ca-cert-into-image'?: string;
  'image-archive'?: string;
  'image-archive-platform'?: string;
  'image-archive-tag'?: string;
  tarball?: string;
  compress?: string;
  /** Already parsed to bytes by the command (700M, 4G). */
  'split-size'?: number;
  'sign-key'?: string;
  'tool-package'?: string;
  /** SOURCE@CONSTRAINT, repeatable. */
  module?: string[];
  /** Directories of .tf files, repeatable. */
  configuration?: string[];
}

/** One registry module the run carries, with what asked for it. */
export interface ModuleWanted {
  /** As written. */
  source: string;
  address: ModuleSource;
  /** Constraints; empty: the newest version. */
  constraints: string[];
  /** What asked: "modules" (the spec) or "--module". */
  from: string;
}

/** A lock-file path, directory or glob from the spec, as written (relative to the spec's directory). */
export interface LockfilePattern {
  text: string;
  line: number;
  col: number;
}

export interface ReleaseRequest {
  /** Versions or constraints (tofu syntax); empty for none. */
  versions: string[];
  apiUrl: string;
  baseUrl: string;
  /** Trusted keys replacing the pinned release key. */
  keyFile?: string;
}

export interface ConfigRequest {
  /** In-image (or isolated-host) path of the mirror; absent with networkMirrorUrl. */
  mirrorPath?: string;
  networkMirrorUrl?: string;
  allowDirect: string[];
  workflowTool: WorkflowTool;
  baseImage: string;
}

export interface ImageRequest {
  baseImage: string;
  /** Plain http to the base's registry (anonymously). */
  baseRegistryInsecure: boolean;
  /** PEM files appended to the image's CA bundle, with where each was named. */
  caCerts: { file: string; from: string }[];
  /** A `docker load` archive of one platform. */
  archive?: { file: string; platform: string; tag: string };
  /** `image.serve.url`, normalized (https://HOST[:PORT]): module hosts point at this serve. */
  serveUrl?: string;
}

export interface PackRequest {
  tarball: string;
  compress: 'none' | 'gzip';
  splitSize?: number;
  signKeyFile?: string;
  toolPackage?: string;
  /** output.base: pack a delta against this (export --base); its keys from output.baseTrustedKeys. */
  base?: { source: string; trustedKeyFiles: string[]; insecureSkipSignature: false };
}

export interface MirrorRequest {
  /** The airgap.yaml the run read, if any. */
  specFile?: string;
  platforms: string[];
  /** Lock files named one by one (--lockfile), as given. */
  lockfiles: string[];
  /** Directories searched for lock files (--dir), as given. */
  dirs: string[];
  /** Lock-file paths and globs from the spec (empty when --lockfile or --dir replaced them). */
  lockfilePatterns: LockfilePattern[];
  /** Providers the spec names by constraint, with no lock file. */
  providers: SpecProvider[];
  /** In-house packages, HOST/NS/TYPE@VERSION=OS_ARCH:PATH (paths resolved). */
  localProviders: string[];
  outDir: string;
  /** Extra CAs trusted for every registry. */
  caCertFiles: string[];
  binaries: { tofu: ReleaseRequest; terraform: ReleaseRequest };
  configs: ConfigRequest;
  /** Absent: no runner image is built. */
  image?: ImageRequest;
  /** Absent: the bundle is not packed. */
  pack?: PackRequest;
  /** Registry modules named directly (spec `modules:`, --module). */
  modules: ModuleWanted[];
  /** Directories whose .tf files' registry module calls are carried (spec `configurations:`, --configuration). */
  configurations: string[];
  /** The registry a short module address names (defaultRegistry, else the workflow tool's own). */
  moduleDefaultHost: string;
}

/** Where the request's relative paths are anchored. */
export interface RequestContext {
  /** The spec file's path as found (relative paths in it are relative to its directory). */
  specFile?: string;
}

function list<T>(located: { value: Located<T>[] } | undefined): T[] | undefined {
  return located?.value.map((v) => v.value);
}

/**
 * The run's request: `spec` (if a spec file was read) with `flags` laid over it.
 * Throws USAGE when no bundle directory is named anywhere.
 */
export function buildMirrorRequest(spec: Spec | undefined, flags: MirrorFlagValues): MirrorRequest {
  const rel = (written: string): string =>
    spec === undefined ? written : resolveSpecPath(spec.file, written);
  const s = spec;

  const outDir =
    flags.out ?? (s?.output?.value.dir === undefined ? undefined : rel(s.output.value.dir.value));
  if (outDir === undefined) {
    throw new AirgapError(
      'USAGE',
      s === undefined
        ? 'no bundle directory: pass --out DIR, or write an airgap.yaml (airgap init) whose output.dir names one'
        : `no bundle directory: ${s.file} has no output.dir, and no --out was given`,
      { expected: '--out DIR or output.dir', actual: 'neither' },
      'pass --out DIR, or set output.dir in the spec',
    );
  }

  // --lockfile and --dir replace the spec's lockfiles list as a pair: either names the inputs.
  const flagInputs = flags.lockfile !== undefined || flags.dir !== undefined;
  const lockfilePatterns: LockfilePattern[] =
    flagInputs || s?.lockfiles === undefined
      ? []
      : s.lockfiles.value.map((l) => ({ text: l.value, line: l.at.line, col: l.at.col }));

  const binary = (tool: 'tofu' | 'terraform'): ReleaseRequest => {
    const b = s?.binaries?.value[tool];
    const versions = flags[tool] ?? list(b?.versions) ?? [];
    const apiUrl =
      flags[`${tool}-api-url`] ??
      b?.apiUrl?.value ??
      (tool === 'tofu' ? DEFAULT_TOFU_API_URL : DEFAULT_TERRAFORM_API_URL);
    const baseUrl =
      flags[`${tool}-base-url`] ??
      b?.baseUrl?.value ??
      (tool === 'tofu' ? DEFAULT_TOFU_BASE_URL : DEFAULT_TERRAFORM_BASE_URL);
    const keyFile = flags[`${tool}-key`] ?? (b?.key === undefined ? undefined : rel(b.key.value));
    return { versions, apiUrl, baseUrl, ...(keyFile === undefined ? {} : { keyFile }) };
  };

  const platforms = flags.platform ?? list(s?.platforms) ?? [...DEFAULT_PLATFORMS];
  const c = s?.configs?.value;
  const workflowTool = (flags['workflow-tool'] ?? c?.workflowTool?.value ?? 'tofu') as WorkflowTool;
  const img = s?.image?.value;
  const baseImage =
    flags['base-image'] ?? (img?.base === undefined ? DEFAULT_BASE_IMAGE : baseOf(img.base.value, rel));
  const configs: ConfigRequest = {
    ...mirrorTarget(flags, c?.networkMirrorUrl?.value, c?.mirrorPath?.value),
    allowDirect: flags['allow-direct'] ?? list(c?.allowDirect) ?? [],
    workflowTool,
    baseImage,
  };

  const buildImage = flags.image === true || (img !== undefined && img.build?.value !== false);
  const image = buildImage ? imageRequest(s, flags, baseImage, platforms, rel) : undefined;

  const out = s?.output?.value;
  // An s3:// address is not a path: it is taken as written.
  const specTarball = out?.tarball?.value;
  const tarball =
    flags.tarball ??
    (specTarball === undefined ? undefined : isS3Url(specTarball) ? specTarball : rel(specTarball));
  const signKeyFile = flags['sign-key'] ?? (out?.signKey === undefined ? undefined : rel(out.signKey.value));
  const toolPackage =
    flags['tool-package'] ?? (out?.toolPackage === undefined ? undefined : rel(out.toolPackage.value));
  const splitSize = flags['split-size'] ?? out?.splitSize?.value;
  const pack: PackRequest | undefined =
    tarball === undefined
      ? undefined
      : {
          tarball,
          compress: (flags.compress ?? out?.compress?.value ?? 'none') as 'none' | 'gzip',
          ...(splitSize === undefined ? {} : { splitSize }),
          ...(signKeyFile === undefined ? {} : { signKeyFile }),
          ...(toolPackage === undefined ? {} : { toolPackage }),
          ...(out?.base === undefined
            ? {}
            : {
                base: {
                  source: rel(out.base.value),
                  trustedKeyFiles: (list(out.baseTrustedKeys) ?? []).map(rel),
                  insecureSkipSignature: false as const,
                },
              }),
        };

  const localProviders =
    flags['local-provider'] ??
    (s?.localProviders?.value ?? []).map(
      (l) => `${l.key}@${l.version.value}=${l.platform.value}:${rel(l.path.value)}`,
    );

  const moduleDefaultHost = s?.defaultRegistry?.value ?? defaultModuleHost(workflowTool);
  const modules: ModuleWanted[] =
    flags.module !== undefined
      ? flags.module.map((m) => moduleFlag(m, moduleDefaultHost))
      : (s?.modules?.value ?? []).map((m) => ({
          source: m.source.value,
          address: m.address,
          constraints: m.versions.value.map((v) => v.value),
          from: 'modules',
        }));
  const configurations = flags.configuration ?? list(s?.configurations)?.map(rel) ?? [];

  return {
    ...(s === undefined ? {} : { specFile: s.file }),
    modules,
    configurations,
    moduleDefaultHost,
    platforms,
    lockfiles: flags.lockfile ?? [],
    dirs: flags.dir ?? [],
    lockfilePatterns,
    providers: s?.providers?.value ?? [],
    localProviders,
    outDir,
    caCertFiles: flags['ca-cert'] ?? (list(s?.registries?.value.caCertificates) ?? []).map(rel),
    binaries: { tofu: binary('tofu'), terraform: binary('terraform') },
    configs,
    ...(image === undefined ? {} : { image }),
    ...(pack === undefined ? {} : { pack }),
  };
}

// --module SOURCE@CONSTRAINT (the constraint may be left out: the newest version).
function moduleFlag(value: string, defaultHost: string): ModuleWanted {
  const at = value.indexOf('@');
  const source = at === -1 ? value : value.slice(0, at);
  const constraint = at === -1 ? '' : value.slice(at + 1).trim();
  const address = requireModuleSource(source, defaultHost, `--module ${value}`);
  if (at !== -1) {
    const parsed = scanVersionConstraints(constraint);
    if (parsed.error !== undefined || parsed.value.length === 0) {
      throw new AirgapError(
        'USAGE',
        `--module ${value}: "${constraint}" is not a version constraint${parsed.error === undefined ? '' : ` (${parsed.error})`}`,
        { expected: 'SOURCE@CONSTRAINT, such as terraform-aws-modules/vpc/aws@~> 5.0', actual: value },
      );
    }
  }
  return { source, address, constraints: constraint === '' ? [] : [constraint], from: '--module' };
}

// Where tofurc points: a network mirror or a mirror path. A flag for either wins over
// the file's choice (--network-mirror-url first, as before the spec existed).
function mirrorTarget(
  flags: MirrorFlagValues,
  specNetworkMirrorUrl: string | undefined,
  specMirrorPath: string | undefined,
): { mirrorPath: string } | { networkMirrorUrl: string } {
  if (flags['network-mirror-url'] !== undefined) return { networkMirrorUrl: flags['network-mirror-url'] };
  if (flags['mirror-path'] !== undefined) return { mirrorPath: flags['mirror-path'] };
  if (specNetworkMirrorUrl !== undefined) return { networkMirrorUrl: specNetworkMirrorUrl };
  return { mirrorPath: specMirrorPath ?? DEFAULT_MIRROR_PATH };
}

// A local base (oci:DIR, oci-archive:FILE, docker-archive:FILE) names a path, relative
// to the spec file like every other path in it; a registry reference is kept as written.
function baseOf(written: string, rel: (p: string) => string): string {
  const m = /^(oci|oci-archive|docker-archive):(.+)$/.exec(written);
  if (m === null) return written;
  return `${m[1]}:${rel(m[2]!)}`;
}

function imageRequest(
  s: Spec | undefined,
  flags: MirrorFlagValues,
  baseImage: string,
  platforms: string[],
  rel: (p: string) => string,
): ImageRequest {
  const img = s?.image?.value;
  const caCerts =
    flags['ca-cert-into-image'] !== undefined
      ? [{ file: flags['ca-cert-into-image'], from: '--ca-cert-into-image' }]
      : (img?.caCertificates?.value ?? []).map((c, i) => ({
          file: rel(c.value),
          from: `${s!.file}:${c.at.line}:${c.at.col} (image.caCertificates[${i}])`,
        }));
  const a = img?.archive?.value;
  const archiveFile = flags['image-archive'] ?? (a?.file === undefined ? undefined : rel(a.file.value));
  const defaultPlatform = platforms.length === 1 ? platforms[0]! : 'linux_amd64';
  return {
    baseImage,
    baseRegistryInsecure: flags['base-registry-insecure'] ?? img?.registryInsecure?.value ?? false,
    caCerts,
    ...(img?.serve === undefined
      ? {}
      : { serveUrl: parseServeBaseUrl(img.serve.value.url.value, 'image.serve.url') }),
    ...(archiveFile === undefined
      ? {}
      : {
          archive: {
            file: archiveFile,
            platform: flags['image-archive-platform'] ?? a?.platform?.value ?? defaultPlatform,
            tag: flags['image-archive-tag'] ?? a?.tag?.value ?? DEFAULT_IMAGE_ARCHIVE_TAG,
          },
        }),
  };
}
