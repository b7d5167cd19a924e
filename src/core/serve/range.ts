// HTTP Range and conditional requests for `airgap serve` (RFC 9110 §13, §14): one byte
// range per request. A header asking for several ranges is answered with the whole
// file, which the RFC allows and every client handles.

export type RangeDecision =
  { kind: 'full' } | { kind: 'partial'; start: number; end: number } | { kind: 'unsatisfiable' };

/** `header`: the Range header or undefined; `size`: the file's size. `end` is inclusive. */
export function decideRange(header: string | undefined, size: number): RangeDecision {
  if (header === undefined) return { kind: 'full' };
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (m === null) return { kind: 'full' };
  const [, first = '', last = ''] = m;
  if (first === '' && last === '') return { kind: 'full' };
  if (first === '') {
    // A suffix: the last N bytes.
    const n = Number(last);
    if (n === 0) return { kind: 'unsatisfiable' };
    return size === 0
      ? { kind: 'unsatisfiable' }
      : { kind: 'partial', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  if (start >= size) return { kind: 'unsatisfiable' };
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (end < start) return { kind: 'full' };
  return { kind: 'partial', start, end };
}

/** The ETag of a file whose sha256 is known: strong, since equal hashes mean equal bytes. */
export function etagOf(sha256: string): string {
  return `"sha256:${sha256}"`;
}

/** If-None-Match against our ETag: "*" or any listed tag (weak comparison, as RFC 9110 asks for this header). */
export function noneMatchHits(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

/** If-Range: the range applies only when the client's validator is our (strong) ETag. */
export function ifRangeAllows(header: string | undefined, etag: string | undefined): boolean {
  if (header === undefined) return true;
  return etag !== undefined && header.trim() === etag;
}
