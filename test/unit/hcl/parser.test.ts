import { describe, expect, it } from 'vitest';
import { AirgapErrors } from '../../../src/core/errors.js';
import type { Body, Expression } from '../../../src/core/hcl/index.js';
import {
  evaluate,
  parseHcl,
  parseHclFile,
  type Diagnostic,
  type HclValue,
} from '../../../src/core/hcl/index.js';

// A body as plain data: attribute values evaluated, ranges dropped.
interface Plain {
  attrs: Record<string, HclValue | undefined>;
  blocks: { type: string; labels: string[]; body: Plain }[];
}

function plain(body: Body): Plain {
  const attrs: Record<string, HclValue | undefined> = {};
  for (const a of body.attributes) attrs[a.name] = evaluate(a.expr, []);
  return { attrs, blocks: body.blocks.map((b) => ({ type: b.type, labels: b.labels, body: plain(b.body) })) };
}

function messages(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AirgapErrors);
    const errs = (e as AirgapErrors).errors;
    for (const err of errs) expect(err.code).toBe('HCL_SYNTAX');
    return errs.map((err) => err.message);
  }
  throw new Error('expected parse to fail');
}

function diagLines(diags: Diagnostic[]): string[] {
  return diags.map((d) => `${d.subject.start.line}:${d.subject.start.column} ${d.summary}`);
}

describe('parseHcl structure', () => {
  it('parses attributes and nested blocks with quoted and bare labels', () => {
    const body = parseHcl(
      'a = "x"\nouter "l1" bare {\n  inner {\n    n = 1\n  }\n  b = true\n}\nempty {}\n',
      'f.hcl',
    );
    expect(plain(body)).toEqual({
      attrs: { a: 'x' },
      blocks: [
        {
          type: 'outer',
          labels: ['l1', 'bare'],
          body: {
            attrs: { b: true },
            blocks: [{ type: 'inner', labels: [], body: { attrs: { n: 1 }, blocks: [] } }],
          },
        },
        { type: 'empty', labels: [], body: { attrs: {}, blocks: [] } },
      ],
    });
  });

  it('records 1-based source ranges for every node', () => {
    const body = parseHcl('provider "p/q" {\n  version = "1.0.0"\n}\n', 'f.hcl');
    const block = body.blocks[0]!;
    expect(block.typeRange.start).toEqual({ line: 1, column: 1, offset: 0 });
    expect(block.typeRange.end).toEqual({ line: 1, column: 9, offset: 8 });
    expect(block.labelRanges[0]!.start).toEqual({ line: 1, column: 10, offset: 9 });
    expect(block.labelRanges[0]!.end).toEqual({ line: 1, column: 15, offset: 14 });
    expect(block.body.range.start).toEqual({ line: 1, column: 16, offset: 15 });
    expect(block.range.end).toEqual({ line: 3, column: 2, offset: 38 });
    const attr = block.body.attributes[0]!;
    expect(attr.nameRange.start).toEqual({ line: 2, column: 3, offset: 19 });
    expect(attr.expr.range.start).toEqual({ line: 2, column: 13, offset: 29 });
    expect(attr.expr.range.end).toEqual({ line: 2, column: 20, offset: 36 });
    expect(attr.expr.range.filename).toBe('f.hcl');
  });

  it('counts columns in grapheme clusters, like HCL', () => {
    // "e" + combining acute is one character on screen, two UTF-16 units.
    const body = parseHcl('x = "e\u0301" \ny = "\u{1F600}\u{1F600}"\n', 'f');
    expect(body.attributes[0]!.expr.range.end).toEqual({ line: 1, column: 8, offset: 8 });
    expect(body.attributes[1]!.expr.range.end).toEqual({ line: 2, column: 9, offset: 20 });
  });

  it('parses single-line blocks', () => {
    expect(plain(parseHcl('b "x" { v = "1" }\n', 'f'))).toEqual({
      attrs: {},
      blocks: [{ type: 'b', labels: ['x'], body: { attrs: { v: '1' }, blocks: [] } }],
    });
  });

  it('accepts a file without a final newline and an empty file', () => {
    expect(plain(parseHcl('a = 1', 'f'))).toEqual({ attrs: { a: 1 }, blocks: [] });
    expect(plain(parseHcl('', 'f'))).toEqual({ attrs: {}, blocks: [] });
  });
});

describe('parseHcl expressions', () => {
  function value(src: string): HclValue | undefined {
    const body = parseHcl(`v = ${src}\n`, 'f');
    return evaluate(body.attributes[0]!.expr, []);
  }

  it('parses literals', () => {
    expect(value('"s"')).toBe('s');
    expect(value('42')).toBe(42);
    expect(value('1.5e3')).toBe(1500);
    expect(value('-7')).toBe(-7);
    expect(value('true')).toBe(true);
    expect(value('false')).toBe(false);
    expect(value('null')).toBe(null);
  });

  it('decodes HCL string escapes', () => {
    expect(value('"a\\nb\\tc\\"d\\\\e\\r"')).toBe('a\nb\tc"d\\e\r');
    expect(value('"\\u00e9\\U0001F600"')).toBe('\u00e9\u{1F600}');
    expect(value('"$${x} %%{y} $$ %% $x"')).toBe('${x} %{y} $$ %% $x');
  });

  it('parses tuples on one line or many, with or without a trailing comma', () => {
    expect(value('["a", "b"]')).toEqual(['a', 'b']);
    expect(value('["a", "b",]')).toEqual(['a', 'b']);
    expect(value('[\n  "a",\n  "b"\n]')).toEqual(['a', 'b']);
    expect(value('[\n  "a",\n  "b",\n]')).toEqual(['a', 'b']);
    expect(value('[]')).toEqual([]);
    expect(value('[[1], {}]')).toEqual([[1], {}]);
  });

  it('parses objects separated by newlines or commas, with = or :, bare or quoted keys', () => {
    expect(value('{ k = 1, "k2" = "v", k3: true }')).toEqual({ k: 1, k2: 'v', k3: true });
    expect(value('{\n  "providers.v1" = "https://x/"\n  other = { a = [1] }\n}')).toEqual({
      'providers.v1': 'https://x/',
      other: { a: [1] },
    });
    expect(value('{}')).toEqual({});
  });

  it('keeps comments out of values wherever whitespace is allowed', () => {
    const src = [
      '# hash comment',
      '// slash comment',
      '/* block',
      '   comment */ a = /* inline */ "x" // trailing',
      'l = [ # after open',
      '  "a", /* mid */ "b" // end',
      '] # after close',
      'o = { /* c */ k = 1 # c',
      '  /* c */ j = 2 }',
      'b /* c */ "lbl" /* c */ { # c',
      '  v = 1 /* c */',
      '} // c',
    ].join('\n');
    expect(plain(parseHcl(src, 'f'))).toEqual({
      attrs: { a: 'x', l: ['a', 'b'], o: { k: 1, j: 2 } },
      blocks: [{ type: 'b', labels: ['lbl'], body: { attrs: { v: 1 }, blocks: [] } }],
    });
  });

  it('handles CRLF line endings', () => {
    const body = parseHcl('a = "x"\r\nb {\r\n  c = [\r\n    1,\r\n  ]\r\n}\r\n', 'f');
    expect(plain(body)).toEqual({
      attrs: { a: 'x' },
      blocks: [{ type: 'b', labels: [], body: { attrs: { c: [1] }, blocks: [] } }],
    });
    expect(body.blocks[0]!.body.attributes[0]!.nameRange.start).toEqual({ line: 3, column: 3, offset: 16 });
  });

  it('skips a UTF-8 BOM without counting it as a column', () => {
    const body = parseHcl('\uFEFFa = "x"\n', 'f');
    expect(plain(body).attrs).toEqual({ a: 'x' });
    expect(body.attributes[0]!.nameRange.start).toEqual({ line: 1, column: 1, offset: 1 });
  });

  it('keeps template sequences verbatim in literal mode (CLI config)', () => {
    const body = parseHcl('p = "${HOME}/x %{if a}{b}%{endif}"\n', 'f', { templates: 'literal' });
    expect(evaluate(body.attributes[0]!.expr, [])).toBe('${HOME}/x %{if a}{b}%{endif}');
  });

  it('reports variables when evaluating', () => {
    const body = parseHcl('v = foo\n', 'f');
    const diags: Diagnostic[] = [];
    expect(evaluate(body.attributes[0]!.expr as Expression, diags)).toBeUndefined();
    expect(
      diags.map((d) => `${d.subject.start.line}:${d.subject.start.column} ${d.summary}; ${d.detail}`),
    ).toEqual(['1:5 Variables not allowed; Variables may not be used here.']);
  });
});

describe('parseHcl errors', () => {
  it('throws every syntax error as FILE:LINE:COL: Summary; detail', () => {
    const src = 'a = "x" b\nc = "${var}"\n"q" = 1\nd = 1\nd = 2\n';
    expect(messages(() => parseHcl(src, 'conf.hcl'))).toEqual([
      'conf.hcl:1:9: Missing newline after argument; An argument definition must end with a newline.',
      'conf.hcl:2:6: Invalid string literal; Template sequences are not allowed in this string. To include a literal "$", double it (as "$$") to escape it.',
      'conf.hcl:3:1: Invalid argument name; Argument names must not be quoted.',
      'conf.hcl:5:1: Attribute redefined; The argument "d" was already set at conf.hcl:4,1-2. Each argument may be set only once.',
    ]);
  });

  it('sets details.path to FILE:LINE:COL', () => {
    try {
      parseHcl('x = [1 2]\n', 'p.hcl');
      expect.unreachable();
    } catch (e) {
      const err = (e as AirgapErrors).errors[0]!;
      expect(err.details.path).toBe('p.hcl:1:8');
      expect(err.message).toBe(
        'p.hcl:1:8: Missing item separator; Expected a comma to mark the beginning of the next item.',
      );
    }
  });

  it('reports block-definition mistakes', () => {
    const src = 'a "x"\n{\n}\nb = {\nc "x" = {}\n';
    const diags = parseHclFile(src, 'f').diagnostics;
    // The brace on line 2 belongs to the broken header, so it is not reported again.
    expect(diagLines(diags)).toEqual(['1:6 Invalid block definition', '5:3 Missing key/value separator']);
    expect(diags[0]!.detail).toBe(
      'A block definition must have block content delimited by "{" and "}", starting on the same line as the block header.',
    );
  });

  it('reports a stray closing brace and keeps parsing', () => {
    expect(messages(() => parseHcl('}\nx = 1\ny = [1\n', 'f'))).toEqual([
      'f:1:1: Argument or block definition required; An argument or block definition is required here.',
      'f:3:5: Unterminated tuple constructor expression; There is no corresponding closing bracket before the end of the file. This may be caused by incorrect bracket nesting elsewhere in this file.',
    ]);
  });

  it('reports an unclosed block at its opening brace', () => {
    expect(messages(() => parseHcl('p "x" {\n  v = 1\n', 'f'))).toEqual([
      'f:1:7: Unclosed configuration block; There is no closing brace for this block before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file.',
    ]);
  });

  it('reports string problems', () => {
    expect(messages(() => parseHcl('a = "x\nb = "\\q\\u12"\nc = "\\uD800"\nd = "open', 'f'))).toEqual([
      'f:1:7: Invalid multi-line string; Quoted strings may not be split over multiple lines. To produce a multi-line string, either use the \\n escape to represent a newline character or use the "heredoc" multi-line template syntax.',
      'f:2:6: Invalid escape sequence; The symbol "q" is not a valid escape sequence selector.',
      'f:2:8: Invalid escape sequence; The \\u escape sequence must be followed by four hexadecimal digits.',
      'f:3:6: Invalid escape sequence; Cannot encode character U+d800 in UTF-8.',
      'f:4:10: Unterminated string literal; Unable to find the closing quote mark before the end of the file.',
    ]);
  });

  it('rejects heredocs, operators and function calls clearly', () => {
    expect(messages(() => parseHcl('a = <<EOT\nhello\nEOT\nb = 1 + 2\nc = f(1)\nd = x.y\n', 'f'))).toEqual([
      'f:1:5: Unsupported heredoc string; Heredoc strings ("<<EOT") are not supported in this file; write a quoted string, using \\n for line breaks.',
      'f:4:7: Unsupported expression; Only literal values (strings, numbers, true, false, null), lists and objects are supported in this file; found "+" after a value.',
      'f:5:6: Unsupported expression; Only literal values (strings, numbers, true, false, null), lists and objects are supported in this file; found "(" after a value.',
      'f:6:6: Unsupported expression; Only literal values (strings, numbers, true, false, null), lists and objects are supported in this file; found "." after a value.',
    ]);
  });

  it('reports invalid characters', () => {
    expect(messages(() => parseHcl("a = 'x'\nb = 1;\n", 'f'))).toEqual([
      'f:1:5: Invalid character; Single quotes are not valid. Use double quotes (") to enclose strings.',
      'f:1:7: Invalid character; Single quotes are not valid. Use double quotes (") to enclose strings.',
      'f:2:6: Invalid character; The ";" character is not valid. Use newlines to separate arguments and blocks, and commas to separate items in collection values.',
    ]);
  });

  it('reports object and tuple mistakes', () => {
    const diags = parseHclFile('a = { k 1 }\nb = { k = 1 j = 2 }\nc = [1,\nd = 1\n', 'f').diagnostics;
    expect(diagLines(diags)).toEqual([
      '1:9 Missing key/value separator',
      '2:13 Missing attribute separator',
      '4:3 Missing item separator',
    ]);
  });

  it('reports an unterminated comment', () => {
    expect(messages(() => parseHcl('a = 1\n/* never closed\n', 'f'))).toEqual([
      'f:2:1: Unterminated comment; There is no closing "*/" for this comment before the end of the file.',
    ]);
  });
});
