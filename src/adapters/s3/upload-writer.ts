// The export's S3 output: a Writable that cuts the tarball into its objects (KEY, or
// with a split size KEY.000, KEY.001, ...) and each object into upload parts, and
// sends each part as it fills, six at a time, with its SHA-256
// checksum. One pass: nothing about the tarball but an upper bound on its size needs
// to be known in advance. Memory is the parts in flight, whatever the tarball's size;
// there is no temporary file.
//
// A part is a list of the chunks written, not a copy of them: chunks that lie in the
// shared slabs the tar stream reads files into (`slabs`) are kept where they are, their
// slab retained until the part is sent, and only the other bytes (tar headers, small
// files, gzip output) are copied into a part buffer. Parts (and split objects) are
// hashed on the writer's hashing thread, from the same memory they are sent from.
//
// Nothing becomes visible until commit(): every object is a multipart upload,
// completed only after the whole stream was checked, KEY.000 last (as on disk, a
// failure leaves no first part to import from).
//
// Resuming (docs/S3.md): a re-run finds the upload each object left open, and skips
// every part S3 already holds with the same size and SHA-256. The open uploads are
// trusted to hold this same tarball only when the first object's first part matches
// and is long enough to hold SHA256SUMS (which names every file's digest, and so
// fixes every later byte): the object metadata set when an upload started is then
// right too. Otherwise they are aborted and the upload starts afresh.

import { Writable } from 'node:stream';

import { TRANSFER } from '../../core/layout/names.js';
import { HashThread, HashWorker, SLAB_SIZE, SharedSlabs } from '../fs/shared-hash.js';
import { uploadPartSize } from '../../core/s3/upload-plan.js';
import { formatS3Url, type S3Location } from '../../core/s3/url.js';
import { MAX_SPLIT_PARTS, partLimitExceeded } from '../../core/transfer/pack-size.js';
import type { S3Connection } from './client.js';
import {
  abortUpload,
  completeUpload,
  createUpload,
  listParts,
  openUploadsUnder,
  uploadPart,
  type OpenUploadAt,
  type UploadedPart,
} from './multipart.js';

export interface S3UploadOptions {
  conn: S3Connection;
  /** KEY: the object, or the stem of KEY.000, KEY.001, ... with splitSize. */
  location: S3Location;
  splitSize?: number;
  /** At least the tarball's size: fixes the part size, the same on every run. */
  maxBytes: number;
  contentType: string;
  /** Every object's metadata, set when its upload starts. */
  metadata: Record<string, string>;
  /** False with --s3-abort-incomplete: open uploads are aborted, never resumed, and ours too on failure. */
  resume: boolean;
  /** The first part must cover this many bytes (SHA256SUMS and what precedes it) to vouch for an open upload. */
  identityBytes: number;
  /**
   * Parts in flight at once. Six: the AWS CLI sends ten, but each part is held in
   * memory until S3 has it (its checksum goes in the headers), and six keep the
   * export's peak RSS under 250 MB with 8 MiB parts.
   */
  concurrency?: number;
  onPart?: (event: { key: string; number: number; size: number; reused: boolean }) => void;
}

/** One part as it fills: views of the bytes written, in order. */
interface PartBody {
  pieces: Buffer[];
  size: number;
  /** Slabs retained for pieces that lie in them (one entry per piece). */
  slabs: number[];
  /** Where the bytes that are not in a slab are copied, from its start. */
  copy?: Buffer;
  copied: number;
  /** Where in `copy` the last piece starts, when it is copied bytes (the next ones extend it). */
  tail?: number;
  /** Copied bytes up to here were handed to the hashes (a run of them goes in one message). */
  hashed: number;
}

export interface S3UploadResult {
  partsUploaded: number;
  partsReused: number;
  /** Open uploads aborted: stale ones, or all of them with --s3-abort-incomplete. */
  uploadsAborted: number;
}

export interface UploadedObject {
  location: S3Location;
  size: number;
  /** Lower-case hex sha256 of the object's bytes; only when split (unsplit, it is the tarball's). */
  sha256?: string;
}

interface ObjectState {
  location: S3Location;
  uploadId?: string;
  /** Resolves to the upload id once the upload exists. */
  creating?: Promise<string>;
  /** Parts S3 already holds (from an interrupted run), by number. */
  listed: Map<number, UploadedPart>;
  parts: Map<number, UploadedPart>;
  received: number;
  nextPart: number;
  /** The sha256 (hex) of a split object's bytes, once its last part is cut. */
  sha256?: Promise<string>;
}

export const DEFAULT_UPLOAD_CONCURRENCY = 6;
/** Slabs beyond those the parts hold: the file reads and hashing running ahead of the upload. */
const READ_AHEAD_SLABS = 8;

/** The open uploads an export to `location` may have left: what prepare() needs, to start early. */
export function openUploadsFor(
  options: Pick<S3UploadOptions, 'conn' | 'location' | 'splitSize'>,
): Promise<OpenUploadAt[]> {
  const { conn, location, splitSize } = options;
  return openUploadsUnder(conn, location.bucket, splitSize === undefined ? location.key : `${location.key}.`);
}

export class S3UploadWriter extends Writable {
  readonly #options: S3UploadOptions;
  readonly #partSize: number;
  /** Objects by index; those past the end of the stream only hold open uploads found by prepare(). */
  readonly #objects: ObjectState[] = [];
  readonly #concurrency: number;
  readonly #inflight = new Set<Promise<void>>();
  readonly #spare: Buffer[] = [];
  /**
   * The slabs the tar stream should read files into: their chunks are kept, not copied.
   * Enough for the parts in flight, the one waiting for a turn and the reader's lead.
   */
  readonly slabs: SharedSlabs;
  /** The thread that hashes parts and split objects; the tar stream may share it. */
  readonly hashing: HashWorker;
  readonly #partHash: HashThread;
  /** Each split object's bytes (unsplit, the tarball's hash is the caller's). */
  readonly #objectHash: HashThread | undefined;
  /** Set once the stream ends: the part cut then is its object's last. */
  #ending = false;
  /** How many objects the stream has reached. */
  #count = 0;
  #part: PartBody | undefined;
  #error: unknown;
  /** Whether the open uploads found are still candidates, until the first part says. */
  #candidate = false;
  #result: S3UploadResult = { partsUploaded: 0, partsReused: 0, uploadsAborted: 0 };
  #committed: UploadedObject[] | undefined;

  constructor(options: S3UploadOptions) {
    super({ highWaterMark: 1 << 20 });
    this.#options = options;
    this.#concurrency = options.concurrency ?? DEFAULT_UPLOAD_CONCURRENCY;
    this.#partSize = uploadPartSize(Math.min(options.splitSize ?? Infinity, options.maxBytes));
    // A part spans its size in slabs and one more where it starts or ends mid-slab.
    const perPart = Math.ceil(this.#partSize / SLAB_SIZE) + 1;
    this.slabs = new SharedSlabs((this.#concurrency + 1) * perPart + READ_AHEAD_SLABS);
    this.hashing = new HashWorker(this.slabs);
    this.#partHash = new HashThread(this.slabs, this.hashing);
    this.#objectHash = options.splitSize === undefined ? undefined : new HashThread(this.slabs, this.hashing);
  }

  /** Stops the hashing thread: after commit() or abort(). */
  async close(): Promise<void> {
    await this.hashing.close();
  }

  #keyOf(index: number): string {
    const { location, splitSize } = this.#options;
    return splitSize === undefined ? location.key : `${location.key}${TRANSFER.partSuffix(index)}`;
  }

  #state(index: number): ObjectState {
    let o = this.#objects[index];
    if (o === undefined) {
      o = {
        location: { bucket: this.#options.location.bucket, key: this.#keyOf(index) },
        listed: new Map(),
        parts: new Map(),
        received: 0,
        nextPart: 1,
      };
      this.#objects[index] = o;
    }
    return o;
  }

  /** The object index `key` would have in this export, if any. */
  #indexOf(key: string): number | undefined {
    const { location, splitSize } = this.#options;
    if (splitSize === undefined) return key === location.key ? 0 : undefined;
    const suffix = key.slice(location.key.length);
    if (!key.startsWith(location.key) || !/^\.\d{3,}$/.test(suffix)) return undefined;
    const index = Number(suffix.slice(1));
    return index < MAX_SPLIT_PARTS && key === this.#keyOf(index) ? index : undefined;
  }

  /**
   * Finds the uploads an interrupted run left (or aborts them), given the listing
   * openUploadsFor() started: call before writing. Unless one is resumed, the first
   * object's upload is started at once, beside the reading of its first part.
   */
  async prepare(open: Promise<OpenUploadAt[]> = openUploadsFor(this.#options)): Promise<void> {
    await this.#findOpen(await open);
    const first = this.#state(0);
    if (first.uploadId === undefined) this.#uploadId(first).catch(() => undefined);
  }

  async #findOpen(open: OpenUploadAt[]): Promise<void> {
    const { conn, splitSize } = this.#options;
    const byIndex = new Map<number, string[]>();
    for (const u of open) {
      const index = this.#indexOf(u.key);
      if (index !== undefined) byIndex.set(index, [...(byIndex.get(index) ?? []), u.uploadId]);
    }
    for (const index of byIndex.keys()) this.#state(index);
    const usable =
      this.#options.resume &&
      [...byIndex.values()].every((ids) => ids.length === 1) &&
      byIndex.get(0)?.length === 1 &&
      Math.min(this.#partSize, splitSize ?? Infinity) >= this.#options.identityBytes;
    if (!usable) {
      await this.#abortAll([...byIndex].map(([index, ids]) => ({ index, ids })));
      return;
    }
    const listed = await Promise.all(
      [...byIndex].map(async ([index, ids]) => ({
        index,
        id: ids[0]!,
        parts: await listParts(conn, this.#state(index).location, ids[0]!),
      })),
    );
    const first = listed.find((l) => l.index === 0)?.parts.find((p) => p.number === 1);
    if (first?.sha256 === undefined) {
      await this.#abortAll(listed.map((l) => ({ index: l.index, ids: [l.id] })));
      return;
    }
    for (const l of listed) {
      const o = this.#state(l.index);
      o.uploadId = l.id;
      for (const p of l.parts) o.listed.set(p.number, p);
    }
    this.#candidate = true;
  }

  async #abortAll(uploads: { index: number; ids: string[] }[]): Promise<void> {
    await Promise.all(
      uploads.flatMap(({ index, ids }) =>
        ids.map(async (id) => {
          await abortUpload(this.#options.conn, this.#state(index).location, id);
          this.#result.uploadsAborted += 1;
        }),
      ),
    );
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#append(chunk).then(
      () => callback(),
      (e: unknown) => callback(e as Error),
    );
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#finish().then(
      () => callback(),
      (e: unknown) => callback(e as Error),
    );
  }

  #check(): void {
    if (this.#error !== undefined) throw this.#error;
  }

  /** The object the next byte goes to, opened when the stream reaches it. */
  #current(): ObjectState {
    const { splitSize } = this.#options;
    const last = this.#count === 0 ? undefined : this.#state(this.#count - 1);
    if (last !== undefined && (splitSize === undefined || last.received < splitSize)) return last;
    if (splitSize !== undefined && this.#count >= MAX_SPLIT_PARTS) {
      throw partLimitExceeded(formatS3Url(this.#options.location), splitSize);
    }
    const o = this.#state(this.#count);
    this.#count += 1;
    return o;
  }

  async #append(chunk: Buffer): Promise<void> {
    const splitSize = this.#options.splitSize ?? Infinity;
    const slab = this.slabs.slabOf(chunk);
    let rest = chunk;
    while (rest.length > 0) {
      this.#check();
      const o = this.#current();
      const part = (this.#part ??= { pieces: [], size: 0, slabs: [], copied: 0, hashed: 0 });
      const n = Math.min(rest.length, this.#partSize - part.size, splitSize - o.received);
      const piece = rest.subarray(0, n);
      if (slab === undefined) this.#copyInto(part, piece);
      else {
        this.#hashCopied(part);
        this.slabs.retain(slab);
        part.slabs.push(slab);
        part.pieces.push(piece);
        delete part.tail;
        const start = piece.byteOffset - slab * SLAB_SIZE;
        this.#partHash.updateSlab(slab, n, start);
        this.#objectHash?.updateSlab(slab, n, start);
      }
      part.size += n;
      o.received += n;
      rest = rest.subarray(n);
      if (part.size === this.#partSize || o.received === splitSize) await this.#dispatch(o);
    }
  }

  /** Bytes outside the slabs are copied: their writer may reuse its buffer once the write is done. */
  #copyInto(part: PartBody, piece: Buffer): void {
    part.copy ??= this.#take();
    piece.copy(part.copy, part.copied);
    const end = part.copied + piece.length;
    if (part.tail === undefined) {
      part.tail = part.copied;
      part.pieces.push(part.copy.subarray(part.tail, end));
    } else {
      part.pieces[part.pieces.length - 1] = part.copy.subarray(part.tail, end);
    }
    part.copied = end;
  }

  /** Hands the copied bytes not yet hashed to the hashes, in one message. */
  #hashCopied(part: PartBody): void {
    if (part.copy === undefined || part.hashed === part.copied) return;
    const run = part.copy.subarray(part.hashed, part.copied);
    this.#partHash.update(run);
    this.#objectHash?.update(run);
    part.hashed = part.copied;
  }

  async #finish(): Promise<void> {
    this.#check();
    this.#ending = true;
    // The last, short part; an empty stream still makes one object of one empty part.
    if ((this.#part?.size ?? 0) > 0 || this.#count === 0) {
      const o = this.#current();
      this.#part ??= { pieces: [], size: 0, slabs: [], copied: 0, hashed: 0 };
      await this.#dispatch(o);
    }
    await Promise.all(this.#inflight);
    this.#check();
  }

  /** A buffer for a part's copied bytes (a whole part's worth: with gzip, every byte is copied). */
  #take(): Buffer {
    return this.#spare.pop() ?? Buffer.allocUnsafe(this.#partSize);
  }

  /**
   * Part buffers are reused, never left to the garbage collector: with 8 MiB each, the
   * ones it has not collected yet would be most of the process's memory.
   */
  #give(buffer: Buffer): void {
    if (this.#spare.length <= this.#concurrency) this.#spare.push(buffer);
  }

  /** Gives back what a part held: its slabs and its copy buffer. */
  #release(part: PartBody): void {
    for (const slab of part.slabs) this.slabs.release(slab);
    part.slabs = [];
    if (part.copy !== undefined) this.#give(part.copy);
    delete part.copy;
  }

  async #dispatch(o: ObjectState): Promise<void> {
    const part = this.#part!;
    const { pieces, size } = part;
    const number = o.nextPart;
    this.#part = undefined;
    o.nextPart += 1;
    this.#hashCopied(part);
    if (this.#objectHash !== undefined && (this.#ending || o.received === this.#options.splitSize)) {
      o.sha256 = this.#objectHash.digest();
      o.sha256.catch(() => undefined);
    }
    const key = o.location.key;
    let digest: Buffer;
    let sha256: string;
    try {
      digest = Buffer.from(await this.#partHash.digest(), 'hex');
      sha256 = digest.toString('base64');
      if (this.#candidate && o === this.#objects[0] && number === 1) await this.#vouch(sha256, size);
      const listed = o.listed.get(number);
      if (listed !== undefined && listed.size === size && listed.sha256 === sha256) {
        o.parts.set(number, listed);
        this.#result.partsReused += 1;
        this.#options.onPart?.({ key, number, size, reused: true });
        this.#release(part);
        return;
      }
      while (this.#inflight.size >= this.#concurrency) await Promise.race(this.#inflight);
      this.#check();
    } catch (e) {
      this.#release(part);
      throw e;
    }
    const sent = (async () => {
      const uploadId = await this.#uploadId(o);
      const uploaded = await uploadPart(this.#options.conn, o.location, uploadId, number, pieces, digest);
      o.parts.set(number, uploaded);
      this.#result.partsUploaded += 1;
      this.#options.onPart?.({ key, number, size, reused: false });
    })()
      .catch((e: unknown) => {
        this.#error ??= e;
      })
      .finally(() => {
        this.#inflight.delete(sent);
        this.#release(part);
      });
    this.#inflight.add(sent);
  }

  /** The first part decides whether the open uploads found hold this tarball. */
  async #vouch(sha256: string, size: number): Promise<void> {
    this.#candidate = false;
    const part = this.#objects[0]!.listed.get(1);
    if (part !== undefined && part.sha256 === sha256 && part.size === size) return;
    const uploads = this.#objects.flatMap((o, index) =>
      o.uploadId === undefined ? [] : [{ index, ids: [o.uploadId] }],
    );
    for (const o of this.#objects) {
      delete o.uploadId;
      o.listed.clear();
    }
    await this.#abortAll(uploads);
  }

  #uploadId(o: ObjectState): Promise<string> {
    if (o.uploadId !== undefined) return Promise.resolve(o.uploadId);
    o.creating ??= createUpload(this.#options.conn, o.location, {
      contentType: this.#options.contentType,
      metadata: this.#options.metadata,
    }).then((id) => {
      o.uploadId = id;
      return id;
    });
    return o.creating;
  }

  /**
   * After the stream finished and was checked: completes every object, the first one
   * last, and aborts open uploads an earlier, longer run left past the last object.
   */
  async commit(): Promise<UploadedObject[]> {
    if (!this.writableFinished) throw new Error('S3 upload: commit() before the stream finished');
    if (this.#committed !== undefined) return this.#committed;
    const reached = this.#objects.slice(0, this.#count);
    for (const o of [...reached.slice(1), ...reached.slice(0, 1)]) {
      await completeUpload(this.#options.conn, o.location, o.uploadId!, [...o.parts.values()]);
    }
    await this.#abortAll(
      this.#objects.flatMap((o, index) =>
        index < this.#count || o.uploadId === undefined ? [] : [{ index, ids: [o.uploadId] }],
      ),
    );
    const sha256s = await Promise.all(reached.map((o) => o.sha256));
    this.#committed = reached.map((o, i) => ({
      location: o.location,
      size: o.received,
      ...(sha256s[i] === undefined ? {} : { sha256: sha256s[i] }),
    }));
    return this.#committed;
  }

  /**
   * After a failure: waits for the parts in flight; with resume off, aborts the uploads
   * this run made, else leaves them for the next run to resume.
   */
  async abort(): Promise<void> {
    if (!this.destroyed) this.destroy();
    await Promise.allSettled([...this.#inflight, ...this.#objects.map((o) => o.creating)]);
    if (this.#options.resume) return;
    const uploads = this.#objects.flatMap((o, index) =>
      o.uploadId === undefined ? [] : [{ index, ids: [o.uploadId] }],
    );
    await this.#abortAll(uploads).catch(() => undefined);
  }

  get result(): S3UploadResult {
    return this.#result;
  }
}
