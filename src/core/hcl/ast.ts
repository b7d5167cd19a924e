// The syntax tree of the HCL native-syntax subset airgap reads (lock files,
// CLI configuration). Every node carries its source range.

import type { SourceRange } from './source.js';

export interface Body {
  /** In source order; names are unique (a redefinition is a syntax error). */
  attributes: Attribute[];
  blocks: Block[];
  /** From the opening brace to the closing one; the whole file for the top-level body. */
  range: SourceRange;
}

export interface Attribute {
  name: string;
  expr: Expression;
  nameRange: SourceRange;
  range: SourceRange;
}

export interface Block {
  type: string;
  labels: string[];
  body: Body;
  typeRange: SourceRange;
  labelRanges: SourceRange[];
  /** From the type to the closing brace. */
  range: SourceRange;
}

export type Expression = LiteralExpr | VariableExpr | TupleExpr | ObjectExpr | InvalidExpr;

export interface LiteralExpr {
  kind: 'literal';
  value: string | number | boolean | null;
  range: SourceRange;
}

/** A bare identifier other than true/false/null: a variable reference in HCL. */
export interface VariableExpr {
  kind: 'variable';
  name: string;
  range: SourceRange;
}

export interface TupleExpr {
  kind: 'tuple';
  items: Expression[];
  range: SourceRange;
}

export interface ObjectItem {
  /** A naked identifier key is its name, as in HCL; a number key is its source text. */
  key: string;
  keyRange: SourceRange;
  value: Expression;
}

export interface ObjectExpr {
  kind: 'object';
  items: ObjectItem[];
  range: SourceRange;
}

/** Placeholder where a syntax error was reported. */
export interface InvalidExpr {
  kind: 'invalid';
  range: SourceRange;
}

export function findAttribute(body: Body, name: string): Attribute | undefined {
  return body.attributes.find((a) => a.name === name);
}
