// The HCL native-syntax subset reader: parse to a tree with source ranges,
// evaluate literal expressions, report diagnostics as AirgapErrors.

export type {
  Attribute,
  Block,
  Body,
  Expression,
  LiteralExpr,
  ObjectExpr,
  ObjectItem,
  TupleExpr,
} from './ast.js';
export { findAttribute } from './ast.js';
export type { Diagnostic } from './diagnostics.js';
export {
  diagnosticToError,
  errorDiag,
  formatDiagnostic,
  hasErrors,
  sortDiagnostics,
  throwIfErrors,
} from './diagnostics.js';
export type { TemplateMode } from './lexer.js';
export type { HclFile, ParseOptions } from './parser.js';
export { parseHcl, parseHclFile } from './parser.js';
export type { SourcePos, SourceRange } from './source.js';
export { formatHclRange, formatPos } from './source.js';
export type { HclValue } from './value.js';
export { evaluate, evaluateString, staticList, valueToString } from './value.js';
