import { describe, expect, it } from 'vitest';
import { AirgapError } from '../../../src/core/errors.js';
import type { ProviderCoords } from '../../../src/core/layout/names.js';
import {
  compareProviderAddresses,
  formatProviderAddress,
  hostnameForDisplay,
  isBuiltInProvider,
  isLegacyProvider,
  isNormalizedProviderAddress,
  normalizeHostname,
  normalizeProviderPart,
  parseProviderAddress,
  parseProviderSource,
  type ProviderAddress,
} from '../../../src/core/provider/address.js';

const TOFU = 'registry.opentofu.org';

function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AirgapError);
    expect((e as AirgapError).code).toBe('PROVIDER_ADDRESS_INVALID');
    return (e as AirgapError).message;
  }
  throw new Error('expected failure');
}

describe('normalizeHostname (svchost.ForComparison)', () => {
  it('lower-cases and keeps a port, dropping the default :443', () => {
    expect(normalizeHostname('Registry.OpenTofu.ORG')).toBe('registry.opentofu.org');
    expect(normalizeHostname('127.0.0.1:8443')).toBe('127.0.0.1:8443');
    expect(normalizeHostname('example.com:443')).toBe('example.com');
    expect(normalizeHostname('example.com:08080')).toBe('example.com:8080');
    expect(normalizeHostname('localhost')).toBe('localhost');
    expect(normalizeHostname('1.2.3')).toBe('1.2.3');
  });

  it('turns IDN labels into punycode', () => {
    expect(normalizeHostname('café.fr')).toBe('xn--caf-dma.fr');
    expect(normalizeHostname('CAFÉ.fr:8443')).toBe('xn--caf-dma.fr:8443');
    expect(normalizeHostname('例え.テスト')).toBe('xn--r8jz45g.xn--zckzah');
    expect(hostnameForDisplay('xn--caf-dma.fr:8443')).toBe('café.fr:8443');
    expect(hostnameForDisplay('example.com')).toBe('example.com');
  });

  it('rejects invalid hostnames with the reason', () => {
    expect(failure(() => normalizeHostname('xn--caf-dma.fr'))).toBe(
      'invalid hostname "xn--caf-dma.fr": hostname label "xn--caf-dma" specified in punycode format; service hostnames must be given in unicode',
    );
    expect(failure(() => normalizeHostname(''))).toBe(
      'invalid hostname "": empty string is not a valid hostname',
    );
    expect(failure(() => normalizeHostname('a..b'))).toBe(
      'invalid hostname "a..b": hostname contains empty label (two consecutive periods)',
    );
    expect(failure(() => normalizeHostname('https://example.com'))).toBe(
      'invalid hostname "https://example.com": need just a hostname and optional port number, not a full URL',
    );
    expect(failure(() => normalizeHostname('example.com:99999'))).toBe(
      'invalid hostname "example.com:99999": port number is greater than 65535',
    );
    expect(failure(() => normalizeHostname('example.com:x'))).toBe(
      'invalid hostname "example.com:x": port portion contains non-digit characters',
    );
    expect(failure(() => normalizeHostname('my_host.com'))).toBe(
      'invalid hostname "my_host.com": hostname label "my_host" contains characters not allowed in a hostname',
    );
    expect(failure(() => normalizeHostname('-a.com'))).toBe(
      'invalid hostname "-a.com": hostname label "-a" must not start or end with a hyphen',
    );
    expect(failure(() => normalizeHostname('ab--cd.com'))).toBe(
      'invalid hostname "ab--cd.com": hostname label "ab--cd" must not have hyphens in the third and fourth positions',
    );
  });
});

describe('parseProviderSource (registry-address ParseProviderSource)', () => {
  it('fills in the default host and the hashicorp namespace', () => {
    expect(parseProviderSource('aws', TOFU)).toEqual({ hostname: TOFU, namespace: 'hashicorp', type: 'aws' });
    expect(parseProviderSource('integrations/GitHub', TOFU)).toEqual({
      hostname: TOFU,
      namespace: 'integrations',
      type: 'github',
    });
    expect(parseProviderSource('hashicorp/aws', 'registry.terraform.io')).toEqual({
      hostname: 'registry.terraform.io',
      namespace: 'hashicorp',
      type: 'aws',
    });
  });

  it('normalizes every part of a full address, including a host with a port', () => {
    expect(parseProviderSource('127.0.0.1:8443/Ns/Type-X', TOFU)).toEqual({
      hostname: '127.0.0.1:8443',
      namespace: 'ns',
      type: 'type-x',
    });
    expect(parseProviderSource('Café.Example/ns/t', TOFU).hostname).toBe('xn--caf-dma.example');
  });

  it('accepts the legacy namespace only on the default host, and built-in addresses', () => {
    const legacy = parseProviderSource('registry.terraform.io/-/null', 'registry.terraform.io');
    expect(legacy).toEqual({ hostname: 'registry.terraform.io', namespace: '-', type: 'null' });
    expect(isLegacyProvider(legacy)).toBe(true);
    expect(failure(() => parseProviderSource('example.com/-/null', TOFU))).toBe(
      'invalid provider source address "example.com/-/null": Invalid provider namespace: The legacy provider namespace "-" can be used only with hostname registry.opentofu.org.',
    );
    const builtin = parseProviderSource('terraform.io/builtin/terraform', TOFU);
    expect(isBuiltInProvider(builtin)).toBe(true);
    expect(isBuiltInProvider(parseProviderSource('hashicorp/terraform', TOFU))).toBe(false);
  });

  it("rejects malformed sources with tofu's summaries", () => {
    expect(failure(() => parseProviderSource('', TOFU))).toBe(
      'invalid provider source address "": Invalid provider source string: The "source" attribute must be in the format "[hostname/][namespace/]name"',
    );
    expect(failure(() => parseProviderSource('a/b/c/d', TOFU))).toContain('Invalid provider source string');
    expect(failure(() => parseProviderSource('a//c', TOFU))).toContain('Invalid provider source string');
    expect(failure(() => parseProviderSource('ns/my_type', TOFU))).toBe(
      'invalid provider source address "ns/my_type": Invalid provider type: Invalid provider type "my_type": must contain only letters, digits, and dashes, and may not use leading or trailing dashes',
    );
    expect(failure(() => parseProviderSource('n.s/t', TOFU))).toBe(
      'invalid provider source address "n.s/t": Invalid provider namespace: Invalid provider namespace "n.s": dots are not allowed',
    );
    expect(failure(() => parseProviderSource('ns/a--b', TOFU))).toContain(
      'cannot use multiple consecutive dashes',
    );
    expect(failure(() => parseProviderSource('bad host/ns/t', TOFU))).toContain(
      'Invalid provider source hostname',
    );
    expect(failure(() => parseProviderSource('hashicorp/terraform-provider-aws', TOFU))).toBe(
      'invalid provider source address "hashicorp/terraform-provider-aws": Invalid provider type: Provider source "hashicorp/terraform-provider-aws" has a type with the prefix "terraform-provider-", which isn\'t valid. Did you mean "hashicorp/aws"?',
    );
    expect(failure(() => parseProviderSource('hashicorp/terraform-x', TOFU))).toContain(
      'has a type with the prefix "terraform-", which isn\'t allowed',
    );
  });
});

describe('parseProviderAddress / formatProviderAddress', () => {
  it('requires all three parts', () => {
    expect(parseProviderAddress('registry.opentofu.org/hashicorp/null')).toEqual({
      hostname: TOFU,
      namespace: 'hashicorp',
      type: 'null',
    });
    expect(failure(() => parseProviderAddress('hashicorp/null'))).toBe(
      'invalid provider address "hashicorp/null": expected a fully qualified address "hostname/namespace/type"',
    );
    expect(parseProviderAddress('registry.opentofu.org/-/null').namespace).toBe('-');
    expect(() => parseProviderAddress('example.com/-/null')).toThrow(AirgapError);
  });

  it('formats with the hostname in display form and checks the normalized form', () => {
    const a = parseProviderAddress('CAFÉ.example:8443/NS/t');
    expect(formatProviderAddress(a)).toBe('café.example:8443/ns/t');
    expect(isNormalizedProviderAddress('café.example:8443/ns/t')).toBe(true);
    expect(isNormalizedProviderAddress('CAFÉ.example:8443/NS/t')).toBe(false);
    expect(isNormalizedProviderAddress('registry.opentofu.org/hashicorp/null')).toBe(true);
    expect(isNormalizedProviderAddress('hashicorp/null')).toBe(false);
    expect(isNormalizedProviderAddress('example.com:443/a/b')).toBe(false);
  });

  it('is structurally a ProviderCoords', () => {
    const coords: ProviderCoords = parseProviderAddress('registry.opentofu.org/hashicorp/null');
    const back: ProviderAddress = coords;
    expect(back.type).toBe('null');
  });

  it('orders like Terraform: hostname, namespace, type, bytewise', () => {
    const list = ['b.io/a/a', 'a.io/z/z', 'a.io/b/b', 'a.io/b/a'].map(parseProviderAddress);
    expect(list.sort(compareProviderAddresses).map(formatProviderAddress)).toEqual([
      'a.io/b/a',
      'a.io/b/b',
      'a.io/z/z',
      'b.io/a/a',
    ]);
  });

  it('normalizes namespace and type parts', () => {
    expect(normalizeProviderPart('HashiCorp')).toBe('hashicorp');
    expect(normalizeProviderPart('Ünicode')).toBe('ünicode');
    expect(failure(() => normalizeProviderPart('-x'))).toBe(
      'invalid provider namespace or type "-x": must contain only letters, digits, and dashes, and may not use leading or trailing dashes',
    );
    expect(failure(() => normalizeProviderPart(''))).toBe(
      'invalid provider namespace or type "": must have at least one character',
    );
  });
});
