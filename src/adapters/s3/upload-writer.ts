// The export's S3 output: a Writable that cuts the tarball into its objects (one, or
// one per split part) and each object into upload parts, and sends each part as it
// fills, a few at a time, with its SHA-256 checksum. Memory is the parts in flight,
// whatever the tarball's size; there is no temporary file.
//
// Nothing becomes visible until commit(): every object is a multipart upload,
// completed only after the whole stream was checked, KEY.000 last (as on disk, a
// failure leaves no first part to import from).
//
// Resuming (docs/S3.md): a re-run finds the upload each object left open, and skips
// every part S3 already holds with the same size and SHA-256. The open uploads are
// trusted to hold this same tarball only when the first object's first part matches
// and is long enough to hold SHA256SUMS (which names every file's digest, and so
// fixes every later byte): the object metadata set when an upload started, the
// tarball's sha256 included, is then right too. Otherwise they are aborted and the
// upload starts afresh.

import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';

import { AirgapError } from '../../core/errors.js';
import { uploadPartSize } from '../../core/s3/upload-plan.js';
import { formatS3Url, type S3Location } from '../../core/s3/url.js';
import type { S3Connection } from './client.js';
import {
  abortUpload,
  completeUpload,
  createUpload,
  listParts,
  openUploads,
  uploadPart,
  type UploadedPart,
} from './multipart.js';

export interface UploadTarget {
  location: S3Location;
  /** Exactly the bytes this object gets. */
  size: number;
  contentType: string;
  metadata: Record<string, string>;
}

export interface S3UploadOptions {
  conn: S3Connection;
  objects: UploadTarget[];
  /** False with --s3-abort-incomplete: open uploads are aborted, never resumed, and ours too on failure. */
  resume: boolean;
  /** The first part must cover this many bytes (SHA256SUMS and what precedes it) to vouch for an open upload. */
  identityBytes: number;
  /** Parts in flight at once. */
  concurrency?: number;
  onPart?: (event: { key: string; number: number; size: number; reused: boolean }) => void;
}

export interface S3UploadResult {
  partsUploaded: number;
  partsReused: number;
  /** Open uploads aborted: stale ones, or all of them with --s3-abort-incomplete. */
  uploadsAborted: number;
}

interface ObjectState {
  target: UploadTarget;
  partSize: number;
  uploadId?: string;
  /** Resolves to the upload id once the upload exists. */
  creating?: Promise<string>;
  /** Parts S3 already holds (from an interrupted run), by number. */
  listed: Map<number, UploadedPart>;
  parts: Map<number, UploadedPart>;
  received: number;
  nextPart: number;
}

export class S3UploadWriter extends Writable {
  readonly #options: S3UploadOptions;
  readonly #objects: ObjectState[];
  readonly #concurrency: number;
  readonly #inflight = new Set<Promise<void>>();
  readonly #free: Buffer[] = [];
  #current = 0;
  #buffer: Buffer | undefined;
  #filled = 0;
  #error: unknown;
  /** Whether the open uploads found are still candidates, until the first part says. */
  #candidate = false;
  #result: S3UploadResult = { partsUploaded: 0, partsReused: 0, uploadsAborted: 0 };
  #committed = false;

  constructor(options: S3UploadOptions) {
    super({ highWaterMark: 1 << 20 });
    this.#options = options;
    this.#concurrency = options.concurrency ?? 4;
    this.#objects = options.objects.map((target) => ({
      target,
      partSize: uploadPartSize(target.size),
      listed: new Map(),
      parts: new Map(),
      received: 0,
      nextPart: 1,
    }));
  }

  /** Finds the uploads an interrupted run left (or aborts them): call before writing. */
  async prepare(): Promise<void> {
    const open = await Promise.all(
      this.#objects.map((o) => openUploads(this.#options.conn, o.target.location)),
    );
    const first = this.#objects[0];
    const usable =
      this.#options.resume &&
      first !== undefined &&
      open.every((list) => list.length <= 1) &&
      (open[0]?.length ?? 0) === 1 &&
      Math.min(first.partSize, first.target.size) >= this.#options.identityBytes;
    if (!usable) {
      await this.#abortAll(open.map((list) => list.map((u) => u.uploadId)));
      return;
    }
    const listed = await Promise.all(
      this.#objects.map(async (o, i) => {
        const id = open[i]?.[0]?.uploadId;
        return id === undefined
          ? undefined
          : { id, parts: await listParts(this.#options.conn, o.target.location, id) };
      }),
    );
    const firstPart = listed[0]?.parts.find((p) => p.number === 1);
    if (firstPart?.sha256 === undefined) {
      await this.#abortAll(listed.map((l) => (l === undefined ? [] : [l.id])));
      return;
    }
    for (const [i, l] of listed.entries()) {
      const o = this.#objects[i]!;
      if (l === undefined) continue;
      o.uploadId = l.id;
      for (const p of l.parts) o.listed.set(p.number, p);
    }
    this.#candidate = true;
  }

  async #abortAll(ids: string[][]): Promise<void> {
    await Promise.all(
      ids.flatMap((list, i) =>
        list.map(async (id) => {
          await abortUpload(this.#options.conn, this.#objects[i]!.target.location, id);
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

  async #append(chunk: Buffer): Promise<void> {
    let rest = chunk;
    while (rest.length > 0) {
      this.#check();
      const o = this.#objects[this.#current];
      if (o === undefined) throw this.#sizeChanged('more bytes than the first pass');
      const partEnd = Math.min(o.partSize, o.target.size - (o.nextPart - 1) * o.partSize);
      this.#buffer ??= this.#take(o.partSize);
      const n = Math.min(rest.length, partEnd - this.#filled);
      rest.copy(this.#buffer, this.#filled, 0, n);
      this.#filled += n;
      o.received += n;
      rest = rest.subarray(n);
      if (this.#filled === partEnd) await this.#dispatch(o);
      if (o.received === o.target.size) this.#current += 1;
    }
  }

  async #finish(): Promise<void> {
    // Empty objects (an empty last part cannot happen; an empty archive can) still get their one part.
    while (this.#current < this.#objects.length) {
      const o = this.#objects[this.#current]!;
      if (o.received !== o.target.size) throw this.#sizeChanged(`${o.received} of ${o.target.size} bytes`);
      if (o.parts.size === 0 && o.target.size === 0) {
        this.#buffer ??= this.#take(0);
        await this.#dispatch(o);
      }
      this.#current += 1;
    }
    await Promise.all(this.#inflight);
    this.#check();
  }

  #sizeChanged(actual: string): AirgapError {
    const at = this.#objects[Math.min(this.#current, this.#objects.length - 1)]!.target.location;
    return new AirgapError(
      'FS_ERROR',
      `the tarball for ${formatS3Url(at)} came out different from its first pass (${actual}): a bundle file changed while it was being exported`,
      { address: formatS3Url(at), actual },
      'export again once nothing is writing to the bundle directory',
    );
  }

  #take(size: number): Buffer {
    const reused = this.#free.find((b) => b.length === size);
    if (reused !== undefined) {
      this.#free.splice(this.#free.indexOf(reused), 1);
      return reused;
    }
    return Buffer.allocUnsafe(size);
  }

  #give(buffer: Buffer): void {
    if (this.#free.length < this.#concurrency + 1) this.#free.push(buffer);
  }

  async #dispatch(o: ObjectState): Promise<void> {
    const buffer = this.#buffer!;
    const body = buffer.subarray(0, this.#filled);
    const number = o.nextPart;
    this.#buffer = undefined;
    this.#filled = 0;
    o.nextPart += 1;
    const sha256 = createHash('sha256').update(body).digest('base64');
    if (this.#candidate && o === this.#objects[0] && number === 1) await this.#vouch(sha256, body.length);
    const listed = o.listed.get(number);
    const key = o.target.location.key;
    if (listed !== undefined && listed.size === body.length && listed.sha256 === sha256) {
      o.parts.set(number, listed);
      this.#result.partsReused += 1;
      this.#options.onPart?.({ key, number, size: body.length, reused: true });
      this.#give(buffer);
      return;
    }
    while (this.#inflight.size >= this.#concurrency) await Promise.race(this.#inflight);
    this.#check();
    const sent = (async () => {
      const uploadId = await this.#uploadId(o);
      const part = await uploadPart(this.#options.conn, o.target.location, uploadId, number, body, sha256);
      o.parts.set(number, part);
      this.#result.partsUploaded += 1;
      this.#options.onPart?.({ key, number, size: body.length, reused: false });
    })()
      .catch((e: unknown) => {
        this.#error ??= e;
      })
      .finally(() => {
        this.#inflight.delete(sent);
        this.#give(buffer);
      });
    this.#inflight.add(sent);
  }

  /** The first part decides whether the open uploads found hold this tarball. */
  async #vouch(sha256: string, size: number): Promise<void> {
    this.#candidate = false;
    const part = this.#objects[0]!.listed.get(1);
    if (part !== undefined && part.sha256 === sha256 && part.size === size) return;
    const ids = this.#objects.map((o) => (o.uploadId === undefined ? [] : [o.uploadId]));
    for (const o of this.#objects) {
      delete o.uploadId;
      o.listed.clear();
    }
    await this.#abortAll(ids);
  }

  #uploadId(o: ObjectState): Promise<string> {
    if (o.uploadId !== undefined) return Promise.resolve(o.uploadId);
    o.creating ??= createUpload(this.#options.conn, o.target.location, {
      contentType: o.target.contentType,
      metadata: o.target.metadata,
    }).then((id) => {
      o.uploadId = id;
      return id;
    });
    return o.creating;
  }

  /** After the stream finished and was checked: completes every object, the first one last. */
  async commit(): Promise<S3UploadResult> {
    if (!this.writableFinished) throw new Error('S3 upload: commit() before the stream finished');
    if (this.#committed) return this.#result;
    const order = [...this.#objects.slice(1), ...this.#objects.slice(0, 1)];
    for (const o of order) {
      await completeUpload(this.#options.conn, o.target.location, o.uploadId!, [...o.parts.values()]);
    }
    this.#committed = true;
    return this.#result;
  }

  /**
   * After a failure: waits for the parts in flight; with resume off, aborts the uploads
   * this run made, else leaves them for the next run to resume.
   */
  async abort(): Promise<void> {
    if (!this.destroyed) this.destroy();
    await Promise.allSettled([...this.#inflight]);
    if (this.#options.resume) return;
    const ids = this.#objects.map((o) => (o.uploadId === undefined ? [] : [o.uploadId]));
    await this.#abortAll(ids).catch(() => undefined);
  }

  get result(): S3UploadResult {
    return this.#result;
  }
}
