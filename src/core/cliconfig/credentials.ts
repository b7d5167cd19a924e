// Per-host lookups in a CLI configuration: the API token for a registry host
// (tofu's precedence, opentofu internal/command/cliconfig/credentials.go ForHost: a
// TF_TOKEN_* environment variable, then a `credentials` block of any file, then the
// credentials helper) and `host` service-discovery overrides. Hostnames are
// compared in normalized form, so "Registry.Example.COM" matches
// "registry.example.com" and "café.fr" matches "xn--caf-dma.fr".

import { AirgapError } from '../errors.js';
import type { RegistryHosts } from '../ports.js';
import { checkHostname, hostnameForDisplayLenient, normalizeHostname } from '../provider/address.js';
import { redactUrl } from '../redact.js';
import { DISCOVERY_PATH } from '../registry/protocol.js';
import type { CliConfig, CredentialsHelper, HostBlock, ServiceValue } from './types.js';

const TOKEN_PREFIX = 'TF_TOKEN_';

/**
 * The host a TF_TOKEN_* variable name refers to, normalized, or undefined
 * for other variables and invalid hostnames. As in tofu
 * (cliconfig.collectCredentialsFromEnv): the prefix is case-sensitive, "__"
 * stands for "-" and "_" for "."; the hostname part may be written in any
 * case and with IDN labels in Unicode or punycode.
 */
export function tokenVariableHost(name: string): string | undefined {
  if (!name.startsWith(TOKEN_PREFIX)) return undefined;
  const raw = name.slice(TOKEN_PREFIX.length).replaceAll('__', '-').replaceAll('_', '.');
  const host = checkHostname(hostnameForDisplayLenient(raw));
  return host.ok ? host.value : undefined;
}

/** A shell-safe token variable name for a host, e.g. TF_TOKEN_xn____caf__dma_fr for café.fr. */
export function tokenVariableName(hostname: string): string {
  return TOKEN_PREFIX + normalizeHostname(hostname).replaceAll('-', '__').replaceAll('.', '_');
}

/**
 * The token for `hostname`: from a TF_TOKEN_<host> variable in `env` if one
 * names this host (the last such variable wins, as in tofu), else from the
 * `credentials` block for this host. Empty variables are ignored (tofu would
 * send an empty bearer token, which no registry accepts). Throws
 * AirgapError('PROVIDER_ADDRESS_INVALID') if `hostname` itself is invalid.
 */
export function lookupToken(
  hostname: string,
  config: CliConfig,
  env: Record<string, string | undefined>,
): string | undefined {
  const host = normalizeHostname(hostname);
  let fromEnv: string | undefined;
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value === '') continue;
    if (tokenVariableHost(name) === host) fromEnv = value;
  }
  if (fromEnv !== undefined) return fromEnv;

  for (const [name, creds] of Object.entries(config.credentials)) {
    const configured = checkHostname(name);
    if (configured.ok && configured.value === host) return creds.token;
  }
  return undefined;
}

/** The `host` block for `hostname`, or undefined when there is none. */
export function findHostBlock(hostname: string, config: CliConfig): HostBlock | undefined {
  const host = normalizeHostname(hostname);
  for (const [name, block] of Object.entries(config.hosts)) {
    const configured = checkHostname(name);
    if (configured.ok && configured.value === host) return block;
  }
  return undefined;
}

/** The `services` of the `host` block for `hostname`, as written, or undefined when there is none. */
export function findHostServices(
  hostname: string,
  config: CliConfig,
): Record<string, ServiceValue> | undefined {
  return findHostBlock(hostname, config)?.services;
}

/**
 * A host block's services with every URL made absolute as tofu does: a `host` block
 * stands in for the host's discovery document (svchost disco.go ForceHostServices),
 * so a relative URL resolves against https://HOST/.well-known/terraform.json
 * (disco host.go parseURL): "/v1/providers/" is https://HOST/v1/providers/, while
 * "v1/providers/" is https://HOST/.well-known/v1/providers/. Only http and https URLs
 * without user:password are usable, and a fragment is dropped. Object values (OAuth
 * client definitions) are returned unchanged. Throws AirgapError('CLICONFIG_INVALID')
 * for a URL tofu would refuse.
 */
export function resolveHostServices(
  hostname: string,
  services: Record<string, ServiceValue>,
  sourcePath?: string,
): Record<string, ServiceValue> {
  const host = normalizeHostname(hostname);
  const base = `https://${host}${DISCOVERY_PATH}`;
  const out: Record<string, ServiceValue> = {};
  for (const [id, value] of Object.entries(services)) {
    if (typeof value !== 'string') {
      out[id] = value;
      continue;
    }
    let url: URL | undefined;
    try {
      url = new URL(value, base);
    } catch {
      url = undefined;
    }
    const problem =
      url === undefined
        ? 'it is not a URL'
        : url.protocol !== 'https:' && url.protocol !== 'http:'
          ? `its scheme is ${url.protocol.slice(0, -1)}, not https or http`
          : url.username !== '' || url.password !== ''
            ? 'it embeds a user name or password'
            : undefined;
    if (url === undefined || problem !== undefined) {
      const shown = redactUrl(value);
      throw new AirgapError(
        'CLICONFIG_INVALID',
        `service ${JSON.stringify(id)} of host ${JSON.stringify(hostname)} in ${sourcePath ?? 'the CLI configuration'} is ${JSON.stringify(shown)}, which tofu cannot use: ${problem ?? 'it is not a URL'}`,
        {
          ...(sourcePath === undefined ? {} : { path: sourcePath }),
          address: shown,
          expected: 'an https:// URL, or a path relative to https://HOST/.well-known/terraform.json',
        },
        `fix the "${id}" URL of the host "${hostname}" block`,
      );
    }
    url.hash = '';
    out[id] = url.href;
  }
  return out;
}

/**
 * The RegistryHosts port over a CLI configuration, an environment map and the
 * configured credentials helper, if any. A helper's answer is kept per host for the
 * run (svcauth's CachingCredentialsStore), a failure is not.
 */
export function cliConfigHosts(
  config: CliConfig,
  env: Record<string, string | undefined>,
  helper?: CredentialsHelper,
): RegistryHosts {
  const fromHelper = new Map<string, Promise<string | undefined>>();
  return {
    services(hostname) {
      const block = findHostBlock(hostname, config);
      if (block === undefined) return undefined;
      return resolveHostServices(hostname, block.services, block.sourcePath ?? config.sourcePath);
    },
    servicesSource: (hostname) => findHostBlock(hostname, config)?.sourcePath ?? config.sourcePath,
    token(hostname) {
      const known = lookupToken(hostname, config, env);
      if (known !== undefined || helper === undefined) return Promise.resolve(known);
      const host = normalizeHostname(hostname);
      let p = fromHelper.get(host);
      if (p === undefined) {
        p = helper.token(host);
        fromHelper.set(host, p);
        p.catch(() => fromHelper.delete(host));
      }
      return p;
    },
  };
}
