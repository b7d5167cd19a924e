// Module Registry Protocol v1 (tofu website/docs/internals/module-registry-protocol,
// terraform's the same): the version list and the download answer. The download
// endpoint answers 204 with the location in X-Terraform-Get (registry.terraform.io), or
// 200 with a JSON body {"location": ...} (OpenTofu's form; tofu reads both, and so do we).
// Pure: the HTTP side lives in src/adapters/registry/module-registry-client.ts.

import { AirgapError } from '../errors.js';
import type { ModuleCoords } from '../layout/names.js';
import { redactUrl } from '../redact.js';
import { absoluteLocation } from './location.js';

export const MODULES_SERVICE = 'modules.v1';
export const TERRAFORM_GET_HEADER = 'x-terraform-get';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function path(m: ModuleCoords): string {
  return [m.namespace, m.name, m.system].map(encodeURIComponent).join('/');
}

export function moduleVersionsUrl(base: string, m: ModuleCoords): string {
  return new URL(`${path(m)}/versions`, base).toString();
}

export function moduleDownloadUrl(base: string, m: ModuleCoords, version: string): string {
  return new URL(`${path(m)}/${encodeURIComponent(version)}/download`, base).toString();
}

function protocolError(url: string, expected: string, found: unknown): AirgapError {
  const shown = JSON.stringify(found)?.slice(0, 200);
  return new AirgapError(
    'REGISTRY_PROTOCOL',
    `module registry response from ${redactUrl(url)}: expected ${expected}, found ${shown}`,
    { address: redactUrl(url), expected, actual: shown },
  );
}

/** `{"modules": [{"versions": [{"version": "1.0.0"}, ...]}]}`: the version strings, as listed. */
export function parseModuleVersions(doc: unknown, url: string): string[] {
  if (!isRecord(doc) || !Array.isArray(doc.modules) || doc.modules.length === 0) {
    throw protocolError(url, 'an object with a non-empty "modules" list', doc);
  }
  const first: unknown = doc.modules[0];
  if (!isRecord(first) || !Array.isArray(first.versions)) {
    throw protocolError(url, 'modules[0] with a "versions" list', first);
  }
  return first.versions.map((v) => {
    if (!isRecord(v) || typeof v.version !== 'string' || v.version === '') {
      throw protocolError(url, 'a version object {"version": "..."}', v);
    }
    return v.version;
  });
}

export interface DownloadAnswer {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: Uint8Array;
}

/** The location a download answer names, made absolute against `url` as tofu does. */
export function locationFromAnswer(answer: DownloadAnswer, url: string): string {
  let location: unknown;
  if (answer.status === 204) {
    location = answer.headers[TERRAFORM_GET_HEADER];
    if (typeof location !== 'string' || location === '') {
      throw protocolError(url, `a 204 answer with an X-Terraform-Get header`, answer.headers);
    }
  } else if (answer.status === 200) {
    let doc: unknown;
    try {
      doc = JSON.parse(Buffer.from(answer.body).toString('utf8'));
    } catch {
      doc = Buffer.from(answer.body).toString('utf8').slice(0, 200);
    }
    location = isRecord(doc) ? doc.location : undefined;
    // A 200 with the header and no JSON body is what some registries send: tofu only reads
    // the body on 200, but the header says the same thing, so take it.
    if ((typeof location !== 'string' || location === '') && answer.headers[TERRAFORM_GET_HEADER])
      location = answer.headers[TERRAFORM_GET_HEADER];
    if (typeof location !== 'string' || location === '') {
      throw protocolError(url, 'a JSON body {"location": "..."}', doc);
    }
  } else {
    throw protocolError(url, 'a 204 or 200 answer', answer.status);
  }
  return absoluteLocation(location as string, url);
}
