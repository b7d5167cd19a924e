// Which tofu/terraform versions `--tofu` / `--terraform` ask for. An exact version
// ("1.8.5", "= 1.8.5", "1.9.0-rc1") is taken as given, with no release list; anything
// else is a constraint in tofu's syntax ("~> 1.8", ">= 1.6, < 1.9, != 1.8.1", or
// without spaces: "~>1.8", ">=1.6,<1.9") and picks the NEWEST listed version that
// meets every part of it. "latest" is the newest stable (not prerelease) release listed.
//
// Semantics, kept close to tofu's version constraints:
//   - omitted parts count as 0 ("= 1.8" is 1.8.0, "> 1.8" is > 1.8.0);
//   - "~> X.Y.Z" lets only the patch grow (>= X.Y.Z, < X.(Y+1).0); "~> X.Y" and
//     "~> X" let the minor grow (>= X.Y.0, < (X+1).0.0);
//   - a prerelease matches only when named exactly: by an exact request, or by an
//     "=" part of the constraint. ">= 1.9.0-rc1" therefore matches 1.9.0, not 1.9.0-rc2.

import { AirgapError } from '../errors.js';
import {
  compareVersions,
  formatVersion,
  scanVersion,
  scanVersionConstraints,
  type Parsed,
  type Version,
  type VersionConstraint,
} from '../provider/version.js';
import type { ReleaseTool } from './types.js';

/** How many of the newest available versions an unsatisfiable constraint's error lists. */
const NEWEST_SHOWN = 5;

type Request = { exact: string } | { constraints: VersionConstraint[] };

/** True when some request is a constraint, so the release list must be fetched. Throws USAGE on bad syntax. */
export function needsReleaseList(requested: readonly string[], tool?: ReleaseTool): boolean {
  return requested.map((r) => classify(r, tool)).some((r) => !('exact' in r));
}

/**
 * The versions to mirror, unique and in ascending order. `available` is the release
 * list's versions; it may be undefined when every request is exact.
 */
export function resolveToolVersions(
  requested: readonly string[],
  available: readonly string[] | undefined,
  tool?: ReleaseTool,
): string[] {
  const what = tool === undefined ? 'release' : `${tool} release`;
  const requests = requested.map((r) => ({ text: r.trim(), request: classify(r, tool) }));
  let listed: { text: string; version: Version }[] | undefined;
  const chosen = new Map<string, Version>();
  for (const { text, request } of requests) {
    if ('exact' in request) {
      chosen.set(request.exact, scanVersion(request.exact).value);
      continue;
    }
    if (available === undefined) {
      throw new AirgapError(
        'USAGE',
        `${tool ?? 'version'} "${text}" is a constraint, and no release list was given to resolve it`,
        {
          expected: 'a release list',
          actual: 'none',
        },
      );
    }
    listed ??= available.map((a) => ({ text: a, version: scanVersion(a).value }));
    let best: { text: string; version: Version } | undefined;
    for (const candidate of listed) {
      if (!satisfiesAll(candidate.version, request.constraints)) continue;
      if (best === undefined || compareVersions(candidate.version, best.version) > 0) best = candidate;
    }
    if (best === undefined) throw unsatisfiable(what, text, listed);
    chosen.set(best.text, best.version);
  }
  return [...chosen.entries()].sort((a, b) => compareVersions(a[1], b[1])).map(([text]) => text);
}

/** Asks for the newest stable release: a constraint with no parts, which every stable version meets. */
export const LATEST = 'latest';

/** What a --tofu/--terraform value may be, said in every syntax error. */
const SYNTAX = 'a version (1.8.5), latest, or constraints like "~> 1.8", ">= 1.6, < 1.9"';
const SYNTAX_REMEDY =
  'operators: = != > >= < <= ~> (one space after the operator, or none); join constraints with ","';

function classify(raw: string, tool: ReleaseTool | undefined): Request {
  const text = raw.trim();
  const flag = tool === undefined ? 'version' : `--${tool}`;
  if (text === '') {
    throw new AirgapError(
      'USAGE',
      `${flag}: empty version or constraint; expected ${SYNTAX}`,
      { expected: SYNTAX, actual: '""' },
      SYNTAX_REMEDY,
    );
  }
  if (text === LATEST) return { constraints: [] };
  const exact = scanVersion(text);
  if (exact.error === undefined && formatVersion(exact.value) === text) return { exact: text };
  // tofu's own parser for constraints (go-versions ParseRubyStyleMulti): "~>1.8" and
  // ">=1.6,<1.9" are fine without spaces, as in a required_providers block.
  const parsed = scanVersionConstraints(text);
  const problem = constraintProblem(parsed);
  const [only, ...rest] = parsed.value;
  if (problem !== undefined || only === undefined) {
    throw new AirgapError(
      'USAGE',
      `${flag} "${text}": ${problem ?? 'no version or constraint'}; expected ${SYNTAX}`,
      { expected: SYNTAX, actual: text },
      SYNTAX_REMEDY,
    );
  }
  if (rest.length === 0 && only.operator === '=' && only.parts === 3)
    return { exact: formatVersion(only.version) };
  return { constraints: parsed.value };
}

function constraintProblem(parsed: Parsed<VersionConstraint[]>): string | undefined {
  if (parsed.error !== undefined) return parsed.error;
  if (parsed.value.length === 0) return 'no version or constraint';
  // go-versions takes a bare operator ("~>") as a constraint; tofu's configuration
  // parser (hashicorp/go-version, internal/configs) refuses it, and so do we.
  if (parsed.value.some((c) => c.parts === 0)) return 'an operator without a version';
  return undefined;
}

function satisfiesAll(v: Version, constraints: readonly VersionConstraint[]): boolean {
  if (v.prerelease !== '') {
    const named = constraints.some((c) => c.operator === '=' && sameVersion(c.version, v));
    if (!named) return false;
  }
  return constraints.every((c) => satisfies(v, c));
}

function sameVersion(a: Version, b: Version): boolean {
  return compareVersions(a, b) === 0;
}

function satisfies(v: Version, c: VersionConstraint): boolean {
  const cmp = compareVersions(v, c.version);
  switch (c.operator) {
    case '=':
      return cmp === 0;
    case '!=':
      return cmp !== 0;
    case '>':
      return cmp > 0;
    case '>=':
      return cmp >= 0;
    case '<':
      return cmp < 0;
    case '<=':
      return cmp <= 0;
    case '~>': {
      const { major, minor } = c.version;
      const upper: Version =
        c.parts >= 3
          ? { major, minor: minor + 1, patch: 0, prerelease: '', metadata: '' }
          : { major: major + 1, minor: 0, patch: 0, prerelease: '', metadata: '' };
      return cmp >= 0 && compareVersions(v, upper) < 0;
    }
  }
}

function unsatisfiable(
  what: string,
  text: string,
  listed: { text: string; version: Version }[],
): AirgapError {
  const newest = [...listed]
    .filter((l) => l.version.prerelease === '')
    .sort((a, b) => compareVersions(b.version, a.version))
    .slice(0, NEWEST_SHOWN)
    .map((l) => l.text);
  const shown = newest.length === 0 ? 'none' : newest.join(', ');
  return new AirgapError(
    'RELEASE_NOT_FOUND',
    `no ${what} matches "${text}" (${listed.length} listed; newest: ${shown})`,
    { expected: text, actual: shown },
  );
}
