// Pushing an artifact that refers to another manifest (distribution-spec 1.1,
// "Pushing Manifests with Subject"): its blobs, then the manifest by digest. A registry
// with the referrers API answers the PUT with OCI-Subject and indexes the referrer
// itself; without that header the client keeps the referrers tag schema: the image
// index tagged ALG-HEX (core/oci/sbom-referrer.ts) gains the artifact's descriptor,
// fetched, extended and pushed back. Each step is idempotent, so a push that failed
// half-way is finished by running it again.

import type { Descriptor } from '../../core/image/oci-image.js';
import { referrersTag, withReferrer, type ReferrerDocument } from '../../core/oci/sbom-referrer.js';
import type { OciBlob, OciRegistryClient } from '../../core/ports.js';
import { AirgapError } from '../../core/errors.js';

export interface ReferrerPush {
  manifest: ReferrerDocument;
  /** The manifest's descriptor, as a referrers index lists it. */
  descriptor: Descriptor;
  blobs: OciBlob[];
  /** The digest of the manifest it refers to. */
  subject: string;
}

export interface ReferrerPushResult {
  digest: string;
  /** "api": the registry said it indexes referrers (OCI-Subject); "tag": the tag schema was kept. */
  referrers: 'api' | 'tag';
  /** With "tag": the tag of the referrers index, and whether this push changed it. */
  tag?: string;
  tagUpdated?: boolean;
}

export async function pushReferrer(
  client: OciRegistryClient,
  repo: string,
  push: ReferrerPush,
  where: string,
): Promise<ReferrerPushResult> {
  const tag = referrersTag(push.subject);
  const tagWhere = `${where.split('@')[0]}:${tag}`;
  // Pushed before and listed under the tag: nothing to write (a re-push sends only reads).
  if ((await client.getManifest(repo, push.manifest.digest)) !== undefined) {
    if (withReferrer(await client.getManifest(repo, tag), push.descriptor, tagWhere) === undefined)
      return { digest: push.manifest.digest, referrers: 'tag', tag, tagUpdated: false };
  }
  for (const blob of push.blobs) await client.pushBlob(repo, blob);
  const doc = { mediaType: push.manifest.mediaType, bytes: push.manifest.bytes };
  const put =
    client.pushManifestWithSubject === undefined
      ? { digest: await client.pushManifest(repo, push.manifest.digest, doc), ociSubject: undefined }
      : await client.pushManifestWithSubject(repo, push.manifest.digest, doc);
  if (put.digest !== push.manifest.digest) {
    throw new AirgapError(
      'REGISTRY_PROTOCOL',
      `${where}: the registry stored the referrer under digest ${put.digest}, not ${push.manifest.digest}`,
      { address: where, expected: push.manifest.digest, actual: put.digest },
    );
  }
  if (put.ociSubject === push.subject) return { digest: put.digest, referrers: 'api' };
  const next = withReferrer(await client.getManifest(repo, tag), push.descriptor, tagWhere);
  if (next !== undefined)
    await client.pushManifest(repo, tag, { mediaType: next.mediaType, bytes: next.bytes });
  return { digest: put.digest, referrers: 'tag', tag, tagUpdated: next !== undefined };
}
