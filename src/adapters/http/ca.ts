// The trust store for outgoing TLS: Node's bundled roots plus the extra PEM files
// named by --ca-cert, SSL_CERT_FILE and NODE_EXTRA_CA_CERTS. Passing `ca` to TLS
// replaces the defaults, so the roots are added back explicitly.
import fs from 'node:fs';
import path from 'node:path';
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
  return extra === undefined ? undefined : [...tls.rootCertificates, ...extra.map((ca) => ca.pem)];
}

export interface ExtraCa {
  pem: string;
  /** Node read this file into its default trust store at start-up (NODE_EXTRA_CA_CERTS). */
  inDefaultStore: boolean;
}

// The NODE_EXTRA_CA_CERTS Node read at start-up, before any of airgap ran: its certificates
// are in Node's default trust store (with the bundled roots) already.
const STARTUP_EXTRA_CAS =
  process.env.NODE_EXTRA_CA_CERTS === undefined ? undefined : path.resolve(process.env.NODE_EXTRA_CA_CERTS);

/**
 * The extra CA files, each read and checked once (SSL_CERT_FILE and NODE_EXTRA_CA_CERTS
 * often name the same bundle); undefined when there are none.
 */
export function readExtraCas(sources: readonly CaSource[]): ExtraCa[] | undefined {
  if (sources.length === 0) return undefined;
  const seen = new Set<string>();
  const cas: ExtraCa[] = [];
  for (const source of sources) {
    const key = path.resolve(source.path);
    if (seen.has(key)) continue;
    seen.add(key);
    cas.push({ pem: readPemFile(source), inDefaultStore: key === STARTUP_EXTRA_CAS });
  }
  return cas;
}

/**
 * One TLS context trusting Node's roots and `extra`, to share between connections.
 * Parsing certificates is what costs (~0.15 ms each, on the way to a run's first request):
 * - when every extra CA is already in Node's default store (NODE_EXTRA_CA_CERTS, parsed
 *   by Node at start-up), the default context is that trust store, and nothing is parsed;
 * - otherwise a default context gets its own copy of Node's parsed roots as soon as a
 *   certificate is added (the shared store is left as it is; the copy lacks the start-up
 *   NODE_EXTRA_CA_CERTS, which is added again), rather than `ca: [...tls.rootCertificates,
 *   ...]` parsing the ~140 roots from PEM again.
 */
export function trustContext(extra: readonly ExtraCa[]): tls.SecureContext {
  const context = tls.createSecureContext();
  if (extra.every((ca) => ca.inDefaultStore)) return context;
  // The native context behind tls.SecureContext; Node's own `ca` handling calls the same
  // addCACert. Should a Node release not expose it, the roots are passed in full instead.
  const native = (context as { context?: { addCACert?: unknown } }).context;
  if (typeof native?.addCACert !== 'function')
    return tls.createSecureContext({ ca: [...tls.rootCertificates, ...extra.map((ca) => ca.pem)] });
  for (const ca of extra) (native.addCACert as (pem: string) => void).call(native, ca.pem);
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
