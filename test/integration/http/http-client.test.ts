// The undici HttpClient against real local HTTPS servers: retries, redirects,
// TLS trust, proxies, keep-alive and streamed downloads.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createHttpClient,
  type ClosableHttpClient,
  type HttpClientOptions,
} from '../../../src/adapters/http/client.js';
import type { Clock } from '../../../src/adapters/http/retry.js';
import { AirgapError } from '../../../src/core/errors.js';
import { createSelfSignedCert, type TestCert } from '../../helpers/tls.js';
import { makeTempDir } from '../../helpers/tmp.js';
import {
  startConnectProxy,
  startDualServer,
  startHttpServer,
  startHttpsServer,
  type DualServer,
  type TestProxy,
  type TestServer,
} from './servers.js';

const UA = 'airgap/0.1.0-test';
// 300 000 bytes, byte i = (31 i + 7) mod 256; its sha256 computed once with sha256sum.
const BIG = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 31 + 7) & 0xff));
const BIG_SHA256 = '1bb182f649a789fda17412a4839e9d5dd50b4068089bc334655f78e6db797370';

let cert: TestCert;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  cert = await createSelfSignedCert(undefined, undefined, await makeTempDir('airgap-cert-'));
});

afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

/** A clock that answers at once and remembers every wait asked of it. */
function recordingClock(now = 1_700_000_000_000): Clock & { delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    now: () => now,
    sleep: (ms) => {
      delays.push(ms);
      return Promise.resolve();
    },
  };
}

function client(extra: Partial<HttpClientOptions> = {}): ClosableHttpClient {
  const c = createHttpClient({ userAgent: UA, caCertFiles: [cert.certPath], retryBaseDelayMs: 1, ...extra });
  cleanups.push(() => c.close());
  return c;
}

async function server(handler: Parameters<typeof startHttpsServer>[1]): Promise<TestServer> {
  const s = await startHttpsServer(cert, handler);
  cleanups.push(() => s.close());
  return s;
}

async function dualServer(handler: Parameters<typeof startDualServer>[1]): Promise<DualServer> {
  const s = await startDualServer(cert, handler);
  cleanups.push(() => s.close());
  return s;
}

async function proxy(): Promise<TestProxy> {
  const p = await startConnectProxy();
  cleanups.push(() => p.close());
  return p;
}

async function failure(promise: Promise<unknown>): Promise<AirgapError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AirgapError);
  return error as AirgapError;
}

describe('retries', () => {
  it('retries 500, 500 and returns the body of the 200, with 3 requests seen', async () => {
    const s = await server((_req, res, i) => {
      if (i < 2) res.writeHead(500).end('boom');
      else res.writeHead(200, { 'content-type': 'text/plain' }).end('hello, air gap\n');
    });
    const bytes = await client().getBytes(`${s.origin}/file`);
    expect(Buffer.from(bytes).toString('utf8')).toBe('hello, air gap\n');
    expect(s.requests.length).toBe(3);
  });

  it('gives up on 503 after retries + 1 attempts with HTTP_ERROR 503', async () => {
    const s = await server((_req, res) => res.writeHead(503).end());
    const url = `${s.origin}/v1/providers/hashicorp/null/versions`;
    const e = await failure(client({ retries: 3 }).getJson(url));
    expect(e.code).toBe('HTTP_ERROR');
    expect(e.details.status).toBe(503);
    expect(e.details.address).toBe(url);
    expect(e.message).toBe(`GET ${url} failed: 503 Service Unavailable after 4 attempts`);
    expect(s.requests.length).toBe(4);
  });

  it('uses the default of 4 retries (5 attempts)', async () => {
    const s = await server((_req, res) => res.writeHead(502).end());
    const e = await failure(client().getBytes(`${s.origin}/x`));
    expect(e.details.status).toBe(502);
    expect(s.requests.length).toBe(5);
  });

  it('does not retry a 404, and the message never echoes the Authorization value', async () => {
    const s = await server((_req, res) => res.writeHead(404).end('{"errors":["Not Found"]}'));
    const url = `${s.origin}/v1/providers/acme/nope/versions`;
    const e = await failure(client().getJson(url, { headers: { Authorization: 'Bearer s3cr3t-token' } }));
    expect(e.code).toBe('HTTP_ERROR');
    expect(e.details.status).toBe(404);
    expect(e.message).toBe(`GET ${url} failed: 404 Not Found`);
    expect(JSON.stringify({ m: e.message, d: { ...e.details, cause: undefined } })).not.toContain('s3cr3t');
    expect(s.requests.length).toBe(1);
    expect(s.requests[0]?.headers.authorization).toBe('Bearer s3cr3t-token');
  });

  it('honours Retry-After: 0 on 429 instead of the back-off', async () => {
    const s = await server((_req, res, i) => {
      if (i === 0) res.writeHead(429, { 'retry-after': '0' }).end();
      else res.writeHead(200).end('ok');
    });
    const clock = recordingClock();
    const bytes = await client({ retryBaseDelayMs: 20_000, clock }).getBytes(`${s.origin}/x`);
    expect(Buffer.from(bytes).toString()).toBe('ok');
    expect(s.requests.length).toBe(2);
    expect(clock.delays).toEqual([0]);
  });

  it('caps a long Retry-After at 30 s, and reads an HTTP-date against the clock', async () => {
    const s = await server((_req, res, i) => {
      if (i === 0) res.writeHead(503, { 'retry-after': '3600' }).end();
      else if (i === 1) res.writeHead(503, { 'retry-after': 'Wed, 21 Oct 2015 07:28:05 GMT' }).end();
      else res.writeHead(200).end('ok');
    });
    // Five seconds before the date the server names.
    const clock = recordingClock(Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'));
    await client({ clock }).getBytes(`${s.origin}/x`);
    expect(clock.delays).toEqual([30_000, 5_000]);
  });

  it('backs off exponentially with jitter between half and all of each step, capped at 8 s', async () => {
    const s = await server((_req, res) => res.writeHead(500).end());
    const clock = recordingClock();
    const e = await failure(client({ retryBaseDelayMs: 1_000, retries: 5, clock }).getBytes(`${s.origin}/x`));
    expect(e.message).toBe(`GET ${s.origin}/x failed: 500 Internal Server Error after 6 attempts`);
    // Steps 1, 2, 4, 8, 8 s (16 s capped): each delay in [step/2, step].
    const steps = [1_000, 2_000, 4_000, 8_000, 8_000];
    expect(clock.delays).toHaveLength(5);
    clock.delays.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual(steps[i]! / 2);
      expect(d).toBeLessThanOrEqual(steps[i]!);
    });
  });

  it('retries 408 and honours a per-request retries override', async () => {
    const s = await server((_req, res) => res.writeHead(408).end());
    const e = await failure(client().getBytes(`${s.origin}/x`, { retries: 1 }));
    expect(e.details.status).toBe(408);
    expect(e.message).toContain('408 Request Timeout after 2 attempts');
    expect(s.requests.length).toBe(2);
  });

  it('retries a refused connection only a couple of times', async () => {
    const s = await startHttpsServer(cert, () => undefined);
    const url = `${s.origin}/x`;
    await s.close();
    const e = await failure(client({ retries: 10 }).getBytes(url));
    expect(e.code).toBe('HTTP_ERROR');
    expect(e.details.status).toBeUndefined();
    expect(e.message).toBe(`GET ${url}: connection refused after 3 attempts (ECONNREFUSED)`);
  });
});

describe('download', () => {
  it('restarts from zero after a reset mid-body when the server offers no resume: exact bytes, exact sha256', async () => {
    const s = await server((req, res, i) => {
      res.writeHead(200, { 'content-length': String(BIG.length) });
      if (i > 0) return void res.end(BIG);
      res.write(BIG.subarray(0, 150_000));
      setTimeout(() => s.reset(req), 50);
    });
    const dest = path.join(await makeTempDir(), 'pkg.zip');
    const progress: number[] = [];
    const result = await client().download(`${s.origin}/pkg.zip`, dest, {
      onProgress: (n) => progress.push(n),
    });
    expect(result).toEqual({ sha256: BIG_SHA256, size: 300_000 });
    const written = await fs.readFile(dest);
    expect(written.equals(BIG)).toBe(true);
    expect(createHash('sha256').update(written).digest('hex')).toBe(BIG_SHA256);
    expect(s.requests.length).toBe(2);
    // No Accept-Ranges, no ETag, no Last-Modified: nothing to resume against.
    expect(s.requests[1]!.headers.range).toBeUndefined();
    // The failed attempt's bytes are taken back, so a running total ends at the size.
    expect(progress.some((n) => n < 0)).toBe(true);
    expect(progress.reduce((a, b) => a + b, 0)).toBe(300_000);
  });

  it('retries a body that ends before its Content-Length', async () => {
    const s = await server((_req, res, i) => {
      res.writeHead(200, { 'content-length': String(BIG.length) });
      if (i > 0) return void res.end(BIG);
      res.write(BIG.subarray(0, 1000), () => res.socket?.end());
    });
    const dest = path.join(await makeTempDir(), 'short.bin');
    const result = await client().download(`${s.origin}/short.bin`, dest);
    expect(result.sha256).toBe(BIG_SHA256);
    expect((await fs.readFile(dest)).length).toBe(300_000);
    expect(s.requests.length).toBe(2);
  });

  it('retries a body that stalls longer than bodyTimeoutMs', async () => {
    const s = await server((_req, res, i) => {
      res.writeHead(200, { 'content-length': String(BIG.length) });
      if (i > 0) return void res.end(BIG);
      res.write(BIG.subarray(0, 1000)); // then nothing
    });
    const dest = path.join(await makeTempDir(), 'stall.bin');
    const result = await client({ bodyTimeoutMs: 200 }).download(`${s.origin}/stall.bin`, dest);
    expect(result).toEqual({ sha256: BIG_SHA256, size: 300_000 });
    expect(s.requests.length).toBe(2);
  });

  it('reports a stall that never ends, naming the timeout', async () => {
    const s = await server((_req, res) => {
      res.writeHead(200, { 'content-length': '10' });
      res.write('abc');
    });
    const dest = path.join(await makeTempDir(), 'never.bin');
    const url = `${s.origin}/never.bin`;
    const e = await failure(client({ bodyTimeoutMs: 100, retries: 1 }).download(url, dest));
    expect(e.message).toBe(
      `GET ${url}: body stalled for more than 100 ms after 2 attempts (UND_ERR_BODY_TIMEOUT)`,
    );
    expect(s.requests.length).toBe(2);
  });

  it('fails with FS_ERROR, without retrying, when the destination cannot be written', async () => {
    const s = await server((_req, res) => res.writeHead(200).end('x'));
    const dest = path.join(await makeTempDir(), 'missing-dir', 'file');
    const e = await failure(client().download(`${s.origin}/x`, dest));
    expect(e.code).toBe('FS_ERROR');
    expect(e.details.path).toBe(dest);
    expect(s.requests.length).toBe(1);
  });
});

describe('download: resuming with Range after a cut mid-body', () => {
  const CUT = 150_000;

  // Bytes the client has taken in, through onProgress: the server cuts only once all CUT
  // arrived, so what the client keeps is exactly CUT, however the process is scheduled.
  let consumed = 0;

  /** First answer: 200 with `first` headers, CUT bytes, then a clean close. Later answers: `later`. */
  async function cutServer(
    first: Record<string, string>,
    later: (req: http.IncomingMessage, res: http.ServerResponse) => void,
  ): Promise<TestServer> {
    consumed = 0;
    return server((req, res, i) => {
      if (i > 0) return later(req, res);
      res.writeHead(200, { 'content-length': String(BIG.length), ...first });
      res.write(BIG.subarray(0, CUT));
      const cut = (): void => {
        if (consumed >= CUT) res.socket?.end();
        else setTimeout(cut, 5);
      };
      cut();
    });
  }

  /** 206 from the offset the Range asks for (bytes=N-), exact as a range server sends it. */
  function partial(res: http.ServerResponse, from: number, extra: Record<string, string> = {}): void {
    res.writeHead(206, {
      'content-length': String(BIG.length - from),
      'content-range': `bytes ${from}-${BIG.length - 1}/${BIG.length}`,
      ...extra,
    });
    res.end(BIG.subarray(from));
  }

  async function fetchBig(
    s: TestServer,
  ): Promise<{ result: unknown; progress: number[]; totals: number[]; file: Buffer }> {
    const dest = path.join(await makeTempDir(), 'pkg.zip');
    const progress: number[] = [];
    const totals: number[] = [];
    const result = await client().download(`${s.origin}/pkg.zip`, dest, {
      onProgress: (n) => {
        consumed += n;
        progress.push(n);
      },
      onTotal: (n) => totals.push(n),
    });
    return { result, progress, totals, file: await fs.readFile(dest) };
  }

  it('asks for the rest with Range and If-Range (the ETag), and hashes the whole file', async () => {
    const s = await cutServer({ 'accept-ranges': 'bytes', etag: '"v1"' }, (req, res) => partial(res, CUT));
    const { result, progress, totals, file } = await fetchBig(s);
    expect(s.requests.length).toBe(2);
    expect(s.requests[1]!.headers.range).toBe(`bytes=${CUT}-`);
    expect(s.requests[1]!.headers['if-range']).toBe('"v1"');
    expect(result).toEqual({ sha256: BIG_SHA256, size: 300_000 });
    expect(file.equals(BIG)).toBe(true);
    // The kept bytes stay counted: nothing taken back, the total is the size.
    expect(progress.every((n) => n > 0)).toBe(true);
    expect(progress.reduce((a, b) => a + b, 0)).toBe(300_000);
    expect(totals).toEqual([300_000, 300_000]);
  });

  it('sends Last-Modified as If-Range when there is no strong ETag', async () => {
    const date = 'Tue, 03 Mar 2026 10:00:00 GMT';
    const s = await cutServer({ etag: 'W/"weak"', 'last-modified': date }, (_req, res) => partial(res, CUT));
    const { result } = await fetchBig(s);
    expect(s.requests[1]!.headers.range).toBe(`bytes=${CUT}-`);
    expect(s.requests[1]!.headers['if-range']).toBe(date);
    expect(result).toEqual({ sha256: BIG_SHA256, size: 300_000 });
  });

  it('asks with Range alone when the server says Accept-Ranges: bytes and has no validator', async () => {
    const s = await cutServer({ 'accept-ranges': 'bytes' }, (_req, res) => partial(res, CUT));
    const { result } = await fetchBig(s);
    expect(s.requests[1]!.headers.range).toBe(`bytes=${CUT}-`);
    expect(s.requests[1]!.headers['if-range']).toBeUndefined();
    expect(result).toEqual({ sha256: BIG_SHA256, size: 300_000 });
  });

  it('does not ask for a range when the server says Accept-Ranges: none', async () => {
    const s = await cutServer({ 'accept-ranges': 'none', etag: '"v1"' }, (_req, res) => {
      res.writeHead(200, { 'content-length': String(BIG.length) }).end(BIG);
    });
    const { result } = await fetchBig(s);
    expect(s.requests[1]!.headers.range).toBeUndefined();
    expect(result).toEqual({ sha256: BIG_SHA256, size: 300_000 });
  });

  it('starts over from zero when the server answers the Range with the whole file (200)', async () => {
    const s = await cutServer({ 'accept-ranges': 'bytes', etag: '"v1"' }, (_req, res) => {
      res.writeHead(200, { 'content-length': String(BIG.length), etag: '"v1"' }).end(BIG);
    });
    const { result, progress, file } = await fetchBig(s);
    expect(s.requests[1]!.headers.range).toBe(`bytes=${CUT}-`);
    expect(result).toEqual({ sha256: BIG_SHA256, size: 300_000 });
    expect(file.equals(BIG)).toBe(true);
    expect(progress).toContain(-CUT);
    expect(progress.reduce((a, b) => a + b, 0)).toBe(300_000);
  });

  it('refuses a 206 that does not start where the file stopped, and fetches the whole file instead', async () => {
    const s = await cutServer({ 'accept-ranges': 'bytes', etag: '"v1"' }, (req, res) => {
      if (req.headers.range !== undefined) return partial(res, CUT - 1000);
      res.writeHead(200, { 'content-length': String(BIG.length) }).end(BIG);
    });
    const { result, file } = await fetchBig(s);
    expect(s.requests.map((r) => r.headers.range)).toEqual([undefined, `bytes=${CUT}-`, undefined]);
    expect(result).toEqual({ sha256: BIG_SHA256, size: 300_000 });
    expect(file.equals(BIG)).toBe(true);
  });
});

describe('the request observer (--verbose)', () => {
  it('hears every hop with its status, and the URL with its secrets redacted', async () => {
    const s = await server((req, res) => {
      if (req.url?.startsWith('/start') === true)
        return void res.writeHead(302, { location: '/file?X-Amz-Signature=secret123&v=1' }).end();
      res.writeHead(200, { 'content-length': '2' }).end('ok');
    });
    const seen: unknown[] = [];
    const c = client({ observer: { onRequest: (e) => seen.push(e) } });
    await c.getBytes(`${s.origin}/start?token=abc`);
    expect(seen).toEqual([
      { method: 'GET', url: `${s.origin}/start?token=REDACTED`, status: 302 },
      { method: 'GET', url: `${s.origin}/file?X-Amz-Signature=REDACTED&v=1`, status: 200 },
    ]);
  });

  it('hears a request that got no answer, by its error code', async () => {
    const s = await server(() => undefined);
    const url = `http://127.0.0.1:${s.port + 0}/x`;
    await s.close();
    const seen: unknown[] = [];
    const c = client({ observer: { onRequest: (e) => seen.push(e) }, retries: 0 });
    await c.getBytes(url).catch(() => undefined);
    expect(seen).toEqual([{ method: 'GET', url, error: 'ECONNREFUSED' }]);
  });
});

describe('redirects', () => {
  it('keeps Authorization on the same origin and drops it on another', async () => {
    const other = await server((_req, res) => res.writeHead(200).end('from other'));
    const s = await server((req, res) => {
      if (req.url === '/same') return void res.writeHead(302, { location: '/final' }).end();
      if (req.url === '/cross') return void res.writeHead(307, { location: `${other.origin}/final` }).end();
      res.writeHead(200).end('from origin');
    });
    const c = client();
    const headers = { Authorization: 'Bearer tok', Cookie: 'session=1', 'X-Trace': 't1' };

    expect(Buffer.from(await c.getBytes(`${s.origin}/same`, { headers })).toString()).toBe('from origin');
    expect(s.requests.map((r) => [r.url, r.headers.authorization])).toEqual([
      ['/same', 'Bearer tok'],
      ['/final', 'Bearer tok'],
    ]);

    expect(Buffer.from(await c.getBytes(`${s.origin}/cross`, { headers })).toString()).toBe('from other');
    expect(s.requests[2]?.headers.authorization).toBe('Bearer tok');
    expect(other.requests.length).toBe(1);
    expect(other.requests[0]?.headers.authorization).toBeUndefined();
    expect(other.requests[0]?.headers.cookie).toBeUndefined();
    expect(other.requests[0]?.headers['x-trace']).toBe('t1');
  });

  it('treats another port on the same host as another origin', async () => {
    const other = await server((_req, res) => res.writeHead(200).end('ok'));
    const s = await server((_req, res) =>
      res.writeHead(301, { location: `https://127.0.0.1:${other.port}/x` }).end(),
    );
    await client().getBytes(`${s.origin}/start`, { headers: { authorization: 'Bearer tok' } });
    expect(other.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('stops after 10 redirects', async () => {
    const s = await server((req, res) => res.writeHead(302, { location: `/r${req.url?.length ?? 0}` }).end());
    const url = `${s.origin}/loop`;
    const e = await failure(client().getBytes(url));
    expect(e.code).toBe('HTTP_ERROR');
    expect(e.message).toMatch(new RegExp(`^GET ${url} failed: more than 10 redirects`));
    expect(s.requests.length).toBe(11);
  });

  it('refuses a redirect from https to http', async () => {
    const plain = await startHttpServer((_req, res) => res.writeHead(200).end('plain'));
    cleanups.push(() => plain.close());
    const s = await server((_req, res) => res.writeHead(302, { location: `${plain.origin}/x` }).end());
    const e = await failure(client().getBytes(`${s.origin}/start`));
    expect(e.message).toContain('refusing redirect from https to http');
    expect(plain.requests.length).toBe(0);
  });

  it('names the final URL when the redirect target fails', async () => {
    const s = await server((req, res) => {
      if (req.url === '/start') return void res.writeHead(303, { location: '/gone' }).end();
      res.writeHead(410).end();
    });
    const e = await failure(client().getBytes(`${s.origin}/start`));
    expect(e.message).toBe(`GET ${s.origin}/start failed: 410 Gone (at ${s.origin}/gone)`);
    expect(e.details.status).toBe(410);
  });
});

describe('headers and JSON', () => {
  it('sends the User-Agent on every request and Accept: application/json for getJson', async () => {
    const s = await server((_req, res) => res.writeHead(200).end('{"versions":[{"version":"3.2.4"}]}'));
    const json = await client().getJson(`${s.origin}/v1/providers/hashicorp/null/versions`);
    expect(json).toEqual({ versions: [{ version: '3.2.4' }] });
    expect(s.requests[0]?.headers['user-agent']).toBe(UA);
    expect(s.requests[0]?.headers.accept).toBe('application/json');
  });

  it('rejects a body that is not JSON with REGISTRY_PROTOCOL, without retrying', async () => {
    const s = await server((_req, res) => res.writeHead(200).end('<html>captive portal</html>'));
    const url = `${s.origin}/.well-known/terraform.json`;
    const e = await failure(client().getJson(url));
    expect(e.code).toBe('REGISTRY_PROTOCOL');
    expect(e.details.address).toBe(url);
    expect(e.message).toBe(
      `GET ${url}: response is not JSON (27 bytes, starting "<html>captive portal</html>")`,
    );
    expect(s.requests.length).toBe(1);
  });
});

describe('TLS trust', () => {
  it('fails on an unknown CA with a hint to pass --ca-cert, without retrying', async () => {
    const s = await server((_req, res) => res.writeHead(200).end('ok'));
    const url = `${s.origin}/x`;
    const e = await failure(client({ caCertFiles: [] }).getBytes(url));
    expect(e.code).toBe('HTTP_ERROR');
    expect(e.message).toBe(
      `GET ${url}: certificate not trusted (DEPTH_ZERO_SELF_SIGNED_CERT): pass --ca-cert FILE or set SSL_CERT_FILE`,
    );
    expect(s.connections()).toBe(1);
    expect(s.requests.length).toBe(0);
  });

  it('trusts the CA given in caCertFiles', async () => {
    const s = await server((_req, res) => res.writeHead(200).end('ok'));
    expect(
      Buffer.from(await client({ caCertFiles: [cert.certPath] }).getBytes(`${s.origin}/x`)).toString(),
    ).toBe('ok');
  });

  it('trusts the CA named by SSL_CERT_FILE or NODE_EXTRA_CA_CERTS in the passed env', async () => {
    const s = await server((_req, res) => res.writeHead(200).end('ok'));
    for (const name of ['SSL_CERT_FILE', 'NODE_EXTRA_CA_CERTS']) {
      const c = client({ caCertFiles: [], env: { [name]: cert.certPath } });
      expect(Buffer.from(await c.getBytes(`${s.origin}/x`)).toString()).toBe('ok');
    }
  });

  it('still trusts a different server whose CA is in another of the files', async () => {
    const second = await createSelfSignedCert(
      'second test server',
      undefined,
      await makeTempDir('airgap-cert-'),
    );
    const s2 = await startHttpsServer(second, (_req, res) => res.writeHead(200).end('two'));
    cleanups.push(() => s2.close());
    const c = client({ caCertFiles: [cert.certPath], env: { SSL_CERT_FILE: second.certPath } });
    expect(Buffer.from(await c.getBytes(`${s2.origin}/x`)).toString()).toBe('two');
  });

  it('with extra CA files (one TLS context shared by every connection), still refuses a server whose CA is in none of them', async () => {
    const other = await createSelfSignedCert('other server', undefined, await makeTempDir('airgap-cert-'));
    const s2 = await startHttpsServer(other, (_req, res) => res.writeHead(200).end('two'));
    cleanups.push(() => s2.close());
    const s = await server((_req, res) => res.writeHead(200).end('ok'));
    const c = client({ caCertFiles: [cert.certPath] });
    // Trusted first, on the same client: the shared context is what the refused connection uses.
    expect(Buffer.from(await c.getBytes(`${s.origin}/x`)).toString()).toBe('ok');
    const url = `${s2.origin}/x`;
    const e = await failure(c.getBytes(url));
    expect(e.message).toBe(
      `GET ${url}: certificate not trusted (DEPTH_ZERO_SELF_SIGNED_CERT): pass --ca-cert FILE or set SSL_CERT_FILE`,
    );
    expect(s2.requests.length).toBe(0);
  });

  it('names a missing CA file and where it came from', async () => {
    const missing = path.join(await makeTempDir(), 'nope.pem');
    let error: unknown;
    try {
      createHttpClient({ userAgent: UA, env: { SSL_CERT_FILE: missing } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AirgapError);
    expect((error as AirgapError).code).toBe('INPUT_NOT_FOUND');
    expect((error as AirgapError).message).toBe(
      `CA certificate file ${missing} (from SSL_CERT_FILE) cannot be read: ENOENT`,
    );
  });

  it('rejects a CA file with no PEM certificate', async () => {
    const file = path.join(await makeTempDir(), 'key-only.pem');
    await fs.writeFile(file, cert.keyPem);
    expect(() => createHttpClient({ userAgent: UA, caCertFiles: [file] })).toThrow(
      `CA certificate file ${file} (from --ca-cert) holds no PEM certificate`,
    );
  });
});

describe('proxies', () => {
  it('tunnels https through HTTPS_PROXY with CONNECT, trusting the extra CA inside the tunnel', async () => {
    const s = await server((_req, res) => res.writeHead(200).end('via proxy'));
    const p = await proxy();
    const c = client({ env: { HTTPS_PROXY: p.url } });
    const bytes = await c.getBytes(`${s.origin}/x`, { headers: { authorization: 'Bearer tok' } });
    expect(Buffer.from(bytes).toString()).toBe('via proxy');
    expect(p.connects).toEqual([`CONNECT 127.0.0.1:${s.port}`]);
    expect(p.connectHeaders[0]?.authorization).toBeUndefined();
    expect(s.requests[0]?.headers.authorization).toBe('Bearer tok');
  });

  it('reads the lower-case https_proxy too', async () => {
    const s = await server((_req, res) => res.writeHead(200).end('ok'));
    const p = await proxy();
    await client({ env: { https_proxy: p.url } }).getBytes(`${s.origin}/x`);
    expect(p.connects).toEqual([`CONNECT 127.0.0.1:${s.port}`]);
  });

  it('bypasses the proxy for hosts in NO_PROXY', async () => {
    const s = await server((_req, res) => res.writeHead(200).end('direct'));
    const p = await proxy();
    const c = client({ env: { HTTPS_PROXY: p.url, NO_PROXY: 'example.com,127.0.0.1' } });
    expect(Buffer.from(await c.getBytes(`${s.origin}/x`)).toString()).toBe('direct');
    expect(p.connects).toEqual([]);
    expect(s.requests.length).toBe(1);
  });

  it('does not send https through HTTP_PROXY', async () => {
    const s = await server((_req, res) => res.writeHead(200).end('direct'));
    const p = await proxy();
    await client({ env: { HTTP_PROXY: p.url } }).getBytes(`${s.origin}/x`);
    expect(p.connects).toEqual([]);
    expect(p.forwards).toEqual([]);
  });

  it('forwards plain http through HTTP_PROXY in absolute form', async () => {
    const plain = await startHttpServer((_req, res) => res.writeHead(200).end('plain via proxy'));
    cleanups.push(() => plain.close());
    const p = await proxy();
    const bytes = await client({ env: { HTTP_PROXY: p.url } }).getBytes(`${plain.origin}/x`);
    expect(Buffer.from(bytes).toString()).toBe('plain via proxy');
    expect(p.forwards).toEqual([`GET ${plain.origin}/x`]);
  });

  it('reports an untrusted origin certificate behind the proxy, naming the proxy', async () => {
    const s = await server((_req, res) => res.writeHead(200).end('ok'));
    const p = await proxy();
    const url = `${s.origin}/x`;
    const e = await failure(client({ caCertFiles: [], env: { HTTPS_PROXY: p.url } }).getBytes(url));
    expect(e.message).toBe(
      `GET ${url} via proxy ${p.url}/: certificate not trusted (DEPTH_ZERO_SELF_SIGNED_CERT): pass --ca-cert FILE or set SSL_CERT_FILE`,
    );
  });
});

describe('keep-alive pool', () => {
  it('reuses one connection for 5 sequential requests', async () => {
    const s = await server((_req, res) => res.writeHead(200).end('k'));
    const c = client();
    for (let i = 0; i < 5; i++) await c.getBytes(`${s.origin}/k${i}`);
    expect(s.requests.length).toBe(5);
    expect(s.connections()).toBe(1);
  });

  it('opens no more than maxConnectionsPerOrigin connections', async () => {
    const s = await server((_req, res) => setTimeout(() => res.writeHead(200).end('k'), 20));
    const c = client({ maxConnectionsPerOrigin: 2 });
    await Promise.all(Array.from({ length: 6 }, (_, i) => c.getBytes(`${s.origin}/p${i}`)));
    expect(s.requests.length).toBe(6);
    expect(s.connections()).toBe(2);
  });
});

describe('credentials only over https to their own origin', () => {
  it('sends no Authorization or Cookie to http://HOST:PORT, even where https://HOST:PORT gets them', async () => {
    const s = await dualServer((req, res) => {
      if (req.headers.authorization === undefined) return void res.writeHead(401).end();
      res.writeHead(200).end('secret data');
    });
    const c = client();
    const headers = { Authorization: 'Bearer tok-123', Cookie: 'session=1' };
    expect(Buffer.from(await c.getBytes(`${s.origin}/f`, { headers })).toString()).toBe('secret data');
    const url = `${s.plainOrigin}/f`;
    const e = await failure(c.getBytes(url, { headers }));
    expect(e.message).toBe(`GET ${url} failed: 401 Unauthorized (credentials are not sent over plain http)`);
    expect(s.requests.map((r) => [r.scheme, r.url, r.headers.authorization, r.headers.cookie])).toEqual([
      ['https', '/f', 'Bearer tok-123', 'session=1'],
      ['http', '/f', undefined, undefined],
    ]);
  });

  it('does not restore the credential when a redirect comes back to its origin', async () => {
    const s = await server((req, res) => {
      if (req.url === '/start') return void res.writeHead(302, { location: `${other.origin}/bounce` }).end();
      res.writeHead(200).end('back');
    });
    const other = await server((_req, res) => res.writeHead(302, { location: `${s.origin}/final` }).end());
    await client().getBytes(`${s.origin}/start`, { headers: { authorization: 'Bearer tok' } });
    expect(s.requests.map((r) => [r.url, r.headers.authorization])).toEqual([
      ['/start', 'Bearer tok'],
      ['/final', undefined],
    ]);
    expect(other.requests[0]?.headers.authorization).toBeUndefined();
  });
});

describe('metadata size cap', () => {
  const LIMIT = 8 * 1024 * 1024;

  it('refuses a response whose Content-Length is over 8 MiB before reading it, without retrying', async () => {
    const s = await server((_req, res) => {
      res.writeHead(200, { 'content-length': String(700 * 1024 * 1024) });
      res.write(Buffer.alloc(64 * 1024));
    });
    const url = `${s.origin}/v1/providers/acme/huge/versions?X-Amz-Signature=abc123secret`;
    const shown = `${s.origin}/v1/providers/acme/huge/versions?X-Amz-Signature=REDACTED`;
    const e = await failure(client().getJson(url));
    expect(e.code).toBe('HTTP_ERROR');
    expect(e.category).toBe('network');
    expect(e.message).toBe(
      `GET ${shown}: response of 734003200 bytes (Content-Length) is over the ${LIMIT}-byte limit for metadata read into memory`,
    );
    expect(e.details).toMatchObject({
      address: shown,
      expected: `<= ${LIMIT} bytes`,
      actual: '734003200 bytes (Content-Length)',
    });
    expect(s.requests.length).toBe(1);
  });

  it('stops reading a body without Content-Length as soon as it passes 8 MiB', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    const s = await server((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      for (let i = 0; i < 9; i++) res.write(chunk);
      res.end();
    });
    const url = `${s.origin}/SHA256SUMS`;
    const e = await failure(client().getBytes(url));
    expect(e.code).toBe('HTTP_ERROR');
    expect(e.message).toMatch(
      new RegExp(
        `^GET ${url}: response is over the ${LIMIT}-byte limit \\(\\d+ bytes read, no Content-Length\\) for metadata read into memory$`,
      ),
    );
    const read = Number(/\((\d+) bytes read/.exec(e.message)?.[1]);
    expect(read).toBeGreaterThan(LIMIT);
    expect(read).toBeLessThanOrEqual(LIMIT + chunk.length);
    expect(s.requests.length).toBe(1);
  });

  it('reads exactly 8 MiB, and streams a larger download to disk without a cap', async () => {
    const exact = Buffer.alloc(LIMIT, 0x62);
    const big = Buffer.alloc(LIMIT + 4096, 0x63);
    const s = await server((req, res) => res.writeHead(200).end(req.url === '/exact' ? exact : big));
    const c = client();
    expect((await c.getBytes(`${s.origin}/exact`)).length).toBe(LIMIT);
    const dest = path.join(await makeTempDir(), 'big.zip');
    const result = await c.download(`${s.origin}/big.zip`, dest);
    expect(result).toEqual({ sha256: createHash('sha256').update(big).digest('hex'), size: LIMIT + 4096 });
  });
});

describe('secrets in URLs', () => {
  it('names a presigned URL with its signature and credential redacted', async () => {
    const s = await server((_req, res) => res.writeHead(403).end('<Error>SignatureDoesNotMatch</Error>'));
    const query =
      'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20240101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=d1e2a3d4b5e6e7f8&X-Amz-Expires=300';
    const e = await failure(
      client().download(`${s.origin}/pkg.zip?${query}`, path.join(await makeTempDir(), 'p')),
    );
    const shown = `${s.origin}/pkg.zip?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=REDACTED&X-Amz-Signature=REDACTED&X-Amz-Expires=300`;
    expect(e.message).toBe(`GET ${shown} failed: 403 Forbidden`);
    expect(e.details.address).toBe(shown);
    expect(JSON.stringify({ m: e.message, d: { ...e.details, cause: undefined } })).not.toMatch(
      /AKIAEXAMPLE|d1e2a3d4/,
    );
  });
});
