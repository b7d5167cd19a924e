// Stage: the tofu/terraform release binaries (../binaries.ts does the work), and their
// entries for airgap.json.

import path from 'node:path';
import { sha256File } from '../../../adapters/fs/sha256-file.js';
import type { ManifestBinary } from '../../../core/bundle/manifest.js';
import { AirgapErrors, isAirgapError, type AirgapError } from '../../../core/errors.js';
import { releaseDir } from '../../../core/layout/names.js';
import type { MirrorRequest } from '../../../core/mirror/request.js';
import type { HttpClient, Reporter } from '../../../core/ports.js';
import type { ReleaseManifestEntry } from '../../../core/releases/index.js';
import { mirrorBinaries } from '../binaries.js';

export interface BinariesStageResult {
  entries: ReleaseManifestEntry[];
  failures: AirgapError[];
}

/** Never throws an AirgapError: failures are returned, to be reported with the providers'. */
export async function mirrorReleaseBinaries(
  input: { outDir: string; platforms: string[]; binaries: MirrorRequest['binaries']; concurrency: number },
  deps: { http: HttpClient; reporter: Reporter; slot?: <R>(fn: () => Promise<R>) => Promise<R> },
): Promise<BinariesStageResult> {
  const { tofu, terraform } = input.binaries;
  try {
    const entries = await mirrorBinaries(
      {
        outDir: input.outDir,
        platforms: input.platforms,
        tofu: tofu.versions,
        tofuApiUrl: tofu.apiUrl,
        tofuBaseUrl: tofu.baseUrl,
        ...(tofu.keyFile === undefined ? {} : { tofuKeyFile: tofu.keyFile }),
        terraform: terraform.versions,
        terraformApiUrl: terraform.apiUrl,
        terraformBaseUrl: terraform.baseUrl,
        ...(terraform.keyFile === undefined ? {} : { terraformKeyFile: terraform.keyFile }),
      },
      { ...deps, concurrency: Math.max(1, input.concurrency) },
    );
    return { entries, failures: [] };
  } catch (e) {
    if (e instanceof AirgapErrors) return { entries: [], failures: e.errors };
    if (isAirgapError(e)) return { entries: [], failures: [e] };
    throw e;
  }
}

/** airgap.json's binaries section: each release's zips, SHA256SUMS and signature. */
export async function binaryManifestEntries(
  outDir: string,
  entries: readonly ReleaseManifestEntry[],
): Promise<ManifestBinary[]> {
  const out: ManifestBinary[] = [];
  for (const e of entries) {
    const dir = releaseDir(e.tool, e.version);
    const ref = async (name: string): Promise<{ path: string; size: number; sha256: string }> => {
      const { size, sha256 } = await sha256File(path.join(outDir, dir, name));
      return { path: `${dir}/${name}`, size, sha256 };
    };
    out.push({
      tool: e.tool,
      version: e.version,
      platforms: e.platforms.map((p) => ({
        platform: p.platform,
        path: `${dir}/${p.filename}`,
        size: p.size,
        sha256: p.sha256,
      })),
      sums: await ref(e.sums),
      signature: await ref(e.signature),
      verifiedBy: e.verifiedBy,
    });
  }
  return out;
}
