// The `auths` map of a docker config.json, parsed and looked up by registry host the
// way docker does: keys may be bare hosts or URLs ("https://host/v1/"), and Docker
// Hub answers to several names. Only static credentials are read: `credsStore` and
// `credHelpers` run external programs, and an `identitytoken` (OAuth refresh token)
// would need the token-exchange flow; both are left to --registry-username.
import { Buffer } from 'node:buffer';
import { AirgapError } from '../errors.js';

export interface DockerAuthEntry {
  /** The key as written in config.json. */
  key: string;
  /** The key reduced to a lower-case host[:port]. */
  host: string;
  username?: string;
  password?: string;
  /** Present for OAuth logins; airgap does not exchange it (see the module header). */
  identityToken?: string;
}

export interface DockerAuths {
  /** In lookup order: bare-host keys before URL keys, then as written. */
  entries: DockerAuthEntry[];
}

const DOCKER_HUB = ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com'];

/** `source` names the file in messages. */
export function parseDockerConfig(text: string, source: string): DockerAuths {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new AirgapError('DOCKER_CONFIG_INVALID', `docker config ${source} is not valid JSON`, {
      path: source,
      cause,
    });
  }
  if (!isObject(json)) {
    throw new AirgapError('DOCKER_CONFIG_INVALID', `docker config ${source} is not a JSON object`, {
      path: source,
      expected: 'object',
      actual: describe(json),
    });
  }
  const auths = json['auths'];
  if (auths === undefined) return { entries: [] };
  if (!isObject(auths)) {
    throw new AirgapError('DOCKER_CONFIG_INVALID', `docker config ${source}: "auths" is not an object`, {
      path: source,
      expected: 'object',
      actual: describe(auths),
    });
  }
  const entries = Object.entries(auths).map(([key, value]) => parseEntry(source, key, value));
  const bare = entries.filter((e) => e.key.toLowerCase() === e.host);
  const urls = entries.filter((e) => e.key.toLowerCase() !== e.host);
  return { entries: [...bare, ...urls] };
}

/** The first entry for `registry` (host[:port]) with a username and password, or an identity token. */
export function dockerAuthFor(auths: DockerAuths, registry: string): DockerAuthEntry | undefined {
  const host = registry.toLowerCase();
  const names = DOCKER_HUB.includes(host) ? DOCKER_HUB : [host];
  return auths.entries.find(
    (e) =>
      names.includes(e.host) &&
      ((e.username !== undefined && e.password !== undefined) || e.identityToken !== undefined),
  );
}

/** "https://Host:5000/v1/" -> "host:5000"; a bare host is lower-cased. */
export function registryHostFromKey(key: string): string {
  const withoutScheme = key.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const host = withoutScheme.split('/')[0] ?? '';
  return host.toLowerCase();
}

function parseEntry(source: string, key: string, value: unknown): DockerAuthEntry {
  const where = `docker config ${source}: auths[${JSON.stringify(key)}]`;
  if (!isObject(value)) {
    throw new AirgapError('DOCKER_CONFIG_INVALID', `${where} is not an object`, {
      path: source,
      expected: 'object',
      actual: describe(value),
    });
  }
  const entry: DockerAuthEntry = { key, host: registryHostFromKey(key) };
  const auth = stringField(where, source, value, 'auth');
  if (auth !== undefined && auth !== '') {
    const decoded = Buffer.from(auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    // Strict: a value that does not round-trip is not base64 at all.
    const canonical = Buffer.from(decoded, 'utf8').toString('base64');
    if (colon <= 0 || canonical.replace(/=+$/, '') !== auth.trim().replace(/=+$/, '')) {
      throw new AirgapError('DOCKER_CONFIG_INVALID', `${where}.auth is not base64 of "username:password"`, {
        path: source,
        expected: 'base64(username:password)',
        actual: `${auth.length} characters`,
      });
    }
    entry.username = decoded.slice(0, colon);
    entry.password = decoded.slice(colon + 1);
  } else {
    const username = stringField(where, source, value, 'username');
    const password = stringField(where, source, value, 'password');
    if (username !== undefined && username !== '' && password !== undefined) {
      entry.username = username;
      entry.password = password;
    }
  }
  const identityToken = stringField(where, source, value, 'identitytoken');
  if (identityToken !== undefined && identityToken !== '') entry.identityToken = identityToken;
  return entry;
}

function stringField(
  where: string,
  source: string,
  value: Record<string, unknown>,
  name: string,
): string | undefined {
  const field = value[name];
  if (field === undefined || field === null) return undefined;
  if (typeof field === 'string') return field;
  throw new AirgapError('DOCKER_CONFIG_INVALID', `${where}.${name} is not a string`, {
    path: source,
    expected: 'string',
    actual: describe(field),
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
