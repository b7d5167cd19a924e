// Which version of a registry module one constraint picks: the newest listed version
// that meets it, with go-versions' rules as for providers (resolve-providers.ts) — a
// prerelease only when an "=" names it, as tofu's module installer does. No constraint
// (a call without `version`) picks the newest release. Listed strings that are no
// version are passed over, as the CLIs' module installers skip them.

import { AirgapError } from '../errors.js';
import { compareVersionPrecedence, meetsVersionConstraints } from '../mirror/resolve-providers.js';
import { scanVersion, scanVersionConstraints, type Version } from '../provider/version.js';

export function selectModuleVersion(
  listed: readonly string[],
  constraint: string | undefined,
  module: string,
  where: string,
): string {
  const parsed = constraint === undefined ? { value: [] } : scanVersionConstraints(constraint);
  if (parsed.error !== undefined) {
    throw new AirgapError(
      'USAGE',
      `${where}: module ${module}: "${constraint}" is not a version constraint (${parsed.error})`,
      { path: where, expected: 'a version constraint such as "~> 5.0"', actual: constraint },
    );
  }
  let best: { v: Version; text: string } | undefined;
  for (const text of listed) {
    const v = scanVersion(text.replace(/^v/, ''));
    if (v.error !== undefined) continue;
    if (!meetsVersionConstraints(v.value, parsed.value)) continue;
    if (best === undefined || compareVersionPrecedence(v.value, best.v) > 0) best = { v: v.value, text };
  }
  if (best === undefined) {
    throw new AirgapError(
      'MODULE_NOT_FOUND',
      `${where}: no version of module ${module} matches ${constraint === undefined ? '(any release)' : `"${constraint}"`}; the registry lists ${listed.length === 0 ? 'none' : listed.slice(-10).join(', ')}`,
      { path: where, expected: constraint ?? 'a release', actual: listed.slice(-10).join(', ') },
      'loosen the version constraint, or check the module address',
    );
  }
  // The registry's own spelling: it is what the download URL and the CLIs use.
  return best.text;
}
