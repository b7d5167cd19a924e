// SHA256SUMS files in the GNU coreutils format ("hex  name" / "hex *name"):
// reading a signed list, checking an artifact against it, and writing one.
// A missing line is a failure, never a pass (STYLE.md habit 5).

import { Buffer } from 'node:buffer';

import { AirgapError } from '../errors.js';

export interface Sha256Entry {
  name: string;
  /** 64 hex digits; written lower-case. */
  sha256: string;
}

const HEX64 = /^[0-9a-fA-F]{64}$/;

/**
 * Name -> lower-case hex sha256. Accepts "hex  name" (text mode) and "hex *name"
 * (binary mode) lines, blank lines, CRLF line ends, and coreutils' escaped form
 * (a leading backslash, then \\ \n \r in the name). Throws CHECKSUMS_INVALID with
 * `filename:line` on anything else, and on one name listed with two hashes.
 */
export function parseSha256Sums(text: string, filename: string): Map<string, string> {
  const sums = new Map<string, string>();
  const firstLine = new Map<string, number>();
  const lines = text.split('\n');
  for (const [i, raw] of lines.entries()) {
    const lineNo = i + 1;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') continue;
    const where = `${filename}:${lineNo}`;
    const escaped = line.startsWith('\\');
    const body = escaped ? line.slice(1) : line;
    const sep = body.indexOf(' ');
    if (sep === -1) {
      throw invalid(where, 'is not "<sha256>  <name>"', '"<64 hex digits>  <name>"', line);
    }
    const hex = body.slice(0, sep);
    const marker = body[sep + 1];
    const rawName = body.slice(sep + 2);
    if (!HEX64.test(hex)) {
      const what = /^[0-9a-fA-F]+$/.test(hex) ? `${hex.length} hex digits` : `"${hex}"`;
      throw invalid(where, `has a malformed sha256 (${what})`, '64 hex digits', what);
    }
    if ((marker !== ' ' && marker !== '*') || rawName === '') {
      throw invalid(
        where,
        'is not "<sha256>  <name>" or "<sha256> *<name>"',
        'two spaces, or a space and "*", then a file name',
        line,
      );
    }
    const name = escaped ? unescapeName(rawName, where) : rawName;
    const sha = hex.toLowerCase();
    const prior = sums.get(name);
    if (prior !== undefined && prior !== sha) {
      throw new AirgapError(
        'CHECKSUMS_INVALID',
        `${where}: "${name}" is listed again with a different sha256 (line ${firstLine.get(name)} has ${prior}, this line ${sha})`,
        { path: where, expected: prior, actual: sha },
      );
    }
    if (prior === undefined) {
      sums.set(name, sha);
      firstLine.set(name, lineNo);
    }
  }
  return sums;
}

/**
 * Throws CHECKSUM_MISSING when `sums` has no line for `name`, CHECKSUM_MISMATCH when the
 * line's hash differs from `actualHex`.
 */
export function expectSha256(
  sums: Map<string, string>,
  name: string,
  actualHex: string,
  context: { sumsFile: string; artifact: string; remedy?: string },
): void {
  const expected = sums.get(name);
  const actual = actualHex.toLowerCase();
  if (expected === undefined) {
    throw new AirgapError(
      'CHECKSUM_MISSING',
      `${context.sumsFile} has no line for "${name}" (artifact ${context.artifact}); an unlisted artifact is not trusted`,
      {
        path: context.artifact,
        address: context.sumsFile,
        expected: `a line for ${name}`,
        actual: 'no line',
      },
      context.remedy,
    );
  }
  if (expected !== actual) {
    throw new AirgapError(
      'CHECKSUM_MISMATCH',
      `${context.artifact}: sha256 is ${actual}, but ${context.sumsFile} lists ${expected} for "${name}"`,
      { path: context.artifact, address: context.sumsFile, expected, actual },
      context.remedy,
    );
  }
}

/**
 * coreutils `sha256sum` output: "hex  name\n" per entry, sorted by the names' UTF-8
 * bytes so the file is reproducible. Names holding a backslash, CR or LF are written
 * in coreutils' escaped form, which parseSha256Sums reads back.
 */
export function formatSha256Sums(entries: readonly Sha256Entry[]): string {
  const byName = new Map<string, string>();
  for (const e of entries) {
    if (e.name === '') {
      throw new AirgapError('HASH_INPUT_INVALID', 'a SHA256SUMS entry has an empty file name', {
        expected: 'a file name',
        actual: '""',
      });
    }
    if (!HEX64.test(e.sha256)) {
      throw new AirgapError(
        'HASH_INPUT_INVALID',
        `SHA256SUMS entry "${e.name}" has a malformed sha256 "${e.sha256}"`,
        {
          path: e.name,
          expected: '64 hex digits',
          actual: e.sha256,
        },
      );
    }
    const sha = e.sha256.toLowerCase();
    const prior = byName.get(e.name);
    if (prior !== undefined && prior !== sha) {
      throw new AirgapError(
        'HASH_INPUT_INVALID',
        `SHA256SUMS entry "${e.name}" is given twice with different hashes (${prior} and ${sha})`,
        { path: e.name, expected: prior, actual: sha },
      );
    }
    byName.set(e.name, sha);
  }
  const names = [...byName.keys()].sort((a, b) =>
    Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')),
  );
  return names
    .map((name) => {
      const sha = byName.get(name) ?? '';
      return /[\\\n\r]/.test(name) ? `\\${sha}  ${escapeName(name)}\n` : `${sha}  ${name}\n`;
    })
    .join('');
}

function escapeName(name: string): string {
  return name.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

function unescapeName(name: string, where: string): string {
  return name.replace(/\\(.?)/g, (_m, c: string) => {
    if (c === '\\') return '\\';
    if (c === 'n') return '\n';
    if (c === 'r') return '\r';
    throw invalid(where, `has an unknown escape "\\${c}" in its file name`, '\\\\, \\n or \\r', `\\${c}`);
  });
}

function invalid(where: string, what: string, expected: string, actual: string): AirgapError {
  return new AirgapError('CHECKSUMS_INVALID', `${where}: line ${what}`, { path: where, expected, actual });
}
