// Finds and reads the spec: `-f FILE`, else airgap.yaml in the working directory when
// it exists (no spec is fine then: flags alone describe the run).

import fs from 'node:fs/promises';
import path from 'node:path';
import { AirgapError } from '../../core/errors.js';
import { SPEC_FILE_NAME, type Spec } from '../../core/spec/types.js';

export async function loadSpec(file: string | undefined, cwd: string): Promise<Spec | undefined> {
  const explicit = file !== undefined;
  const target = file ?? path.join(cwd, SPEC_FILE_NAME);
  let text: string;
  try {
    text = await fs.readFile(path.resolve(cwd, target), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !explicit) return undefined;
    throw new AirgapError(
      code === 'ENOENT' ? 'INPUT_NOT_FOUND' : 'FS_ERROR',
      code === 'ENOENT'
        ? `--file ${target} does not exist`
        : `cannot read the spec ${target}: ${code ?? String(e)}`,
      { path: target, cause: e },
      code === 'ENOENT' ? 'name an existing airgap.yaml, or write one with `airgap init`' : undefined,
    );
  }
  // Positions in messages name the file as the user would find it from here.
  const shown = explicit ? target : SPEC_FILE_NAME;
  // The parser (and yaml, ~30 ms at start-up) loads only when there is a spec to parse.
  const { parseSpec } = await import('../../core/spec/parse.js');
  return parseSpec(text, shown);
}
