// Terraform-native service discovery, shared by the provider and module registry
// clients: a host's service map comes from its CLI-config `host` block when there is
// one (which replaces discovery, as in tofu), else from https://HOST/.well-known/
// terraform.json, fetched once per host. A host's token belongs to two origins: the
// host's own (where discovery is) and the service's (where discovery or a host block
// points the API); it is handed out for a URL only when the transport's credential rule
// (mayCarry: https, exact origin) allows it there.

import { AirgapError } from '../../core/errors.js';
import type { HttpClient, RegistryHosts } from '../../core/ports.js';
import { redactUrl } from '../../core/redact.js';
import { DISCOVERY_PATH, parseDiscovery, resolveServiceUrl } from '../../core/registry/protocol.js';
import { mayCarry } from '../http/transport.js';

export interface ServiceDiscovery {
  /** The base URL (ending in "/") of `service` on `hostname`. */
  serviceUrl(hostname: string, service: string): Promise<string>;
  /** The Authorization header for `url`, when the host's token may go there. */
  headersFor(hostname: string, service: string, url: string): Promise<Record<string, string>>;
}

const WHAT: Readonly<Record<string, string>> = {
  'providers.v1': 'a provider registry',
  'modules.v1': 'a module registry',
};

export function createServiceDiscovery(options: {
  http: HttpClient;
  hosts: RegistryHosts;
}): ServiceDiscovery {
  const { http, hosts } = options;
  const documents = new Map<string, Promise<{ doc: unknown; url: string }>>();

  async function tokenHeaders(hostname: string): Promise<Record<string, string>> {
    const token = await hosts.token(hostname);
    return token === undefined ? {} : { Authorization: `Bearer ${token}` };
  }

  function document(hostname: string): Promise<{ doc: unknown; url: string }> {
    let p = documents.get(hostname);
    if (p === undefined) {
      const url = `https://${hostname}${DISCOVERY_PATH}`;
      p = (async () => ({ doc: await http.getJson(url, { headers: await tokenHeaders(hostname) }), url }))();
      documents.set(hostname, p);
      // A failed discovery is not cached: a later call may succeed.
      p.catch(() => documents.delete(hostname));
    }
    return p;
  }

  async function serviceUrl(hostname: string, service: string): Promise<string> {
    const override = hosts.services(hostname);
    if (override !== undefined) {
      const value = override[service];
      if (typeof value !== 'string') {
        throw new AirgapError(
          'CLICONFIG_INVALID',
          `host "${hostname}" in ${hosts.servicesSource(hostname) ?? 'the CLI configuration'} has no "${service}" service`,
          {
            path: hosts.servicesSource(hostname),
            expected: `services = { "${service}" = "https://..." }`,
          },
        );
      }
      return resolveServiceUrl(value, `https://${hostname}/`);
    }
    const { doc, url } = await document(hostname);
    const base = parseDiscovery(doc, url, service);
    if (base === undefined) {
      throw new AirgapError(
        'REGISTRY_PROTOCOL',
        `${hostname} does not host ${WHAT[service] ?? service}: ${redactUrl(url)} has no "${service}"`,
        { address: redactUrl(url), expected: service },
      );
    }
    return base;
  }

  return {
    serviceUrl,
    async headersFor(hostname, service, url) {
      const base = await serviceUrl(hostname, service);
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        return {};
      }
      const origins = [new URL(`https://${hostname}/`).origin, new URL(base).origin];
      return origins.some((origin) => mayCarry(target, { origin })) ? tokenHeaders(hostname) : {};
    },
  };
}
