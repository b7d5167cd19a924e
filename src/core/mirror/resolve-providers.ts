// Which versions of each `providers:` entry of airgap.yaml to mirror, from the versions
// its registry lists (docs/SPEC-FORMAT.md, "providers"). Pure: the caller fetches each
// provider's version list and hands it in.
//
// The rules are tofu's, so that what airgap mirrors is what tofu would install:
//   - Matching is go-versions' MeetingConstraints (apparentlymart/go-versions v1.0.3,
//     versions/parse.go), the function tofu's installer and `tofu providers mirror`
//     use (opentofu internal/providercache/installer.go ensureProviderVersionsMightNeed,
//     internal/command/providers_mirror.go): a prerelease is in the set only when an
//     "=" part names it exactly; "=" and "!=" compare build metadata too, the other
//     operators ignore it; 0.0.0 (go-versions' Unspecified) meets no constraint.
//   - "Newest" is go-versions' precedence (Version.GreaterThan), which orders
//     prerelease identifiers with go-versions' own rule (VersionExtra.LessThan: the
//     identifier list that ends first is the lower, before its last part is compared).
//   - Without `all`, each item picks the newest listed version it meets, as tofu's
//     installer does for one constraint and terraform-bundle did for each item of a
//     `versions` list (tools/terraform-bundle/package.go ensureProviderVersions).
//     With `all: true`, every listed version that meets at least one item.
//   - Platforms do not take part in the choice. tofu picks the newest matching version
//     first and only then asks for the platform's package, failing when there is none
//     rather than falling back to an older version (registry_source.go
//     AvailableVersions: "We intentionally produce an error on incompatibility, rather
//     than silently ignoring an incompatible version"); terraform-bundle did the same.
//     A mirror that skipped to an older version would also disagree with tofu on the
//     isolated side, which picks the newest version the mirror holds. So a chosen
//     version that the registry lists without a requested platform is reported
//     (`missingPlatforms`, with the newest matching version that has them all as a
//     hint) and fails like any other missing package, unless the run skips those.
//   - Versions are written in canonical form (go-versions Version.String()), as tofu
//     uses them; a listed string that is no version fails the whole list, as in tofu
//     (registry_source.go: "registry response includes invalid version string").

import { compareStrings } from '../compare.js';
import { AirgapError, AirgapErrors, BugError } from '../errors.js';
import type { ProviderAddress } from '../provider/address.js';
import { formatVersion, scanVersion, scanVersionConstraints, type Version } from '../provider/version.js';
import type { VersionConstraint } from '../provider/version.js';
import type { ProviderVersionInfo } from '../registry/protocol.js';
import type { Located, SourcePosition, SpecProvider } from '../spec/types.js';

export interface ResolveProvidersInput {
  /** The spec file's name, as positions are reported against it (Spec.file). */
  file: string;
  /** The `providers:` entries, in the order written. */
  providers: readonly SpecProvider[];
  /** Each provider's versions as its registry lists them, by canonical key ("host/ns/type"). */
  available: ReadonlyMap<string, readonly ProviderVersionInfo[]>;
  /** The platforms being mirrored (OS_ARCH). */
  platforms: readonly string[];
}

/** One version of a provider to mirror. */
export interface ProviderVersionSelection {
  /** Canonical form. */
  version: string;
  /**
   * The items of the entry this version meets, in the order written: those it was
   * chosen for, and any other it also meets. Never empty.
   */
  constraints: Located<string>[];
  /** The platforms the registry's version list names for this version, sorted (possibly none). */
  listedPlatforms: string[];
  /**
   * Requested platforms the registry's version list does not name for this version,
   * sorted. Empty when the list names them all, and when it names no platform at all
   * (the list then says nothing either way; the download answer decides).
   */
  missingPlatforms: string[];
  /**
   * With missingPlatforms: the newest listed version that meets one of `constraints`
   * and names every requested platform, if there is one.
   */
  newestWithEveryPlatform?: string;
}

export interface ResolvedProvider {
  /** The `providers:` key as written, with its position. */
  source: Located<string>;
  address: ProviderAddress;
  key: string;
  /** Ascending, each version once. */
  versions: ProviderVersionSelection[];
}

/**
 * The versions to mirror for each entry, in the order written. Throws one AirgapError
 * (PROVIDER_NOT_FOUND for an item no listed version meets, REGISTRY_PROTOCOL for a
 * list with a string that is no version), or AirgapErrors with every such problem.
 */
export function resolveProviders(input: ResolveProvidersInput): ResolvedProvider[] {
  const errors: AirgapError[] = [];
  const resolved: ResolvedProvider[] = [];
  for (const request of input.providers) {
    const listing = input.available.get(request.key);
    if (listing === undefined) {
      throw new BugError(`resolveProviders: no version list was given for ${request.key}`);
    }
    try {
      resolved.push(resolveOne(input.file, request, listing, input.platforms));
    } catch (e) {
      if (e instanceof AirgapErrors) errors.push(...e.errors);
      else if (e instanceof AirgapError && !(e instanceof BugError)) errors.push(e);
      else throw e;
    }
  }
  if (errors.length === 1) throw errors[0] as AirgapError;
  if (errors.length > 1) throw new AirgapErrors(errors);
  return resolved;
}

interface Listed {
  text: string;
  version: Version;
  /** Empty: the registry named none. */
  platforms: ReadonlySet<string>;
}

interface Item {
  located: Located<string>;
  constraints: VersionConstraint[];
}

function resolveOne(
  file: string,
  request: SpecProvider,
  listing: readonly ProviderVersionInfo[],
  platforms: readonly string[],
): ResolvedProvider {
  const listed = readListing(request.key, listing);
  const items = request.versions.value.map((located) => parseItem(file, request, located));

  const chosen = new Map<string, Listed>();
  const errors: AirgapError[] = [];
  for (const item of items) {
    const meeting = listed.filter((l) => meetsVersionConstraints(l.version, item.constraints));
    if (meeting.length === 0) {
      errors.push(unmatched(file, request, item, listed));
      continue;
    }
    const take = request.all?.value === true ? meeting : meeting.slice(-1);
    for (const l of take) chosen.set(l.text, l);
  }
  if (errors.length === 1) throw errors[0] as AirgapError;
  if (errors.length > 1) throw new AirgapErrors(errors);

  const versions = [...chosen.values()]
    .sort((a, b) => compareVersionPrecedence(a.version, b.version))
    .map((l) => {
      const met = items.filter((i) => meetsVersionConstraints(l.version, i.constraints));
      const missing =
        l.platforms.size === 0 ? [] : platforms.filter((p) => !l.platforms.has(p)).sort(compareStrings);
      const selection: ProviderVersionSelection = {
        version: l.text,
        constraints: met.map((i) => i.located),
        listedPlatforms: [...l.platforms].sort(compareStrings),
        missingPlatforms: [...new Set(missing)],
      };
      if (missing.length > 0) {
        const complete = listed.filter(
          (c) =>
            platforms.every((p) => c.platforms.has(p)) &&
            met.some((i) => meetsVersionConstraints(c.version, i.constraints)),
        );
        const newest = complete[complete.length - 1];
        if (newest !== undefined) selection.newestWithEveryPlatform = newest.text;
      }
      return selection;
    });
  return { source: request.source, address: request.address, key: request.key, versions };
}

/** Canonical, each version once, ascending by go-versions precedence. */
function readListing(key: string, listing: readonly ProviderVersionInfo[]): Listed[] {
  const byText = new Map<string, Listed>();
  for (const info of listing) {
    const parsed = scanVersion(info.version);
    if (parsed.error !== undefined) {
      throw new AirgapError(
        'REGISTRY_PROTOCOL',
        `the registry's version list for ${key} includes ${JSON.stringify(info.version)}, which is not a version: ${parsed.error}`,
        { provider: key, expected: 'MAJOR.MINOR.PATCH[-PRE][+META]', actual: info.version },
      );
    }
    const text = formatVersion(parsed.value);
    const seen = byText.get(text);
    const platforms = new Set([...(seen?.platforms ?? []), ...info.platforms]);
    byText.set(text, { text, version: parsed.value, platforms });
  }
  return [...byText.values()].sort((a, b) => compareVersionPrecedence(a.version, b.version));
}

function parseItem(file: string, request: SpecProvider, located: Located<string>): Item {
  const parsed = scanVersionConstraints(located.value);
  if (parsed.error !== undefined || parsed.value.length === 0) {
    // parseSpec refuses these; a caller that built the request by hand gets told where.
    throw new AirgapError(
      'SPEC_INVALID',
      `${at(file, located.at)}: ${request.source.value}: expected a version or constraint such as "5.31.0" or "~> 5.0", found ${JSON.stringify(located.value)}`,
      { path: at(file, located.at), provider: request.key, actual: located.value },
    );
  }
  return { located, constraints: parsed.value };
}

function at(file: string, position: SourcePosition): string {
  return `${file}:${position.line}:${position.col}`;
}

// --- the message for an item nothing meets -------------------------------------

function unmatched(file: string, request: SpecProvider, item: Item, listed: readonly Listed[]): AirgapError {
  const where = at(file, item.located.at);
  const constraint = item.located.value.trim();
  const near = nearest(item, listed);
  return new AirgapError(
    'PROVIDER_NOT_FOUND',
    `${where}: no version of ${request.key} matches ${constraint}; ${near.text}`,
    { path: where, provider: request.key, expected: constraint, actual: near.versions.join(', ') || 'none' },
    `change the constraint in ${file} to one that a listed version of ${request.key} meets`,
  );
}

/**
 * The listed versions on either side of what the item asks for: the newest below its
 * anchor (the version of its first "=", "~>", ">=" or ">" part, else of its first
 * part) and the oldest from the anchor up (above it, for ">"). Prereleases count only when the item
 * names one, as only then could one match.
 */
function nearest(item: Item, listed: readonly Listed[]): { text: string; versions: string[] } {
  if (listed.length === 0) return { text: 'the registry lists no versions of it', versions: [] };
  const namesPrerelease = item.constraints.some((c) => c.version.prerelease !== '');
  const candidates = namesPrerelease ? listed : listed.filter((l) => l.version.prerelease === '');
  if (candidates.length === 0) {
    const newest = (listed[listed.length - 1] as Listed).text;
    return {
      text: `the registry lists only prereleases (newest ${newest}), and a prerelease matches only when named exactly ("= ${newest}")`,
      versions: [newest],
    };
  }
  if (candidates.length === 1) {
    const only = (candidates[0] as Listed).text;
    return { text: `the only version listed is ${only}`, versions: [only] };
  }
  const anchorPart =
    item.constraints.find((c) => ['=', '~>', '>=', '>'].includes(c.operator)) ?? item.constraints[0];
  const anchor = (anchorPart as VersionConstraint).version;
  // "> X" leaves X itself below.
  const edge = anchorPart?.operator === '>' ? 1 : 0;
  const below = [...candidates].reverse().find((c) => compareVersionPrecedence(c.version, anchor) < edge);
  const above = candidates.find((c) => compareVersionPrecedence(c.version, anchor) >= edge);
  if (below !== undefined && above !== undefined) {
    return { text: `nearest are ${below.text} and ${above.text}`, versions: [below.text, above.text] };
  }
  if (below !== undefined) return { text: `newest is ${below.text}`, versions: [below.text] };
  const oldest = above as Listed;
  return { text: `oldest is ${oldest.text}`, versions: [oldest.text] };
}

// --- go-versions' MeetingConstraints and precedence ------------------------------

/**
 * Whether `v` is in go-versions' MeetingConstraints of one Ruby-style constraint list
 * (all parts must hold), as tofu reads a required_providers `version`.
 */
export function meetsVersionConstraints(v: Version, constraints: readonly VersionConstraint[]): boolean {
  // Set.Has: the Unspecified version is in no set but All.
  if (isUnspecified(v)) return constraints.length === 0;
  if (!constraints.every((c) => inConstraintSet(v, c))) return false;
  if (v.prerelease === '') return true;
  // Released ∪ (AllRequested ∩ Prerelease ∩ exact): only an "=" part requests a version.
  return constraints.some((c) => c.operator === '=' && identical(v, c.version));
}

// MeetingConstraintsExact for one SelectionSpec: the lower bound's metadata is kept
// for "=" and "!=" only; "~>" spans to the next minor (three parts written) or major.
function inConstraintSet(v: Version, c: VersionConstraint): boolean {
  if (c.operator === '=') return identical(v, c.version);
  if (c.operator === '!=') return !identical(v, c.version);
  const lower: Version = { ...c.version, metadata: '' };
  switch (c.operator) {
    case '>':
      return goGreater(v, lower);
    case '>=':
      return goGreater(v, lower) || goSame(v, lower);
    case '<':
      return goLess(v, lower);
    case '<=':
      return goLess(v, lower) || goSame(v, lower);
    case '~>': {
      const upper: Version =
        c.parts === 3
          ? { major: lower.major, minor: lower.minor + 1, patch: 0, prerelease: '', metadata: '' }
          : { major: lower.major + 1, minor: 0, patch: 0, prerelease: '', metadata: '' };
      return (goGreater(v, lower) || goSame(v, lower)) && goLess(v, upper);
    }
  }
}

function isUnspecified(v: Version): boolean {
  return v.major === 0 && v.minor === 0 && v.patch === 0 && v.prerelease === '' && v.metadata === '';
}

/** Go struct equality: build metadata included. */
function identical(a: Version, b: Version): boolean {
  return goSame(a, b) && a.metadata === b.metadata;
}

/** Version.Same: equal precedence, build metadata ignored. */
function goSame(a: Version, b: Version): boolean {
  return a.major === b.major && a.minor === b.minor && a.patch === b.patch && a.prerelease === b.prerelease;
}

function goLess(a: Version, b: Version): boolean {
  if (a.major !== b.major) return a.major < b.major;
  if (a.minor !== b.minor) return a.minor < b.minor;
  if (a.patch !== b.patch) return a.patch < b.patch;
  if (a.prerelease === b.prerelease) return false;
  if (a.prerelease === '') return false;
  if (b.prerelease === '') return true;
  return extraLess(a.prerelease, b.prerelease);
}

function goGreater(a: Version, b: Version): boolean {
  if (a.major !== b.major) return a.major > b.major;
  if (a.minor !== b.minor) return a.minor > b.minor;
  if (a.patch !== b.patch) return a.patch > b.patch;
  if (a.prerelease === b.prerelease) return false;
  if (a.prerelease === '') return true;
  if (b.prerelease === '') return false;
  return !extraLess(a.prerelease, b.prerelease);
}

/**
 * go-versions precedence as a sort order (ascending): what "newest" means to tofu.
 * Versions that differ only in build metadata compare equal.
 */
export function compareVersionPrecedence(a: Version, b: Version): number {
  return goLess(a, b) ? -1 : goGreater(a, b) ? 1 : 0;
}

// VersionExtra.LessThan: identifiers compared in turn, but a list that runs out of
// dots first is the lower without its last identifier being compared ("beta" sorts
// below "alpha.1"), unlike SemVer.
function extraLess(e: string, other: string): boolean {
  if (e === other) return false;
  let s1 = e;
  let s2 = other;
  for (;;) {
    const d1 = s1.indexOf('.');
    const d2 = s2.indexOf('.');
    if (d1 === -1 && d2 !== -1) return true;
    if (d2 === -1 && d1 !== -1) return false;
    if (d1 === -1) return identifierLess(s1, s2);
    const p1 = s1.slice(0, d1);
    const p2 = s2.slice(0, d2);
    if (p1 !== p2) return identifierLess(p1, p2);
    s1 = s1.slice(d1 + 1);
    s2 = s2.slice(d2 + 1);
  }
}

// lessThanStr: digits-only identifiers sort first, by length then text; others by text.
function identifierLess(a: string, b: string): boolean {
  const an = /^[0-9]*$/.test(a);
  const bn = /^[0-9]*$/.test(b);
  if (an && !bn) return true;
  if (bn && !an) return false;
  if (an && a.length !== b.length) return a.length < b.length;
  return a < b;
}

// --- requested platforms the chosen versions lack -------------------------------

/**
 * One PLATFORM_MISSING error per chosen version the registry lists without a
 * requested platform, at the position of the first item it was chosen for, with the
 * newest matching version that has every platform when there is one.
 */
export function platformGapErrors(file: string, resolved: readonly ResolvedProvider[]): AirgapError[] {
  const errors: AirgapError[] = [];
  for (const provider of resolved) {
    for (const selection of provider.versions) {
      if (selection.missingPlatforms.length === 0) continue;
      const first = selection.constraints[0] as Located<string>;
      const where = at(file, first.at);
      const matching = selection.constraints.map((c) => c.value.trim()).join(' and ');
      const missing = selection.missingPlatforms.join(', ');
      const listed = selection.listedPlatforms.join(', ');
      const hint =
        selection.newestWithEveryPlatform === undefined
          ? `no version matching ${matching} has them all`
          : `${selection.newestWithEveryPlatform} is the newest version matching ${matching} that has them all`;
      const pin =
        selection.newestWithEveryPlatform === undefined
          ? ''
          : `pin "${selection.newestWithEveryPlatform}" for ${provider.source.value} in ${file}, `;
      errors.push(
        new AirgapError(
          'PLATFORM_MISSING',
          `${where}: ${provider.key} ${selection.version} (matching ${matching}) has no package for ${missing} in the registry's list (it lists ${listed}); ${hint}`,
          {
            path: where,
            provider: provider.key,
            version: selection.version,
            platform: missing,
            expected: missing,
            actual: listed,
          },
          `${pin}drop ${missing} from platforms, or pass --skip-missing-platforms to mirror what exists`,
        ),
      );
    }
  }
  return errors;
}
