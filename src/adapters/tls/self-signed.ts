// `airgap serve --self-signed`: a fresh CA and a server certificate it signs for the
// names the server is reached by. The CA's private key exists only in memory here and
// is dropped: trusting the CA file lets runners trust this one certificate and nothing
// else anyone could sign later.

import { generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { certificate, pem, tbsCertificate } from '../../core/serve/x509.js';

export interface SelfSignedPair {
  caPem: string;
  certPem: string;
  keyPem: string;
}

const DAY = 24 * 60 * 60 * 1000;

/** `names`: hostnames or IP addresses the server is reached by. Valid for 397 days (the CA/Browser limit). */
export function makeSelfSigned(names: readonly string[], now: Date): SelfSignedPair {
  const ca = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const server = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const notBefore = new Date(now.getTime() - 60 * 60 * 1000);
  const notAfter = new Date(now.getTime() + 397 * DAY);
  const caName = `airgap serve CA ${randomBytes(4).toString('hex')}`;
  const serial = (): Buffer => {
    const b = randomBytes(16);
    b[0] = b[0]! & 0x7f;
    return b;
  };
  const caTbs = tbsCertificate({
    serial: serial(),
    issuerCommonName: caName,
    subjectCommonName: caName,
    notBefore,
    notAfter,
    spki: ca.publicKey.export({ type: 'spki', format: 'der' }),
    role: 'ca',
  });
  const serverTbs = tbsCertificate({
    serial: serial(),
    issuerCommonName: caName,
    subjectCommonName: names[0] ?? 'localhost',
    notBefore,
    notAfter,
    spki: server.publicKey.export({ type: 'spki', format: 'der' }),
    role: 'server',
    dnsNames: names.filter((n) => isIP(n) === 0),
    ipAddresses: names.filter((n) => isIP(n) !== 0),
  });
  return {
    caPem: pem('CERTIFICATE', certificate(caTbs, sign('sha256', caTbs, ca.privateKey))),
    certPem: pem('CERTIFICATE', certificate(serverTbs, sign('sha256', serverTbs, ca.privateKey))),
    keyPem: server.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** Whether a certificate made earlier still serves `names` for at least a day from `now`. */
export function selfSignedStillFits(certPem: string, names: readonly string[], now: Date): boolean {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    return false;
  }
  if (Date.parse(cert.validTo) - now.getTime() < DAY) return false;
  return names.every((n) =>
    isIP(n) === 0 ? cert.checkHost(n) !== undefined : cert.checkIP(n) !== undefined,
  );
}
