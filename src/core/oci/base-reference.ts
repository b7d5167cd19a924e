// `--base-image` references: where the runner image's base comes from. Four
// transports, spelled as skopeo spells them:
//   [docker://]NAME[:TAG][@DIGEST]   a registry; Docker Hub when NAME has no registry host
//   oci:PATH[:TAG]                   an OCI image layout directory
//   oci-archive:FILE[:TAG]           a tar of an OCI image layout
//   docker-archive:FILE[:NAME:TAG]   `docker save` / `skopeo copy ... docker-archive:` output
// Unlike src/core/oci/reference.ts (push targets, where the registry is always
// explicit), a base image follows docker's defaults: `alpine:3` is Docker Hub's
// library/alpine, and no tag means `latest`. Pure: no I/O.
import { AirgapError } from '../errors.js';
import { isValidRegistryHost, isValidRepositoryName, isValidTag, splitTagAndDigest } from './reference.js';

export type BaseImageReference =
  | {
      kind: 'registry';
      /** host[:port] actually contacted (Docker Hub is registry-1.docker.io). */
      registry: string;
      repository: string;
      tag?: string;
      digest?: string;
      /** Normalized human form, e.g. docker.io/library/alpine:3. */
      display: string;
    }
  | { kind: 'oci'; path: string; tag?: string }
  | { kind: 'oci-archive'; path: string; tag?: string }
  | { kind: 'docker-archive'; path: string; ref?: string };

export type RegistryBaseImageReference = Extract<BaseImageReference, { kind: 'registry' }>;

const DOCKER_HUB_NAMES = ['docker.io', 'index.docker.io', 'registry-1.docker.io'];
const DOCKER_HUB_REGISTRY = 'registry-1.docker.io';
const DOCKER_HUB_DISPLAY = 'docker.io';
// containers/image transports airgap does not read; named so the error says so instead of a grammar complaint.
const UNSUPPORTED_TRANSPORTS = ['dir', 'docker-daemon', 'containers-storage', 'ostree', 'sif', 'tarball'];

export function parseBaseImageReference(text: string): BaseImageReference {
  if (text.startsWith('oci:')) return { kind: 'oci', ...pathAndTag(text, text.slice('oci:'.length)) };
  if (text.startsWith('oci-archive:')) {
    return { kind: 'oci-archive', ...pathAndTag(text, text.slice('oci-archive:'.length)) };
  }
  if (text.startsWith('docker-archive:')) return dockerArchive(text, text.slice('docker-archive:'.length));
  const transport = /^([a-z-]+):/.exec(text)?.[1];
  if (transport !== undefined && UNSUPPORTED_TRANSPORTS.includes(transport)) {
    throw invalid(text, `the ${transport}: transport is not supported`, {
      expected: 'docker://, oci:, oci-archive: or docker-archive:',
      actual: `${transport}:`,
    });
  }
  const rest = text.startsWith('docker://') ? text.slice('docker://'.length) : text;
  return parseRegistryReference(text, rest);
}

/**
 * `NAME[:TAG]` in docker's normalized form (docker.io/library/base:latest), or
 * undefined when it is not one; for matching a docker-archive's RepoTags, which
 * `docker save` writes short ("base:latest") and skopeo long.
 */
export function normalizeImageName(text: string): string | undefined {
  try {
    const parsed = parseRegistryReference(text, text);
    return parsed.digest === undefined ? parsed.display : undefined;
  } catch {
    return undefined;
  }
}

/**
 * skopeo's rule, narrowed: the LAST colon starts a tag only when what follows is a
 * valid tag (so no "/"); otherwise the colon belongs to the path (`oci:/a:b/c`).
 */
function pathAndTag(text: string, rest: string): { path: string; tag?: string } {
  const colon = rest.lastIndexOf(':');
  const candidate = colon < 0 ? undefined : rest.slice(colon + 1);
  const split = candidate !== undefined && isValidTag(candidate);
  const path = split ? rest.slice(0, colon) : rest;
  if (path === '') {
    throw invalid(text, 'the path is empty', { expected: 'TRANSPORT:PATH[:TAG]', actual: text });
  }
  return split ? { path, tag: candidate } : { path };
}

/**
 * `docker-archive:FILE` or `docker-archive:FILE:NAME:TAG`. With two or more colons,
 * the text after the second-to-last one is taken as NAME:TAG when NAME is an image
 * name without a registry port and TAG a valid tag; else the whole text is FILE.
 */
function dockerArchive(text: string, rest: string): BaseImageReference {
  const last = rest.lastIndexOf(':');
  const secondLast = last <= 0 ? -1 : rest.lastIndexOf(':', last - 1);
  if (secondLast > 0) {
    const ref = rest.slice(secondLast + 1);
    if (normalizeImageName(ref) !== undefined)
      return { kind: 'docker-archive', path: rest.slice(0, secondLast), ref };
  }
  if (rest === '') {
    throw invalid(text, 'the path is empty', { expected: 'docker-archive:FILE[:NAME:TAG]', actual: text });
  }
  return { kind: 'docker-archive', path: rest };
}

function parseRegistryReference(text: string, rest: string): RegistryBaseImageReference {
  const split = splitTagAndDigest(text, rest, invalid);
  const name = split.name;
  const digest = split.digest;
  let tag = split.tag;
  const slash = name.indexOf('/');
  const first = slash < 0 ? undefined : name.slice(0, slash);
  let registry = DOCKER_HUB_REGISTRY;
  let repository = name;
  // docker's rule: the first component is a registry host only if it looks like one.
  if (first !== undefined && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    if (!isValidRegistryHost(first)) {
      throw invalid(text, `registry ${JSON.stringify(first)} is not HOST[:PORT]`, {
        expected: 'HOST[:PORT]',
        actual: first,
      });
    }
    registry = first.toLowerCase();
    repository = name.slice(slash + 1);
  }
  const hub = DOCKER_HUB_NAMES.includes(registry);
  if (hub) {
    registry = DOCKER_HUB_REGISTRY;
    if (repository !== '' && !repository.includes('/')) repository = `library/${repository}`;
  }
  if (!isValidRepositoryName(repository)) {
    throw invalid(
      text,
      `repository name ${JSON.stringify(repository)} must be lower-case [a-z0-9] path components joined by "/"`,
      { expected: '[REGISTRY/]REPOSITORY[:TAG][@DIGEST]', actual: repository },
    );
  }
  if (tag === undefined && digest === undefined) tag = 'latest';
  const display = `${hub ? DOCKER_HUB_DISPLAY : registry}/${repository}${tag === undefined ? '' : `:${tag}`}${
    digest === undefined ? '' : `@${digest}`
  }`;
  return {
    kind: 'registry',
    registry,
    repository,
    ...(tag === undefined ? {} : { tag }),
    ...(digest === undefined ? {} : { digest }),
    display,
  };
}

function invalid(text: string, why: string, values: { expected: string; actual: string }): AirgapError {
  return new AirgapError(
    'OCI_REFERENCE_INVALID',
    `invalid base image reference ${JSON.stringify(text)}: ${why}`,
    {
      address: text,
      ...values,
    },
  );
}
