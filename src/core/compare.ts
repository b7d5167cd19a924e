// Bytewise-for-ASCII string order (what Go's sort.Strings gives for the names we sort).
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
