// Recursive-descent parser for the HCL native-syntax subset used by
// dependency lock files and CLI configuration files: bodies of attributes and
// blocks, and literal expressions (strings, numbers, bools, null, tuples,
// objects, bare identifiers). Diagnostics follow hclsyntax's wording so users
// see the messages Terraform/OpenTofu would show for the same mistakes.

import type { Attribute, Block, Body, Expression, ObjectItem } from './ast.js';
import { errorDiag, throwIfErrors, type Diagnostic } from './diagnostics.js';
import { tokenize, type TemplateMode, type Token, type TokenType } from './lexer.js';
import {
  createLocator,
  formatHclRange,
  rangeBetween,
  type SourceLocator,
  type SourceRange,
} from './source.js';

export interface ParseOptions {
  /** Default 'reject'. See TemplateMode. */
  templates?: TemplateMode;
}

export interface HclFile {
  /** A best-effort tree, also when there are diagnostics. */
  body: Body;
  diagnostics: Diagnostic[];
}

/** Parses without throwing; callers decide what to do with the diagnostics. */
export function parseHclFile(text: string, filename: string, options: ParseOptions = {}): HclFile {
  const start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const locator = createLocator(text, filename, start);
  const lexed = tokenize(text, locator, start, options.templates ?? 'reject');
  const parser = new Parser(lexed.tokens, locator);
  const body = parser.parseFile();
  return { body, diagnostics: [...lexed.diagnostics, ...parser.diagnostics] };
}

/** Parses, throwing AirgapErrors (code HCL_SYNTAX) listing every syntax error. */
export function parseHcl(text: string, filename: string, options: ParseOptions = {}): Body {
  const file = parseHclFile(text, filename, options);
  throwIfErrors(file.diagnostics, 'HCL_SYNTAX');
  return file.body;
}

const OPENERS: Partial<Record<TokenType, TokenType>> = {
  oBrace: 'cBrace',
  oBrack: 'cBrack',
  oParen: 'cParen',
};

class Parser {
  readonly diagnostics: Diagnostic[] = [];
  private pos = 0;
  // Newlines are significant in bodies and objects, ignored inside tuples.
  private readonly newlineStack: boolean[] = [true];
  // Like hclsyntax: once the parser has skipped tokens to resynchronize,
  // follow-on "bad token" errors are suppressed. Reset per body item, so each
  // independent mistake in a file is still reported.
  private recovery = false;

  constructor(
    private readonly tokens: Token[],
    private readonly loc: SourceLocator,
  ) {}

  parseFile(): Body {
    const first = this.tokens[0] as Token;
    const body = this.parseBody('eof', first);
    const last = this.tokens[this.tokens.length - 1] as Token;
    body.range = this.loc.range(first.start, last.end);
    return body;
  }

  // --- token stream -------------------------------------------------------

  private includeNewlines(): boolean {
    return this.newlineStack[this.newlineStack.length - 1] ?? true;
  }

  private skipIndex(from: number): number {
    let i = from;
    if (!this.includeNewlines()) {
      while ((this.tokens[i] as Token).type === 'newline') i++;
    }
    return i;
  }

  private peek(): Token {
    return this.tokens[this.skipIndex(this.pos)] as Token;
  }

  private read(): Token {
    const i = this.skipIndex(this.pos);
    const tok = this.tokens[i] as Token;
    if (tok.type !== 'eof') this.pos = i + 1;
    else this.pos = i;
    return tok;
  }

  private range(tok: Token): SourceRange {
    return this.loc.range(tok.start, tok.end);
  }

  private error(summary: string, detail: string, subject: SourceRange): void {
    this.diagnostics.push(errorDiag(summary, detail, subject));
  }

  /** Skips to just after the `end` closing the current construct; returns that token. */
  private recover(end: TokenType): Token {
    this.recovery = true;
    const opener = (Object.keys(OPENERS) as TokenType[]).find((k) => OPENERS[k] === end);
    let nest = 0;
    for (;;) {
      const tok = this.read();
      if (tok.type === 'eof') return tok;
      if (opener !== undefined && tok.type === opener) nest++;
      else if (tok.type === end) {
        if (nest === 0) return tok;
        nest--;
      }
    }
  }

  /** Skips to the end of the current line, minding brackets that span lines. */
  private recoverAfterBodyItem(): void {
    this.recovery = true;
    const open: TokenType[] = [];
    this.newlineStack.push(true);
    try {
      for (;;) {
        const tok = this.read();
        if (tok.type === 'eof') return;
        if (tok.type === 'newline' && open.length === 0) return;
        if (OPENERS[tok.type] !== undefined) open.push(tok.type);
        if (tok.type === 'cBrace' || tok.type === 'cBrack' || tok.type === 'cParen') {
          const opener = (Object.keys(OPENERS) as TokenType[]).find((k) => OPENERS[k] === tok.type);
          while (open.length > 0 && open[open.length - 1] !== opener) open.pop();
          open.pop();
        }
      }
    } finally {
      this.newlineStack.pop();
    }
  }

  // --- structure ------------------------------------------------------------

  private parseBody(end: 'eof' | 'cBrace', open: Token): Body {
    const attributes: Attribute[] = [];
    const blocks: Block[] = [];
    const startRange = this.range(open);
    let endTok: Token = open;

    for (;;) {
      const next = this.peek();
      if (next.type === end) {
        endTok = this.read();
        break;
      }
      if (next.type === 'newline') {
        this.read();
        continue;
      }
      if (next.type === 'ident') {
        this.recovery = false;
        const item = this.parseBodyItem();
        if (item === undefined) continue;
        if ('expr' in item) {
          const existing = attributes.find((a) => a.name === item.name);
          if (existing) {
            this.error(
              'Attribute redefined',
              `The argument ${JSON.stringify(item.name)} was already set at ${formatHclRange(existing.nameRange)}. Each argument may be set only once.`,
              item.nameRange,
            );
          } else {
            attributes.push(item);
          }
        } else {
          blocks.push(item);
        }
        continue;
      }

      const bad = this.read();
      if (!this.recovery && bad.type !== 'invalid') {
        if (bad.type === 'string') {
          this.error('Invalid argument name', 'Argument names must not be quoted.', this.range(bad));
        } else if (bad.type === 'eof') {
          this.error(
            'Unclosed configuration block',
            'There is no closing brace for this block before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file.',
            startRange,
          );
        } else {
          this.error(
            'Argument or block definition required',
            'An argument or block definition is required here.',
            this.range(bad),
          );
        }
      }
      if (bad.type === 'eof') {
        endTok = bad;
        break;
      }
      // Top-level: resynchronize on the next line and keep going, so later
      // independent mistakes are reported too. Inside a block: skip the block.
      if (end === 'eof') {
        this.pos--;
        this.recoverAfterBodyItem();
        continue;
      }
      endTok = this.recover(end);
      break;
    }

    return { attributes, blocks, range: rangeBetween(startRange, this.range(endTok)) };
  }

  private parseBodyItem(): Attribute | Block | undefined {
    const ident = this.read();
    const next = this.peek();
    if (next.type === 'equal') return this.finishAttribute(ident, false);
    if (next.type === 'string' || next.type === 'oBrace' || next.type === 'ident')
      return this.finishBlock(ident);
    this.recoverAfterBodyItem();
    this.error(
      'Argument or block definition required',
      'An argument or block definition is required here. To set an argument, use the equals sign "=" to introduce the argument value.',
      this.range(ident),
    );
    return undefined;
  }

  private finishAttribute(ident: Token, singleLine: boolean): Attribute {
    this.read(); // '='
    const before = this.diagnostics.length;
    const expr = this.parseExpression();
    let endRange = expr.range;
    if (this.recovery && this.diagnostics.length > before) {
      this.recoverAfterBodyItem();
    } else if (!singleLine) {
      const end = this.peek();
      if (end.type !== 'newline' && end.type !== 'eof') {
        // An invalid character was already reported by the lexer.
        if (!this.recovery && end.type !== 'invalid') {
          const comma = end.type === 'comma';
          this.error(
            comma ? 'Unexpected comma after argument' : 'Missing newline after argument',
            `${comma ? 'Argument definitions must be separated by newlines, not commas. ' : ''}An argument definition must end with a newline.`,
            this.range(end),
          );
        }
        this.recoverAfterBodyItem();
      } else {
        endRange = expr.range;
        this.read();
      }
    }
    const nameRange = this.range(ident);
    return { name: ident.text, expr, nameRange, range: rangeBetween(nameRange, endRange) };
  }

  private finishBlock(ident: Token): Block | undefined {
    const labels: string[] = [];
    const labelRanges: SourceRange[] = [];
    let oBrace: Token | undefined;

    while (oBrace === undefined) {
      const tok = this.peek();
      if (tok.type === 'oBrace') {
        oBrace = this.read();
      } else if (tok.type === 'string') {
        this.read();
        labels.push(tok.value ?? '');
        labelRanges.push(this.range(tok));
      } else if (tok.type === 'ident') {
        this.read();
        labels.push(tok.text);
        labelRanges.push(this.range(tok));
      } else {
        let detail = 'Either a quoted string block label or an opening brace ("{") is expected here.';
        if (tok.type === 'equal') {
          detail =
            'The equals sign "=" indicates an argument definition, and must not be used when defining a block.';
        } else if (tok.type === 'newline') {
          detail =
            'A block definition must have block content delimited by "{" and "}", starting on the same line as the block header.';
        }
        if (!this.recovery || tok.type === 'equal' || tok.type === 'newline') {
          this.error('Invalid block definition', detail, this.range(tok));
        }
        this.recoverAfterBodyItem();
        return undefined;
      }
    }

    let body: Body;
    const first = this.peek();
    if (first.type === 'newline' || first.type === 'eof' || first.type === 'cBrace') {
      body = this.parseBody('cBrace', oBrace);
    } else {
      body = this.parseSingleAttrBody(oBrace);
    }
    const cBrace = this.tokens[this.pos - 1] as Token;

    const eol = this.peek();
    if (eol.type === 'newline' || eol.type === 'eof') {
      this.read();
    } else {
      if (!this.recovery && eol.type !== 'invalid') {
        this.error(
          'Missing newline after block definition',
          'A block definition must end with a newline.',
          this.range(eol),
        );
      }
      this.recoverAfterBodyItem();
    }

    const typeRange = this.range(ident);
    return {
      type: ident.text,
      labels,
      body,
      typeRange,
      labelRanges,
      range: rangeBetween(typeRange, this.range(cBrace)),
    };
  }

  // `name { attr = value }` on one line.
  private parseSingleAttrBody(oBrace: Token): Body {
    const open = this.range(oBrace);
    const ident = this.read();
    const attributes: Attribute[] = [];
    if (ident.type !== 'ident') {
      this.error(
        'Argument or block definition required',
        'An argument or block definition is required here.',
        this.range(ident),
      );
      const close = this.recover('cBrace');
      return { attributes, blocks: [], range: rangeBetween(open, this.range(close)) };
    }
    const next = this.peek();
    if (next.type !== 'equal') {
      const isBlock = next.type === 'string' || next.type === 'oBrace' || next.type === 'ident';
      this.error(
        isBlock ? 'Argument definition required' : 'Argument or block definition required',
        isBlock
          ? `A single-line block definition can contain only a single argument. If you meant to define argument ${JSON.stringify(ident.text)}, use an equals sign to assign it a value. To define a nested block, place it on a line of its own within its parent block.`
          : 'An argument or block definition is required here. To set an argument, use the equals sign "=" to introduce the argument value.',
        this.range(ident),
      );
      const close = this.recover('cBrace');
      return { attributes, blocks: [], range: rangeBetween(open, this.range(close)) };
    }
    attributes.push(this.finishAttribute(ident, true));

    const after = this.peek();
    if (after.type === 'cBrace') {
      const close = this.read();
      return { attributes, blocks: [], range: rangeBetween(open, this.range(close)) };
    }
    if (!this.recovery || after.type === 'comma' || after.type === 'newline') {
      let summary = 'Invalid single-argument block definition';
      let detail =
        'A single-line block definition must end with a closing brace immediately after its single argument definition.';
      if (after.type === 'comma') {
        detail =
          'Single-line block syntax can include only one argument definition. To define multiple arguments, use the multi-line block syntax with one argument definition per line.';
      } else if (after.type === 'newline') {
        detail =
          "An argument definition on the same line as its containing block creates a single-line block definition, which must also be closed on the same line. Place the block's closing brace immediately after the argument definition.";
      } else if (after.type === 'eof') {
        summary = 'Unclosed configuration block';
        detail =
          'There is no closing brace for this block before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file.';
      }
      this.error(summary, detail, after.type === 'eof' ? open : this.range(after));
    }
    const close = this.recover('cBrace');
    return { attributes, blocks: [], range: rangeBetween(open, this.range(close)) };
  }

  // --- expressions ----------------------------------------------------------

  private parseExpression(): Expression {
    const expr = this.parseTerm();
    if (expr.kind === 'invalid') return expr;
    // Operators, traversals, calls and conditionals are valid HCL but not
    // part of this subset; say so instead of a confusing follow-on error.
    const next = this.peek();
    if (next.type === 'op' || next.type === 'oParen' || next.type === 'oBrack') {
      if (!this.recovery) {
        this.error(
          'Unsupported expression',
          `Only literal values (strings, numbers, true, false, null), lists and objects are supported in this file; found ${JSON.stringify(next.text)} after a value.`,
          this.range(next),
        );
      }
      this.recovery = true;
      return { kind: 'invalid', range: rangeBetween(expr.range, this.range(next)) };
    }
    return expr;
  }

  private parseTerm(): Expression {
    const start = this.peek();
    const range = this.range(start);
    switch (start.type) {
      case 'string':
        this.read();
        return { kind: 'literal', value: start.value ?? '', range };
      case 'number':
        this.read();
        return { kind: 'literal', value: Number(start.text), range };
      case 'ident':
        this.read();
        if (start.text === 'true') return { kind: 'literal', value: true, range };
        if (start.text === 'false') return { kind: 'literal', value: false, range };
        if (start.text === 'null') return { kind: 'literal', value: null, range };
        return { kind: 'variable', name: start.text, range };
      case 'op': {
        const num = this.tokens[this.skipIndex(this.skipIndex(this.pos) + 1)];
        if (start.text === '-' && num?.type === 'number') {
          this.read();
          this.read();
          return { kind: 'literal', value: -Number(num.text), range: this.loc.range(start.start, num.end) };
        }
        break;
      }
      case 'oBrack':
        return this.parseTuple();
      case 'oBrace':
        return this.parseObject();
      case 'heredoc':
        this.read();
        this.error(
          'Unsupported heredoc string',
          'Heredoc strings ("<<EOT") are not supported in this file; write a quoted string, using \\n for line breaks.',
          this.loc.range(start.start, start.start + 2),
        );
        return { kind: 'invalid', range };
      default:
        break;
    }
    if (!this.recovery && start.type !== 'invalid') {
      if (start.type === 'eof') {
        this.error(
          'Missing expression',
          'Expected the start of an expression, but found the end of the file.',
          range,
        );
      } else {
        this.error(
          'Invalid expression',
          'Expected the start of an expression, but found an invalid expression token.',
          range,
        );
      }
    }
    this.recovery = true;
    return { kind: 'invalid', range };
  }

  private parseTuple(): Expression {
    const open = this.read();
    this.newlineStack.push(false);
    const items: Expression[] = [];
    let close: Token;
    try {
      for (;;) {
        if (this.peek().type === 'cBrack') {
          close = this.read();
          break;
        }
        const before = this.diagnostics.length;
        const item = this.parseExpression();
        items.push(item);
        if (this.recovery && this.diagnostics.length > before) {
          close = this.recover('cBrack');
          break;
        }
        const next = this.peek();
        if (next.type === 'cBrack') {
          close = this.read();
          break;
        }
        if (next.type !== 'comma') {
          if (!this.recovery) {
            if (next.type === 'eof') {
              this.error(
                'Unterminated tuple constructor expression',
                'There is no corresponding closing bracket before the end of the file. This may be caused by incorrect bracket nesting elsewhere in this file.',
                this.range(open),
              );
            } else {
              this.error(
                'Missing item separator',
                'Expected a comma to mark the beginning of the next item.',
                this.range(next),
              );
            }
          }
          close = this.recover('cBrack');
          break;
        }
        this.read(); // comma
      }
    } finally {
      this.newlineStack.pop();
    }
    return { kind: 'tuple', items, range: this.loc.range(open.start, close.end) };
  }

  private parseObject(): Expression {
    const open = this.read();
    this.newlineStack.push(true);
    const items: ObjectItem[] = [];
    let close: Token;
    const unterminated = (): void =>
      this.error(
        'Unterminated object constructor expression',
        'There is no corresponding closing brace before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file.',
        this.range(open),
      );
    try {
      for (;;) {
        const next = this.peek();
        if (next.type === 'newline') {
          this.read();
          continue;
        }
        if (next.type === 'cBrace') {
          close = this.read();
          break;
        }

        const before = this.diagnostics.length;
        const keyExpr = this.parseExpression();
        if (this.recovery && this.diagnostics.length > before) {
          close = this.recover('cBrace');
          break;
        }
        const key = objectKey(keyExpr);
        if (key === undefined && keyExpr.kind !== 'invalid') {
          this.error(
            'Unsupported object key',
            'An object key must be a name, a quoted string or a number in this file.',
            keyExpr.range,
          );
        }

        const sep = this.peek();
        if (sep.type !== 'equal' && sep.type !== 'colon') {
          if (!this.recovery) {
            if (sep.type === 'newline' || sep.type === 'comma') {
              this.error(
                'Missing attribute value',
                'Expected an attribute value, introduced by an equals sign ("=").',
                this.range(sep),
              );
            } else if (sep.type === 'eof') {
              unterminated();
            } else {
              this.error(
                'Missing key/value separator',
                'Expected an equals sign ("=") to mark the beginning of the attribute value.',
                this.range(sep),
              );
            }
          }
          close = this.recover('cBrace');
          break;
        }
        this.read(); // '=' or ':'

        const valueBefore = this.diagnostics.length;
        const value = this.parseExpression();
        if (this.recovery && this.diagnostics.length > valueBefore) {
          close = this.recover('cBrace');
          break;
        }
        if (key !== undefined) items.push({ key, keyRange: keyExpr.range, value });

        const after = this.peek();
        if (after.type === 'cBrace') {
          close = this.read();
          break;
        }
        if (after.type !== 'comma' && after.type !== 'newline') {
          if (!this.recovery) {
            if (after.type === 'eof') {
              unterminated();
            } else {
              this.error(
                'Missing attribute separator',
                'Expected a newline or comma to mark the beginning of the next attribute.',
                this.range(after),
              );
            }
          }
          close = this.recover('cBrace');
          break;
        }
        this.read(); // comma or newline
      }
    } finally {
      this.newlineStack.pop();
    }
    return { kind: 'object', items, range: this.loc.range(open.start, close.end) };
  }
}

// As in HCL, a naked identifier used as an object key is a literal name.
function objectKey(expr: Expression): string | undefined {
  if (expr.kind === 'variable') return expr.name;
  if (expr.kind !== 'literal') return undefined;
  if (typeof expr.value === 'string') return expr.value;
  if (typeof expr.value === 'number' || typeof expr.value === 'boolean') return String(expr.value);
  return undefined;
}
