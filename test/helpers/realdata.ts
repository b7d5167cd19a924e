// The real third-party data the tests read, kept in the repository (fixtures/realdata,
// with PROVENANCE.txt naming the source of every file).
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const REALDATA = path.join(REPO_ROOT, 'fixtures', 'realdata');

export function realdata(...parts: string[]): string {
  return path.join(REALDATA, ...parts);
}
