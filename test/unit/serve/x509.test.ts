// The certificates of --self-signed, read back by node's X.509 parser and checked by openssl's
// verifier semantics through node: the server certificate is signed by the CA, names the
// server, and the CA is a CA.
import { X509Certificate } from 'node:crypto';
import { expect, it } from 'vitest';
import { makeSelfSigned, selfSignedStillFits } from '../../../src/adapters/tls/self-signed.js';
import { parseListen, advertisedUrl } from '../../../src/core/serve/listen.js';

it('makes a CA and a server certificate it signs, for the names given', () => {
  const now = new Date('2026-12-01T00:00:00Z');
  const pair = makeSelfSigned(['127.0.0.1', 'localhost', '::1'], now);
  const ca = new X509Certificate(pair.caPem);
  const cert = new X509Certificate(pair.certPem);
  expect(ca.ca).toBe(true);
  expect(cert.ca).toBe(false);
  expect(cert.verify(ca.publicKey)).toBe(true);
  expect(ca.verify(ca.publicKey)).toBe(true);
  expect(cert.checkIssued(ca)).toBe(true);
  expect(cert.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
  expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
  expect(new Date(cert.validFrom).toISOString()).toBe('2026-11-30T23:00:00.000Z');
  expect(new Date(cert.validTo).toISOString()).toBe('2028-01-02T00:00:00.000Z');
  expect(selfSignedStillFits(pair.certPem, ['127.0.0.1', 'localhost'], now)).toBe(true);
  expect(selfSignedStillFits(pair.certPem, ['serve.corp.example'], now)).toBe(false);
  expect(selfSignedStillFits(pair.certPem, ['127.0.0.1'], new Date('2028-01-01T12:00:00Z'))).toBe(false);
});

it('parses --listen and derives the advertised URL', () => {
  expect(parseListen('127.0.0.1:8443')).toEqual({ host: '127.0.0.1', port: 8443 });
  expect(parseListen('[::1]:0')).toEqual({ host: '::1', port: 0 });
  expect(advertisedUrl(parseListen('[::1]:0'), 4000, undefined)).toBe('https://[::1]:4000');
  expect(advertisedUrl(parseListen('0.0.0.0:443'), 443, 'https://tf.corp.example')).toBe(
    'https://tf.corp.example',
  );
  expect(() => advertisedUrl(parseListen('0.0.0.0:443'), 443, undefined)).toThrow(
    /names no address runners can use/,
  );
  expect(() => advertisedUrl(parseListen('127.0.0.1:1'), 1, 'http://x')).toThrow(
    /is not https:\/\/HOST\[:PORT\]/,
  );
  expect(() => advertisedUrl(parseListen('127.0.0.1:1'), 1, 'https://x/path')).toThrow(
    /is not https:\/\/HOST/,
  );
  expect(() => parseListen('8443')).toThrow(/is not ADDR:PORT/);
  expect(() => parseListen('127.0.0.1:70000')).toThrow(/is not ADDR:PORT/);
});
