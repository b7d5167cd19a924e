// Provider Registry Protocol v1 client: service discovery (cached per host, with
// CLI-config `host` blocks overriding it as tofu does), credentials, and the
// versions and download endpoints.

import { AirgapError, isAirgapError } from '../../core/errors.js';
import type { HttpClient, ProviderRegistry, RegistryHosts, RegistryProvider } from '../../core/ports.js';
import type { Platform } from '../../core/provider/platform.js';
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
        `${hostname} does not host a provider registry: ${url} has no "${PROVIDERS_SERVICE}"`,
        {
          address: url,
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
    const sameOrigin =
      new URL(url).origin === new URL(base).origin || new URL(url).host === provider.hostname;
    return sameOrigin ? tokenHeaders(provider.hostname) : {};
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
          `provider ${formatAddress(provider)} is not known to its registry (${url}: 404)`,
          {
            provider: formatAddress(provider),
            address: url,
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
            `provider ${formatAddress(provider)} ${version} has no package for ${p} (${url}: 404)`,
            {
              provider: formatAddress(provider),
              version,
              platform: p,
              address: url,
              cause: e,
            },
          );
        }
        throw e;
      }
    },

    headersFor: apiHeaders,
  };
}
