// The report of `airgap verify` (docs/VERIFY-REPORT.md, schemaVersion 1): one row per
// check, a verdict, and its rendering for a terminal: counts by kind of check, the rows
// that are not ok (every row with --all), the verdict; every line within the width. Pure.

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
  | 'state'
  | 'module'
  | 'sbom'
  | 'delta-base';

export interface CheckRow {
  check: CheckName;
  /** What was checked: a bundle path, "ADDRESS VERSION PLATFORM", "tofu 1.8.5", ... */
  subject: string;
  status: CheckStatus;
  detail: string;
  /** The error code, on failed and warning rows that come from one. */
  code?: ErrorCode;
  /** What to do about it, on a failed row where the bundle itself says (e.g. the release key it was mirrored with). */
  hint?: string;
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

/** The kinds the summary counts by, in this order; each check belongs to one. */
const KINDS = [
  'signature',
  'files',
  'providers',
  'modules',
  'binaries',
  'lock files',
  'import state',
  'sbom',
  'delta base',
] as const;
type Kind = (typeof KINDS)[number];

const KIND_OF: Record<CheckName, Kind> = {
  signature: 'signature',
  archive: 'files',
  manifest: 'files',
  file: 'files',
  extra: 'files',
  provider: 'providers',
  'binary-signature': 'binaries',
  binary: 'binaries',
  lockfile: 'lock files',
  state: 'import state',
  module: 'modules',
  sbom: 'sbom',
  'delta-base': 'delta base',
};

/** Kinds listed, in this order, even with no row: a 0 says the check had nothing to run on. */
const KINDS_SHOWN: Record<TargetKind, readonly Kind[]> = {
  tarball: ['signature', 'files', 'providers', 'binaries', 'lock files'],
  directory: ['signature', 'files', 'providers', 'binaries', 'lock files'],
  'import-destination': ['import state', 'providers', 'files', 'lock files'],
};

/** Said under the summary of a bundle that carries modules. */
export const MODULES_UNSIGNED =
  "Modules carry no signatures in either ecosystem: each is pinned by the sha256 (and git commit) airgap.json records when it was fetched, and vouched for by this bundle's signature alone.";

/** Narrower, a bundle digest (78 columns with its label) would not fit; wider, details get hard to read. */
export const TABLE_MIN_WIDTH = 80;
export const TABLE_MAX_WIDTH = 120;

export interface TableOptions {
  /** Terminal columns; clamped to TABLE_MIN_WIDTH..TABLE_MAX_WIDTH (80..120). No line is longer. */
  width: number;
  /** Every row, not only those that are not ok (--all). */
  all: boolean;
}

/**
 * The report for a person: a summary by kind of check, then the rows that are not ok
 * (every row with `all`), each as a STATUS CHECK SUBJECT line with its detail and hint
 * indented below, then the verdict. Subjects too long for the line are shortened in the
 * middle; details and hints are word-wrapped; no line exceeds the width.
 */
export function renderVerifyTable(report: VerifyReport, options: TableOptions): string {
  const width = Math.min(TABLE_MAX_WIDTH, Math.max(TABLE_MIN_WIDTH, Math.floor(options.width)));
  const out = [...summaryLines(report), ''];
  if (report.rows.some((r) => r.check === 'module')) {
    out.push(...wrapWords(MODULES_UNSIGNED, width), '');
  }
  const listed = options.all ? report.rows : report.rows.filter((r) => r.status !== 'ok');
  const total = report.rows.length;
  if (listed.length === 0) {
    out.push(total === 0 ? 'Nothing was checked.' : `Every check passed (${total}); --all lists them.`);
  } else {
    if (!options.all) out.push(`Not ok: ${listed.length} of ${total} checks (--all lists every one).`);
    out.push(...rowLines(listed, width));
  }
  out.push('', ...verdictLines(report, width));
  return out.join('\n');
}

function summaryLines(report: VerifyReport): string[] {
  const counts = new Map<Kind, Record<CheckStatus, number>>();
  for (const k of KINDS) counts.set(k, { ok: 0, failed: 0, warning: 0, skipped: 0 });
  for (const r of report.rows) counts.get(KIND_OF[r.check])![r.status] += 1;
  const base = KINDS_SHOWN[report.kind];
  const shown = [
    ...base,
    ...KINDS.filter((k) => !base.includes(k) && Object.values(counts.get(k)!).some((n) => n > 0)),
  ];
  const head = ['KIND', 'TOTAL', 'OK', 'FAILED', 'WARNING', 'SKIPPED'];
  const cells = shown.map((k) => {
    const c = counts.get(k)!;
    return [k, c.ok + c.failed + c.warning + c.skipped, c.ok, c.failed, c.warning, c.skipped].map(String);
  });
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]): string =>
    c.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  return [line(head), ...cells.map(line)];
}

function rowLines(rows: readonly CheckRow[], width: number): string[] {
  const statusWidth = Math.max(...rows.map((r) => STATUS_WORD[r.status].length), 'STATUS'.length);
  const checkWidth = Math.max(...rows.map((r) => r.check.length), 'CHECK'.length);
  const indent = ' '.repeat(statusWidth + 2);
  const subjectRoom = width - statusWidth - checkWidth - 4;
  const lines = [`${'STATUS'.padEnd(statusWidth)}  ${'CHECK'.padEnd(checkWidth)}  SUBJECT`];
  for (const r of rows) {
    const subject = shortenMiddle(r.subject, subjectRoom);
    lines.push(`${STATUS_WORD[r.status].padEnd(statusWidth)}  ${r.check.padEnd(checkWidth)}  ${subject}`);
    for (const l of wrapWords(r.detail, width - indent.length)) lines.push(indent + l);
    if (r.hint !== undefined) {
      for (const l of wrapWords(`hint: ${r.hint}`, width - indent.length)) lines.push(indent + l);
    }
  }
  return lines;
}

function verdictLines(report: VerifyReport, width: number): string[] {
  const s = report.summary;
  const word = report.verdict === 'verified' ? 'VERIFIED' : 'FAILED';
  const counts = `${s.ok} ok, ${s.failed} failed, ${s.warning} warning(s), ${s.skipped} skipped`;
  const one = `${word}: ${report.target} (${counts})`;
  const lines =
    one.length <= width
      ? [one]
      : [`${word}: ${shortenMiddle(report.target, width - word.length - 2)}`, counts];
  if (report.bundleDigest !== null) lines.push(`bundle digest ${report.bundleDigest}`);
  return lines;
}

/** The verdict in one line, whatever its length (what --quiet prints). */
export function verdictLine(report: VerifyReport): string {
  const s = report.summary;
  const counts = `${s.ok} ok, ${s.failed} failed, ${s.warning} warning(s), ${s.skipped} skipped`;
  const digest = report.bundleDigest === null ? '' : `; bundle digest ${report.bundleDigest}`;
  return `${report.verdict === 'verified' ? 'VERIFIED' : 'FAILED'}: ${report.target} (${counts}${digest})`;
}

/** `text` when it fits in `room` columns, else its start and end around "...", exactly `room` long. */
export function shortenMiddle(text: string, room: number): string {
  if (text.length <= room) return text;
  const keep = Math.max(room - 3, 2);
  const head = Math.ceil(keep / 2);
  return `${text.slice(0, head)}...${text.slice(text.length - (keep - head))}`;
}

/** Words into lines of at most `room` columns; a word longer than a line is cut. */
export function wrapWords(text: string, room: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (let word of text.split(/\s+/).filter((w) => w !== '')) {
    while (word.length > room) {
      if (line !== '') lines.push(line);
      lines.push(word.slice(0, room));
      word = word.slice(room);
      line = '';
    }
    if (line === '') line = word;
    else if (line.length + 1 + word.length <= room) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line !== '' || lines.length === 0) lines.push(line);
  return lines;
}
