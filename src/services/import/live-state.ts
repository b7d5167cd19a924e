// The live generation of an import destination and the airgap-state.json it holds: what
// the pushes after an import (--push, --push-modules) read, so that an import finishing
// meanwhile cannot mix two generations into one push.

import fs from 'node:fs/promises';
import path from 'node:path';
import { AirgapError } from '../../core/errors.js';
import { IMPORT } from '../../core/layout/names.js';
import { IMPORT_META } from '../../core/transfer/import-layout.js';
import { parseImportState, type ImportState } from '../../core/transfer/import-state.js';

/**
 * The live generation of DIR (absolute) and its state. INPUT_NOT_FOUND (exit 2) when DIR
 * holds no import; `firstImport` completes the remedy ("import FIRST_IMPORT first").
 */
export async function readLiveState(
  dest: string,
  firstImport: string,
): Promise<{ generation: string; state: ImportState }> {
  const current = path.join(dest, IMPORT_META.dir, IMPORT_META.current);
  let generation: string;
  try {
    generation = await fs.realpath(current);
  } catch (e) {
    throw new AirgapError(
      'INPUT_NOT_FOUND',
      `${dest} holds no import (${current} is missing): import ${firstImport} first`,
      { path: current, cause: e },
    );
  }
  const statePath = path.join(generation, IMPORT.state);
  let text: string;
  try {
    text = await fs.readFile(statePath, 'utf8');
  } catch (e) {
    throw new AirgapError('FS_ERROR', `cannot read ${statePath}: ${(e as Error).message}`, {
      path: statePath,
      cause: e,
    });
  }
  return { generation, state: parseImportState(text, path.join(dest, IMPORT.state)) };
}
