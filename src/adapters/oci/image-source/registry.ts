// `[docker://]NAME[:TAG][@DIGEST]`: a base image pulled from a registry with the OCI
// client's auth handshake (anonymous, Basic, or Bearer tokens; Docker Hub for bare
// names). Manifests by tag or digest, configs and layers as blobs. Transient failures
// (connection errors, 408/429/5xx, a body that ends early) are retried with backoff;
// a layer download resumes with Range from the bytes already written when the
// server answers 206, and starts over otherwise (then `onBytes` counts the replayed
// bytes again: progress is a hint, the size check is what counts).
import { setTimeout as sleep } from 'node:timers/promises';
import { AirgapError, isAirgapError } from '../../../core/errors.js';
import type { Descriptor } from '../../../core/image/oci-image.js';
import type { RegistryBaseImageReference } from '../../../core/oci/base-reference.js';
import type { ImageSource } from '../../../core/ports.js';
import { classifyError, isRetryableStatus, ShortBodyFailure } from '../../http/failures.js';
import { createOciRegistryClient } from '../registry-client.js';
import { BlobFile } from './blob-file.js';
import type { ImageSourceOptions } from './index.js';
import { checkDocument, checkDocumentSize, resolveFromStore, type TopDocument } from './resolve.js';

/** The source options (index.ts), with the retry policy resolved. */
export interface RegistrySourceOptions extends Omit<ImageSourceOptions, 'retries' | 'retryBackoffMs'> {
  /** Attempts per request, the first included. */
  attempts: number;
  /** Wait before the first retry; doubled for each further one. */
  backoffMs: number;
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
  });
  const repo = ref.repository;

  async function retrying<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        if (attempt >= options.attempts || !retryable(error)) throw error;
        await sleep(options.backoffMs * 2 ** (attempt - 1));
      }
    }
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

function retryable(error: unknown): boolean {
  if (isAirgapError(error)) {
    if (error.code !== 'OCI_REGISTRY_ERROR') return false;
    if (error.details.status !== undefined) return isRetryableStatus(error.details.status);
    return error.details.cause !== undefined && classifyError(error.details.cause, TIMEOUTS).retryable;
  }
  return classifyError(error, TIMEOUTS).retryable;
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
