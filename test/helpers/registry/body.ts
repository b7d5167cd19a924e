// Writing a response body the way a flaky or distant server would: throttled,
// cut off mid-way, or with one byte flipped. Files are streamed, never buffered.
import { createReadStream } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

const CHUNK = 64 * 1024;
const CUT_GRACE_MS = 100;

export type BodySource =
  | { kind: 'buffer'; data: Buffer }
  /** `size` bytes of the file from `start` (default 0). */
  | { kind: 'file'; path: string; size: number; start?: number };

export interface BodyBehaviour {
  /** Bytes per second; undefined means as fast as the socket takes them. */
  rate?: number;
  /** Stop after this many bytes and destroy the socket. */
  resetAfter?: number;
  /** Flip every bit of the byte at this offset. */
  flipAt?: number;
}

export function sourceSize(source: BodySource): number {
  return source.kind === 'buffer' ? source.data.length : source.size;
}

async function* chunksOf(source: BodySource): AsyncGenerator<Buffer> {
  if (source.kind === 'buffer') {
    for (let i = 0; i < source.data.length; i += CHUNK) yield source.data.subarray(i, i + CHUNK);
    return;
  }
  if (source.size === 0) return;
  const start = source.start ?? 0;
  const stream = createReadStream(source.path, { highWaterMark: CHUNK, start, end: start + source.size - 1 });
  for await (const chunk of stream) yield chunk as Buffer;
}

function waitForDrain(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

function writeWithCallback(res: ServerResponse, chunk: Buffer): Promise<void> {
  return new Promise((resolve) => {
    res.write(chunk, () => resolve());
  });
}

/**
 * Writes the body after the headers were set; resolves when the response ended or the
 * socket was cut. `onWrite` is told of every chunk handed to the socket, so tests can
 * check the pacing plan (slice sizes) without measuring time.
 */
export async function sendBody(
  res: ServerResponse,
  source: BodySource,
  behaviour: BodyBehaviour,
  onWrite: (bytes: number) => void = () => undefined,
): Promise<void> {
  const { rate, resetAfter, flipAt } = behaviour;
  // Small slices at low rates, so "slow" means a trickle and not a burst every few seconds.
  const slice = rate === undefined ? CHUNK : Math.max(1, Math.min(CHUNK, Math.floor(rate / 10)));
  const started = Date.now();
  let sent = 0;
  for await (const big of chunksOf(source)) {
    for (let i = 0; i < big.length; i += slice) {
      if (res.destroyed) return;
      let chunk = big.subarray(i, i + slice);
      if (flipAt !== undefined && flipAt >= sent && flipAt < sent + chunk.length) {
        chunk = Buffer.from(chunk);
        chunk[flipAt - sent] = (chunk[flipAt - sent] ?? 0) ^ 0xff;
      }
      if (resetAfter !== undefined && sent + chunk.length >= resetAfter) {
        await cut(res, chunk.subarray(0, resetAfter - sent));
        return;
      }
      if (rate !== undefined) {
        // A chunk goes out when the budget covers it, so n bytes take n / rate seconds in all.
        const wait = started + ((sent + chunk.length) / rate) * 1000 - Date.now();
        if (wait > 0) await sleep(wait);
        if (res.destroyed) return;
      }
      sent += chunk.length;
      onWrite(chunk.length);
      if (!res.write(chunk)) await waitForDrain(res);
    }
  }
  if (resetAfter !== undefined) {
    await cut(res, Buffer.alloc(0));
    return;
  }
  if (!res.destroyed) res.end();
}

// Hands the partial body to the kernel before destroying, so the client really sees a cut
// mid-body; and leaves it a moment to read what was sent, so it holds every byte before the
// cut (a client that resumes asks for exactly the rest).
async function cut(res: ServerResponse, last: Buffer): Promise<void> {
  res.flushHeaders();
  if (last.length > 0) await writeWithCallback(res, last);
  await sleep(CUT_GRACE_MS);
  res.socket?.destroy();
  res.destroy();
}
