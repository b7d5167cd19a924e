// The report of `airgap verify` (docs/VERIFY-REPORT.md, schemaVersion 1): one row per
// check, a verdict, and its rendering as an aligned table. Pure.

import type { ErrorCode } from '../errors.js';

export const VERIFY_REPORT_SCHEMA_VERSION = 1;

export type CheckStatus = 'ok' | 'failed' | 'warning' | 'skipped';

export type CheckName =
  | 'archive'
  | 'signature'
  | 'manifest'
  | 'file'
  | 'extra'
  | 'provider'
  | 'binary-signature'
  | 'binary'
  | 'lockfile'
  | 'state';

export interface CheckRow {
  check: CheckName;
  /** What was checked: a bundle path, "ADDRESS VERSION PLATFORM", "tofu 1.8.5", ... */
  subject: string;
  status: CheckStatus;
  detail: string;
  /** The error code, on failed and warning rows that come from one. */
  code?: ErrorCode;
}

export type TargetKind = 'tarball' | 'directory' | 'import-destination';

export interface VerifyReport {
  schemaVersion: typeof VERIFY_REPORT_SCHEMA_VERSION;
  /** "airgap/VERSION" */
  tool: string;
  /** Absolute path as given (FILE.000 for a split archive). */
  target: string;
  kind: TargetKind;
  /** 'verified' iff no row failed. */
  verdict: 'verified' | 'failed';
  /** sha256 of SHA256SUMS; null when there is none (an unpacked directory) or it was not reached. */
  bundleDigest: string | null;
  signature: {
    primaryKeyFingerprint: string;
    signingKeyFingerprint: string;
    created: string;
    keyExpiredSince: boolean;
  } | null;
  summary: Record<CheckStatus, number>;
  rows: CheckRow[];
}

export interface ReportInput {
  tool: string;
  target: string;
  kind: TargetKind;
  bundleDigest?: string;
  signature?: {
    primaryKeyFingerprint: string;
    signingKeyFingerprint: string;
    created: Date;
    keyExpiredSince: boolean;
  };
  rows: CheckRow[];
}

export function buildVerifyReport(input: ReportInput): VerifyReport {
  const summary: Record<CheckStatus, number> = { ok: 0, failed: 0, warning: 0, skipped: 0 };
  for (const r of input.rows) summary[r.status] += 1;
  const s = input.signature;
  return {
    schemaVersion: VERIFY_REPORT_SCHEMA_VERSION,
    tool: input.tool,
    target: input.target,
    kind: input.kind,
    verdict: summary.failed > 0 ? 'failed' : 'verified',
    bundleDigest: input.bundleDigest ?? null,
    signature:
      s === undefined
        ? null
        : {
            primaryKeyFingerprint: s.primaryKeyFingerprint,
            signingKeyFingerprint: s.signingKeyFingerprint,
            created: s.created.toISOString(),
            keyExpiredSince: s.keyExpiredSince,
          },
    summary,
    rows: input.rows,
  };
}

const STATUS_WORD: Record<CheckStatus, string> = {
  ok: 'ok',
  failed: 'FAILED',
  warning: 'warning',
  skipped: 'skipped',
};

/** The rows as an aligned table (STATUS CHECK SUBJECT DETAIL), then the one-line verdict. */
export function renderVerifyTable(report: VerifyReport): string {
  const head = ['STATUS', 'CHECK', 'SUBJECT', 'DETAIL'];
  const cells = report.rows.map((r) => [STATUS_WORD[r.status], r.check, r.subject, r.detail]);
  const widths = [0, 1, 2].map((i) => Math.max(head[i]!.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]): string =>
    [...c.slice(0, 3).map((v, i) => v.padEnd(widths[i]!)), c[3]!].join('  ').trimEnd();
  return [line(head), ...cells.map(line), '', verdictLine(report)].join('\n');
}

export function verdictLine(report: VerifyReport): string {
  const s = report.summary;
  const counts = `${s.ok} ok, ${s.failed} failed, ${s.warning} warning(s), ${s.skipped} skipped`;
  const digest = report.bundleDigest === null ? '' : `; bundle digest ${report.bundleDigest}`;
  return report.verdict === 'verified'
    ? `VERIFIED: ${report.target} (${counts}${digest})`
    : `FAILED: ${report.target} (${counts}${digest})`;
}
