// Streams bytes [start, end] of an open file into a response. The file was opened
// when the request arrived, so the bytes come from that file even if an import has
// since switched generations or removed it: a request finishes on what it started with.
//
// TLS encryption is most of a download's CPU; what is left is the JavaScript around it.
// So the file is read with positioned reads into a few buffers that are reused once the
// response has taken them (the write's callback), rather than a read stream allocating a
// fresh buffer for every chunk (garbage collection and page faults per megabyte). At
// most POOL chunks of one response are in memory at once, and reading waits for the
// client (backpressure).

import type { FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';

/** Bytes per read and per write: large enough to amortise the calls, small enough to stay in cache. */
const CHUNK = 256 * 1024;
/** Chunks of one response in flight at once: one being read while others are encrypted and sent. */
const POOL = 3;
/** Idle chunks kept for the next responses. */
const SPARE = 16;
const spare: Buffer[] = [];

function take(): Buffer {
  return spare.pop() ?? Buffer.allocUnsafeSlow(CHUNK);
}

function give(buf: Buffer): void {
  if (spare.length < SPARE) spare.push(buf);
}

/** Resolves when the body is sent; rejects when the client goes away. Closes `file` either way. */
export async function pumpFile(
  file: FileHandle,
  range: { start: number; end: number },
  out: Writable,
): Promise<void> {
  try {
    await send(file, range, out);
  } finally {
    await file.close().catch(() => undefined);
  }
}

async function send(file: FileHandle, range: { start: number; end: number }, out: Writable): Promise<void> {
  let gone: Error | undefined;
  let wake: (() => void) | undefined;
  const nudge = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const onClose = (): void => {
    if (!out.writableFinished) gone ??= new Error('the client went away before the body was sent');
    nudge();
  };
  const onError = (e: Error): void => {
    gone ??= e;
    nudge();
  };
  out.on('close', onClose);
  out.on('error', onError);
  out.on('drain', nudge);
  let inFlight = 0;
  try {
    let pos = range.start;
    const last = range.end + 1;
    while (pos < last) {
      // Wait for the client: a chunk back from the socket, and no backpressure.
      while (gone === undefined && (inFlight >= POOL || out.writableNeedDrain)) {
        await new Promise<void>((resolve) => (wake = resolve));
      }
      if (gone !== undefined) throw gone;
      const buf = take();
      const want = Math.min(CHUNK, last - pos);
      const { bytesRead } = await file.read(buf, 0, want, pos);
      if (bytesRead === 0) {
        give(buf);
        throw new Error(`the file ended at byte ${pos}, before byte ${last}`);
      }
      if (gone !== undefined) {
        give(buf);
        throw gone;
      }
      pos += bytesRead;
      inFlight++;
      out.write(bytesRead === CHUNK ? buf : buf.subarray(0, bytesRead), (e) => {
        inFlight--;
        // Taken by the socket (or the write failed and nothing holds it): reusable.
        if (e === undefined || e === null) give(buf);
        nudge();
      });
    }
    await new Promise<void>((resolve, reject) => {
      if (gone !== undefined) return reject(gone);
      out.end(() => (gone === undefined ? resolve() : reject(gone)));
      wake = () => {
        if (gone !== undefined) reject(gone);
      };
    });
  } finally {
    out.off('close', onClose);
    out.off('error', onError);
    out.off('drain', nudge);
  }
}
