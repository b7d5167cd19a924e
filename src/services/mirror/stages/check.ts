// Stage 0: everything about the request that can be checked without the network, before
// anything is written: a typo must not leave a half-made bundle behind.

import fs from 'node:fs/promises';
import path from 'node:path';
import { AirgapError } from '../../../core/errors.js';
import type { MirrorRequest } from '../../../core/mirror/request.js';
import { needsReleaseList } from '../../../core/releases/index.js';
import { checkConfigOptions } from '../config-writer.js';
import type { CheckedImageOptions } from '../runner-image.js';

export interface CheckedRequest {
  /** Absolute. */
  outDir: string;
  image?: CheckedImageOptions;
}

export async function checkRequest(
  request: MirrorRequest,
  hasInputs: boolean,
  cwd: string,
): Promise<CheckedRequest> {
  const wantsBinaries =
    request.binaries.tofu.versions.length > 0 || request.binaries.terraform.versions.length > 0;
  const wantsModules = request.modules.length > 0 || request.configurations.length > 0;
  if (
    !hasInputs &&
    request.localProviders.length === 0 &&
    request.providers.length === 0 &&
    !wantsBinaries &&
    !wantsModules
  ) {
    throw new AirgapError(
      'USAGE',
      request.specFile === undefined
        ? 'nothing to mirror: pass --lockfile FILE, --dir DIR, --local-provider, --tofu or --terraform, --module or --configuration, or write an airgap.yaml (airgap init)'
        : `nothing to mirror: ${request.specFile} names no lock files, providers, local providers, binaries or modules`,
      { expected: 'at least one lock file, provider, binary or module', actual: 'none' },
      'start from `airgap init`, which writes an airgap.yaml from the lock files below this directory',
    );
  }
  needsReleaseList(request.binaries.tofu.versions, 'tofu');
  needsReleaseList(request.binaries.terraform.versions, 'terraform');
  checkConfigOptions(request.configs);
  const tool = request.configs.workflowTool;
  const outDir = path.resolve(cwd, request.outDir);
  let image: CheckedImageOptions | undefined;
  if (request.image !== undefined) {
    // Loaded for --image only: runner-image.ts brings the image builder and the OCI clients.
    const { checkImageOptions } = await import('../runner-image.js');
    image = await checkImageOptions(request.image, {
      outDir,
      cwd,
      platforms: request.platforms,
      tool,
      toolRequested: request.binaries[tool].versions.length > 0,
    });
  }
  await checkOutDir(outDir);
  return { outDir, ...(image === undefined ? {} : { image }) };
}

/** The bundle directory must be a directory or absent: a file there is a usage error, not a crash. */
async function checkOutDir(outDir: string): Promise<void> {
  const st = await fs.stat(outDir).catch(() => undefined);
  if (st !== undefined && !st.isDirectory()) {
    throw new AirgapError(
      'USAGE',
      `--out ${outDir} is a file; the bundle is a directory`,
      { path: outDir, expected: 'a directory (or a path that does not exist yet)', actual: 'a file' },
      'pass a directory path to --out, or remove the file',
    );
  }
}
