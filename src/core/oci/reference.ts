// OCI references as airgap reads them: `REGISTRY/REPO[:TAG][@DIGEST]` for one
// artifact and `REGISTRY/PREFIX` for a tree of repositories. The registry is always
// explicit (no docker.io default: an air-gapped push names its target). Grammar from
// the OCI distribution spec (repository names, tags) and image-spec (digests).
import { AirgapError } from '../errors.js';

export interface OciReference {
  /** host[:port], lower-cased. */
  registry: string;
  repository: string;
  tag?: string;
  /** "algorithm:encoded". */
  digest?: string;
}

export interface OciRepositoryPrefix {
  registry: string;
  /** Repository path below which artifacts go; "" for the registry root. */
  prefix: string;
}

// One path component: lower-case alphanumerics joined by ".", "_", "__" or runs of "-".
const COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const REPOSITORY = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const DIGEST_HEX: Record<string, RegExp> = { sha256: /^[a-f0-9]{64}$/, sha512: /^[a-f0-9]{128}$/ };
// A DNS name or IPv4 address, or a bracketed IPv6 address, with an optional port.
const REGISTRY =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;
// Registries such as Docker Hub cap the whole name; the spec recommends 255.
const MAX_NAME = 255;

export function isValidRepositoryName(name: string): boolean {
  return name.length <= MAX_NAME && REPOSITORY.test(name);
}

export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

/** sha256 and sha512 are checked for length and lower-case hex; other algorithms by grammar only. */
export function isValidDigest(digest: string): boolean {
  if (!DIGEST.test(digest)) return false;
  const colon = digest.indexOf(':');
  const check = DIGEST_HEX[digest.slice(0, colon)];
  return check === undefined || check.test(digest.slice(colon + 1));
}

export function isValidRegistryHost(host: string): boolean {
  if (!REGISTRY.test(host)) return false;
  const port = /:([0-9]+)$/.exec(host)?.[1];
  return port === undefined || (Number(port) >= 1 && Number(port) <= 65535);
}

/** `REGISTRY/REPO[:TAG][@DIGEST]`; at least the registry and one repository component. */
export function parseOciReference(text: string): OciReference {
  const { name, tag, digest } = splitTagAndDigest(text, text, invalid);
  const { registry, path } = splitRegistry(text, name);
  checkRepository(text, path);
  const reference: OciReference = { registry, repository: path };
  if (tag !== undefined) reference.tag = tag;
  if (digest !== undefined) reference.digest = digest;
  return reference;
}

export type ReferenceError = (
  text: string,
  why: string,
  values: { expected: string; actual: string },
) => AirgapError;

/**
 * `NAME[:TAG][@DIGEST]` into its parts, the tag and digest checked. A colon is a tag's
 * only after the last "/" (one before it belongs to a registry's port). `fail` makes
 * the caller's error, so each kind of reference keeps its own wording.
 */
export function splitTagAndDigest(
  text: string,
  reference: string,
  fail: ReferenceError,
): { name: string; tag?: string; digest?: string } {
  let name = reference;
  let digest: string | undefined;
  const at = name.indexOf('@');
  if (at >= 0) {
    digest = name.slice(at + 1);
    name = name.slice(0, at);
    if (!isValidDigest(digest)) {
      throw fail(
        text,
        `digest ${JSON.stringify(digest)} is not ALGORITHM:HEX (e.g. sha256 and 64 lower-case hex digits)`,
        { expected: 'sha256:<64 hex>', actual: digest },
      );
    }
  }
  let tag: string | undefined;
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
    if (!isValidTag(tag)) {
      throw fail(
        text,
        `tag ${JSON.stringify(tag)} is not 1-128 of [A-Za-z0-9_.-], starting with [A-Za-z0-9_]`,
        {
          expected: '[A-Za-z0-9_][A-Za-z0-9._-]{0,127}',
          actual: tag,
        },
      );
    }
  }
  return { name, ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }) };
}

/** `REGISTRY/PREFIX` or just `REGISTRY`: where a tree of repositories goes. No tag or digest. */
export function parseOciRepositoryPrefix(text: string): OciRepositoryPrefix {
  const trimmed = text.replace(/\/+$/, '');
  const slash = trimmed.indexOf('/');
  if (slash < 0) {
    checkRegistry(text, trimmed);
    return { registry: trimmed.toLowerCase(), prefix: '' };
  }
  const { registry, path } = splitRegistry(text, trimmed);
  if (/[:@]/.test(path)) {
    throw invalid(text, 'a repository prefix takes no tag or digest', {
      expected: 'REGISTRY/PREFIX',
      actual: text,
    });
  }
  checkRepository(text, path);
  return { registry, prefix: path };
}

/** `prefix/name`, validated: the repository a prefix and a relative name make. */
export function joinRepository(prefix: string, name: string): string {
  const repository = prefix === '' ? name : `${prefix}/${name}`;
  checkRepository(repository, repository);
  return repository;
}

function splitRegistry(text: string, rest: string): { registry: string; path: string } {
  const slash = rest.indexOf('/');
  if (slash <= 0 || slash === rest.length - 1) {
    throw invalid(text, 'expected REGISTRY/REPOSITORY (the registry host is required)', {
      expected: 'REGISTRY/REPOSITORY[:TAG][@DIGEST]',
      actual: text,
    });
  }
  const registry = rest.slice(0, slash);
  checkRegistry(text, registry);
  return { registry: registry.toLowerCase(), path: rest.slice(slash + 1) };
}

function checkRegistry(text: string, registry: string): void {
  if (isValidRegistryHost(registry)) return;
  throw invalid(text, `registry ${JSON.stringify(registry)} is not HOST[:PORT]`, {
    expected: 'HOST[:PORT]',
    actual: registry,
  });
}

function checkRepository(text: string, repository: string): void {
  if (isValidRepositoryName(repository)) return;
  const why =
    repository.length > MAX_NAME
      ? `is ${repository.length} characters, more than ${MAX_NAME}`
      : 'must be lower-case [a-z0-9] path components joined by "/", separated inside by ".", "_", "__" or "-"';
  throw invalid(text, `repository name ${JSON.stringify(repository)} ${why}`, {
    expected: `${COMPONENT}(/${COMPONENT})*`,
    actual: repository,
  });
}

function invalid(text: string, why: string, values: { expected: string; actual: string }): AirgapError {
  return new AirgapError('OCI_REFERENCE_INVALID', `invalid OCI reference ${JSON.stringify(text)}: ${why}`, {
    address: text,
    ...values,
  });
}
