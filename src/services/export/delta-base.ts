// `airgap export --base BASE`: reads the base's airgap.json (from a bundle directory, the
// file itself, or a transfer tarball checked as `airgap verify` checks it) and turns the
// new bundle's manifest into a delta's (core/bundle/delta.ts). export-service.ts only
// calls deltaAgainstBase; everything about bases lives here.

import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

import {
  alwaysCarried,
  baseDigests,
  deltaManifest,
  describeBase,
  planDelta,
  type DeltaBase,
} from '../../core/bundle/delta.js';
import {
  manifestFiles,
  parseManifest,
  type BundleManifest,
  type FileRef,
} from '../../core/bundle/manifest.js';
import { AirgapError } from '../../core/errors.js';
import { BUNDLE } from '../../core/layout/names.js';
import type { Reporter } from '../../core/ports.js';
import { verifyDetachedSignature } from '../../core/signature/index.js';
import {
  inventoryDeltaBase,
  inventoryDigests,
  isInventoryJson,
  parseInventoryDocument,
} from '../../core/transfer/inventory.js';
import { loadTrustedKeys, readVerifiedBundle } from '../transfer/bundle-reader.js';

export interface BaseOptions {
  /** A previous bundle: its directory, its airgap.json, or its tarball (first part when split); relative to cwd. */
  source: string;
  /** Public keys that may have signed a base tarball. */
  trustedKeyFiles: string[];
  /** Accept a base tarball whose signature is missing or not checked. */
  insecureSkipSignature: boolean;
}

/** The `delta` part of export's --json result. */
export interface DeltaSummary {
  base: DeltaBase;
  /** Files (of the bundle's own list, and the tool archive) the tarball carries, and their bytes. */
  carried: number;
  carriedBytes: number;
  /** Files left to the base, and their bytes. */
  fromBase: number;
  fromBaseBytes: number;
}

export interface ReadBase {
  /** The sha256 of every file the receiver is taken to hold. */
  digests: Set<string>;
  base: DeltaBase;
}

async function readManifestFile(file: string, options: BaseOptions, reporter: Reporter): Promise<ReadBase> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw new AirgapError(
      missing ? 'INPUT_NOT_FOUND' : 'FS_ERROR',
      missing ? `--base: ${file} does not exist` : `--base: cannot read ${file}: ${(e as Error).message}`,
      { path: file, expected: 'a previous bundle: directory, airgap.json or tarball', actual: 'missing' },
      'pass the directory, airgap.json or tarball of the bundle the receiver already holds',
    );
  }
  const text = bytes.toString('utf8');
  const json = jsonOf(text);
  if (isInventoryJson(json)) return readInventory(file, bytes, json, options, reporter);
  const manifest = parseManifest(text, `--base ${file}`);
  return {
    digests: baseDigests(manifest),
    base: {
      manifestSha256: createHash('sha256').update(bytes).digest('hex'),
      createdAt: manifest.createdAt,
    },
  };
}

/** Reads and checks the base (before anything slow runs: npm pack, hashing the bundle). */
export async function readDeltaBase(
  options: BaseOptions,
  cwd: string,
  reporter: Reporter,
): Promise<ReadBase> {
  const source = path.resolve(cwd, options.source);
  const st = await fs.stat(source).catch(() => undefined);
  if (st?.isDirectory() === true)
    return readManifestFile(path.join(source, BUNDLE.manifest), options, reporter);
  if (st === undefined || path.basename(source) === BUNDLE.manifest || (await startsLikeJson(source))) {
    return readManifestFile(source, options, reporter);
  }
  const verified = await readVerifiedBundle(
    {
      source,
      trustedKeyFiles: options.trustedKeyFiles,
      insecureSkipSignature: options.insecureSkipSignature,
      progressVerb: 'reading base',
    },
    reporter,
  );
  return {
    digests: baseDigests(verified.manifest),
    base: {
      // Checked against SHA256SUMS (and so the signature) by the reader.
      manifestSha256: verified.sums.get(BUNDLE.manifest)!,
      bundleDigest: verified.bundleDigest,
      createdAt: verified.manifest.createdAt,
    },
  };
}

/**
 * The delta manifest of `manifest` against the base read, and what it leaves out. `tool` is
 * the tool archive the tarball would carry: left out too when the base has its sha256.
 */
export function deltaAgainstBase(
  manifest: BundleManifest,
  read: ReadBase,
  tool: FileRef,
  reporter: Reporter,
): { manifest: BundleManifest; summary: DeltaSummary } {
  const plan = planDelta([...manifestFiles(manifest), tool], read.digests, alwaysCarried(manifest));
  const bytes = (files: { size: number }[]): number => files.reduce((n, f) => n + f.size, 0);
  const summary: DeltaSummary = {
    base: read.base,
    carried: plan.carried.length,
    carriedBytes: bytes(plan.carried),
    fromBase: plan.fromBase.length,
    fromBaseBytes: bytes(plan.fromBase),
  };
  reporter.info(
    `delta against ${describeBase(read.base)}: carrying ${summary.carried} files (${summary.carriedBytes} bytes), ${summary.fromBase} expected from the base`,
  );
  return { manifest: deltaManifest(manifest, read.base, plan), summary };
}

/** A JSON file (an airgap.json or an inventory) rather than a tarball: its first non-blank byte is "{". */
async function startsLikeJson(file: string): Promise<boolean> {
  const fh = await fs.open(file, 'r').catch(() => undefined);
  if (fh === undefined) return false;
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(64), 0, 64, 0);
    return buffer.subarray(0, bytesRead).toString('latin1').trimStart().startsWith('{');
  } finally {
    await fh.close();
  }
}

function jsonOf(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined; // parseManifest says what is wrong with it
  }
}

/**
 * `--base inventory.json` (docs/INVENTORY-FORMAT.md): the receiver's own account of what it
 * holds. A signed one is checked against --trusted-key as a bundle's SHA256SUMS.sig is. An
 * unsigned one is taken as given: an inventory only decides what a delta leaves out, and an
 * import refuses a delta whose base the destination does not hold, so a wrong inventory can
 * make an import fail but never install anything.
 */
async function readInventory(
  file: string,
  bytes: Buffer,
  json: unknown,
  options: BaseOptions,
  reporter: Reporter,
): Promise<ReadBase> {
  const doc = parseInventoryDocument(json, file);
  if (doc.signed) {
    const keys = await loadTrustedKeys(options.trustedKeyFiles);
    const subject = `--base ${file}: the inventory`;
    if (keys === undefined) {
      if (!options.insecureSkipSignature) {
        throw new AirgapError(
          'USAGE',
          `no --trusted-key given to check ${file}: the inventory is signed (by ${doc.envelope.signedBy})`,
          { path: file, expected: '--trusted-key FILE', actual: 'none' },
          'pass --trusted-key the public key of the isolated side that ran `airgap inventory --sign-key`, or --insecure-skip-signature',
        );
      }
      reporter.warn(`${subject}: the signature was not checked (--insecure-skip-signature)`);
    } else {
      try {
        const check = await verifyDetachedSignature({
          data: Buffer.from(doc.envelope.inventory, 'utf8'),
          signature: Buffer.from(doc.envelope.signature, 'base64'),
          keys,
          subject,
        });
        reporter.info(`${subject} is signed by ${check.primaryKeyFingerprint}`);
      } catch (e) {
        if (!options.insecureSkipSignature) throw e;
        reporter.warn(`${(e as Error).message} (accepted: --insecure-skip-signature)`);
      }
    }
  }
  const inv = doc.inventory;
  reporter.info(
    `--base ${file}: an inventory of generation ${inv.generation}, ${inv.files.length} files, live bundle ${inv.live.bundleDigest.slice(0, 16)}`,
  );
  return {
    digests: inventoryDigests(inv),
    base: inventoryDeltaBase(inv, createHash('sha256').update(bytes).digest('hex')),
  };
}
