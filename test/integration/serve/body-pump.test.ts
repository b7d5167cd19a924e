// pumpFile over a real TLS connection: a range that spans several of its reused chunks
// arrives byte for byte; many responses at once, sharing the chunk pool, each get their
// own exact bytes; a client that goes away mid-body makes the pump reject, and the file
// handle is closed either way.

import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { pumpFile } from '../../../src/adapters/serve/body-pump.js';
import { createSelfSignedCert, type TestCert } from '../../helpers/tls.js';
import { makeTempDir } from '../../helpers/tmp.js';

let work: string;
let cert: TestCert;
let server: https.Server;
let port: number;
/** What each request's pump ended with, by its path. */
const outcomes = new Map<string, Promise<{ error?: string; fdAfter: number }>>();

/** Deterministic bytes, different per seed. */
function bytes(seed: string, length: number): Buffer {
  const key = crypto.createHash('sha256').update(seed).digest();
  return crypto.createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(length));
}

beforeAll(async () => {
  work = await makeTempDir();
  cert = await createSelfSignedCert('body-pump test', ['IP:127.0.0.1'], work);
  for (let i = 0; i < 6; i++)
    await fs.writeFile(path.join(work, `f${i}`), bytes(`f${i}`, 3_000_000 + i * 1001));
  server = https.createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://x');
    const start = Number(url.searchParams.get('start') ?? '0');
    const name = url.pathname.slice(1);
    const done = (async () => {
      const file = await fs.open(path.join(work, name));
      const size = (await file.stat()).size;
      const end = Number(url.searchParams.get('end') ?? String(size - 1));
      res.writeHead(200, { 'Content-Length': end - start + 1 });
      try {
        await pumpFile(file, { start, end }, res);
        return { fdAfter: file.fd };
      } catch (e) {
        res.destroy();
        return { error: (e as Error).message, fdAfter: file.fd };
      }
    })();
    outcomes.set(req.url ?? '', done);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
}, 60_000);

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

function get(target: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    https
      .get({ host: '127.0.0.1', port, path: target, ca: cert.certPem, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks)));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

it('a range across several chunks, at odd offsets: exactly those bytes', async () => {
  const whole = await fs.readFile(path.join(work, 'f1'));
  const body = await get('/f1?start=100003&end=2654321');
  expect(body.length).toBe(2654321 - 100003 + 1);
  expect(body.equals(whole.subarray(100003, 2654322))).toBe(true);
  expect(await outcomes.get('/f1?start=100003&end=2654321')).toEqual({ fdAfter: -1 });
});

it('six responses at once, sharing the chunk pool: each gets its own file, byte for byte', async () => {
  const bodies = await Promise.all(Array.from({ length: 6 }, (_, i) => get(`/f${i}`)));
  for (let i = 0; i < 6; i++) {
    const want = await fs.readFile(path.join(work, `f${i}`));
    expect(bodies[i]!.length).toBe(want.length);
    expect(crypto.createHash('sha256').update(bodies[i]!).digest('hex')).toBe(
      crypto.createHash('sha256').update(want).digest('hex'),
    );
    expect(await outcomes.get(`/f${i}`)).toEqual({ fdAfter: -1 });
  }
});

it('a client that goes away mid-body: the pump rejects and the file is closed', async () => {
  await new Promise<void>((resolve, reject) => {
    const req = https.get(
      { host: '127.0.0.1', port, path: '/f2?start=0', ca: cert.certPem, agent: false },
      (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      },
    );
    req.on('error', (e) => (req.destroyed ? undefined : reject(e)));
  });
  const outcome = await outcomes.get('/f2?start=0')!;
  expect(outcome.error).toBe('the client went away before the body was sent');
  expect(outcome.fdAfter).toBe(-1);
});
