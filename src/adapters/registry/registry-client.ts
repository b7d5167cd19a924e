// Provider Registry Protocol v1 client: the versions and download endpoints, on the
// shared service discovery and credential rule (./discovery.ts).

import { AirgapError, isAirgapError } from '../../core/errors.js';
import type { HttpClient, ProviderRegistry, RegistryHosts, RegistryProvider } from '../../core/ports.js';
import type { Platform } from '../../core/provider/platform.js';
import { redactUrl } from '../../core/redact.js';
import {
  PROVIDERS_SERVICE,
  type DownloadInfo,
  type ProviderVersionInfo,
  downloadUrl,
  parseDownload,
  parseVersions,
  versionsUrl,
} from '../../core/registry/protocol.js';
import { createServiceDiscovery } from './discovery.js';

export interface RegistryClientOptions {
  http: HttpClient;
  hosts: RegistryHosts;
}

function formatAddress(p: RegistryProvider): string {
  return `${p.hostname}/${p.namespace}/${p.type}`;
}

export function createRegistryClient(options: RegistryClientOptions): ProviderRegistry {
  const { http, hosts } = options;
  const discovery = createServiceDiscovery({ http, hosts });
  const versionLists = new Map<string, Promise<ProviderVersionInfo[]>>();
  const serviceUrl = (hostname: string): Promise<string> => discovery.serviceUrl(hostname, PROVIDERS_SERVICE);
  const apiHeaders = (provider: RegistryProvider, url: string): Promise<Record<string, string>> =>
    discovery.headersFor(provider.hostname, PROVIDERS_SERVICE, url);

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
