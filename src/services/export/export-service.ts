// `airgap export`: packs a bundle directory into the transfer tarball of
// docs/TRANSFER-FORMAT.md (optionally signed, gzip-compressed, split into parts).
// Wires the pure planner (core/transfer/pack-*) to the tar writer, the part
// writer and npm pack. Output goes to temp names and is renamed into place only
// after every file has been streamed and checked: a failed export leaves no FILE.

import fs from 'node:fs/promises';
import path from 'node:path';

import { SplitWriter } from '../../adapters/archive/split-writer.js';
import { tarArchiveSize } from '../../adapters/archive/tar-write.js';
import { findPackageRoot, inspectToolPackage, npmPackTool } from '../../adapters/npm/pack-tool.js';
import { creationTime, parseManifest, type FileRef } from '../../core/bundle/manifest.js';
import { AirgapError } from '../../core/errors.js';
import { BUNDLE, TEMP_PREFIX, toolPackagePath } from '../../core/layout/names.js';
import type { Reporter } from '../../core/ports.js';
import { packEntries, packMtime, planPack, type PackEntry } from '../../core/transfer/pack-plan.js';
import { readSigningKey, signChecksums, type SigningKey } from '../../core/transfer/pack-sign.js';
import { checkPartCount } from '../../core/transfer/pack-size.js';
import type { S3AccessOptions } from '../../adapters/s3/client.js';
import { isS3Url, parseS3Url } from '../../core/s3/url.js';
import { listBundleDir } from './bundle-listing.js';
import type { S3UploadSummary } from './export-s3.js';
import { writeTarball, type PackStreamEntry } from './write-tarball.js';
import { deltaAgainstBase, readDeltaBase, type BaseOptions, type DeltaSummary } from './delta-base.js';

export type Compression = 'none' | 'gzip';

export interface ExportOptions {
  /** A bundle directory written by `airgap mirror --out`; relative to `cwd`. */
  bundleDir: string;
  /** FILE; with splitSize, FILE.000, FILE.001, ...; relative to `cwd`. Or s3://BUCKET/KEY (docs/S3.md). */
  tarball: string;
  /** How to reach S3, for an s3:// tarball. */
  s3?: S3AccessOptions;
  /** --s3-abort-incomplete: abort open multipart uploads instead of resuming them (and ours on failure). */
  s3AbortIncomplete?: boolean;
  compress: Compression;
  /** Bytes per part. */
  splitSize?: number;
  /** An armored OpenPGP private key: sign SHA256SUMS with it. */
  signKeyFile?: string;
  /** Unlocks an encrypted signing key (the command reads AIRGAP_SIGN_PASSPHRASE). */
  passphrase?: string;
  /** An existing `npm pack` archive of airgap; default: npm pack this installation. */
  toolPackage?: string;
  /** SOURCE_DATE_EPOCH is read from here. */
  env: Record<string, string | undefined>;
  /** The working directory (the command's process.cwd()). */
  cwd: string;
  /** Where `npm pack` runs when no toolPackage is given (the command hands in the OS temp dir). */
  tempDir: string;
  /** --base: pack a delta that carries only what this previous bundle lacks (delta-base.ts). */
  base?: BaseOptions;
}

/** The `--json` summary of `airgap export`. */
export interface ExportResult {
  schemaVersion: 1;
  bundleDir: string;
  tarball: string;
  compress: Compression;
  /** The files written: [tarball] unsplit, else FILE.000, FILE.001, ... with their sizes. */
  parts: { path: string; size: number }[];
  /** Bytes of the whole (compressed, when compressed) tarball: the parts together. */
  bytes: number;
  /** sha256 of those bytes: what `cat FILE.* | sha256sum` prints. */
  sha256: string;
  /** Regular files in the tarball, SHA256SUMS, its signature, airgap.json and the tool archive included. */
  files: number;
  /** Upper-hex fingerprint of the signing key, or null when unsigned. */
  signedBy: string | null;
  toolPackage: FileRef & { version: string };
  /** The mtime of every entry (RFC 3339). */
  mtime: string;
  /** For an s3:// tarball: what was sent, resumed or found already there. */
  upload?: S3UploadSummary;
  /** With --base: the base and what was left to it. */
  delta?: DeltaSummary;
}

function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

async function checkInputs(
  options: ExportOptions,
  bundleDir: string,
  tarball: string | undefined,
): Promise<void> {
  if (options.compress !== 'none' && options.compress !== 'gzip') {
    throw new AirgapError('USAGE', `--compress must be none or gzip, found "${String(options.compress)}"`, {
      expected: 'none | gzip',
      actual: String(options.compress),
    });
  }
  if (
    options.splitSize !== undefined &&
    (!Number.isSafeInteger(options.splitSize) || options.splitSize < 1)
  ) {
    throw new AirgapError(
      'USAGE',
      `--split-size must be a positive whole number of bytes, found ${options.splitSize}`,
      {
        expected: 'a positive byte count',
        actual: String(options.splitSize),
      },
    );
  }
  const st = await fs.stat(bundleDir).catch(() => undefined);
  if (st === undefined || !st.isDirectory()) {
    throw new AirgapError(
      st === undefined ? 'INPUT_NOT_FOUND' : 'USAGE',
      st === undefined
        ? `bundle directory ${bundleDir} does not exist`
        : `${bundleDir} is a file, not a bundle directory`,
      {
        path: bundleDir,
        expected: 'a directory written by airgap mirror --out',
        actual: st === undefined ? 'missing' : 'a file',
      },
      'pass the directory `airgap mirror --out DIR` wrote',
    );
  }
  if (tarball === undefined) return;
  const target = await fs.stat(tarball).catch(() => undefined);
  if (target?.isDirectory() === true) {
    throw new AirgapError(
      'USAGE',
      `--tarball ${tarball} is a directory; name the file to write, e.g. ${path.join(tarball, 'airgap-bundle.tar')}`,
      { path: tarball, expected: 'a file path', actual: 'a directory' },
    );
  }
  if (isInside(bundleDir, tarball)) {
    throw new AirgapError(
      'USAGE',
      `--tarball ${tarball} is inside the bundle directory ${bundleDir}; write it elsewhere`,
      {
        path: tarball,
        expected: 'a path outside the bundle directory',
        actual: tarball,
      },
    );
  }
}

async function readManifestText(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new AirgapError(
        'INPUT_NOT_FOUND',
        `${file} does not exist: ${path.dirname(file)} is not a bundle directory (write one with airgap mirror --out)`,
        { path: file, expected: 'airgap.json', actual: 'missing' },
      );
    }
    throw new AirgapError('FS_ERROR', `cannot read ${file}: ${(e as Error).message}`, {
      path: file,
      cause: e,
    });
  }
}

async function readSigner(options: ExportOptions): Promise<SigningKey | undefined> {
  if (options.signKeyFile === undefined) return undefined;
  let material: Uint8Array;
  try {
    material = await fs.readFile(options.signKeyFile);
  } catch (e) {
    throw new AirgapError(
      'INPUT_NOT_FOUND',
      `cannot read --sign-key ${options.signKeyFile}: ${(e as Error).message}`,
      {
        path: options.signKeyFile,
        cause: e,
      },
    );
  }
  return readSigningKey(material, options.signKeyFile, options.passphrase);
}

function toStreamEntries(
  entries: PackEntry[],
  bundleDir: string,
  toolFile: string,
  mtime: Date,
): PackStreamEntry[] {
  return entries.map((e): PackStreamEntry => {
    if (e.type === 'directory')
      return { name: e.name, type: 'directory', mode: e.mode, size: 0, mtime, pack: e };
    const c = e.content;
    const source =
      c.from === 'bytes'
        ? { bytes: c.bytes }
        : { file: c.from === 'tool' ? toolFile : path.join(bundleDir, ...c.path.split('/')) };
    return { name: e.name, type: 'file', mode: e.mode, size: e.size, mtime, source, pack: e };
  });
}

export async function exportBundle(options: ExportOptions, reporter: Reporter): Promise<ExportResult> {
  const bundleDir = path.resolve(options.cwd, options.bundleDir);
  const s3Target = isS3Url(options.tarball) ? parseS3Url(options.tarball, '--tarball') : undefined;
  const tarball = s3Target === undefined ? path.resolve(options.cwd, options.tarball) : options.tarball;
  await checkInputs(options, bundleDir, s3Target === undefined ? tarball : undefined);
  const mtime = packMtime(options.env);
  const manifestFile = path.join(bundleDir, BUNDLE.manifest);
  const own = parseManifest(await readManifestText(manifestFile), manifestFile);
  const base =
    options.base === undefined ? undefined : await readDeltaBase(options.base, options.cwd, reporter);
  // The key (and its passphrase) is checked before anything slow runs.
  const signer = await readSigner(options);
  const found = await listBundleDir(bundleDir);

  let packDir: string | undefined;
  try {
    let toolFile = options.toolPackage;
    if (toolFile === undefined) {
      packDir = await fs.mkdtemp(path.join(options.tempDir, `${TEMP_PREFIX}npm-pack-`));
      reporter.info('packing the airgap tool with npm pack (runtime dependencies bundled)');
      toolFile = await npmPackTool(findPackageRoot(), packDir);
    }
    // The S3 upload path (and the AWS SDK, ~23 MB resident) is loaded only when the
    // tarball goes to S3, starting before the tool package is read (its reads overlap
    // the inflating, which runs on this thread).
    const s3Upload = s3Target === undefined ? undefined : import('./export-s3.js');
    s3Upload?.catch(() => undefined);
    const tool = await inspectToolPackage(path.resolve(options.cwd, toolFile));
    const toolRef = { path: toolPackagePath(tool.version), size: tool.size, sha256: tool.sha256 };
    const delta = base === undefined ? undefined : deltaAgainstBase(own, base, toolRef, reporter);
    const manifest = delta?.manifest ?? own;

    const plan = planPack({ manifest, manifestFile, found, tool: toolRef });
    for (const p of plan.ignored) {
      if (!p.split('/').some((s) => s.startsWith(TEMP_PREFIX)))
        reporter.info(`not packed from the directory (the tarball makes its own): ${p}`);
    }
    const signature =
      signer === undefined
        ? undefined
        : await signChecksums(
            plan.checksums,
            signer,
            signatureTime(signer, creationTime(options.env)),
            BUNDLE.checksums,
          );
    const entries = toStreamEntries(packEntries(plan, signature), bundleDir, tool.file, mtime);
    const files = entries.filter((e) => e.type === 'file').length;
    const tarBytes = tarArchiveSize(entries);
    if (options.splitSize !== undefined && options.compress === 'none') {
      checkPartCount(tarBytes, options.splitSize, tarball);
    }
    reporter.info(`packing ${files} files (${(tarBytes / 1e6).toFixed(1)} MB of tar) into ${tarball}`);
    // In the order --json has always printed.
    const result = (out: { parts: ExportResult['parts']; bytes: number; sha256: string }): ExportResult => ({
      schemaVersion: 1,
      bundleDir,
      tarball,
      compress: options.compress,
      parts: out.parts,
      bytes: out.bytes,
      sha256: out.sha256,
      files,
      signedBy: signer?.fingerprint ?? null,
      toolPackage: { ...toolRef, version: tool.version },
      mtime: mtime.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      ...(delta === undefined ? {} : { delta: delta.summary }),
    });
    if (s3Target !== undefined && s3Upload !== undefined) {
      const { uploadTarball } = await s3Upload;
      const up = await uploadTarball({
        entries,
        compress: options.compress,
        ...(options.splitSize === undefined ? {} : { splitSize: options.splitSize }),
        manifestFile,
        location: s3Target,
        access: options.s3 ?? { env: options.env, caCertFiles: [] },
        resume: options.s3AbortIncomplete !== true,
        tarBytes,
        reporter,
      });
      return { ...result(up), upload: up.upload };
    }

    const writer = new SplitWriter({
      target: tarball,
      ...(options.splitSize === undefined ? {} : { splitSize: options.splitSize }),
    });
    let out;
    let sha256: string;
    try {
      let done = 0;
      const label = `packing ${path.basename(tarball)}`;
      reporter.progress?.({ phase: 'task', label, done, total: tarBytes });
      sha256 = await writeTarball(entries, writer, options.compress, manifestFile, (n) => {
        done += n;
        reporter.progress?.({ phase: 'task', label, done, total: tarBytes });
      });
      out = await writer.commit();
    } catch (e) {
      await writer.abort();
      throw e;
    }
    return result({ ...out, sha256 });
  } finally {
    if (packDir !== undefined) await fs.rm(packDir, { recursive: true, force: true });
  }
}

/**
 * SOURCE_DATE_EPOCH is often a commit time that predates the signing key; a signature
 * cannot be older than its key (docs/SIGNATURE-POLICY.md), so it takes the later of the
 * two. Still a pure function of the inputs: the same key and epoch give the same bytes.
 */
function signatureTime(signer: SigningKey, wanted: Date): Date {
  const created = signer.key.getCreationTime();
  return wanted.getTime() < created.getTime() ? created : wanted;
}
