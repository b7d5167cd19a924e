// The shared TLS context of a run (trustContext): it trusts each extra CA, every
// certificate of a bundle file, and leaves the trust of other TLS contexts in the
// process as it was (it gets its own copy of Node's root store, not the shared one).
// NODE_EXTRA_CA_CERTS is read by Node at start-up, so those cases run in a child
// process of the built adapter (dist/).
import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trustContext, type ExtraCa } from '../../../src/adapters/http/ca.js';
import { REPO_ROOT } from '../../helpers/realdata.js';
import { createSelfSignedCert, type TestCert } from '../../helpers/tls.js';
import { makeTempDir } from '../../helpers/tmp.js';

interface TlsServer {
  port: number;
  close(): Promise<void>;
}

async function startTlsServer(cert: TestCert): Promise<TlsServer> {
  const server = tls.createServer({ key: cert.keyPem, cert: cert.certPem }, (socket) => socket.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** How a TLS handshake with the server ends: 'trusted' or the verification error code. */
function handshake(port: number, options: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ...options }, () => {
      socket.destroy();
      resolve('trusted');
    });
    socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

function extra(...pems: string[]): ExtraCa[] {
  return pems.map((pem) => ({ pem, inDefaultStore: false }));
}

let first: TestCert;
let second: TestCert;
let third: TestCert;
let a: TlsServer;
let b: TlsServer;
let c: TlsServer;

beforeAll(async () => {
  const make = async (name: string): Promise<TestCert> =>
    createSelfSignedCert(`airgap ${name} CA`, undefined, await makeTempDir('airgap-trust-'));
  [first, second, third] = await Promise.all([make('first'), make('second'), make('third')]);
  [a, b, c] = (await Promise.all([first, second, third].map(startTlsServer))) as [
    TlsServer,
    TlsServer,
    TlsServer,
  ];
});

afterAll(async () => {
  await Promise.all([a, b, c].map((s) => s?.close()));
});

describe('trustContext', () => {
  it('trusts each extra CA and each certificate of a bundle, and no other', async () => {
    const context = trustContext(extra(first.certPem, `${second.certPem}\n${third.certPem}`));
    expect(await handshake(a.port, { secureContext: context })).toBe('trusted');
    expect(await handshake(b.port, { secureContext: context })).toBe('trusted');
    expect(await handshake(c.port, { secureContext: context })).toBe('trusted');

    const onlyFirst = trustContext(extra(first.certPem));
    expect(await handshake(a.port, { secureContext: onlyFirst })).toBe('trusted');
    expect(await handshake(b.port, { secureContext: onlyFirst })).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  it('leaves the trust of the default context untouched', async () => {
    trustContext(extra(first.certPem));
    expect(await handshake(a.port, {})).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(await handshake(a.port, { secureContext: tls.createSecureContext() })).toBe(
      'DEPTH_ZERO_SELF_SIGNED_CERT',
    );
  });

  it('adds nothing for a CA already in the default store (so this one, in no store here, stays untrusted)', async () => {
    const context = trustContext([{ pem: first.certPem, inDefaultStore: true }]);
    expect(await handshake(a.port, { secureContext: context })).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
  });
});

describe('with NODE_EXTRA_CA_CERTS read by Node at start-up', () => {
  const run = promisify(execFile);
  // A child process: the trust store of the passed env, then a handshake with each port.
  async function handshakes(env: Record<string, string>, ports: number[]): Promise<string[]> {
    const ca = pathToFileURL(path.join(REPO_ROOT, 'dist', 'adapters', 'http', 'ca.js')).href;
    const script = `
      import tls from 'node:tls';
      import { caSources, readExtraCas, trustContext } from ${JSON.stringify(ca)};
      const secureContext = trustContext(readExtraCas(caSources([], process.env)));
      const results = [];
      for (const port of ${JSON.stringify(ports)})
        results.push(await new Promise((resolve) => {
          const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', secureContext }, () => {
            s.destroy();
            resolve('trusted');
          });
          s.on('error', (e) => resolve(e.code));
        }));
      console.log(JSON.stringify(results));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH, ...env },
    });
    return JSON.parse(stdout) as string[];
  }

  it('trusts it alone, from the default store', async () => {
    expect(await handshakes({ NODE_EXTRA_CA_CERTS: first.certPath }, [a.port, b.port])).toEqual([
      'trusted',
      'DEPTH_ZERO_SELF_SIGNED_CERT',
    ]);
  });

  it('still trusts it when SSL_CERT_FILE adds another CA (the context copy of the roots lacks it)', async () => {
    expect(
      await handshakes({ NODE_EXTRA_CA_CERTS: first.certPath, SSL_CERT_FILE: second.certPath }, [
        a.port,
        b.port,
        c.port,
      ]),
    ).toEqual(['trusted', 'trusted', 'DEPTH_ZERO_SELF_SIGNED_CERT']);
  });

  it('reads a file named by both SSL_CERT_FILE and NODE_EXTRA_CA_CERTS once, and trusts it', async () => {
    expect(
      await handshakes({ NODE_EXTRA_CA_CERTS: first.certPath, SSL_CERT_FILE: first.certPath }, [
        a.port,
        b.port,
      ]),
    ).toEqual(['trusted', 'DEPTH_ZERO_SELF_SIGNED_CERT']);
  });
});
