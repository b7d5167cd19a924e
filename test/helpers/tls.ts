// A throwaway self-signed certificate for 127.0.0.1 and localhost, made with the
// real openssl CLI at test start. Pass `dir` (a test's temp directory) so the files go
// with it; without one they go in a fresh `airgap-cert-*` directory that the caller
// removes (the registry and release-server helpers do so in close()).
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestCert {
  certPem: string;
  keyPem: string;
  /** PEM file of the certificate, usable as SSL_CERT_FILE or --ca-cert. */
  certPath: string;
  keyPath: string;
}

export async function createSelfSignedCert(
  commonName = 'airgap test server',
  altNames: string[] = ['IP:127.0.0.1', 'DNS:localhost'],
  dir?: string,
): Promise<TestCert> {
  dir ??= await fs.mkdtemp(path.join(os.tmpdir(), 'airgap-cert-'));
  const certPath = path.join(dir, 'cert.pem');
  const keyPath = path.join(dir, 'key.pem');
  try {
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${commonName}`,
      '-addext',
      `subjectAltName=${altNames.join(',')}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-keyout',
      keyPath,
      '-out',
      certPath,
    ]);
  } catch (e) {
    throw new Error(
      `openssl is required to make the test certificate (apt-get install openssl): ${String(e)}`,
    );
  }
  return {
    certPem: await fs.readFile(certPath, 'utf8'),
    keyPem: await fs.readFile(keyPath, 'utf8'),
    certPath,
    keyPath,
  };
}
