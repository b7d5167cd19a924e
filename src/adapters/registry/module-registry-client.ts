// Module Registry Protocol v1 client: a module's version list, and where one version's
// source is (the download answer's X-Terraform-Get or JSON location), on the same
// service discovery, host blocks, tokens, proxy and CA handling as providers.

import { AirgapError, isAirgapError } from '../../core/errors.js';
import type { ModuleCoords } from '../../core/layout/names.js';
import { formatModuleAddress } from '../../core/module/address.js';
import {
  MODULES_SERVICE,
  locationFromAnswer,
  moduleDownloadUrl,
  moduleVersionsUrl,
  parseModuleVersions,
} from '../../core/module/protocol.js';
import type { HttpClient, RegistryHosts } from '../../core/ports.js';
import { redactUrl } from '../../core/redact.js';
import { createServiceDiscovery, type ServiceDiscovery } from './discovery.js';

export interface ModuleRegistry {
  /** The version strings the registry lists, as listed. */
  versions(module: ModuleCoords): Promise<string[]>;
  /** The absolute go-getter location of one version's source. */
  location(module: ModuleCoords, version: string): Promise<string>;
}

export function createModuleRegistryClient(options: {
  http: HttpClient;
  hosts: RegistryHosts;
  discovery?: ServiceDiscovery;
}): ModuleRegistry {
  const { http } = options;
  const discovery = options.discovery ?? createServiceDiscovery(options);
  const lists = new Map<string, Promise<string[]>>();

  const headers = (m: ModuleCoords, url: string): Promise<Record<string, string>> =>
    discovery.headersFor(m.hostname, MODULES_SERVICE, url);

  function notFound(m: ModuleCoords, url: string, cause: unknown, version?: string): AirgapError {
    const what = `module ${formatModuleAddress(m)}${version === undefined ? '' : ` ${version}`}`;
    return new AirgapError(
      'MODULE_NOT_FOUND',
      `${what} is not known to its registry (${redactUrl(url)}: 404)`,
      { address: redactUrl(url), ...(version === undefined ? {} : { version }), cause },
      'check the module address and version against the registry',
    );
  }

  async function fetchVersions(m: ModuleCoords): Promise<string[]> {
    const url = moduleVersionsUrl(await discovery.serviceUrl(m.hostname, MODULES_SERVICE), m);
    try {
      return parseModuleVersions(await http.getJson(url, { headers: await headers(m, url) }), url);
    } catch (e) {
      if (isAirgapError(e) && e.code === 'HTTP_ERROR' && e.details.status === 404) throw notFound(m, url, e);
      throw e;
    }
  }

  return {
    versions(m) {
      const key = formatModuleAddress(m);
      let p = lists.get(key);
      if (p === undefined) {
        p = fetchVersions(m);
        lists.set(key, p);
        p.catch(() => lists.delete(key));
      }
      return p;
    },

    async location(m, version) {
      const url = moduleDownloadUrl(await discovery.serviceUrl(m.hostname, MODULES_SERVICE), m, version);
      try {
        return locationFromAnswer(await http.getAnswer(url, { headers: await headers(m, url) }), url);
      } catch (e) {
        if (isAirgapError(e) && e.code === 'HTTP_ERROR' && e.details.status === 404)
          throw notFound(m, url, e, version);
        throw e;
      }
    },
  };
}
