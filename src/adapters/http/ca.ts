// The trust store for outgoing TLS: Node's bundled roots plus the extra PEM files
// named by --ca-cert, SSL_CERT_FILE and NODE_EXTRA_CA_CERTS. Passing `ca` to TLS
// replaces the defaults, so the roots are added back explicitly.
import fs from 'node:fs';
import tls from 'node:tls';
import { AirgapError } from '../../core/errors.js';

export interface CaSource {
  path: string;
  /** Where the path came from, for messages: "--ca-cert", "SSL_CERT_FILE", ... */
  origin: string;
}

export function caSources(
  caCertFiles: readonly string[],
  env: Record<string, string | undefined>,
): CaSource[] {
  const sources: CaSource[] = caCertFiles.map((path) => ({ path, origin: '--ca-cert' }));
  for (const name of ['SSL_CERT_FILE', 'NODE_EXTRA_CA_CERTS']) {
    const value = env[name]?.trim();
    if (value) sources.push({ path: value, origin: name });
  }
  return sources;
}

/** Undefined when there is nothing extra: TLS then uses Node's defaults untouched. */
export function loadTrustedCas(sources: readonly CaSource[]): string[] | undefined {
  const extra = readExtraCas(sources);
  return extra === undefined ? undefined : [...tls.rootCertificates, ...extra];
}

/** The PEM texts of the extra CA files; undefined when there are none. */
export function readExtraCas(sources: readonly CaSource[]): string[] | undefined {
  return sources.length === 0 ? undefined : sources.map(readPemFile);
}

/**
 * One TLS context trusting Node's roots and `extra` (PEM texts), to share between
 * connections. Given `ca: [...tls.rootCertificates, ...extra]`, Node parses the ~140 roots
 * from PEM again (~25 ms of CPU on the way to a run's first request); a default context
 * holds the roots Node has parsed once per process, and adding a certificate to it gives
 * the context its own copy of that store (the shared one is left as it is), with `extra`.
 */
export function trustContext(extra: readonly string[]): tls.SecureContext {
  const context = tls.createSecureContext();
  // The native context behind tls.SecureContext; Node's own `ca` handling calls the same
  // addCACert. Should a Node release not expose it, the roots are passed in full instead.
  const native = (context as { context?: { addCACert?: unknown } }).context;
  if (typeof native?.addCACert !== 'function')
    return tls.createSecureContext({ ca: [...tls.rootCertificates, ...extra] });
  for (const pem of extra) (native.addCACert as (pem: string) => void).call(native, pem);
  return context;
}

function readPemFile(source: CaSource): string {
  let text: string;
  try {
    text = fs.readFileSync(source.path, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new AirgapError(
      code === 'ENOENT' ? 'INPUT_NOT_FOUND' : 'FS_ERROR',
      `CA certificate file ${source.path} (from ${source.origin}) cannot be read: ${code ?? String(cause)}`,
      { path: source.path, cause },
    );
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new AirgapError(
      'USAGE',
      `CA certificate file ${source.path} (from ${source.origin}) holds no PEM certificate`,
      { path: source.path, expected: '-----BEGIN CERTIFICATE-----', actual: text.slice(0, 40) },
    );
  }
  return text;
}
