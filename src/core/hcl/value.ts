// Static evaluation of literal expressions, with the diagnostics HCL (gohcl)
// gives when a value cannot be used where a string or a list is expected.

import type { Expression, TupleExpr } from './ast.js';
import { errorDiag, type Diagnostic } from './diagnostics.js';

export type HclValue = string | number | boolean | null | HclValue[] | { [key: string]: HclValue };

/**
 * The value of a literal expression, or undefined when it has none (a
 * variable reference, or a syntax error already reported). Problems are
 * appended to `diags`.
 */
export function evaluate(expr: Expression, diags: Diagnostic[]): HclValue | undefined {
  switch (expr.kind) {
    case 'literal':
      return expr.value;
    case 'variable':
      diags.push(errorDiag('Variables not allowed', 'Variables may not be used here.', expr.range));
      return undefined;
    case 'invalid':
      return undefined;
    case 'tuple': {
      const out: HclValue[] = [];
      let ok = true;
      for (const item of expr.items) {
        const v = evaluate(item, diags);
        if (v === undefined) ok = false;
        else out.push(v);
      }
      return ok ? out : undefined;
    }
    case 'object': {
      const out: { [key: string]: HclValue } = {};
      const seen = new Map<string, Expression>();
      let ok = true;
      for (const item of expr.items) {
        if (seen.has(item.key)) {
          diags.push(
            errorDiag(
              'Duplicate object attribute',
              `An attribute named ${JSON.stringify(item.key)} was already defined in this object.`,
              item.keyRange,
            ),
          );
          ok = false;
          continue;
        }
        seen.set(item.key, item.value);
        const v = evaluate(item.value, diags);
        if (v === undefined) ok = false;
        else out[item.key] = v;
      }
      return ok ? out : undefined;
    }
  }
}

/**
 * Converts like cty's string conversion: numbers and bools become their
 * string form. Returns null for null, undefined (with a diagnostic) for
 * values that have no string form.
 */
export function valueToString(
  value: HclValue,
  expr: Expression,
  diags: Diagnostic[],
): string | null | undefined {
  if (value === null) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  diags.push(errorDiag('Unsuitable value type', 'Unsuitable value: string required', expr.range));
  return undefined;
}

/** Evaluates an expression that must be a string; null counts as absent. */
export function evaluateString(expr: Expression, diags: Diagnostic[]): string | null | undefined {
  const v = evaluate(expr, diags);
  if (v === undefined) return undefined;
  return valueToString(v, expr, diags);
}

/** Like hcl.ExprList: the expression must be a tuple written out in the source. */
export function staticList(expr: Expression, diags: Diagnostic[]): TupleExpr | undefined {
  if (expr.kind === 'tuple') return expr;
  if (expr.kind !== 'invalid') {
    diags.push(errorDiag('Invalid expression', 'A static list expression is required.', expr.range));
  }
  return undefined;
}
