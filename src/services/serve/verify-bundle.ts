// `airgap serve` over a bundle directory verifies it before it listens, with the verify
// service itself (the same checks, errors and exit codes as `airgap verify DIR`): the
// SHA256SUMS signature against --trusted-key, then every file against SHA256SUMS and
// airgap.json, and each provider zip's h1/zh. The rows about the tofu/terraform release
// zips (their vendor signatures) are left to `airgap verify`: serve does not serve them,
// and their files' hashes are still checked. An import destination is not checked here:
// `airgap import` verified it before switching the generation serve reads.

import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseSha256Sums } from '../../core/checksums/sha256sums.js';
import { AirgapError, AirgapErrors, type ErrorCode } from '../../core/errors.js';
import { BUNDLE } from '../../core/layout/names.js';
import type { Reporter } from '../../core/ports.js';
import type { CheckName, CheckRow } from '../../core/transfer/verify-report.js';
import { runVerify } from '../verify/verify-service.js';

export interface ServeVerifyOptions {
  /** --trusted-key FILE: the keys that may sign the bundle's SHA256SUMS. */
  trustedKeyFiles: string[];
  /** Skips the signature only: every file's hash is still checked. */
  insecureSkipSignature: boolean;
  /** Where provider zips' h1 are computed from (the command hands in the OS temp dir). */
  tempDir: string;
}

/** Checks that do not bear on what serve answers with. */
const NOT_SERVED: readonly CheckName[] = ['binary-signature', 'binary'];

export interface ServedBundleCheck {
  /** One line saying what was checked. */
  summary: string;
  /**
   * The sha256 the verified SHA256SUMS lists for airgap.json (a packed directory): the
   * catalogue is read from airgap.json after the check, and must be the file checked.
   */
  manifestSha256?: string;
}

/** Throws the verification failures of bundle directory `dir` (absolute); returns when it may be served. */
export async function verifyServedBundle(
  dir: string,
  options: ServeVerifyOptions,
  reporter: Reporter,
): Promise<ServedBundleCheck> {
  if (options.trustedKeyFiles.length === 0 && !options.insecureSkipSignature) {
    throw new AirgapError(
      'USAGE',
      `no --trusted-key given to check the bundle directory ${dir}: pass the public key that signed the bundle (--trusted-key FILE), or --insecure-skip-signature`,
      { path: dir, expected: '--trusted-key FILE', actual: 'none' },
      'pass --trusted-key FILE, the public key of whoever ran `airgap export --sign-key`; or serve an import destination, which `airgap import` verified',
    );
  }
  if (options.insecureSkipSignature) {
    reporter.warn(
      `--insecure-skip-signature: the signature of ${dir} is NOT checked (its files are still checked against ${BUNDLE.checksums} and ${BUNDLE.manifest}); anyone who could alter the bundle could alter what runners install`,
    );
  }
  const report = await runVerify(
    {
      target: dir,
      trustedKeyFiles: options.trustedKeyFiles,
      insecureSkipSignature: options.insecureSkipSignature,
      lockfiles: [],
      tempDir: options.tempDir,
      cwd: dir,
    },
    reporter,
  );
  const failed = report.rows.filter((r) => r.status === 'failed' && !NOT_SERVED.includes(r.check));
  const signature = report.rows.find((r) => r.check === 'signature');
  // verify only warns about an unpacked directory (airgap mirror's output): nothing signed it.
  if (!options.insecureSkipSignature && signature !== undefined && signature.status === 'warning') {
    failed.unshift({ ...signature, status: 'failed', code: 'SIGNATURE_MISSING' });
  }
  if (failed.length === 0) {
    const files = report.rows.filter((r) => r.check === 'file' && r.status === 'ok').length;
    const sig =
      signature?.status === 'ok' ? signature.detail : 'signature not checked (--insecure-skip-signature)';
    const summary = `Verified ${dir}: ${sig}; ${files} file(s) match their hashes`;
    if (report.bundleDigest === null) return { summary };
    return { summary, manifestSha256: await verifiedManifestSha256(dir, report.bundleDigest) };
  }
  const errors = failed.map((r) => rowError(dir, r));
  throw errors.length === 1 ? errors[0]! : new AirgapErrors(errors);
}

function rowError(dir: string, row: CheckRow): AirgapError {
  const code: ErrorCode = row.code ?? 'CHECKSUM_MISMATCH';
  // verify's details mostly name the file already (or the bundle, then the file in it).
  const named =
    row.detail.includes(row.subject) || row.detail.includes(dir)
      ? row.detail
      : `${row.subject}: ${row.detail}`;
  return new AirgapError(
    code,
    named.includes(dir) ? named : `${dir}: ${named}`,
    { path: row.subject, address: dir },
    row.hint ?? serveRemedy(code, row),
  );
}

function serveRemedy(code: ErrorCode, row: CheckRow): string {
  switch (code) {
    case 'SIGNATURE_INVALID':
      return 'nothing a --trusted-key vouches for signed this bundle: do not serve it; check that --trusted-key is the public key of whoever ran `airgap export --sign-key`';
    case 'SIGNATURE_MISSING':
      return row.status === 'failed' && row.detail.includes('unpacked')
        ? 'serve a bundle extracted from a signed transfer tarball (`airgap export --sign-key`) or an import destination; or pass --insecure-skip-signature to serve it checked against airgap.json only'
        : 'sign the bundle (`airgap export --sign-key`), or pass --insecure-skip-signature to serve it unsigned (its files are still checked)';
    case 'MANIFEST_INVALID':
      return "this airgap cannot read the bundle's airgap.json: serve it with the airgap the bundle carries, or import it and serve the import destination";
    default:
      return 'the bundle directory is damaged or was altered after it was signed: do not serve it; extract it again from the transfer tarball (`airgap verify DIR` lists every problem), or serve an import destination';
  }
}

/** airgap.json's line in SHA256SUMS, once SHA256SUMS is shown to be the list verify checked. */
async function verifiedManifestSha256(dir: string, bundleDigest: string): Promise<string> {
  const sumsPath = path.join(dir, BUNDLE.checksums);
  const bytes = await fs.readFile(sumsPath);
  const actual = createHash('sha256').update(bytes).digest('hex');
  const listed =
    actual === bundleDigest
      ? parseSha256Sums(bytes.toString('utf8'), sumsPath).get(BUNDLE.manifest)
      : undefined;
  if (listed === undefined) {
    throw new AirgapError(
      'CHECKSUM_MISMATCH',
      `${sumsPath} changed while it was verified: sha256 ${actual}, verified ${bundleDigest}`,
      { path: sumsPath, expected: bundleDigest, actual },
      'something is writing into the bundle directory: stop it, keep DIR read-only to others, and start serve again',
    );
  }
  return listed;
}
