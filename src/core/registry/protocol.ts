// Provider Registry Protocol v1: response shapes, and checks that a registry's
// answer has them. Pure: the HTTP side lives in src/adapters/registry/.

import { AirgapError } from '../errors.js';

export const PROVIDERS_SERVICE = 'providers.v1';
export const DISCOVERY_PATH = '/.well-known/terraform.json';

export interface ProviderVersionInfo {
  version: string;
  protocols: string[];
  /** "os_arch" names the registry says it has packages for. */
  platforms: string[];
}

export interface SigningKey {
  keyId: string;
  asciiArmor: string;
}

export interface PackageHashes {
  hashes: string[];
  /** `package_size`: the zip's size in bytes, when the registry gives a positive whole number. */
  packageSize?: number;
}

export interface DownloadInfo {
  filename: string;
  downloadUrl: string;
  shasumsUrl: string;
  shasumsSignatureUrl: string;
  /** lower-case hex sha256 of the zip, as the registry states it */
  shasum: string;
  signingKeys: SigningKey[];
  /** OpenTofu's `packages` extension: per-platform hashes, when the registry sends it. */
  packages?: Record<string, PackageHashes>;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function protocolError(url: string, what: string, found: unknown): AirgapError {
  const shown = JSON.stringify(found);
  return new AirgapError(
    'REGISTRY_PROTOCOL',
    `registry response from ${url}: expected ${what}, found ${shown?.slice(0, 200)}`,
    {
      address: url,
      expected: what,
      actual: shown?.slice(0, 200),
    },
  );
}

function str(obj: Record<string, unknown>, key: string, url: string): string {
  const v = obj[key];
  if (typeof v !== 'string' || v === '') throw protocolError(url, `a non-empty string "${key}"`, v);
  return v;
}

/**
 * Resolves a service's base URL (providers.v1 by default, or modules.v1) from a discovery
 * document fetched from `discoveryUrl`; undefined when the document does not list it.
 */
export function parseDiscovery(
  doc: unknown,
  discoveryUrl: string,
  service: string = PROVIDERS_SERVICE,
): string | undefined {
  if (!isRecord(doc)) throw protocolError(discoveryUrl, 'a JSON object', doc);
  const v = doc[service];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw protocolError(discoveryUrl, `a string "${service}"`, v);
  return resolveServiceUrl(v, discoveryUrl);
}

/** Service URLs may be relative to the discovery document; a trailing slash is ensured. */
export function resolveServiceUrl(value: string, base: string): string {
  const u = new URL(value, base);
  if (!u.pathname.endsWith('/')) u.pathname += '/';
  return u.toString();
}

export function parseVersions(doc: unknown, url: string): ProviderVersionInfo[] {
  if (!isRecord(doc) || !Array.isArray(doc.versions))
    throw protocolError(url, 'an object with a "versions" list', doc);
  return doc.versions.map((v) => {
    if (!isRecord(v)) throw protocolError(url, 'a version object', v);
    const platforms = Array.isArray(v.platforms)
      ? v.platforms.map((p) => {
          if (!isRecord(p) || typeof p.os !== 'string' || typeof p.arch !== 'string') {
            throw protocolError(url, 'a platform {os, arch}', p);
          }
          return `${p.os}_${p.arch}`;
        })
      : [];
    const protocols = Array.isArray(v.protocols)
      ? v.protocols.filter((p): p is string => typeof p === 'string')
      : [];
    return { version: str(v, 'version', url), protocols, platforms };
  });
}

export function parseDownload(doc: unknown, url: string): DownloadInfo {
  if (!isRecord(doc)) throw protocolError(url, 'a JSON object', doc);
  const shasum = str(doc, 'shasum', url).toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(shasum)) throw protocolError(url, 'a 64-digit hex "shasum"', doc.shasum);
  const keysObj = doc.signing_keys;
  const rawKeys = isRecord(keysObj) && Array.isArray(keysObj.gpg_public_keys) ? keysObj.gpg_public_keys : [];
  const signingKeys = rawKeys.map((k) => {
    if (!isRecord(k)) throw protocolError(url, 'a signing key object', k);
    return { keyId: typeof k.key_id === 'string' ? k.key_id : '', asciiArmor: str(k, 'ascii_armor', url) };
  });
  const info: DownloadInfo = {
    filename: str(doc, 'filename', url),
    downloadUrl: new URL(str(doc, 'download_url', url), url).toString(),
    shasumsUrl: new URL(str(doc, 'shasums_url', url), url).toString(),
    shasumsSignatureUrl: new URL(str(doc, 'shasums_signature_url', url), url).toString(),
    shasum,
    signingKeys,
  };
  if (isRecord(doc.packages)) {
    const packages: Record<string, PackageHashes> = {};
    for (const [platform, p] of Object.entries(doc.packages)) {
      if (!isRecord(p) || !Array.isArray(p.hashes)) continue;
      packages[platform] = {
        hashes: p.hashes.filter((h): h is string => typeof h === 'string'),
        ...(isByteCount(p.package_size) ? { packageSize: p.package_size } : {}),
      };
    }
    info.packages = packages;
  }
  return info;
}

// tofu refuses a package_size that is not positive (internal/getproviders/
// package_authentication.go); such a value states no size.
function isByteCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
}

/**
 * The size in bytes of `platform`'s package as the download answer states it: OpenTofu's
 * `packages` extension gives `package_size` for every platform of the version
 * (opentofu website/docs/internals/provider-registry-protocol.mdx). Undefined when the
 * registry sends no such size (registry.terraform.io does not): then only a HEAD of the
 * download URL can tell.
 */
export function statedPackageSize(info: DownloadInfo, platform: string): number | undefined {
  return info.packages?.[platform]?.packageSize;
}

export function versionsUrl(base: string, namespace: string, type: string): string {
  return new URL(`${encodeURIComponent(namespace)}/${encodeURIComponent(type)}/versions`, base).toString();
}

export function downloadUrl(
  base: string,
  namespace: string,
  type: string,
  version: string,
  os: string,
  arch: string,
): string {
  const parts = [namespace, type, version, 'download', os, arch].map(encodeURIComponent).join('/');
  return new URL(parts, base).toString();
}
