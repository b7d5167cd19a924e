// A registry module version as an OpenTofu module package in an OCI registry, what
// `airgap import --push-modules` pushes and tofu installs from an `oci://` source.
//
// The format, as OpenTofu defines it (website/docs/cli/oci_registries/module-package.mdx
// and internal/getmodules/oci_getter.go in opentofu/opentofu): the tag (or digest) names
// an OCI image manifest (not an index) whose `artifactType` is exactly
// application/vnd.opentofu.modulepkg, with exactly one layer of media type `archive/zip`
// whose root is the module package's root. tofu checks nothing else in the manifest, so
// the config is the OCI empty descriptor, as image-spec 1.1 asks of artifacts (and as
// `oras push --artifact-type` writes it).
//
// The layer is the bundle's zip, byte for byte: its digest is the sha256 airgap.json
// pins. A module that lives in a directory of its package (airgap.json `subdir`) keeps
// that: the source address names it with tofu's `//SUBDIR`.
//
// Also owns the names. tofu assumes no tag convention for modules (only `latest` when
// the source names none), so the tag is the version as the provider-mirror convention
// writes it (`+` as `_`: OCI tags cannot hold `+`), and the repository is
// PREFIX/HOST/NS/NAME/SYSTEM, the module's address under the prefix, as providers are.

import { createHash } from 'node:crypto';
import { AirgapError } from '../errors.js';
import type { ModuleCoords } from '../layout/names.js';
import {
  EMPTY_CONFIG,
  OCI_MEDIA_TYPES,
  repositoryHostSegment,
  TITLE_ANNOTATION,
} from './provider-artifact.js';
import { isValidRepositoryName, isValidTag } from './reference.js';

/** The manifest's artifactType tofu requires of a module package (oci_getter.go). */
export const MODULE_PACKAGE_ARTIFACT_TYPE = 'application/vnd.opentofu.modulepkg';

export interface ModulePackageInput {
  /** Lower-case hex sha256 of the zip (airgap.json's `sha256`). */
  sha256: string;
  size: number;
  /** The layer's title annotation: the file name `oras pull` would save it under. */
  filename: string;
}

export interface ModulePackageManifest {
  mediaType: string;
  /** The exact bytes to PUT; their digest is what the tag will name. */
  bytes: Uint8Array;
  /** "sha256:<hex>" of `bytes`. */
  digest: string;
  size: number;
  /** "sha256:<hex>" of the zip: the one layer. */
  layerDigest: string;
}

const HEX64_RE = /^[0-9a-f]{64}$/;

/** The image manifest of one module version. Deterministic: fixed key order, compact JSON. */
export function buildModulePackageManifest(input: ModulePackageInput): ModulePackageManifest {
  if (!HEX64_RE.test(input.sha256)) {
    throw new AirgapError(
      'USAGE',
      `${input.filename}: sha256 ${JSON.stringify(input.sha256)} is not 64 lower-case hex digits`,
      { path: input.filename, expected: '64 lower-case hex digits', actual: input.sha256 },
    );
  }
  if (!Number.isSafeInteger(input.size) || input.size <= 0) {
    throw new AirgapError('USAGE', `${input.filename}: size ${input.size} is not a positive integer`, {
      path: input.filename,
      expected: 'a positive integer',
      actual: String(input.size),
    });
  }
  const layerDigest = `sha256:${input.sha256}`;
  const doc = {
    schemaVersion: 2,
    mediaType: OCI_MEDIA_TYPES.imageManifest,
    artifactType: MODULE_PACKAGE_ARTIFACT_TYPE,
    config: { mediaType: EMPTY_CONFIG.mediaType, digest: EMPTY_CONFIG.digest, size: EMPTY_CONFIG.size },
    layers: [
      {
        mediaType: OCI_MEDIA_TYPES.zip,
        digest: layerDigest,
        size: input.size,
        annotations: { [TITLE_ANNOTATION]: input.filename },
      },
    ],
  };
  const bytes = new TextEncoder().encode(JSON.stringify(doc));
  return {
    mediaType: OCI_MEDIA_TYPES.imageManifest,
    bytes,
    digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
    size: bytes.length,
    layerDigest,
  };
}

/** "NS-NAME-SYSTEM-VERSION.zip": the layer's title. */
export function modulePackageFilename(m: ModuleCoords, version: string): string {
  return `${m.namespace}-${m.name}-${m.system}-${version}.zip`;
}

/** The tag of a module version: the version, `+` written `_` (a tag cannot hold `+`). */
export function moduleVersionTag(address: string, version: string): string {
  const tag = version.replaceAll('+', '_');
  if (!isValidTag(tag)) {
    throw new AirgapError(
      'OCI_REFERENCE_INVALID',
      `module ${address} ${version}: the version does not make a valid OCI tag (${JSON.stringify(tag)})`,
      { address, version, expected: '[A-Za-z0-9_][A-Za-z0-9._-]{0,127}', actual: tag },
    );
  }
  return tag;
}

/**
 * PREFIX/HOST/NS/NAME/SYSTEM, lower-cased (an OCI repository name is; two modules that
 * differ only in case are refused by the caller, naming both). HOST as for providers:
 * ASCII, ":PORT" as "_PORT".
 */
export function moduleRepository(prefix: string, m: ModuleCoords, address: string): string {
  const name = [repositoryHostSegment(m.hostname), m.namespace, m.name, m.system]
    .map((s) => s.toLowerCase())
    .join('/');
  const repository = prefix === '' ? name : `${prefix}/${name}`;
  if (!isValidRepositoryName(repository)) {
    throw new AirgapError(
      'OCI_REFERENCE_INVALID',
      `module ${address}: ${JSON.stringify(repository)} cannot be an OCI repository path (at most 255 characters; lower-case [a-z0-9] joined by "/", ".", "_", "__" or "-")`,
      { address, expected: 'an OCI repository path', actual: repository },
    );
  }
  return repository;
}

/**
 * The `source` a module block gives tofu for the pushed package:
 * oci://REGISTRY/REPOSITORY[//SUBDIR]?tag=TAG. The subdirectory goes before the query,
 * as in every go-getter source; tofu strips it before the OCI getter sees the path.
 */
export function ociModuleSource(registry: string, repository: string, tag: string, subdir?: string): string {
  const sub = subdir === undefined || subdir === '' ? '' : `//${subdir}`;
  return `oci://${registry}/${repository}${sub}?tag=${tag}`;
}

/** What the push used that tofu cannot be told: one sentence each, for output and --json. */
export function moduleRegistryAccessNotes(access: {
  registry: string;
  insecure: boolean;
  caCert: boolean;
}): string[] {
  const notes: string[] = [];
  if (access.insecure) {
    notes.push(
      `The modules were pushed to ${access.registry} over plain HTTP (--registry-insecure), but tofu fetches oci:// module sources over HTTPS only: serve ${access.registry} over HTTPS, with a certificate the hosts running tofu trust, before using these sources.`,
    );
  }
  if (access.caCert) {
    notes.push(
      `The push trusted ${access.registry}'s certificate through --ca-cert; tofu checks an OCI registry's certificate against the system trust store: add that CA to the trust store of every host that runs tofu (on Linux, SSL_CERT_FILE naming a PEM file that holds it also works).`,
    );
  }
  return notes;
}
