// `--base-image REF` to an ImageSource: the reference is parsed (src/core/oci/
// base-reference.ts) and handed to the adapter for its transport. Nothing is read
// until resolve() or copyBlob(); close() releases the registry connections.
import { parseBaseImageReference } from '../../../core/oci/base-reference.js';
import type { DockerAuths } from '../../../core/oci/docker-auths.js';
import type { HttpObserver, ImageSource } from '../../../core/ports.js';
import { openDockerArchive } from './docker-archive.js';
import { openOciArchive } from './oci-archive.js';
import { openOciLayout } from './oci-layout.js';
import { openRegistrySource } from './registry.js';

export interface ImageSourceOptions {
  /** Plain http to the registry. */
  insecure?: boolean;
  /** Extra PEM files trusted for the registry (SSL_CERT_FILE and NODE_EXTRA_CA_CERTS from `env` too). */
  caCertFiles?: string[];
  /** Parsed docker config.json auths, looked up by the registry host. */
  dockerConfig?: DockerAuths;
  /** Wins over `dockerConfig`. */
  credentials?: { username: string; password: string };
  /** Proxy and CA variables are read from here only. */
  env?: Record<string, string | undefined>;
  userAgent: string;
  /** Attempts per registry request, the first included (default 4). Local sources are never retried. */
  retries?: number;
  /** Wait before the first retry, doubled for each further one (default 500 ms). */
  retryBackoffMs?: number;
  /** Told of every registry request (redacted URL, status), for --verbose. */
  observer?: HttpObserver;
}

const DEFAULT_ATTEMPTS = 4;
const DEFAULT_BACKOFF_MS = 500;

/** Throws OCI_REFERENCE_INVALID for a reference that does not parse; nothing else happens before use. */
export function openImageSource(reference: string, options: ImageSourceOptions): ImageSource {
  const ref = parseBaseImageReference(reference);
  switch (ref.kind) {
    case 'oci':
      return openOciLayout(reference, ref.path, ref.tag);
    case 'oci-archive':
      return openOciArchive(reference, ref.path, ref.tag);
    case 'docker-archive':
      return openDockerArchive(reference, ref.path, ref.ref);
    case 'registry':
      return openRegistrySource(reference, ref, {
        ...options,
        attempts: Math.max(1, options.retries ?? DEFAULT_ATTEMPTS),
        backoffMs: options.retryBackoffMs ?? DEFAULT_BACKOFF_MS,
      });
  }
}
