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
import { manifestFiles, parseManifest, type BundleManifest } from '../../core/bundle/manifest.js';
import { AirgapError } from '../../core/errors.js';
import { BUNDLE } from '../../core/layout/names.js';
import type { Reporter } from '../../core/ports.js';
import { readVerifiedBundle } from '../transfer/bundle-reader.js';

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
  /** Files (of the bundle's own list) the tarball carries, and their bytes. */
  carried: number;
  carriedBytes: number;
  /** Files left to the base, and their bytes. */
  fromBase: number;
  fromBaseBytes: number;
}

interface ReadBase {
  manifest: BundleManifest;
  base: DeltaBase;
}

async function readManifestFile(file: string): Promise<ReadBase> {
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
  const manifest = parseManifest(bytes.toString('utf8'), `--base ${file}`);
  return {
    manifest,
    base: {
      manifestSha256: createHash('sha256').update(bytes).digest('hex'),
      createdAt: manifest.createdAt,
    },
  };
}

async function readBase(options: BaseOptions, cwd: string, reporter: Reporter): Promise<ReadBase> {
  const source = path.resolve(cwd, options.source);
  const st = await fs.stat(source).catch(() => undefined);
  if (st?.isDirectory() === true) return readManifestFile(path.join(source, BUNDLE.manifest));
  if (st === undefined || path.basename(source) === BUNDLE.manifest) return readManifestFile(source);
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
    manifest: verified.manifest,
    base: {
      // Checked against SHA256SUMS (and so the signature) by the reader.
      manifestSha256: verified.sums.get(BUNDLE.manifest)!,
      bundleDigest: verified.bundleDigest,
      createdAt: verified.manifest.createdAt,
    },
  };
}

/** The delta manifest of `manifest` against the base, and what it leaves out. */
export async function deltaAgainstBase(
  manifest: BundleManifest,
  options: BaseOptions,
  cwd: string,
  reporter: Reporter,
): Promise<{ manifest: BundleManifest; summary: DeltaSummary }> {
  const read = await readBase(options, cwd, reporter);
  const plan = planDelta(manifestFiles(manifest), baseDigests(read.manifest), alwaysCarried(manifest));
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
