// Path safety for `airgap serve`: the request target as the client sent it (node does
// not normalise it) becomes a list of decoded segments, or a refusal. The router then
// maps segments to files the catalogue lists, so a path that is not refused here still
// reaches only known files; this layer makes the tricks fail loudly and the same way
// whatever the route (docs/SERVE.md, "What is refused").

export type RequestPath = { ok: true; segments: string[] } | { ok: false; status: 400; reason: string };

/**
 * Splits the path of a request target ("/a/b?query") into percent-decoded segments.
 * Refused with 400: not origin-form, bad percent-encoding, "." or ".." (plain or
 * encoded), an encoded "/" or "\\" or NUL inside a segment, an empty segment ("//").
 * A trailing "/" keeps its empty last segment: a directory, which no route serves.
 */
export function parseRequestPath(target: string): RequestPath {
  const fail = (reason: string): RequestPath => ({ ok: false, status: 400, reason });
  if (!target.startsWith('/')) return fail('not an origin-form request target');
  const end = target.search(/[?#]/);
  const raw = end === -1 ? target : target.slice(0, end);
  const parts = raw.split('/').slice(1);
  const segments: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    let seg: string;
    try {
      seg = decodeURIComponent(part);
    } catch {
      return fail(`bad percent-encoding in ${JSON.stringify(part)}`);
    }
    if (seg === '' && i !== parts.length - 1) return fail('empty path segment');
    if (seg === '.' || seg === '..') return fail(`path segment ${JSON.stringify(part)} is a dot segment`);
    if (/[/\\\0]/.test(seg)) return fail(`path segment ${JSON.stringify(part)} encodes a separator or NUL`);
    segments.push(seg);
  }
  return { ok: true, segments };
}
