// The `module` blocks of a configuration file (.tf): each call's name, source and
// version, with where they are written. A .tf file is full HCL (variables, function
// calls, for expressions), far beyond the literal subset the HCL parser decodes, but
// `source` and `version` must be literal strings (tofu and terraform refuse anything
// else there), so this reads the HCL lexer's tokens and looks only at top-level
// `module "NAME" { ... }` blocks and their direct `source = "..."` / `version = "..."`
// arguments; every other expression is skipped by bracket depth. Syntax errors the lexer
// finds (an unclosed string, a stray character) are reported with FILE:LINE:COL.

import { AirgapError, AirgapErrors } from '../errors.js';
import { errorDiag, throwIfErrors, type Diagnostic } from '../hcl/diagnostics.js';
import { tokenize, type Token } from '../hcl/lexer.js';
import { createLocator, formatPos, type SourceLocator } from '../hcl/source.js';

export interface ModuleCall {
  /** The block's label. */
  name: string;
  source: string;
  /** The version constraint, when the call has one. */
  version?: string;
  /** FILE:LINE:COL of the source argument's value. */
  at: string;
  /** FILE:LINE:COL of the version argument's value. */
  versionAt?: string;
}

const OPEN = new Set(['oBrace', 'oBrack', 'oParen']);
const CLOSE = new Set(['cBrace', 'cBrack', 'cParen']);

/** Every `module` block of one .tf file, in order; throws HCL_SYNTAX for what cannot be read. */
export function readModuleCalls(text: string, filename: string): ModuleCall[] {
  const start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const loc = createLocator(text, filename, start);
  const { tokens, diagnostics } = tokenize(text, loc, start, 'literal');
  throwIfErrors(diagnostics, 'HCL_SYNTAX');
  const diags: Diagnostic[] = [];
  const calls: ModuleCall[] = [];
  let depth = 0;
  let lineStart = true;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.type === 'newline') {
      lineStart = true;
      continue;
    }
    const atItemStart = lineStart && depth === 0;
    lineStart = false;
    if (atItemStart && t.type === 'ident' && t.text === 'module') {
      const label = tokens[i + 1];
      const brace = tokens[i + 2];
      if (label?.type === 'string' && brace?.type === 'oBrace') {
        const end = readModuleBody(tokens, i + 3, label.value ?? '', loc, calls, diags);
        i = end;
        continue;
      }
    }
    if (OPEN.has(t.type)) depth++;
    else if (CLOSE.has(t.type)) depth = Math.max(0, depth - 1);
  }
  throwIfErrors(diags, 'HCL_SYNTAX');
  return calls;
}

// Reads the body from just after `{` to its closing brace; returns that brace's index.
function readModuleBody(
  tokens: readonly Token[],
  from: number,
  name: string,
  loc: SourceLocator,
  calls: ModuleCall[],
  diags: Diagnostic[],
): number {
  let depth = 0;
  let lineStart = true;
  let source: { value: string; at: string } | undefined;
  let version: { value: string; at: string } | undefined;
  let i = from;
  for (; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.type === 'eof') break;
    if (t.type === 'newline') {
      lineStart = true;
      continue;
    }
    if (depth === 0 && t.type === 'cBrace') break;
    const itemStart = lineStart && depth === 0;
    lineStart = false;
    if (itemStart && t.type === 'ident' && (t.text === 'source' || t.text === 'version')) {
      const eq = tokens[i + 1];
      if (eq?.type === 'equal') {
        const value = tokens[i + 2];
        const after = tokens[i + 3];
        const literal =
          value?.type === 'string' &&
          !/[$%]\{/.test(value.text) &&
          (after?.type === 'newline' || after?.type === 'cBrace' || after?.type === 'eof');
        if (!literal || value === undefined) {
          const where = value ?? eq;
          diags.push(
            errorDiag(
              'Invalid module argument',
              `The "${t.text}" argument of module "${name}" must be a literal string: tofu and terraform read it before any variable is known.`,
              loc.range(where.start, where.end),
            ),
          );
        } else {
          const got = { value: value.value ?? '', at: formatPos(loc.range(value.start, value.end)) };
          if (t.text === 'source') source = got;
          else version = got;
        }
        i += 2;
        continue;
      }
    }
    if (OPEN.has(t.type)) depth++;
    else if (CLOSE.has(t.type)) depth = Math.max(0, depth - 1);
  }
  if (source === undefined) {
    // tofu: 'The argument "source" is required' — a call without one is not ours to judge
    // unless it failed to read, which was reported above.
    return i;
  }
  calls.push({
    name,
    source: source.value,
    at: source.at,
    ...(version === undefined ? {} : { version: version.value, versionAt: version.at }),
  });
  return i;
}

/** One error per problem, for callers that gather calls from many files. */
export function moduleCallErrors(errors: readonly AirgapError[]): AirgapError {
  return errors.length === 1 ? errors[0]! : new AirgapErrors([...errors]);
}
