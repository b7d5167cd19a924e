// Provider package hashes as tofu and Terraform record them in lock files:
// `h1:` (Go's dirhash Hash1 over the package's files) and `zh:` (sha256 of the zip).
// Pure: callers hand in per-file digests; reading zips and directories is an adapter's job.

import { createHash } from 'node:crypto';
import { AirgapError } from '../errors.js';

export interface FileDigest {
  /** Path inside the package, '/'-separated, no prefix. A Uint8Array carries raw name bytes (zip entries). */
  name: string | Uint8Array;
  /** Lower-case hex sha256 of the file's bytes. */
  sha256: string;
}

export type HashScheme = 'h1' | 'zh';

export interface PackageHashes {
  h1: string;
  zh: string;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const ANY_CASE_SHA256_HEX = /^[0-9a-fA-F]{64}$/;
// base64 (standard alphabet, padded) of exactly 32 bytes.
const H1_VALUE = /^[A-Za-z0-9+/]{43}=$/;
const NEWLINE = 0x0a;

function nameBytes(name: string | Uint8Array): Buffer {
  return typeof name === 'string'
    ? Buffer.from(name, 'utf8')
    : Buffer.from(name.buffer, name.byteOffset, name.byteLength);
}

function printable(name: Buffer): string {
  return JSON.stringify(name.toString('utf8'));
}

/**
 * Go's dirhash.Hash1: sha256 over `hex(sha256(file)) + "  " + name + "\n"` for every file,
 * names in byte order of their UTF-8 encoding (Go's sort.Strings), then "h1:" + base64.
 * Sorting must be bytewise: JS string order (UTF-16 code units) differs above U+FFFF.
 */
export function hashH1(files: FileDigest[]): string {
  const entries = files.map((f) => ({ name: nameBytes(f.name), sha256: f.sha256 }));
  for (const e of entries) {
    // Go rejects these too: a newline would let one name forge a second summary line.
    if (e.name.includes(NEWLINE)) {
      throw new AirgapError(
        'HASH_INPUT_INVALID',
        `file name ${printable(e.name)} contains a newline; h1 hashes cannot represent it`,
        {
          actual: e.name.toString('utf8'),
        },
      );
    }
    if (!SHA256_HEX.test(e.sha256)) {
      throw new AirgapError(
        'HASH_INPUT_INVALID',
        `sha256 of ${printable(e.name)} must be 64 lower-case hex digits, got ${JSON.stringify(e.sha256)}`,
        { expected: '64 lower-case hex digits', actual: e.sha256 },
      );
    }
  }
  entries.sort((a, b) => Buffer.compare(a.name, b.name));
  const summary = createHash('sha256');
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    // An unpacked directory cannot hold two files of one name; two digests for one name are ambiguous.
    if (i > 0 && entries[i - 1]!.name.equals(e.name)) {
      throw new AirgapError('HASH_INPUT_INVALID', `file name ${printable(e.name)} appears more than once`, {
        actual: e.name.toString('utf8'),
      });
    }
    summary.update(`${e.sha256}  `);
    summary.update(e.name);
    summary.update('\n');
  }
  return `h1:${summary.digest('base64')}`;
}

/** "zh:" + the hex sha256 of the whole zip file (lower-cased). */
export function hashZh(zipSha256Hex: string): string {
  if (!ANY_CASE_SHA256_HEX.test(zipSha256Hex)) {
    throw new AirgapError(
      'HASH_INPUT_INVALID',
      `zip sha256 must be 64 hex digits, got ${JSON.stringify(zipSha256Hex)}`,
      {
        expected: '64 hex digits',
        actual: zipSha256Hex,
      },
    );
  }
  return `zh:${zipSha256Hex.toLowerCase()}`;
}

/**
 * Splits "scheme:value". Unknown schemes are kept, as tofu keeps them (a newer tool may
 * have written them); the known ones must have a well-formed value, since a malformed
 * h1/zh can never match and would only surface later as a confusing mismatch.
 */
export function parsePackageHash(s: string): { scheme: string; value: string } {
  const colon = s.indexOf(':');
  const scheme = colon < 0 ? '' : s.slice(0, colon);
  const value = colon < 0 ? '' : s.slice(colon + 1);
  if (!/^[a-z][a-z0-9]*$/.test(scheme) || value === '' || /\s/.test(value)) {
    throw new AirgapError(
      'HASH_INPUT_INVALID',
      `invalid package hash ${JSON.stringify(s)}: expected SCHEME:VALUE, e.g. h1:... or zh:...`,
      {
        expected: 'SCHEME:VALUE',
        actual: s,
      },
    );
  }
  if (scheme === 'h1' && !H1_VALUE.test(value)) {
    throw new AirgapError(
      'HASH_INPUT_INVALID',
      `invalid h1 hash ${JSON.stringify(s)}: expected "h1:" + base64 of 32 bytes (44 characters)`,
      {
        expected: 'h1: + 44 base64 characters',
        actual: s,
      },
    );
  }
  if (scheme === 'zh' && !SHA256_HEX.test(value)) {
    throw new AirgapError(
      'HASH_INPUT_INVALID',
      `invalid zh hash ${JSON.stringify(s)}: expected "zh:" + 64 lower-case hex digits`,
      {
        expected: 'zh: + 64 lower-case hex digits',
        actual: s,
      },
    );
  }
  return { scheme, value };
}

/**
 * True when any recorded hash names this package. Like tofu, comparison is exact
 * (lock files hold canonical strings) and schemes we cannot compute never match.
 */
export function packageMatchesAny(pkg: PackageHashes, recorded: string[]): boolean {
  // The prefix checks keep an empty or mislabelled field (e.g. zh: '' for an unpacked dir) from matching.
  return recorded.some((r) => (r.startsWith('h1:') && r === pkg.h1) || (r.startsWith('zh:') && r === pkg.zh));
}
