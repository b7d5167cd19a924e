// The real third-party data shared beside the repository (../shared/realdata).
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const REALDATA = path.resolve(REPO_ROOT, '..', 'shared', 'realdata');

export function realdata(...parts: string[]): string {
  return path.join(REALDATA, ...parts);
}
