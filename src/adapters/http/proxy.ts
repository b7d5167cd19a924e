// Proxy selection from an environment map the caller hands in (never process.env):
// which proxy URL, if any, a request URL goes through. Follows Go's
// net/http/httpproxy (what tofu and terraform do), except that loopback hosts are
// not exempt by default: NO_PROXY must say so.
import { BlockList, isIP } from 'node:net';
import { AirgapError } from '../../core/errors.js';
import { redactUrl } from '../../core/redact.js';

export interface ProxySettings {
  /** For http:// URLs (HTTP_PROXY, then http_proxy). */
  httpProxy?: string;
  /** For https:// URLs (HTTPS_PROXY, then https_proxy). Like Go and curl, never falls back to HTTP_PROXY. */
  httpsProxy?: string;
  /** The raw NO_PROXY / no_proxy list. */
  noProxy: string;
}

export function proxySettingsFromEnv(env: Record<string, string | undefined>): ProxySettings {
  const pick = (upper: string, lower: string): string | undefined => {
    const value = (env[upper] ?? env[lower])?.trim();
    return value ? value : undefined;
  };
  const httpProxy = pick('HTTP_PROXY', 'http_proxy');
  const httpsProxy = pick('HTTPS_PROXY', 'https_proxy');
  return {
    ...(httpProxy === undefined ? {} : { httpProxy: normalizeProxyUrl(httpProxy, 'HTTP_PROXY') }),
    ...(httpsProxy === undefined ? {} : { httpsProxy: normalizeProxyUrl(httpsProxy, 'HTTPS_PROXY') }),
    noProxy: pick('NO_PROXY', 'no_proxy') ?? '',
  };
}

/** The proxy URL for `url`, or undefined to connect directly. */
export function proxyForUrl(url: URL, settings: ProxySettings): string | undefined {
  const proxy =
    url.protocol === 'https:'
      ? settings.httpsProxy
      : url.protocol === 'http:'
        ? settings.httpProxy
        : undefined;
  if (proxy === undefined) return undefined;
  return bypassesProxy(url, settings.noProxy) ? undefined : proxy;
}

/**
 * True when NO_PROXY exempts `url`. Entries are comma or space separated:
 * `*` (everything), `host`, `.host` and `*.host` (the host and its subdomains),
 * any of those with `:port`, IP addresses (`[v6]:port` too) and CIDR blocks.
 */
export function bypassesProxy(url: URL, noProxy: string): boolean {
  const host = stripBrackets(url.hostname.toLowerCase()).replace(/\.$/, '');
  const port = url.port === '' ? defaultPort(url.protocol) : Number(url.port);
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    if (entry.includes('/')) {
      if (inCidr(host, entry)) return true;
      continue;
    }
    const { name, entryPort } = splitHostPort(entry);
    if (entryPort !== undefined && entryPort !== port) continue;
    if (isIP(name) !== 0) {
      if (name === host) return true;
      continue;
    }
    const domain = name.replace(/^\*?\./, '').replace(/\.$/, '');
    if (domain === '') continue;
    if (host === domain || host.endsWith(`.${domain}`)) return true;
  }
  return false;
}

function splitHostPort(entry: string): { name: string; entryPort?: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) {
    const [, name = '', p] = bracketed;
    return p === undefined ? { name } : { name, entryPort: Number(p) };
  }
  // A bare IPv6 address has several colons and no port.
  if (isIP(entry) === 6) return { name: entry };
  const withPort = /^(.*):(\d+)$/.exec(entry);
  if (withPort) {
    const [, name = '', p = ''] = withPort;
    return { name, entryPort: Number(p) };
  }
  return { name: entry };
}

function inCidr(host: string, entry: string): boolean {
  const [network = '', bitsText = ''] = entry.split('/');
  const family = isIP(network);
  const hostFamily = isIP(host);
  const bits = Number(bitsText);
  if (family === 0 || hostFamily !== family || !/^\d+$/.test(bitsText)) return false;
  if (bits > (family === 4 ? 32 : 128)) return false;
  const list = new BlockList();
  const type = family === 4 ? 'ipv4' : 'ipv6';
  list.addSubnet(network, bits, type);
  return list.check(host, type);
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function defaultPort(protocol: string): number {
  return protocol === 'https:' ? 443 : 80;
}

// Like Go, a proxy given as bare `host:port` means http://host:port.
function normalizeProxyUrl(value: string, name: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  let parsed: URL;
  try {
    parsed = new URL(withScheme);
  } catch (cause) {
    throw new AirgapError('USAGE', `${name} is not a valid proxy URL: ${redactUrl(value)}`, { cause });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new AirgapError(
      'USAGE',
      `${name} must be an http:// or https:// proxy URL, got ${parsed.protocol}//${parsed.host}`,
      { expected: 'http: or https:', actual: parsed.protocol },
    );
  }
  return parsed.href;
}
