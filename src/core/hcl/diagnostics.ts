// Diagnostics collected while parsing or decoding HCL, and their conversion
// to AirgapErrors whose messages read `FILE:LINE:COL: Summary; detail`.

import { AirgapError, AirgapErrors, type ErrorCode } from '../errors.js';
import { formatPos, type SourceRange } from './source.js';

export interface Diagnostic {
  severity: 'error' | 'warning';
  summary: string;
  detail: string;
  subject: SourceRange;
}

export function errorDiag(summary: string, detail: string, subject: SourceRange): Diagnostic {
  return { severity: 'error', summary, detail, subject };
}

export function hasErrors(diags: readonly Diagnostic[]): boolean {
  return diags.some((d) => d.severity === 'error');
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${formatPos(d.subject)}: ${d.summary}; ${d.detail}`;
}

export function diagnosticToError(d: Diagnostic, code: ErrorCode, remedy?: string): AirgapError {
  return new AirgapError(code, formatDiagnostic(d), { path: formatPos(d.subject) }, remedy);
}

/** Orders diagnostics by position; stable for diagnostics at the same place. */
export function sortDiagnostics(diags: readonly Diagnostic[]): Diagnostic[] {
  return [...diags].sort(
    (a, b) => a.subject.start.line - b.subject.start.line || a.subject.start.column - b.subject.start.column,
  );
}

/** Throws every error diagnostic (warnings are dropped) as one AirgapErrors. */
export function throwIfErrors(diags: readonly Diagnostic[], code: ErrorCode): void {
  const errors = sortDiagnostics(diags.filter((d) => d.severity === 'error'));
  if (errors.length === 0) return;
  throw new AirgapErrors(errors.map((d) => diagnosticToError(d, code)));
}
