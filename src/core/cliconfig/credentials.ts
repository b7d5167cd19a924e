// Per-host lookups in a parsed CLI configuration: the API token for a
// registry host (tofu's precedence: TF_TOKEN_* environment variable, then a
// `credentials` block) and `host` service-discovery overrides. Hostnames are
// compared in normalized form, so "Registry.Example.COM" matches
// "registry.example.com" and "café.fr" matches "xn--caf-dma.fr".

import { checkHostname, hostnameForDisplayLenient, normalizeHostname } from '../provider/address.js';
import type { RegistryHosts } from '../ports.js';
import type { CliConfig, ServiceValue } from './types.js';

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

/** The `services` of the `host` block for `hostname`, or undefined when there is none. */
export function findHostServices(
  hostname: string,
  config: CliConfig,
): Record<string, ServiceValue> | undefined {
  const host = normalizeHostname(hostname);
  for (const [name, block] of Object.entries(config.hosts)) {
    const configured = checkHostname(name);
    if (configured.ok && configured.value === host) return block.services;
  }
  return undefined;
}

/** The RegistryHosts port over a parsed CLI configuration and an environment map. */
export function cliConfigHosts(config: CliConfig, env: Record<string, string | undefined>): RegistryHosts {
  return {
    services: (hostname) => findHostServices(hostname, config),
    servicesSource: () => config.sourcePath,
    token: (hostname) => Promise.resolve(lookupToken(hostname, config, env)),
  };
}
