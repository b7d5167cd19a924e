// `oci:PATH[:TAG]`: an OCI image layout directory (image-spec image-layout.md), and
// the layout logic every layout-shaped source shares (oci-archive, and the layout
// Docker 25+ writes inside a docker-archive): the `oci-layout` marker, index.json,
// the entry named by `org.opencontainers.image.ref.name` (or the only entry when no
// TAG is given), and blobs under blobs/ALG/HEX.
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { AirgapError } from '../../../core/errors.js';
import {
  layoutBlobPath,
  OCI_LAYOUT,
  parseImageDocument,
  type Descriptor,
} from '../../../core/image/oci-image.js';
import { normalizeImageName } from '../../../core/oci/base-reference.js';
import type { ImageSource } from '../../../core/ports.js';
import { copyVerified } from './blob-file.js';
import {
  checkDocument,
  checkDocumentSize,
  MAX_DOCUMENT_BYTES,
  resolveFromStore,
  type TopDocument,
} from './resolve.js';

/** The files of a layout, wherever they are stored. */
export interface LayoutReader {
  /** The directory or archive, for messages. */
  location: string;
  /** A whole file ("oci-layout", "index.json", "blobs/sha256/HEX") of at most `limit` bytes; INPUT_NOT_FOUND when absent. */
  read(name: string, limit: number): Promise<Uint8Array>;
  /** A blob file as a stream; INPUT_NOT_FOUND when absent. */
  open(name: string): Promise<Readable>;
}

const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;
const MAX_MARKER_BYTES = 64 * 1024;

export function openOciLayout(reference: string, dir: string, tag: string | undefined): ImageSource {
  return layoutImageSource(reference, { tag }, async () => directoryReader(reference, dir));
}

/**
 * Which index.json entry: the one whose ref.name is `tag`, or (Docker 25+ archives)
 * whose `io.containerd.image.name` is `imageName`, or else the only one.
 */
export interface LayoutSelector {
  tag?: string | undefined;
  imageName?: string | undefined;
}

const CONTAINERD_IMAGE_NAME = 'io.containerd.image.name';

/** An ImageSource over any layout; `makeReader` runs once, on first use. */
export function layoutImageSource(
  reference: string,
  select: LayoutSelector,
  makeReader: () => Promise<LayoutReader>,
): ImageSource {
  const { tag, imageName } = select;
  let pending: Promise<LayoutReader> | undefined;
  const reader = (): Promise<LayoutReader> => (pending ??= makeReader());

  async function blob(descriptor: Descriptor, what: string): Promise<Uint8Array> {
    checkDocumentSize(descriptor, reference, what);
    const r = await reader();
    const bytes = await r.read(blobName(descriptor.digest), MAX_DOCUMENT_BYTES);
    return checkDocument(bytes, descriptor, reference, what);
  }

  async function top(): Promise<TopDocument> {
    const r = await reader();
    await checkMarker(reference, r);
    const indexWhere = `${reference}: ${OCI_LAYOUT.index}`;
    const index = parseImageDocument(await r.read(OCI_LAYOUT.index, MAX_DOCUMENT_BYTES), indexWhere);
    if (index.kind !== 'index') {
      throw new AirgapError('IMAGE_INVALID', `${indexWhere} is not an image index`, {
        address: reference,
        expected: 'an image index',
        actual: index.mediaType,
      });
    }
    const entries = index.doc.manifests;
    const names = entries.map((e) => e.annotations?.[OCI_LAYOUT.refName]).filter((n) => n !== undefined);
    const listed = names.length === 0 ? 'no tagged entries' : `tags: ${names.join(', ')}`;
    let entry: Descriptor | undefined;
    if (imageName !== undefined) {
      const wanted = normalizeImageName(imageName);
      const named = entries.map((e) => e.annotations?.[CONTAINERD_IMAGE_NAME]).filter((n) => n !== undefined);
      entry = entries.find((e) => {
        const name = e.annotations?.[CONTAINERD_IMAGE_NAME];
        return name !== undefined && normalizeImageName(name) === wanted;
      });
      if (entry === undefined) {
        throw new AirgapError(
          'IMAGE_INVALID',
          `${indexWhere} has no image named ${imageName} (names: ${named.join(', ') || 'none'})`,
          { address: reference, expected: imageName, actual: named.join(', ') },
        );
      }
    } else if (tag !== undefined) {
      entry = entries.find((e) => e.annotations?.[OCI_LAYOUT.refName] === tag);
      if (entry === undefined) {
        throw new AirgapError(
          'IMAGE_INVALID',
          `${indexWhere} has no image tagged ${JSON.stringify(tag)} (${listed})`,
          {
            address: reference,
            expected: tag,
            actual: names.join(', '),
          },
        );
      }
    } else {
      if (entries.length !== 1) {
        throw new AirgapError(
          'IMAGE_INVALID',
          `${indexWhere} holds ${entries.length} images; name one as ${reference}:TAG (${listed})`,
          {
            address: reference,
            expected: 'exactly one image, or a TAG',
            actual: `${entries.length} (${listed})`,
          },
        );
      }
      entry = entries[0]!;
    }
    return { bytes: await blob(entry, 'document'), digest: entry.digest, mediaType: entry.mediaType };
  }

  return {
    reference,
    resolve: (platforms) =>
      resolveFromStore({ reference, top, fetch: (d, what) => blob(d, what) }, platforms),
    async copyBlob(descriptor, dest, onBytes) {
      const r = await reader();
      const stream = await r.open(blobName(descriptor.digest));
      await copyVerified(stream, dest, descriptor, reference, onBytes);
    },
    async close() {},
  };

  function blobName(digest: string): string {
    if (!SHA256_DIGEST.test(digest)) {
      throw new AirgapError(
        'IMAGE_INVALID',
        `${reference}: blob digest ${JSON.stringify(digest)} is not sha256:<hex>`,
        {
          address: reference,
          expected: 'sha256:<64 lower-case hex>',
          actual: digest,
        },
      );
    }
    return layoutBlobPath(digest);
  }
}

async function checkMarker(reference: string, reader: LayoutReader): Promise<void> {
  const bytes = await reader.read(OCI_LAYOUT.markerFile, MAX_MARKER_BYTES);
  let version: unknown;
  try {
    version = (JSON.parse(Buffer.from(bytes).toString('utf8')) as { imageLayoutVersion?: unknown })
      .imageLayoutVersion;
  } catch {
    version = undefined;
  }
  if (version === '1.0.0') return;
  throw new AirgapError(
    'IMAGE_INVALID',
    `${reference}: ${reader.location}/${OCI_LAYOUT.markerFile} does not declare imageLayoutVersion 1.0.0`,
    {
      address: reference,
      path: `${reader.location}/${OCI_LAYOUT.markerFile}`,
      expected: OCI_LAYOUT.markerText,
      actual: Buffer.from(bytes).toString('utf8').slice(0, 120),
    },
  );
}

async function directoryReader(reference: string, dir: string): Promise<LayoutReader> {
  const stat = await fs.promises.stat(dir).catch(() => undefined);
  if (stat === undefined || !stat.isDirectory()) {
    throw new AirgapError('INPUT_NOT_FOUND', `${reference}: no OCI layout directory at ${dir}`, {
      address: reference,
      path: dir,
      expected: 'a directory',
      actual: stat === undefined ? 'nothing' : 'not a directory',
    });
  }
  const file = (name: string): string => path.join(dir, ...name.split('/'));
  const notFound = (name: string, cause: unknown): AirgapError =>
    new AirgapError('INPUT_NOT_FOUND', `${reference}: ${file(name)} does not exist`, {
      address: reference,
      path: file(name),
      cause,
    });
  return {
    location: dir,
    async read(name, limit) {
      let handle: fs.promises.FileHandle;
      try {
        handle = await fs.promises.open(file(name), 'r');
      } catch (cause) {
        if ((cause as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(name, cause);
        throw fsError(reference, file(name), cause);
      }
      try {
        const { size } = await handle.stat();
        if (size > limit) {
          throw new AirgapError(
            'IMAGE_INVALID',
            `${reference}: ${file(name)} is ${size} bytes, more than ${limit}`,
            {
              address: reference,
              path: file(name),
              expected: `<= ${limit} bytes`,
              actual: String(size),
            },
          );
        }
        return await handle.readFile();
      } finally {
        await handle.close();
      }
    },
    async open(name) {
      // Opened here, so a missing blob is INPUT_NOT_FOUND before any destination file exists.
      const handle = await fs.promises.open(file(name), 'r').catch((cause: unknown) => {
        if ((cause as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(name, cause);
        throw fsError(reference, file(name), cause);
      });
      return handle.createReadStream();
    },
  };
}

function fsError(reference: string, file: string, cause: unknown): AirgapError {
  return new AirgapError(
    'FS_ERROR',
    `${reference}: cannot read ${file}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`,
    {
      address: reference,
      path: file,
      cause,
    },
  );
}
