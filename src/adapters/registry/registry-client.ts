// Provider Registry Protocol v1 client: service discovery (cached per host, with
// CLI-config `host` blocks overriding it as tofu does), credentials, and the
// versions and download endpoints. A host's token belongs to two origins: the host's
// own (https://HOST, where discovery is) and that of its providers service (where
// discovery or a host block points the API); it is handed out for a URL only when
// the transport's credential rule (mayCarry: https, exact origin) allows it there.

import { AirgapError, isAirgapError } from '../../core/errors.js';
import type { HttpClient, ProviderRegistry, RegistryHosts, RegistryProvider } from '../../core/ports.js';
import type { Platform } from '../../core/provider/platform.js';
import { redactUrl } from '../../core/redact.js';
import {
  DISCOVERY_PATH,
  PROVIDERS_SERVICE,
  type DownloadInfo,
  type ProviderVersionInfo,
  downloadUrl,
  parseDiscovery,
  parseDownload,
  parseVersions,
  resolveServiceUrl,
  versionsUrl,
} from '../../core/registry/protocol.js';
import { mayCarry } from '../http/transport.js';

export interface RegistryClientOptions {
  http: HttpClient;
  hosts: RegistryHosts;
}

function formatAddress(p: RegistryProvider): string {
  return `${p.hostname}/${p.namespace}/${p.type}`;
}

export function createRegistryClient(options: RegistryClientOptions): ProviderRegistry {
  const { http, hosts } = options;
  const services = new Map<string, Promise<string>>();
  const versionLists = new Map<string, Promise<ProviderVersionInfo[]>>();

  async function tokenHeaders(hostname: string): Promise<Record<string, string>> {
    const token = await hosts.token(hostname);
    return token === undefined ? {} : { Authorization: `Bearer ${token}` };
  }

  async function discover(hostname: string): Promise<string> {
    const override = hosts.services(hostname);
    if (override !== undefined) {
      const value = override[PROVIDERS_SERVICE];
      const base = `https://${hostname}/`;
      if (typeof value !== 'string') {
        throw new AirgapError(
          'CLICONFIG_INVALID',
          `host "${hostname}" in ${hosts.servicesSource(hostname) ?? 'the CLI configuration'} has no "${PROVIDERS_SERVICE}" service`,
          {
            path: hosts.servicesSource(hostname),
            expected: `services = { "${PROVIDERS_SERVICE}" = "https://..." }`,
          },
        );
      }
      return resolveServiceUrl(value, base);
    }
    const url = `https://${hostname}${DISCOVERY_PATH}`;
    const doc = await http.getJson(url, { headers: await tokenHeaders(hostname) });
    const base = parseDiscovery(doc, url);
    if (base === undefined) {
      throw new AirgapError(
        'REGISTRY_PROTOCOL',
        `${hostname} does not host a provider registry: ${redactUrl(url)} has no "${PROVIDERS_SERVICE}"`,
        {
          address: redactUrl(url),
          expected: PROVIDERS_SERVICE,
        },
      );
    }
    return base;
  }

  function serviceUrl(hostname: string): Promise<string> {
    let p = services.get(hostname);
    if (p === undefined) {
      p = discover(hostname);
      services.set(hostname, p);
      // A failed discovery is not cached: a later call may succeed.
      p.catch(() => services.delete(hostname));
    }
    return p;
  }

  async function apiHeaders(provider: RegistryProvider, url: string): Promise<Record<string, string>> {
    const base = await serviceUrl(provider.hostname);
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return {};
    }
    const origins = [new URL(`https://${provider.hostname}/`).origin, new URL(base).origin];
    return origins.some((origin) => mayCarry(target, { origin })) ? tokenHeaders(provider.hostname) : {};
  }

  async function fetchVersions(provider: RegistryProvider): Promise<ProviderVersionInfo[]> {
    const base = await serviceUrl(provider.hostname);
    const url = versionsUrl(base, provider.namespace, provider.type);
    try {
      return parseVersions(await http.getJson(url, { headers: await apiHeaders(provider, url) }), url);
    } catch (e) {
      if (isAirgapError(e) && e.code === 'HTTP_ERROR' && e.details.status === 404) {
        throw new AirgapError(
          'PROVIDER_NOT_FOUND',
          `provider ${formatAddress(provider)} is not known to its registry (${redactUrl(url)}: 404)`,
          {
            provider: formatAddress(provider),
            address: redactUrl(url),
            cause: e,
          },
        );
      }
      throw e;
    }
  }

  return {
    versions(provider) {
      const key = formatAddress(provider);
      let p = versionLists.get(key);
      if (p === undefined) {
        p = fetchVersions(provider);
        versionLists.set(key, p);
        p.catch(() => versionLists.delete(key));
      }
      return p;
    },

    async download(provider, version, platform: Platform): Promise<DownloadInfo> {
      const base = await serviceUrl(provider.hostname);
      const url = downloadUrl(base, provider.namespace, provider.type, version, platform.os, platform.arch);
      try {
        return parseDownload(await http.getJson(url, { headers: await apiHeaders(provider, url) }), url);
      } catch (e) {
        if (isAirgapError(e) && e.code === 'HTTP_ERROR' && e.details.status === 404) {
          const p = `${platform.os}_${platform.arch}`;
          throw new AirgapError(
            'PLATFORM_MISSING',
            `provider ${formatAddress(provider)} ${version} has no package for ${p} (${redactUrl(url)}: 404)`,
            {
              provider: formatAddress(provider),
              version,
              platform: p,
              address: redactUrl(url),
              cause: e,
            },
            `drop --platform ${p}, or pass --skip-missing-platforms to mirror what exists`,
          );
        }
        throw e;
      }
    },

    headersFor: apiHeaders,
  };
}
