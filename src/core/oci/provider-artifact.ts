// A provider version as the OCI artifact OpenTofu (>= 1.10) installs from an
// `oci_mirror`: an image index (artifactType application/vnd.opentofu.provider)
// listing one image manifest per platform (artifactType
// application/vnd.opentofu.provider-target, with a `platform`), each with the
// empty config and exactly one `archive/zip` layer that is the origin registry's
// zip, byte for byte. Spec: opentofu.org/docs/cli/oci_registries/provider-mirror.
//
// The manifests are rendered here as exact bytes: their digests are what the index
// and the tag name, so the same zips must always give the same bytes. Also owns the
// names: the tag for a version and the repository for a provider under a prefix
// (PREFIX/HOST/NS/TYPE).

import { createHash } from 'node:crypto';
import { compareStrings } from '../compare.js';
import { AirgapError } from '../errors.js';
import { checkHostname } from '../provider/address.js';
import { parsePlatform } from '../provider/platform.js';
import { isValidRepositoryName, isValidTag, joinRepository, parseOciRepositoryPrefix } from './reference.js';

export const OCI_MEDIA_TYPES = {
  imageIndex: 'application/vnd.oci.image.index.v1+json',
  imageManifest: 'application/vnd.oci.image.manifest.v1+json',
  empty: 'application/vnd.oci.empty.v1+json',
  /** The provider package layer: what OpenTofu looks for in the manifest's layers. */
  zip: 'archive/zip',
} as const;

export const TOFU_ARTIFACT_TYPES = {
  /** The index a version tag points at. */
  provider: 'application/vnd.opentofu.provider',
  /** Each platform's manifest, and its descriptor in the index. */
  providerTarget: 'application/vnd.opentofu.provider-target',
} as const;

/** The OCI empty descriptor's blob: the two bytes `{}` (image-spec 1.1, "Guidance for an Empty Descriptor"). */
export const EMPTY_CONFIG = {
  mediaType: OCI_MEDIA_TYPES.empty,
  digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
  size: 2,
  bytes: new Uint8Array([0x7b, 0x7d]),
} as const;

/** Annotation naming a layer's file, as ORAS writes it: `oras pull` saves the zip under this name. */
export const TITLE_ANNOTATION = 'org.opencontainers.image.title';

export interface ProviderZip {
  /** tofu's OS_ARCH, e.g. linux_amd64. */
  platform: string;
  /** The zip's file name, e.g. terraform-provider-null_3.2.1_linux_amd64.zip. */
  filename: string;
  /** Lower-case hex sha256 of the zip (the `zh:` hash). */
  sha256: string;
  size: number;
}

export interface ProviderArtifactInput {
  zips: readonly ProviderZip[];
}

/** A manifest or index ready to PUT: its exact bytes and their digest. */
export interface RenderedManifest {
  mediaType: string;
  bytes: Uint8Array;
  /** "sha256:<hex>" of `bytes`. */
  digest: string;
  size: number;
}

export interface PlatformManifest extends RenderedManifest {
  platform: string;
  /** The layer's blob: the zip. */
  zip: ProviderZip;
  /** "sha256:<hex>" of the zip. */
  zipDigest: string;
}

export interface ProviderArtifact {
  /** One per zip, sorted by platform. */
  manifests: PlatformManifest[];
  index: RenderedManifest;
}

const HEX64_RE = /^[0-9a-f]{64}$/;

/**
 * Builds the per-platform image manifests and the index for one provider version.
 * Deterministic: key order is fixed, JSON is compact, entries sorted by platform.
 */
export function buildProviderArtifact(input: ProviderArtifactInput): ProviderArtifact {
  if (input.zips.length === 0) {
    throw new AirgapError('USAGE', 'a provider artifact needs at least one platform zip', {
      expected: 'at least one zip',
      actual: 'none',
    });
  }
  const seen = new Set<string>();
  const zips = [...input.zips].sort((a, b) => compareStrings(a.platform, b.platform));
  const manifests = zips.map((zip): PlatformManifest => {
    checkZip(zip);
    if (seen.has(zip.platform)) {
      throw new AirgapError('USAGE', `two zips for platform ${zip.platform}: ${zip.filename}`, {
        platform: zip.platform,
        expected: 'one zip per platform',
        actual: zip.filename,
      });
    }
    seen.add(zip.platform);
    const zipDigest = `sha256:${zip.sha256}`;
    const doc = {
      schemaVersion: 2,
      mediaType: OCI_MEDIA_TYPES.imageManifest,
      artifactType: TOFU_ARTIFACT_TYPES.providerTarget,
      config: { mediaType: EMPTY_CONFIG.mediaType, digest: EMPTY_CONFIG.digest, size: EMPTY_CONFIG.size },
      layers: [
        {
          mediaType: OCI_MEDIA_TYPES.zip,
          digest: zipDigest,
          size: zip.size,
          annotations: { [TITLE_ANNOTATION]: zip.filename },
        },
      ],
    };
    return { ...render(OCI_MEDIA_TYPES.imageManifest, doc), platform: zip.platform, zip, zipDigest };
  });

  const index = render(OCI_MEDIA_TYPES.imageIndex, {
    schemaVersion: 2,
    mediaType: OCI_MEDIA_TYPES.imageIndex,
    artifactType: TOFU_ARTIFACT_TYPES.provider,
    manifests: manifests.map((m) => {
      const p = parsePlatform(m.platform);
      return {
        mediaType: m.mediaType,
        artifactType: TOFU_ARTIFACT_TYPES.providerTarget,
        digest: m.digest,
        size: m.size,
        // tofu matches these against its own GOOS/GOARCH, which its OS_ARCH names already are.
        platform: { architecture: p.arch, os: p.os },
      };
    }),
  });
  return { manifests, index };
}

function checkZip(zip: ProviderZip): void {
  parsePlatform(zip.platform);
  if (!HEX64_RE.test(zip.sha256)) {
    throw new AirgapError(
      'USAGE',
      `${zip.filename}: sha256 ${JSON.stringify(zip.sha256)} is not 64 lower-case hex digits`,
      {
        path: zip.filename,
        platform: zip.platform,
        expected: '64 lower-case hex digits',
        actual: zip.sha256,
      },
    );
  }
  if (!Number.isSafeInteger(zip.size) || zip.size <= 0) {
    throw new AirgapError('USAGE', `${zip.filename}: size ${zip.size} is not a positive integer`, {
      path: zip.filename,
      platform: zip.platform,
      expected: 'a positive integer',
      actual: String(zip.size),
    });
  }
  if (zip.filename === '' || /[\u0000-\u001f/\\]/.test(zip.filename)) {
    throw new AirgapError('USAGE', `invalid zip file name ${JSON.stringify(zip.filename)}`, {
      platform: zip.platform,
      expected: 'a plain file name',
      actual: zip.filename,
    });
  }
}

function render(mediaType: string, doc: unknown): RenderedManifest {
  const bytes = new TextEncoder().encode(JSON.stringify(doc));
  return { mediaType, bytes, digest: sha256Digest(bytes), size: bytes.length };
}

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

// ---------------------------------------------------------------------------
// Names

/**
 * The tag for a provider version: OpenTofu reads tags as semver with `_` in place of
 * `+` (OCI tags cannot hold `+`), so 1.0.0+build.1 is tagged 1.0.0_build.1.
 */
export function providerVersionTag(version: string): string {
  const tag = version.replaceAll('+', '_');
  if (!isValidTag(tag)) {
    throw new AirgapError(
      'OCI_REFERENCE_INVALID',
      `provider version ${JSON.stringify(version)} does not make a valid OCI tag (${JSON.stringify(tag)})`,
      { version, expected: '[A-Za-z0-9_][A-Za-z0-9._-]{0,127}', actual: tag },
    );
  }
  return tag;
}

/** A push target REGISTRY/PREFIX split into the registry host and the repository prefix. */
export interface OciTarget {
  /** host[:port], lower case. */
  registry: string;
  /** Repository path under which HOST/NS/TYPE go; "" for the registry's root. */
  prefix: string;
}

/** Parses `--push-providers REGISTRY/PREFIX` (e.g. registry.corp.example:5000/tofu-providers). */
export function parseOciTarget(text: string): OciTarget {
  return parseOciRepositoryPrefix(text);
}

/** A provider as its mirror directory names it: HOST (display form or ASCII), NAMESPACE, TYPE. */
export interface ProviderName {
  hostname: string;
  namespace: string;
  type: string;
}

/**
 * The path segment a provider's origin host takes in a repository name: the host's
 * ASCII form (IDN labels in punycode), which is also what tofu's `${hostname}` gives
 * (svchost Hostname.String(), used in internal/command/cliconfig/provider_installation.go
 * evalOCIProviderMirrorRepositoryTemplate), with ":PORT" as "_PORT": a repository name
 * holds no ":", and "_" is in no normalized hostname, so no two hosts share a segment.
 */
export function repositoryHostSegment(hostname: string): string {
  const checked = checkHostname(hostname);
  if (!checked.ok) {
    throw new AirgapError(
      'OCI_REFERENCE_INVALID',
      `provider host ${JSON.stringify(hostname)} cannot name an OCI repository: ${checked.reason}`,
      { expected: 'a provider registry hostname[:port]', actual: hostname },
    );
  }
  return checked.value.replace(':', '_');
}

/**
 * The repository holding one provider's versions: PREFIX/HOST/NS/TYPE, NS and TYPE
 * lower-cased as tofu does. The host keeps registry.opentofu.org/hashicorp/null and
 * registry.terraform.io/hashicorp/null (every bundle made from tofu and terraform lock
 * files has both) apart.
 */
export function providerRepository(prefix: string, provider: ProviderName): string {
  const address = `${provider.hostname}/${provider.namespace}/${provider.type}`;
  const name = `${repositoryHostSegment(provider.hostname)}/${provider.namespace.toLowerCase()}/${provider.type.toLowerCase()}`;
  const repository = prefix === '' ? name : `${prefix}/${name}`;
  if (!isValidRepositoryName(repository)) {
    throw new AirgapError(
      'OCI_REFERENCE_INVALID',
      `provider ${address}: ${JSON.stringify(repository)} cannot be an OCI repository path (at most 255 characters; lower-case [a-z0-9] joined by "/", ".", "_", "__" or "-")`,
      { provider: address, expected: 'an OCI repository path', actual: repository },
    );
  }
  return repository;
}

/**
 * The oci_mirror repository_template for one provider host's block: the host is
 * written out (the block's include names that host alone, so tofu does not require
 * `${hostname}`), and tofu fills in ${namespace} and ${type}.
 */
export function repositoryTemplate(target: OciTarget, hostname: string): string {
  return `${target.registry}/${joinRepository(target.prefix, repositoryHostSegment(hostname))}/\${namespace}/\${type}`;
}
