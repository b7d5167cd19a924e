// `airgap verify TARGET`: every check a bundle can be put through, as report rows
// (docs/VERIFY-REPORT.md). TARGET is a transfer tarball (or FILE.000), a bundle
// directory (extracted, or straight from `airgap mirror`), or an import destination.
//
// Bundles are read once, streaming, by the same reader `airgap import` uses
// (src/services/transfer/bundle-reader.ts), in its collect mode, so one run reports
// every problem it can reach. Provider zips are read for their h1 on worker threads
// (provider-zips.ts: in place in a directory, spooled to a temp file from a tarball, as a
// zip needs random access); release SHA256SUMS and signatures, a few kB each, are kept
// in memory. Problems that make the archive unreadable end the reading and become one
// failed 'archive' row.

import type { S3AccessOptions } from '../../adapters/s3/client.js';
import { isS3Url } from '../../core/s3/url.js';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';

import type { BundleManifest, ManifestBinary } from '../../core/bundle/manifest.js';
import { parseSha256Sums } from '../../core/checksums/sha256sums.js';
import { carriedManifest } from '../../core/bundle/delta.js';
import { compareStrings } from '../../core/compare.js';
import { AirgapError, AirgapErrors, isAirgapError, type ErrorCode } from '../../core/errors.js';
import { BUNDLE, IMPORT, TEMP_PREFIX } from '../../core/layout/names.js';
import { parseLockFile } from '../../core/lockfile/index.js';
import type { Reporter } from '../../core/ports.js';
import { formatProviderAddress } from '../../core/provider/address.js';
import { readPublicKeys, verifyDetachedSignature, type PublicKeySet } from '../../core/signature/index.js';
import {
  binaryRows,
  deltaAgainstRows,
  deltaBaseRows,
  lockfileRows,
  moduleRows,
  providerRows,
  type LockNeed,
  type ReleaseSumsCheck,
  type ZipDigestResult,
} from '../../core/transfer/verify-checks.js';
import {
  buildVerifyReport,
  type CheckRow,
  type TargetKind,
  type VerifyReport,
} from '../../core/transfer/verify-report.js';
import { HASHICORP_RELEASE_KEY, loadPinnedKey, OPENTOFU_RELEASE_KEY } from '../../core/trust/pinned-keys.js';
import {
  scanBundle,
  type BundleCollector,
  type BundleIssue,
  type ScannedFile,
} from '../transfer/bundle-reader.js';
import { sbomRows } from '../../core/sbom/verify-rows.js';
import { TOOL_VERSION } from '../tool-version.js';
import { matchDeltaBase } from '../import/delta-base-check.js';
import { inspectDestination } from '../import/destination.js';
import { ProviderZipDigests } from './provider-zips.js';

export interface VerifyOptions {
  /** Relative to `cwd`; or s3://BUCKET/KEY. */
  target: string;
  /** How to reach S3, for an s3:// target. */
  s3?: S3AccessOptions;
  /** --trusted-key FILE: the keys that may sign a bundle's SHA256SUMS. */
  trustedKeyFiles: string[];
  insecureSkipSignature: boolean;
  /** Replace the pinned OpenTofu / HashiCorp release keys (an internal re-signing), as in mirror. */
  tofuKeyFile?: string;
  terraformKeyFile?: string;
  /** --lockfile: every provider, version and platform they need must be in the bundle. */
  lockfiles: string[];
  /** Where provider zips are spooled for their h1 (the command hands in the OS temp dir). */
  tempDir: string;
  /** The working directory (the command's process.cwd()). */
  cwd: string;
  /** --against DEST: an import destination that must hold a delta's base (read only). */
  against?: string;
}

/** Codes that mean "the bundle failed a check": a report row, exit 1. Anything else is thrown (usage, I/O). */
const VERIFICATION_CODES: readonly ErrorCode[] = [
  'ARCHIVE_INVALID',
  'ARCHIVE_ENTRY_UNSAFE',
  'BUNDLE_FILE_MISSING',
  'CHECKSUMS_INVALID',
  'CHECKSUM_MISSING',
  'CHECKSUM_MISMATCH',
  'MANIFEST_INVALID',
  'MANIFEST_MISMATCH',
  'SIGNATURE_INVALID',
  'SIGNATURE_MISSING',
  'ZIP_INVALID',
];

const MAX_RELEASE_METADATA = 1 << 20;
/** The SBOM is read whole to check it; larger than this, it is reported as not read. */
const MAX_SBOM_BYTES = 64 << 20;

export async function runVerify(options: VerifyOptions, reporter: Reporter): Promise<VerifyReport> {
  const remote = isS3Url(options.target);
  const target = remote ? options.target : path.resolve(options.cwd, options.target);
  const kind = remote ? 'tarball' : await targetKind(target);
  // Inputs that are the user's, not the bundle's, fail before any reading.
  const needs = await readLockNeeds(options.lockfiles);
  if (options.against !== undefined) {
    if (kind === 'import-destination') {
      throw new AirgapError(
        'USAGE',
        `--against checks a bundle's base in an import destination, but ${target} is an import destination itself`,
        {
          path: target,
          expected: 'a delta bundle (tarball, FILE.000 or directory)',
          actual: 'an import destination',
        },
        'pass the delta bundle as TARGET and the import destination to --against',
      );
    }
    // Refuses a DEST import would refuse, before the bundle is read.
    await inspectDestination(path.resolve(options.cwd, options.against), { force: true });
  }
  if (kind === 'import-destination') {
    // Loaded for an import destination only: it reads the runner image and OCI mirror
    // state with the push code of import, which a tarball or bundle needs none of.
    const { verifyImportDestination } = await import('./import-destination.js');
    const { rows, bundleDigest } = await verifyImportDestination(target, needs);
    return buildVerifyReport({
      tool: `airgap/${TOOL_VERSION}`,
      target,
      kind,
      ...(bundleDigest === undefined ? {} : { bundleDigest }),
      rows,
    });
  }
  const releaseKeys = await loadReleaseKeys(options);
  const spool = await fs.mkdtemp(path.join(options.tempDir, `${TEMP_PREFIX}verify-`));
  const digests = new ProviderZipDigests({ inPlace: kind === 'directory', target, spool });
  try {
    return await verifyBundle(target, kind, options, needs, releaseKeys, digests, reporter);
  } finally {
    await digests.close();
    await fs.rm(spool, { recursive: true, force: true });
  }
}

async function targetKind(target: string): Promise<TargetKind> {
  let st;
  try {
    st = await fs.stat(target);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new AirgapError('FS_ERROR', `cannot read ${target}: ${(e as Error).message}`, {
        path: target,
        cause: e,
      });
    }
    return 'tarball'; // FILE.000 checks (and names) what is missing
  }
  if (!st.isDirectory()) return 'tarball';
  try {
    await fs.lstat(path.join(target, IMPORT.state));
    return 'import-destination';
  } catch {
    return 'directory';
  }
}

interface ReleaseKeys {
  tofu: { keys: PublicKeySet; name: string };
  terraform: { keys: PublicKeySet; name: string };
}

async function loadReleaseKeys(options: VerifyOptions): Promise<ReleaseKeys> {
  async function one(tool: 'tofu' | 'terraform', file: string | undefined) {
    const pinned = tool === 'tofu' ? OPENTOFU_RELEASE_KEY : HASHICORP_RELEASE_KEY;
    if (file === undefined) return { keys: await loadPinnedKey(pinned), name: `the pinned ${pinned.name}` };
    let material: Buffer;
    try {
      material = await fs.readFile(file);
    } catch (e) {
      const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
      throw new AirgapError(
        missing ? 'INPUT_NOT_FOUND' : 'FS_ERROR',
        `--${tool}-key ${file}: ${missing ? 'no such file' : (e as Error).message}`,
        { path: file, cause: e },
        `pass --${tool}-key a readable public key file (armored or binary), or leave it out to use the pinned key`,
      );
    }
    return { keys: await readPublicKeys(material, `--${tool}-key ${file}`), name: `--${tool}-key ${file}` };
  }
  return {
    tofu: await one('tofu', options.tofuKeyFile),
    terraform: await one('terraform', options.terraformKeyFile),
  };
}

async function readLockNeeds(files: readonly string[]): Promise<LockNeed[]> {
  const needs: LockNeed[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (e) {
      const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
      throw new AirgapError(
        missing ? 'INPUT_NOT_FOUND' : 'FS_ERROR',
        `--lockfile ${file}: ${missing ? 'no such file' : (e as Error).message}`,
        { path: file, cause: e },
        'pass --lockfile the path of a readable .terraform.lock.hcl',
      );
    }
    for (const p of parseLockFile(text, file).providers) {
      needs.push({
        lockfile: file,
        address: formatProviderAddress(p.address),
        version: p.version,
        hashes: p.hashes,
      });
    }
  }
  return needs;
}

async function verifyBundle(
  target: string,
  kind: TargetKind,
  options: VerifyOptions,
  needs: LockNeed[],
  releaseKeys: ReleaseKeys,
  digests: ProviderZipDigests,
  reporter: Reporter,
): Promise<VerifyReport> {
  const collect: BundleCollector = { issues: [], files: [] };
  const small = new Map<string, Buffer>();
  let manifest: BundleManifest | undefined;
  let providerPaths = new Set<string>();
  let releaseMeta = new Set<string>();
  let sbomText: string | undefined;

  let fatal: AirgapError[] = [];
  try {
    await scanBundle(
      {
        source: target,
        trustedKeyFiles: options.trustedKeyFiles,
        insecureSkipSignature: options.insecureSkipSignature,
        allowUnpacked: true,
        progressVerb: 'verifying',
        ...(options.s3 === undefined ? {} : { s3: options.s3 }),
        collect,
        onManifest(m) {
          manifest = m;
          providerPaths = new Set(m.providers.flatMap((p) => p.packages.map((k) => k.path)));
          releaseMeta = new Set(m.binaries.flatMap((b) => [b.sums.path, b.signature.path]));
        },
        async sink(entry, body) {
          const stream = body as Readable;
          if (providerPaths.has(entry.path)) {
            await digests.add(entry.path, stream);
          } else if (entry.path === manifest?.sbom?.path && entry.size <= MAX_SBOM_BYTES) {
            const chunks: Buffer[] = [];
            for await (const c of stream) chunks.push(c as Buffer);
            sbomText = Buffer.concat(chunks).toString('utf8');
          } else if (releaseMeta.has(entry.path) && entry.size <= MAX_RELEASE_METADATA) {
            const chunks: Buffer[] = [];
            for await (const c of stream) chunks.push(c as Buffer);
            small.set(entry.path, Buffer.concat(chunks));
          } else {
            stream.resume();
          }
        },
      },
      reporter,
    );
  } catch (e) {
    if (!isAirgapError(e)) throw e;
    const all = e instanceof AirgapErrors ? e.errors : [e];
    if (!all.every((x) => VERIFICATION_CODES.includes(x.code))) throw e;
    fatal = all;
  }
  const zips = await digests.results();

  const rows: CheckRow[] = [];
  const fileState = fileStates(collect);
  rows.push(...signatureRows(collect, options));
  rows.push(...issueRows(collect.issues, 'manifest'));
  rows.push(...fileRows(collect));
  rows.push(...issueRows(collect.issues, 'extra'));
  for (const e of fatal) {
    rows.push({
      check: 'archive',
      subject: e.details.path ?? target,
      status: 'failed',
      code: e.code,
      detail: e.message,
    });
  }
  if (fatal.length === 0 && manifest !== undefined) {
    // Only zips whose bytes matched SHA256SUMS count as read intact.
    const intactZips = new Map<string, ZipDigestResult>();
    for (const f of collect.files) {
      const z = zips.get(f.path);
      if (z !== undefined && fileState.get(f.path) === 'ok')
        intactZips.set(f.path, { ...z, sha256: f.sha256 });
    }
    // A delta holds only part of the state: check that part, and name the base for the rest.
    const carried = carriedManifest(manifest);
    rows.push(
      ...(options.against === undefined
        ? deltaBaseRows(manifest)
        : await againstRows(manifest, path.resolve(options.cwd, options.against))),
    );
    rows.push(...providerRows(carried, intactZips));
    rows.push(...(await releaseRows(carried, small, fileState, collect.files, releaseKeys)));
    rows.push(...moduleRows(carried, fileState));
    rows.push(...sbomRows(manifest, sbomText, fileState));
    rows.push(...lockfileRows(needs, manifest, intactZips));
  }
  return buildVerifyReport({
    tool: `airgap/${TOOL_VERSION}`,
    target,
    kind,
    ...(collect.bundleDigest === undefined ? {} : { bundleDigest: collect.bundleDigest }),
    ...(collect.signature === undefined ? {} : { signature: collect.signature }),
    rows,
  });
}

/** `--against DEST`: DEST's live generation read (never written) and matched against the delta's base. */
async function againstRows(manifest: BundleManifest, dest: string): Promise<CheckRow[]> {
  const found = await inspectDestination(dest, { force: true });
  const match = await matchDeltaBase(found, manifest, found.state?.hostPlatform);
  return deltaAgainstRows(manifest, {
    dest,
    placed: match.placed.size,
    binaries: match.binaries.size,
    unused: match.needs.unused.length,
    missing: match.missing,
  });
}

/** Per bundle path: 'ok' when read and matching, 'failed' when any file issue names it. */
function fileStates(collect: BundleCollector): Map<string, 'ok' | 'failed'> {
  const states = new Map<string, 'ok' | 'failed'>();
  for (const f of collect.files) states.set(f.path, 'ok');
  for (const i of collect.issues) if (i.check === 'file') states.set(i.subject, 'failed');
  return states;
}

function signatureRows(collect: BundleCollector, options: VerifyOptions): CheckRow[] {
  const subject = BUNDLE.checksumsSignature;
  const issue = collect.issues.find((i) => i.check === 'signature');
  if (issue !== undefined) {
    const insecure = options.insecureSkipSignature;
    return [
      {
        check: 'signature',
        subject,
        status: insecure ? 'warning' : 'failed',
        code: issue.error.code,
        detail: insecure
          ? `${issue.error.message} (accepted: --insecure-skip-signature)`
          : issue.error.message,
      },
    ];
  }
  if (collect.packed === false) {
    return [
      {
        check: 'signature',
        subject,
        status: 'warning',
        detail: `an unpacked bundle directory (no ${BUNDLE.checksums}, no signature): its files are checked against ${BUNDLE.manifest} only, which nothing vouches for`,
      },
    ];
  }
  const s = collect.signature;
  if (s === undefined) {
    const why =
      collect.bundleDigest === undefined
        ? `not reached: the archive could not be read up to ${BUNDLE.checksums}`
        : 'not checked: --insecure-skip-signature and no --trusted-key';
    return [{ check: 'signature', subject, status: 'skipped', detail: why }];
  }
  const by =
    s.signingKeyFingerprint === s.primaryKeyFingerprint
      ? s.primaryKeyFingerprint
      : `${s.signingKeyFingerprint} (subkey of ${s.primaryKeyFingerprint})`;
  return [
    {
      check: 'signature',
      subject,
      status: 'ok',
      detail: `${BUNDLE.checksums} signed by ${by} at ${s.created.toISOString()}`,
    },
  ];
}

function issueRows(issues: BundleIssue[], check: 'manifest' | 'extra'): CheckRow[] {
  return issues
    .filter((i) => i.check === check)
    .map((i) => ({
      check,
      subject: i.subject,
      status: i.status,
      code: i.error.code,
      detail: i.error.message,
    }));
}

/** One row per payload file: ok with its digest, or each problem found with it; sorted by path. */
function fileRows(collect: BundleCollector): CheckRow[] {
  const failed = collect.issues.filter((i) => i.check === 'file');
  const failedPaths = new Set(failed.map((i) => i.subject));
  const rows: { path: string; row: CheckRow }[] = [
    ...collect.files
      .filter((f) => !failedPaths.has(f.path))
      .map((f) => ({
        path: f.path,
        row: {
          check: 'file' as const,
          subject: f.path,
          status: 'ok' as const,
          detail: `sha256 ${f.sha256} (${f.size} bytes)`,
        },
      })),
    ...failed.map((i) => ({
      path: i.subject,
      row: {
        check: 'file' as const,
        subject: i.subject,
        status: i.status,
        code: i.error.code,
        detail: i.error.message,
      },
    })),
  ];
  return rows.sort((a, b) => compareStrings(a.path, b.path)).map((r) => r.row);
}

/** Each tofu/terraform release: its SHA256SUMS against the vendor key, then each zip against its line. */
async function releaseRows(
  manifest: BundleManifest,
  small: Map<string, Buffer>,
  fileState: Map<string, 'ok' | 'failed'>,
  files: ScannedFile[],
  releaseKeys: ReleaseKeys,
): Promise<CheckRow[]> {
  const actual = new Map(files.filter((f) => fileState.get(f.path) === 'ok').map((f) => [f.path, f.sha256]));
  const rows: CheckRow[] = [];
  for (const b of manifest.binaries) {
    const subject = `${b.tool} ${b.version}`;
    const keys = releaseKeys[b.tool];
    const sums = small.get(b.sums.path);
    const sig = small.get(b.signature.path);
    const check: ReleaseSumsCheck = { binary: b };
    if (
      sums === undefined ||
      sig === undefined ||
      fileState.get(b.sums.path) !== 'ok' ||
      fileState.get(b.signature.path) !== 'ok'
    ) {
      const which =
        sums === undefined || fileState.get(b.sums.path) !== 'ok' ? b.sums.path : b.signature.path;
      rows.push({
        check: 'binary-signature',
        subject,
        status: 'skipped',
        detail: `${which} was not read intact (see its file row)`,
      });
    } else {
      try {
        const s = await verifyDetachedSignature({
          data: sums,
          signature: sig,
          keys: keys.keys,
          subject: b.sums.path,
        });
        check.sums = parseSha256Sums(sums.toString('utf8'), b.sums.path);
        const expired = s.keyExpiredSince ? ' (signing key since expired)' : '';
        rows.push({
          check: 'binary-signature',
          subject,
          status: 'ok',
          detail: `${b.sums.path} signed by ${s.signingKeyFingerprint} (${keys.name})${expired}`,
        });
      } catch (e) {
        if (!isAirgapError(e)) throw e;
        const hint = releaseKeyHint(b, keys.keys);
        rows.push({
          check: 'binary-signature',
          subject,
          status: 'failed',
          code: e.code,
          detail: e.message,
          ...(hint === undefined ? {} : { hint }),
        });
      }
    }
    rows.push(...binaryRows(check, actual));
  }
  return rows;
}

/**
 * airgap.json records the key each release was verified with when it was mirrored. When
 * that key is not among the ones verify used (a bundle mirrored with --tofu-key, checked
 * against the pinned key), the fix is to pass it; when it is, the list itself changed and
 * no flag helps.
 */
function releaseKeyHint(b: ManifestBinary, keys: PublicKeySet): string | undefined {
  const fp = b.verifiedBy.primaryKeyFingerprint;
  if (keys.keys.some((k) => k.fingerprint === fp.toUpperCase())) return undefined;
  return `pass --${b.tool}-key FILE (the key with fingerprint ${fp} that the bundle was mirrored with)`;
}
