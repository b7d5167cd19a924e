// Registry module source addresses: [HOST/]NAMESPACE/NAME/SYSTEM[//SUBDIR], read the way
// tofu's and terraform's registry-address packages read them (ParseModuleSource), so
// that what airgap treats as a registry module is what the CLIs would fetch through the
// Module Registry Protocol. Anything else (./local, git::, https://, github.com/...) is
// not a registry address: the CLIs fetch it directly, and it is not ours to carry.

import { AirgapError } from '../errors.js';
import type { ModuleCoords } from '../layout/names.js';
import { checkHostname, hostnameForDisplay } from '../provider/address.js';

export const TERRAFORM_REGISTRY_HOST = 'registry.terraform.io';
export const OPENTOFU_REGISTRY_HOST = 'registry.opentofu.org';

/** A registry module with the `//SUBDIR` the caller wrote, if any (the package is the whole module). */
export interface ModuleSource extends ModuleCoords {
  subdir?: string;
}

// registry-address module.go: namespace and name are 1-64 of [0-9A-Za-z_-] not starting
// or ending in "-" or "_"; the target system is lower-case letters and digits only.
const PART_RE = /^[0-9A-Za-z](?:[0-9A-Za-z_-]{0,62}[0-9A-Za-z])?$/;
const SYSTEM_RE = /^[0-9a-z]{1,64}$/;
// go-getter's shorthand hosts: "github.com/org/repo/x" is a git source, not a registry.
const GETTER_HOSTS = new Set(['github.com', 'bitbucket.org']);

/**
 * The registry module `text` names, or undefined when it is no registry address (a
 * local path, a go-getter source). `defaultHost` is used for the three-part form.
 */
export function parseModuleSource(text: string, defaultHost: string): ModuleSource | undefined {
  if (text.startsWith('./') || text.startsWith('../') || text.startsWith('/')) return undefined;
  if (text.includes('::') || text.includes('://') || text.includes('?')) return undefined;
  const cut = text.indexOf('//');
  const main = cut === -1 ? text : text.slice(0, cut);
  const subdir = cut === -1 ? '' : text.slice(cut + 2).replace(/^\/+|\/+$/g, '');
  const parts = main.split('/');
  let hostname = defaultHost;
  if (parts.length === 4) {
    const host = checkHostname(parts[0]!);
    if (!host.ok || !parts[0]!.includes('.') || GETTER_HOSTS.has(host.value)) return undefined;
    hostname = host.value;
    parts.shift();
  }
  if (parts.length !== 3) return undefined;
  const [namespace, name, system] = parts as [string, string, string];
  if (!PART_RE.test(namespace) || !PART_RE.test(name) || !SYSTEM_RE.test(system)) return undefined;
  return { hostname, namespace, name, system, ...(subdir === '' ? {} : { subdir }) };
}

/** Like parseModuleSource, but a source that is no registry address is an error naming `where`. */
export function requireModuleSource(text: string, defaultHost: string, where: string): ModuleSource {
  const m = parseModuleSource(text, defaultHost);
  if (m === undefined) {
    throw new AirgapError(
      'USAGE',
      `${where}: "${text}" is not a registry module address`,
      { expected: 'NAMESPACE/NAME/SYSTEM or HOSTNAME/NAMESPACE/NAME/SYSTEM', actual: text },
      'name a module a registry serves, such as terraform-aws-modules/vpc/aws',
    );
  }
  return m;
}

/** "HOST/NS/NAME/SYSTEM", the host in display form: the key of a module in airgap.json and airgap.lock.json. */
export function formatModuleAddress(m: ModuleCoords): string {
  return `${hostnameForDisplay(m.hostname)}/${m.namespace}/${m.name}/${m.system}`;
}

/** The registry a short module address names for the tool that reads the configuration. */
export function defaultModuleHost(tool: 'tofu' | 'terraform'): string {
  return tool === 'terraform' ? TERRAFORM_REGISTRY_HOST : OPENTOFU_REGISTRY_HOST;
}
