// What an exported tarball holds, as a digest known before a byte of it is streamed
// (docs/S3.md, "Export"). The tarball is a pure function of its entry list: names,
// modes, sizes, the one mtime, and each file's sha256 (which SHA256SUMS pins and the
// stream is checked against), plus the compression and the split size. Two exports
// with the same content id give the same objects, so the id in each object's metadata
// lets a re-run skip an upload without hashing the tarball first.
//
// Also the text of the checksum object beside the export: `sha256sum` lines.

import { createHash } from 'node:crypto';

export interface ContentEntry {
  type: 'file' | 'directory';
  name: string;
  mode: number;
  size: number;
  mtime: Date;
  /** Lower-case hex; files only. */
  sha256?: string;
}

export interface ContentIdInput {
  entries: readonly ContentEntry[];
  compress: 'none' | 'gzip';
  splitSize?: number;
}

/** Bumped whenever the same entries could give other tarball bytes. */
const CONTENT_ID_VERSION = 'airgap-content-id/1';

export function tarballContentId(input: ContentIdInput): string {
  const hash = createHash('sha256');
  hash.update(`${CONTENT_ID_VERSION}\ncompress ${input.compress}\nsplit ${input.splitSize ?? 'none'}\n`);
  for (const e of input.entries) {
    const seconds = Math.floor(e.mtime.getTime() / 1000);
    // JSON-quoted name: no name can fake a line break or a field.
    hash.update(
      `${e.type} ${e.mode.toString(8)} ${e.size} ${seconds} ${e.sha256 ?? '-'} ${JSON.stringify(e.name)}\n`,
    );
  }
  return hash.digest('hex');
}

export interface ChecksumLine {
  /** The object's file name once downloaded: the key's last segment. */
  name: string;
  sha256: string;
}

/** `sha256sum` output for the downloaded objects: `sha256sum -c` checks them. */
export function checksumListing(lines: readonly ChecksumLine[]): string {
  return lines.map((l) => `${l.sha256}  ${l.name}\n`).join('');
}

/** The `sha256sum` lines of a checksum object; undefined when any line is not one. */
export function parseChecksumListing(text: string): ChecksumLine[] | undefined {
  const lines: ChecksumLine[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const m = /^([0-9a-f]{64}) {2}([^/\n]+)$/.exec(line);
    if (m === null) return undefined;
    lines.push({ sha256: m[1]!, name: m[2]! });
  }
  return lines;
}
