// Writes a lock file byte for byte as `tofu init` / `terraform init` do
// (depsfile.SaveLocksToBytes + hclwrite formatting): the header, then one
// block per provider sorted by address, `=` aligned between version and
// constraints, hashes sorted, de-duplicated, one per line with a comma.

import { Buffer } from 'node:buffer';
import { AirgapError } from '../errors.js';
import {
  compareProviderAddresses,
  formatProviderAddress,
  providerAddressEquals,
} from '../provider/address.js';
import {
  formatVersion,
  formatVersionConstraints,
  scanVersion,
  scanVersionConstraints,
} from '../provider/version.js';
import { lockHeader, type LockFile, type LockedProvider } from './model.js';

export function formatLockFile(lock: LockFile): string {
  const providers = [...lock.providers].sort((a, b) => compareProviderAddresses(a.address, b.address));
  let out = lockHeader(lock.tool);
  for (let i = 0; i < providers.length; i++) {
    const p = providers[i] as LockedProvider;
    const prev = providers[i - 1];
    if (prev !== undefined && providerAddressEquals(prev.address, p.address)) {
      throw invalid(p, `the lock lists provider ${formatProviderAddress(p.address)} twice`);
    }
    out += `\n${formatBlock(p)}`;
  }
  return out;
}

function invalid(p: LockedProvider, message: string): AirgapError {
  return new AirgapError('LOCKFILE_INVALID', `cannot write lock file: ${message}`, {
    provider: formatProviderAddress(p.address),
  });
}

function formatBlock(p: LockedProvider): string {
  const version = scanVersion(p.version);
  if (version.error !== undefined) {
    throw invalid(
      p,
      `invalid version ${JSON.stringify(p.version)} for ${formatProviderAddress(p.address)}: ${version.error}`,
    );
  }
  const attrs: [string, string][] = [['version', quote(formatVersion(version.value))]];
  if (p.constraints !== undefined) {
    const parsed = scanVersionConstraints(p.constraints);
    if (parsed.error !== undefined) {
      throw invalid(
        p,
        `invalid version constraints ${JSON.stringify(p.constraints)} for ${formatProviderAddress(p.address)}: ${parsed.error}`,
      );
    }
    const canonical = formatVersionConstraints(parsed.value);
    if (canonical !== '') attrs.push(['constraints', quote(canonical)]);
  }

  // hclwrite aligns the "=" of consecutive single-line attributes only; the
  // multi-line hashes list is never aligned with them.
  const width = Math.max(...attrs.map(([name]) => name.length));
  let out = `provider ${quote(formatProviderAddress(p.address))} {\n`;
  for (const [name, value] of attrs) out += `  ${name.padEnd(width)} = ${value}\n`;

  const hashes = sortedUnique(p.hashes);
  if (hashes.length > 0) {
    out += '  hashes = [\n';
    for (const h of hashes) {
      if (h.indexOf(':') < 1) throw invalid(p, `invalid hash ${JSON.stringify(h)}: no "scheme:" prefix`);
      out += `    ${quote(h)},\n`;
    }
    out += '  ]\n';
  }
  return `${out}}\n`;
}

/** Bytewise order, as Go's sort.Strings. */
function sortedUnique(values: readonly string[]): string[] {
  const unique = [...new Set(values)];
  return unique.sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
}

// hclwrite's escapeQuotedStringLit: escapes what a quoted HCL string cannot
// hold literally, doubles template introducers, \u-escapes non-printables.
const NON_PRINTABLE = /[\p{C}\p{Z}]/u;

export function quote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length;) {
    const cp = s.codePointAt(i) as number;
    const ch = String.fromCodePoint(cp);
    i += ch.length;
    switch (ch) {
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\t':
        out += '\\t';
        break;
      case '"':
        out += '\\"';
        break;
      case '\\':
        out += '\\\\';
        break;
      case '$':
      case '%':
        out += ch;
        if (s[i] === '{') out += ch;
        break;
      default:
        if (ch !== ' ' && NON_PRINTABLE.test(ch)) {
          out +=
            cp < 0x10000
              ? `\\u${cp.toString(16).padStart(4, '0')}`
              : `\\U${cp.toString(16).padStart(8, '0')}`;
        } else {
          out += ch;
        }
    }
  }
  return `${out}"`;
}
