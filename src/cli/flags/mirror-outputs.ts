// What `airgap mirror` writes outside the bundle's own tree, each with what set it (a flag
// or the spec's key), for --parents: the bundle directory, the tarball, the image archive.

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
  return [
    { from: from('out', 'output.dir'), path: request.outDir },
    { from: from('tarball', 'output.tarball'), path: request.pack?.tarball },
    { from: from('image-archive', 'image.archive.file'), path: request.image?.archive?.file },
  ];
}
