// Writes DIR/config/: the CLI config pointing at the mirror, the Spacelift
// workflow.yml, and (when the bundle carries a binary for the workflow tool) a
// Dockerfile for a runner image. Returns their manifest entries.

import { createHash } from 'node:crypto';
import path from 'node:path';
import { writeFileAtomic } from '../../adapters/fs/atomic.js';
import type { ManifestBinary, ManifestConfig } from '../../core/bundle/manifest.js';
import { renderDockerfile, renderTofurc, renderWorkflow } from '../../core/config/index.js';
import type { TofurcOptions } from '../../core/config/tofurc.js';
import { BUNDLE, CONFIG_FILES } from '../../core/layout/names.js';
import type { ConfigRequest } from '../../core/mirror/request.js';
import { compareVersions, parseVersion } from '../../core/provider/version.js';
import type { Reporter } from '../../core/ports.js';

/** What the run asks of config/ (src/core/mirror/request.ts). */
export type ConfigOptions = ConfigRequest;

/** config/tofurc's provider installation, which the runner image's CLI configuration keeps too. */
export function configTofurcOptions(options: ConfigOptions): TofurcOptions {
  return {
    ...(options.networkMirrorUrl !== undefined
      ? { networkMirrorUrl: options.networkMirrorUrl }
      : { mirrorPath: options.mirrorPath ?? '/providers' }),
    allowDirect: options.allowDirect,
  };
}

function tofurcText(options: ConfigOptions): string {
  return renderTofurc(configTofurcOptions(options));
}

/** Throws the USAGE error a bad mirror path, network-mirror URL or --allow-direct pattern gives, before any work. */
export function checkConfigOptions(options: ConfigOptions): void {
  tofurcText(options);
}

export async function writeConfigs(
  outDir: string,
  options: ConfigOptions,
  binaries: ManifestBinary[],
  reporter: Reporter,
): Promise<ManifestConfig[]> {
  const files: { kind: ManifestConfig['kind']; path: string; text: string }[] = [
    {
      kind: 'tofurc',
      path: CONFIG_FILES.tofurc,
      text: tofurcText(options),
    },
    { kind: 'workflow', path: CONFIG_FILES.workflow, text: renderWorkflow(options.workflowTool) },
  ];

  const releases = binaries
    .filter((b) => b.tool === options.workflowTool)
    .sort((a, b) => compareVersions(parseVersion(b.version), parseVersion(a.version)));
  const newest = releases[0];
  const linux = newest?.platforms.map((p) => p.platform).filter((p) => p.startsWith('linux_')) ?? [];
  if (newest !== undefined && linux.length > 0) {
    files.push({
      kind: 'dockerfile',
      path: CONFIG_FILES.dockerfile,
      text: renderDockerfile({
        baseImage: options.baseImage,
        tool: options.workflowTool,
        version: newest.version,
        platforms: linux,
        mirrorDir: BUNDLE.providersDir,
        tofurcPath: CONFIG_FILES.tofurc,
        ...(options.mirrorPath !== undefined ? { mirrorPath: options.mirrorPath } : {}),
      }),
    });
  } else {
    reporter.info(
      `no ${CONFIG_FILES.dockerfile}: the bundle holds no linux ${options.workflowTool} binary (pass --${options.workflowTool} VERSION)`,
    );
  }

  const entries: ManifestConfig[] = [];
  for (const f of files) {
    const target = path.join(outDir, ...f.path.split('/'));
    await writeFileAtomic(target, f.text);
    // Hashed from the text just written: no need to read the file back.
    const bytes = Buffer.from(f.text);
    entries.push({
      kind: f.kind,
      path: f.path,
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
  }
  return entries;
}
