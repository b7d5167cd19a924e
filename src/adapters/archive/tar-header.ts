// The bytes of one tar header block, and of pax records, as both tar readers see
// them: the strict streaming reader for transfer archives (tar-read.ts) and the
// random-access index of oci/docker archives (oci/image-source/tar-index.ts). The
// checksum (signed or unsigned sum), octal and GNU base-256 numbers, the ustar
// prefix, pax "LEN key=value" records. Malformed input is ARCHIVE_INVALID.

import { Buffer } from 'node:buffer';

import { AirgapError } from '../../core/errors.js';

export const BLOCK = 512;

export interface RawHeader {
  name: string;
  typeflag: string;
  mode: number;
  size: number;
  linkName: string;
}

export function isZero(b: Buffer): boolean {
  for (const byte of b) if (byte !== 0) return false;
  return true;
}

export function cString(b: Buffer): string {
  const nul = b.indexOf(0);
  return b.subarray(0, nul === -1 ? b.length : nul).toString('utf8');
}

export function parseHeader(block: Buffer, archive: string, offset: number): RawHeader {
  const stored = block.subarray(148, 156);
  const storedText = stored
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .trim();
  if (!/^[0-7]+$/.test(storedText)) {
    throw invalid(
      archive,
      `the block at byte ${offset} is not a tar header (checksum field ${JSON.stringify(storedText)})`,
      offset,
    );
  }
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i += 1) {
    const v = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += v;
    signed += v > 127 ? v - 256 : v;
  }
  const expected = parseInt(storedText, 8);
  if (expected !== unsigned && expected !== signed) {
    throw invalid(
      archive,
      `the header at byte ${offset} has checksum ${expected}, but its bytes sum to ${unsigned}: a corrupt or forged header`,
      offset,
    );
  }
  const magic = block.subarray(257, 263).toString('latin1');
  const name = cString(block.subarray(0, 100));
  // POSIX ustar keeps a path prefix at 345; GNU's "ustar  " format keeps times there.
  const prefix = magic === 'ustar\0' ? cString(block.subarray(345, 500)) : '';
  const typeByte = block[156]!;
  return {
    name: prefix === '' ? name : `${prefix}/${name}`,
    typeflag: typeByte === 0 ? '0' : String.fromCharCode(typeByte),
    mode: numeric(block.subarray(100, 108), 'mode', archive, offset),
    size: numeric(block.subarray(124, 136), 'size', archive, offset),
    linkName: cString(block.subarray(157, 257)),
  };
}

/** An octal field, or GNU's base-256 form (top bit set) for values octal cannot hold. */
export function numeric(field: Buffer, what: string, archive: string, offset: number): number {
  if ((field[0]! & 0x80) !== 0) {
    if (field[0] === 0xff)
      throw invalid(archive, `the header at byte ${offset} has a negative ${what}`, offset);
    let v = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i += 1) v = v * 256 + field[i]!;
    if (!Number.isSafeInteger(v))
      throw invalid(archive, `the header at byte ${offset} has an oversized ${what}`, offset);
    return v;
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) {
    throw invalid(
      archive,
      `the header at byte ${offset} has a malformed ${what} field ${JSON.stringify(text)}`,
      offset,
    );
  }
  return parseInt(text, 8);
}

/** pax records: "LEN key=value\n", LEN counting the whole record. */
export function parsePax(data: Buffer, archive: string, offset: number): Record<string, string> {
  // No prototype: a record's key is data, never "__proto__" of an object.
  const out = Object.create(null) as Record<string, string>;
  let at = 0;
  while (at < data.length) {
    if (data[at] === 0) break; // some writers pad the record block with NULs
    const space = data.indexOf(0x20, at);
    const lenText = space === -1 ? '' : data.subarray(at, space).toString('latin1');
    if (!/^[1-9]\d*$/.test(lenText)) {
      throw invalid(archive, `the pax header at byte ${offset} has a malformed record at ${at}`, offset);
    }
    const len = Number(lenText);
    const end = at + len;
    if (end > data.length || data[end - 1] !== 0x0a) {
      throw invalid(
        archive,
        `the pax header at byte ${offset} has a record that overruns its length at ${at}`,
        offset,
      );
    }
    const record = data.subarray(space + 1, end - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq <= 0)
      throw invalid(archive, `the pax header at byte ${offset} has a record without "key=" at ${at}`, offset);
    out[record.slice(0, eq)] = record.slice(eq + 1);
    at = end;
  }
  return out;
}

export function invalid(archive: string, what: string, offset: number): AirgapError {
  return new AirgapError('ARCHIVE_INVALID', `${archive}: ${what}`, {
    path: archive,
    expected: 'a well-formed tar archive',
    actual: `${what.slice(0, 200)} (byte ${offset})`,
  });
}
