// A provider zip digested as its bytes arrive, so a download needs no second read of the
// file: local headers are parsed as they pass, each entry is inflated (zlib, streaming)
// and hashed, and the central directory at the end is kept (only that tail) and compared
// with what was streamed. The result is the same ZipDigest digestZip gives from the file.
//
// Three outcomes:
//   - confirmed: every central-directory entry matches a streamed local header exactly
//     (offset, name, method, flags, CRC-32, both sizes), the entries lie back to back from
//     offset 0 up to the central directory, and the content agrees with its CRC and size;
//   - fallback: the stream uses what this reader does not follow (stored entries with data
//     descriptors, encryption, other methods, multi-disk, bytes it cannot place, a corrupt entry): the
//     caller digests the written file with digestZip, which also gives the proper error;
//   - refused (ZIP_INVALID): the local headers and the central directory disagree. The
//     entries tofu unpacks (through the central directory) would not be the bytes hashed
//     here, so the package is refused rather than re-read.
// The entry-name policy is digestZip's (checkEntry), applied to the central directory's view.
//
// Data descriptors: Go's archive/zip (goreleaser, so most provider zips) sets flag bit 3 on
// every file entry and writes CRC-32 and sizes after the data. A deflated entry ends on its
// own: the inflater reports the end of the deflate stream, which gives the compressed
// length, and the descriptor follows (with or without its optional signature, with 32-bit
// or zip64 sizes). Its form is the one whose compressed size is the length inflated, whose
// size is the bytes inflated, and which the next local header or the central directory
// follows. Its values then stand for the entry and are confirmed against the central
// directory like any local header's. A stored entry cannot be delimited that way: fallback.
// When no form fits, the stream cannot place what follows; it keeps only the last bytes
// (where the central directory lies) and at the end compares the central directory's entry
// with what streamed: another compressed length (name, method, flags) is refused, an
// agreeing one falls back to the file.

import { createHash, type Hash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { AirgapError } from '../../core/errors.js';
import { hashH1 } from '../../core/hash/package-hash.js';
import { createInflater, type Inflater } from './inflater.js';
import { checkEntry, type ZipDigest, type ZipEntryDigest } from './zip-names.js';

export type ZipStreamOutcome = { confirmed: true; digest: ZipDigest } | { confirmed: false; reason: string };

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_LOCATOR64 = 0x07064b50;
const SIG_DESCRIPTOR = 0x08074b50;
const LOCAL_FIXED = 30;
const CENTRAL_FIXED = 46;
const EOCD_FIXED = 22;
const LOCATOR64_SIZE = 20;
const EOCD64_FIXED = 56;
const FLAG_ENCRYPTED = 0x1;
const FLAG_DATA_DESCRIPTOR = 0x8;
const FLAG_UTF8 = 0x800;
const FLAGS_COMPARED = FLAG_ENCRYPTED | FLAG_DATA_DESCRIPTOR | FLAG_UTF8;
const METHOD_STORED = 0;
const METHOD_DEFLATED = 8;
const U32_MAX = 0xffffffff;
const U16_MAX = 0xffff;
const EXTRA_ZIP64 = 0x0001;
/** The central directory and end records kept from the stream's tail; a bigger one falls back. */
const MAX_TAIL = 8 * 1024 * 1024;
/** The longest data descriptor (signature, CRC-32, zip64 sizes) and the signature after it. */
const DESCRIPTOR_LOOKAHEAD = 24 + 4;

interface Streamed {
  offset: number;
  flags: number;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  rawName: Buffer;
  /** Where CRC-32 and sizes were read. */
  sizesFrom: 'local header' | 'data descriptor';
  /** What the bytes gave. */
  actualCrc: number;
  actualSize: number;
  sha256: string;
}

interface Current {
  header: Omit<Streamed, 'actualCrc' | 'actualSize' | 'sha256' | 'sizesFrom'>;
  /** Compressed bytes still to come; unknown (Infinity) before a data descriptor. */
  remaining: number;
  /** Bytes the inflater took (it takes none past the end of the deflate stream). */
  fed: number;
  hash: Hash;
  crc: number;
  size: number;
  inflater?: Inflater;
  /** zlib's message once the data failed to inflate. */
  inflateError?: string;
}

type Mode = 'header' | 'data' | 'descriptor' | 'tail' | 'scan' | 'gave-up';

/** A described entry whose data descriptor does not fit the deflate data the stream saw. */
interface Unplaced {
  header: Current['header'];
  /** The length of its deflate data, as the inflater found it. */
  deflated: number;
  reason: string;
}

/**
 * Push the zip's bytes in order with write() (await each: deflated entries apply
 * backpressure), then end(). `label` names the package in errors ("provider version
 * (platform): file.zip").
 */
export class ZipStreamDigester {
  private mode: Mode = 'header';
  /** Offset of the next byte the parser takes. */
  private pos = 0;
  /** Header bytes gathered so far, starting at `pendingStart`. */
  private pending: Buffer[] = [];
  private pendingLength = 0;
  private pendingStart = 0;
  private current: Current | undefined;
  /** The entry whose data descriptor is being gathered (in `pending`), with its length inflated. */
  private described: { cur: Current; compressedSize: number } | undefined;
  private readonly entries: Streamed[] = [];
  private tail: Buffer[] = [];
  private tailLength = 0;
  private tailStart = 0;
  private unplaced: Unplaced | undefined;
  private reason = '';

  constructor(private readonly label: string) {}

  /** Gives up streaming (the caller will read the file); later bytes are ignored. */
  giveUp(reason: string): void {
    if (this.mode === 'gave-up') return;
    this.mode = 'gave-up';
    this.reason = reason;
    this.destroyCurrent();
    this.pending = [];
    this.tail = [];
  }

  destroy(): void {
    this.giveUp('cancelled');
  }

  async write(chunk: Uint8Array): Promise<void> {
    let buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    while (buf.length > 0) {
      switch (this.mode) {
        case 'gave-up':
          return;
        case 'scan':
          this.keepLast(Buffer.from(buf));
          return;
        case 'tail':
          this.tail.push(Buffer.from(buf));
          this.tailLength += buf.length;
          if (this.tailLength > MAX_TAIL)
            this.giveUp('its central directory is larger than this reader keeps');
          return;
        case 'descriptor':
          buf = this.takeDescriptor(buf);
          break;
        case 'data': {
          const cur = this.current!;
          if (cur.remaining === Infinity) {
            buf = await this.feedUntilEnd(cur, buf);
            break;
          }
          if (cur.remaining === 0) {
            await this.closeEntry();
            break;
          }
          const n = Math.min(cur.remaining, buf.length);
          await this.feed(cur, buf.subarray(0, n));
          buf = buf.subarray(n);
          this.pos += n;
          cur.remaining -= n;
          if (cur.remaining === 0) await this.closeEntry();
          break;
        }
        case 'header':
          buf = this.takeHeader(buf);
          break;
      }
    }
  }

  /** After the last byte: the digest when the central directory confirms the stream. */
  async end(): Promise<ZipStreamOutcome> {
    if (this.mode === 'data' && this.current?.remaining === 0) await this.closeEntry();
    if (this.mode === 'header' && this.pendingLength > 0) this.giveUp('it ends inside a local header');
    if (this.mode === 'data') this.giveUp('it ends inside an entry');
    if (this.mode === 'descriptor') this.giveUp('it ends inside a data descriptor');
    if (this.mode === 'header') this.giveUp('it ends without a central directory');
    if (this.mode === 'gave-up') return { confirmed: false, reason: this.reason };
    const tail = Buffer.concat(this.tail);
    this.tail = [];
    if (this.mode === 'scan') return this.checkUnplaced(tail);
    return this.confirm(tail);
  }

  /** Gathers header bytes; returns what is left of `buf` once a header is complete. */
  private takeHeader(buf: Buffer): Buffer {
    if (this.pendingLength === 0) this.pendingStart = this.pos;
    const need = this.headerNeed();
    const n = Math.min(need - this.pendingLength, buf.length);
    // A copy: `buf` belongs to the caller once write() returns.
    this.pending.push(Buffer.from(buf.subarray(0, n)));
    this.pendingLength += n;
    const rest = buf.subarray(n);
    if (this.pendingLength < need) return rest;
    const head = Buffer.concat(this.pending);
    if (head.readUInt32LE(0) === SIG_CENTRAL) {
      this.pending = [];
      this.pendingLength = 0;
      this.mode = 'tail';
      this.tailStart = this.pendingStart;
      this.tail = [head];
      this.tailLength = head.length;
      return rest;
    }
    if (head.readUInt32LE(0) !== SIG_LOCAL) {
      this.giveUp(
        `the bytes at offset ${this.pendingStart} are neither a local header nor the central directory`,
      );
      return rest;
    }
    if (this.headerNeed(head) > head.length) return rest;
    this.pending = [];
    this.pendingLength = 0;
    this.pos = this.pendingStart + head.length;
    this.startEntry(head);
    return rest;
  }

  /** Bytes needed to parse the header begun in `pending` (4, 30, then 30 + name + extra). */
  private headerNeed(head?: Buffer): number {
    if (this.pendingLength < 4) return 4;
    const h = head ?? Buffer.concat(this.pending);
    if (h.readUInt32LE(0) !== SIG_LOCAL) return 4;
    if (this.pendingLength < LOCAL_FIXED) return LOCAL_FIXED;
    return LOCAL_FIXED + h.readUInt16LE(26) + h.readUInt16LE(28);
  }

  private startEntry(head: Buffer): void {
    const flags = head.readUInt16LE(6);
    const method = head.readUInt16LE(8);
    const nameLength = head.readUInt16LE(26);
    const rawName = Buffer.from(head.subarray(LOCAL_FIXED, LOCAL_FIXED + nameLength));
    let compressedSize = head.readUInt32LE(18);
    let size = head.readUInt32LE(22);
    const offset = this.pendingStart;
    const shown = JSON.stringify(rawName.toString('utf8'));
    const described = (flags & FLAG_DATA_DESCRIPTOR) !== 0;
    if ((flags & FLAG_ENCRYPTED) !== 0) return this.giveUp(`entry ${shown} is encrypted`);
    if (method !== METHOD_STORED && method !== METHOD_DEFLATED) {
      return this.giveUp(`entry ${shown} uses compression method ${method}`);
    }
    if (described && method === METHOD_STORED) {
      return this.giveUp(`stored entry ${shown} keeps its sizes in a data descriptor`);
    }
    // Readers take a described entry's CRC-32 and sizes from its descriptor (Go's writer
    // leaves zeros here); they are filled in once the descriptor is read.
    if (described) compressedSize = size = 0;
    else if (compressedSize === U32_MAX || size === U32_MAX) {
      const z = zip64Extra(head.subarray(LOCAL_FIXED + nameLength), 2);
      if (z === undefined || z.length < 2) return this.giveUp(`entry ${shown} lacks its zip64 sizes`);
      [size, compressedSize] = z as [number, number];
    }
    if (method === METHOD_STORED && compressedSize !== size) {
      return this.giveUp(`stored entry ${shown} has two sizes`);
    }
    const cur: Current = {
      header: {
        offset,
        flags,
        method,
        crc: described ? 0 : head.readUInt32LE(14),
        compressedSize,
        size,
        rawName,
      },
      remaining: described ? Infinity : compressedSize,
      fed: 0,
      hash: createHash('sha256'),
      crc: 0,
      size: 0,
    };
    if (method === METHOD_DEFLATED) {
      cur.inflater = createInflater('raw', (out) => {
        cur.hash.update(out);
        cur.crc = crc32(out, cur.crc);
        cur.size += out.length;
      });
    }
    this.current = cur;
    this.mode = 'data';
  }

  private async feed(cur: Current, bytes: Buffer): Promise<void> {
    const inflater = cur.inflater;
    if (inflater === undefined) {
      cur.hash.update(bytes);
      cur.crc = crc32(bytes, cur.crc);
      cur.size += bytes.length;
      return;
    }
    // Past an error, or past the end of the deflate stream, the rest is only counted.
    if (cur.inflateError !== undefined || inflater.ended) return;
    try {
      cur.fed += await inflater.write(bytes);
    } catch (e) {
      cur.inflateError = (e as Error).message;
    }
  }

  /**
   * Inflates a described entry's bytes until its deflate stream ends; returns what of `buf`
   * lies past that end (the data descriptor onwards), empty while the stream goes on.
   */
  private async feedUntilEnd(cur: Current, buf: Buffer): Promise<Buffer> {
    const inflater = cur.inflater!;
    let used: number;
    try {
      used = await inflater.write(buf);
    } catch (e) {
      const shown = JSON.stringify(cur.header.rawName.toString('utf8'));
      this.giveUp(`entry ${shown} does not inflate (${(e as Error).message})`);
      return Buffer.alloc(0);
    }
    cur.fed += used;
    this.pos += used;
    // The inflater takes no byte past the end of the deflate stream.
    if (!inflater.ended) return Buffer.alloc(0);
    inflater.close();
    this.current = undefined;
    this.described = { cur, compressedSize: cur.fed };
    this.mode = 'descriptor';
    this.pendingStart = this.pos;
    return buf.subarray(used);
  }

  /** Gathers the data descriptor and the signature after it; returns what follows them. */
  private takeDescriptor(buf: Buffer): Buffer {
    const n = Math.min(DESCRIPTOR_LOOKAHEAD - this.pendingLength, buf.length);
    this.pending.push(Buffer.from(buf.subarray(0, n)));
    this.pendingLength += n;
    if (this.pendingLength < DESCRIPTOR_LOOKAHEAD) return buf.subarray(n);
    const gathered = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingLength = 0;
    const { cur, compressedSize } = this.described!;
    this.described = undefined;
    const shown = JSON.stringify(cur.header.rawName.toString('utf8'));
    const forms = descriptorForms(gathered).filter(
      (f) => f.compressedSize === compressedSize && nextIsRecord(gathered, f.length),
    );
    // Two forms fit only by a freak of the values (a CRC-32 equal to the signature): the
    // one that agrees with the inflated bytes, if it is alone.
    const fitting =
      forms.length > 1 ? forms.filter((f) => f.crc === cur.crc >>> 0 && f.size === cur.size) : forms;
    const form = fitting[0];
    if (form === undefined || fitting.length > 1) {
      // The next entry cannot be placed, but the central directory can still say whether
      // it agrees with what streamed: keep the last bytes, where it lies, and look at the end.
      this.unplaced = {
        header: cur.header,
        deflated: compressedSize,
        reason: `entry ${shown}'s data descriptor at offset ${this.pendingStart} does not give the ${compressedSize} bytes its deflate data takes`,
      };
      this.mode = 'scan';
      this.tail = [];
      this.tailLength = 0;
      this.tailStart = this.pendingStart;
      this.keepLast(gathered);
      return buf.subarray(n);
    }
    this.entries.push({
      ...cur.header,
      crc: form.crc,
      compressedSize: form.compressedSize,
      size: form.size,
      sizesFrom: 'data descriptor',
      actualCrc: cur.crc >>> 0,
      actualSize: cur.size,
      sha256: cur.hash.digest('hex'),
    });
    this.pos = this.pendingStart + form.length;
    this.mode = 'header';
    return Buffer.concat([gathered.subarray(form.length), buf.subarray(n)]);
  }

  private async closeEntry(): Promise<void> {
    const cur = this.current!;
    this.current = undefined;
    this.mode = 'header';
    const inflater = cur.inflater;
    if (inflater !== undefined) {
      if (cur.inflateError === undefined) {
        try {
          await inflater.finish();
        } catch (e) {
          cur.inflateError = (e as Error).message;
        }
      } else inflater.close();
      const shown = JSON.stringify(cur.header.rawName.toString('utf8'));
      if (cur.inflateError !== undefined) {
        return this.giveUp(`entry ${shown} does not inflate (${cur.inflateError})`);
      }
      if (cur.fed !== cur.header.compressedSize) {
        return this.giveUp(`entry ${shown}'s deflate data ends before its compressed size`);
      }
    }
    if (this.mode !== 'header') return;
    this.entries.push({
      ...cur.header,
      sizesFrom: 'local header',
      actualCrc: cur.crc >>> 0,
      actualSize: cur.size,
      sha256: cur.hash.digest('hex'),
    });
  }

  private destroyCurrent(): void {
    this.current?.inflater?.close();
    this.current = undefined;
    this.described = undefined;
  }

  private confirm(tail: Buffer): ZipStreamOutcome {
    const end = findEnd(tail, this.tailStart);
    if (typeof end === 'string') {
      this.giveUp(end);
      return { confirmed: false, reason: end };
    }
    const cdOffset = end.cdOffset;
    if (cdOffset !== this.tailStart) {
      throw this.refuse(
        `its central directory is at offset ${cdOffset}, but the local entries end at offset ${this.tailStart}`,
        String(this.tailStart),
        String(cdOffset),
      );
    }
    // Records this reader does not parse (a central directory signature, an archive extra
    // data record) are no disagreement: digestZip reads such a zip.
    const central =
      end.cdSize === end.recordsAt
        ? parseCentral(tail.subarray(0, end.recordsAt), end.entries)
        : `${end.recordsAt - end.cdSize} bytes lie between its central directory and its end records`;
    if (typeof central === 'string') {
      this.giveUp(central);
      return { confirmed: false, reason: central };
    }
    if (central.length !== this.entries.length) {
      throw this.refuse(
        `its central directory lists ${central.length} entries, the stream holds ${this.entries.length} local entries`,
        String(this.entries.length),
        String(central.length),
      );
    }
    const byOffset = new Map(this.entries.map((e) => [e.offset, e]));
    const used = new Set<number>();
    for (const c of central) {
      const s = byOffset.get(c.offset);
      const shown = JSON.stringify(c.rawName.toString('utf8'));
      if (s === undefined || used.has(c.offset)) {
        throw this.refuse(
          `central directory entry ${shown} points at offset ${c.offset}, where no local entry of its own starts`,
        );
      }
      used.add(c.offset);
      this.compareHeader(s, c);
      this.compareFields(c, [
        [s.sizesFrom, 'CRC-32', s.crc, c.crc, hex32],
        [s.sizesFrom, 'compressed size', s.compressedSize, c.compressedSize, String],
        [s.sizesFrom, 'size', s.size, c.size, String],
      ]);
    }
    // Corrupt content (agreeing headers, other bytes): digestZip says so in its own words.
    for (const s of this.entries) {
      if (s.actualCrc !== s.crc >>> 0 || s.actualSize !== s.size) {
        const reason = `entry ${JSON.stringify(s.rawName.toString('utf8'))} does not match its CRC-32 or size`;
        this.giveUp(reason);
        return { confirmed: false, reason };
      }
    }
    const seen = new Set<string>();
    const entries: ZipEntryDigest[] = central.map((c) => {
      const kind = checkEntry(
        this.label,
        {
          rawName: c.rawName,
          versionMadeBy: c.versionMadeBy,
          externalFileAttributes: c.externalFileAttributes,
          encrypted: (c.flags & FLAG_ENCRYPTED) !== 0,
        },
        seen,
      );
      const s = byOffset.get(c.offset)!;
      return {
        name: kind.name,
        rawName: new Uint8Array(c.rawName),
        isDirectory: kind.isDirectory,
        size: kind.isDirectory ? 0 : s.actualSize,
        sha256: kind.isDirectory ? '' : s.sha256,
        ...(kind.mode === undefined ? {} : { mode: kind.mode }),
      };
    });
    const files = entries.filter((e) => !e.isDirectory).map((e) => ({ name: e.rawName, sha256: e.sha256 }));
    return {
      confirmed: true,
      digest: { entries, h1: hashH1(files), hasDirectoryEntries: entries.some((e) => e.isDirectory) },
    };
  }

  /** Name, compression method and the flags that change what is read: local header against central directory. */
  private compareHeader(s: Current['header'], c: Central): void {
    if (!s.rawName.equals(c.rawName)) {
      throw this.refuse(
        `the local header at offset ${c.offset} names ${JSON.stringify(s.rawName.toString('utf8'))}, the central directory ${JSON.stringify(c.rawName.toString('utf8'))}`,
        s.rawName.toString('utf8'),
        c.rawName.toString('utf8'),
      );
    }
    this.compareFields(c, [
      ['local header', 'compression method', s.method, c.method, String],
      // Encryption, data descriptor and UTF-8 name: the bits that change what is read.
      ['local header', 'flags', s.flags & FLAGS_COMPARED, c.flags & FLAGS_COMPARED, hex16],
    ]);
  }

  private compareFields(c: Central, fields: [string, string, number, number, (n: number) => string][]): void {
    const shown = JSON.stringify(c.rawName.toString('utf8'));
    for (const [from, what, local, cd, show] of fields) {
      if (local !== cd) {
        throw this.refuse(
          `entry ${shown}: the ${from} says ${what} ${show(local)}, the central directory ${show(cd)}`,
          show(cd),
          show(local),
        );
      }
    }
  }

  /** Keeps the last MAX_TAIL bytes (and whatever chunk reaches into them): where the central directory lies. */
  private keepLast(bytes: Buffer): void {
    this.tail.push(bytes);
    this.tailLength += bytes.length;
    while (this.tail.length > 1 && this.tailLength - this.tail[0]!.length >= MAX_TAIL) {
      const dropped = this.tail.shift()!;
      this.tailLength -= dropped.length;
      this.tailStart += dropped.length;
    }
  }

  /**
   * The stream lost its place after an entry whose data descriptor does not fit its deflate
   * data. When the central directory, found in the kept tail, records another length for that
   * entry's compressed data (or another name, method or flags, or no entry there), a reader
   * going by the central directory takes other bytes than those that streamed: refused.
   * Otherwise the written file is read (digestZip), as for any stream it does not follow.
   */
  private checkUnplaced(tail: Buffer): ZipStreamOutcome {
    const { header, deflated, reason } = this.unplaced!;
    const fallback = (): ZipStreamOutcome => {
      this.giveUp(reason);
      return { confirmed: false, reason };
    };
    const end = findEnd(tail, this.tailStart);
    if (typeof end === 'string') return fallback();
    const cdAt = end.cdOffset - this.tailStart;
    if (cdAt < 0 || cdAt + end.cdSize !== end.recordsAt) return fallback();
    const central = parseCentral(tail.subarray(cdAt, end.recordsAt), end.entries);
    if (typeof central === 'string') return fallback();
    const c = central.find((e) => e.offset === header.offset);
    if (c === undefined) {
      throw this.refuse(
        `no central directory entry points at offset ${header.offset}, where entry ${JSON.stringify(header.rawName.toString('utf8'))} streamed`,
      );
    }
    this.compareHeader(header, c);
    this.compareFields(c, [['deflate data', 'compressed size', deflated, c.compressedSize, String]]);
    return fallback();
  }

  private refuse(why: string, expected?: string, actual?: string): AirgapError {
    return new AirgapError(
      'ZIP_INVALID',
      `${this.label}: its local headers and its central directory disagree: ${why}`,
      {
        path: this.label,
        ...(expected === undefined ? {} : { expected }),
        ...(actual === undefined ? {} : { actual }),
      },
      'do not use this package: unpacking it gives other files than its entries as they stream',
    );
  }
}

interface DescriptorForm {
  length: number;
  crc: number;
  compressedSize: number;
  size: number;
}

/** The four forms a data descriptor may take at the start of `b`, as if each were the one. */
function descriptorForms(b: Buffer): DescriptorForm[] {
  const forms: DescriptorForm[] = [];
  for (const at of b.readUInt32LE(0) === SIG_DESCRIPTOR ? [4, 0] : [0]) {
    forms.push({
      length: at + 12,
      crc: b.readUInt32LE(at),
      compressedSize: b.readUInt32LE(at + 4),
      size: b.readUInt32LE(at + 8),
    });
    forms.push({
      length: at + 20,
      crc: b.readUInt32LE(at),
      compressedSize: readU64(b, at + 4),
      size: readU64(b, at + 12),
    });
  }
  return forms;
}

/** Whether a local header or the central directory starts `at`. */
function nextIsRecord(b: Buffer, at: number): boolean {
  const sig = b.readUInt32LE(at);
  return sig === SIG_LOCAL || sig === SIG_CENTRAL;
}

interface EndRecords {
  entries: number;
  cdSize: number;
  cdOffset: number;
  /** Offset in the tail where the end records (zip64 or not) begin. */
  recordsAt: number;
}

/** The end of central directory record (and its zip64 form), or why it cannot be used. */
function findEnd(tail: Buffer, tailStart: number): EndRecords | string {
  const lowest = Math.max(0, tail.length - EOCD_FIXED - U16_MAX);
  let at = -1;
  for (let i = tail.length - EOCD_FIXED; i >= lowest; i--) {
    if (tail.readUInt32LE(i) === SIG_EOCD && i + EOCD_FIXED + tail.readUInt16LE(i + 20) === tail.length) {
      at = i;
      break;
    }
  }
  if (at < 0) return 'no end of central directory record closes it';
  if (tail.readUInt16LE(at + 4) !== 0 || tail.readUInt16LE(at + 6) !== 0) return 'it spans several disks';
  let entries = tail.readUInt16LE(at + 10);
  let cdSize = tail.readUInt32LE(at + 12);
  let cdOffset = tail.readUInt32LE(at + 16);
  let recordsAt = at;
  if (entries === U16_MAX || cdSize === U32_MAX || cdOffset === U32_MAX) {
    const loc = at - LOCATOR64_SIZE;
    if (loc < 0 || tail.readUInt32LE(loc) !== SIG_LOCATOR64) return 'its zip64 locator is missing';
    // The zip64 end record: the fixed-size one right before the locator, where the locator points.
    const start = loc - EOCD64_FIXED;
    const valid =
      start >= 0 &&
      tail.readUInt32LE(start) === SIG_EOCD64 &&
      readU64(tail, start + 4) === EOCD64_FIXED - 12 &&
      readU64(tail, loc + 8) === tailStart + start;
    if (!valid) return 'its zip64 end record is not where its locator points';
    entries = readU64(tail, start + 32);
    cdSize = readU64(tail, start + 40);
    cdOffset = readU64(tail, start + 48);
    recordsAt = start;
  }
  return { entries, cdSize, cdOffset, recordsAt };
}

interface Central {
  versionMadeBy: number;
  flags: number;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  rawName: Buffer;
  externalFileAttributes: number;
  offset: number;
}

function parseCentral(cd: Buffer, count: number): Central[] | string {
  const out: Central[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + CENTRAL_FIXED > cd.length || cd.readUInt32LE(p) !== SIG_CENTRAL) {
      return `central directory entry ${i + 1} of ${count} is not where the one before it ends`;
    }
    const nameLength = cd.readUInt16LE(p + 28);
    const extraLength = cd.readUInt16LE(p + 30);
    const commentLength = cd.readUInt16LE(p + 32);
    const next = p + CENTRAL_FIXED + nameLength + extraLength + commentLength;
    if (next > cd.length) return `central directory entry ${i + 1} of ${count} runs past the directory`;
    const rawName = Buffer.from(cd.subarray(p + CENTRAL_FIXED, p + CENTRAL_FIXED + nameLength));
    let size = cd.readUInt32LE(p + 24);
    let compressedSize = cd.readUInt32LE(p + 20);
    let offset = cd.readUInt32LE(p + 42);
    if (size === U32_MAX || compressedSize === U32_MAX || offset === U32_MAX) {
      // Zip64 extra: only the fields whose 32-bit value is the sentinel, in this order.
      const want = [size, compressedSize, offset].filter((v) => v === U32_MAX).length;
      const extra = cd.subarray(p + CENTRAL_FIXED + nameLength, p + CENTRAL_FIXED + nameLength + extraLength);
      const z = zip64Extra(extra, want);
      if (z === undefined)
        return `central directory entry ${JSON.stringify(rawName.toString('utf8'))} lacks its zip64 fields`;
      let k = 0;
      if (size === U32_MAX) size = z[k++]!;
      if (compressedSize === U32_MAX) compressedSize = z[k++]!;
      if (offset === U32_MAX) offset = z[k++]!;
    }
    if (cd.readUInt16LE(p + 34) !== 0)
      return `central directory entry ${JSON.stringify(rawName.toString('utf8'))} is on another disk`;
    out.push({
      versionMadeBy: cd.readUInt16LE(p + 4),
      flags: cd.readUInt16LE(p + 8),
      method: cd.readUInt16LE(p + 10),
      crc: cd.readUInt32LE(p + 16),
      compressedSize,
      size,
      rawName,
      externalFileAttributes: cd.readUInt32LE(p + 38),
      offset,
    });
    p = next;
  }
  if (p !== cd.length) return `${cd.length - p} bytes follow the ${count} central directory entries`;
  return out;
}

/** The first `want` 8-byte values of the zip64 extra field, or undefined. */
function zip64Extra(extra: Buffer, want: number): number[] | undefined {
  let p = 0;
  while (p + 4 <= extra.length) {
    const id = extra.readUInt16LE(p);
    const size = extra.readUInt16LE(p + 2);
    if (p + 4 + size > extra.length) return undefined;
    if (id === EXTRA_ZIP64) {
      if (size < want * 8) return undefined;
      const values: number[] = [];
      for (let i = 0; i < want; i++) {
        const v = readU64(extra, p + 4 + i * 8);
        if (v < 0) return undefined;
        values.push(v);
      }
      return values;
    }
    p += 4 + size;
  }
  return undefined;
}

/** A little-endian 64-bit value, or -1 above Number.MAX_SAFE_INTEGER. */
function readU64(buf: Buffer, at: number): number {
  const v = buf.readBigUInt64LE(at);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(v);
}

function hex32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

function hex16(n: number): string {
  return `0x${n.toString(16).padStart(4, '0')}`;
}
