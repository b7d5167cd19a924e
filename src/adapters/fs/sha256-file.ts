// Streams a file through sha256; never reads it whole.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** `onChunk` sees every chunk in order (awaited), for a second digest in the same read. */
export async function sha256File(
  path: string | Buffer,
  onChunk?: (chunk: Buffer) => void | Promise<void>,
): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 256 << 10 })) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
    if (onChunk !== undefined) await onChunk(chunk as Buffer);
  }
  return { sha256: hash.digest('hex'), size };
}
