// Stage: the spec's `providers:` entries resolved against their registries (metadata
// only: each provider's version list), as provider versions to mirror. Used by
// `mirror` and by `plan`.

import { AirgapError, AirgapErrors, isAirgapError } from '../../../core/errors.js';
import type { ProviderVersionRequest } from '../../../core/mirror/plan.js';
import {
  platformGapErrors,
  resolveProviders,
  type ResolvedProvider,
} from '../../../core/mirror/resolve-providers.js';
import type { ProviderRegistry, Reporter } from '../../../core/ports.js';
import type { ProviderVersionInfo } from '../../../core/registry/protocol.js';
import type { SpecProvider } from '../../../core/spec/types.js';

export interface ResolvedSpecProviders {
  resolved: ResolvedProvider[];
  /** One request per chosen version, recorded by no lock file. */
  versions: ProviderVersionRequest[];
}

export async function resolveSpecProviders(
  input: {
    file: string;
    providers: readonly SpecProvider[];
    platforms: readonly string[];
    skipMissingPlatforms: boolean;
  },
  deps: { registry: ProviderRegistry; reporter: Reporter },
): Promise<ResolvedSpecProviders> {
  if (input.providers.length === 0) return { resolved: [], versions: [] };
  const available = new Map<string, readonly ProviderVersionInfo[]>();
  const errors: AirgapError[] = [];
  await Promise.all(
    input.providers.map(async (p) => {
      try {
        available.set(p.key, await deps.registry.versions(p.address));
      } catch (e) {
        if (!isAirgapError(e)) throw e;
        // Say which line of the spec asked for it.
        const where = `${input.file}:${p.source.at.line}:${p.source.at.col}`;
        errors.push(
          e.code === 'PROVIDER_NOT_FOUND'
            ? new AirgapError(
                e.code,
                `${where}: ${e.message}`,
                { ...e.details, path: where },
                `check the provider's address under providers: in ${input.file}`,
              )
            : e,
        );
      }
    }),
  );
  if (errors.length > 0) throw errors.length === 1 ? errors[0]! : new AirgapErrors(errors);

  const resolved = resolveProviders({
    file: input.file,
    providers: input.providers,
    available,
    platforms: input.platforms,
  });
  const gaps = platformGapErrors(input.file, resolved);
  if (gaps.length > 0 && !input.skipMissingPlatforms) {
    throw gaps.length === 1 ? gaps[0]! : new AirgapErrors(gaps);
  }
  const versions: ProviderVersionRequest[] = [];
  for (const r of resolved) {
    for (const v of r.versions)
      versions.push({ address: r.address, key: r.key, version: v.version, recorded: [] });
  }
  return { resolved, versions };
}
