// --parents: an output whose parent directory is missing is a usage error (exit 2) unless
// the user asks for the directories to be made, as `mkdir -p` does.

import { Flags } from '@oclif/core';
import { missingParent } from '../../adapters/fs/parent-dir.js';
import { AirgapError } from '../../core/errors.js';
import { isS3Url } from '../../core/s3/url.js';

/** The --parents flag; `what` names the outputs it is about, e.g. "--dest". */
export function parentsFlag(what: string, helpGroup = 'OUTPUT') {
  return Flags.boolean({
    summary: `Create the missing parent directories of ${what}, instead of stopping.`,
    default: false,
    helpGroup,
  });
}

/** An output path and what set it (`--out`, or `output.dir in airgap.yaml`). */
export interface OutputPath {
  from: string;
  path: string | undefined;
}

/** Throws USAGE for the first output whose parent directory does not exist, unless `parents`. */
export async function checkParents(outputs: OutputPath[], cwd: string, parents: boolean): Promise<void> {
  if (parents) return;
  for (const { from, path } of outputs) {
    // An s3:// output has no local parent directory.
    if (path === undefined || isS3Url(path)) continue;
    const parent = await missingParent(path, cwd);
    if (parent === undefined) continue;
    throw new AirgapError(
      'USAGE',
      `${from} ${path}: the parent directory ${parent} does not exist`,
      { path, expected: `the directory ${parent}`, actual: 'missing' },
      `create ${parent} first, or pass --parents to create it`,
    );
  }
}
