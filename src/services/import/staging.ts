// The staging directory of an import in progress (DIR/.airgap-tmp-import): the
// sink the bundle reader streams every verified payload file into, in one pass.
// Provider files go straight to their place in the generation being built;
// network-mirror JSON is kept in memory for merging; the host platform's
// tofu/terraform release zips are kept for unpacking; the runner image's OCI
// layout (image/) goes to the generation's image/, registry module zips to its modules/, each blob the live generation
// already holds intact hard-linked from there instead of written again; everything
// else is read (the reader hashes it) and dropped. A crash leaves the directory
// behind; the next import, holding DIR's lock, removes it.

import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { streamChunks } from '../../adapters/archive/tar-read.js';
import { sha256File } from '../../adapters/fs/sha256-file.js';
import { AirgapError } from '../../core/errors.js';
import { BUNDLE, IMPORT } from '../../core/layout/names.js';
import { IMPORT_META } from '../../core/transfer/import-layout.js';
import { mirrorJsonKind } from '../../core/transfer/import-merge.js';
import { isReleaseZipFor } from '../../core/transfer/import-platform.js';
import type { Destination } from './destination.js';
import { REBUILD_BUNDLE } from './remedies.js';
import { fsError, fsyncPath, linkOrCopy, lstatIfExists } from './fs-ops.js';

/** What the reader hands the sink (the contract of src/services/transfer/bundle-reader.ts). */
export interface SinkEntry {
  path: string;
  size: number;
  expectedSha256: string;
}

export type PayloadSink = (entry: SinkEntry, body: NodeJS.ReadableStream) => Promise<void>;

/** Mirror JSON files are small; a bigger one is not something airgap mirror wrote. */
const MAX_JSON_BYTES = 16 << 20;

export class ImportStaging {
  readonly root: string;
  /** The generation being built: providers/, bin/, tofurc, airgap-state.json. */
  readonly generationRoot: string;
  /** Mirror-relative paths of provider files written (mirror JSON excluded). */
  readonly providerFiles: string[] = [];
  /** Mirror-relative path -> the bundle's text of each network-mirror JSON file. */
  readonly providerJson = new Map<string, string>();
  /** Bundle path -> staged copy, for the host platform's release zips. */
  readonly releaseZips = new Map<string, string>();
  /** Bundle-relative paths (modules/...) of the module zips staged into the generation's modules/. */
  readonly moduleFiles: string[] = [];
  /** Layout-relative paths (below image/) of the runner image's files staged. */
  readonly imageFiles: string[] = [];
  /** Of those, blobs hard-linked (or copied) from the live generation rather than written. */
  imageBlobsKept = 0;
  files = 0;
  bytes = 0;
  private readonly releasesRoot: string;
  private readonly dirsMade = new Set<string>();
  /** Files written into the generation and not yet flushed to disk (syncWritten). */
  private readonly unsynced: string[] = [];
  /** The flush running behind the stream (flushBehind), if any. */
  private flushing: Promise<void> | undefined;
  /** The first failure of a flush behind the stream, thrown by syncWritten. */
  private flushError: AirgapError | undefined;
  /** Set once the stream is over: no flush starts behind it any more. */
  private flushStopped = false;

  private constructor(
    root: string,
    private readonly hostPlatform: string,
    private readonly liveDir: string | undefined,
  ) {
    this.root = root;
    this.generationRoot = path.join(root, IMPORT_META.stagedGeneration);
    this.releasesRoot = path.join(root, IMPORT_META.stagedReleases);
  }

  /**
   * Creates the staging directory in DIR, removing one a crashed import left. The caller
   * holds DIR's import lock (lock.ts), so no live import owns a staging directory there, and
   * inspectDestination checked that one found is a real directory, not a symlink.
   */
  static async create(dest: Destination, hostPlatform: string): Promise<ImportStaging> {
    const root = path.join(dest.dir, IMPORT.staging);
    const staging = new ImportStaging(root, hostPlatform, dest.liveDir);
    try {
      await fs.rm(root, { recursive: true, force: true });
      await fs.mkdir(root);
      await fs.mkdir(path.join(staging.generationRoot, IMPORT.providersDir), { recursive: true });
      await fs.mkdir(path.join(staging.generationRoot, IMPORT.binDir));
      await fs.mkdir(staging.releasesRoot);
    } catch (e) {
      await staging.remove().catch(() => undefined);
      throw fsError('create', staging.root, e);
    }
    return staging;
  }

  /** The sink for readVerifiedBundle: called once per payload file, in stream order. */
  readonly sink: PayloadSink = async (entry, body) => {
    // The body may fail (a truncated archive) while this sink awaits a mkdir, before
    // anything reads it: keep that from being an uncaught 'error' event. The failure is
    // not lost: a destroyed stream rejects the pipeline or iteration that reads it next.
    const ignore = (): void => undefined;
    body.on('error', ignore);
    try {
      await this.place(entry, body);
    } finally {
      body.removeListener('error', ignore);
    }
  };

  private async place(entry: SinkEntry, body: NodeJS.ReadableStream): Promise<void> {
    const parts = entry.path.split('/');
    if (entry.path.startsWith('/') || parts.some((p) => p === '' || p === '.' || p === '..')) {
      // The reader refuses these first; this keeps a reader bug from writing outside staging.
      throw new AirgapError(
        'MANIFEST_INVALID',
        `bundle entry "${entry.path}" is not a relative path inside the bundle`,
        {
          path: entry.path,
          expected: 'a relative path without "." or ".." components',
          actual: entry.path,
        },
        REBUILD_BUNDLE,
      );
    }
    this.files += 1;
    this.bytes += entry.size;
    if (parts[0] === BUNDLE.providersDir && parts.length > 1) {
      const rel = parts.slice(1).join('/');
      if (mirrorJsonKind(rel) !== undefined) {
        this.providerJson.set(rel, await readSmall(body, entry.path));
        return;
      }
      await this.writeStream(body, path.join(this.generationRoot, IMPORT.providersDir, ...parts.slice(1)));
      this.providerFiles.push(rel);
      return;
    }
    if (parts[0] === BUNDLE.modulesDir && parts.length > 1) {
      // The generation keeps the bundle's layout: modules/HOST/NS/NAME/SYSTEM/VERSION.zip.
      await this.writeStream(body, path.join(this.generationRoot, IMPORT.modulesDir, ...parts.slice(1)));
      this.moduleFiles.push(entry.path);
      return;
    }
    if (parts[0] === BUNDLE.imageDir && parts.length > 1) {
      await this.placeImageFile(entry, parts.slice(1), body);
      return;
    }
    if (entry.path === BUNDLE.sbom) {
      // Kept with the generation: `import --push` pushes it next to the runner image.
      await this.writeStream(body, path.join(this.generationRoot, IMPORT.sbom));
      return;
    }
    if (isReleaseZipFor(entry.path, this.hostPlatform)) {
      const staged = path.join(this.releasesRoot, parts.join('__'));
      await this.writeStream(body, staged);
      this.releaseZips.set(entry.path, staged);
      return;
    }
    // Lock files, configs, other platforms' binaries, the tool archive: verified, not installed.
    for await (const _chunk of body) {
      /* drain: the reader hashes what passes */
    }
  }

  private async placeImageFile(entry: SinkEntry, rel: string[], body: NodeJS.ReadableStream): Promise<void> {
    const relPath = rel.join('/');
    const target = path.join(this.generationRoot, IMPORT.imageDir, ...rel);
    const blob = BLOB_PATH.exec(relPath);
    if (blob !== null && blob[1] !== entry.expectedSha256) {
      // The reader checks the bytes against SHA256SUMS; this ties that sha256 to the blob's name.
      throw new AirgapError(
        'IMAGE_INVALID',
        `${entry.path}: an OCI layout blob must hash to its name, but SHA256SUMS lists sha256 ${entry.expectedSha256}`,
        { path: entry.path, expected: `sha256 ${blob[1]}`, actual: entry.expectedSha256 },
        REBUILD_BUNDLE,
      );
    }
    const live =
      blob === null || this.liveDir === undefined
        ? undefined
        : path.join(this.liveDir, IMPORT.imageDir, ...rel);
    if (live !== undefined && (await sameBlob(live, entry))) {
      for await (const _chunk of body) {
        /* drain: the reader hashes what passes */
      }
      await this.makeDir(path.dirname(target));
      await linkOrCopy(live, target);
      this.imageBlobsKept += 1;
    } else {
      await this.writeStream(body, target);
    }
    this.imageFiles.push(relPath);
  }

  private async makeDir(dir: string): Promise<void> {
    if (this.dirsMade.has(dir)) return;
    await fs.mkdir(dir, { recursive: true }).catch((e: unknown) => {
      throw fsError('create', dir, e);
    });
    this.dirsMade.add(dir);
  }

  private async writeStream(body: NodeJS.ReadableStream, target: string): Promise<void> {
    await this.makeDir(path.dirname(target));
    try {
      // Not flushed here: waiting for each file's fsync stalled the stream once per file.
      // flushBehind() flushes it while the stream goes on, syncWritten() what is left,
      // before the generation is committed.
      await writeBatched(body as Readable, target);
      await fs.chmod(target, 0o644);
      if (target.startsWith(this.generationRoot + path.sep)) {
        this.unsynced.push(target);
        this.flushBehind();
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).syscall !== undefined) throw fsError('write', target, e);
      throw e;
    }
  }

  /**
   * Places a file a delta left to its base: `live` is the live generation's file with the
   * same size and sha256 (delta-base-check.ts), hard-linked (or copied) to the bundle path's
   * place in the generation, as if the bundle had carried it.
   */
  async placeFromBase(bundlePath: string, live: string): Promise<void> {
    const parts = bundlePath.split('/');
    const rest = parts.slice(1);
    if (parts[0] === BUNDLE.providersDir && mirrorJsonKind(rest.join('/')) !== undefined) {
      this.providerJson.set(rest.join('/'), await fs.readFile(live, 'utf8'));
      return;
    }
    const dir =
      parts[0] === BUNDLE.providersDir
        ? IMPORT.providersDir
        : parts[0] === BUNDLE.modulesDir
          ? IMPORT.modulesDir
          : IMPORT.imageDir;
    const target = path.join(this.generationRoot, dir, ...rest);
    await this.makeDir(path.dirname(target));
    await linkOrCopy(live, target);
    if (dir === IMPORT.providersDir) this.providerFiles.push(rest.join('/'));
    else if (dir === IMPORT.modulesDir) this.moduleFiles.push(bundlePath);
    else {
      this.imageFiles.push(rest.join('/'));
      if (BLOB_PATH.test(rest.join('/'))) this.imageBlobsKept += 1;
    }
  }

  /**
   * Flushes every file written into the generation to disk, a few at a time: called once
   * the bundle was read, before the directories are flushed and the generation committed
   * (docs/IMPORT-STATE.md). The staged release zips are only read from, never committed.
   */
  async syncWritten(): Promise<void> {
    await this.stopFlushBehind();
    if (this.flushError !== undefined) throw this.flushError;
    const files = this.unsynced.splice(0);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < files.length) {
        const file = files[next++]!;
        await fsyncPath(file).catch((e: unknown) => {
          throw fsError('flush', file, e);
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(SYNC_PARALLEL, files.length) }, worker));
  }

  /**
   * Flushes the files written so far, one at a time, while the stream goes on: their
   * bytes then reach the disk while the rest of the bundle is still arriving (the disk
   * is idle meanwhile), rather than all of them after it. One at a time, so the flush
   * holds at most one of libuv's threads, and the writes keep the others. syncWritten
   * flushes what is left, and reports a failure.
   */
  private flushBehind(): void {
    if (this.flushing !== undefined || this.flushError !== undefined || this.flushStopped) return;
    const file = this.unsynced.shift();
    if (file === undefined) return;
    this.flushing = fsyncPath(file).then(
      () => {
        this.flushing = undefined;
        this.flushBehind();
      },
      (e: unknown) => {
        this.flushing = undefined;
        this.flushError = fsError('flush', file, e);
      },
    );
  }

  /** Waits for the flush behind the stream, and starts no other. */
  private async stopFlushBehind(): Promise<void> {
    this.flushStopped = true;
    await this.flushing;
  }

  async remove(): Promise<void> {
    await this.stopFlushBehind();
    await fs.rm(this.root, { recursive: true, force: true });
  }
}

/**
 * Bytes gathered into one write: the network hands the body on in 16 to 64 KiB pieces,
 * and each write is a trip to libuv's thread pool, most of the reading thread's work.
 * The pieces are written together (writev), without being copied.
 */
const WRITE_BATCH = 1 << 20;

/** Writes `body` to the new file `target` (which must not exist), WRITE_BATCH bytes at a time. */
async function writeBatched(body: Readable, target: string): Promise<void> {
  const fh = await fs.open(target, 'wx', 0o644);
  try {
    let batch: Buffer[] = [];
    let bytes = 0;
    const flush = async (): Promise<void> => {
      const { bytesWritten } = await fh.writev(batch);
      // A short write (a regular file: only before an error): the rest, piece by piece.
      let skip = bytesWritten;
      for (const piece of batch) {
        if (skip >= piece.length) {
          skip -= piece.length;
          continue;
        }
        let at = skip;
        skip = 0;
        while (at < piece.length) at += (await fh.write(piece, at)).bytesWritten;
      }
      batch = [];
      bytes = 0;
    };
    for await (const chunk of streamChunks(body)) {
      batch.push(chunk);
      bytes += chunk.length;
      if (bytes >= WRITE_BATCH) await flush();
    }
    if (batch.length > 0) await flush();
  } finally {
    await fh.close();
  }
}

/** fsyncs in flight at once: the disk sorts out its queue better than one at a time. */
const SYNC_PARALLEL = 8;

const BLOB_PATH = /^blobs\/sha256\/([0-9a-f]{64})$/;

/**
 * Whether the live generation's copy of a blob is this one, intact: a regular file of
 * the same size whose bytes hash to its name. A damaged live copy is not carried on.
 */
async function sameBlob(live: string, entry: SinkEntry): Promise<boolean> {
  const st = await lstatIfExists(live);
  if (st === undefined || !st.isFile() || st.size !== entry.size) return false;
  const { sha256 } = await sha256File(live).catch((e: unknown) => {
    throw fsError('read', live, e);
  });
  return sha256 === entry.expectedSha256;
}

async function readSmall(body: NodeJS.ReadableStream, label: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += b.length;
    if (size > MAX_JSON_BYTES) {
      throw new AirgapError(
        'MANIFEST_INVALID',
        `${label} is larger than ${MAX_JSON_BYTES} bytes; not a mirror index`,
        {
          path: label,
          expected: `at most ${MAX_JSON_BYTES} bytes`,
          actual: `more than ${MAX_JSON_BYTES} bytes`,
        },
        REBUILD_BUNDLE,
      );
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}
