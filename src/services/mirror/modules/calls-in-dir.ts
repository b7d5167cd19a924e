// The registry module calls of one module directory (a configuration, or a fetched
// module; its .tf and .tf.json files), following its local `./` and `../` calls into the
// directories they name, as the CLIs do when they install a configuration's modules. `within` bounds where local
// calls may lead: a fetched module's own tree (a call leaving it is refused), or nothing
// for a configuration on this machine.

import fs from 'node:fs/promises';
import path from 'node:path';
import { compareStrings } from '../../../core/compare.js';
import { AirgapError } from '../../../core/errors.js';
import { parseModuleSource, type ModuleSource } from '../../../core/module/address.js';
import { readModuleCalls } from '../../../core/module/calls.js';
import { readJsonModuleCalls } from '../../../core/module/calls-json.js';

export interface RegistryCall {
  address: ModuleSource;
  source: string;
  version?: string;
  /** FILE:LINE:COL of the call's source, with FILE as shown. */
  at: string;
  /** The file, as shown. */
  file: string;
}

export interface CallScanOptions {
  defaultHost: string;
  /** `dir` and `within` are absolute. How a path below `dir` is shown in messages (and lock entries). */
  show: (abs: string) => string;
  /** Local calls must stay inside this directory. */
  within?: string;
  label: string;
}

export async function registryCallsIn(dir: string, options: CallScanOptions): Promise<RegistryCall[]> {
  const out: RegistryCall[] = [];
  const visited = new Set<string>();
  const queue = [path.normalize(dir)];
  while (queue.length > 0) {
    const current = queue.shift()!;
    if (visited.has(current)) continue;
    visited.add(current);
    let names: string[];
    try {
      names = (await fs.readdir(current)).filter(isConfigurationFile).sort(compareStrings);
    } catch (e) {
      throw new AirgapError(
        (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'INPUT_NOT_FOUND' : 'FS_ERROR',
        `${options.label}: cannot read the module directory ${options.show(current)}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
        { path: options.show(current), cause: e },
      );
    }
    for (const name of names) {
      const file = path.join(current, name);
      const st = await fs.lstat(file);
      if (!st.isFile()) continue;
      const shown = options.show(file);
      const text = await fs.readFile(file, 'utf8');
      const calls = name.endsWith(JSON_SUFFIX)
        ? readJsonModuleCalls(text, shown)
        : readModuleCalls(text, shown);
      for (const call of calls) {
        if (call.source.startsWith('./') || call.source.startsWith('../')) {
          const target = path.resolve(current, call.source.split('//')[0]!);
          if (options.within !== undefined && !isInside(options.within, target)) {
            throw new AirgapError(
              'ARCHIVE_ENTRY_UNSAFE',
              `${call.at}: module "${call.name}" calls ${JSON.stringify(call.source)}, which is outside ${options.label}`,
              { path: call.at, expected: 'a local module inside the module', actual: call.source },
            );
          }
          queue.push(target);
          continue;
        }
        const address = parseModuleSource(call.source, options.defaultHost);
        if (address === undefined) continue;
        out.push({
          address,
          source: call.source,
          ...(call.version === undefined ? {} : { version: call.version }),
          at: call.at,
          file: shown,
        });
      }
    }
  }
  return out;
}

const JSON_SUFFIX = '.tf.json';

/** What tofu and terraform read as configuration: native (.tf) and JSON (.tf.json) syntax. */
function isConfigurationFile(name: string): boolean {
  return name.endsWith('.tf') || name.endsWith(JSON_SUFFIX);
}

function isInside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
