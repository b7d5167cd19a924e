// Lock-file completion: what `tofu providers lock -platform=...` does, from the
// hashes the mirror already computed, so nothing is downloaded twice. Every
// existing hash is kept; each provider stays under the hostname its file names.

import type { LockFile } from '../lockfile/model.js';
import { formatProviderAddress } from '../provider/address.js';
import { compareStrings } from '../compare.js';
import { providerVersionKey } from './plan.js';

export interface CompletionResult {
  lock: LockFile;
  changed: boolean;
  /** Number of hashes added across all providers. */
  added: number;
}

/** `hashesByVersion` maps "host/ns/type@version" to every h1:/zh: the mirror holds for it. */
export function completeLockFile(
  lock: LockFile,
  hashesByVersion: ReadonlyMap<string, readonly string[]>,
): CompletionResult {
  let added = 0;
  const providers = lock.providers.map((p) => {
    const extra = hashesByVersion.get(providerVersionKey(formatProviderAddress(p.address), p.version));
    if (extra === undefined) return p;
    const before = new Set(p.hashes);
    const merged = new Set([...p.hashes, ...extra]);
    added += merged.size - before.size;
    return { ...p, hashes: [...merged].sort(compareStrings) };
  });
  return { lock: { ...lock, providers }, changed: added > 0, added };
}
