// The files mirror writes into BUNDLE/config/ for a request, with their text, so that
// plan can say which would change. It makes the choice src/services/mirror/config-writer.ts
// makes (tofurc and workflow.yml always; the Dockerfile when the bundle has a linux
// binary of the workflow tool, from its newest release); the plan tests check the two
// agree (a plan after a mirror finds every config present). Pure.

import type { ConfigKind } from '../bundle/manifest.js';
import { renderDockerfile, renderTofurc, renderWorkflow } from '../config/index.js';
import { BUNDLE, CONFIG_FILES } from '../layout/names.js';
import type { ConfigRequest } from '../mirror/request.js';
import { compareVersions, parseVersion } from '../provider/version.js';

export interface PlannedConfig {
  kind: ConfigKind;
  /** Bundle-relative. */
  path: string;
  text: string;
}

/** A release the bundle will hold, with its platforms. */
export interface PlannedRelease {
  tool: 'tofu' | 'terraform';
  version: string;
  platforms: readonly string[];
}

export function plannedConfigs(options: ConfigRequest, releases: readonly PlannedRelease[]): PlannedConfig[] {
  const files: PlannedConfig[] = [
    {
      kind: 'tofurc',
      path: CONFIG_FILES.tofurc,
      text: renderTofurc({
        ...(options.networkMirrorUrl !== undefined
          ? { networkMirrorUrl: options.networkMirrorUrl }
          : { mirrorPath: options.mirrorPath ?? '/providers' }),
        allowDirect: options.allowDirect,
      }),
    },
    { kind: 'workflow', path: CONFIG_FILES.workflow, text: renderWorkflow(options.workflowTool) },
  ];
  const newest = releases
    .filter((r) => r.tool === options.workflowTool)
    .sort((a, b) => compareVersions(parseVersion(b.version), parseVersion(a.version)))[0];
  const linux = newest?.platforms.filter((p) => p.startsWith('linux_')) ?? [];
  if (newest !== undefined && linux.length > 0) {
    files.push({
      kind: 'dockerfile',
      path: CONFIG_FILES.dockerfile,
      text: renderDockerfile({
        baseImage: options.baseImage,
        tool: options.workflowTool,
        version: newest.version,
        platforms: [...linux],
        mirrorDir: BUNDLE.providersDir,
        tofurcPath: CONFIG_FILES.tofurc,
        ...(options.mirrorPath !== undefined ? { mirrorPath: options.mirrorPath } : {}),
      }),
    });
  }
  return files;
}
