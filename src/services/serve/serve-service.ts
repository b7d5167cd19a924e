// `airgap serve DIR`: serves a bundle directory or an import destination's live
// generation over HTTPS (the Module Registry Protocol for its modules, the Provider
// Network Mirror Protocol for its providers), and writes the CLI configuration that
// points runners at it. Stages: open DIR, TLS material, listen, write the CLI config.
// Read-only: nothing is written into DIR (docs/SERVE.md).

import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../../adapters/fs/atomic.js';
import { startCluster } from '../../adapters/serve/cluster.js';
import { startHttpsServer, type RequestLog } from '../../adapters/serve/https-server.js';
import { makeSelfSigned, selfSignedStillFits } from '../../adapters/tls/self-signed.js';
import { AirgapError } from '../../core/errors.js';
import { SERVE_FILES } from '../../core/layout/names.js';
import type { Reporter } from '../../core/ports.js';
import type { ServeCatalogue } from '../../core/serve/catalogue.js';
import { renderServeCliConfig } from '../../core/serve/cli-config.js';
import { advertisedUrl, type ListenAddress } from '../../core/serve/listen.js';
import { isBundleDir, openServedDir, type ServedDir } from './served-dir.js';
import type { ServeWorkerConfig } from './serve-worker.js';
import { verifyServedBundle, type ServeVerifyOptions } from './verify-bundle.js';

export interface ServeOptions {
  /** Absolute. */
  dir: string;
  listen: ListenAddress;
  /** --url: the base URL runners use; default from --listen. */
  url?: string;
  /** --tls-cert/--tls-key, or --self-signed. */
  tls: { certFile: string; keyFile: string } | { selfSigned: true };
  /** Absolute: where the CLI config (and self-signed certificates) go. */
  outDir: string;
  now: Date;
  /** Log one line per request (not with --quiet). */
  logRequests: boolean;
  /** How a bundle directory is verified before serving (an import destination is not: import verified it). */
  verify: ServeVerifyOptions;
  /**
   * Processes that serve (--workers; default 1): more than one forks that many workers
   * sharing the socket (src/adapters/serve/cluster.ts), after verification, in the
   * compiled build only (the worker entry is a .js module). 1 serves in this process.
   */
  workers?: number;
}

/** What answers requests: this process, or the workers of a cluster. */
interface Listening {
  port: number;
  close(stoppedAccepting?: () => void): Promise<void>;
}

export interface ServeHandle {
  kind: 'bundle' | 'destination';
  /** A bundle directory: what was verified before listening. */
  verified?: string;
  url: string;
  cliConfigPath: string;
  cliConfig: string;
  /** With --self-signed: the CA file runners trust (SSL_CERT_FILE). */
  caCertPath?: string;
  /** Processes serving: 1 (this one), or the number of workers. */
  workers: number;
  /**
   * Stops accepting (then calls `stoppedAccepting`: from there a new connection is
   * refused) and resolves once requests in flight have finished.
   */
  close(stoppedAccepting?: () => void): Promise<void>;
}

export async function startServe(options: ServeOptions, reporter: Reporter): Promise<ServeHandle> {
  // A bad --url, or --listen on every address without one, fails before anything starts.
  advertisedUrl(options.listen, options.listen.port, options.url);
  // A bundle directory is verified before anything listens: a failure never serves a byte.
  const checked = (await isBundleDir(options.dir))
    ? await verifyServedBundle(options.dir, options.verify, reporter)
    : undefined;
  const onNewCatalogue: { write?: (catalogue: ServeCatalogue) => void } = {};
  let latest: ServeCatalogue | undefined;
  // The catalogue (what is served, each file's sha256 and size) comes from the airgap.json verified.
  const served = await openServedDir(
    options.dir,
    (catalogue) => {
      latest = catalogue;
      onNewCatalogue.write?.(catalogue);
    },
    checked?.manifestSha256,
  );
  const tls = await tlsMaterial(options);
  let baseUrl = '';
  const workers = options.workers ?? 1;
  const onLog = options.logRequests ? (log: RequestLog) => reporter.info(requestLine(log)) : undefined;
  let server: Listening;
  try {
    server =
      workers > 1
        ? await startWorkers(options, workers, tls, checked?.manifestSha256, served, onLog, reporter)
        : await startHttpsServer({
            host: options.listen.host,
            port: options.listen.port,
            cert: tls.cert,
            key: tls.key,
            view: () => served.view(),
            get baseUrl() {
              return baseUrl;
            },
            ...(onLog === undefined ? {} : { onRequest: onLog }),
          });
  } catch (e) {
    throw listenError(options.listen, e);
  }
  try {
    baseUrl = advertisedUrl(options.listen, server.port, options.url);
  } catch (e) {
    await server.close();
    throw e;
  }
  const cliConfigPath = path.join(options.outDir, SERVE_FILES.cliConfig);
  let lastText = '';
  const write = async (catalogue: ServeCatalogue): Promise<string> => {
    const text = renderServeCliConfig(baseUrl, catalogue);
    if (text !== lastText) {
      lastText = text;
      await writeFileAtomic(cliConfigPath, text);
    }
    return text;
  };
  const cliConfig = await write(latest!);
  // A later generation may carry modules of another host: the config follows it.
  onNewCatalogue.write = (catalogue) => {
    write(catalogue).then(
      () => undefined,
      (e: unknown) => reporter.warn(`cannot rewrite ${cliConfigPath}: ${(e as Error).message}`),
    );
  };
  return {
    kind: served.kind,
    ...(checked === undefined ? {} : { verified: checked.summary }),
    url: baseUrl,
    cliConfigPath,
    cliConfig,
    ...(tls.caCertPath === undefined ? {} : { caCertPath: tls.caCertPath }),
    workers,
    close: (stoppedAccepting) => server.close(stoppedAccepting),
  };
}

/** The worker entry, next to this module in the build. */
const WORKER_ENTRY = fileURLToPath(new URL('./serve-worker-main.js', import.meta.url));

async function startWorkers(
  options: ServeOptions,
  count: number,
  tls: TlsMaterial,
  manifestSha256: string | undefined,
  served: ServedDir,
  onLog: ((log: RequestLog) => void) | undefined,
  reporter: Reporter,
): Promise<Listening> {
  const config: ServeWorkerConfig = {
    dir: options.dir,
    listen: options.listen,
    ...(options.url === undefined ? {} : { url: options.url }),
    cert: tls.cert,
    key: tls.key,
    ...(manifestSha256 === undefined ? {} : { manifestSha256 }),
    logRequests: onLog !== undefined,
  };
  return startCluster({
    count,
    exec: WORKER_ENTRY,
    config,
    onLog: onLog ?? (() => undefined),
    // A worker met a new generation: this process looks too, and rewrites the CLI config if it must.
    onGeneration: () => {
      served
        .view()
        .catch((e: unknown) => reporter.warn(`cannot read the live generation: ${(e as Error).message}`));
    },
    onWarning: (message) => reporter.warn(message),
  });
}

function requestLine(log: RequestLog): string {
  const why = log.reason === undefined || log.status < 400 ? '' : ` (${log.reason})`;
  return `${log.remote} ${log.method} ${JSON.stringify(log.target).slice(1, -1)} ${log.status} ${log.bytes}${why}`;
}

interface TlsMaterial {
  cert: string;
  key: string;
  caCertPath?: string;
}

async function tlsMaterial(options: ServeOptions): Promise<TlsMaterial> {
  if (!('selfSigned' in options.tls)) {
    const read = async (file: string, flag: string): Promise<string> => {
      try {
        return await fs.readFile(file, 'utf8');
      } catch (e) {
        throw new AirgapError('INPUT_NOT_FOUND', `${flag} ${file}: ${(e as Error).message}`, {
          path: file,
          cause: e,
        });
      }
    };
    return {
      cert: await read(options.tls.certFile, '--tls-cert'),
      key: await read(options.tls.keyFile, '--tls-key'),
    };
  }
  const names = certNames(options);
  const caCertPath = path.join(options.outDir, SERVE_FILES.caCert);
  const certPath = path.join(options.outDir, SERVE_FILES.cert);
  const keyPath = path.join(options.outDir, SERVE_FILES.key);
  // Reused while it fits, so runners that trust the CA file keep working across restarts.
  const [ca, cert, key] = await Promise.all(
    [caCertPath, certPath, keyPath].map((p) => fs.readFile(p, 'utf8').catch(() => undefined)),
  );
  if (
    ca !== undefined &&
    cert !== undefined &&
    key !== undefined &&
    selfSignedStillFits(cert, names, options.now)
  ) {
    return { cert, key, caCertPath };
  }
  const made = makeSelfSigned(names, options.now);
  await writeFileAtomic(keyPath, made.keyPem, 0o600);
  await writeFileAtomic(certPath, made.certPem);
  await writeFileAtomic(caCertPath, made.caPem);
  return { cert: made.certPem, key: made.keyPem, caCertPath };
}

/** The names the self-signed certificate covers: --url's host, else the listen address (and localhost for a loopback one). */
function certNames(options: ServeOptions): string[] {
  if (options.url !== undefined) {
    const host = new URL(options.url).hostname.replace(/^\[|\]$/g, '');
    return [host];
  }
  const h = options.listen.host;
  const loopback = h === '127.0.0.1' || h === '::1' || h === 'localhost';
  return loopback ? [...new Set([h, 'localhost', '127.0.0.1'])] : [h];
}

function listenError(listen: ListenAddress, e: unknown): AirgapError {
  const err = e as NodeJS.ErrnoException;
  const where = `${listen.host}:${listen.port}`;
  if (err.code === 'EADDRINUSE' || err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL') {
    return new AirgapError(
      'SERVE_LISTEN_FAILED',
      `cannot listen on ${where}: ${err.code === 'EADDRINUSE' ? 'the port is in use' : err.code === 'EACCES' ? 'not permitted' : 'no such local address'}`,
      { expected: 'a free port on a local address', actual: err.code, cause: e },
      'pass --listen another ADDR:PORT',
    );
  }
  return new AirgapError(
    'SERVE_LISTEN_FAILED',
    `cannot start the HTTPS server on ${where}: ${err.message}`,
    { expected: 'a usable certificate and key', actual: err.message, cause: e },
    'check --tls-cert and --tls-key (PEM, the key matching the certificate)',
  );
}
