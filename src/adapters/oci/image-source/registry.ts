// `[docker://]NAME[:TAG][@DIGEST]`: a base image pulled from a registry with the OCI
// client's auth handshake (anonymous, Basic, or Bearer tokens; Docker Hub for bare
// names). Manifests by tag or digest, configs and layers as blobs. Transient failures
// (connection errors, 408/429/5xx, a body that ends early) are retried by the shared
// retry loop (adapters/http/retry.ts: back-off with jitter, Retry-After honoured);
// a layer download resumes with Range from the bytes already written when the
// server answers 206, and starts over otherwise (then `onBytes` counts the replayed
// bytes again: progress is a hint, the size check is what counts).
import { AirgapError, isAirgapError } from '../../../core/errors.js';
import type { Descriptor } from '../../../core/image/oci-image.js';
import type { RegistryBaseImageReference } from '../../../core/oci/base-reference.js';
import type { ImageSource } from '../../../core/ports.js';
import { classifyError, isRetryableStatus, ShortBodyFailure, StatusFailure } from '../../http/failures.js';
import { SYSTEM_CLOCK, withRetries, type Clock, type Retry } from '../../http/retry.js';
import { createOciRegistryClient } from '../registry-client.js';
import { BlobFile } from './blob-file.js';
import type { ImageSourceOptions } from './index.js';
import { checkDocument, checkDocumentSize, resolveFromStore, type TopDocument } from './resolve.js';

/** The source options (index.ts), with the retry policy resolved. */
export interface RegistrySourceOptions extends Omit<ImageSourceOptions, 'retries' | 'retryBackoffMs'> {
  /** Attempts per request, the first included. */
  attempts: number;
  /** The first back-off step; doubled for each further one. */
  backoffMs: number;
  /** Waits between attempts; the real clock by default. */
  clock?: Clock;
}

const TIMEOUTS = { connectMs: 30_000, bodyMs: 300_000 };

export function openRegistrySource(
  reference: string,
  ref: RegistryBaseImageReference,
  options: RegistrySourceOptions,
): ImageSource {
  const client = createOciRegistryClient({
    registry: ref.registry,
    userAgent: options.userAgent,
    ...(options.insecure === undefined ? {} : { insecure: options.insecure }),
    ...(options.caCertFiles === undefined ? {} : { caCertFiles: options.caCertFiles }),
    ...(options.dockerConfig === undefined ? {} : { dockerConfig: options.dockerConfig }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.observer === undefined ? {} : { observer: options.observer }),
  });
  const policy = {
    attempts: options.attempts,
    baseDelayMs: options.backoffMs,
    clock: options.clock ?? SYSTEM_CLOCK,
  };
  const repo = ref.repository;

  function retrying<T>(fn: () => Promise<T>): Promise<T> {
    return withRetries(policy, fn, { retry: retryOf });
  }

  /** A manifest by tag or digest; a digest the bytes do not hash to is CHECKSUM_MISMATCH. */
  async function manifest(name: string): Promise<{ mediaType: string; bytes: Uint8Array; digest: string }> {
    // A digest reference the served bytes do not hash to fails inside getManifest (CHECKSUM_MISMATCH).
    const found = await retrying(() => client.getManifest(repo, name));
    if (found === undefined) {
      throw new AirgapError(
        'OCI_REGISTRY_ERROR',
        `${reference}: the registry has no manifest ${name} in ${repo} (404)`,
        {
          address: reference,
          status: 404,
          expected: `${repo}:${name}`,
        },
      );
    }
    return found;
  }

  async function top(): Promise<TopDocument> {
    const name = ref.digest ?? ref.tag ?? 'latest';
    const found = await manifest(name);
    return { bytes: found.bytes, digest: found.digest, mediaType: found.mediaType };
  }

  async function fetch(descriptor: Descriptor, what: 'manifest' | 'config'): Promise<Uint8Array> {
    checkDocumentSize(descriptor, reference, what);
    if (what === 'manifest')
      return checkDocument((await manifest(descriptor.digest)).bytes, descriptor, reference, what);
    const bytes = await retrying(async () => {
      const opened = await client.openBlob(repo, descriptor.digest);
      // One byte past the size is enough to tell a blob that is too long.
      return readAtMost(opened.body, descriptor.size + 1);
    }).catch((error: unknown) => {
      throw blobError(reference, descriptor, error);
    });
    return checkDocument(bytes, descriptor, reference, what);
  }

  return {
    reference,
    resolve: (platforms) => resolveFromStore({ reference, top, fetch }, platforms),

    async copyBlob(descriptor, dest, onBytes) {
      const file = await BlobFile.create(dest, descriptor, reference, onBytes);
      try {
        await retrying(async () => {
          const from = file.written;
          const opened = await client.openBlob(
            repo,
            descriptor.digest,
            from > 0 ? { offset: from } : undefined,
          );
          if (opened.offset !== from) await file.restart();
          await file.append(opened.body);
          if (file.written < descriptor.size) throw new ShortBodyFailure(descriptor.size, file.written);
        });
      } catch (error) {
        await file.abort();
        throw blobError(reference, descriptor, error);
      }
      await file.finish();
    },

    close: () => client.close(),
  };
}

/** A Retry (with the registry's Retry-After, if any) for a failure another attempt may fix. */
function retryOf(error: unknown): Retry | undefined {
  if (isAirgapError(error)) {
    if (error.code !== 'OCI_REGISTRY_ERROR') return undefined;
    const cause = error.details.cause;
    if (error.details.status !== undefined) {
      if (!isRetryableStatus(error.details.status)) return undefined;
      return { retryAfterMs: cause instanceof StatusFailure ? cause.retryAfterMs : undefined };
    }
    return cause !== undefined && classifyError(cause, TIMEOUTS).retryable ? {} : undefined;
  }
  return classifyError(error, TIMEOUTS).retryable ? {} : undefined;
}

function blobError(reference: string, descriptor: Descriptor, error: unknown): unknown {
  if (isAirgapError(error)) return error;
  const failure = classifyError(error, TIMEOUTS);
  const code = failure.code === undefined ? '' : ` (${failure.code})`;
  return new AirgapError(
    'OCI_REGISTRY_ERROR',
    `blob ${descriptor.digest} of ${reference}: ${failure.what}${code}`,
    { address: reference, cause: error },
  );
}

async function readAtMost(
  body: AsyncIterable<Buffer> & { destroy(): void },
  limit: number,
): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= limit) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks, size);
}
