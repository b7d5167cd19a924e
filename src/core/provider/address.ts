// Provider source addresses ("hostname/namespace/type") and service
// hostnames, following Terraform/OpenTofu's registry-address
// (ParseProviderSource, ParseProviderPart) and svchost (ForComparison,
// ForDisplay) rules, so airgap accepts and normalizes exactly what tofu does.

import { Buffer } from 'node:buffer';
import { domainToASCII, domainToUnicode } from 'node:url';
import { AirgapError } from '../errors.js';

/** Structurally a ProviderCoords (src/core/layout/names.ts). */
export interface ProviderAddress {
  /** Comparison form: lower case, IDN labels in punycode, ":port" kept (":443" dropped). */
  hostname: string;
  /** Lower case; "-" marks a legacy (Terraform 0.12-era) address. */
  namespace: string;
  type: string;
}

export const BUILTIN_PROVIDER_HOST = 'terraform.io';
export const BUILTIN_PROVIDER_NAMESPACE = 'builtin';
export const LEGACY_PROVIDER_NAMESPACE = '-';
/** Hosts that own a mapping from legacy names, so "-" is allowed there in fully qualified addresses. */
const LEGACY_HOSTS = ['registry.terraform.io', 'registry.opentofu.org'];

type Checked = { ok: true; value: string } | { ok: false; reason: string };

const ASCII_RE = /^[\x00-\x7f]*$/;
const LDH_RE = /^[a-z0-9-]+$/;

function invalid(message: string, actual: string): AirgapError {
  return new AirgapError('PROVIDER_ADDRESS_INVALID', message, { actual, address: actual });
}

// svchost.normalizePortPortion; stricter than Go's Atoi in refusing "+80" and "-1".
function checkPort(portPortion: string): Checked {
  if (portPortion === '') return { ok: true, value: '' };
  const digits = portPortion.slice(1);
  if (!/^[0-9]+$/.test(digits)) return { ok: false, reason: 'port portion contains non-digit characters' };
  const num = Number(digits);
  if (num === 443) return { ok: true, value: '' };
  if (num > 65535) return { ok: false, reason: 'port number is greater than 65535' };
  return { ok: true, value: `:${num}` };
}

// IDNA "Lookup" label rules with STD3: only a-z, 0-9 and "-" after mapping,
// no leading or trailing hyphen, no "--" in the 3rd and 4th positions.
function checkAsciiLabel(label: string): string | undefined {
  if (!LDH_RE.test(label))
    return `hostname label ${JSON.stringify(label)} contains characters not allowed in a hostname`;
  if (label.startsWith('-') || label.endsWith('-')) {
    return `hostname label ${JSON.stringify(label)} must not start or end with a hyphen`;
  }
  if (label.length > 4 && label[2] === '-' && label[3] === '-' && !label.startsWith('xn--')) {
    return `hostname label ${JSON.stringify(label)} must not have hyphens in the third and fourth positions`;
  }
  return undefined;
}

function toAsciiHost(host: string): Checked {
  let ascii: string;
  if (ASCII_RE.test(host)) {
    // Done label by label: WHATWG's domainToASCII would read "1.2.3" as an IPv4 address.
    ascii = host.toLowerCase();
  } else {
    ascii = domainToASCII(host);
    if (ascii === '')
      return { ok: false, reason: `${JSON.stringify(host)} is not a valid internationalized hostname` };
  }
  const labels = ascii.split('.');
  if (labels[labels.length - 1] === '' && labels.length > 1) labels.pop(); // one trailing dot, as svchost allows
  for (const label of labels) {
    if (label === '') return { ok: false, reason: 'hostname contains empty label (two consecutive periods)' };
    const problem = checkAsciiLabel(label);
    if (problem !== undefined) return { ok: false, reason: problem };
    if (label.startsWith('xn--')) {
      const unicode = domainToUnicode(label);
      if (unicode === '' || unicode.startsWith('-') || unicode.endsWith('-')) {
        return { ok: false, reason: `hostname label ${JSON.stringify(label)} is not valid` };
      }
    }
  }
  return { ok: true, value: ascii };
}

/** svchost.ForComparison without throwing. */
export function checkHostname(given: string): Checked {
  const colon = given.indexOf(':');
  const host = colon === -1 ? given : given.slice(0, colon);
  const port = checkPort(colon === -1 ? '' : given.slice(colon));
  if (!port.ok) {
    const lower = host.toLowerCase();
    if (lower === 'http' || lower === 'https') {
      return { ok: false, reason: 'need just a hostname and optional port number, not a full URL' };
    }
    return port;
  }
  if (host === '') return { ok: false, reason: 'empty string is not a valid hostname' };
  // Users must write Unicode, not punycode, so that configuration stays readable.
  for (const label of host.split('.')) {
    if (label === '') return { ok: false, reason: 'hostname contains empty label (two consecutive periods)' };
    if (label.toLowerCase().startsWith('xn--')) {
      return {
        ok: false,
        reason: `hostname label ${JSON.stringify(label)} specified in punycode format; service hostnames must be given in unicode`,
      };
    }
  }
  const ascii = toAsciiHost(host);
  if (!ascii.ok) return ascii;
  return { ok: true, value: ascii.value + port.value };
}

/**
 * The comparison form of a service hostname: lower case, IDN labels in
 * punycode, ":port" kept (":443", the default, dropped). Throws
 * AirgapError('PROVIDER_ADDRESS_INVALID') for an invalid hostname.
 */
export function normalizeHostname(host: string): string {
  const r = checkHostname(host);
  if (!r.ok) throw invalid(`invalid hostname ${JSON.stringify(host)}: ${r.reason}`, host);
  return r.value;
}

/** The display form of a normalized hostname: IDN labels in Unicode. */
export function hostnameForDisplay(normalized: string): string {
  const colon = normalized.indexOf(':');
  const host = colon === -1 ? normalized : normalized.slice(0, colon);
  const port = colon === -1 ? '' : normalized.slice(colon);
  if (ASCII_RE.test(host) && !/(^|\.)xn--/.test(host)) return host + port;
  const unicode = domainToUnicode(host);
  return (unicode === '' ? host : unicode) + port;
}

/**
 * svchost.ForDisplay: a liberal display form of a hostname as a user wrote
 * it, which also turns punycode labels into Unicode. Never fails.
 */
export function hostnameForDisplayLenient(given: string): string {
  const colon = given.indexOf(':');
  const host = colon === -1 ? given : given.slice(0, colon);
  let port = colon === -1 ? '' : given.slice(colon);
  const p = checkPort(port);
  if (p.ok) port = p.value;
  if (host !== '' && ASCII_RE.test(host) && !/(^|\.)xn--/i.test(host)) return host.toLowerCase() + port;
  const unicode = domainToUnicode(host);
  return (unicode === '' ? host : unicode) + port;
}

/** registry-address ParseProviderPart: the normalized namespace or type, or why it is invalid. */
export function checkProviderPart(given: string): Checked {
  if (given.length === 0) return { ok: false, reason: 'must have at least one character' };
  if (given.includes('.')) return { ok: false, reason: 'dots are not allowed' };
  if (given.includes('--')) return { ok: false, reason: 'cannot use multiple consecutive dashes' };
  const bad: Checked = {
    ok: false,
    reason: 'must contain only letters, digits, and dashes, and may not use leading or trailing dashes',
  };
  const ascii = toAsciiHost(given);
  if (!ascii.ok || ascii.value.includes('.')) return bad;
  if (!ascii.value.startsWith('xn--')) return { ok: true, value: ascii.value };
  return { ok: true, value: domainToUnicode(ascii.value) };
}

export function normalizeProviderPart(given: string): string {
  const r = checkProviderPart(given);
  if (!r.ok) throw invalid(`invalid provider namespace or type ${JSON.stringify(given)}: ${r.reason}`, given);
  return r.value;
}

const SOURCE_FORMAT_DETAIL = 'The "source" attribute must be in the format "[hostname/][namespace/]name"';

/**
 * Parses a provider source address as written in required_providers:
 * "type", "namespace/type" or "hostname/namespace/type". A missing hostname
 * is `defaultHost` (registry.opentofu.org for tofu, registry.terraform.io
 * for terraform); a missing namespace is "hashicorp", as tofu does. Throws
 * AirgapError('PROVIDER_ADDRESS_INVALID').
 */
export function parseProviderSource(text: string, defaultHost: string): ProviderAddress {
  const fail = (summary: string, detail: string): AirgapError =>
    invalid(`invalid provider source address ${JSON.stringify(text)}: ${summary}: ${detail}`, text);

  const parts = text.split('/');
  if (parts.length > 3 || parts.some((p) => p === ''))
    throw fail('Invalid provider source string', SOURCE_FORMAT_DETAIL);

  const givenType = parts[parts.length - 1] as string;
  const type = checkProviderPart(givenType);
  if (!type.ok) {
    throw fail('Invalid provider type', `Invalid provider type ${JSON.stringify(givenType)}: ${type.reason}`);
  }

  let namespace = 'hashicorp';
  if (parts.length >= 2) {
    const givenNamespace = parts[parts.length - 2] as string;
    if (givenNamespace === LEGACY_PROVIDER_NAMESPACE) {
      namespace = LEGACY_PROVIDER_NAMESPACE;
    } else {
      const ns = checkProviderPart(givenNamespace);
      if (!ns.ok) {
        throw fail(
          'Invalid provider namespace',
          `Invalid provider namespace ${JSON.stringify(givenNamespace)}: ${ns.reason}`,
        );
      }
      namespace = ns.value;
    }
  }

  let hostname = normalizeHostname(defaultHost);
  if (parts.length === 3) {
    const givenHost = parts[0] as string;
    const host = checkHostname(givenHost);
    if (!host.ok) {
      throw fail(
        'Invalid provider source hostname',
        `Invalid provider source hostname ${JSON.stringify(givenHost)}: ${host.reason}`,
      );
    }
    hostname = host.value;
  }

  if (namespace === LEGACY_PROVIDER_NAMESPACE && hostname !== normalizeHostname(defaultHost)) {
    throw fail(
      'Invalid provider namespace',
      `The legacy provider namespace "-" can be used only with hostname ${hostnameForDisplay(normalizeHostname(defaultHost))}.`,
    );
  }

  if (type.value.startsWith('terraform-')) {
    const suggested = type.value.slice('terraform-provider-'.length);
    if (type.value.startsWith('terraform-provider-') && checkProviderPart(suggested).ok) {
      throw fail(
        'Invalid provider type',
        `Provider source ${JSON.stringify(text)} has a type with the prefix "terraform-provider-", which isn't valid. Did you mean ${JSON.stringify(`${namespace}/${suggested}`)}?`,
      );
    }
    throw fail(
      'Invalid provider type',
      `Provider source ${JSON.stringify(text)} has a type with the prefix "terraform-", which isn't allowed because it would be redundant to name a provider with that prefix.`,
    );
  }

  return { hostname, namespace, type: type.value };
}

/**
 * Parses a fully qualified "hostname/namespace/type" address, normalizing
 * each part. The legacy namespace "-" is accepted only on the two public
 * registries, which own the legacy name mappings.
 */
export function parseProviderAddress(text: string): ProviderAddress {
  const parts = text.split('/');
  if (parts.length !== 3) {
    throw invalid(
      `invalid provider address ${JSON.stringify(text)}: expected a fully qualified address "hostname/namespace/type"`,
      text,
    );
  }
  const host = checkHostname(parts[0] as string);
  if (!host.ok) {
    throw invalid(`invalid provider address ${JSON.stringify(text)}: invalid hostname: ${host.reason}`, text);
  }
  const defaultHost = LEGACY_HOSTS.includes(host.value) ? host.value : (LEGACY_HOSTS[0] as string);
  return parseProviderSource(text, defaultHost);
}

/** The canonical string form, as lock files and `tofu providers` print it (hostname in display form). */
export function formatProviderAddress(a: ProviderAddress): string {
  return `${hostnameForDisplay(a.hostname)}/${a.namespace}/${a.type}`;
}

/**
 * True when `text` is exactly the canonical form of the address it denotes:
 * fully qualified and normalized, as lock files require.
 */
export function isNormalizedProviderAddress(text: string): boolean {
  try {
    return formatProviderAddress(parseProviderAddress(text)) === text;
  } catch {
    return false;
  }
}

export function isBuiltInProvider(a: ProviderAddress): boolean {
  return a.hostname === BUILTIN_PROVIDER_HOST && a.namespace === BUILTIN_PROVIDER_NAMESPACE;
}

export function isLegacyProvider(a: ProviderAddress): boolean {
  return a.namespace === LEGACY_PROVIDER_NAMESPACE;
}

export function providerAddressEquals(a: ProviderAddress, b: ProviderAddress): boolean {
  return a.hostname === b.hostname && a.namespace === b.namespace && a.type === b.type;
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Terraform's Provider.LessThan order: hostname, then namespace, then type, bytewise. */
export function compareProviderAddresses(a: ProviderAddress, b: ProviderAddress): number {
  return (
    compareBytes(a.hostname, b.hostname) ||
    compareBytes(a.namespace, b.namespace) ||
    compareBytes(a.type, b.type)
  );
}
