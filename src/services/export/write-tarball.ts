// Streams the transfer tarball (optionally gzip-compressed) into a Writable - the
// part writer on disk, the S3 upload, or a sink that only hashes - checking every
// file against the digest SHA256SUMS lists as it goes.

import { Transform, type Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

import { HashThread, SharedSlabs, type HashWorker } from '../../adapters/fs/shared-hash.js';
import { verifyStreamedFile, type PackEntry } from '../../core/transfer/pack-plan.js';
import type { Compression } from './export-service.js';
import { streamTarball, type StreamEntry } from './stream-tarball.js';

export interface PackStreamEntry extends StreamEntry {
  pack: PackEntry;
}

/** A pass-through that hashes what goes by (the compressed bytes, when gzip sits in front of the writer). */
function hashTap(hash: HashThread): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
  });
}

/**
 * Streams the tarball into `writer` and returns the sha256 of what was written. Each file
 * is checked against the digest SHA256SUMS lists as it streams; the first mismatch stops
 * the stream, and all must have matched before this returns. Files are read into
 * slabs and hashed on two threads of their own, or into the writer's slabs and on its
 * hashing thread when it has them (`shared`: the S3 upload keeps the chunks in place
 * and hashes its parts on that thread too).
 */
export async function writeTarball(
  entries: PackStreamEntry[],
  writer: Writable,
  compress: Compression,
  manifestFile: string,
  onWrite: (bytes: number) => void,
  shared?: { slabs: SharedSlabs; hashing: HashWorker },
): Promise<string> {
  const slabs = shared?.slabs ?? new SharedSlabs();
  const fileHash = new HashThread(slabs, shared?.hashing);
  const outputHash = new HashThread(slabs, shared?.hashing);
  try {
    // The first failure is the cause: a file that does not match its digest, a read error,
    // or the writer's own (a write error, too many parts). It stops everything else: a
    // failed writer never frees the slabs it holds, so the reader must not wait for them.
    const stop = new AbortController();
    let cause: unknown;
    const fail = (e: unknown): void => {
      if (cause !== undefined) return;
      cause = e;
      stop.abort(e);
    };
    const checks: Promise<void>[] = [];
    const gzip = compress === 'gzip' ? createGzip() : undefined;
    const sink = gzip ?? writer;
    const written = gzip === undefined ? finished(writer) : pipeline(gzip, hashTap(outputHash), writer);
    written.catch(fail);
    const produced = streamTarball(entries, {
      sink,
      slabs,
      fileHash,
      ...(gzip === undefined ? { outputHash } : {}),
      signal: stop.signal,
      onWrite,
      afterFile: (e, sha256) => {
        const check = sha256.then((hex) => {
          if (e.pack.type === 'file') verifyStreamedFile(e.pack, hex, manifestFile);
        });
        check.catch(fail);
        checks.push(check);
      },
    });
    produced.catch((e: unknown) => {
      fail(e);
      sink.destroy(e as Error);
    });
    await Promise.allSettled([produced, written]);
    if (cause !== undefined) throw cause;
    await Promise.all(checks);
    return await outputHash.digest();
  } finally {
    await Promise.all([fileHash.close(), outputHash.close()]);
  }
}
