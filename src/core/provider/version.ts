// Provider version numbers and version constraints as Terraform/OpenTofu
// read them (apparentlymart/go-versions v1.0.3, the release opentofu's go.mod
// names: ParseVersion and the Ruby-style constraint syntax of
// versions/constraints/ruby_style.go), and the canonical string forms lock
// files require (opentofu internal/getproviders/types.go,
// VersionConstraintsString).

import { AirgapError } from '../errors.js';

export interface Version {
  major: number;
  minor: number;
  patch: number;
  /** Without the leading "-"; "" when absent. */
  prerelease: string;
  /** Without the leading "+"; "" when absent. */
  metadata: string;
}

export type ConstraintOperator = '=' | '!=' | '>' | '>=' | '<' | '<=' | '~>';

export interface VersionConstraint {
  operator: ConstraintOperator;
  /** Omitted parts count as 0. */
  version: Version;
  /**
   * For "~>": how many numeric parts were written. With 3 ("~> 1.2.3")
   * only the patch may grow; otherwise ("~> 1.2", "~> 1") the minor may.
   */
  parts: number;
}

/** A parse result: `error` is set when the text was not valid; the value is then a best effort. */
export interface Parsed<T> {
  value: T;
  error?: string;
}

export const ZERO_VERSION: Version = { major: 0, minor: 0, patch: 0, prerelease: '', metadata: '' };

// --- scanner (go-versions raw_scan.rl) ---------------------------------------

interface RawConstraint {
  op: string;
  sep: string;
  nums: [string, string, string];
  numCt: number;
  pre: string;
  meta: string;
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isSpace = (c: string | undefined): boolean => c !== undefined && /[\t\n\v\f\r ]/.test(c);
const isAlpha = (c: string | undefined): boolean => c !== undefined && /[A-Za-z]/.test(c);
const isExtra = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9.-]/.test(c);

function scanNum(s: string, i: number): number {
  if (isDigit(s[i])) {
    let j = i;
    while (isDigit(s[j])) j++;
    return j;
  }
  if (s[i] === '*' || s[i] === 'x' || s[i] === 'X') return i + 1;
  return i;
}

function scanConstraint(s: string): { raw: RawConstraint; rest: string } {
  const raw: RawConstraint = { op: '', sep: '', nums: ['', '', ''], numCt: 0, pre: '', meta: '' };
  let i = 0;
  const opStart = i;
  while (i < s.length && !(isDigit(s[i]) || isSpace(s[i]) || isAlpha(s[i]) || s[i] === '.' || s[i] === '*'))
    i++;
  raw.op = s.slice(opStart, i);
  const sepStart = i;
  while (i < s.length && (isSpace(s[i]) || s[i] === 'v')) i++;
  raw.sep = s.slice(sepStart, i);

  for (;;) {
    const end = scanNum(s, i);
    if (end === i) break;
    if (raw.numCt < 3) raw.nums[raw.numCt] = s.slice(i, end);
    raw.numCt++;
    i = end;
    if (s[i] === '.' && scanNum(s, i + 1) > i + 1) i++;
    else break;
  }
  if (raw.numCt > 0) {
    if (s[i] === '-' && isExtra(s[i + 1])) {
      let j = i + 1;
      while (isExtra(s[j])) j++;
      raw.pre = s.slice(i + 1, j);
      i = j;
    }
    if (s[i] === '+' && isExtra(s[i + 1])) {
      let j = i + 1;
      while (isExtra(s[j])) j++;
      raw.meta = s.slice(i + 1, j);
      i = j;
    }
  }
  return { raw, rest: s.slice(i) };
}

const isWildcard = (n: string): boolean => n === '*' || n === 'x' || n === 'X';
const NUM_NAMES = ['major', 'minor', 'patch'];

function rawVersion(raw: RawConstraint): Version {
  return {
    major: Number(raw.nums[0] || '0'),
    minor: Number(raw.nums[1] || '0'),
    patch: Number(raw.nums[2] || '0'),
    prerelease: raw.pre,
    metadata: raw.meta,
  };
}

// --- exact versions ----------------------------------------------------------

/** go-versions ParseVersion. Lenient ("1.0" is 1.0.0): compare formatVersion(value) with the text for strictness. */
export function scanVersion(text: string): Parsed<Version> {
  const fail = (error: string): Parsed<Version> => ({ value: ZERO_VERSION, error });
  if (text.trim() === '') return fail('empty specification');
  const { raw, rest } = scanConstraint(text);
  switch (raw.op.trim()) {
    case '>':
    case '>=':
    case '<':
    case '<=':
    case '!':
    case '!=':
    case '~>':
    case '^':
    case '~':
      return fail(`can't use constraint operator ${JSON.stringify(raw.op)}; an exact version is required`);
    case '':
      if (raw.sep !== '') {
        if (raw.sep.includes('v')) return fail('a "v" prefix should not be used');
        return fail('extraneous spaces at start of specification');
      }
      break;
    default:
      return fail(`invalid sequence ${JSON.stringify(raw.op)} at start of specification`);
  }
  if (rest !== '') {
    const remain = rest.trim();
    if (remain === '') return fail('extraneous spaces at end of specification');
    if (text.startsWith('v')) return fail('a "v" prefix should not be used');
    if (remain.startsWith(',') || remain.startsWith('|')) {
      return fail("can't specify multiple versions; a single exact version is required");
    }
    if (remain.startsWith('-'))
      return fail("can't specify version range; a single exact version is required");
    if (text.trim().startsWith(remain)) {
      return fail('invalid specification; required format is three positive integers separated by periods');
    }
    return fail(`invalid characters ${JSON.stringify(remain)}`);
  }
  if (raw.numCt > 3) return fail('too many numbered portions; only three are allowed (major, minor, patch)');
  for (let i = 0; i < 3; i++) {
    if (isWildcard(raw.nums[i] as string)) {
      return fail(`can't use wildcard for ${NUM_NAMES[i]} number; an exact version is required`);
    }
  }
  return { value: rawVersion(raw) };
}

export function formatVersion(v: Version): string {
  let s = `${v.major}.${v.minor}.${v.patch}`;
  if (v.prerelease !== '') s += `-${v.prerelease}`;
  if (v.metadata !== '') s += `+${v.metadata}`;
  return s;
}

/**
 * Parses a version that must be written in canonical form ("1.2.3",
 * "6.0.0-beta3"), as lock files require. Throws AirgapError('USAGE').
 */
export function parseVersion(text: string): Version {
  const r = scanVersion(text);
  if (r.error !== undefined) {
    throw new AirgapError('USAGE', `invalid version ${JSON.stringify(text)}: ${r.error}`, { actual: text });
  }
  const canon = formatVersion(r.value);
  if (canon !== text) {
    throw new AirgapError(
      'USAGE',
      `version ${JSON.stringify(text)} must be written in normalized form ${JSON.stringify(canon)}`,
      {
        expected: canon,
        actual: text,
      },
    );
  }
  return r.value;
}

function comparePrerelease(a: string, b: string): number {
  if (a === b) return 0;
  if (a === '') return 1;
  if (b === '') return -1;
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i] as string;
    const y = pb[i] as string;
    if (x === y) continue;
    const xn = /^[0-9]+$/.test(x);
    const yn = /^[0-9]+$/.test(y);
    if (xn && yn) return Number(x) - Number(y) < 0 ? -1 : 1;
    if (xn) return -1;
    if (yn) return 1;
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length < 0 ? -1 : pa.length === pb.length ? 0 : 1;
}

/** Semantic-version precedence; build metadata is ignored. */
export function compareVersions(a: Version, b: Version): number {
  return (
    Math.sign(a.major - b.major) ||
    Math.sign(a.minor - b.minor) ||
    Math.sign(a.patch - b.patch) ||
    comparePrerelease(a.prerelease, b.prerelease)
  );
}

// --- constraints -------------------------------------------------------------

// go-versions parseRubyStyle. Since go-versions c455a82 ("Tolerate missing space in
// ruby-like constraint", v1.0.0) no space after the operator is fine: tofu reads
// `version = "~>1.8"` and ">=1.6,<1.9" (internal/configs/config.go hands
// required_providers to internal/getproviders/types.go ParseVersionConstraints,
// which is constraints.ParseRubyStyleMulti). Two spaces are not.
function parseOneConstraint(raw: RawConstraint): Parsed<VersionConstraint> {
  const value: VersionConstraint = { operator: '=', version: rawVersion(raw), parts: raw.numCt };
  const fail = (error: string): Parsed<VersionConstraint> => ({ value, error });
  switch (raw.op) {
    case '':
    case '=':
      value.operator = '=';
      break;
    case '!=':
    case '>':
    case '>=':
    case '<':
    case '<=':
    case '~>':
      value.operator = raw.op;
      break;
    case '=<':
      return fail(`invalid constraint operator ${JSON.stringify(raw.op)}; did you mean "<="?`);
    case '=>':
      return fail(`invalid constraint operator ${JSON.stringify(raw.op)}; did you mean ">="?`);
    default:
      return fail(`invalid constraint operator ${JSON.stringify(raw.op)}`);
  }
  if (raw.sep === ' ') {
    if (raw.op === '') return fail('extraneous spaces at start of specification');
  } else if (raw.sep !== '') {
    if (raw.sep.includes('v')) return fail('a "v" prefix should not be used when specifying versions');
    if (raw.op === '') return fail('extraneous spaces at start of specification');
    return fail(`only one space is expected after the operator ${JSON.stringify(raw.op)}`);
  }
  if (raw.numCt > 3) return fail('too many numbered portions; only three are allowed (major, minor, patch)');
  for (let i = 0; i < 3; i++) {
    if (isWildcard(raw.nums[i] as string)) {
      return fail(
        `can't use wildcard for ${NUM_NAMES[i]} number; omit segments that should be unconstrained`,
      );
    }
  }
  return { value };
}

/** go-versions ParseRubyStyleMulti: comma-separated constraints, all of which must hold. */
export function scanVersionConstraints(text: string): Parsed<VersionConstraint[]> {
  const out: VersionConstraint[] = [];
  let remain = text.trim();
  while (remain !== '') {
    const { raw, rest } = scanConstraint(remain);
    const consumed = remain.slice(0, remain.length - rest.length);
    const one = parseOneConstraint(raw);
    if (one.error !== undefined) {
      return { value: [], error: `invalid specification ${JSON.stringify(consumed)}: ${one.error}` };
    }
    remain = rest.trim();
    if (remain !== '') {
      if (remain.startsWith('v')) {
        return { value: [], error: 'a "v" prefix should not be used when specifying versions' };
      }
      if (!remain.startsWith(','))
        return { value: [], error: `missing comma after ${JSON.stringify(consumed)}` };
      remain = remain.slice(1).trim();
    }
    out.push(one.value);
  }
  return { value: out };
}

const OPERATOR_PRIORITY: Record<string, number> = {
  '>': 1,
  '>=': 2,
  '=': 3,
  '~>patch': 4,
  '~>minor': 5,
  '<=': 6,
  '<': 7,
  '!=': 8,
};

function priorityKey(c: VersionConstraint): string {
  if (c.operator !== '~>') return c.operator;
  return c.parts === 3 ? '~>patch' : '~>minor';
}

function formatOne(c: VersionConstraint): string {
  const v = c.version;
  const prefix = c.operator === '=' ? '' : `${c.operator} `;
  let s = priorityKey(c) === '~>minor' ? `${v.major}.${v.minor}` : `${v.major}.${v.minor}.${v.patch}`;
  if (v.prerelease !== '') s += `-${v.prerelease}`;
  if (v.metadata !== '') s += `+${v.metadata}`;
  return prefix + s;
}

/**
 * The canonical form Terraform writes into lock files: duplicates removed,
 * sorted by version then operator, omitted parts written as 0, "~> X.Y"
 * kept with two parts. "" for no constraints.
 */
export function formatVersionConstraints(constraints: readonly VersionConstraint[]): string {
  const unique = new Map<string, VersionConstraint>();
  for (const c of constraints) unique.set(`${priorityKey(c)} ${formatVersion(c.version)}`, c);
  const sorted = [...unique.values()].sort((a, b) => {
    const byVersion = compareVersions(a.version, b.version);
    if (byVersion !== 0) return byVersion;
    if (a.version.metadata !== b.version.metadata) return a.version.metadata < b.version.metadata ? -1 : 1;
    return (OPERATOR_PRIORITY[priorityKey(a)] ?? 0) - (OPERATOR_PRIORITY[priorityKey(b)] ?? 0);
  });
  return sorted.map(formatOne).join(', ');
}
