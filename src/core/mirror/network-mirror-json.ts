// The Provider Network Mirror Protocol's static files, as `terraform providers
// mirror` writes them beside the zips: index.json ({"versions": {...}}) and
// VERSION.json ({"archives": {os_arch: {url, hashes}}}). airgap lists both h1:
// and zh: hashes, and merges with what a mirror already holds.

import { AirgapError } from '../errors.js';
import { compareStrings } from '../compare.js';

export interface MirrorArchive {
  /** Relative to the VERSION.json file: the zip's file name. */
  url: string;
  hashes: string[];
}

export type MirrorArchives = Record<string, MirrorArchive>;

function invalid(path: string, what: string, found: unknown): AirgapError {
  return new AirgapError(
    'FS_ERROR',
    `${path}: expected ${what}, found ${JSON.stringify(found)?.slice(0, 120)}`,
    {
      path,
      expected: what,
    },
  );
}

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new AirgapError('FS_ERROR', `${path} is not valid JSON: ${(e as Error).message}`, {
      path,
      cause: e,
    });
  }
}

export function parseIndexJson(text: string, path: string): string[] {
  const doc = parseJson(text, path);
  if (
    typeof doc !== 'object' ||
    doc === null ||
    typeof (doc as { versions?: unknown }).versions !== 'object'
  ) {
    throw invalid(path, '{"versions": {...}}', doc);
  }
  return Object.keys((doc as { versions: object }).versions);
}

export function parseVersionJson(text: string, path: string): MirrorArchives {
  const doc = parseJson(text, path) as { archives?: unknown };
  if (typeof doc !== 'object' || doc === null || typeof doc.archives !== 'object' || doc.archives === null) {
    throw invalid(path, '{"archives": {...}}', doc);
  }
  const out: MirrorArchives = {};
  for (const [platform, a] of Object.entries(doc.archives as Record<string, unknown>)) {
    const arch = a as { url?: unknown; hashes?: unknown };
    if (typeof arch.url !== 'string') throw invalid(path, `archives.${platform}.url`, a);
    const hashes = Array.isArray(arch.hashes)
      ? arch.hashes.filter((h): h is string => typeof h === 'string')
      : [];
    out[platform] = { url: arch.url, hashes };
  }
  return out;
}

function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort(compareStrings);
}

/** index.json text listing the union of existing and new versions (terraform's shape: 2-space JSON, no trailing newline). */
export function renderIndexJson(existing: string[], added: string[]): string {
  const versions: Record<string, Record<string, never>> = {};
  for (const v of sortedUnique([...existing, ...added])) versions[v] = {};
  return JSON.stringify({ versions }, null, 2);
}

/** VERSION.json text: existing archives kept, new ones added or replaced, hashes sorted and deduplicated. */
export function renderVersionJson(existing: MirrorArchives, added: MirrorArchives): string {
  const merged: MirrorArchives = { ...existing };
  for (const [platform, a] of Object.entries(added)) {
    const prev = merged[platform];
    const keep = prev !== undefined && prev.url === a.url ? prev.hashes : [];
    merged[platform] = { url: a.url, hashes: [...keep, ...a.hashes] };
  }
  const archives: Record<string, { hashes: string[]; url: string }> = {};
  for (const platform of Object.keys(merged).sort(compareStrings)) {
    const a = merged[platform];
    if (a === undefined) continue;
    archives[platform] = { hashes: sortedUnique(a.hashes), url: a.url };
  }
  return JSON.stringify({ archives }, null, 2);
}
