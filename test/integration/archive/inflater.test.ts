// The inflater (archive/inflater.ts): the fast path (zlib's handle, one reused buffer, on the
// calling thread) is the one this Node gives, and it and the documented stream path give the
// same bytes, take exactly the deflate stream's length when bytes follow it, and fail the
// same way on cut and corrupt data, for raw deflate (zip entries) and gzip (tarballs).
import { createHash } from 'node:crypto';
import { deflateRawSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  createInflater,
  createStreamInflater,
  InflateError,
  inflaterKind,
  type InflateFormat,
  type Inflater,
} from '../../../src/adapters/archive/inflater.js';

/** Compressible like a program: words drawn by a fixed LCG, with runs of noise. */
function programLike(size: number): Buffer {
  const words = ['mov', 'rax', 'call', 'runtime.', 'gcWriteBarrier', 'jmp', 'ret', '\0\0\0\0', 'lea', 'rbp'];
  const out = Buffer.alloc(size);
  let x = 12345;
  let i = 0;
  while (i < size) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    if ((x & 0xf) === 0) {
      for (let k = 0; k < 16 && i < size; k++) out[i++] = (x >>> (k % 24)) & 0xff;
    } else {
      const w = words[(x >>> 8) % words.length]!;
      i += out.write(w, i);
    }
  }
  return out;
}

const PLAIN = programLike(3 * 1024 * 1024 + 17);
const PLAIN_SHA = createHash('sha256').update(PLAIN).digest('hex');
const RAW = deflateRawSync(PLAIN, { level: 6 });
const GZ = gzipSync(PLAIN);
/** What follows a zip entry's deflate data: a local header's signature. */
const AFTER = Buffer.from('504b030414000800', 'hex');

const kinds: [string, (f: InflateFormat, o: (b: Buffer) => void) => Inflater][] = [
  ['fast', createInflater],
  ['stream', createStreamInflater],
];

interface Run {
  sha256: string;
  size: number;
  taken: number;
  ended: boolean;
  chunks: number;
}

async function run(
  make: (typeof kinds)[number][1],
  format: InflateFormat,
  data: Buffer,
  step: number,
): Promise<Run> {
  const hash = createHash('sha256');
  let size = 0;
  let chunks = 0;
  const inflater = make(format, (b) => {
    hash.update(b);
    size += b.length;
    chunks += 1;
  });
  let taken = 0;
  for (let i = 0; i < data.length; i += step) {
    const piece = data.subarray(i, i + step);
    const t = await inflater.write(piece);
    taken += t;
    if (t < piece.length) break;
  }
  const ended = inflater.ended;
  await inflater.finish();
  return { sha256: hash.digest('hex'), size, taken, ended, chunks };
}

describe('inflater', () => {
  it('takes the fast path on this Node', () => {
    expect(inflaterKind()).toBe('handle');
  });

  for (const [name, make] of kinds) {
    describe(name, () => {
      it('inflates raw deflate in any chunking to the exact bytes', async () => {
        for (const step of [1 << 20, 4096, 13]) {
          const r = await run(make, 'raw', RAW, step);
          expect(r).toMatchObject({ sha256: PLAIN_SHA, size: PLAIN.length, taken: RAW.length });
        }
      });

      it('takes exactly the deflate stream when bytes follow it, and ends', async () => {
        const data = Buffer.concat([RAW, AFTER]);
        for (const step of [1 << 20, 4096, 7]) {
          const r = await run(make, 'raw', data, step);
          expect(r).toMatchObject({ sha256: PLAIN_SHA, taken: RAW.length, ended: true });
        }
      });

      it('knows the end only once a byte past it is offered', async () => {
        const inflater = make('raw', () => undefined);
        expect(await inflater.write(RAW)).toBe(RAW.length);
        expect(inflater.ended).toBe(false);
        expect(await inflater.write(AFTER)).toBe(0);
        expect(inflater.ended).toBe(true);
        await inflater.finish();
      });

      it('refuses data cut short when finished', async () => {
        const inflater = make('raw', () => undefined);
        await inflater.write(RAW.subarray(0, RAW.length - 100));
        const err = await inflater.finish().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(InflateError);
        expect((err as Error).message).toBe('unexpected end of file');
      });

      it('refuses data that does not inflate, with zlib’s words', async () => {
        const inflater = make('raw', () => undefined);
        // BFINAL=1, BTYPE=11: a reserved block type.
        const err = await inflater.write(Buffer.from([0xff, 0x00, 0x00])).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(InflateError);
        expect((err as Error).message).toBe('invalid block type');
        inflater.close();
      });

      it('gunzips, and refuses a member whose CRC-32 does not match', async () => {
        const r = await run(make, 'gzip', GZ, 65536);
        expect(r).toMatchObject({ sha256: PLAIN_SHA, size: PLAIN.length, taken: GZ.length });
        const bad = Buffer.from(GZ);
        bad[bad.length - 8]! ^= 0x01;
        const err = await run(make, 'gzip', bad, 65536).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(InflateError);
        expect((err as Error).message).toBe('incorrect data check');
      });
    });
  }

  it('hands out one reused buffer (a consumer that keeps bytes copies them)', async () => {
    const seen = new Set<ArrayBufferLike>();
    let chunks = 0;
    const inflater = createInflater('raw', (b) => {
      seen.add(b.buffer);
      chunks += 1;
    });
    await inflater.write(RAW);
    await inflater.finish();
    // 3 MiB + 17 bytes through a 256 KiB buffer.
    expect(chunks).toBe(13);
    expect(seen.size).toBe(1);
  });
});
