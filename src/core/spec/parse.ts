// airgap.yaml -> Spec (docs/SPEC-FORMAT.md). Pure: the caller reads the file and
// passes its text. Every problem in the file is collected, not just the first, and
// thrown together as one AirgapErrors of SPEC_INVALID, sorted by position, each
// message "FILE:LINE:COL: KEY.PATH: expected X, found Y". docs/airgap.schema.json
// says the same in JSON Schema; test/unit/spec/schema.test.ts keeps the two in step.

import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { AirgapError, AirgapErrors, isAirgapError } from '../errors.js';
import { normalizeProviderPattern, renderTofurc } from '../config/tofurc.js';
import { normalizeImageName, parseBaseImageReference } from '../oci/base-reference.js';
import {
  checkHostname,
  formatProviderAddress,
  hostnameForDisplay,
  isBuiltInProvider,
  isLegacyProvider,
  parseProviderAddress,
  parseProviderSource,
  type ProviderAddress,
} from '../provider/address.js';
import { defaultModuleHost, formatModuleAddress, parseModuleSource } from '../module/address.js';
import { parsePlatform } from '../provider/platform.js';
import { parseVersion, scanVersionConstraints } from '../provider/version.js';
import { redactUrl } from '../redact.js';
import type { ReleaseTool } from '../releases/types.js';
import { parseSplitSize } from '../transfer/pack-size.js';
import { closestName, foldName } from './suggest.js';
import { parseServeBaseUrl } from '../serve/listen.js';
import {
  SPEC_API_VERSION,
  SPEC_DEFAULT_REGISTRY,
  type Located,
  type LocatedList,
  type SourcePosition,
  type Spec,
  type SpecBinaries,
  type SpecBinary,
  type SpecConfigs,
  type SpecImage,
  type SpecImageArchive,
  type SpecLocalProvider,
  type SpecModule,
  type SpecOutput,
  type SpecProvider,
  type SpecRegistries,
} from './types.js';

// --- the grammar's key names -------------------------------------------------

export const TOP_KEYS = [
  'apiVersion',
  'defaultRegistry',
  'platforms',
  'lockfiles',
  'providers',
  'localProviders',
  'binaries',
  'image',
  'configs',
  'output',
  'registries',
  'modules',
  'configurations',
] as const;
const PROVIDER_KEYS = ['versions', 'all'] as const;
const LOCAL_PROVIDER_KEYS = ['source', 'version', 'platform', 'path'] as const;
const BINARY_TOOLS: readonly ReleaseTool[] = ['tofu', 'terraform'];
const BINARY_KEYS = ['versions', 'key', 'apiUrl', 'baseUrl'] as const;
const IMAGE_KEYS = ['build', 'base', 'caCertificates', 'archive', 'registryInsecure', 'serve'] as const;
const IMAGE_SERVE_KEYS = ['url'] as const;
const ARCHIVE_KEYS = ['file', 'platform', 'tag'] as const;
const CONFIGS_KEYS = ['mirrorPath', 'networkMirrorUrl', 'allowDirect', 'workflowTool'] as const;
const OUTPUT_KEYS = [
  'dir',
  'tarball',
  'compress',
  'splitSize',
  'signKey',
  'toolPackage',
  'base',
  'baseTrustedKeys',
] as const;
const REGISTRIES_KEYS = ['caCertificates'] as const;
const COMPRESSIONS = ['none', 'gzip'] as const;
/** The keys of each map in the grammar, by key path ("" is the top); the schema test compares them with docs/airgap.schema.json. */
export const SPEC_KEYS: Readonly<Record<string, readonly string[]>> = {
  '': TOP_KEYS,
  'providers.*': PROVIDER_KEYS,
  'localProviders[]': LOCAL_PROVIDER_KEYS,
  binaries: BINARY_TOOLS,
  'binaries.*': BINARY_KEYS,
  image: IMAGE_KEYS,
  'image.archive': ARCHIVE_KEYS,
  'image.serve': IMAGE_SERVE_KEYS,
  configs: CONFIGS_KEYS,
  output: OUTPUT_KEYS,
  registries: REGISTRIES_KEYS,
};
/** output keys that describe the tarball, so mean nothing without output.tarball. */
const TARBALL_KEYS = ['compress', 'splitSize', 'signKey', 'toolPackage', 'base', 'baseTrustedKeys'] as const;

/**
 * Where the value of a flag (or of a key misplaced) goes, by folded name, for the
 * "did you mean" of an unknown key: `out:` at the top means output.dir.
 */
const ELSEWHERE: Readonly<Record<string, readonly string[]>> = {
  lockfile: ['lockfiles'],
  dir: ['lockfiles (what --dir does)', 'output.dir'],
  platform: ['platforms'],
  out: ['output.dir'],
  localprovider: ['localProviders'],
  cacert: ['registries.caCertificates'],
  cacertificates: ['registries.caCertificates', 'image.caCertificates'],
  tofu: ['binaries.tofu'],
  opentofu: ['binaries.tofu'],
  tofuapiurl: ['binaries.tofu.apiUrl'],
  tofubaseurl: ['binaries.tofu.baseUrl'],
  tofukey: ['binaries.tofu.key'],
  terraform: ['binaries.terraform'],
  terraformapiurl: ['binaries.terraform.apiUrl'],
  terraformbaseurl: ['binaries.terraform.baseUrl'],
  terraformkey: ['binaries.terraform.key'],
  mirrorpath: ['configs.mirrorPath'],
  networkmirrorurl: ['configs.networkMirrorUrl'],
  allowdirect: ['configs.allowDirect'],
  workflowtool: ['configs.workflowTool'],
  baseimage: ['image.base'],
  base: ['image.base'],
  baseregistryinsecure: ['image.registryInsecure'],
  registryinsecure: ['image.registryInsecure'],
  cacertintoimage: ['image.caCertificates'],
  archive: ['image.archive'],
  imagearchive: ['image.archive.file'],
  imagearchiveplatform: ['image.archive.platform'],
  imagearchivetag: ['image.archive.tag'],
  tarball: ['output.tarball'],
  compress: ['output.compress'],
  splitsize: ['output.splitSize'],
  signkey: ['output.signKey'],
  toolpackage: ['output.toolPackage'],
  module: ['modules'],
  configuration: ['configurations'],
};

/** Flags of `airgap mirror` that say how one run behaves, not what crosses the gap: they stay flags. */
const RUN_FLAGS: Readonly<Record<string, string>> = {
  concurrency: '--concurrency',
  updatelockfiles: '--update-lockfiles',
  skipmissingplatforms: '--skip-missing-platforms',
};

// Matched against folded key names (lower case, no "-" or "_").
const SECRET_KEY = /token|passw(or)?d|passphrase|secret|credential|apikey|^auths?$|authorization/;

export const SECRETS_NOTE =
  "secrets never go in airgap.yaml: registry tokens come from TF_TOKEN_<host> variables or the CLI config (tofu login), image registry logins from the docker config (docker login), the signing key's passphrase from AIRGAP_SIGN_PASSPHRASE";

const REMEDY =
  'fix the file: docs/SPEC-FORMAT.md describes every key (editors check it with docs/airgap.schema.json)';

// --- what is expected where --------------------------------------------------

const EXPECT = {
  path: 'a file path',
  platform: 'an OS_ARCH platform such as linux_amd64',
  constraint: 'a version or constraint such as "5.31.0", "~> 5.0" or ">= 1.6, < 1.9"',
  lockfile: 'a lock file path, glob or directory',
  url: 'an http(s) URL',
};

// --- problems ----------------------------------------------------------------

type Path = readonly (string | number)[];

interface Problem {
  at: SourcePosition;
  path: Path;
  expected: string;
  found: string;
  /** Said after the found value: a did-you-mean, a reason, where a secret goes instead. */
  note?: string;
}

/** A key path as users read it: `image.archive.tag`, `platforms[1]`, `providers["hashicorp/aws"].all`. */
export function formatKeyPath(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

interface Ctx {
  file: string;
  text: string;
  lines: LineCounter;
  doc: Document;
  problems: Problem[];
}

function report(
  ctx: Ctx,
  at: SourcePosition,
  path: Path,
  expected: string,
  found: string,
  note?: string,
): void {
  ctx.problems.push({ at, path, expected, found, ...(note === undefined ? {} : { note }) });
}

/**
 * Records where `key` was first seen; a second time is a problem naming both places.
 * `shown` is the key as messages write it.
 */
function firstTime(
  ctx: Ctx,
  seen: Map<string, SourcePosition>,
  key: string,
  shown: string,
  at: SourcePosition,
  path: Path,
  what: string,
): boolean {
  const first = seen.get(key);
  if (first !== undefined) {
    report(ctx, at, path, `each ${what} once`, `${shown} again (first at ${first.line}:${first.col})`);
    return false;
  }
  seen.set(key, at);
  return true;
}

function toError(file: string, p: Problem): AirgapError {
  const where = `${file}:${p.at.line}:${p.at.col}`;
  const key = formatKeyPath(p.path);
  const message = `${where}: ${key === '' ? '' : `${key}: `}expected ${p.expected}, found ${p.found}${p.note === undefined ? '' : `; ${p.note}`}`;
  return new AirgapError(
    'SPEC_INVALID',
    message,
    { path: where, expected: p.expected, actual: p.found },
    REMEDY,
  );
}

// --- nodes -------------------------------------------------------------------

/** A value in the document: a resolved yaml node, or null for a key with no value. */
interface Slot {
  node: unknown;
  path: Path;
  /** Where the key is (for a list item: where the item is). */
  keyAt: SourcePosition;
}

function pos(ctx: Ctx, offset: number): SourcePosition {
  const { line, col } = ctx.lines.linePos(offset);
  return { line, col };
}

function rangeOf(node: unknown): [number, number] | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range === undefined ? undefined : [range[0], range[1]];
}

/** See Located: the value's start for scalars and flow collections, else the key's. */
function at(ctx: Ctx, slot: Slot): SourcePosition {
  const { node } = slot;
  const range = rangeOf(node);
  if (range === undefined) return slot.keyAt;
  if (isScalar(node) && node.value !== null) return pos(ctx, range[0]);
  if ((isMap(node) || isSeq(node)) && node.flow === true) return pos(ctx, range[0]);
  return slot.keyAt;
}

function isEmpty(node: unknown): boolean {
  return node === null || node === undefined || (isScalar(node) && node.value === null);
}

function sourceText(ctx: Ctx, node: unknown): string {
  const range = rangeOf(node);
  return range === undefined ? '' : ctx.text.slice(range[0], range[1]);
}

function quote(text: string): string {
  const shown = text.length > 80 ? `${text.slice(0, 77)}...` : text;
  return JSON.stringify(shown);
}

/** What a value is, for "found ...". */
function describe(ctx: Ctx, node: unknown): string {
  if (isMap(node)) return 'a map';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const { value } = node;
    if (value === null) return sourceText(ctx, node) === '' ? 'an empty value' : sourceText(ctx, node);
    if (typeof value === 'string') return `the string ${quote(value)}`;
    if (typeof value === 'number') return `the number ${sourceText(ctx, node) || String(value)}`;
    if (typeof value === 'boolean') return `the boolean ${sourceText(ctx, node) || String(value)}`;
  }
  return 'a value of another kind';
}

function wrongType(ctx: Ctx, slot: Slot, expected: string, quoteHint = false): void {
  const { node } = slot;
  // YAML reads 1.10 as the number 1.1: the fix is quotes, and saying so saves a puzzle.
  const scalarNotText = isScalar(node) && (typeof node.value === 'number' || typeof node.value === 'boolean');
  const note =
    quoteHint && scalarNotText
      ? `write it in quotes ("${sourceText(ctx, node)}") to keep it text`
      : undefined;
  report(ctx, at(ctx, slot), slot.path, expected, describe(ctx, node), note);
}

/** Follows an alias (`*name`) to its anchor; undefined (and a problem) when the anchor is missing. */
function deref(ctx: Ctx, node: unknown, path: Path, keyAt: SourcePosition): unknown {
  if (!isAlias(node)) return node ?? null;
  const target = node.resolve(ctx.doc);
  if (target === undefined) {
    report(
      ctx,
      node.range === undefined || node.range === null ? keyAt : pos(ctx, node.range[0]),
      path,
      'an alias of an anchor defined above',
      `*${node.source}`,
    );
    return undefined;
  }
  return target;
}

function unknownKey(
  ctx: Ctx,
  path: Path,
  key: string,
  keyAt: SourcePosition,
  allowed: readonly string[],
): void {
  const folded = foldName(key);
  if (SECRET_KEY.test(folded)) {
    report(ctx, keyAt, path, 'no secrets in this file', `the key ${quote(key)}`, SECRETS_NOTE);
    return;
  }
  const run = RUN_FLAGS[folded];
  if (run !== undefined) {
    report(
      ctx,
      keyAt,
      path,
      'a key saying what crosses the gap',
      `${quote(key)}, which says how one run behaves`,
      `pass ${run} to airgap mirror instead`,
    );
    return;
  }
  const sibling = closestName(key, allowed);
  const elsewhere = ELSEWHERE[folded] ?? [];
  const note =
    sibling !== undefined
      ? `did you mean ${quote(sibling)}?`
      : elsewhere.length > 0
        ? `did you mean ${elsewhere.join(' or ')}?`
        : undefined;
  report(ctx, keyAt, path, `one of ${allowed.join(', ')}`, `unknown key ${quote(key)}`, note);
}

/**
 * The entries of a map, each key checked: a string, known, given once. Unknown and
 * repeated keys are reported and left out. undefined when the value is not a map.
 */
function readMap(
  ctx: Ctx,
  slot: Slot,
  allowed: readonly string[] | undefined,
  expected: string,
): Map<string, Slot> | undefined {
  if (!isMap(slot.node)) {
    wrongType(ctx, slot, expected);
    return undefined;
  }
  const entries = new Map<string, Slot>();
  const seen = new Map<string, SourcePosition>();
  for (const pair of slot.node.items) {
    const keyNode = pair.key;
    const keyRange = rangeOf(keyNode);
    const keyAt = keyRange === undefined ? at(ctx, slot) : pos(ctx, keyRange[0]);
    if (!isScalar(keyNode) || typeof keyNode.value !== 'string' || keyNode.value === '') {
      report(ctx, keyAt, slot.path, 'a key name', isEmpty(keyNode) ? 'an empty key' : describe(ctx, keyNode));
      continue;
    }
    const key = keyNode.value;
    const path = [...slot.path, key];
    if (!firstTime(ctx, seen, key, quote(key), keyAt, path, 'key')) continue;
    if (allowed !== undefined && !allowed.includes(key)) {
      unknownKey(ctx, path, key, keyAt, allowed);
      continue;
    }
    const node = deref(ctx, pair.value, path, keyAt);
    if (node === undefined) continue;
    entries.set(key, { node, path, keyAt });
  }
  return entries;
}

function missing(ctx: Ctx, parent: Slot, key: string, expected: string): void {
  report(ctx, at(ctx, parent), [...parent.path, key], expected, 'nothing', 'the key is required');
}

function readList(ctx: Ctx, slot: Slot, expected: string, minItems: number): Slot[] | undefined {
  if (!isSeq(slot.node)) {
    wrongType(ctx, slot, expected);
    return undefined;
  }
  if (slot.node.items.length < minItems) {
    report(ctx, at(ctx, slot), slot.path, expected, 'an empty list');
    return undefined;
  }
  const items: Slot[] = [];
  slot.node.items.forEach((item, i) => {
    const path = [...slot.path, i];
    const range = rangeOf(item);
    const itemAt = range === undefined ? at(ctx, slot) : pos(ctx, range[0]);
    const node = deref(ctx, item, path, itemAt);
    if (node !== undefined) items.push({ node, path, keyAt: itemAt });
  });
  return items;
}

// --- scalars -----------------------------------------------------------------

const CONTROL = /[\u0000-\u001f\u007f]/;

/** A non-empty string without control characters. */
function readText(ctx: Ctx, slot: Slot, expected: string, quoteHint = true): Located<string> | undefined {
  const { node } = slot;
  if (!isScalar(node) || typeof node.value !== 'string') {
    wrongType(ctx, slot, expected, quoteHint);
    return undefined;
  }
  const value = node.value;
  if (value === '') {
    report(ctx, at(ctx, slot), slot.path, expected, 'an empty string');
    return undefined;
  }
  if (CONTROL.test(value)) {
    report(
      ctx,
      at(ctx, slot),
      slot.path,
      `${expected} without control characters`,
      `the string ${quote(value)}`,
    );
    return undefined;
  }
  return { value, at: at(ctx, slot) };
}

function readBool(ctx: Ctx, slot: Slot): Located<boolean> | undefined {
  const { node } = slot;
  if (!isScalar(node) || typeof node.value !== 'boolean') {
    wrongType(ctx, slot, 'true or false');
    return undefined;
  }
  return { value: node.value, at: at(ctx, slot) };
}

function readEnum<T extends string>(ctx: Ctx, slot: Slot, values: readonly T[]): Located<T> | undefined {
  const expected = values.join(' or ');
  const text = readText(ctx, slot, expected, false);
  if (text === undefined) return undefined;
  if ((values as readonly string[]).includes(text.value)) return text as Located<T>;
  const close = closestName(text.value, values);
  report(
    ctx,
    text.at,
    slot.path,
    expected,
    quote(text.value),
    close === undefined ? undefined : `did you mean ${quote(close)}?`,
  );
  return undefined;
}

/**
 * The reason in a core error's message, the part after `"VALUE": `, so the value is not
 * said twice; undefined when all it adds is what was expected.
 */
function reasonOf(e: unknown, value: string): string | undefined {
  if (!isAirgapError(e)) throw e;
  const quoted = JSON.stringify(value);
  const marker = `${quoted}: `;
  const i = e.message.indexOf(marker);
  const reason =
    i >= 0
      ? e.message.slice(i + marker.length)
      : e.message.startsWith(`${quoted} `)
        ? e.message.slice(quoted.length + 1)
        : e.message;
  return reason.startsWith('expected ') ? undefined : reason;
}

/** Runs a core check; on its AirgapError reports the reason and returns undefined. */
function attempt<T>(
  ctx: Ctx,
  text: Located<string>,
  path: Path,
  expected: string,
  fn: () => T,
): T | undefined {
  try {
    return fn();
  } catch (e) {
    report(ctx, text.at, path, expected, quote(text.value), reasonOf(e, text.value));
    return undefined;
  }
}

function check(ctx: Ctx, text: Located<string>, path: Path, expected: string, fn: () => unknown): boolean {
  return attempt(ctx, text, path, expected, () => (fn(), true)) === true;
}

function readTextList(
  ctx: Ctx,
  slot: Slot,
  listExpected: string,
  itemExpected: string,
  minItems: number,
  itemCheck?: (text: Located<string>, item: Slot) => boolean,
  identity: (value: string) => string = (v) => v,
): LocatedList<string> | undefined {
  const items = readList(ctx, slot, listExpected, minItems);
  if (items === undefined) return undefined;
  const out: Located<string>[] = [];
  const seen = new Map<string, SourcePosition>();
  for (const item of items) {
    const text = readText(ctx, item, itemExpected);
    if (text === undefined) continue;
    if (itemCheck !== undefined && !itemCheck(text, item)) continue;
    const id = identity(text.value);
    const first = seen.get(id);
    if (first !== undefined) {
      report(
        ctx,
        text.at,
        item.path,
        'each item once',
        `${quote(text.value)} again (first at ${first.line}:${first.col})`,
      );
      continue;
    }
    seen.set(id, text.at);
    out.push(text);
  }
  return { value: out, at: at(ctx, slot) };
}

function readPath(ctx: Ctx, slot: Slot | undefined, expected = EXPECT.path): Located<string> | undefined {
  return slot === undefined ? undefined : readText(ctx, slot, expected);
}

function readPathList(ctx: Ctx, slot: Slot | undefined, what: string): LocatedList<string> | undefined {
  if (slot === undefined) return undefined;
  return readTextList(ctx, slot, `a list of ${what}`, EXPECT.path, 0);
}

function readPlatform(ctx: Ctx, slot: Slot): Located<string> | undefined {
  const text = readText(ctx, slot, EXPECT.platform);
  if (text === undefined) return undefined;
  return check(ctx, text, slot.path, EXPECT.platform, () => parsePlatform(text.value)) ? text : undefined;
}

function checkConstraint(ctx: Ctx, text: Located<string>, path: Path): boolean {
  const parsed = scanVersionConstraints(text.value);
  if (parsed.error === undefined && parsed.value.length > 0) return true;
  // go-versions names the failing part; when that is the whole value, once is enough.
  const whole = `invalid specification ${JSON.stringify(text.value.trim())}: `;
  const reason = parsed.error?.startsWith(whole) ? parsed.error.slice(whole.length) : parsed.error;
  report(ctx, text.at, path, EXPECT.constraint, quote(text.value), reason ?? 'no version or constraint');
  return false;
}

function readConstraints(ctx: Ctx, slot: Slot): LocatedList<string> | undefined {
  return readTextList(ctx, slot, 'a list of versions or constraints', EXPECT.constraint, 1, (text, item) =>
    checkConstraint(ctx, text, item.path),
  );
}

/**
 * A URL with no credentials in it, its scheme written as `scheme` says (lower case:
 * the schema's pattern and this check must agree on "HTTPS://").
 */
function readUrl(
  ctx: Ctx,
  slot: Slot | undefined,
  expected = EXPECT.url,
  scheme = /^https?:\/\//,
): Located<string> | undefined {
  if (slot === undefined) return undefined;
  const text = readText(ctx, slot, expected);
  if (text === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(text.value);
  } catch {
    url = undefined;
  }
  if (url !== undefined && (url.username !== '' || url.password !== '')) {
    report(
      ctx,
      text.at,
      slot.path,
      `${expected} without credentials`,
      quote(redactUrl(text.value)),
      SECRETS_NOTE,
    );
    return undefined;
  }
  if (url === undefined || !scheme.test(text.value) || url.hostname === '') {
    report(ctx, text.at, slot.path, expected, quote(redactUrl(text.value)));
    return undefined;
  }
  return text;
}

// --- lock file patterns ------------------------------------------------------

/** Why a lockfiles entry is not a pattern airgap reads, or undefined (docs/SPEC-FORMAT.md, "lockfiles"). */
export function lockfilePatternProblem(pattern: string): string | undefined {
  if (pattern.startsWith('!')) return 'a leading "!" (exclusions are not supported: list what to include)';
  if (/[[\]{}]/.test(pattern))
    return '"[", "]", "{" or "}" (classes and alternatives are not supported: list each path)';
  if (pattern.includes('\\')) return 'a backslash (separate directories with "/")';
  if (/[^/]\*\*|\*\*[^/]/.test(pattern)) return '"**" inside a name ("**" stands alone between slashes)';
  return undefined;
}

// --- sections ----------------------------------------------------------------

function readApiVersion(
  ctx: Ctx,
  slot: Slot | undefined,
  root: Slot,
): Located<typeof SPEC_API_VERSION> | undefined {
  const expected = SPEC_API_VERSION;
  if (slot === undefined) {
    missing(ctx, root, 'apiVersion', expected);
    return undefined;
  }
  const text = readText(ctx, slot, expected);
  if (text === undefined) return undefined;
  if (text.value !== SPEC_API_VERSION) {
    report(ctx, text.at, slot.path, `${expected} (the only version this airgap reads)`, quote(text.value));
    return undefined;
  }
  return { value: SPEC_API_VERSION, at: text.at };
}

function readDefaultRegistry(ctx: Ctx, slot: Slot | undefined): Located<string> | undefined {
  if (slot === undefined) return undefined;
  const expected = 'a registry hostname such as registry.opentofu.org';
  const text = readText(ctx, slot, expected);
  if (text === undefined) return undefined;
  const host = checkHostname(text.value);
  if (!host.ok) {
    report(ctx, text.at, slot.path, expected, quote(text.value), host.reason);
    return undefined;
  }
  return { value: hostnameForDisplay(host.value), at: text.at };
}

interface AddressContext {
  defaultRegistry: string;
  /** Set when a short address would mean another host to the workflow tool than to this file. */
  shortAddressTrap?: { tool: ReleaseTool; host: string };
}

/** A `providers:` key: NAMESPACE/TYPE or HOST/NAMESPACE/TYPE of a provider a registry serves. */
function readProviderAddress(
  ctx: Ctx,
  source: Located<string>,
  path: Path,
  ac: AddressContext,
): ProviderAddress | undefined {
  const expected = 'a provider source address NAMESPACE/TYPE or HOSTNAME/NAMESPACE/TYPE';
  const parts = source.value.split('/');
  if (parts.length === 1) {
    const note = /^[a-z0-9-]+$/.test(source.value) ? `did you mean "hashicorp/${source.value}"?` : undefined;
    report(ctx, source.at, path, expected, quote(source.value), note);
    return undefined;
  }
  let address: ProviderAddress;
  try {
    address = parseProviderSource(source.value, ac.defaultRegistry);
  } catch (e) {
    report(ctx, source.at, path, expected, quote(source.value), reasonOf(e, source.value));
    return undefined;
  }
  if (isBuiltInProvider(address)) {
    report(
      ctx,
      source.at,
      path,
      'a provider a registry serves',
      quote(source.value),
      'a built-in provider comes with tofu itself',
    );
    return undefined;
  }
  if (isLegacyProvider(address)) {
    report(
      ctx,
      source.at,
      path,
      'a provider a registry serves',
      quote(source.value),
      'the legacy namespace "-" names no registry provider',
    );
    return undefined;
  }
  if (parts.length === 2 && ac.shortAddressTrap !== undefined) {
    const { tool, host } = ac.shortAddressTrap;
    report(
      ctx,
      source.at,
      path,
      `HOSTNAME/${source.value}, or defaultRegistry`,
      `the short address ${quote(source.value)} with configs.workflowTool ${tool}`,
      `${tool} reads it as ${host}/${address.namespace}/${address.type}, this file as ${formatProviderAddress(address)}: write the hostname, or set defaultRegistry`,
    );
    return undefined;
  }
  return address;
}

function readProviders(ctx: Ctx, slot: Slot, ac: AddressContext): Located<SpecProvider[]> | undefined {
  const entries = readMap(
    ctx,
    slot,
    undefined,
    'a map from provider source addresses to version constraints',
  );
  if (entries === undefined) return undefined;
  const out: SpecProvider[] = [];
  const seen = new Map<string, SourcePosition>();
  for (const [written, entry] of entries) {
    const source: Located<string> = { value: written, at: entry.keyAt };
    const address = readProviderAddress(ctx, source, entry.path, ac);
    const expected = 'a list of versions or constraints, or a map with versions (and all)';
    let versions: LocatedList<string> | undefined;
    let all: Located<boolean> | undefined;
    if (isSeq(entry.node)) {
      versions = readConstraints(ctx, entry);
    } else if (isMap(entry.node)) {
      const keys = readMap(ctx, entry, PROVIDER_KEYS, expected);
      const v = keys?.get('versions');
      if (keys !== undefined && v === undefined)
        missing(ctx, entry, 'versions', 'a list of versions or constraints');
      versions = v === undefined ? undefined : readConstraints(ctx, v);
      const a = keys?.get('all');
      all = a === undefined ? undefined : readBool(ctx, a);
      if (a !== undefined && all === undefined) continue;
    } else {
      wrongType(ctx, entry, expected);
      continue;
    }
    if (address === undefined || versions === undefined) continue;
    const key = formatProviderAddress(address);
    if (!firstTime(ctx, seen, key, key, source.at, entry.path, 'provider')) continue;
    out.push({ source, address, key, versions, ...(all === undefined ? {} : { all }) });
  }
  return { value: out, at: at(ctx, slot) };
}

/** `modules:`: registry module addresses to a constraint, or a list of them (docs/SPEC-FORMAT.md, "modules"). */
function readModules(ctx: Ctx, slot: Slot, defaultHost: string): Located<SpecModule[]> | undefined {
  const entries = readMap(
    ctx,
    slot,
    undefined,
    'a map from registry module addresses to version constraints',
  );
  if (entries === undefined) return undefined;
  const out: SpecModule[] = [];
  const seen = new Map<string, SourcePosition>();
  for (const [written, entry] of entries) {
    const source: Located<string> = { value: written, at: entry.keyAt };
    const address = parseModuleSource(written, defaultHost);
    if (address === undefined || address.subdir !== undefined) {
      report(
        ctx,
        source.at,
        entry.path,
        'a registry module address NAMESPACE/NAME/SYSTEM or HOSTNAME/NAMESPACE/NAME/SYSTEM',
        quote(written),
        address?.subdir !== undefined
          ? 'a //SUBDIR is part of a call, not of the module: name the module alone'
          : undefined,
      );
      continue;
    }
    let versions: LocatedList<string> | undefined;
    if (isSeq(entry.node)) {
      versions = readConstraints(ctx, entry);
    } else {
      const text = readText(ctx, entry, EXPECT.constraint);
      if (text === undefined || !checkConstraint(ctx, text, entry.path)) continue;
      versions = { value: [text], at: text.at };
    }
    if (versions === undefined) continue;
    const key = formatModuleAddress(address);
    if (!firstTime(ctx, seen, key, key, source.at, entry.path, 'module')) continue;
    out.push({ source, address, key, versions });
  }
  return { value: out, at: at(ctx, slot) };
}

function readLocalProviders(ctx: Ctx, slot: Slot): Located<SpecLocalProvider[]> | undefined {
  const items = readList(ctx, slot, 'a list of maps with source, version, platform and path', 0);
  if (items === undefined) return undefined;
  const out: SpecLocalProvider[] = [];
  const seen = new Map<string, SourcePosition>();
  for (const item of items) {
    const keys = readMap(ctx, item, LOCAL_PROVIDER_KEYS, 'a map with source, version, platform and path');
    if (keys === undefined) continue;
    const required = {
      source: 'a fully qualified provider address HOSTNAME/NAMESPACE/TYPE',
      version: 'a version MAJOR.MINOR.PATCH',
      platform: EXPECT.platform,
      path: 'a file path (a provider zip or executable)',
    };
    for (const [k, expected] of Object.entries(required)) if (!keys.has(k)) missing(ctx, item, k, expected);

    const sourceSlot = keys.get('source');
    const source = sourceSlot === undefined ? undefined : readText(ctx, sourceSlot, required.source);
    let address =
      source === undefined || sourceSlot === undefined
        ? undefined
        : attempt(ctx, source, sourceSlot.path, required.source, () => parseProviderAddress(source.value));
    if (source !== undefined && sourceSlot !== undefined && address !== undefined) {
      if (isBuiltInProvider(address) || isLegacyProvider(address)) {
        report(
          ctx,
          source.at,
          sourceSlot.path,
          'a provider a registry could serve',
          quote(source.value),
          'not a built-in or legacy provider',
        );
        address = undefined;
      }
    }
    const versionSlot = keys.get('version');
    let version: Located<string> | undefined;
    if (versionSlot !== undefined) {
      const v = readText(ctx, versionSlot, required.version);
      if (v !== undefined && check(ctx, v, versionSlot.path, required.version, () => parseVersion(v.value)))
        version = v;
    }
    const platformSlot = keys.get('platform');
    const platform = platformSlot === undefined ? undefined : readPlatform(ctx, platformSlot);
    const path = readPath(ctx, keys.get('path'), required.path);
    if (
      source === undefined ||
      address === undefined ||
      version === undefined ||
      platform === undefined ||
      path === undefined
    ) {
      continue;
    }
    const key = formatProviderAddress(address);
    const id = `${key} ${version.value} ${platform.value}`;
    const itemAt = at(ctx, item);
    const first = seen.get(id);
    if (first !== undefined) {
      report(
        ctx,
        itemAt,
        item.path,
        'each provider version and platform once',
        `${id} again (first at ${first.line}:${first.col})`,
      );
      continue;
    }
    seen.set(id, itemAt);
    out.push({ at: itemAt, source, address, key, version, platform, path });
  }
  return { value: out, at: at(ctx, slot) };
}

function readBinary(ctx: Ctx, slot: Slot): SpecBinary | undefined {
  if (isSeq(slot.node)) {
    const versions = readConstraints(ctx, slot);
    return versions === undefined ? undefined : { at: at(ctx, slot), versions };
  }
  const keys = readMap(
    ctx,
    slot,
    BINARY_KEYS,
    'a list of versions or constraints, or a map with versions (and key, apiUrl, baseUrl)',
  );
  if (keys === undefined) return undefined;
  const v = keys.get('versions');
  if (v === undefined) missing(ctx, slot, 'versions', 'a list of versions or constraints');
  const versions = v === undefined ? undefined : readConstraints(ctx, v);
  const key = readPath(ctx, keys.get('key'), 'a public key file (armored OpenPGP)');
  const apiUrl = readUrl(ctx, keys.get('apiUrl'));
  const baseUrl = readUrl(ctx, keys.get('baseUrl'));
  if (versions === undefined) return undefined;
  return {
    at: at(ctx, slot),
    versions,
    ...(key === undefined ? {} : { key }),
    ...(apiUrl === undefined ? {} : { apiUrl }),
    ...(baseUrl === undefined ? {} : { baseUrl }),
  };
}

function readBinaries(ctx: Ctx, slot: Slot): Located<SpecBinaries> | undefined {
  const keys = readMap(ctx, slot, BINARY_TOOLS, 'a map with tofu and/or terraform');
  if (keys === undefined) return undefined;
  const out: SpecBinaries = {};
  for (const tool of BINARY_TOOLS) {
    const s = keys.get(tool);
    const binary = s === undefined ? undefined : readBinary(ctx, s);
    if (binary !== undefined) out[tool] = binary;
  }
  return { value: out, at: at(ctx, slot) };
}

function readImageTag(ctx: Ctx, slot: Slot): Located<string> | undefined {
  const expected = 'an image name with a tag, NAME:TAG';
  const text = readText(ctx, slot, expected);
  if (text === undefined) return undefined;
  const colon = text.value.lastIndexOf(':');
  const hasTag = colon > 0 && !text.value.slice(colon).includes('/');
  if (hasTag && !text.value.includes('@') && normalizeImageName(text.value) !== undefined) return text;
  report(ctx, text.at, slot.path, expected, quote(text.value));
  return undefined;
}

function readImage(
  ctx: Ctx,
  slot: Slot,
  platforms: LocatedList<string> | undefined,
): Located<SpecImage> | undefined {
  // `image:` with nothing after it asks for the image with every default.
  if (isEmpty(slot.node)) return { value: {}, at: slot.keyAt };
  const keys = readMap(
    ctx,
    slot,
    IMAGE_KEYS,
    'a map with build, base, caCertificates, archive, registryInsecure, serve (or nothing)',
  );
  if (keys === undefined) return undefined;
  const out: SpecImage = {};
  const buildSlot = keys.get('build');
  const build = buildSlot === undefined ? undefined : readBool(ctx, buildSlot);
  if (build !== undefined) out.build = build;

  const baseSlot = keys.get('base');
  if (baseSlot !== undefined) {
    const expected =
      'an image reference: REGISTRY/REPO[:TAG|@DIGEST], oci:DIR[:TAG], oci-archive:FILE[:TAG] or docker-archive:FILE';
    const base = readText(ctx, baseSlot, expected);
    if (
      base !== undefined &&
      check(ctx, base, baseSlot.path, expected, () => parseBaseImageReference(base.value))
    ) {
      out.base = base;
    }
  }
  const ca = readPathList(ctx, keys.get('caCertificates'), 'PEM certificate files');
  if (ca !== undefined) out.caCertificates = ca;

  const archiveSlot = keys.get('archive');
  if (archiveSlot !== undefined) {
    const archiveKeys = readMap(ctx, archiveSlot, ARCHIVE_KEYS, 'a map with file (and platform, tag)');
    if (archiveKeys !== undefined) {
      if (!archiveKeys.has('file')) missing(ctx, archiveSlot, 'file', 'the docker-archive file to write');
      const file = readPath(ctx, archiveKeys.get('file'), 'the docker-archive file to write');
      const platformSlot = archiveKeys.get('platform');
      const platform = platformSlot === undefined ? undefined : readPlatform(ctx, platformSlot);
      if (platform !== undefined && platformSlot !== undefined && platforms !== undefined) {
        const listed = platforms.value.map((p) => p.value);
        if (!listed.includes(platform.value)) {
          report(
            ctx,
            platform.at,
            platformSlot.path,
            `one of the platforms (${listed.join(', ')})`,
            quote(platform.value),
          );
        }
      }
      const tagSlot = archiveKeys.get('tag');
      const tag = tagSlot === undefined ? undefined : readImageTag(ctx, tagSlot);
      if (file !== undefined) {
        const archive: SpecImageArchive = {
          file,
          ...(platform === undefined ? {} : { platform }),
          ...(tag === undefined ? {} : { tag }),
        };
        out.archive = { value: archive, at: at(ctx, archiveSlot) };
      }
    }
  }
  const insecureSlot = keys.get('registryInsecure');
  const insecure = insecureSlot === undefined ? undefined : readBool(ctx, insecureSlot);
  if (insecure !== undefined) out.registryInsecure = insecure;

  const serveSlot = keys.get('serve');
  if (serveSlot !== undefined) {
    const serveKeys = readMap(ctx, serveSlot, IMAGE_SERVE_KEYS, 'a map with url');
    if (serveKeys !== undefined) {
      const expected = 'https://HOST[:PORT], the address runners reach airgap serve at';
      const urlSlot = serveKeys.get('url');
      if (urlSlot === undefined) missing(ctx, serveSlot, 'url', expected);
      const url = readUrl(ctx, urlSlot, expected, /^https:\/\//);
      if (
        url !== undefined &&
        urlSlot !== undefined &&
        check(ctx, url, urlSlot.path, expected, () => parseServeBaseUrl(url.value, 'image.serve.url'))
      ) {
        out.serve = { value: { url }, at: at(ctx, serveSlot) };
      }
    }
  }

  if (build?.value === false) {
    const buildOnly: [string, boolean][] = [
      ['caCertificates', keys.has('caCertificates')],
      ['archive', keys.has('archive')],
      ['registryInsecure', insecure?.value === true],
      ['serve', keys.has('serve')],
    ];
    for (const [key, present] of buildOnly) {
      if (!present) continue;
      const s = keys.get(key) as Slot;
      report(
        ctx,
        s.keyAt,
        s.path,
        `no ${key} with build: false`,
        `${key} (it applies only to the image airgap builds)`,
      );
    }
  }
  return { value: out, at: at(ctx, slot) };
}

function readConfigs(ctx: Ctx, slot: Slot): Located<SpecConfigs> | undefined {
  const keys = readMap(
    ctx,
    slot,
    CONFIGS_KEYS,
    'a map with mirrorPath, networkMirrorUrl, allowDirect, workflowTool',
  );
  if (keys === undefined) return undefined;
  const out: SpecConfigs = {};
  const mirrorPathSlot = keys.get('mirrorPath');
  if (mirrorPathSlot !== undefined) {
    const expected = 'an absolute path on the isolated side, such as /providers';
    const p = readText(ctx, mirrorPathSlot, expected);
    if (
      p !== undefined &&
      check(ctx, p, mirrorPathSlot.path, expected, () => renderTofurc({ mirrorPath: p.value }))
    ) {
      out.mirrorPath = p;
    }
  }
  const urlSlot = keys.get('networkMirrorUrl');
  if (urlSlot !== undefined) {
    const expected = 'an https URL such as https://mirror.example/providers/';
    const url = readUrl(ctx, urlSlot, expected, /^https:\/\//);
    if (
      url !== undefined &&
      check(ctx, url, urlSlot.path, expected, () => renderTofurc({ networkMirrorUrl: url.value }))
    ) {
      out.networkMirrorUrl = url;
    }
  }
  if (mirrorPathSlot !== undefined && urlSlot !== undefined) {
    report(
      ctx,
      urlSlot.keyAt,
      urlSlot.path,
      'mirrorPath or networkMirrorUrl',
      'both',
      'tofu installs from a filesystem mirror or from a network mirror: keep the one the isolated side has',
    );
  }
  const directSlot = keys.get('allowDirect');
  if (directSlot !== undefined) {
    const expected = 'a provider pattern HOST/NAMESPACE/TYPE (* for a whole segment)';
    const direct = readTextList(
      ctx,
      directSlot,
      'a list of provider patterns',
      expected,
      0,
      (text, item) => check(ctx, text, item.path, expected, () => normalizeProviderPattern(text.value)),
      (v) => normalizeProviderPattern(v),
    );
    if (direct !== undefined) out.allowDirect = direct;
  }
  const toolSlot = keys.get('workflowTool');
  const tool = toolSlot === undefined ? undefined : readEnum(ctx, toolSlot, BINARY_TOOLS);
  if (tool !== undefined) out.workflowTool = tool;
  return { value: out, at: at(ctx, slot) };
}

function readSplitSize(ctx: Ctx, slot: Slot): Located<number> | undefined {
  const expected = 'a size such as 700M or 4G (powers of 1024), or a number of bytes';
  const { node } = slot;
  if (!isScalar(node) || (typeof node.value !== 'string' && typeof node.value !== 'number')) {
    wrongType(ctx, slot, expected);
    return undefined;
  }
  const text = typeof node.value === 'number' ? sourceText(ctx, node) : node.value;
  try {
    if (typeof node.value === 'number' && !Number.isSafeInteger(node.value))
      throw new AirgapError('USAGE', 'not whole');
    return {
      value: parseSplitSize(typeof node.value === 'number' ? String(node.value) : text),
      at: at(ctx, slot),
    };
  } catch (e) {
    if (!isAirgapError(e)) throw e;
    report(
      ctx,
      at(ctx, slot),
      slot.path,
      expected,
      typeof node.value === 'number' ? `the number ${text}` : quote(text),
    );
    return undefined;
  }
}

function readOutput(ctx: Ctx, slot: Slot): Located<SpecOutput> | undefined {
  const keys = readMap(
    ctx,
    slot,
    OUTPUT_KEYS,
    'a map with dir, tarball, compress, splitSize, signKey, toolPackage, base, baseTrustedKeys',
  );
  if (keys === undefined) return undefined;
  const out: SpecOutput = {};
  const dir = readPath(ctx, keys.get('dir'), 'the bundle directory');
  if (dir !== undefined) out.dir = dir;
  const tarball = readPath(ctx, keys.get('tarball'), 'the tarball file to write');
  if (tarball !== undefined) out.tarball = tarball;
  const compressSlot = keys.get('compress');
  const compress = compressSlot === undefined ? undefined : readEnum(ctx, compressSlot, COMPRESSIONS);
  if (compress !== undefined) out.compress = compress;
  const splitSlot = keys.get('splitSize');
  const split = splitSlot === undefined ? undefined : readSplitSize(ctx, splitSlot);
  if (split !== undefined) out.splitSize = split;
  const signKey = readPath(ctx, keys.get('signKey'), 'an armored OpenPGP private key file');
  if (signKey !== undefined) out.signKey = signKey;
  const toolPackage = readPath(ctx, keys.get('toolPackage'), 'an `npm pack` archive of airgap');
  if (toolPackage !== undefined) out.toolPackage = toolPackage;
  const base = readPath(
    ctx,
    keys.get('base'),
    'a previous bundle (directory, airgap.json, tarball) or an inventory',
  );
  if (base !== undefined) out.base = base;
  const baseKeys = readPathList(ctx, keys.get('baseTrustedKeys'), 'public key files');
  if (baseKeys !== undefined) out.baseTrustedKeys = baseKeys;
  if (!keys.has('base') && keys.has('baseTrustedKeys')) {
    const s = keys.get('baseTrustedKeys')!;
    report(
      ctx,
      s.keyAt,
      s.path,
      'output.base beside it',
      'baseTrustedKeys alone',
      'baseTrustedKeys applies only to the base of a delta',
    );
  }
  if (!keys.has('tarball')) {
    for (const key of TARBALL_KEYS) {
      const s = keys.get(key);
      if (s === undefined) continue;
      report(
        ctx,
        s.keyAt,
        s.path,
        'output.tarball beside it',
        `${key} alone`,
        `${key} applies only to the tarball airgap packs`,
      );
    }
  }
  return { value: out, at: at(ctx, slot) };
}

function readRegistries(ctx: Ctx, slot: Slot): Located<SpecRegistries> | undefined {
  const keys = readMap(ctx, slot, REGISTRIES_KEYS, 'a map with caCertificates');
  if (keys === undefined) return undefined;
  const ca = readPathList(ctx, keys.get('caCertificates'), 'PEM certificate files');
  return { value: ca === undefined ? {} : { caCertificates: ca }, at: at(ctx, slot) };
}

// --- the file ----------------------------------------------------------------

/**
 * Parses the text of an airgap.yaml. `file` names it in messages. Throws AirgapErrors
 * (code SPEC_INVALID) listing every problem found.
 */
export function parseSpec(text: string, file: string): Spec {
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lines,
    keepSourceTokens: true,
    uniqueKeys: false,
    prettyErrors: false,
  });
  const ctx: Ctx = { file, text, lines, doc, problems: [] };

  // A file that is not YAML has no keys to speak of: report its syntax alone.
  for (const e of [...doc.errors, ...doc.warnings]) {
    report(ctx, pos(ctx, e.pos[0]), [], 'valid YAML', yamlProblem(e.code, e.message));
  }
  if (ctx.problems.length > 0) throw done(ctx);

  const rootSlot: Slot = { node: doc.contents, path: [], keyAt: { line: 1, col: 1 } };
  if (isEmpty(doc.contents)) {
    report(
      ctx,
      { line: 1, col: 1 },
      [],
      `a map starting with apiVersion: ${SPEC_API_VERSION}`,
      'an empty document',
    );
    throw done(ctx);
  }
  const keys = readMap(ctx, rootSlot, TOP_KEYS, `a map starting with apiVersion: ${SPEC_API_VERSION}`);
  if (keys === undefined) throw done(ctx);

  const apiSlot = keys.get('apiVersion');
  const apiVersion = readApiVersion(ctx, apiSlot, rootSlot);
  // Another version's keys mean other things: say only that the version is wrong.
  if (apiVersion === undefined && apiSlot !== undefined) {
    const onlyApi = ctx.problems.filter((p) => p.path[0] === 'apiVersion');
    ctx.problems = onlyApi;
    throw done(ctx);
  }

  const defaultSlot = keys.get('defaultRegistry');
  const defaultRegistry = readDefaultRegistry(ctx, defaultSlot);
  const configsSlot = keys.get('configs');
  const configs = configsSlot === undefined ? undefined : readConfigs(ctx, configsSlot);
  const tool = configs?.value.workflowTool?.value;
  const ac: AddressContext = {
    defaultRegistry: defaultRegistry?.value ?? SPEC_DEFAULT_REGISTRY,
    ...(tool === 'terraform' && defaultSlot === undefined
      ? { shortAddressTrap: { tool, host: 'registry.terraform.io' } }
      : {}),
  };

  const platformsSlot = keys.get('platforms');
  const platforms =
    platformsSlot === undefined
      ? undefined
      : readTextList(ctx, platformsSlot, 'a list of OS_ARCH platforms', EXPECT.platform, 1, (t, item) =>
          check(ctx, t, item.path, EXPECT.platform, () => parsePlatform(t.value)),
        );
  const lockfilesSlot = keys.get('lockfiles');
  const lockfiles =
    lockfilesSlot === undefined
      ? undefined
      : readTextList(
          ctx,
          lockfilesSlot,
          'a list of lock file paths, globs or directories',
          EXPECT.lockfile,
          0,
          (t, item) => {
            const problem = lockfilePatternProblem(t.value);
            if (problem !== undefined)
              report(ctx, t.at, item.path, EXPECT.lockfile, `${quote(t.value)} with ${problem}`);
            return problem === undefined;
          },
        );
  const providersSlot = keys.get('providers');
  const providers = providersSlot === undefined ? undefined : readProviders(ctx, providersSlot, ac);
  const localSlot = keys.get('localProviders');
  const localProviders = localSlot === undefined ? undefined : readLocalProviders(ctx, localSlot);
  const binariesSlot = keys.get('binaries');
  const binaries = binariesSlot === undefined ? undefined : readBinaries(ctx, binariesSlot);
  const imageSlot = keys.get('image');
  const image = imageSlot === undefined ? undefined : readImage(ctx, imageSlot, platforms);
  const outputSlot = keys.get('output');
  const output = outputSlot === undefined ? undefined : readOutput(ctx, outputSlot);
  const registriesSlot = keys.get('registries');
  const registries = registriesSlot === undefined ? undefined : readRegistries(ctx, registriesSlot);
  const modulesSlot = keys.get('modules');
  const modules =
    modulesSlot === undefined
      ? undefined
      : readModules(ctx, modulesSlot, defaultRegistry?.value ?? defaultModuleHost(tool ?? 'tofu'));
  const configurations = readPathList(ctx, keys.get('configurations'), 'configuration directories');

  if (ctx.problems.length > 0 || apiVersion === undefined) throw done(ctx);
  return {
    file,
    apiVersion,
    ...(defaultRegistry === undefined ? {} : { defaultRegistry }),
    ...(platforms === undefined ? {} : { platforms }),
    ...(lockfiles === undefined ? {} : { lockfiles }),
    ...(providers === undefined ? {} : { providers }),
    ...(localProviders === undefined ? {} : { localProviders }),
    ...(binaries === undefined ? {} : { binaries }),
    ...(image === undefined ? {} : { image }),
    ...(configs === undefined ? {} : { configs }),
    ...(output === undefined ? {} : { output }),
    ...(registries === undefined ? {} : { registries }),
    ...(modules === undefined ? {} : { modules }),
    ...(configurations === undefined ? {} : { configurations }),
  };
}

/** yaml's message, in this file's words where it speaks of its own API. */
function yamlProblem(code: string, message: string): string {
  if (code === 'MULTIPLE_DOCS') return 'a second document (after "---"); airgap.yaml holds one';
  return message.split('\n')[0] ?? message;
}

function done(ctx: Ctx): AirgapErrors {
  const sorted = [...ctx.problems].sort((a, b) => a.at.line - b.at.line || a.at.col - b.at.col);
  return new AirgapErrors(sorted.map((p) => toError(ctx.file, p)));
}
