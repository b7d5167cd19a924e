// `airgap import --push REGISTRY/REPO:TAG`: pushes the runner image the live
// generation holds (DIR/image, the OCI layout `airgap mirror --image` built) to an
// OCI registry. Before any request, the layout is checked against what
// airgap-state.json records: index.json's entry for the ref names the recorded
// index digest, and every document and blob has its descriptor's size and sha256
// (a tampered blob is refused by name, and nothing is sent). Then: each blob (HEAD
// first, so a re-push uploads nothing), each platform manifest by digest, and the
// image index by tag last (src/core/oci/image-push-plan.ts). When the tag already
// names the index, nothing is sent at all.
//
// Everything is read from the generation DIR/.airgap/current pointed at when the
// push started: an import finishing meanwhile cannot mix two images into one push.

import fs from 'node:fs/promises';
import path from 'node:path';
import { sha256File } from '../../adapters/fs/sha256-file.js';
import { AirgapError, isAirgapError } from '../../core/errors.js';
import { layoutBlobPath, OCI_LAYOUT, type Descriptor } from '../../core/image/oci-image.js';
import { IMPORT } from '../../core/layout/names.js';
import {
  checkDocumentBytes,
  findLayoutEntry,
  indexManifests,
  MAX_DOCUMENT_BYTES,
  planImagePush,
  type ImagePushPlan,
  type LayoutDocument,
  type PushDocument,
} from '../../core/oci/image-push-plan.js';
import { parseOciReference } from '../../core/oci/reference.js';
import type { OciRegistryClient, Reporter } from '../../core/ports.js';
import { readLiveState } from './live-state.js';
import { pushSbom, type PushedSbom } from './push-sbom.js';
import type { ImportedImage } from '../../core/transfer/import-state.js';

export interface PushImageOptions {
  /** The import destination DIR, absolute. */
  dest: string;
  /** REGISTRY/REPO:TAG. */
  target: string;
  /** Made for the target's registry. */
  client: OciRegistryClient;
  reporter: Reporter;
  /** A repository of the same registry to mount missing blobs from (--push-mount-from). */
  mountFrom?: string;
}

export interface PushImageResult {
  /** REGISTRY/REPO:TAG, registry lower-cased. */
  target: string;
  registry: string;
  repository: string;
  tag: string;
  /** The layout's name for the image (image/index.json), e.g. "latest". */
  ref: string;
  /** The image index's digest, which the tag names. */
  digest: string;
  platforms: { platform: string; manifest: string }[];
  /** "unchanged": the tag named this very index already; nothing was sent. */
  action: 'pushed' | 'unchanged';
  /** Configs and layers sent, found in the registry already, or mounted. */
  blobs: { uploaded: number; existing: number; mounted: number };
  /** The bundle's SBOM, pushed as an artifact referring to the index (absent: the bundle has none). */
  sbom?: PushedSbom;
}

/** The image of the live generation, and where its layout is. */
export interface LocatedImage {
  image: ImportedImage;
  /** The layout directory inside the live generation (read from here). */
  layoutDir: string;
  /** DIR/image, for messages. */
  displayDir: string;
}

export interface CheckedImageLayout {
  plan: ImagePushPlan;
  /** Blob digest -> its file in the layout. */
  blobFiles: Map<string, string>;
}

/** `--push REGISTRY/REPO:TAG` as a reference; a tag is required, a digest refused. */
export function parseImageTarget(text: string): { registry: string; repository: string; tag: string } {
  const ref = parseOciReference(text);
  if (ref.tag === undefined || ref.digest !== undefined) {
    throw new AirgapError(
      'OCI_REFERENCE_INVALID',
      `--push ${JSON.stringify(text)}: name the image as REGISTRY/REPO:TAG (a tag, and no digest: the tag is what the push writes)`,
      { address: text, expected: 'REGISTRY/REPO:TAG', actual: text },
    );
  }
  return { registry: ref.registry, repository: ref.repository, tag: ref.tag };
}

/**
 * The runner image the live generation of DIR (absolute) holds. INPUT_NOT_FOUND (exit 2)
 * when it has none: the bundle was made without `airgap mirror --image`.
 */
export async function locateImage(dest: string): Promise<LocatedImage> {
  const { generation, state } = await readLiveState(dest, 'a bundle made with `airgap mirror --image`');
  const image = state.current.contents.image;
  if (image === undefined) {
    throw new AirgapError(
      'INPUT_NOT_FOUND',
      `${dest} holds no runner image to push: the bundle imported last (${state.current.bundleDigest.slice(0, 16)}, created ${state.current.createdAt}) was built without \`airgap mirror --image\``,
      {
        path: path.join(dest, IMPORT.imageDir),
        expected: 'a bundle made with airgap mirror --image',
        actual: 'no image in airgap-state.json',
      },
    );
  }
  return {
    image,
    layoutDir: path.join(generation, IMPORT.imageDir),
    displayDir: path.join(dest, IMPORT.imageDir),
  };
}

/**
 * Reads the layout's documents and checks them against `image` and each other:
 * index.json's entry for the ref, the index and every manifest (size and sha256),
 * and every config and layer present with its descriptor's size; with `hashBlobs`,
 * also each config's and layer's sha256. Errors name the file under `displayDir`.
 */
export async function readImageLayout(
  layoutDir: string,
  displayDir: string,
  image: ImportedImage,
  options: { hashBlobs: boolean },
): Promise<CheckedImageLayout> {
  const shown = (digest: string): string => path.join(displayDir, layoutBlobPath(digest));
  const indexPath = path.join(layoutDir, OCI_LAYOUT.index);
  const layoutIndex = await readLimited(indexPath, path.join(displayDir, OCI_LAYOUT.index));
  const entry = findLayoutEntry(
    layoutIndex,
    image.ref,
    image.digest,
    path.join(displayDir, OCI_LAYOUT.index),
  );
  const index = await readDocument(layoutDir, entry, shown(entry.digest));
  const manifests: LayoutDocument[] = [];
  for (const d of indexManifests(index, shown(entry.digest))) {
    manifests.push(await readDocument(layoutDir, d, shown(d.digest)));
  }
  const plan = planImagePush(index, manifests, image.platforms, shown);
  const blobFiles = new Map<string, string>();
  for (const blob of plan.blobs) {
    const file = path.join(layoutDir, layoutBlobPath(blob.digest));
    await checkBlobFile(file, blob, shown(blob.digest), options.hashBlobs);
    blobFiles.set(blob.digest, file);
  }
  return { plan, blobFiles };
}

export async function pushImage(options: PushImageOptions): Promise<PushImageResult> {
  const { client, reporter } = options;
  const target = parseImageTarget(options.target);
  const located = await locateImage(options.dest);
  const { plan, blobFiles } = await readImageLayout(located.layoutDir, located.displayDir, located.image, {
    hashBlobs: true,
  });
  const ref = `${target.registry}/${target.repository}:${target.tag}`;
  const base = {
    target: ref,
    registry: target.registry,
    repository: target.repository,
    tag: target.tag,
    ref: located.image.ref,
    digest: plan.index.digest,
    platforms: plan.manifests.map((m) => ({ platform: m.platform, manifest: m.digest })),
  };

  const existing = await client.getManifest(target.repository, target.tag);
  const sbom = (): Promise<PushedSbom | undefined> =>
    pushSbom({
      client,
      repository: target.repository,
      where: `${target.registry}/${target.repository}`,
      layoutDir: located.layoutDir,
      index: { mediaType: plan.index.mediaType, digest: plan.index.digest, size: plan.index.bytes.length },
      reporter,
    });
  if (existing?.digest === plan.index.digest) {
    reporter.info(`${ref} is up to date (${plan.index.digest.slice(0, 19)})`);
    const pushed = await sbom();
    return {
      ...base,
      action: 'unchanged',
      blobs: { uploaded: 0, existing: 0, mounted: 0 },
      ...(pushed === undefined ? {} : { sbom: pushed }),
    };
  }

  const blobs = { uploaded: 0, existing: 0, mounted: 0 };
  for (const blob of plan.blobs) {
    const r = await client.pushBlob(
      target.repository,
      {
        digest: blob.digest,
        size: blob.size,
        path: blobFiles.get(blob.digest)!,
      },
      options.mountFrom === undefined ? undefined : { mountFrom: options.mountFrom },
    );
    if (r === 'exists') blobs.existing += 1;
    else if (r === 'mounted') blobs.mounted += 1;
    else blobs.uploaded += 1;
  }
  for (const m of plan.manifests) await putDocument(client, target.repository, m.digest, m, ref);
  // Every blob and manifest the index names is in the registry now: only this PUT makes the image visible.
  await putDocument(client, target.repository, target.tag, plan.index, ref);
  reporter.info(
    `pushed ${ref} (${plan.manifests.length} platform(s); ${blobs.uploaded} blob(s) uploaded, ${blobs.existing + blobs.mounted} already there)`,
  );
  const pushed = await sbom();
  return { ...base, action: 'pushed', blobs, ...(pushed === undefined ? {} : { sbom: pushed }) };
}

async function putDocument(
  client: OciRegistryClient,
  repository: string,
  reference: string,
  doc: PushDocument,
  ref: string,
): Promise<void> {
  const digest = await client.pushManifest(repository, reference, {
    mediaType: doc.mediaType,
    bytes: doc.bytes,
  });
  if (digest !== doc.digest) {
    throw new AirgapError(
      'REGISTRY_PROTOCOL',
      `${ref}: the registry stored the manifest pushed as ${reference} under digest ${digest}, not ${doc.digest}`,
      { address: ref, expected: doc.digest, actual: digest },
    );
  }
}

async function readDocument(
  layoutDir: string,
  descriptor: Descriptor,
  shown: string,
): Promise<LayoutDocument> {
  if (descriptor.size > MAX_DOCUMENT_BYTES) {
    throw new AirgapError(
      'IMAGE_INVALID',
      `${shown}: described as ${descriptor.size} bytes; a manifest or index is at most ${MAX_DOCUMENT_BYTES}`,
      { path: shown, expected: `at most ${MAX_DOCUMENT_BYTES} bytes`, actual: `${descriptor.size} bytes` },
    );
  }
  const bytes = await readLimited(path.join(layoutDir, layoutBlobPath(descriptor.digest)), shown);
  checkDocumentBytes(descriptor, bytes, shown);
  return { descriptor, bytes };
}

async function readLimited(file: string, shown: string): Promise<Uint8Array> {
  try {
    const st = await fs.lstat(file);
    if (!st.isFile())
      throw new AirgapError('IMAGE_INVALID', `${shown} is not a regular file`, { path: shown });
    if (st.size > MAX_DOCUMENT_BYTES) {
      throw new AirgapError(
        'IMAGE_INVALID',
        `${shown} is ${st.size} bytes; a manifest or index is at most ${MAX_DOCUMENT_BYTES}`,
        { path: shown, expected: `at most ${MAX_DOCUMENT_BYTES} bytes`, actual: `${st.size} bytes` },
      );
    }
    return await fs.readFile(file);
  } catch (e) {
    throw missingOr(e, shown);
  }
}

async function checkBlobFile(file: string, blob: Descriptor, shown: string, hash: boolean): Promise<void> {
  let size: number;
  try {
    const st = await fs.lstat(file);
    if (!st.isFile())
      throw new AirgapError('IMAGE_INVALID', `${shown} is not a regular file`, { path: shown });
    size = st.size;
  } catch (e) {
    throw missingOr(e, shown);
  }
  if (size !== blob.size) {
    throw new AirgapError(
      'CHECKSUM_MISMATCH',
      `${shown}: ${size} bytes, but its descriptor says ${blob.size}`,
      {
        path: shown,
        expected: `${blob.size} bytes`,
        actual: `${size} bytes`,
      },
    );
  }
  if (!hash) return;
  const { sha256 } = await sha256File(file).catch((e: unknown) => {
    throw missingOr(e, shown);
  });
  if (`sha256:${sha256}` !== blob.digest) {
    throw new AirgapError(
      'CHECKSUM_MISMATCH',
      `${shown}: sha256 is sha256:${sha256}, but it is named ${blob.digest}`,
      {
        path: shown,
        expected: blob.digest,
        actual: `sha256:${sha256}`,
      },
    );
  }
}

function missingOr(e: unknown, shown: string): AirgapError {
  if (isAirgapError(e)) return e;
  if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
    return new AirgapError('BUNDLE_FILE_MISSING', `${shown} is missing from the image layout`, {
      path: shown,
      cause: e,
    });
  }
  return new AirgapError('FS_ERROR', `cannot read ${shown}: ${(e as Error).message}`, {
    path: shown,
    cause: e,
  });
}
