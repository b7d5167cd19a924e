// The vendors' release lists, read into one shape: OpenTofu's api.json
// ({"versions":[{"id":"1.9.1","files":[...]}]}, as get.opentofu.org and tofudl
// mirrors serve it) and HashiCorp's index.json
// ({"versions":{"1.9.8":{"builds":[{"filename":...}]}}}). Only what resolution and
// the platform check need is read; unknown fields are ignored.

import { AirgapError } from '../errors.js';
import { formatVersion, scanVersion } from '../provider/version.js';
import type { ReleaseTool } from './types.js';

export interface ReleaseListing {
  version: string;
  /** The release's file names, when the list names them. */
  files?: string[];
}

/** Parses OpenTofu's api.json (already JSON-decoded). `source` (a URL or path) names it in errors. */
export function parseTofuReleaseList(json: unknown, source: string): ReleaseListing[] {
  if (!isObject(json) || !Array.isArray(json['versions'])) {
    throw invalid(source, 'is not {"versions":[...]}', '{"versions":[{"id":...,"files":[...]}]}', json);
  }
  const seen = new Set<string>();
  return json['versions'].map((entry: unknown, i: number): ReleaseListing => {
    const where = `versions[${i}]`;
    if (!isObject(entry)) throw invalid(source, `${where} is not an object`, 'an object', entry);
    const version = checkVersion(source, `${where}.id`, entry['id']);
    if (seen.has(version))
      throw invalid(source, `${where}.id "${version}" is listed twice`, 'unique ids', version);
    seen.add(version);
    const files = entry['files'];
    if (files === undefined) return { version };
    return { version, files: checkFileNames(source, `${where}.files`, files) };
  });
}

/** Parses HashiCorp's releases index.json for one product (already JSON-decoded). */
export function parseTerraformReleaseIndex(json: unknown, source: string): ReleaseListing[] {
  if (!isObject(json) || !isObject(json['versions'])) {
    throw invalid(source, 'is not {"versions":{...}}', '{"versions":{"1.9.8":{"builds":[...]}}}', json);
  }
  return Object.entries(json['versions']).map(([key, entry]): ReleaseListing => {
    const where = `versions["${key}"]`;
    const version = checkVersion(source, `${where} key`, key);
    if (!isObject(entry)) throw invalid(source, `${where} is not an object`, 'an object', entry);
    if (entry['version'] !== undefined && entry['version'] !== key) {
      throw invalid(source, `${where}.version disagrees with its key`, key, entry['version']);
    }
    const builds = entry['builds'];
    if (builds === undefined) return { version };
    if (!Array.isArray(builds)) throw invalid(source, `${where}.builds is not an array`, 'an array', builds);
    const files = builds.map((b: unknown, j: number) => {
      if (!isObject(b)) throw invalid(source, `${where}.builds[${j}] is not an object`, 'an object', b);
      return checkFileName(source, `${where}.builds[${j}].filename`, b['filename']);
    });
    for (const extra of [entry['shasums'], entry['shasums_signature']]) {
      if (typeof extra === 'string') files.push(extra);
    }
    return { version, files };
  });
}

export function parseReleaseList(tool: ReleaseTool, json: unknown, source: string): ReleaseListing[] {
  return tool === 'tofu' ? parseTofuReleaseList(json, source) : parseTerraformReleaseIndex(json, source);
}

function checkVersion(source: string, where: string, value: unknown): string {
  if (typeof value !== 'string') throw invalid(source, `${where} is not a string`, 'a version string', value);
  const parsed = scanVersion(value);
  if (parsed.error !== undefined || formatVersion(parsed.value) !== value) {
    // scanVersion reads a leading "v" as a separator and calls it a space; say what it is.
    const why = /^v[0-9]/.test(value)
      ? 'a "v" prefix is not allowed'
      : (parsed.error ?? `not in normalized form "${formatVersion(parsed.value)}"`);
    throw invalid(
      source,
      `${where} "${value}" is not a version (${why})`,
      'MAJOR.MINOR.PATCH[-PRERELEASE]',
      value,
    );
  }
  return value;
}

// A file name becomes a URL path segment and a local file name: no separators, no dot-only names.
const FILE_NAME_RE = /^[A-Za-z0-9._+-]+$/;

function checkFileNames(source: string, where: string, value: unknown): string[] {
  if (!Array.isArray(value))
    throw invalid(source, `${where} is not an array`, 'an array of file names', value);
  return value.map((name: unknown, i: number) => checkFileName(source, `${where}[${i}]`, name));
}

function checkFileName(source: string, where: string, name: unknown): string {
  if (typeof name !== 'string' || !FILE_NAME_RE.test(name) || /^\.+$/.test(name)) {
    throw invalid(
      source,
      `${where} is not a plain file name`,
      'a file name like tofu_1.9.1_linux_amd64.zip',
      name,
    );
  }
  return name;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object') return `an object with keys ${JSON.stringify(Object.keys(v).slice(0, 5))}`;
  const text = JSON.stringify(v);
  return `${typeof v} ${text.length > 60 ? `${text.slice(0, 60)}...` : text}`;
}

function invalid(source: string, what: string, expected: string, actual: unknown): AirgapError {
  const shown = typeof actual === 'string' ? actual : describe(actual);
  return new AirgapError('RELEASE_LIST_INVALID', `release list ${source}: ${what} (found ${shown})`, {
    address: source,
    expected,
    actual: shown,
  });
}
