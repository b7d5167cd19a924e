// What `airgap mirror` writes outside the bundle's own tree, each with what set it (a flag
// or the spec's key), for --parents: the bundle directory, the tarball, the image archive.

import path from 'node:path';

import type { MirrorRequest } from '../../core/mirror/request.js';
import type { OutputPath } from './parents.js';

export function mirrorOutputs(
  request: MirrorRequest,
  given: { out?: string | undefined; tarball?: string | undefined; 'image-archive'?: string | undefined },
): OutputPath[] {
  const from = (flag: keyof typeof given, key: string): string =>
    given[flag] !== undefined || request.specFile === undefined
      ? `--${flag}`
      : `${key} in ${request.specFile}`;
  // A file inside the bundle directory is the mirror's own error to name ("is inside the
  // bundle directory"), not a missing parent.
  const outside = (p: string | undefined): string | undefined =>
    p === undefined || isInside(p, request.outDir) ? undefined : p;
  return [
    { from: from('out', 'output.dir'), path: request.outDir },
    { from: from('tarball', 'output.tarball'), path: outside(request.pack?.tarball) },
    { from: from('image-archive', 'image.archive.file'), path: outside(request.image?.archive?.file) },
  ];
}

function isInside(file: string, dir: string): boolean {
  const rel = path.relative(path.resolve(dir), path.resolve(file));
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}
