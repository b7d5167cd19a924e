// Provider zips shaped like real releases: the executable deflated (zlib level 6, what Go's
// archive/zip and Info-ZIP use), CRC-32 and sizes in the local header and no data
// descriptor (as Info-ZIP writes to a file), host Unix, mode 0755. Or, with `dataDescriptor`,
// as Go's archive/zip (goreleaser) writes: every file deflated with flag bit 3, zeros in the
// local header, CRC-32 and sizes in a descriptor after the data (with or without its
// signature; zip64 sizes on request); directories stored without one. The payload compresses
// like an executable: by default generated machine-code-like bytes; the bench passes real
// ELF binaries. Each package's payload is made distinct (a rotation of the source, a
// per-package byte XOR, a nonce header) without changing how well it compresses.
import crypto from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { crc32, createDeflateRaw, deflateRawSync } from 'node:zlib';

const CHUNK = 1024 * 1024;
const GENERATED_SIZE = 4 * 1024 * 1024;

export interface ReleaseEntry {
  name: string;
  /** Unix mode with type bits, e.g. 0o100755 or 0o40755 for a directory. */
  mode: number;
}

let generated: Buffer | undefined;

/**
 * 4 MiB that deflate at about the ratio of a Go executable (~35%): instructions drawn from
 * a small skewed table, interleaved with random immediates and runs of zeros.
 */
function generatedSource(): Buffer {
  if (generated !== undefined) return generated;
  const rng = crypto.createHash('sha256');
  let state = rng.update('airgap release-shaped payload').digest();
  const out = Buffer.alloc(GENERATED_SIZE);
  const ops = Array.from({ length: 64 }, (_, i) =>
    crypto
      .createHash('sha256')
      .update(`op${i}`)
      .digest()
      .subarray(0, 2 + (i % 7)),
  );
  let p = 0;
  let k = 0;
  while (p < out.length) {
    if (k + 4 > state.length) {
      state = crypto.createHash('sha256').update(state).digest();
      k = 0;
    }
    const r = state.readUInt32LE(k);
    k += 4;
    const kind = r % 16;
    if (kind < 11) {
      // A common instruction: the table is skewed towards its first entries.
      const op = ops[Math.floor(Math.sqrt((r >>> 4) % 4096))]!;
      p += op.copy(out, p);
    } else if (kind < 15) {
      out.writeUInt32LE(r, Math.min(p, out.length - 4));
      p += 4;
    } else {
      p += 8 + (r % 24);
    }
  }
  generated = out;
  return out;
}

async function sourceBytes(files: string[] | undefined): Promise<Buffer> {
  if (files === undefined || files.length === 0) return generatedSource();
  return Buffer.concat(await Promise.all(files.map((f) => fs.readFile(f))));
}

/** The executable's bytes for package `seed`, streamed: `size` bytes, distinct per seed. */
async function* payload(seed: string, size: number, files: string[] | undefined): AsyncGenerator<Buffer> {
  const source = await sourceBytes(files);
  const key = crypto.createHash('sha256').update(seed).digest();
  const header = Buffer.from(
    `#!/bin/sh\n# airgap release-shaped test provider ${seed} ${key.toString('hex')}\nexit 0\n`,
  );
  const xor = key[0]!;
  let at = key.readUInt32LE(1) % source.length;
  let left = size;
  const first = header.subarray(0, Math.min(left, header.length));
  left -= first.length;
  yield first;
  while (left > 0) {
    const n = Math.min(CHUNK, left, source.length - at);
    const piece = Buffer.from(source.subarray(at, at + n));
    for (let i = 0; i < piece.length; i++) piece[i]! ^= xor;
    yield piece;
    left -= n;
    at = (at + n) % source.length;
  }
}

interface Deflated {
  crc: number;
  size: number;
  compressedSize: number;
  sha256: string;
  /** The deflated bytes, in a temp file. */
  file: string;
}

async function deflateToFile(source: AsyncIterable<Buffer>, file: string): Promise<Deflated> {
  const hash = crypto.createHash('sha256');
  let crc = 0;
  let size = 0;
  let compressedSize = 0;
  await pipeline(
    async function* () {
      for await (const chunk of source) {
        hash.update(chunk);
        crc = crc32(chunk, crc);
        size += chunk.length;
        yield chunk;
      }
    },
    createDeflateRaw({ level: 6 }),
    async function* (out: AsyncIterable<Buffer>) {
      for await (const chunk of out) {
        compressedSize += chunk.length;
        yield chunk;
      }
    },
    createWriteStream(file),
  );
  return { crc: crc >>> 0, size, compressedSize, sha256: hash.digest('hex'), file };
}

// 2020-01-01 00:00 as DOS time and date fields.
const DOS_TIME = 0;
const DOS_DATE = ((2020 - 1980) << 9) | (1 << 5) | 1;

/** How a Go-like writer closes each file entry. */
export interface DataDescriptorStyle {
  /** The optional 0x08074b50 signature first (Go writes it). */
  signature: boolean;
  /** 8-byte sizes (Go: past 4 GiB), with zip64 extras in the central directory. */
  zip64: boolean;
}

const FLAG_UTF8 = 0x0800;
const FLAG_DATA_DESCRIPTOR = 0x0008;
const U32_MAX = 0xffffffff;

function localHeader(
  name: Buffer,
  method: number,
  d: { crc: number; size: number; compressedSize: number },
  described = false,
): Buffer {
  const h = Buffer.alloc(30);
  h.writeUInt32LE(0x04034b50, 0);
  h.writeUInt16LE(20, 4);
  h.writeUInt16LE(described ? FLAG_UTF8 | FLAG_DATA_DESCRIPTOR : FLAG_UTF8, 6);
  h.writeUInt16LE(method, 8);
  h.writeUInt16LE(DOS_TIME, 10);
  h.writeUInt16LE(DOS_DATE, 12);
  h.writeUInt32LE(described ? 0 : d.crc, 14);
  h.writeUInt32LE(described ? 0 : d.compressedSize, 18);
  h.writeUInt32LE(described ? 0 : d.size, 22);
  h.writeUInt16LE(name.length, 26);
  h.writeUInt16LE(0, 28);
  return Buffer.concat([h, name]);
}

function centralHeader(
  name: Buffer,
  method: number,
  mode: number,
  d: { crc: number; size: number; compressedSize: number },
  offset: number,
  described?: DataDescriptorStyle,
): Buffer {
  const zip64 = described?.zip64 === true;
  const extra = Buffer.alloc(zip64 ? 20 : 0);
  if (zip64) {
    extra.writeUInt16LE(0x0001, 0);
    extra.writeUInt16LE(16, 2);
    extra.writeBigUInt64LE(BigInt(d.size), 4);
    extra.writeBigUInt64LE(BigInt(d.compressedSize), 12);
  }
  const h = Buffer.alloc(46);
  h.writeUInt32LE(0x02014b50, 0);
  h.writeUInt16LE((3 << 8) | (zip64 ? 45 : 30), 4);
  h.writeUInt16LE(zip64 ? 45 : 20, 6);
  h.writeUInt16LE(described === undefined ? FLAG_UTF8 : FLAG_UTF8 | FLAG_DATA_DESCRIPTOR, 8);
  h.writeUInt16LE(method, 10);
  h.writeUInt16LE(DOS_TIME, 12);
  h.writeUInt16LE(DOS_DATE, 14);
  h.writeUInt32LE(d.crc, 16);
  h.writeUInt32LE(zip64 ? U32_MAX : d.compressedSize, 20);
  h.writeUInt32LE(zip64 ? U32_MAX : d.size, 24);
  h.writeUInt16LE(name.length, 28);
  h.writeUInt16LE(extra.length, 30);
  h.writeUInt32LE(((mode << 16) | ((mode & 0o40000) !== 0 ? 0x10 : 0)) >>> 0, 38);
  h.writeUInt32LE(offset, 42);
  return Buffer.concat([h, name, extra]);
}

function dataDescriptor(
  d: { crc: number; size: number; compressedSize: number },
  style: DataDescriptorStyle,
): Buffer {
  const sig = style.signature ? 4 : 0;
  const b = Buffer.alloc(sig + (style.zip64 ? 20 : 12));
  if (style.signature) b.writeUInt32LE(0x08074b50, 0);
  b.writeUInt32LE(d.crc, sig);
  if (style.zip64) {
    b.writeBigUInt64LE(BigInt(d.compressedSize), sig + 4);
    b.writeBigUInt64LE(BigInt(d.size), sig + 12);
  } else {
    b.writeUInt32LE(d.compressedSize, sig + 4);
    b.writeUInt32LE(d.size, sig + 8);
  }
  return b;
}

export interface ReleaseZipResult {
  sha256: string;
  size: number;
  /** name -> sha256 of the regular files. */
  files: { name: string; sha256: string }[];
}

/**
 * Writes `zipPath`: the executable (deflated), then `extra` small files and directories
 * (a "docs/" directory entry and a file in it, stored), all with sizes in local headers;
 * or, with `dataDescriptor`, every file deflated and closed by a data descriptor.
 */
export async function writeReleaseZip(
  zipPath: string,
  exec: { name: string; seed: string; size: number; sourceFiles?: string[] },
  extra: { name: string; data?: Buffer }[] = [],
  options: { dataDescriptor?: DataDescriptorStyle } = {},
): Promise<ReleaseZipResult> {
  const dd = options.dataDescriptor;
  const deflatedFile = `${zipPath}.deflate-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  try {
    const d = await deflateToFile(payload(exec.seed, exec.size, exec.sourceFiles), deflatedFile);
    const out = createWriteStream(zipPath);
    const zipHash = crypto.createHash('sha256');
    let offset = 0;
    const central: Buffer[] = [];
    const write = async (b: Buffer): Promise<void> => {
      zipHash.update(b);
      offset += b.length;
      if (!out.write(b)) await new Promise<void>((r) => out.once('drain', () => r()));
    };
    const execName = Buffer.from(exec.name);
    central.push(centralHeader(execName, 8, 0o100755, d, offset, dd));
    await write(localHeader(execName, 8, d, dd !== undefined));
    for await (const chunk of createReadStream(d.file, { highWaterMark: CHUNK }))
      await write(chunk as Buffer);
    if (dd !== undefined) await write(dataDescriptor(d, dd));
    const files = [{ name: exec.name, sha256: d.sha256 }];
    for (const e of extra) {
      const name = Buffer.from(e.name);
      const data = e.data ?? Buffer.alloc(0);
      const described = dd !== undefined && e.data !== undefined ? dd : undefined;
      const stored = described === undefined ? data : deflateRawSync(data, { level: 6 });
      const method = described === undefined ? 0 : 8;
      const info = { crc: crc32(data) >>> 0, size: data.length, compressedSize: stored.length };
      central.push(
        centralHeader(name, method, e.data === undefined ? 0o40755 : 0o100644, info, offset, described),
      );
      await write(localHeader(name, method, info, described !== undefined));
      await write(stored);
      if (described !== undefined) await write(dataDescriptor(info, described));
      if (e.data !== undefined)
        files.push({ name: e.name, sha256: crypto.createHash('sha256').update(data).digest('hex') });
    }
    const cdStart = offset;
    for (const c of central) await write(c);
    const eocd = Buffer.alloc(22);
    eocd.writeUInt32LE(0x06054b50, 0);
    eocd.writeUInt16LE(central.length, 8);
    eocd.writeUInt16LE(central.length, 10);
    eocd.writeUInt32LE(offset - cdStart, 12);
    eocd.writeUInt32LE(cdStart, 16);
    await write(eocd);
    await new Promise<void>((resolve, reject) => {
      out.once('error', reject);
      out.end(() => resolve());
    });
    return { sha256: zipHash.digest('hex'), size: offset, files };
  } finally {
    await fs.rm(deflatedFile, { force: true });
  }
}
