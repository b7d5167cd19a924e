// "Did you mean ...?" for airgap.yaml: the closest known name to a misspelt one.

/** Lower case without "-" and "_": `api_version`, `API-Version` and `apiVersion` are one word here. */
export function foldName(name: string): string {
  return name.toLowerCase().replace(/[-_]/g, '');
}

/**
 * Optimal string alignment distance: insertions, deletions, substitutions and swaps of
 * two adjacent characters each cost 1 ("paltforms" is one step from "platforms").
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j] as number;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      d[i * cols + j] = best;
    }
  }
  return at(a.length, b.length);
}

/** How far a misspelling may be from the word it means: a third of the word, at least 1. */
function tolerance(word: string): number {
  return Math.max(1, Math.floor(word.length / 3));
}

/**
 * The candidate `given` most likely means: one equal to it once case, "-" and "_" are
 * ignored, else the nearest within the tolerance (ties: the first in `candidates`).
 */
export function closestName(given: string, candidates: readonly string[]): string | undefined {
  const folded = foldName(given);
  const same = candidates.find((c) => foldName(c) === folded);
  if (same !== undefined) return same;
  let best: { name: string; distance: number } | undefined;
  for (const c of candidates) {
    const distance = editDistance(folded, foldName(c));
    if (distance > tolerance(c)) continue;
    if (best === undefined || distance < best.distance) best = { name: c, distance };
  }
  return best?.name;
}
