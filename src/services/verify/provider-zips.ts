// The h1 of each provider zip `airgap verify` reads from a bundle, computed on the
// ZipHashPool's worker threads (adapters/workers/zip-hash-pool.ts), one zip per thread at
// a time: the bundle reader goes on to the next file while the threads inflate. A zip in a
// bundle directory is read where it is; one from a tarball is spooled to its own temp file
// first (at most one per thread on disk at once), removed once read.
//
// Results and messages are those of digestZip on the main thread: an AirgapError becomes the
// zip's error (with the bundle path in place of the file read), anything else (a lost
// thread) is thrown by the next add() or by results().

import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';

import { ZipHashPool } from '../../adapters/workers/zip-hash-pool.js';
import { isAirgapError } from '../../core/errors.js';
import type { ZipDigestResult } from '../../core/transfer/verify-checks.js';

export type ProviderZipDigest = Omit<ZipDigestResult, 'sha256'>;

/** Where the zips come from: read in place under `target` (a directory), or spooled into `spool`. */
export interface ProviderZipSource {
  inPlace: boolean;
  target: string;
  spool: string;
}

export class ProviderZipDigests {
  /** Its threads start with the first zip. */
  private readonly pool = new ZipHashPool();
  private readonly running = new Set<Promise<void>>();
  private readonly digests = new Map<string, ProviderZipDigest>();
  private failure: { error: unknown } | undefined;
  private spooled = 0;

  constructor(private readonly source: ProviderZipSource) {}

  /**
   * Reads `body` (the bundle reader hashes it on the way) and starts the zip's digest: waits
   * only while every thread has one.
   */
  async add(bundlePath: string, body: Readable): Promise<void> {
    while (this.running.size >= this.pool.threads) await Promise.race(this.running);
    this.throwFailure();
    let file: string;
    if (this.source.inPlace) {
      body.resume();
      await finished(body);
      file = path.join(this.source.target, bundlePath);
    } else {
      file = path.join(this.source.spool, `package-${++this.spooled}.zip`);
      try {
        await pipeline(body, createWriteStream(file));
      } catch (e) {
        await fs.rm(file, { force: true });
        throw e;
      }
    }
    const task = this.digest(bundlePath, file).finally(() => this.running.delete(task));
    this.running.add(task);
  }

  /** Every zip's digest, once all are done, by bundle path. */
  async results(): Promise<Map<string, ProviderZipDigest>> {
    await Promise.all(this.running);
    this.throwFailure();
    return this.digests;
  }

  /** Stops the threads (a digest still under way is dropped) and waits for spooled files to go. */
  async close(): Promise<void> {
    await this.pool.close();
    await Promise.all(this.running);
  }

  /** Never rejects: what cannot be a result is kept for add() and results() to throw. */
  private async digest(bundlePath: string, file: string): Promise<void> {
    try {
      this.digests.set(bundlePath, { h1: await this.pool.h1(file) });
    } catch (e) {
      if (e instanceof Error) e.message = e.message.replaceAll(file, bundlePath);
      if (isAirgapError(e)) this.digests.set(bundlePath, { error: e });
      else this.failure ??= { error: e };
    }
    if (this.source.inPlace) return;
    try {
      await fs.rm(file, { force: true });
    } catch (e) {
      this.failure ??= { error: e };
    }
  }

  private throwFailure(): void {
    if (this.failure !== undefined) throw this.failure.error;
  }
}
