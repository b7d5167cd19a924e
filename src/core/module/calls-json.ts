// The `module` blocks of a configuration file in JSON syntax (.tf.json): tofu and
// terraform read `{"module": {"NAME": {"source": "...", "version": "..."}}}`, where the
// value of "module" may also be a list of such objects, and a block's body a list of
// bodies. `source` and `version` must be literal strings there too (a JSON string is a
// template, so "${" and "%{" are refused as in .tf files). Invalid JSON and a root that is
// not an object are errors with FILE:LINE:COL. JSON.parse decides validity (what JSON is);
// the yaml parser, which reads JSON as a subset, gives the positions.

import { isMap, isScalar, isSeq, parseDocument, type Node as YamlNode } from 'yaml';
import { errorDiag, throwIfErrors, type Diagnostic } from '../hcl/diagnostics.js';
import { createLocator, formatPos } from '../hcl/source.js';
import type { ModuleCall } from './calls.js';

/** Every `module` block of one .tf.json file, in order; throws HCL_SYNTAX for what cannot be read. */
export function readJsonModuleCalls(text: string, filename: string): ModuleCall[] {
  const start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const body = text.slice(start);
  const loc = createLocator(text, filename, start);
  const range = (from: number, to: number): ReturnType<typeof loc.range> =>
    loc.range(start + from, start + Math.max(to, from));
  const doc = parseDocument(body, { uniqueKeys: false, prettyErrors: false });
  try {
    JSON.parse(body);
  } catch (e) {
    const message = (e as Error).message;
    const at = /at position (\d+)/.exec(message);
    const pos = at !== null ? Number(at[1]) : (doc.errors[0]?.pos[0] ?? body.length);
    throwIfErrors(
      [
        errorDiag(
          'Invalid JSON',
          `${message.replace(/ in JSON at position \d+.*$/, '')}.`,
          range(pos, pos + 1),
        ),
      ],
      'HCL_SYNTAX',
    );
  }
  const root = doc.contents;
  if (!isMap(root)) {
    const r = root?.range ?? [0, 0];
    throwIfErrors(
      [
        errorDiag(
          'Invalid JSON configuration',
          'The root of a .tf.json file must be an object, as tofu and terraform read it.',
          range(r[0], r[1]),
        ),
      ],
      'HCL_SYNTAX',
    );
    return [];
  }
  const diags: Diagnostic[] = [];
  const calls: ModuleCall[] = [];
  const objects = (node: unknown): YamlNode[] =>
    isSeq(node) ? node.items.filter((i): i is YamlNode => isMap(i)) : isMap(node) ? [node] : [];

  for (const top of root.items) {
    if (!isScalar(top.key) || top.key.value !== 'module') continue;
    for (const blocks of objects(top.value)) {
      if (!isMap(blocks)) continue;
      for (const block of blocks.items) {
        if (!isScalar(block.key) || typeof block.key.value !== 'string' || block.key.value === '//') continue;
        const name = block.key.value;
        for (const blockBody of objects(block.value)) {
          if (!isMap(blockBody)) continue;
          let source: { value: string; at: string } | undefined;
          let version: { value: string; at: string } | undefined;
          for (const arg of blockBody.items) {
            if (!isScalar(arg.key) || (arg.key.value !== 'source' && arg.key.value !== 'version')) continue;
            const what = arg.key.value;
            const value = arg.value as YamlNode | null;
            const r = value?.range ?? arg.key.range ?? [0, 0];
            if (!isScalar(value) || typeof value.value !== 'string' || /[$%]\{/.test(value.value)) {
              diags.push(
                errorDiag(
                  'Invalid module argument',
                  `The "${what}" argument of module "${name}" must be a literal string: tofu and terraform read it before any variable is known.`,
                  range(r[0], r[1]),
                ),
              );
              continue;
            }
            const got = { value: value.value, at: formatPos(range(r[0], r[1])) };
            if (what === 'source') source = got;
            else version = got;
          }
          if (source === undefined) continue;
          calls.push({
            name,
            source: source.value,
            at: source.at,
            ...(version === undefined ? {} : { version: version.value, versionAt: version.at }),
          });
        }
      }
    }
  }
  throwIfErrors(diags, 'HCL_SYNTAX');
  return calls;
}
