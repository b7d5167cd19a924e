// The shared TLS context of a run (trustContext): it trusts each extra CA, every
// certificate of a bundle file, and leaves the trust of other TLS contexts in the
// process as it was (it gets its own copy of Node's root store, not the shared one).
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trustContext } from '../../../src/adapters/http/ca.js';
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

let first: TestCert;
let second: TestCert;
let third: TestCert;
const servers: TlsServer[] = [];

beforeAll(async () => {
  const make = async (name: string): Promise<TestCert> =>
    createSelfSignedCert(`airgap ${name} CA`, undefined, await makeTempDir('airgap-trust-'));
  [first, second, third] = await Promise.all([make('first'), make('second'), make('third')]);
  servers.push(...(await Promise.all([first, second, third].map(startTlsServer))));
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

describe('trustContext', () => {
  it('trusts each extra CA and each certificate of a bundle, and no other', async () => {
    const [a, b, c] = servers as [TlsServer, TlsServer, TlsServer];
    const context = trustContext([first.certPem, `${second.certPem}\n${third.certPem}`]);
    expect(await handshake(a.port, { secureContext: context })).toBe('trusted');
    expect(await handshake(b.port, { secureContext: context })).toBe('trusted');
    expect(await handshake(c.port, { secureContext: context })).toBe('trusted');

    const onlyFirst = trustContext([first.certPem]);
    expect(await handshake(a.port, { secureContext: onlyFirst })).toBe('trusted');
    expect(await handshake(b.port, { secureContext: onlyFirst })).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  it('leaves the trust of the default context untouched', async () => {
    const [a] = servers as [TlsServer];
    trustContext([first.certPem]);
    expect(await handshake(a.port, {})).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(await handshake(a.port, { secureContext: tls.createSecureContext() })).toBe(
      'DEPTH_ZERO_SELF_SIGNED_CERT',
    );
  });
});
