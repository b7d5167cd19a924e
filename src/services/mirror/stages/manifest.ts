// Stage: airgap.lock.json (what was asked, what it resolved to) and airgap.json (every
// file of the bundle with its size and sha256; docs/BUNDLE-FORMAT.md). Packages this
// run verified are not read again. A re-run that changed nothing keeps both files
// byte for byte, creation time included.

import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { readFileIfExists, writeFileAtomic } from '../../../adapters/fs/atomic.js';
import { sha256File } from '../../../adapters/fs/sha256-file.js';
import {
  buildManifest,
  creationTime,
  renderManifest,
  sameContent,
  type BundleManifest,
  type FileRef,
  type ManifestBinary,
  type ManifestInput,
} from '../../../core/bundle/manifest.js';
import {
  renderResolved,
  RESOLVED_FORMAT_VERSION,
  type ResolvedModule,
  type ResolvedProvider,
} from '../../../core/bundle/resolved.js';
import { BUNDLE, providerDir } from '../../../core/layout/names.js';
import type { LockfileInput, LocalProviderSpec } from '../../../core/mirror/plan.js';
import type { MirrorRequest } from '../../../core/mirror/request.js';
import { formatProviderAddress } from '../../../core/provider/address.js';
import { readPreviousManifest, scanProviders, type KnownPackage } from '../bundle-writer.js';
import type { JobOutcome } from '../provider-packages.js';
import { TOOL_VERSION } from '../../tool-version.js';

/** Every provider package of the bundle directory, for the manifest and the image. */
export async function listProviders(
  outDir: string,
  outcomes: readonly JobOutcome[],
): Promise<Pick<ManifestInput, 'providers' | 'mirrorIndexes'>> {
  const previous = await readPreviousManifest(outDir);
  const known = new Map<string, KnownPackage>();
  for (const o of outcomes) {
    if (o.pkg === undefined) continue;
    const rel = `${BUNDLE.providersDir}/${providerDir(o.job.address)}/${o.pkg.filename}`;
    known.set(rel, { path: rel, sha256: o.pkg.sha256, size: o.pkg.size, local: o.pkg.status === 'local' });
  }
  return scanProviders(outDir, known, previous);
}

export interface ResolvedInput {
  request: MirrorRequest;
  /** Local paths are shown relative to this (the spec's directory, or the working directory). */
  base: string;
  inputs: readonly LockfileInput[];
  /** Each input's copy in the bundle (lockfiles/...), in the same order: the file as completed. */
  inputCopies: readonly FileRef[];
  locals: readonly LocalProviderSpec[];
  outcomes: readonly JobOutcome[];
  binaries: readonly ManifestBinary[];
  modules?: readonly ResolvedModule[];
  image?: { reference: string; digest: string };
}

/** Writes airgap.lock.json (unchanged bytes are not rewritten) and returns its reference. */
export async function writeResolved(outDir: string, input: ResolvedInput): Promise<FileRef> {
  const { request } = input;
  // Never a machine's absolute path: relative to the base, or the file name alone.
  const shown = (p: string): string => {
    const rel = path.relative(input.base, path.resolve(input.base, p));
    return rel.startsWith('..') || path.isAbsolute(rel) ? path.basename(p) : rel.split(path.sep).join('/');
  };
  const copyName = new Map(input.inputs.map((i, n) => [i.path, input.inputCopies[n]?.path ?? shown(i.path)]));
  const providers = new Map<string, ResolvedProvider>();
  const entry = (address: string): ResolvedProvider => {
    let p = providers.get(address);
    if (p === undefined) {
      p = { address, requestedBy: [], constraints: [], versions: [] };
      providers.set(address, p);
    }
    return p;
  };
  for (const i of input.inputs) {
    for (const p of i.lock.providers)
      entry(formatProviderAddress(p.address)).requestedBy.push(copyName.get(i.path)!);
  }
  for (const p of request.providers) {
    const e = entry(p.key);
    e.requestedBy.push('providers');
    e.constraints.push(...p.versions.value.map((v) => v.value));
  }
  for (const l of input.locals) entry(l.key).requestedBy.push('localProviders');
  for (const o of input.outcomes) {
    if (o.pkg !== undefined) entry(o.job.key).versions.push(o.job.version);
  }
  const files = [
    ...input.inputCopies.map((c) => ({ path: c.path, sha256: c.sha256 })),
    ...(await Promise.all(
      input.locals.map(async (l) => ({ path: shown(l.path), sha256: (await sha256File(l.path)).sha256 })),
    )),
  ];
  const spec =
    request.specFile === undefined
      ? undefined
      : { path: shown(request.specFile), sha256: sha256Text(await fs.readFile(request.specFile)) };
  const text = renderResolved({
    formatVersion: RESOLVED_FORMAT_VERSION,
    ...(spec === undefined ? {} : { spec }),
    platforms: request.platforms,
    inputs: files,
    providers: [...providers.values()],
    binaries: (['tofu', 'terraform'] as const)
      .filter((tool) => request.binaries[tool].versions.length > 0)
      .map((tool) => ({
        tool,
        requested: request.binaries[tool].versions,
        versions: input.binaries.filter((b) => b.tool === tool).map((b) => b.version),
      })),
    ...(input.image === undefined
      ? {}
      : { image: { base: input.image.reference, digest: input.image.digest } }),
    ...(input.modules === undefined ? {} : { modules: [...input.modules] }),
  });
  const file = path.join(outDir, BUNDLE.resolved);
  if (text !== (await readFileIfExists(file))) await writeFileAtomic(file, text);
  return { path: BUNDLE.resolved, size: Buffer.byteLength(text), sha256: sha256Text(text) };
}

/**
 * Writes airgap.json. When the content equals the previous manifest's (a re-run that
 * changed nothing), the previous file stays as it was, creation time included.
 */
export async function writeBundleManifest(
  outDir: string,
  parts: Omit<ManifestInput, 'toolVersion' | 'createdAt'>,
  env: Record<string, string | undefined>,
): Promise<BundleManifest> {
  const manifest = buildManifest({ toolVersion: TOOL_VERSION, createdAt: creationTime(env), ...parts });
  const previous = await readPreviousManifest(outDir);
  if (previous !== undefined && sameContent(previous, manifest)) return previous;
  await writeFileAtomic(path.join(outDir, BUNDLE.manifest), renderManifest(manifest));
  return manifest;
}

function sha256Text(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}
