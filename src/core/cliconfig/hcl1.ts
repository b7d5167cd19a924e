// The syntax of tofu's CLI configuration files. tofu (and terraform) read them with
// HCL 1 (github.com/hashicorp/hcl v1: opentofu internal/command/cliconfig/cliconfig.go,
// loadConfigFile -> hcl.Parse), which reads JSON instead when the first non-space
// character is "{" (hcl v1 lex.go, lexMode), whatever the file is called. HCL 1 is
// not the HCL 2 native syntax of lock files (src/core/hcl): newlines are plain
// whitespace, keys may be bare names with dots (`providers.v1 = "..."`), a key may
// be followed by an object without "=" (`services { ... }`), several keys before an
// object make nested objects (`host "example.com" { ... }`), items may be separated
// by commas, and `${...}` in strings stays literal text.
//
// This module turns either syntax into one tree of items (keys + value) with source
// offsets; parse.ts decodes the blocks airgap reads from it.

import { AirgapError } from '../errors.js';
import { createLocator, formatPos, type SourceLocator } from '../hcl/source.js';

export interface Hcl1Key {
  name: string;
  /** Offset of the key (the opening quote of a quoted key). */
  at: number;
}

export type Hcl1Node =
  | Hcl1Object
  | { kind: 'list'; elements: Hcl1Node[]; at: number }
  | { kind: 'string'; value: string; at: number }
  | { kind: 'number'; value: number; at: number }
  | { kind: 'bool'; value: boolean; at: number }
  /** JSON only: HCL 1 has no null. */
  | { kind: 'null'; at: number };

export interface Hcl1Object {
  kind: 'object';
  items: Hcl1Item[];
  at: number;
}

/** `a = value`, `a { ... }`, `a "b" { ... }`; a JSON member has one key. */
export interface Hcl1Item {
  keys: Hcl1Key[];
  value: Hcl1Node;
  /** Written with "=" (or ":" in JSON), as opposed to block syntax `a "b" { ... }`. */
  assign: boolean;
}

export interface Hcl1File {
  root: Hcl1Object;
  syntax: 'hcl' | 'json';
  /** Positions of offsets in the (CRLF-normalized) text, for messages. */
  locator: SourceLocator;
}

class SyntaxFailure extends Error {
  constructor(
    readonly at: number,
    readonly summary: string,
    readonly detail: string,
  ) {
    super(summary);
  }
}

/**
 * Parses a CLI configuration file in either syntax. Throws AirgapError('HCL_SYNTAX')
 * with `FILE:LINE:COL: Summary; detail` for the first syntax error (HCL 1 stops at
 * the first one too).
 */
export function parseHcl1(text: string, filename: string): Hcl1File {
  // hcl v1 parse.go normalizes CRLF before scanning; a BOM is skipped as in lock files.
  const normalized = text.replace(/\r\n/g, '\n');
  const start = normalized.charCodeAt(0) === 0xfeff ? 1 : 0;
  const locator = createLocator(normalized, filename, start);
  const json = /^\s*\{/u.test(normalized.slice(start));
  try {
    const tokens = json ? lexJson(normalized, start) : lexHcl(normalized, start);
    const root = json ? new JsonParser(tokens).parseFile() : new HclParser(tokens).parseFile();
    return { root, syntax: json ? 'json' : 'hcl', locator };
  } catch (e) {
    if (!(e instanceof SyntaxFailure)) throw e;
    const range = locator.range(e.at, e.at);
    throw new AirgapError(
      'HCL_SYNTAX',
      `${formatPos(range)}: ${e.summary}; ${e.detail}`,
      { path: formatPos(range) },
      'fix the CLI configuration at the position shown (HCL 1 or JSON syntax, as tofu reads it)',
    );
  }
}

// --- tokens -------------------------------------------------------------------

type TokenType =
  | 'ident'
  | 'bool'
  | 'number'
  | 'string'
  | 'null'
  | 'oBrace'
  | 'cBrace'
  | 'oBrack'
  | 'cBrack'
  | 'comma'
  | 'equal'
  | 'colon'
  | 'eof';

interface Token {
  type: TokenType;
  at: number;
  text: string;
  /** Decoded value of string, ident, bool and number tokens. */
  value?: string | number | boolean;
}

const PUNCT: Record<string, TokenType> = {
  '{': 'oBrace',
  '}': 'cBrace',
  '[': 'oBrack',
  ']': 'cBrack',
  ',': 'comma',
};

function describeToken(t: Token): string {
  if (t.type === 'eof') return 'the end of the file';
  const text = t.text.length > 40 ? `${t.text.slice(0, 40)}...` : t.text;
  // A quoted string is shown as written; anything else is quoted.
  return t.type === 'string' && t.text.startsWith('"') ? text : JSON.stringify(text);
}

function isLetter(ch: string): boolean {
  return /[A-Za-z_]/.test(ch) || (ch >= '\x80' && /\p{L}/u.test(ch));
}

function isDigit(ch: string): boolean {
  return /[0-9]/.test(ch) || (ch >= '\x80' && /\p{Nd}/u.test(ch));
}

// hcl v1 hcl/scanner/scanner.go, as far as a CLI configuration needs it.
function lexHcl(text: string, start: number): Token[] {
  const tokens: Token[] = [];
  const n = text.length;
  let i = start;

  while (i < n) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '#' || (c === '/' && text[i + 1] === '/')) {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      if (close === -1) {
        throw new SyntaxFailure(i, 'Unterminated comment', 'There is no closing "*/" for this comment.');
      }
      i = close + 2;
      continue;
    }
    const punct = PUNCT[c];
    if (punct !== undefined) {
      tokens.push({ type: punct, at: i, text: c });
      i++;
      continue;
    }
    if (c === '=') {
      tokens.push({ type: 'equal', at: i, text: c });
      i++;
      continue;
    }
    if (c === '"') {
      i = scanString(i);
      continue;
    }
    if (c === '<' && text[i + 1] === '<') {
      i = scanHeredoc(i);
      continue;
    }
    if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(text[i + 1] ?? ''))) {
      i = scanNumber(i);
      continue;
    }
    const ch = String.fromCodePoint(text.codePointAt(i) as number);
    if (isLetter(ch)) {
      let j = i + ch.length;
      while (j < n) {
        const next = String.fromCodePoint(text.codePointAt(j) as number);
        if (!(isLetter(next) || isDigit(next) || next === '-' || next === '.')) break;
        j += next.length;
      }
      const word = text.slice(i, j);
      if (word === 'true' || word === 'false') {
        tokens.push({ type: 'bool', at: i, text: word, value: word === 'true' });
      } else {
        tokens.push({ type: 'ident', at: i, text: word, value: word });
      }
      i = j;
      continue;
    }
    let detail = 'This character is not used in a CLI configuration file.';
    if (c === "'") detail = 'Single quotes are not valid. Use double quotes (") to enclose strings.';
    if (c === ':') detail = 'Use an equals sign ("=") between a key and its value.';
    throw new SyntaxFailure(i, 'Invalid character', detail);
  }
  tokens.push({ type: 'eof', at: n, text: '' });
  return tokens;

  function scanNumber(from: number): number {
    const m = /^-?(?:0[xX][0-9a-fA-F]+|[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)/.exec(
      text.slice(from, from + 400),
    );
    const raw = m ? m[0] : (text[from] as string);
    let value: number;
    const digits = raw.replace(/^-/, '');
    if (/^0[xX]/.test(digits)) {
      value = parseInt(digits.slice(2), 16);
    } else if (/^0[0-9]+$/.test(digits)) {
      // Go's strconv.ParseInt(text, 0, 64): a leading zero means octal.
      if (/[89]/.test(digits))
        throw new SyntaxFailure(from, 'Invalid number', `${raw} is not a valid octal number.`);
      value = parseInt(digits, 8);
    } else {
      value = Number(digits);
    }
    tokens.push({ type: 'number', at: from, text: raw, value: raw.startsWith('-') ? -value : value });
    return from + raw.length;
  }

  // A quoted string: escapes decoded, `${...}` kept verbatim (hcl v1 strconv.Unquote).
  function scanString(open: number): number {
    let j = open + 1;
    let value = '';
    let braces = 0;
    for (;;) {
      if (j >= n || (text[j] === '\n' && braces === 0)) {
        throw new SyntaxFailure(
          open,
          'Unterminated string',
          'There is no closing quote before the end of the line.',
        );
      }
      const c = text[j] as string;
      if (braces === 0) {
        if (c === '"') {
          j++;
          break;
        }
        if (c === '$' && text[j + 1] === '{') {
          braces = 1;
          value += '${';
          j += 2;
          continue;
        }
        if (c === '\\') {
          const r = scanEscape(j);
          value += r.value;
          j = r.end;
          continue;
        }
      } else {
        if (c === '{') braces++;
        if (c === '}') braces--;
        if (c === '\\' && j + 1 < n) {
          value += text.slice(j, j + 2);
          j += 2;
          continue;
        }
      }
      const ch = String.fromCodePoint(text.codePointAt(j) as number);
      value += ch;
      j += ch.length;
    }
    tokens.push({ type: 'string', at: open, text: text.slice(open, j), value });
    return j;
  }

  function scanEscape(at: number): { value: string; end: number } {
    const sel = text[at + 1] ?? '';
    const simple: Record<string, string> = {
      a: '\x07',
      b: '\b',
      f: '\f',
      n: '\n',
      r: '\r',
      t: '\t',
      v: '\v',
      '\\': '\\',
      '"': '"',
    };
    const mapped = simple[sel];
    if (mapped !== undefined) return { value: mapped, end: at + 2 };
    const forms: Record<string, RegExp> = {
      x: /^[0-9a-fA-F]{2}/,
      u: /^[0-9a-fA-F]{4}/,
      U: /^[0-9a-fA-F]{8}/,
    };
    const octal = /^[0-7]{3}/.exec(text.slice(at + 1, at + 4));
    if (octal) return { value: String.fromCharCode(parseInt(octal[0], 8) & 0xff), end: at + 4 };
    const form = forms[sel];
    const digits = form?.exec(text.slice(at + 2, at + 10));
    if (digits) {
      const code = parseInt(digits[0], 16);
      if (code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff)) {
        return { value: String.fromCodePoint(code), end: at + 2 + digits[0].length };
      }
    }
    throw new SyntaxFailure(
      at,
      'Invalid escape sequence',
      `${JSON.stringify(text.slice(at, at + 2))} is not a valid escape; write \\\\ for a backslash.`,
    );
  }

  // `<<EOF` ... `EOF` and the indented `<<-EOF` form (hcl v1 scanHeredoc, and
  // token.unindentHeredoc for the value). The closing line must end with a newline.
  function scanHeredoc(open: number): number {
    const m = /^<<(-?)([\p{L}\p{Nd}_]+)\n/u.exec(text.slice(open, open + 200));
    if (!m) {
      throw new SyntaxFailure(
        open,
        'Invalid heredoc',
        'A heredoc starts with <<NAME (or <<-NAME) alone on its line.',
      );
    }
    const anchor = m[2] as string;
    const closing = new RegExp(`^\\s*${anchor}\\r*$`, 'u');
    let lineStart = open + m[0].length;
    for (;;) {
      const eol = text.indexOf('\n', lineStart);
      if (eol === -1) {
        throw new SyntaxFailure(
          open,
          'Unterminated heredoc',
          `There is no line "${anchor}" (followed by a newline) closing this heredoc.`,
        );
      }
      const line = text.slice(lineStart, eol);
      lineStart = eol + 1;
      if (line.length >= anchor.length && closing.test(line)) break;
    }
    const raw = text.slice(open, lineStart);
    tokens.push({ type: 'string', at: open, text: raw, value: heredocValue(raw, m[1] === '-') });
    return lineStart;
  }
}

function heredocValue(raw: string, indented: boolean): string {
  const idx = raw.indexOf('\n');
  if (!indented) return raw.slice(idx + 1, raw.length - idx + 1);
  const lines = raw.slice(idx + 1, raw.length - idx + 2).split('\n');
  const prefix = lines[lines.length - 1] as string;
  if (!lines.every((l) => l.startsWith(prefix))) return raw.slice(idx + 1, raw.length - idx + 1).trimEnd();
  return lines.map((l, k) => (k === lines.length - 1 ? '' : l.slice(prefix.length))).join('\n');
}

const JSON_STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const JSON_NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const JSON_WORD = /(?:true|false|null)(?![A-Za-z0-9_])/y;

function matchAt(re: RegExp, text: string, at: number): string | undefined {
  re.lastIndex = at;
  return re.exec(text)?.[0];
}

function lexJson(text: string, start: number): Token[] {
  const tokens: Token[] = [];
  const n = text.length;
  let i = start;
  while (i < n) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const punct = PUNCT[c];
    if (punct !== undefined || c === ':') {
      tokens.push({ type: punct ?? 'colon', at: i, text: c });
      i++;
      continue;
    }
    const str = matchAt(JSON_STRING, text, i);
    if (str !== undefined) {
      tokens.push({ type: 'string', at: i, text: str, value: JSON.parse(str) as string });
      i += str.length;
      continue;
    }
    if (c === '"') {
      throw new SyntaxFailure(
        i,
        'Invalid JSON string',
        'A JSON string must close on the same line and use only JSON escapes.',
      );
    }
    const num = matchAt(JSON_NUMBER, text, i);
    if (num !== undefined) {
      tokens.push({ type: 'number', at: i, text: num, value: Number(num) });
      i += num.length;
      continue;
    }
    const word = matchAt(JSON_WORD, text, i);
    if (word !== undefined) {
      if (word === 'null') tokens.push({ type: 'null', at: i, text: word });
      else tokens.push({ type: 'bool', at: i, text: word, value: word === 'true' });
      i += word.length;
      continue;
    }
    throw new SyntaxFailure(
      i,
      'Invalid JSON',
      `${JSON.stringify(String.fromCodePoint(text.codePointAt(i) as number))} cannot start a JSON value here.`,
    );
  }
  tokens.push({ type: 'eof', at: n, text: '' });
  return tokens;
}

// --- parsers ------------------------------------------------------------------

abstract class TokenReader {
  private pos = 0;

  constructor(private readonly tokens: Token[]) {}

  protected peek(): Token {
    return this.tokens[this.pos] as Token;
  }

  protected next(): Token {
    const t = this.tokens[this.pos] as Token;
    if (t.type !== 'eof') this.pos++;
    return t;
  }
}

// hcl v1 hcl/parser/parser.go: objectList, objectItem, objectKey, object, listType.
class HclParser extends TokenReader {
  parseFile(): Hcl1Object {
    return { kind: 'object', items: this.items(undefined), at: 0 };
  }

  // Items up to the `}` closing `open` (left for the caller), or to the end of the file.
  private items(open: Token | undefined): Hcl1Item[] {
    const items: Hcl1Item[] = [];
    for (;;) {
      const t = this.peek();
      if (t.type === 'cBrace' && open !== undefined) return items;
      if (t.type === 'eof') {
        if (open === undefined) return items;
        throw new SyntaxFailure(
          open.at,
          'Unclosed configuration block',
          'There is no closing brace for this block before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file.',
        );
      }
      items.push(this.item());
      if (this.peek().type === 'comma') this.next();
    }
  }

  private item(): Hcl1Item {
    const keys: Hcl1Key[] = [];
    for (;;) {
      const t = this.next();
      if (t.type === 'ident' || t.type === 'string') {
        keys.push({ name: t.value as string, at: t.at });
        continue;
      }
      const first = keys[0];
      if (t.type === 'equal' && first !== undefined) {
        if (keys.length > 1) {
          throw new SyntaxFailure(
            t.at,
            'Invalid assignment',
            `Only one key may precede "="; for a block, write ${keys.map((k) => JSON.stringify(k.name)).join(' ')} { ... }.`,
          );
        }
        return { keys, value: this.value(), assign: true };
      }
      if (t.type === 'oBrace' && first !== undefined) {
        return { keys, value: this.object(t), assign: false };
      }
      if (first === undefined) {
        throw new SyntaxFailure(
          t.at,
          'Missing key',
          `Expected a name or a quoted string; found ${describeToken(t)}.`,
        );
      }
      throw new SyntaxFailure(
        t.at,
        'Missing value',
        `Expected "=" or "{" after ${keys.map((k) => k.name).join(' ')}; found ${describeToken(t)}.`,
      );
    }
  }

  private object(open: Token): Hcl1Object {
    const items = this.items(open);
    this.next(); // cBrace
    return { kind: 'object', items, at: open.at };
  }

  private value(): Hcl1Node {
    const t = this.next();
    switch (t.type) {
      case 'string':
        return { kind: 'string', value: t.value as string, at: t.at };
      case 'number':
        return { kind: 'number', value: t.value as number, at: t.at };
      case 'bool':
        return { kind: 'bool', value: t.value as boolean, at: t.at };
      case 'oBrace':
        return this.object(t);
      case 'oBrack':
        return this.list(t);
      default:
        throw new SyntaxFailure(
          t.at,
          'Invalid value',
          `Expected a quoted string, a number, true, false, a list or an object; found ${describeToken(t)}.`,
        );
    }
  }

  private list(open: Token): Hcl1Node {
    const elements: Hcl1Node[] = [];
    for (;;) {
      if (this.peek().type === 'cBrack') {
        this.next();
        return { kind: 'list', elements, at: open.at };
      }
      if (this.peek().type === 'eof') {
        throw new SyntaxFailure(
          open.at,
          'Unclosed list',
          'There is no closing bracket for this list before the end of the file.',
        );
      }
      elements.push(this.value());
      const after = this.next();
      if (after.type === 'cBrack') return { kind: 'list', elements, at: open.at };
      if (after.type !== 'comma') {
        throw new SyntaxFailure(
          after.at,
          'Missing comma',
          `Expected "," or "]" after a list element; found ${describeToken(after)}.`,
        );
      }
    }
  }
}

class JsonParser extends TokenReader {
  parseFile(): Hcl1Object {
    const root = this.value();
    const rest = this.next();
    if (rest.type !== 'eof') {
      throw new SyntaxFailure(
        rest.at,
        'Invalid JSON',
        `Expected the end of the file after the top-level object; found ${describeToken(rest)}.`,
      );
    }
    return root as Hcl1Object; // the file starts with "{": value() read an object
  }

  private value(): Hcl1Node {
    const t = this.next();
    switch (t.type) {
      case 'string':
        return { kind: 'string', value: t.value as string, at: t.at };
      case 'number':
        return { kind: 'number', value: t.value as number, at: t.at };
      case 'bool':
        return { kind: 'bool', value: t.value as boolean, at: t.at };
      case 'null':
        return { kind: 'null', at: t.at };
      case 'oBrace':
        return this.object(t);
      case 'oBrack':
        return this.array(t);
      default:
        throw new SyntaxFailure(t.at, 'Invalid JSON', `Expected a JSON value; found ${describeToken(t)}.`);
    }
  }

  private object(open: Token): Hcl1Object {
    const items: Hcl1Item[] = [];
    if (this.peek().type === 'cBrace') {
      this.next();
      return { kind: 'object', items, at: open.at };
    }
    for (;;) {
      const key = this.next();
      if (key.type !== 'string') {
        throw new SyntaxFailure(
          key.at,
          'Invalid JSON',
          `Expected a quoted property name; found ${describeToken(key)}.`,
        );
      }
      const colon = this.next();
      if (colon.type !== 'colon') {
        throw new SyntaxFailure(
          colon.at,
          'Invalid JSON',
          `Expected ":" after a property name; found ${describeToken(colon)}.`,
        );
      }
      items.push({ keys: [{ name: key.value as string, at: key.at }], value: this.value(), assign: true });
      const after = this.next();
      if (after.type === 'cBrace') return { kind: 'object', items, at: open.at };
      if (after.type !== 'comma') {
        throw new SyntaxFailure(
          after.at,
          'Invalid JSON',
          `Expected "," or "}" in an object; found ${describeToken(after)}.`,
        );
      }
    }
  }

  private array(open: Token): Hcl1Node {
    const elements: Hcl1Node[] = [];
    if (this.peek().type === 'cBrack') {
      this.next();
      return { kind: 'list', elements, at: open.at };
    }
    for (;;) {
      elements.push(this.value());
      const after = this.next();
      if (after.type === 'cBrack') return { kind: 'list', elements, at: open.at };
      if (after.type !== 'comma') {
        throw new SyntaxFailure(
          after.at,
          'Invalid JSON',
          `Expected "," or "]" in an array; found ${describeToken(after)}.`,
        );
      }
    }
  }
}
