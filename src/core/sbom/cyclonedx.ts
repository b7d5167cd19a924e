// The subset of CycloneDX 1.6 JSON (https://cyclonedx.org/docs/1.6/json/) that
// sbom.cdx.json uses (docs/SBOM-FORMAT.md): plain shapes, no builder library, so the
// bytes depend on nothing but the inputs.

import { createHash } from 'node:crypto';

export const CDX_SPEC_VERSION = '1.6';
export const CDX_MEDIA_TYPE = 'application/vnd.cyclonedx+json';

export type CdxComponentType = 'application' | 'library' | 'container' | 'file' | 'data';

export interface CdxHash {
  alg: 'SHA-256' | 'SHA-512' | 'SHA-1';
  content: string;
}

export interface CdxProperty {
  name: string;
  value: string;
}

export interface CdxExternalReference {
  type: 'distribution' | 'vcs';
  url: string;
  hashes?: CdxHash[];
}

export interface CdxComponent {
  type: CdxComponentType;
  'bom-ref': string;
  group?: string;
  name: string;
  version?: string;
  description?: string;
  hashes?: CdxHash[];
  purl?: string;
  externalReferences?: CdxExternalReference[];
  properties?: CdxProperty[];
  components?: CdxComponent[];
}

export interface CdxDependency {
  ref: string;
  dependsOn: string[];
}

export interface CdxBom {
  bomFormat: 'CycloneDX';
  specVersion: typeof CDX_SPEC_VERSION;
  serialNumber: string;
  version: 1;
  metadata: {
    timestamp: string;
    tools: { components: { type: 'application'; name: string; version: string }[] };
    component: CdxComponent;
    properties?: CdxProperty[];
  };
  components: CdxComponent[];
  dependencies: CdxDependency[];
}

/**
 * A name-based UUID from the sha256 of `content`: its first 16 bytes with the version
 * nibble set to 5 and the RFC 4122 variant bits (v5 is defined over SHA-1; CycloneDX 1.6's
 * schema admits versions 1 to 5 only, so v8, the custom-hash version, would not validate).
 */
export function contentUuid(content: string): string {
  const b = createHash('sha256').update(content).digest().subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A package URL qualifier value or path segment, percent-encoded as the purl spec asks. */
export function purlEncode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** pkg:TYPE/NAMESPACE/NAME@VERSION?k=v&... with qualifiers sorted by key and empty ones left out. */
export function purl(
  type: string,
  namespace: readonly string[],
  name: string,
  version: string,
  qualifiers: Record<string, string | undefined> = {},
): string {
  const ns = namespace.map(purlEncode).join('/');
  const q = Object.entries(qualifiers)
    .filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    // As in the spec's examples: a URL in a qualifier keeps its ":" and "/".
    .map(([k, v]) => `${k}=${purlEncode(v).replace(/%3A/g, ':').replace(/%2F/g, '/')}`)
    .join('&');
  return `pkg:${type}/${ns === '' ? '' : `${ns}/`}${purlEncode(name)}@${purlEncode(version)}${q === '' ? '' : `?${q}`}`;
}
