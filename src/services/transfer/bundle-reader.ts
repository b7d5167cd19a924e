// Reading a transfer bundle safely (docs/TRANSFER-FORMAT.md): a tarball (plain or
// gzip), its split parts, or an extracted bundle directory, in one streaming pass.
//
// The order of trust: SHA256SUMS.sig over SHA256SUMS first, then SHA256SUMS, then
// airgap.json against its SHA256SUMS line and every file reference in it against
// SHA256SUMS; only then is any payload handed to the caller, and each payload is
// hashed as it passes. Whatever is visible from headers and metadata (unsafe
// entries, order, unlisted files, sizes, manifest disagreements, the signature) is
// refused before the sink sees a byte; a digest mismatch is refused after the sink
// returns (the caller stages, then discards); a listed file that never came, at the
// end.
//
// `readVerifiedBundle` (airgap import) throws at the first problem. `scanBundle`
// (airgap verify) can instead collect the problems that leave the archive readable
// and go on, so one run reports all of them.

import { Buffer } from 'node:buffer';
import { constants as fsConstants, createReadStream, openSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createHash } from 'node:crypto';

import { localArchiveStore, type ArchiveStore } from '../../adapters/archive/parts.js';
import type { S3AccessOptions } from '../../adapters/s3/client.js';
import { isS3Url } from '../../core/s3/url.js';
import { isGzip, readTarEntries, streamChunks, tarStream } from '../../adapters/archive/tar-read.js';
import { walkTree } from '../../adapters/fs/walk.js';
import { BLOCK, isZero, parseHeader } from '../../adapters/archive/tar-header.js';
import { parseManifest, type BundleManifest, type FileRef } from '../../core/bundle/manifest.js';
import { parseSha256Sums } from '../../core/checksums/sha256sums.js';
import { compareStrings } from '../../core/compare.js';
import { AirgapError, AirgapErrors, isAirgapError, type ErrorCode } from '../../core/errors.js';
import { BUNDLE } from '../../core/layout/names.js';
import type { Reporter } from '../../core/ports.js';
import {
  mergePublicKeySets,
  readPublicKeys,
  verifyDetachedSignature,
  type PublicKeySet,
  type SignatureCheck,
} from '../../core/signature/index.js';
import {
  checkEntry,
  createPathTracker,
  TRANSFER_EXTENDED_HEADERS,
  type EntryHeader,
  type EntryKind,
} from '../../core/transfer/entry-policy.js';
import {
  checkSumsNames,
  crossCheckManifest,
  metadataStep,
  payloadRefs,
  type ReadPhase,
} from '../../core/transfer/read-manifest.js';

export interface BundleReadOptions {
  /** A tarball (plain or gzip, detected by magic), its first split part FILE.000, or a directory holding an extracted bundle. */
  source: string;
  /** Armored or binary public keys (--trusted-key). */
  trustedKeyFiles: string[];
  /** Without it, a missing/invalid SHA256SUMS.sig is fatal. */
  insecureSkipSignature: boolean;
  /**
   * Called once per regular payload file, in stream order, AFTER the signature, SHA256SUMS and
   * airgap.json were verified and cross-checked. It must consume `body` fully (e.g. pipe to a
   * staging file). The reader hashes the same bytes as they pass and throws CHECKSUM_MISMATCH
   * (naming the entry) after the sink returns if they differ.
   */
  sink?: (
    entry: { path: string; size: number; expectedSha256: string },
    body: NodeJS.ReadableStream,
  ) => Promise<void>;
  /** The progress bar's word for this read, before the source's name; default "reading". */
  progressVerb?: string;
  /** How to reach S3, for an s3://BUCKET/KEY source (docs/S3.md). */
  s3?: S3AccessOptions;
}

export interface VerifiedBundle {
  /** As packed (may carry toolPackage). */
  manifest: BundleManifest;
  sums: Map<string, string>;
  /** sha256 of the SHA256SUMS bytes: the bundle's identity (same content -> same digest). */
  bundleDigest: string;
  /** Undefined only with insecureSkipSignature. */
  signature?: SignatureCheck;
  files: { path: string; size: number; sha256: string }[];
}

export async function readVerifiedBundle(
  options: BundleReadOptions & Pick<BundleScanOptions, 'onManifest'>,
  reporter: Reporter,
): Promise<VerifiedBundle> {
  const scan = await scanBundle(options, reporter);
  return {
    manifest: scan.manifest,
    sums: scan.sums,
    // A strict scan of a packed source always has it; an unpacked directory was refused.
    bundleDigest: scan.bundleDigest ?? '',
    ...(scan.signature === undefined ? {} : { signature: scan.signature }),
    files: scan.files,
  };
}

export type BundleIssueCheck = 'signature' | 'manifest' | 'file' | 'extra';

/** A problem that leaves the archive readable, found in collect mode. */
export interface BundleIssue {
  check: BundleIssueCheck;
  /** The bundle path (or SHA256SUMS.sig) concerned. */
  subject: string;
  /** 'warning' only for files present in a directory but listed nowhere. */
  status: 'failed' | 'warning';
  error: AirgapError;
}

export interface ScannedFile {
  path: string;
  size: number;
  /** Lower-case hex, of the bytes as read. */
  sha256: string;
}

/** What a collect-mode scan found so far: still there when a later problem stops the reading. */
export interface BundleCollector {
  issues: BundleIssue[];
  files: ScannedFile[];
  packed?: boolean;
  bundleDigest?: string;
  signature?: SignatureCheck;
}

export interface BundleScanOptions extends BundleReadOptions {
  /**
   * Record problems here and go on reading where the archive is still readable,
   * instead of throwing the first. Unsafe entries, a broken order, truncation and
   * unreadable metadata still throw. Files are appended to `files` as they are read.
   */
  collect?: BundleCollector;
  /** Accept a directory without SHA256SUMS (an `airgap mirror` output), checked against airgap.json alone. */
  allowUnpacked?: boolean;
  /** Told the manifest once it was read and checked, before the first payload. */
  onManifest?: (manifest: BundleManifest) => void | Promise<void>;
}

export interface BundleScan {
  source: 'tarball' | 'directory';
  /** The files read: [tarball], every split part, or [directory]. */
  parts: string[];
  gzip: boolean;
  /** False for a directory without SHA256SUMS (allowUnpacked). */
  packed: boolean;
  manifest: BundleManifest;
  /** SHA256SUMS as read; for an unpacked directory, airgap.json's digests. */
  sums: Map<string, string>;
  bundleDigest?: string;
  signature?: SignatureCheck;
  /** Whether SHA256SUMS.sig was present. */
  signed: boolean;
  /** Every regular payload file read and listed, in stream order. */
  files: ScannedFile[];
}

/**
 * SHA256SUMS.sig, SHA256SUMS and airgap.json are read into memory: bound them. A detached
 * signature is a few hundred bytes per signer; every byte of it is work before the
 * signature's verdict.
 */
const METADATA_LIMIT: Record<'signature' | 'sums' | 'manifest', number> = {
  signature: 64 << 10,
  sums: 64 << 20,
  manifest: 64 << 20,
};

interface SourceEntry {
  header: EntryHeader;
  /** The entry's data; call at most once. Not calling it skips the data. */
  body(): Readable;
}

interface OpenedSource {
  kind: 'tarball' | 'directory';
  label: string;
  parts: string[];
  gzip: boolean;
  packed: boolean;
  entries: AsyncIterable<SourceEntry>;
  /** Bytes the whole read takes from disk: the parts' sizes, or the directory's files'. */
  size: number;
  close(): void;
}

export async function scanBundle(options: BundleScanOptions, reporter: Reporter): Promise<BundleScan> {
  const keys = await loadTrustedKeys(options.trustedKeyFiles);
  // Progress counts the bytes read from disk (compressed ones for a gzip tarball) against their total.
  const label = `${options.progressVerb ?? 'reading'} ${path.basename(options.source)}`;
  let done = 0;
  let total = 0;
  const src = await openSource(
    options.source,
    options.allowUnpacked === true,
    (n) => {
      done += n;
      reporter.progress?.({ phase: 'task', label, done, total });
    },
    options.s3,
  );
  total = src.size;
  reporter.progress?.({ phase: 'task', label, done, total });
  try {
    if (src.packed && keys === undefined && !options.insecureSkipSignature) {
      throw new AirgapError(
        'USAGE',
        `no --trusted-key given to check ${src.label}: pass the public key that signed the bundle (--trusted-key FILE), or --insecure-skip-signature`,
        { path: src.label, expected: '--trusted-key FILE', actual: 'none' },
        'pass --trusted-key FILE, the public key of whoever ran `airgap export --sign-key`',
      );
    }
    return await new BundleScanner(src, options, keys, reporter).run();
  } catch (e) {
    const parts = src.parts;
    if (
      parts.length > 1 &&
      isAirgapError(e) &&
      e.code === 'ARCHIVE_INVALID' &&
      e.message.includes(' is truncated')
    ) {
      e.message += ` (split into ${parts.length} parts up to ${path.basename(parts[parts.length - 1]!)}: is a later part missing?)`;
    }
    throw withReadRemedy(e, src);
  } finally {
    src.close();
  }
}

/**
 * What to do about a bundle that failed a check, for the commands that read one (import,
 * verify): errors raised below this reader (the tar reader, the entry policy, the
 * signature check) cannot know they are about a transfer, so the remedy is added here.
 */
function readRemedy(code: ErrorCode, src: Pick<OpenedSource, 'kind' | 'parts'>): string | undefined {
  const copyAgain =
    src.kind === 'directory'
      ? 'extract or copy the bundle directory again from the transfer tarball'
      : src.parts.length > 1
        ? 'copy it again from the export side, every FILE.NNN part'
        : 'copy it again from the export side';
  switch (code) {
    case 'ARCHIVE_INVALID':
    case 'ARCHIVE_ENTRY_UNSAFE':
    case 'BUNDLE_FILE_MISSING':
    case 'MANIFEST_MISMATCH':
    case 'CHECKSUMS_INVALID':
    case 'CHECKSUM_MISMATCH':
    case 'CHECKSUM_MISSING':
      return `the bundle is damaged or was altered after it was signed: do not use it; ${copyAgain}`;
    case 'MANIFEST_INVALID':
      // Read after its digest matched SHA256SUMS: most likely written by another airgap version.
      return "this airgap cannot read the bundle's airgap.json: use the airgap the bundle carries (npm install -g ./tool/airgap-*.tgz from the extracted tarball), or rebuild the bundle with this version";
    case 'SIGNATURE_INVALID':
      return 'nothing a --trusted-key vouches for signed this bundle: do not use it; check that --trusted-key is the public key of whoever ran `airgap export --sign-key`';
    case 'SIGNATURE_MISSING':
      return 'sign the bundle (`airgap export --sign-key`), or pass --insecure-skip-signature to accept it unsigned';
    default:
      return undefined;
  }
}

function withReadRemedy(e: unknown, src: Pick<OpenedSource, 'kind' | 'parts'>): unknown {
  if (!isAirgapError(e)) return e;
  if (e instanceof AirgapErrors) {
    const errors = e.errors.map((x) => withReadRemedy(x, src) as AirgapError);
    return errors.every((x, i) => x === e.errors[i]) ? e : new AirgapErrors(errors);
  }
  if (e.remedy !== undefined) return e;
  const remedy = readRemedy(e.code, src);
  return remedy === undefined ? e : e.withRemedy(remedy);
}

class BundleScanner {
  private phase: ReadPhase;
  private readonly tracker = createPathTracker();
  private readonly files: ScannedFile[];
  private readonly seen = new Set<string>();
  private sums = new Map<string, string>();
  private refs = new Map<string, FileRef>();
  private manifest: BundleManifest | undefined;
  private bundleDigest: string | undefined;
  private signature: SignatureCheck | undefined;
  private sigBytes: Buffer | undefined;

  constructor(
    private readonly src: OpenedSource,
    private readonly options: BundleScanOptions,
    private readonly keys: PublicKeySet | undefined,
    private readonly reporter: Reporter,
  ) {
    this.phase = src.packed ? 'first' : 'manifest';
    if (options.collect !== undefined) options.collect.packed = src.packed;
    this.files = options.collect?.files ?? [];
  }

  async run(): Promise<BundleScan> {
    const label = this.src.label;
    for await (const entry of this.src.entries) {
      const checked = checkEntry(entry.header, label);
      this.tracker.add(checked, label);
      if (this.phase !== 'payload') {
        const { role, next } = metadataStep(this.phase, checked.path, checked.kind, label);
        const bytes = await readAll(entry.body(), checked.size, METADATA_LIMIT[role], label, checked.path);
        this.phase = next;
        if (role === 'signature') this.sigBytes = bytes;
        else if (role === 'sums') await this.onSums(bytes);
        else await this.onManifest(bytes);
        continue;
      }
      if (checked.kind === 'directory') continue;
      await this.onPayload(checked.path, checked.size, entry);
    }
    if (this.phase !== 'payload' || this.manifest === undefined) {
      const expected =
        this.phase === 'first'
          ? BUNDLE.checksums
          : this.phase === 'sums'
            ? BUNDLE.checksums
            : BUNDLE.manifest;
      throw this.src.kind === 'directory'
        ? new AirgapError('BUNDLE_FILE_MISSING', `${label} has no ${expected}`, {
            path: path.join(label, expected),
            expected,
            actual: 'no such file',
          })
        : new AirgapError('ARCHIVE_INVALID', `${label} ends before ${expected}`, {
            path: label,
            expected,
            actual: 'end of archive',
          });
    }
    this.checkMissing();
    return {
      source: this.src.kind,
      parts: this.src.parts,
      gzip: this.src.gzip,
      packed: this.src.packed,
      manifest: this.manifest,
      sums: this.sums,
      ...(this.bundleDigest === undefined ? {} : { bundleDigest: this.bundleDigest }),
      ...(this.signature === undefined ? {} : { signature: this.signature }),
      signed: this.sigBytes !== undefined,
      files: this.files,
    };
  }

  /** Collect mode records; strict mode throws (warnings go to the reporter). */
  private issue(
    check: BundleIssueCheck,
    subject: string,
    error: AirgapError,
    status: 'failed' | 'warning' = 'failed',
  ): void {
    const collect = this.options.collect;
    if (collect !== undefined) {
      collect.issues.push({ check, subject, status, error });
      return;
    }
    if (status === 'warning') this.reporter.warn(error.message);
    else throw error;
  }

  private async onSums(bytes: Buffer): Promise<void> {
    const label = this.src.label;
    this.bundleDigest = createHash('sha256').update(bytes).digest('hex');
    if (this.options.collect !== undefined) this.options.collect.bundleDigest = this.bundleDigest;
    await this.checkSignature(bytes);
    const sumsName = `${label}: ${BUNDLE.checksums}`;
    this.sums = parseSha256Sums(bytes.toString('utf8'), sumsName);
    checkSumsNames(this.sums, sumsName);
  }

  private async checkSignature(sums: Buffer): Promise<void> {
    const label = this.src.label;
    const insecure = this.options.insecureSkipSignature;
    if (this.sigBytes === undefined) {
      const err = new AirgapError(
        'SIGNATURE_MISSING',
        `${label} has no ${BUNDLE.checksumsSignature}: the bundle is unsigned, so nothing vouches for ${BUNDLE.checksums}`,
        {
          path: label,
          expected: `${BUNDLE.checksumsSignature} before ${BUNDLE.checksums}`,
          actual: 'no signature',
        },
      );
      if (insecure && this.options.collect === undefined) {
        this.reporter.warn(`${err.message} (accepted: --insecure-skip-signature)`);
      } else this.issue('signature', BUNDLE.checksumsSignature, err);
      return;
    }
    if (this.keys === undefined) {
      if (this.options.collect !== undefined) return; // the caller reports it as not checked
      this.reporter.warn(
        `${label}: ${BUNDLE.checksumsSignature} was not checked (no --trusted-key; --insecure-skip-signature)`,
      );
      return;
    }
    try {
      this.signature = await verifyDetachedSignature({
        data: sums,
        signature: this.sigBytes,
        keys: this.keys,
        subject: `${label}: ${BUNDLE.checksums}`,
      });
      if (this.options.collect !== undefined) this.options.collect.signature = this.signature;
    } catch (e) {
      if (!isAirgapError(e)) throw e;
      if (insecure && this.options.collect === undefined) {
        this.reporter.warn(`${e.message} (accepted: --insecure-skip-signature)`);
      } else this.issue('signature', BUNDLE.checksumsSignature, e);
    }
  }

  private async onManifest(bytes: Buffer): Promise<void> {
    const label = this.src.label;
    const problems: AirgapError[] = [];
    if (this.src.packed) {
      const actual = createHash('sha256').update(bytes).digest('hex');
      const listed = this.sums.get(BUNDLE.manifest);
      if (listed === undefined) {
        problems.push(
          new AirgapError(
            'CHECKSUM_MISSING',
            `${label}: ${BUNDLE.checksums} has no line for ${BUNDLE.manifest}`,
            {
              path: BUNDLE.manifest,
              address: label,
              expected: `a line for ${BUNDLE.manifest}`,
              actual: 'no line',
            },
          ),
        );
      } else if (listed !== actual) {
        problems.push(
          new AirgapError(
            'CHECKSUM_MISMATCH',
            `${label}: ${BUNDLE.manifest} has sha256 ${actual}, but ${BUNDLE.checksums} lists ${listed}`,
            { path: BUNDLE.manifest, address: label, expected: listed, actual },
          ),
        );
      }
    }
    if (problems.length > 0) {
      // Not the airgap.json SHA256SUMS lists: say so, rather than what parsing the damage finds.
      if (this.options.collect === undefined) throw problems[0]!;
      for (const p of problems.splice(0)) this.issue('manifest', p.details.path ?? BUNDLE.manifest, p);
    }
    const manifest = parseManifest(bytes.toString('utf8'), `${label}: ${BUNDLE.manifest}`);
    const { refs, issues } = payloadRefs(manifest, `${label}: ${BUNDLE.manifest}`);
    if (!this.src.packed) {
      this.sums = new Map([...refs.values()].map((r) => [r.path, r.sha256]));
    }
    problems.push(
      ...issues,
      ...crossCheckManifest(refs, this.sums, { manifest: BUNDLE.manifest, sums: BUNDLE.checksums }).map(
        (e) => {
          e.message = `${label}: ${e.message}`;
          return e;
        },
      ),
    );
    this.manifest = manifest;
    this.refs = refs;
    if (this.options.collect === undefined && problems.length > 0) {
      throw problems.length === 1 ? problems[0]! : new AirgapErrors(problems);
    }
    for (const p of problems) this.issue('manifest', p.details.path ?? BUNDLE.manifest, p);
    await this.options.onManifest?.(manifest);
  }

  private async onPayload(entryPath: string, size: number, entry: SourceEntry): Promise<void> {
    const label = this.src.label;
    const expected = this.sums.get(entryPath);
    if (expected === undefined || entryPath === BUNDLE.manifest) {
      const listedIn = this.src.packed ? BUNDLE.checksums : BUNDLE.manifest;
      const err = new AirgapError(
        'CHECKSUM_MISSING',
        `${label}: ${entryPath} is not listed in ${listedIn}; an unlisted file is not trusted`,
        {
          path: entryPath,
          address: label,
          expected: `a line for ${entryPath} in ${listedIn}`,
          actual: 'not listed',
        },
      );
      // In a directory, stray files (an editor's backup, lost+found) are reported, not fatal to verify.
      const status =
        this.src.kind === 'directory' && this.options.collect !== undefined ? 'warning' : 'failed';
      this.issue(status === 'warning' ? 'extra' : 'file', entryPath, err, status);
      return;
    }
    const ref = this.refs.get(entryPath);
    if (ref !== undefined && ref.size !== size) {
      this.issue(
        'file',
        entryPath,
        new AirgapError(
          'CHECKSUM_MISMATCH',
          `${label}: ${entryPath} is ${size} bytes, but ${BUNDLE.manifest} lists ${ref.size} bytes`,
          { path: entryPath, address: label, expected: `${ref.size} bytes`, actual: `${size} bytes` },
        ),
      );
      return;
    }
    const digest = await hashThrough(entry.body(), this.options.sink, {
      path: entryPath,
      size,
      expectedSha256: expected,
    });
    this.seen.add(entryPath);
    this.files.push({ path: entryPath, size: digest.size, sha256: digest.sha256 });
    if (digest.size !== size) {
      this.issue(
        'file',
        entryPath,
        new AirgapError(
          'CHECKSUM_MISMATCH',
          `${label}: ${entryPath} gave ${digest.size} bytes, but its header says ${size} (changed while read?)`,
          { path: entryPath, address: label, expected: `${size} bytes`, actual: `${digest.size} bytes` },
        ),
      );
    } else if (digest.sha256 !== expected) {
      this.issue(
        'file',
        entryPath,
        new AirgapError(
          'CHECKSUM_MISMATCH',
          `${label}: ${entryPath} has sha256 ${digest.sha256}, but ${this.src.packed ? BUNDLE.checksums : BUNDLE.manifest} lists ${expected}`,
          { path: entryPath, address: label, expected, actual: digest.sha256 },
        ),
      );
    }
  }

  private checkMissing(): void {
    const label = this.src.label;
    const missing = [...this.sums.keys()]
      .filter((p) => p !== BUNDLE.manifest && !this.seen.has(p))
      .sort(compareStrings);
    const listedIn = this.src.packed ? BUNDLE.checksums : BUNDLE.manifest;
    const errors = missing
      // A file that came but failed a check is reported as that, not as missing too.
      .filter((p) => !this.tracker.has(p))
      .map(
        (p) =>
          new AirgapError(
            'BUNDLE_FILE_MISSING',
            `${label}: ${p} is listed in ${listedIn} but is not in the bundle`,
            {
              path: p,
              address: label,
              expected: p,
              actual: 'absent',
            },
          ),
      );
    if (this.options.collect === undefined && errors.length > 0) {
      throw errors.length === 1 ? errors[0]! : new AirgapErrors(errors);
    }
    for (const e of errors) this.issue('file', e.details.path!, e);
  }
}

/** Streams `body` through sha256 into the sink (or nowhere), to its end. */
async function hashThrough(
  body: Readable,
  sink: BundleReadOptions['sink'],
  info: { path: string; size: number; expectedSha256: string },
): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  if (sink === undefined) {
    for await (const chunk of streamChunks(body)) {
      hash.update(chunk);
      size += chunk.length;
    }
    return { sha256: hash.digest('hex'), size };
  }
  const tap = new Transform({
    highWaterMark: 256 << 10,
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  body.on('error', (e) => tap.destroy(e));
  body.pipe(tap);
  try {
    await sink(info, tap);
    // A sink that stopped early still gets its bytes checked: the rest is read and hashed here.
    if (!tap.readableEnded) tap.resume();
    await finished(tap);
  } catch (e) {
    body.destroy();
    tap.destroy();
    throw e;
  }
  return { sha256: hash.digest('hex'), size };
}

async function readAll(
  body: Readable,
  size: number,
  limit: number,
  label: string,
  name: string,
): Promise<Buffer> {
  if (size > limit) {
    throw new AirgapError(
      'ARCHIVE_INVALID',
      `${label}: ${name} is ${size} bytes, more than the ${limit} bytes it may have`,
      {
        path: name,
        address: label,
        expected: `at most ${limit} bytes`,
        actual: `${size} bytes`,
      },
    );
  }
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const TRUSTED_KEY_REMEDY =
  'pass --trusted-key the public key of whoever signed the bundle, e.g. from `gpg --export --armor KEYID > signer.asc`';

export async function loadTrustedKeys(files: readonly string[]): Promise<PublicKeySet | undefined> {
  if (files.length === 0) return undefined;
  const sets: PublicKeySet[] = [];
  for (const file of files) {
    let material: Buffer;
    try {
      material = await fs.readFile(file);
    } catch (e) {
      const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
      throw new AirgapError(
        missing ? 'INPUT_NOT_FOUND' : 'FS_ERROR',
        `--trusted-key ${file}: ${missing ? 'no such file' : (e as Error).message}`,
        { path: file, cause: e },
        TRUSTED_KEY_REMEDY,
      );
    }
    try {
      sets.push(await readPublicKeys(material, `--trusted-key ${file}`));
    } catch (e) {
      throw isAirgapError(e) && e.remedy === undefined ? e.withRemedy(TRUSTED_KEY_REMEDY) : e;
    }
  }
  return mergePublicKeySets(...sets);
}

async function openSource(
  source: string,
  allowUnpacked: boolean,
  onRead: (bytes: number) => void,
  s3: S3AccessOptions | undefined,
): Promise<OpenedSource> {
  if (isS3Url(source)) {
    // Loaded only for an s3:// source: the AWS SDK takes longer to load than a local
    // import of a few hundred MB takes to read.
    const { s3ArchiveStore } = await import('../../adapters/s3/archive-store.js');
    const store = s3ArchiveStore(s3 ?? { env: {}, caCertFiles: [] });
    try {
      return await openTarball(source, onRead, store);
    } catch (e) {
      await store.close();
      throw e;
    }
  }
  let st;
  try {
    st = await fs.stat(source);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new AirgapError('FS_ERROR', `cannot read ${source}: ${(e as Error).message}`, {
        path: source,
        cause: e,
      });
    }
    st = undefined;
  }
  if (st?.isDirectory() === true) return openDirectory(source, allowUnpacked, onRead);
  return openTarball(source, onRead, localArchiveStore);
}

async function openTarball(
  source: string,
  onRead: (bytes: number) => void,
  store: ArchiveStore,
): Promise<OpenedSource> {
  await store.refuseLaterPart(source);
  const { parts, size } = await store.resolve(source);
  const magic = await store.peek(parts[0]!, 8);
  if (magic.length === 0) {
    throw new AirgapError(
      'ARCHIVE_INVALID',
      `${source} is empty`,
      { path: source, expected: 'a tar archive', actual: '0 bytes' },
      readRemedy('ARCHIVE_INVALID', { kind: 'tarball', parts }),
    );
  }
  const gzip = isGzip(magic);
  const raw = store.open(parts, onRead);
  const stream = tarStream(raw, gzip);
  async function* entries(): AsyncGenerator<SourceEntry> {
    const read = readTarEntries(stream, source, {
      extendedHeaders: TRANSFER_EXTENDED_HEADERS,
      checkFirstBlock: (first) => refuseNonTar(source, first, gzip),
    });
    for await (const e of read) yield { header: e, body: () => e.body };
  }
  return {
    kind: 'tarball',
    label: source,
    parts,
    gzip,
    packed: true,
    entries: entries(),
    size,
    close() {
      stream.destroy();
      raw.destroy();
      store.close().catch(() => undefined);
    },
  };
}

async function* counted(
  source: AsyncIterable<unknown>,
  onRead: (bytes: number) => void,
): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    onRead((chunk as Buffer).length);
    yield chunk as Buffer;
  }
}

/** Known formats by their first bytes, to say what a file is when it is not a tar. */
const MAGIC: [Buffer, string][] = [
  [Buffer.from('PK\x03\x04', 'latin1'), 'a zip archive'],
  [Buffer.from('BZh', 'latin1'), 'bzip2 data'],
  [Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), 'xz data'],
  [Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), 'zstd data'],
  [Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]), 'a 7-Zip archive'],
  [Buffer.from('-----BEGIN PGP', 'latin1'), 'an armored OpenPGP block'],
];

/**
 * Whether the archive's first block can begin a tar: a header with the ustar magic (a
 * damaged one is a damaged transfer, said by the tar reader), any header whose checksum
 * holds (old v7 tar), or the zero blocks of an empty archive. Anything else was never a
 * tar: a usage error (the wrong file given), not a damaged transfer.
 */
function refuseNonTar(source: string, first: Buffer, gzip: boolean): void {
  if (first.length >= 263 && first.subarray(257, 262).toString('latin1') === 'ustar') return;
  if (first.length === BLOCK) {
    if (isZero(first)) return;
    try {
      parseHeader(first, source, 0);
      return;
    } catch {
      // not a header: say what it is instead
    }
  }
  const what =
    MAGIC.find(([magic]) => first.subarray(0, magic.length).equals(magic))?.[1] ??
    (isText(first)
      ? `text (${JSON.stringify(first.subarray(0, 40).toString('utf8'))}…)`
      : `bytes ${first
          .subarray(0, 8)
          .toString('hex')
          .replace(/(..)(?!$)/g, '$1 ')}`);
  throw new AirgapError(
    'USAGE',
    gzip
      ? `${source} is gzip data, but what it holds is not a tar archive: it starts with ${what}`
      : `${source} is not a transfer archive: it is neither tar nor gzip, it starts with ${what}`,
    { path: source, expected: 'a tar archive (plain or gzip), as airgap export writes it', actual: what },
    'pass the tarball `airgap export --tarball` wrote (FILE, or FILE.000 when split), or a bundle directory',
  );
}

function isText(b: Buffer): boolean {
  const text = b.toString('utf8');
  return !text.includes('\uFFFD') && /^[\t\n\r\x20-\x7e\u00a0-\uffff]*$/.test(text);
}

interface Found {
  rel: string;
  kind: EntryKind;
  size: number;
}

async function openDirectory(
  root: string,
  allowUnpacked: boolean,
  onRead: (bytes: number) => void,
): Promise<OpenedSource> {
  const found: Found[] = [];
  // Policy 'report': a symlink is listed as one (and refused by the entry policy), never followed.
  for await (const e of walkTree(root, { symlinks: 'report', stats: true })) {
    found.push({ rel: e.rel, kind: e.kind, size: e.kind === 'file' ? e.stats!.size : 0 });
  }
  const byName = new Map(found.map((f) => [f.rel, f]));
  const packed = byName.get(BUNDLE.checksums)?.kind === 'file';
  if (!packed && !allowUnpacked) {
    throw new AirgapError(
      'BUNDLE_FILE_MISSING',
      `${root} has no ${BUNDLE.checksums}: it is not a packed bundle (an \`airgap mirror\` output is packed by \`airgap export\`)`,
      { path: path.join(root, BUNDLE.checksums), expected: BUNDLE.checksums, actual: 'no such file' },
      'pack it on the export side (`airgap export DIR --tarball FILE --sign-key KEY`) and pass that tarball',
    );
  }
  if (byName.get(BUNDLE.manifest)?.kind !== 'file') {
    throw new AirgapError(
      'BUNDLE_FILE_MISSING',
      `${root} has no ${BUNDLE.manifest}: it is not a bundle directory`,
      {
        path: path.join(root, BUNDLE.manifest),
        expected: BUNDLE.manifest,
        actual: 'no such file',
      },
      'pass a transfer tarball (FILE, or FILE.000 when split), or the directory it was extracted into',
    );
  }
  const metaNames: string[] = packed
    ? [BUNDLE.checksumsSignature, BUNDLE.checksums, BUNDLE.manifest]
    : [BUNDLE.manifest];
  const meta = metaNames.map((n) => byName.get(n)).filter((f): f is Found => f !== undefined);
  const rest = found
    .filter((f) => !meta.includes(f))
    .sort((a, b) => Buffer.compare(Buffer.from(a.rel, 'utf8'), Buffer.from(b.rel, 'utf8')));
  async function* entries(): AsyncGenerator<SourceEntry> {
    for (const f of [...meta, ...rest]) {
      yield {
        header: { headerName: f.rel, kind: f.kind, size: f.size },
        // O_NOFOLLOW: a file swapped for a symlink after the listing is not followed.
        body: () => Readable.from(counted(openNoFollow(root, f.rel), onRead), { objectMode: false }),
      };
    }
  }
  return {
    kind: 'directory',
    label: root,
    parts: [root],
    gzip: false,
    packed,
    entries: entries(),
    size: found.reduce((sum, f) => sum + f.size, 0),
    close() {},
  };
}

function openNoFollow(root: string, rel: string): Readable {
  const full = path.join(root, rel);
  let fd: number;
  try {
    fd = openSync(full, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
  } catch (e) {
    const link = (e as NodeJS.ErrnoException).code === 'ELOOP';
    throw new AirgapError(
      link ? 'ARCHIVE_ENTRY_UNSAFE' : 'FS_ERROR',
      link
        ? `${root}: ${rel} became a symbolic link while it was read`
        : `cannot read ${full}: ${(e as Error).message}`,
      { path: rel, address: root, cause: e },
    );
  }
  return createReadStream('', { fd, highWaterMark: 256 << 10 });
}
