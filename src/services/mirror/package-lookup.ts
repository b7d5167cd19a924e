// Finding one provider package at its registry, as mirror and plan both do before any
// download: the version must be listed, the platform listed for it (when the list names
// platforms), the download answer must name the expected file. A missing platform is a
// skip with --skip-missing-platforms, else PLATFORM_MISSING.

import { AirgapError, isAirgapError } from '../../core/errors.js';
import type { PackageJob } from '../../core/mirror/plan.js';
import type { ProviderRegistry } from '../../core/ports.js';
import type { DownloadInfo } from '../../core/registry/protocol.js';

export type PackageLookup = { info: DownloadInfo } | { skipped: string };

export async function lookUpPackage(
  registry: ProviderRegistry,
  job: PackageJob,
  id: { platform: string; filename: string },
  skipMissing: boolean,
): Promise<PackageLookup> {
  const { platform, filename } = id;
  const versions = await registry.versions(job.address);
  const v = versions.find((x) => x.version === job.version);
  if (v === undefined) {
    const newest = versions[versions.length - 1]?.version;
    throw new AirgapError(
      'PROVIDER_NOT_FOUND',
      `${job.key} ${job.version}: the registry has no such version (it has ${versions.length} versions${newest === undefined ? '' : `, newest ${newest}`})`,
      {
        provider: job.key,
        version: job.version,
        expected: job.version,
        actual: versions
          .map((x) => x.version)
          .slice(-5)
          .join(', '),
      },
    );
  }
  if (v.platforms.length > 0 && !v.platforms.includes(platform)) {
    const reason = `the registry lists no ${platform} package for ${job.key} ${job.version} (it has ${v.platforms.join(', ')})`;
    if (skipMissing) return { skipped: reason };
    throw new AirgapError(
      'PLATFORM_MISSING',
      reason,
      {
        provider: job.key,
        version: job.version,
        platform,
        expected: platform,
        actual: v.platforms.join(', '),
      },
      `drop --platform ${platform}, or pass --skip-missing-platforms to mirror what exists`,
    );
  }
  let info: DownloadInfo;
  try {
    info = await registry.download(job.address, job.version, job.platform);
  } catch (e) {
    if (skipMissing && isAirgapError(e) && e.code === 'PLATFORM_MISSING') return { skipped: e.message };
    throw e;
  }
  if (info.filename !== filename) {
    throw new AirgapError(
      'REGISTRY_PROTOCOL',
      `${job.key} ${job.version} (${platform}): the registry names the package ${info.filename}, expected ${filename}`,
      { provider: job.key, version: job.version, platform, expected: filename, actual: info.filename },
    );
  }
  return { info };
}
