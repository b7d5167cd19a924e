// Pushing one artifact that is a single image manifest (an OpenTofu module package, for
// one): its blobs, then the manifest PUT by tag, on any OciRegistryClient. Idempotent:
// a tag that already names these exact manifest bytes sends nothing more, and each blob
// is HEADed before it is uploaded (OciRegistryClient.pushBlob). The manifest goes up
// last, so the tag never names a manifest whose blobs the registry lacks.

import { AirgapError } from '../../core/errors.js';
import type { OciBlob, OciRegistryClient } from '../../core/ports.js';

export interface SingleManifestArtifact {
  repository: string;
  tag: string;
  manifest: { mediaType: string; bytes: Uint8Array; digest: string };
  /** Every blob the manifest names (config and layers). */
  blobs: readonly OciBlob[];
}

export interface ArtifactPushResult {
  /** "unchanged": the tag named this very manifest already; nothing was sent. */
  action: 'pushed' | 'unchanged';
  /** Blobs sent, found in the registry already, or mounted. */
  blobs: { uploaded: number; existing: number; mounted: number };
}

export async function pushSingleManifestArtifact(
  client: OciRegistryClient,
  artifact: SingleManifestArtifact,
): Promise<ArtifactPushResult> {
  const { repository, tag, manifest } = artifact;
  const blobs = { uploaded: 0, existing: 0, mounted: 0 };
  const existing = await client.getManifest(repository, tag);
  if (existing?.digest === manifest.digest) return { action: 'unchanged', blobs };
  const seen = new Set<string>();
  for (const blob of artifact.blobs) {
    if (seen.has(blob.digest)) continue;
    seen.add(blob.digest);
    const r = await client.pushBlob(repository, blob);
    if (r === 'exists') blobs.existing += 1;
    else if (r === 'mounted') blobs.mounted += 1;
    else blobs.uploaded += 1;
  }
  const digest = await client.pushManifest(repository, tag, {
    mediaType: manifest.mediaType,
    bytes: manifest.bytes,
  });
  if (digest !== manifest.digest) {
    throw new AirgapError(
      'REGISTRY_PROTOCOL',
      `${repository}:${tag}: the registry stored the manifest under digest ${digest}, not ${manifest.digest}`,
      { address: `${repository}:${tag}`, expected: manifest.digest, actual: digest },
    );
  }
  return { action: 'pushed', blobs };
}
