// Byte-level surgery on small zips, for building hostile archives inside the tests:
// rename an entry, clear its UTF-8 flag, or rewrite its host and attributes, in both the
// local header and the central directory. Zips without a trailing comment only.

export interface CentralEntry {
  /** Offset of the central directory header. */
  central: number;
  /** Offset of the local file header. */
  local: number;
  name: Buffer;
}

export function centralEntries(zip: Buffer): CentralEntry[] {
  const eocd = zip.length - 22;
  if (zip.readUInt32LE(eocd) !== 0x06054b50) throw new Error('no end of central directory record at the end');
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const out: CentralEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error(`no central header at ${at}`);
    const nameLen = zip.readUInt16LE(at + 28);
    const extraLen = zip.readUInt16LE(at + 30);
    const commentLen = zip.readUInt16LE(at + 32);
    out.push({
      central: at,
      local: zip.readUInt32LE(at + 42),
      name: zip.subarray(at + 46, at + 46 + nameLen),
    });
    at += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

function find(zip: Buffer, name: string): CentralEntry {
  const e = centralEntries(zip).find((c) => c.name.equals(Buffer.from(name, 'utf8')));
  if (!e) throw new Error(`no entry ${name}`);
  return e;
}

/** Renames an entry in place; the new name must have the same byte length. */
export function renameEntry(zip: Buffer, from: string, to: string | Buffer): Buffer {
  const out = Buffer.from(zip);
  const e = find(out, from);
  const next = typeof to === 'string' ? Buffer.from(to, 'utf8') : to;
  if (next.length !== e.name.length) throw new Error('renameEntry keeps the length');
  next.copy(out, e.central + 46);
  next.copy(out, e.local + 30);
  return out;
}

export function clearUtf8Flag(zip: Buffer, name: string): Buffer {
  const out = Buffer.from(zip);
  const e = find(out, name);
  out.writeUInt16LE(out.readUInt16LE(e.central + 8) & ~0x0800, e.central + 8);
  out.writeUInt16LE(out.readUInt16LE(e.local + 6) & ~0x0800, e.local + 6);
  return out;
}

/** Sets "version made by" (host << 8 | spec version) and the external attributes. */
export function setAttributes(
  zip: Buffer,
  name: string,
  versionMadeBy: number,
  externalAttributes: number,
): Buffer {
  const out = Buffer.from(zip);
  const e = find(out, name);
  out.writeUInt16LE(versionMadeBy, e.central + 4);
  out.writeUInt32LE(externalAttributes >>> 0, e.central + 38);
  return out;
}

export function flagsOf(zip: Buffer, name: string): { central: number; local: number } {
  const e = find(zip, name);
  return { central: zip.readUInt16LE(e.central + 8), local: zip.readUInt16LE(e.local + 6) };
}

/** Offset of the first byte of an entry's stored data (after the local header). */
export function dataOffset(zip: Buffer, name: string): number {
  const e = find(zip, name);
  return e.local + 30 + zip.readUInt16LE(e.local + 26) + zip.readUInt16LE(e.local + 28);
}
