// The OciRegistryClient port on the shared transport (adapters/http/transport.ts:
// pools, proxies, CAs, redirects and the credential rule): the push side of the OCI
// Distribution API (HEAD, cross-repository mount, monolithic or chunked blob upload,
// manifest PUT) and the manifest and blob GETs, with the registry's own auth
// handshake (a 401 carrying `WWW-Authenticate: Basic` or `Bearer realm=...`). Bodies
// stream from disk; nothing is retried here except once after authenticating,
// because an upload session cannot be replayed blindly (the base-image source retries
// its GETs with adapters/http/retry.ts). The login goes only over https, to the
// registry's origin and the token realm; with an insecure (plain http) registry the
// client is anonymous. Credentials never reach a message.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { AirgapError, isAirgapError } from '../../core/errors.js';
import { dockerAuthFor, type DockerAuths } from '../../core/oci/docker-auths.js';
import {
  isValidDigest,
  isValidRegistryHost,
  isValidRepositoryName,
  isValidTag,
} from '../../core/oci/reference.js';
import type { HttpObserver, OciBlob, OciRegistryClient } from '../../core/ports.js';
import { redactUrl } from '../../core/redact.js';
import {
  classifyError,
  OversizeFailure,
  RedirectFailure,
  StatusFailure,
  statusTextOf,
} from '../http/failures.js';
import { parseRetryAfter, SYSTEM_CLOCK, type Clock } from '../http/retry.js';
import {
  createTransport,
  header,
  MAX_METADATA_BYTES,
  readCapped,
  type Credential,
  type Opened,
  type Trail,
} from '../http/transport.js';

export interface OciRegistryClientOptions {
  /** host[:port] */
  registry: string;
  /** Plain http (--registry-insecure). */
  insecure?: boolean;
  /** Extra PEM files (--ca-cert); SSL_CERT_FILE and NODE_EXTRA_CA_CERTS from `env` are added too. */
  caCertFiles?: string[];
  /** --registry-username with --registry-password-stdin; wins over `dockerConfig`. */
  credentials?: { username: string; password: string };
  /** Parsed docker config.json auths, looked up by `registry`. */
  dockerConfig?: DockerAuths;
  userAgent: string;
  /** HTTPS_PROXY, HTTP_PROXY, NO_PROXY, SSL_CERT_FILE, NODE_EXTRA_CA_CERTS are read from here only. */
  env?: Record<string, string | undefined>;
  /**
   * Blobs larger than this many bytes go up in PATCH chunks of this size; others,
   * and all blobs when unset, in one streamed PUT. Monolithic is the default: one
   * request, no buffering, and every registry takes it; chunks are for a proxy in
   * front of the registry that caps request bodies.
   */
  chunkSize?: number;
  connectTimeoutMs?: number;
  /** Idle time allowed while waiting for response headers or body bytes. */
  timeoutMs?: number;
  /** Reads the time for Retry-After dates; the real clock by default. */
  clock?: Clock;
  /** Told of every request (redacted URL, status), for --verbose. */
  observer?: HttpObserver;
}

export interface OpenedBlob {
  body: Readable;
  /** Bytes in this body (Content-Length), undefined when the server does not say. */
  size: number | undefined;
  /** Where in the blob the body starts: the asked offset on a 206, 0 when the server ignored Range. */
  offset: number;
}

export interface ClosableOciRegistryClient extends OciRegistryClient {
  /**
   * GET a blob (pull side, for base images). Redirects (at most MAX_REDIRECTS) are followed;
   * another origin, such as the CDN Docker Hub and ECR Public send blobs to, gets
   * no Authorization. With `offset` it asks for `Range: bytes=OFFSET-`; check
   * `offset` of the answer to see whether the server honoured it. Read or destroy
   * the body. Non-2xx: OCI_REGISTRY_ERROR with details.status.
   */
  openBlob(repo: string, digest: string, options?: { offset?: number }): Promise<OpenedBlob>;
  close(): Promise<void>;
}

type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH';

interface Call {
  method: Method;
  url: URL;
  /** Token scopes this call needs, e.g. "repository:a/b:pull,push". */
  scopes: string[];
  headers?: Record<string, string>;
  /** Made afresh for each attempt, so a stream can be re-sent after the auth handshake. */
  body?: () => Uint8Array | Readable;
}

interface Token {
  value: string;
  /** Obtained without the user's login: may go to a plain-http registry (see mayCarry). */
  anonymous: boolean;
}

interface Challenge {
  scheme: 'basic' | 'bearer';
  params: Record<string, string>;
}

const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');
// The distribution spec lets registries refuse manifests above 4 MiB; reading more is a sign of a wrong endpoint.
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_ERROR_BODY = 64 * 1024;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export function createOciRegistryClient(options: OciRegistryClientOptions): ClosableOciRegistryClient {
  if (!isValidRegistryHost(options.registry)) {
    throw new AirgapError(
      'OCI_REFERENCE_INVALID',
      `registry ${JSON.stringify(options.registry)} is not HOST[:PORT]`,
      {
        address: options.registry,
        expected: 'HOST[:PORT]',
        actual: options.registry,
      },
    );
  }
  if (
    options.chunkSize !== undefined &&
    !(Number.isSafeInteger(options.chunkSize) && options.chunkSize > 0)
  ) {
    throw new AirgapError(
      'USAGE',
      `OCI upload chunk size must be a positive integer, got ${options.chunkSize}`,
      {
        expected: 'positive integer',
        actual: String(options.chunkSize),
      },
    );
  }
  const origin = `${options.insecure ? 'http' : 'https'}://${options.registry}`;
  const registryOrigin = new URL(origin).origin;
  const connectMs = options.connectTimeoutMs ?? 30_000;
  const timeoutMs = options.timeoutMs ?? 300_000;
  const clock = options.clock ?? SYSTEM_CLOCK;
  const transport = createTransport({
    userAgent: options.userAgent,
    ...(options.env === undefined ? {} : { env: options.env }),
    caCertFiles: options.caCertFiles ?? [],
    connectTimeoutMs: connectMs,
    bodyTimeoutMs: timeoutMs,
    connections: 8,
    ...(options.observer === undefined ? {} : { observer: options.observer }),
  });

  const login = credentialsFor(options);
  // A user's login (and any token it buys) never goes over plain http: with an insecure
  // registry the client is anonymous, and a 401 says why.
  const useLogin = login !== undefined && !options.insecure;
  // Once the registry has asked for Basic, every request carries it: no 401 round trip each time.
  let basic = false;
  const tokens = new Map<string, Token>();

  async function open(call: Call, credential: Credential | undefined): Promise<Opened> {
    const trail: Trail = { url: call.url };
    try {
      return await transport.open(
        {
          method: call.method,
          url: call.url,
          headers: call.headers ?? {},
          ...(credential === undefined ? {} : { credential }),
          body: call.body?.() ?? null,
        },
        trail,
      );
    } catch (error) {
      if (isAirgapError(error)) throw error;
      if (error instanceof RedirectFailure) {
        throw new AirgapError(
          'OCI_REGISTRY_ERROR',
          `${call.method} ${display(call.url)} failed: ${error.reason}`,
          {
            address: display(call.url),
            status: error.status,
            ...(error.expected === undefined ? {} : { expected: error.expected }),
            ...(error.actual === undefined ? {} : { actual: error.actual }),
            cause: error,
          },
        );
      }
      const failure = classifyError(error, { connectMs, bodyMs: timeoutMs });
      const at = trail.url.href === call.url.href ? '' : ` at ${display(trail.url)}`;
      const via = trail.proxy === undefined ? '' : ` via proxy ${redactUrl(trail.proxy)}`;
      const code = failure.code === undefined ? '' : ` (${failure.code})`;
      const hint = failure.hint === undefined ? '' : `: ${failure.hint}`;
      throw new AirgapError(
        'OCI_REGISTRY_ERROR',
        `${call.method} ${display(call.url)}${at}${via}: ${failure.what}${code}${hint}`,
        {
          address: display(call.url),
          cause: error,
        },
      );
    }
  }

  /** What goes with a request to the registry; the transport sends it only where mayCarry() allows. */
  function credentialFor(call: Call): Credential | undefined {
    if (basic && useLogin && login !== undefined) {
      return { origin: registryOrigin, headers: { authorization: basicHeader(login) } };
    }
    const token = tokens.get(call.scopes.join(' '));
    if (token === undefined) return undefined;
    return {
      origin: registryOrigin,
      headers: { authorization: `Bearer ${token.value}` },
      anonymous: token.anonymous,
    };
  }

  /** One request, with one retry after answering the registry's auth challenge. */
  async function send(call: Call): Promise<Opened> {
    for (let attempt = 1; ; attempt++) {
      const opened = await open(call, credentialFor(call));
      const { response } = opened;
      if (response.statusCode !== 401) return opened;
      const text = await readErrorBody(response);
      const challenge = parseChallenge(header(response, 'www-authenticate'));
      const refused = (): AirgapError =>
        statusError(call, opened, text, unauthorizedNote(opened.credentialSent, challenge));
      if (attempt > 1 || challenge === undefined || opened.url.origin !== registryOrigin) throw refused();
      if (challenge.scheme === 'basic') {
        if (!useLogin || opened.credentialSent) throw refused();
        basic = true;
        continue;
      }
      tokens.set(call.scopes.join(' '), await fetchToken(call, challenge));
    }
  }

  async function fetchToken(call: Call, challenge: Challenge): Promise<Token> {
    const realm = challenge.params['realm'];
    let url: URL;
    try {
      url = new URL(realm ?? '');
    } catch (cause) {
      throw new AirgapError(
        'OCI_REGISTRY_ERROR',
        `${call.method} ${display(call.url)}: the registry's Bearer challenge has no usable realm URL (${JSON.stringify(redactUrl(realm ?? ''))})`,
        {
          address: display(call.url),
          status: 401,
          expected: 'realm="https://..."',
          actual: redactUrl(realm ?? ''),
          cause,
        },
      );
    }
    // A plain-http realm only where the user chose plain http for the registry itself (and then anonymously).
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && options.insecure)) {
      throw new AirgapError(
        'OCI_REGISTRY_ERROR',
        `${call.method} ${display(call.url)}: the registry's token realm ${display(url)} is not https; pass --registry-insecure to allow it`,
        { address: display(call.url), status: 401, expected: 'https:', actual: url.protocol },
      );
    }
    const service = challenge.params['service'];
    if (service !== undefined) url.searchParams.append('service', service);
    // Ask for everything the operation needs, not just what this request was challenged for: a HEAD
    // before an upload is challenged for pull, and one pull,push token then serves the whole push.
    const scopes = [...call.scopes];
    for (const asked of challenge.params['scope']?.split(' ') ?? []) {
      const resource = asked.slice(0, asked.lastIndexOf(':') + 1);
      if (asked !== '' && !scopes.some((s) => s.startsWith(resource))) scopes.push(asked);
    }
    for (const scope of scopes) url.searchParams.append('scope', scope);
    const tokenCall: Call = { method: 'GET', url, scopes: [], headers: { accept: 'application/json' } };
    const credential: Credential | undefined =
      useLogin && login !== undefined
        ? { origin: url.origin, headers: { authorization: basicHeader(login) } }
        : undefined;
    const opened = await open(tokenCall, credential);
    const { response } = opened;
    const what = `token request to ${display(url)} (for ${call.method} ${display(call.url)})`;
    if (response.statusCode < 200 || response.statusCode > 299) {
      const text = await readErrorBody(response);
      const who = opened.credentialSent && login !== undefined ? `as ${login.username}` : 'anonymously';
      throw new AirgapError(
        'OCI_REGISTRY_ERROR',
        `${what} failed ${who}: ${response.statusCode}${registryErrors(text)}`,
        { address: display(url), status: response.statusCode, actual: String(response.statusCode) },
      );
    }
    const text = (await readDocument(tokenCall, response, MAX_METADATA_BYTES, 'token answer')).toString(
      'utf8',
    );
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (cause) {
      throw new AirgapError('OCI_REGISTRY_ERROR', `${what}: the answer is not JSON`, {
        address: display(url),
        expected: '{"token": ...}',
        actual: text.slice(0, 60),
        cause,
      });
    }
    const record = typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : {};
    const token = record['token'] ?? record['access_token'];
    if (typeof token !== 'string' || token === '') {
      throw new AirgapError('OCI_REGISTRY_ERROR', `${what}: the answer has no "token" or "access_token"`, {
        address: display(url),
        expected: '{"token": "..."}',
        actual: Object.keys(record).join(','),
      });
    }
    return { value: token, anonymous: !opened.credentialSent };
  }

  function unauthorizedNote(sent: boolean, challenge: Challenge | undefined): string {
    const scheme =
      challenge === undefined ? 'an unknown scheme' : challenge.scheme === 'basic' ? 'Basic' : 'Bearer';
    if (options.insecure) {
      return ` (the registry requires ${scheme} auth, and credentials are never sent over plain http: reach ${options.registry} over https, with --ca-cert for a private CA)`;
    }
    if (sent) return ` (the registry rejected the ${scheme} credentials sent${loginNote()})`;
    if (challenge === undefined) return ' (the registry sent no Basic or Bearer challenge)';
    const hint = dockerAuthFor(options.dockerConfig ?? { entries: [] }, options.registry)?.identityToken
      ? '; the docker config has only an identitytoken for it, which airgap does not exchange'
      : '';
    return ` (the registry requires ${scheme} auth and no credentials for ${options.registry} were given${hint})`;
  }

  function statusError(call: Call, opened: Opened, body: string, note: string): AirgapError {
    const { response } = opened;
    const status = response.statusCode;
    const text = statusTextOf(response);
    const at = opened.url.href === call.url.href ? '' : ` (at ${display(opened.url)})`;
    return new AirgapError(
      'OCI_REGISTRY_ERROR',
      `${call.method} ${display(call.url)} failed: ${status}${text ? ` ${text}` : ''}${at}${registryErrors(body)}${note}`,
      {
        address: display(call.url),
        status,
        actual: String(status),
        // Carries Retry-After for a caller that retries (the base-image source).
        cause: new StatusFailure(
          status,
          text,
          display(opened.url),
          parseRetryAfter(header(response, 'retry-after'), clock.now()),
        ),
      },
    );
  }

  function loginNote(): string {
    return login === undefined ? '' : ` for user ${login.username}`;
  }

  function url(path: string): URL {
    return new URL(`${origin}${path}`);
  }

  async function expect(call: Call, statuses: number[]): Promise<Dispatcher.ResponseData> {
    const opened = await send(call);
    if (statuses.includes(opened.response.statusCode)) return opened.response;
    throw statusError(call, opened, await readErrorBody(opened.response), '');
  }

  function pushScopes(repo: string): string[] {
    return [`repository:${repo}:pull,push`];
  }

  async function hasBlob(repo: string, digest: string): Promise<boolean> {
    checkRepo(repo);
    checkDigest(digest);
    const call: Call = { method: 'HEAD', url: url(`/v2/${repo}/blobs/${digest}`), scopes: pushScopes(repo) };
    // HEAD is not redirected (see TransportRequest.followRedirects).
    const opened = await send(call);
    const { response } = opened;
    await response.body.dump().catch(() => undefined);
    if (response.statusCode >= 200 && response.statusCode <= 299) return true;
    // A registry on object storage may point at the blob instead of serving it: still there.
    if (REDIRECTS.has(response.statusCode)) return true;
    if (response.statusCode === 404) return false;
    throw statusError(call, opened, '', '');
  }

  async function startUpload(
    repo: string,
    blob: OciBlob,
    mountFrom: string | undefined,
  ): Promise<'mounted' | URL> {
    if (mountFrom !== undefined && mountFrom !== repo) {
      checkRepo(mountFrom);
      const target = url(`/v2/${repo}/blobs/uploads/`);
      target.search = `?mount=${encodeURIComponent(blob.digest)}&from=${encodeURIComponent(mountFrom)}`;
      const call: Call = {
        method: 'POST',
        url: target,
        scopes: [...pushScopes(repo), `repository:${mountFrom}:pull`],
        headers: { 'content-length': '0' },
      };
      const response = await expect(call, [201, 202]);
      if (response.statusCode === 201) {
        await response.body.dump().catch(() => undefined);
        checkDigestHeader(call, response, blob.digest);
        return 'mounted';
      }
      // 202: the registry could not mount (no such blob there, or no pull access) and opened an upload instead.
      await response.body.dump().catch(() => undefined);
      return location(call, response);
    }
    const call: Call = {
      method: 'POST',
      url: url(`/v2/${repo}/blobs/uploads/`),
      scopes: pushScopes(repo),
      headers: { 'content-length': '0' },
    };
    const response = await expect(call, [202]);
    await response.body.dump().catch(() => undefined);
    return location(call, response);
  }

  async function uploadMonolithic(repo: string, blob: OciBlob, at: URL): Promise<void> {
    const call: Call = {
      method: 'PUT',
      url: withDigest(at, blob.digest),
      scopes: pushScopes(repo),
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(blob.size) },
      body: () => blobBody(blob, 0, blob.size),
    };
    const response = await expect(call, [201]);
    await response.body.dump().catch(() => undefined);
    checkDigestHeader(call, response, blob.digest);
  }

  async function uploadChunked(repo: string, blob: OciBlob, at: URL, chunkSize: number): Promise<void> {
    let next = at;
    for (let start = 0; start < blob.size; start += chunkSize) {
      const end = Math.min(blob.size, start + chunkSize);
      const call: Call = {
        method: 'PATCH',
        url: next,
        scopes: pushScopes(repo),
        headers: {
          'content-type': 'application/octet-stream',
          'content-length': String(end - start),
          'content-range': `${start}-${end - 1}`,
        },
        body: () => blobBody(blob, start, end),
      };
      const response = await expect(call, [202]);
      await response.body.dump().catch(() => undefined);
      const range = header(response, 'range');
      if (range !== undefined && range !== `0-${end - 1}`) {
        throw new AirgapError(
          'OCI_REGISTRY_ERROR',
          `PATCH ${display(call.url)}: the registry acknowledged bytes ${range} of the upload, expected 0-${end - 1}`,
          { address: display(call.url), expected: `0-${end - 1}`, actual: range },
        );
      }
      next = location(call, response);
    }
    const call: Call = {
      method: 'PUT',
      url: withDigest(next, blob.digest),
      scopes: pushScopes(repo),
      headers: { 'content-length': '0' },
    };
    const response = await expect(call, [201]);
    await response.body.dump().catch(() => undefined);
    checkDigestHeader(call, response, blob.digest);
  }

  async function openBlob(
    repo: string,
    digest: string,
    blobOptions?: { offset?: number },
  ): Promise<OpenedBlob> {
    checkRepo(repo);
    checkDigest(digest);
    const offset = blobOptions?.offset ?? 0;
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new AirgapError('USAGE', `blob ${digest}: offset ${offset} is not a byte count`, {
        expected: 'non-negative integer',
        actual: String(offset),
      });
    }
    const headers: Record<string, string> = offset > 0 ? { range: `bytes=${offset}-` } : {};
    const call: Call = {
      method: 'GET',
      url: url(`/v2/${repo}/blobs/${digest}`),
      scopes: [`repository:${repo}:pull`],
      headers,
    };
    // Redirects (to a CDN, say) are followed by the transport, which sends the
    // registry's credentials to the registry's origin only.
    const opened = await send(call);
    const { response } = opened;
    if (response.statusCode !== 200 && response.statusCode !== 206) {
      throw statusError(call, opened, await readErrorBody(response), '');
    }
    const length = header(response, 'content-length');
    const size = length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined;
    if (response.statusCode === 200) return { body: response.body, size, offset: 0 };
    const range = header(response, 'content-range');
    const start = /^bytes (\d+)-/.exec(range ?? '')?.[1];
    if (start === undefined || Number(start) !== offset) {
      response.body.destroy();
      throw new AirgapError(
        'OCI_REGISTRY_ERROR',
        `GET ${display(opened.url)}: 206 with Content-Range ${range ?? '(none)'}, expected bytes ${offset}-`,
        { address: display(call.url), status: 206, expected: `bytes ${offset}-`, actual: range ?? '' },
      );
    }
    return { body: response.body, size, offset };
  }

  async function putManifest(
    repo: string,
    reference: string,
    manifest: { mediaType: string; bytes: Uint8Array },
  ): Promise<{ digest: string; ociSubject: string | undefined }> {
    checkRepo(repo);
    const digest = `sha256:${createHash('sha256').update(manifest.bytes).digest('hex')}`;
    checkReference(reference);
    if (reference.includes(':') && reference !== digest) {
      throw new AirgapError(
        'OCI_REFERENCE_INVALID',
        `manifest for ${repo}@${reference}: its bytes hash to ${digest}, not the digest it is pushed under`,
        { address: `${options.registry}/${repo}@${reference}`, expected: reference, actual: digest },
      );
    }
    const call: Call = {
      method: 'PUT',
      url: url(`/v2/${repo}/manifests/${reference}`),
      scopes: pushScopes(repo),
      headers: { 'content-type': manifest.mediaType, 'content-length': String(manifest.bytes.length) },
      body: () => manifest.bytes,
    };
    const response = await expect(call, [201]);
    await response.body.dump().catch(() => undefined);
    checkDigestHeader(call, response, digest);
    return { digest, ociSubject: header(response, 'oci-subject') };
  }

  return {
    hasBlob,
    openBlob,

    async pushBlob(repo, blob, pushOptions) {
      checkBlob(blob);
      if (await hasBlob(repo, blob.digest)) return 'exists';
      const started = await startUpload(repo, blob, pushOptions?.mountFrom);
      if (started === 'mounted') return 'mounted';
      const chunkSize = options.chunkSize;
      if (chunkSize === undefined || blob.size <= chunkSize) await uploadMonolithic(repo, blob, started);
      else await uploadChunked(repo, blob, started, chunkSize);
      return 'uploaded';
    },

    async pushManifest(repo, reference, manifest) {
      return (await putManifest(repo, reference, manifest)).digest;
    },

    pushManifestWithSubject: putManifest,

    async getManifest(repo, reference) {
      checkRepo(repo);
      checkReference(reference);
      const call: Call = {
        method: 'GET',
        url: url(`/v2/${repo}/manifests/${reference}`),
        scopes: [`repository:${repo}:pull`],
        headers: { accept: MANIFEST_ACCEPT },
      };
      const response = await expect(call, [200, 404]);
      if (response.statusCode === 404) {
        await response.body.dump().catch(() => undefined);
        return undefined;
      }
      const bytes = await readDocument(call, response, MAX_MANIFEST_BYTES, 'manifest');
      const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
      if (reference.includes(':') && reference.startsWith('sha256:') && reference !== digest) {
        throw new AirgapError(
          'CHECKSUM_MISMATCH',
          `GET ${display(call.url)}: the manifest served hashes to ${digest}, not the digest asked for`,
          { address: display(call.url), expected: reference, actual: digest },
        );
      }
      checkDigestHeader(call, response, digest);
      const contentType = header(response, 'content-type')?.split(';')[0]?.trim();
      return { mediaType: contentType || mediaTypeOf(bytes), bytes, digest };
    },

    async close() {
      await transport.close();
    },
  };
}

function credentialsFor(
  options: OciRegistryClientOptions,
): { username: string; password: string } | undefined {
  if (options.credentials !== undefined) return options.credentials;
  const entry =
    options.dockerConfig === undefined ? undefined : dockerAuthFor(options.dockerConfig, options.registry);
  if (entry?.username === undefined || entry.password === undefined) return undefined;
  return { username: entry.username, password: entry.password };
}

function basicHeader(login: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${login.username}:${login.password}`, 'utf8').toString('base64')}`;
}

/**
 * The first Basic or Bearer challenge in a WWW-Authenticate value, with its
 * auth-params (quoted strings may hold commas, e.g. scope="repository:a:pull,push").
 */
export function parseChallenge(value: string | undefined): Challenge | undefined {
  if (value === undefined) return undefined;
  const match = /^\s*(basic|bearer)\b(.*)$/i.exec(value);
  if (match === null) return undefined;
  const scheme = (match[1] ?? '').toLowerCase() === 'basic' ? 'basic' : 'bearer';
  const params: Record<string, string> = {};
  const param = /\s*([A-Za-z0-9_.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?/gy;
  const rest = match[2] ?? '';
  param.lastIndex = 0;
  for (let m = param.exec(rest); m !== null && m[0] !== ''; m = param.exec(rest)) {
    const name = (m[1] ?? '').toLowerCase();
    params[name] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '');
  }
  return { scheme, params };
}

function checkBlob(blob: OciBlob): void {
  checkDigest(blob.digest);
  if (!Number.isSafeInteger(blob.size) || blob.size < 0) {
    throw new AirgapError('USAGE', `blob ${blob.digest}: size ${blob.size} is not a byte count`, {
      expected: 'non-negative integer',
      actual: String(blob.size),
    });
  }
  if (blob.bytes === undefined && blob.path === undefined) {
    throw new AirgapError('USAGE', `blob ${blob.digest}: neither a path nor bytes to upload`, {});
  }
  if (blob.bytes !== undefined && blob.bytes.length !== blob.size) {
    throw new AirgapError(
      'USAGE',
      `blob ${blob.digest}: ${blob.bytes.length} bytes given for a blob of size ${blob.size}`,
      {
        expected: String(blob.size),
        actual: String(blob.bytes.length),
      },
    );
  }
}

function blobBody(blob: OciBlob, start: number, end: number): Uint8Array | Readable {
  if (blob.bytes !== undefined) return blob.bytes.subarray(start, end);
  // Bounded by blob.size: a file that grew since hashing must not send extra bytes.
  if (end === start) return new Uint8Array(0);
  return fs.createReadStream(blob.path as string, { start, end: end - 1 });
}

function checkRepo(repo: string): void {
  if (isValidRepositoryName(repo)) return;
  throw new AirgapError(
    'OCI_REFERENCE_INVALID',
    `repository name ${JSON.stringify(repo)} breaks the distribution spec's grammar`,
    {
      address: repo,
      expected: 'lower-case [a-z0-9] components separated by ".", "_", "__", "-" and joined by "/"',
      actual: repo,
    },
  );
}

function checkDigest(digest: string): void {
  if (isValidDigest(digest)) return;
  throw new AirgapError('OCI_REFERENCE_INVALID', `digest ${JSON.stringify(digest)} is not ALGORITHM:HEX`, {
    expected: 'sha256:<64 lower-case hex>',
    actual: digest,
  });
}

function checkReference(reference: string): void {
  if (reference.includes(':') ? isValidDigest(reference) : isValidTag(reference)) return;
  throw new AirgapError(
    'OCI_REFERENCE_INVALID',
    `manifest reference ${JSON.stringify(reference)} is neither a tag nor a digest`,
    {
      expected: '[A-Za-z0-9_][A-Za-z0-9._-]{0,127} or sha256:<hex>',
      actual: reference,
    },
  );
}

function location(call: Call, response: Dispatcher.ResponseData): URL {
  const value = header(response, 'location');
  if (value === undefined || value === '') {
    throw new AirgapError(
      'OCI_REGISTRY_ERROR',
      `${call.method} ${display(call.url)}: ${response.statusCode} without a Location header for the upload`,
      { address: display(call.url), status: response.statusCode, expected: 'Location', actual: '' },
    );
  }
  try {
    // Relative to the request, keeping the session's query (`_state` and the like).
    return new URL(value, call.url);
  } catch (cause) {
    throw new AirgapError(
      'OCI_REGISTRY_ERROR',
      `${call.method} ${display(call.url)}: invalid upload Location ${redactUrl(value)}`,
      {
        address: display(call.url),
        actual: redactUrl(value),
        cause,
      },
    );
  }
}

function withDigest(at: URL, digest: string): URL {
  // Appended as text: re-serialising the session's query could re-encode its state token.
  const base = at.href.replace(/#.*$/, '');
  return new URL(`${base}${at.search === '' ? '?' : '&'}digest=${encodeURIComponent(digest)}`);
}

function checkDigestHeader(call: Call, response: Dispatcher.ResponseData, expected: string): void {
  const actual = header(response, 'docker-content-digest');
  if (actual === undefined || actual === '') return;
  // A registry may answer in another algorithm than ours; only a like-for-like digest can be compared.
  if (actual.split(':')[0] !== expected.split(':')[0]) return;
  if (actual === expected) return;
  throw new AirgapError(
    'OCI_REGISTRY_ERROR',
    `${call.method} ${display(call.url)}: the registry reports Docker-Content-Digest ${actual}, expected ${expected}`,
    { address: display(call.url), status: response.statusCode, expected, actual },
  );
}

/** The first MAX_ERROR_BODY bytes of an error answer, for the message; the rest is not read. */
async function readErrorBody(response: Dispatcher.ResponseData): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= MAX_ERROR_BODY) {
        response.body.destroy();
        break;
      }
    }
  } catch {
    // The status already says what failed; a broken error body adds nothing.
  }
  return Buffer.concat(chunks).subarray(0, MAX_ERROR_BODY).toString('utf8');
}

async function readDocument(
  call: Call,
  response: Dispatcher.ResponseData,
  limit: number,
  what: string,
): Promise<Buffer> {
  try {
    return await readCapped(response, limit);
  } catch (error) {
    if (!(error instanceof OversizeFailure)) throw error;
    throw new AirgapError(
      'OCI_REGISTRY_ERROR',
      `${call.method} ${display(call.url)}: ${error.message} for a ${what}`,
      {
        address: display(call.url),
        expected: `<= ${limit} bytes`,
        actual: error.announced
          ? `${error.seen} bytes (Content-Length)`
          : `more than ${limit} bytes (${error.seen} read)`,
        cause: error,
      },
    );
  }
}

function mediaTypeOf(bytes: Uint8Array): string {
  try {
    const json = JSON.parse(Buffer.from(bytes).toString('utf8')) as { mediaType?: unknown };
    return typeof json.mediaType === 'string' ? json.mediaType : '';
  } catch {
    return '';
  }
}

/** ": CODE: message (detail); ..." from the distribution spec's error body, or "" when there is none. */
function registryErrors(body: string): string {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return '';
  }
  const errors = (json as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errors) || errors.length === 0) return '';
  const parts = errors.map((e: unknown) => {
    const { code, message, detail } = (e ?? {}) as { code?: unknown; message?: unknown; detail?: unknown };
    const text = [code, message].filter((v) => typeof v === 'string' && v !== '').join(': ');
    // Distribution puts the offending digest here as a string; structured details are noise in one line.
    return typeof detail === 'string' && detail !== '' && detail.length <= 200 ? `${text} (${detail})` : text;
  });
  return `: ${parts.filter((p) => p !== '').join('; ')}`;
}

/** For messages: no userinfo, and an upload session's opaque state shortened. */
function display(url: URL): string {
  return redactUrl(url.href).replace(/([?&]_state=)[^&]*/, '$1...');
}
