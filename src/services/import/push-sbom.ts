// `airgap import --push`: after the runner image, the bundle's SBOM (sbom.cdx.json, kept
// in the live generation) goes to the same repository as an OCI artifact whose subject
// is the image index (docs/SBOM-FORMAT.md, "In the registry"): found through the
// referrers API where the registry has one, else through the referrers tag schema
// (src/adapters/oci/referrers.ts). A bundle made before SBOMs has none: nothing is pushed.

import fs from 'node:fs/promises';
import path from 'node:path';
import { pushReferrer } from '../../adapters/oci/referrers.js';
import { AirgapError } from '../../core/errors.js';
import { IMPORT } from '../../core/layout/names.js';
import { EMPTY_CONFIG, sbomArtifact } from '../../core/oci/sbom-referrer.js';
import type { OciRegistryClient, Reporter } from '../../core/ports.js';
import { CDX_MEDIA_TYPE } from '../../core/sbom/cyclonedx.js';

export interface PushedSbom {
  /** The artifact manifest's digest. */
  digest: string;
  artifactType: typeof CDX_MEDIA_TYPE;
  /** The image index it refers to. */
  subject: string;
  /** "api": the registry indexes it (OCI-Subject); "tag": listed in the index tagged `tag`. */
  referrers: 'api' | 'tag';
  tag?: string;
}

export interface PushSbomOptions {
  client: OciRegistryClient;
  repository: string;
  /** REGISTRY/REPO, for messages. */
  where: string;
  /** The live generation's image layout directory; the SBOM sits beside it. */
  layoutDir: string;
  /** The pushed image index. */
  index: { mediaType: string; digest: string; size: number };
  reporter: Reporter;
}

export async function pushSbom(options: PushSbomOptions): Promise<PushedSbom | undefined> {
  const file = path.join(path.dirname(options.layoutDir), IMPORT.sbom);
  const bytes = await fs.readFile(file).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw new AirgapError('FS_ERROR', `cannot read ${file}: ${e.message}`, { path: file, cause: e });
  });
  if (bytes === undefined) {
    options.reporter.info('the imported bundle has no SBOM (made by an airgap before 0.2): none pushed');
    return undefined;
  }
  const bom = parseBom(bytes, file);
  if (bom.image !== options.index.digest) {
    throw new AirgapError(
      'SBOM_MISMATCH',
      `${IMPORT.sbom} of the live generation describes the runner image ${bom.image ?? '(none)'}, not ${options.index.digest}, the image pushed`,
      { path: file, expected: options.index.digest, actual: bom.image ?? 'none' },
    );
  }
  const artifact = sbomArtifact({
    sbom: bytes,
    fileName: IMPORT.sbom,
    subject: options.index,
    created: bom.timestamp,
  });
  const pushed = await pushReferrer(
    options.client,
    options.repository,
    {
      manifest: artifact.manifest,
      descriptor: artifact.descriptor,
      blobs: [
        { digest: EMPTY_CONFIG.digest, size: EMPTY_CONFIG.size, bytes: EMPTY_CONFIG.bytes },
        { ...artifact.layer, bytes },
      ],
      subject: options.index.digest,
    },
    `${options.where}@${artifact.manifest.digest}`,
  );
  options.reporter.info(
    `pushed the SBOM ${pushed.digest.slice(0, 19)} referring to ${options.index.digest.slice(0, 19)}` +
      (pushed.referrers === 'api' ? ' (the registry indexes referrers)' : ` (referrers tag ${pushed.tag})`),
  );
  return {
    digest: pushed.digest,
    artifactType: CDX_MEDIA_TYPE,
    subject: options.index.digest,
    referrers: pushed.referrers,
    ...(pushed.tag === undefined ? {} : { tag: pushed.tag }),
  };
}

/** The two values the push needs: the timestamp, and the digest of the image it describes. */
function parseBom(bytes: Buffer, file: string): { timestamp: string; image: string | undefined } {
  let doc: { metadata?: { timestamp?: unknown }; components?: { 'bom-ref'?: unknown; version?: unknown }[] };
  try {
    doc = JSON.parse(bytes.toString('utf8')) as typeof doc;
  } catch (e) {
    throw new AirgapError('SBOM_MISMATCH', `${file} is not JSON: ${(e as Error).message}`, { path: file });
  }
  const timestamp = doc.metadata?.timestamp;
  if (typeof timestamp !== 'string')
    throw new AirgapError('SBOM_MISMATCH', `${file} has no metadata.timestamp`, { path: file });
  const image = (Array.isArray(doc.components) ? doc.components : []).find((c) => c?.['bom-ref'] === 'image');
  return { timestamp, image: typeof image?.version === 'string' ? image.version : undefined };
}
