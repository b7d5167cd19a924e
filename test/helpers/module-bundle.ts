// Registry modules added by hand to a bundle directory, as the connected side would
// carry them (issue 13): a deterministic zip per module version at
// modules/HOST/NS/NAME/SYSTEM/VERSION.zip and its entry in airgap.json's `modules`.
// SHA256SUMS is rewritten when the bundle had one, so `airgap export` and the fixture
// reader see a consistent bundle.

import fs from 'node:fs/promises';
import path from 'node:path';
import { writeDeterministicZip } from '../../src/adapters/archive/zip-write.js';
import {
  buildManifest,
  parseManifest,
  renderManifest,
  type ManifestModule,
} from '../../src/core/bundle/manifest.js';
import { BUNDLE, modulePackagePath } from '../../src/core/layout/names.js';
import { parseModuleSource } from '../../src/core/serve/catalogue.js';
import { resum } from './import-fixtures.js';

export interface TestModule {
  /** "HOST/NS/NAME/SYSTEM" */
  source: string;
  version: string;
  /** Path inside the zip -> text. */
  files: Record<string, string>;
  subdir?: string;
}

/** Adds the modules' zips and manifest entries; returns the entries as airgap.json lists them. */
export async function addModulesToBundle(dir: string, modules: TestModule[]): Promise<ManifestModule[]> {
  const entries: ManifestModule[] = [];
  for (const m of modules) {
    const coords = parseModuleSource(m.source);
    if (coords === undefined) throw new Error(`bad module source ${m.source}`);
    const rel = modulePackagePath(coords, m.version);
    const target = path.join(dir, ...rel.split('/'));
    await fs.mkdir(path.dirname(target), { recursive: true });
    const zip = await writeDeterministicZip(
      target,
      Object.entries(m.files).map(([name, text]) => ({ name, mode: 0o644, data: Buffer.from(text) })),
    );
    entries.push({
      path: rel,
      size: zip.size,
      sha256: zip.sha256,
      source: m.source,
      version: m.version,
      location: `https://example.invalid/${m.source}/${m.version}.zip`,
      ...(m.subdir === undefined ? {} : { subdir: m.subdir }),
    });
  }
  const manifestPath = path.join(dir, BUNDLE.manifest);
  const old = parseManifest(await fs.readFile(manifestPath, 'utf8'), manifestPath);
  const manifest = buildManifest({
    toolVersion: old.tool.version,
    createdAt: new Date(old.createdAt),
    platforms: old.platforms,
    lockfiles: old.lockfiles,
    providers: old.providers,
    binaries: old.binaries,
    configs: old.configs,
    mirrorIndexes: old.mirrorIndexes,
    ...(old.image === undefined ? {} : { image: old.image }),
    ...(old.resolved === undefined ? {} : { resolved: old.resolved }),
    modules: [...(old.modules ?? []), ...entries],
  });
  await fs.writeFile(manifestPath, renderManifest(manifest));
  if (
    await fs.stat(path.join(dir, BUNDLE.checksums)).then(
      () => true,
      () => false,
    )
  )
    await resum(dir);
  return entries;
}
