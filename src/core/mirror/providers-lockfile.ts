// The lock file airgap writes for airgap.yaml's `providers:` (PROVIDERS_LOCKFILE in
// src/core/layout/names.ts; docs/SPEC-FORMAT.md, "providers"): what `tofu init` would
// have written for a configuration requiring those providers, complete for every
// mirrored platform. Pure: the mirror hands in what it verified.
//
// - One block per provider (a lock file holds one version of each): the newest version
//   mirrored of it, by tofu's precedence. Older versions mirrored with `all: true`, or
//   by a second item, stay in the mirror for lock files that name them.
// - `constraints`: the items of the entry that version meets, joined (all of them hold
//   for it) and written in tofu's canonical form, as `tofu init` records the
//   configuration's constraints. The line informs; tofu does not check it (a file whose
//   constraints alone differ is left as it is: depsfile.Locks.Equal compares versions
//   and hashes only).
// - `hashes`: the h1: of each mirrored platform's package, and a zh: for every line of
//   the version's signed SHA256SUMS, as `tofu init` and `tofu providers lock` record
//   them from a registry (manifest lines included).
// - The text is formatLockFile's, byte for byte what tofu and terraform write.

import { BugError } from '../errors.js';
import { providerZipName } from '../layout/names.js';
import type { LockedProvider, LockTool } from '../lockfile/model.js';
import { formatLockFile } from '../lockfile/format.js';
import { formatProviderAddress, type ProviderAddress } from '../provider/address.js';
import { parsePlatform } from '../provider/platform.js';
import { scanVersion, type Version } from '../provider/version.js';
import { compareVersionPrecedence } from './resolve-providers.js';

/** One provider version the mirror holds for a `providers:` entry, with what was verified of it. */
export interface MirroredProviderVersion {
  address: ProviderAddress;
  /** Canonical form. */
  version: string;
  /** The entry's items this version meets, as written (ProviderVersionSelection.constraints). */
  constraints: readonly string[];
  /** Each platform mirrored, with its package's h1: hash. */
  packages: readonly { platform: string; h1: string }[];
  /** The version's signed SHA256SUMS (parseSha256Sums): file name -> hex sha256. */
  sha256sums: ReadonlyMap<string, string>;
}

/** The lock file's text, with `tool`'s header ("tofu init" or "terraform init"). */
export function renderProvidersLockFile(
  mirrored: readonly MirroredProviderVersion[],
  tool: LockTool,
): string {
  const newest = new Map<string, MirroredProviderVersion>();
  for (const m of mirrored) {
    const key = formatProviderAddress(m.address);
    const seen = newest.get(key);
    if (seen === undefined || compareVersionPrecedence(version(m), version(seen)) > 0) newest.set(key, m);
  }
  return formatLockFile({ tool, providers: [...newest.values()].map(locked) });
}

function version(m: MirroredProviderVersion): Version {
  const parsed = scanVersion(m.version);
  if (parsed.error !== undefined) {
    throw new BugError(
      `providers lock file: ${formatProviderAddress(m.address)} has version ${m.version}: ${parsed.error}`,
    );
  }
  return parsed.value;
}

function locked(m: MirroredProviderVersion): LockedProvider {
  const label = `${formatProviderAddress(m.address)} ${m.version}`;
  const hashes: string[] = [];
  for (const p of m.packages) {
    if (!p.h1.startsWith('h1:'))
      throw new BugError(`providers lock file: ${label} (${p.platform}): "${p.h1}" is no h1: hash`);
    // The mirror takes no package its signed list lacks; one missing here is a bug upstream.
    const zip = providerZipName(m.address.type, m.version, parsePlatform(p.platform));
    if (!m.sha256sums.has(zip)) {
      throw new BugError(`providers lock file: ${label}: the signed SHA256SUMS has no line for ${zip}`);
    }
    hashes.push(p.h1);
  }
  for (const sha of m.sha256sums.values()) hashes.push(`zh:${sha}`);
  const constraints = m.constraints.map((c) => c.trim()).join(', ');
  return {
    address: m.address,
    version: m.version,
    ...(constraints === '' ? {} : { constraints }),
    hashes,
  };
}
