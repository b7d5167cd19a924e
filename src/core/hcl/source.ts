// Source positions and ranges of HCL nodes. Lines and columns are 1-based;
// like HCL, a column counts grapheme clusters (what a reader sees as one
// character), not bytes or UTF-16 code units.

export interface SourcePos {
  line: number;
  column: number;
  /** Index into the parsed string (UTF-16 code units). */
  offset: number;
}

export interface SourceRange {
  filename: string;
  start: SourcePos;
  end: SourcePos;
}

const ASCII_RE = /^[\x00-\x7f]*$/;

let segmenter: Intl.Segmenter | undefined;

function countGraphemes(text: string): number {
  if (ASCII_RE.test(text)) return text.length;
  segmenter ??= new Intl.Segmenter('en', { granularity: 'grapheme' });
  let n = 0;
  for (const _ of segmenter.segment(text)) n++;
  return n;
}

/** Maps string offsets of one source text to line/column positions. */
export interface SourceLocator {
  readonly filename: string;
  pos(offset: number): SourcePos;
  range(start: number, end: number): SourceRange;
}

export function createLocator(text: string, filename: string, firstOffset = 0): SourceLocator {
  // lineStarts[i] is the offset where line i+1 begins. A BOM before
  // `firstOffset` is not part of line 1's columns.
  const lineStarts = [firstOffset];
  for (let i = firstOffset; i < text.length; i++) {
    if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  }

  function pos(offset: number): SourcePos {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((lineStarts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    const lineStart = lineStarts[lo] ?? 0;
    return { line: lo + 1, column: countGraphemes(text.slice(lineStart, offset)) + 1, offset };
  }

  return {
    filename,
    pos,
    range: (start, end) => ({ filename, start: pos(start), end: pos(end) }),
  };
}

/** The smallest range covering both. */
export function rangeBetween(a: SourceRange, b: SourceRange): SourceRange {
  return { filename: a.filename, start: a.start, end: b.end };
}

/** `FILE:LINE:COL`, the form used in error messages and `details.path`. */
export function formatPos(range: SourceRange): string {
  return `${range.filename}:${range.start.line}:${range.start.column}`;
}

/**
 * HCL's own range notation (hcl.Range.String): `FILE:L,C-C` on one line,
 * `FILE:L,C-L,C` across lines. Terraform quotes ranges in this form in some
 * diagnostic details, e.g. "Duplicate provider lock".
 */
export function formatHclRange(range: SourceRange): string {
  const { filename, start, end } = range;
  if (start.line === end.line) return `${filename}:${start.line},${start.column}-${end.column}`;
  return `${filename}:${start.line},${start.column}-${end.line},${end.column}`;
}
