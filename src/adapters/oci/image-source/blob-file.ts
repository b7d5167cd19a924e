// Writing one blob to a file while checking it against its descriptor: the size is
// enforced as bytes arrive (a server that sends more never fills the disk), the
// sha256 at the end. Resumable: a retry can go on appending after what is written,
// or start over. On failure the file is removed, so nothing half-checked remains.
import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { AirgapError } from '../../../core/errors.js';
import type { Descriptor } from '../../../core/image/oci-image.js';

export class BlobFile {
  private hash: Hash = createHash('sha256');
  written = 0;

  private constructor(
    private readonly handle: fs.promises.FileHandle,
    readonly dest: string,
    readonly descriptor: Descriptor,
    /** The source reference, for messages. */
    readonly source: string,
    private readonly onBytes: ((n: number) => void) | undefined,
  ) {}

  static async create(
    dest: string,
    descriptor: Descriptor,
    source: string,
    onBytes?: (n: number) => void,
  ): Promise<BlobFile> {
    if (!descriptor.digest.startsWith('sha256:')) {
      throw new AirgapError('IMAGE_INVALID', `${source}: blob ${descriptor.digest} is not a sha256 digest`, {
        address: source,
        expected: 'sha256:<hex>',
        actual: descriptor.digest,
      });
    }
    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(dest, 'w');
    } catch (cause) {
      throw new AirgapError(
        'FS_ERROR',
        `cannot create ${dest}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`,
        {
          path: dest,
          cause,
        },
      );
    }
    return new BlobFile(handle, dest, descriptor, source, onBytes);
  }

  /** Appends the stream's bytes; throws CHECKSUM_MISMATCH as soon as they exceed the descriptor's size. */
  async append(body: Readable): Promise<void> {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      if (this.written + chunk.length > this.descriptor.size) {
        body.destroy();
        throw this.mismatch('size', String(this.descriptor.size), `more than ${this.descriptor.size} bytes`);
      }
      await this.handle.write(chunk, 0, chunk.length, this.written);
      this.hash.update(chunk);
      this.written += chunk.length;
      this.onBytes?.(chunk.length);
    }
  }

  /** Back to an empty file (the server ignored a Range). */
  async restart(): Promise<void> {
    await this.handle.truncate(0);
    this.hash = createHash('sha256');
    this.written = 0;
  }

  /** Checks size and digest and closes; on a mismatch the file is removed. */
  async finish(): Promise<void> {
    try {
      if (this.written !== this.descriptor.size) {
        throw this.mismatch('size', String(this.descriptor.size), String(this.written));
      }
      const actual = `sha256:${this.hash.digest('hex')}`;
      if (actual !== this.descriptor.digest) throw this.mismatch('digest', this.descriptor.digest, actual);
      await this.handle.close();
    } catch (error) {
      await this.abort();
      throw error;
    }
  }

  /** Closes and removes the file. */
  async abort(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await fs.promises.rm(this.dest, { force: true });
  }

  private mismatch(what: 'size' | 'digest', expected: string, actual: string): AirgapError {
    const d = this.descriptor.digest;
    return new AirgapError(
      'CHECKSUM_MISMATCH',
      `blob ${d} of ${this.source}: ${what} is ${actual}, expected ${expected}`,
      { address: this.source, path: this.dest, expected, actual },
    );
  }
}

/** A whole local stream into `dest`, checked; no retries (a file does not get better by re-reading). */
export async function copyVerified(
  stream: Readable,
  dest: string,
  descriptor: Descriptor,
  source: string,
  onBytes?: (n: number) => void,
): Promise<void> {
  let file: BlobFile;
  try {
    file = await BlobFile.create(dest, descriptor, source, onBytes);
  } catch (error) {
    stream.destroy();
    throw error;
  }
  try {
    await file.append(stream);
  } catch (error) {
    await file.abort();
    throw error;
  }
  await file.finish();
}
