// docs/airgap.schema.json and parseSpec must agree: every spec the parser tests use is
// judged by both. Where the schema cannot express a rule (constraint syntax, hostname
// rules, ...), the case names the rule, and docs/SPEC-FORMAT.md must list it.

import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import { describe, expect, it } from 'vitest';
import { LineCounter, parse, parseDocument } from 'yaml';
import { parseSpec, SPEC_KEYS } from '../../../src/core/spec/parse.js';
import { INVALID, VALID } from './cases.js';

type Json = Record<string, unknown>;

const schema = JSON.parse(
  readFileSync(new URL('../../../docs/airgap.schema.json', import.meta.url), 'utf8'),
) as Json;
const specFormat = readFileSync(new URL('../../../docs/SPEC-FORMAT.md', import.meta.url), 'utf8');

// strictTypes and strictTuples refuse a schema whose keywords do not fit its types:
// what ajv accepts this way, editors read the same way.
function compile(): ValidateFunction {
  const ajv = new Ajv({ allErrors: true, strictTypes: true, strictTuples: true });
  return ajv.compile(schema);
}
const validate = compile();

function schemaAccepts(text: string): boolean {
  return validate(parse(text)) === true;
}

function parserAccepts(text: string): boolean {
  try {
    parseSpec(text, 'airgap.yaml');
    return true;
  } catch {
    return false;
  }
}

/** false when the document cannot become data (an alias of no anchor throws here). */
function toJsOk(doc: ReturnType<typeof parseDocument>): boolean {
  try {
    doc.toJS();
    return true;
  } catch {
    return false;
  }
}

describe('docs/airgap.schema.json', () => {
  it('is a draft-07 schema (what yaml-language-server reads)', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(new Ajv().validateSchema(schema)).toBe(true);
  });

  it('knows exactly the keys the parser knows, map by map', () => {
    const props = (node: unknown): string[] => Object.keys(((node as Json).properties ?? {}) as Json).sort();
    const p = schema.properties as Json;
    const at = (...keys: (string | number)[]): unknown =>
      keys.reduce<unknown>((node, k) => (node as Record<string | number, unknown>)[k], p);
    const defs = schema.definitions as Json;
    const bySection: Record<string, unknown> = {
      '': schema,
      'providers.*': at('providers', 'additionalProperties', 'anyOf', 1),
      'localProviders[]': at('localProviders', 'items'),
      binaries: at('binaries'),
      'binaries.*': (defs.binary as { anyOf: unknown[] }).anyOf[1],
      image: at('image'),
      'image.archive': at('image', 'properties', 'archive'),
      'image.serve': at('image', 'properties', 'serve'),
      configs: at('configs'),
      output: at('output'),
      registries: at('registries'),
    };
    expect(Object.keys(bySection).sort()).toEqual(Object.keys(SPEC_KEYS).sort());
    for (const [section, keys] of Object.entries(SPEC_KEYS)) {
      expect({ section, keys: props(bySection[section]) }).toEqual({ section, keys: [...keys].sort() });
    }
  });

  it('describes every key, for editor hovers', () => {
    const defs = schema.definitions as Record<string, Json>;
    const missing: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (node === null || typeof node !== 'object') return;
      const n = node as Json;
      for (const [key, sub] of Object.entries((n.properties ?? {}) as Record<string, Json>)) {
        const ref = typeof sub.$ref === 'string' ? defs[sub.$ref.replace('#/definitions/', '')] : undefined;
        if (typeof sub.description !== 'string' && typeof ref?.description !== 'string')
          missing.push(`${path}.${key}`);
      }
      for (const [key, sub] of Object.entries(n)) {
        if (key !== 'if' && key !== 'then' && key !== 'not') walk(sub, `${path}/${key}`);
      }
    };
    walk(schema, '#');
    expect(missing).toEqual([]);
  });
});

describe('the schema and the parser agree', () => {
  it.each(VALID.map((c) => [c.name, c.text]))('both accept %s', (_name, text) => {
    expect({ parser: parserAccepts(text), schema: schemaAccepts(text) }).toEqual({
      parser: true,
      schema: true,
    });
  });

  const judged = INVALID.filter((c) => c.schema === 'refuses');
  it.each(judged.map((c) => [c.name, c.text]))('both refuse %s', (_name, text) => {
    expect({ parser: parserAccepts(text), schema: schemaAccepts(text) }).toEqual({
      parser: false,
      schema: false,
    });
  });

  const parserOnly = INVALID.flatMap((c) =>
    typeof c.schema === 'object' ? [{ ...c, rule: c.schema.parserOnly }] : [],
  );
  it.each(parserOnly.map((c) => [c.name, c]))(
    'only the parser refuses %s, a rule docs/SPEC-FORMAT.md lists',
    (_name, c) => {
      expect({ parser: parserAccepts(c.text), schema: schemaAccepts(c.text) }).toEqual({
        parser: false,
        schema: true,
      });
      expect(specFormat).toContain(`- **${c.rule}**`);
    },
  );

  const yamlLevel = INVALID.filter((c) => c.schema === 'yaml');
  it.each(yamlLevel.map((c) => [c.name, c.text]))(
    '%s is a problem of the YAML text, below what a schema sees',
    (_name, text) => {
      const doc = parseDocument(text, { lineCounter: new LineCounter() });
      const plainData = doc.errors.length + doc.warnings.length === 0 && toJsOk(doc);
      expect(plainData).toBe(false);
      expect(parserAccepts(text)).toBe(false);
    },
  );
});
