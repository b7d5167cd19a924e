// Plan stage: the tofu/terraform releases. planBinaries (src/services/mirror/binaries.ts)
// resolves the versions and verifies the SHA256SUMS signatures as mirror does; a zip
// mirror would fetch is sized with a HEAD of its URL (the release lists give no sizes).

import { AirgapErrors, isAirgapError, type AirgapError } from '../../core/errors.js';
import { releaseDir } from '../../core/layout/names.js';
import type { MirrorRequest } from '../../core/mirror/request.js';
import type { PlannedRelease, PlanItem } from '../../core/plan/index.js';
import type { HttpClient, Reporter } from '../../core/ports.js';
import { releaseFiles } from '../../core/releases/index.js';
import { mapLimit } from '../concurrency.js';
import { planBinaries } from '../mirror/binaries.js';

export interface ReleasesPlanResult {
  items: PlanItem[];
  releases: PlannedRelease[];
  /** Bundle-relative paths of every release file mirror keeps or writes (for the prune). */
  files: string[];
  failures: AirgapError[];
}

export async function planReleases(
  input: { outDir: string; platforms: string[]; binaries: MirrorRequest['binaries']; concurrency: number },
  deps: { http: HttpClient; reporter: Reporter },
): Promise<ReleasesPlanResult> {
  const { tofu, terraform } = input.binaries;
  let plans;
  try {
    plans = await planBinaries(
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
  } catch (e) {
    if (e instanceof AirgapErrors) return { items: [], releases: [], files: [], failures: e.errors };
    if (isAirgapError(e)) return { items: [], releases: [], files: [], failures: [e] };
    throw e;
  }

  const platforms = plans.flatMap((r) => r.platforms.map((p) => ({ release: r, platform: p })));
  const failures: AirgapError[] = [];
  const items = await mapLimit(
    platforms,
    Math.max(1, input.concurrency) * 4,
    async ({ release, platform }): Promise<PlanItem | undefined> => {
      const subject = `${release.tool} ${release.version} ${platform.platform}`;
      const base = { kind: 'binary' as const, subject, path: platform.path };
      if (platform.stored !== undefined) {
        return { ...base, size: platform.stored.size, sizeSource: 'bundle', action: 'present' };
      }
      try {
        const head = await deps.http.head(platform.url);
        return head.size === undefined
          ? { ...base, size: null, sizeSource: null, action: 'download', note: 'not stated' }
          : { ...base, size: head.size, sizeSource: 'Content-Length', action: 'download' };
      } catch (e) {
        if (!isAirgapError(e)) throw e;
        failures.push(e);
        return undefined;
      }
    },
  );
  const files: string[] = [];
  for (const r of plans) {
    const names = releaseFiles(r.tool, r.version, r.platforms[0]?.platform ?? 'linux_amd64');
    const dir = releaseDir(r.tool, r.version);
    files.push(`${dir}/${names.sums}`, `${dir}/${names.sig}`, ...r.platforms.map((p) => p.path));
  }
  return {
    items: items.filter((i): i is PlanItem => i !== undefined),
    releases: plans.map((r) => ({
      tool: r.tool,
      version: r.version,
      platforms: r.platforms.map((p) => p.platform),
    })),
    files,
    failures,
  };
}
