// Stage: sbom.cdx.json, the bundle's CycloneDX 1.6 SBOM (docs/SBOM-FORMAT.md), written
// after everything it describes and before airgap.json, which lists it (and so the
// bundle's signature covers it). Provenance of packages this run verified comes from
// the run; of packages it found in place, from the previous SBOM when the file is the
// same. Unchanged bytes are not rewritten.

import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { readFileIfExists, writeFileAtomic } from '../../../adapters/fs/atomic.js';
import { readOwnNpmPackages } from '../../../adapters/npm/own-packages.js';
import { readLayerFiles } from '../../../adapters/oci/layer-files.js';
import { buildManifest, type FileRef, type ManifestInput } from '../../../core/bundle/manifest.js';
import { LAYER_INPUTS_ANNOTATION } from '../../../core/image/layer-plan.js';
import { layoutBlobPath } from '../../../core/image/oci-image.js';
import { BUNDLE, providerDir } from '../../../core/layout/names.js';
import type { MirrorRequest } from '../../../core/mirror/request.js';
import { buildSbom, renderSbom, type AddedLayer, type ProviderProvenance } from '../../../core/sbom/build.js';
import { previousProvenance, sbomFileComponents } from '../../../core/sbom/check.js';
import { packMtime } from '../../../core/transfer/pack-plan.js';
import { TOOL_VERSION } from '../../tool-version.js';
import type { JobOutcome } from '../provider-packages.js';

export interface SbomStageInput {
  outDir: string;
  /** Everything airgap.json will list but the SBOM itself. */
  parts: Omit<ManifestInput, 'toolVersion' | 'createdAt' | 'sbom'>;
  outcomes: readonly JobOutcome[];
  binaries: MirrorRequest['binaries'];
  /** SOURCE_DATE_EPOCH is read from here. */
  env: Record<string, string | undefined>;
}

export async function writeSbom(input: SbomStageInput): Promise<FileRef> {
  const { outDir } = input;
  const timestamp = packMtime(input.env);
  const manifest = buildManifest({ toolVersion: TOOL_VERSION, createdAt: timestamp, ...input.parts });
  const file = path.join(outDir, BUNDLE.sbom);
  const before = await readFileIfExists(file);

  const providers = new Map<string, ProviderProvenance>();
  for (const o of input.outcomes) {
    if (o.pkg === undefined || o.provenance === undefined) continue;
    providers.set(`${BUNDLE.providersDir}/${providerDir(o.job.address)}/${o.pkg.filename}`, o.provenance);
  }
  if (before !== undefined) {
    let earlier: ReturnType<typeof previousProvenance> = new Map();
    try {
      earlier = previousProvenance(sbomFileComponents(before, file));
    } catch {
      // A damaged or foreign SBOM is only a hint here: it is rewritten.
    }
    for (const p of manifest.providers.flatMap((v) => v.packages)) {
      const e = earlier.get(p.path);
      if (!providers.has(p.path) && e?.sha256 === p.sha256) providers.set(p.path, e.provenance);
    }
  }

  const releaseUrls = new Map<string, string>();
  for (const tool of ['tofu', 'terraform'] as const) releaseUrls.set(tool, input.binaries[tool].baseUrl);

  const addedLayers: AddedLayer[] = [];
  if (manifest.image !== undefined) {
    const layout = path.join(outDir, manifest.image.layout);
    for (const p of manifest.image.platforms) {
      const doc = JSON.parse(await fs.readFile(path.join(layout, layoutBlobPath(p.manifest)), 'utf8')) as {
        layers?: { digest: string; annotations?: Record<string, string> }[];
      };
      const ours = (doc.layers ?? [])
        .filter((l) => l.annotations?.[LAYER_INPUTS_ANNOTATION] !== undefined)
        .at(-1);
      if (ours === undefined) continue;
      const blob = path.join(layout, layoutBlobPath(ours.digest));
      addedLayers.push({
        platform: p.platform,
        digest: ours.digest,
        files: await readLayerFiles(blob, `${BUNDLE.imageDir}/${layoutBlobPath(ours.digest)}`),
      });
    }
  }

  const npmPackages = await readOwnNpmPackages();
  const render = (at: Date): string =>
    renderSbom(
      buildSbom({
        manifest,
        timestamp: at,
        toolVersion: TOOL_VERSION,
        providers,
        releaseUrls,
        addedLayers,
        npmPackages,
      }),
    );
  let text = render(timestamp);
  // As airgap.json's createdAt: a re-run that changes nothing else keeps the earlier
  // timestamp (made with another SOURCE_DATE_EPOCH, or none), so the file stays as it was.
  const earlier = before === undefined ? undefined : previousTimestamp(before);
  if (text !== before && earlier !== undefined && render(earlier) === before) text = before;
  if (text !== before) await writeFileAtomic(file, text);
  return {
    path: BUNDLE.sbom,
    size: Buffer.byteLength(text),
    sha256: createHash('sha256').update(text).digest('hex'),
  };
}

function previousTimestamp(text: string): Date | undefined {
  try {
    const t = (JSON.parse(text) as { metadata?: { timestamp?: unknown } }).metadata?.timestamp;
    if (typeof t !== 'string') return undefined;
    const d = new Date(t);
    return Number.isNaN(d.getTime()) ? undefined : d;
  } catch {
    return undefined;
  }
}
