// Tokenizer for the HCL native-syntax subset. Quoted strings are decoded here
// (escapes, `$${`/`%%{`); comments are dropped, but the newline ending a line
// comment stays, because newlines end arguments and blocks in HCL.

import { errorDiag, type Diagnostic } from './diagnostics.js';
import type { SourceLocator } from './source.js';

export type TokenType =
  | 'ident'
  | 'number'
  | 'string'
  | 'heredoc'
  | 'oBrace'
  | 'cBrace'
  | 'oBrack'
  | 'cBrack'
  | 'oParen'
  | 'cParen'
  | 'equal'
  | 'colon'
  | 'comma'
  | 'newline'
  /** An operator or other punctuation HCL knows but this subset does not use. */
  | 'op'
  /** A character HCL does not use at all; already reported by the lexer. */
  | 'invalid'
  | 'eof';

export interface Token {
  type: TokenType;
  start: number;
  end: number;
  /** The source text of the token. */
  text: string;
  /** For 'string': the decoded value. */
  value?: string;
}

/**
 * How `${...}` and `%{...}` inside quoted strings are handled. 'reject'
 * reports them (lock files never contain templates); 'literal' keeps them
 * verbatim, as HCL 1 did for the CLI configuration (tofu expands `$HOME`
 * style references itself).
 */
export type TemplateMode = 'reject' | 'literal';

export interface LexResult {
  tokens: Token[];
  diagnostics: Diagnostic[];
}

const ID_START = /[\p{ID_Start}_]/u;
const ID_CONTINUE = /[\p{ID_Continue}-]/u;
const HEX = /[0-9A-Fa-f]/;
const DIGIT = /[0-9]/;

const SINGLE: Record<string, TokenType> = {
  '{': 'oBrace',
  '}': 'cBrace',
  '[': 'oBrack',
  ']': 'cBrack',
  '(': 'oParen',
  ')': 'cParen',
  ':': 'colon',
  ',': 'comma',
};

const OPERATORS = [
  '...',
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '=>',
  '+',
  '-',
  '*',
  '/',
  '%',
  '!',
  '<',
  '>',
  '?',
  '.',
];

const MULTILINE_STRING_DETAIL =
  'Quoted strings may not be split over multiple lines. To produce a multi-line string, either use the \\n escape to represent a newline character or use the "heredoc" multi-line template syntax.';

export function tokenize(
  text: string,
  locator: SourceLocator,
  start: number,
  templates: TemplateMode,
): LexResult {
  const tokens: Token[] = [];
  const diagnostics: Diagnostic[] = [];
  const n = text.length;
  let i = start;

  function push(type: TokenType, from: number, to: number, value?: string): void {
    const token: Token = { type, start: from, end: to, text: text.slice(from, to) };
    if (value !== undefined) token.value = value;
    tokens.push(token);
  }

  function diag(summary: string, detail: string, from: number, to: number): void {
    diagnostics.push(errorDiag(summary, detail, locator.range(from, to)));
  }

  while (i < n) {
    const c = text[i] as string;

    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '\n') {
      push('newline', i, i + 1);
      i++;
      continue;
    }
    if (c === '\r' && text[i + 1] === '\n') {
      push('newline', i, i + 2);
      i += 2;
      continue;
    }
    if (c === '#' || (c === '/' && text[i + 1] === '/')) {
      while (i < n && text[i] !== '\n' && !(text[i] === '\r' && text[i + 1] === '\n')) i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      if (close === -1) {
        diag(
          'Unterminated comment',
          'There is no closing "*/" for this comment before the end of the file.',
          i,
          i + 2,
        );
        i = n;
      } else {
        i = close + 2;
      }
      continue;
    }
    if (c === '"') {
      i = scanQuoted(i);
      continue;
    }
    if (c === '<' && text[i + 1] === '<') {
      const m = /^<<-?([\p{ID_Start}_][\p{ID_Continue}-]*)[ \t]*\r?\n/u.exec(text.slice(i));
      if (m && m[1] !== undefined) {
        i = scanHeredoc(i, m[0].length, m[1]);
        continue;
      }
    }
    if (DIGIT.test(c)) {
      const m = /^[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
      const len = m ? m[0].length : 1;
      push('number', i, i + len);
      i += len;
      continue;
    }
    const cp = text.codePointAt(i) as number;
    const ch = String.fromCodePoint(cp);
    if (ID_START.test(ch)) {
      let j = i + ch.length;
      while (j < n) {
        const next = String.fromCodePoint(text.codePointAt(j) as number);
        if (!ID_CONTINUE.test(next)) break;
        j += next.length;
      }
      push('ident', i, j);
      i = j;
      continue;
    }
    const single = SINGLE[c];
    if (single !== undefined) {
      push(single, i, i + 1);
      i++;
      continue;
    }
    if (c === '=' && text[i + 1] !== '=' && text[i + 1] !== '>') {
      push('equal', i, i + 1);
      i++;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (op !== undefined) {
      push('op', i, i + op.length);
      i += op.length;
      continue;
    }
    reportInvalidChar(ch, i);
    push('invalid', i, i + ch.length);
    i += ch.length;
  }
  push('eof', n, n);
  return { tokens, diagnostics };

  function reportInvalidChar(ch: string, at: number): void {
    let detail = 'This character is not used within the language.';
    if (ch === "'") detail = 'Single quotes are not valid. Use double quotes (") to enclose strings.';
    if (ch === ';') {
      detail =
        'The ";" character is not valid. Use newlines to separate arguments and blocks, and commas to separate items in collection values.';
    }
    if (ch === '\r') detail = 'A carriage return must be followed by a line feed.';
    diag('Invalid character', detail, at, at + ch.length);
  }

  // Returns the index after the string (after the closing quote, or at the
  // newline/EOF that ended an unterminated one).
  function scanQuoted(open: number): number {
    let j = open + 1;
    let value = '';
    for (;;) {
      if (j >= n) {
        diag(
          'Unterminated string literal',
          'Unable to find the closing quote mark before the end of the file.',
          j,
          j,
        );
        break;
      }
      const c = text[j] as string;
      if (c === '"') {
        j++;
        break;
      }
      if (c === '\n' || (c === '\r' && text[j + 1] === '\n')) {
        diag('Invalid multi-line string', MULTILINE_STRING_DETAIL, j, j + 1);
        break;
      }
      if (c === '\\') {
        const r = scanEscape(j);
        value += r.value;
        j = r.end;
        continue;
      }
      if ((c === '$' || c === '%') && text[j + 1] === c && text[j + 2] === '{') {
        value += `${c}{`;
        j += 3;
        continue;
      }
      if ((c === '$' || c === '%') && text[j + 1] === '{') {
        const end = templateEnd(j + 2);
        if (templates === 'literal') {
          value += text.slice(j, end);
        } else {
          diag(
            'Invalid string literal',
            `Template sequences are not allowed in this string. To include a literal "${c}", double it (as "${c}${c}") to escape it.`,
            j,
            Math.min(end, n),
          );
          value += `${c}{ ... }`;
        }
        j = end;
        continue;
      }
      const cp = text.codePointAt(j) as number;
      const ch = String.fromCodePoint(cp);
      value += ch;
      j += ch.length;
    }
    push('string', open, j, value);
    return j;
  }

  function scanEscape(at: number): { value: string; end: number } {
    const sel = text[at + 1];
    const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };
    if (sel === undefined || sel === '\n' || sel === '\r') {
      diag(
        'Invalid escape sequence',
        'Backslash must be followed by an escape sequence selector character.',
        at,
        at + 1,
      );
      return { value: '', end: at + 1 };
    }
    const mapped = simple[sel];
    if (mapped !== undefined) return { value: mapped, end: at + 2 };
    if (sel === 'u' || sel === 'U') {
      const want = sel === 'u' ? 4 : 8;
      let j = at + 2;
      while (j < n && j - (at + 2) < want && HEX.test(text[j] as string)) j++;
      const digits = text.slice(at + 2, j);
      if (digits.length !== want) {
        const detail =
          sel === 'u'
            ? 'The \\u escape sequence must be followed by four hexadecimal digits.'
            : 'The \\U escape sequence must be followed by eight hexadecimal digits.';
        diag('Invalid escape sequence', detail, at, j);
        return { value: '', end: j };
      }
      const code = parseInt(digits, 16);
      if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
        diag(
          'Invalid escape sequence',
          `Cannot encode character U+${code.toString(16).padStart(4, '0')} in UTF-8.`,
          at,
          j,
        );
        return { value: '', end: j };
      }
      return { value: String.fromCodePoint(code), end: j };
    }
    const ch = String.fromCodePoint(text.codePointAt(at + 1) as number);
    diag(
      'Invalid escape sequence',
      `The symbol ${JSON.stringify(ch)} is not a valid escape sequence selector.`,
      at,
      at + 1 + ch.length,
    );
    return { value: ch, end: at + 1 + ch.length };
  }

  // Index just after the `}` closing a template sequence whose body starts
  // at `from`, skipping nested braces and quoted strings; `n` if unclosed.
  function templateEnd(from: number): number {
    let depth = 1;
    let j = from;
    while (j < n) {
      const c = text[j];
      if (c === '"') {
        j++;
        while (j < n && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      } else if (c === '{') {
        depth++;
      } else if (c === '}') {
        depth--;
        if (depth === 0) return j + 1;
      }
      j++;
    }
    diag('Unterminated template string', 'No closing marker was found for the string.', from - 2, from);
    return n;
  }

  // Consumes a whole heredoc (through its closing marker line) as one token,
  // so that its content does not produce a cascade of unrelated errors.
  function scanHeredoc(open: number, headerLen: number, marker: string): number {
    let j = open + headerLen;
    while (j < n) {
      let eol = text.indexOf('\n', j);
      if (eol === -1) eol = n;
      const line = text.slice(j, eol).replace(/\r$/, '');
      j = eol;
      if (line.trim() === marker) break;
      j = eol + 1;
    }
    push('heredoc', open, Math.min(j, n));
    return Math.min(j, n);
  }
}
