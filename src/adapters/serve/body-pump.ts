// Streams bytes [start, end] of an open file into a response. The file was opened
// when the request arrived, so the bytes come from that file even if an import has
// since switched generations or removed it: a request finishes on what it started with.

import type { FileHandle } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';

/** Larger than fs's 64 KiB default: fewer reads and TLS records per megabyte. */
const CHUNK = 512 * 1024;

/** Resolves when the body is sent; rejects when the client goes away. Closes `file` either way. */
export async function pumpFile(
  file: FileHandle,
  range: { start: number; end: number },
  out: NodeJS.WritableStream,
): Promise<void> {
  if (range.end < range.start) {
    await file.close();
    out.end();
    return;
  }
  const body = file.createReadStream({
    start: range.start,
    end: range.end,
    highWaterMark: CHUNK,
    autoClose: true,
  });
  try {
    await pipeline(body, out);
  } finally {
    // autoClose covers the normal end; a destroyed pipeline can leave the handle open.
    if (file.fd !== -1) await file.close().catch(() => undefined);
  }
}
