// What the download-worker tests share: a release-shaped zip (a deflated executable closed by
// a data descriptor, as Go's archive/zip writes) served over HTTPS with a throwaway
// certificate, a one-worker ZipHashPool, and clients and servers closed after each test.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { createHttpClient, type ClosableHttpClient } from '../../../src/adapters/http/client.js';
import { ZipHashPool } from '../../../src/adapters/workers/zip-hash-pool.js';
import { hash1 } from '../../helpers/registry/index.js';
import { writeReleaseZip } from '../../helpers/registry/release-zip.js';
import { createSelfSignedCert, type TestCert } from '../../helpers/tls.js';
import { makeTempDir } from '../../helpers/tmp.js';
import { startHttpsServer, type TestServer } from './servers.js';

/** Where resumingServer's first answer stops. */
export const CUT = 400_000;

export interface TapFixture {
  cert: TestCert;
  zip: Buffer;
  zipSha256: string;
  zipH1: string;
  pool: ZipHashPool;
  /** Run (and emptied) after each test. */
  cleanups: Array<() => Promise<void>>;
  client(retries?: number): ClosableHttpClient;
  server(handler: Parameters<typeof startHttpsServer>[1]): Promise<TestServer>;
  /**
   * First answer: 200 with Accept-Ranges and an ETag, CUT bytes of the zip, then a clean close
   * once `consumed()` says the client took all of them; later answers: 206 from the asked
   * offset, after `before` ran.
   */
  resumingServer(consumed: () => number, before?: () => Promise<void>): Promise<TestServer>;
}

/** Registers the hooks; the fields are set once beforeAll ran. `seed` makes the zip's bytes. */
export function useTapFixture(seed: string, tmpPrefix: string): TapFixture {
  const fx = {
    cleanups: [],
    client(retries = 2) {
      const c = createHttpClient({
        userAgent: 'airgap/test',
        caCertFiles: [fx.cert.certPath],
        retryBaseDelayMs: 1,
        retries,
      });
      fx.cleanups.push(() => c.close());
      return c;
    },
    async server(handler) {
      const s = await startHttpsServer(fx.cert, handler);
      fx.cleanups.push(() => s.close());
      return s;
    },
    resumingServer(consumed, before) {
      return fx.server((req, res, i) => {
        if (i === 0) {
          res.writeHead(200, {
            'content-length': String(fx.zip.length),
            'accept-ranges': 'bytes',
            etag: '"v1"',
          });
          res.write(fx.zip.subarray(0, CUT));
          const cut = (): void => {
            if (consumed() >= CUT) res.socket?.end();
            else setTimeout(cut, 5);
          };
          return cut();
        }
        const from = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
        void (before ?? (() => Promise.resolve()))().then(() => {
          res.writeHead(206, {
            'content-length': String(fx.zip.length - from),
            'content-range': `bytes ${from}-${fx.zip.length - 1}/${fx.zip.length}`,
          });
          res.end(fx.zip.subarray(from));
        });
      });
    },
  } as Partial<TapFixture> as TapFixture;

  beforeAll(async () => {
    const dir = await makeTempDir(tmpPrefix);
    fx.cert = await createSelfSignedCert(undefined, undefined, dir);
    const file = path.join(dir, 'terraform-provider-tap_1.0.0_linux_amd64.zip');
    const written = await writeReleaseZip(
      file,
      { name: 'terraform-provider-tap_v1.0.0', seed, size: 1_500_000 },
      [{ name: 'docs/README.md', data: Buffer.from('# tap\n') }],
      { dataDescriptor: { signature: true, zip64: false } },
    );
    fx.zip = await fs.readFile(file);
    fx.zipSha256 = createHash('sha256').update(fx.zip).digest('hex');
    expect(written.sha256).toBe(fx.zipSha256);
    fx.zipH1 = hash1(written.files);
    fx.pool = new ZipHashPool({ size: 1 });
  });

  afterEach(async () => {
    await Promise.all(fx.cleanups.splice(0).map((c) => c()));
  });

  afterAll(async () => {
    await fx.pool?.close();
  });

  return fx;
}
