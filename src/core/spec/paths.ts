// How a path written in airgap.yaml is found: relative to the directory that holds the
// file, so a spec means the same thing whatever directory airgap runs in (paths given
// as flags stay relative to the working directory, as every flag's path is).

import path from 'node:path';

/**
 * The path the run uses for `written`, a path (or lock file glob) from the spec file
 * `specFile`. Absolute paths are kept; "~" is not expanded. A trailing "/" is kept: in
 * `lockfiles` it marks a directory.
 */
export function resolveSpecPath(specFile: string, written: string): string {
  if (path.isAbsolute(written)) return written;
  const joined = path.join(path.dirname(specFile), written);
  return written.endsWith('/') && !joined.endsWith('/') ? `${joined}/` : joined;
}
