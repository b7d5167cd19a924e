// `oci-archive:FILE[:TAG]`: an uncompressed tar of an OCI image layout, as
// `skopeo copy ... oci-archive:` writes it. Never extracted: the members are indexed
// by one pass over the tar headers and blobs are read by byte range.
import fs from 'node:fs';
import { AirgapError } from '../../../core/errors.js';
import type { ImageSource } from '../../../core/ports.js';
import { layoutImageSource, type LayoutReader } from './oci-layout.js';
import { findFile, indexTar, memberStream, readMember, type TarIndex, type TarMember } from './tar-index.js';

export function openOciArchive(reference: string, file: string, tag: string | undefined): ImageSource {
  return layoutImageSource(reference, { tag }, async () =>
    archiveLayoutReader(reference, await indexArchive(reference, file)),
  );
}

/** The archive's member index; a gzip-compressed archive is refused with a hint instead of "not a tar". */
export async function indexArchive(reference: string, file: string): Promise<TarIndex> {
  const magic = Buffer.alloc(4);
  const handle = await fs.promises.open(file, 'r').catch((cause: unknown) => {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new AirgapError(
      code === 'ENOENT' ? 'INPUT_NOT_FOUND' : 'FS_ERROR',
      code === 'ENOENT'
        ? `${reference}: ${file} does not exist`
        : `${reference}: cannot read ${file}: ${code}`,
      { address: reference, path: file, cause },
    );
  });
  try {
    await handle.read(magic, 0, 4, 0);
  } finally {
    await handle.close();
  }
  if (magic[0] === 0x1f && magic[1] === 0x8b) {
    throw new AirgapError(
      'IMAGE_INVALID',
      `${reference}: ${file} is gzip-compressed; airgap reads uncompressed archives (gunzip it first)`,
      {
        address: reference,
        path: file,
        expected: 'an uncompressed tar',
        actual: 'gzip data',
      },
    );
  }
  return indexTar(file, reference);
}

export function archiveLayoutReader(reference: string, index: TarIndex): LayoutReader {
  const member = (name: string): TarMember => {
    const found = findFile(index, name, reference);
    if (found !== undefined) return found;
    throw new AirgapError('INPUT_NOT_FOUND', `${reference}: ${index.archive} has no member ${name}`, {
      address: reference,
      path: `${index.archive}:${name}`,
    });
  };
  return {
    location: index.archive,
    async read(name, limit) {
      return readMember(index, member(name), limit, reference);
    },
    async open(name) {
      return memberStream(index, member(name));
    },
  };
}
