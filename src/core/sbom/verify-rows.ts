// `airgap verify`'s sbom rows (docs/VERIFY-REPORT.md): the bundle's sbom.cdx.json
// against airgap.json, whose every file the file rows check against the bytes. One ok
// row, or one failed row per component or file that disagrees, each naming it.

import type { BundleManifest } from '../bundle/manifest.js';
import { isAirgapError } from '../errors.js';
import type { CheckRow } from '../transfer/verify-report.js';
import { checkSbomAgainstManifest, sbomFileComponents } from './check.js';

export function sbomRows(
  manifest: BundleManifest,
  text: string | undefined,
  fileState: ReadonlyMap<string, 'ok' | 'failed'>,
): CheckRow[] {
  const ref = manifest.sbom;
  if (ref === undefined) return [];
  const subject = ref.path;
  if (manifest.delta?.fromBase.some((f) => f.path === ref.path) === true) {
    return [
      {
        check: 'sbom',
        subject,
        status: 'skipped',
        detail: 'left to the base bundle (a delta carries it only when it changed)',
      },
    ];
  }
  if (fileState.get(ref.path) !== 'ok' || text === undefined) {
    return [
      {
        check: 'sbom',
        subject,
        status: 'failed',
        code: 'CHECKSUM_MISMATCH',
        detail: `${ref.path} was not read intact (see its file row)`,
      },
    ];
  }
  let components;
  try {
    components = sbomFileComponents(text, ref.path);
  } catch (e) {
    if (!isAirgapError(e)) throw e;
    return [{ check: 'sbom', subject, status: 'failed', code: e.code, detail: e.message }];
  }
  const problems = checkSbomAgainstManifest(components, manifest, ref.path);
  if (problems.length === 0) {
    return [
      {
        check: 'sbom',
        subject,
        status: 'ok',
        detail: `${components.length} component(s) name bundle files, one for every file airgap.json lists, each with its sha256`,
      },
    ];
  }
  return problems.map((p) => ({
    check: 'sbom' as const,
    subject: `${ref.path}: ${p.path}`,
    status: 'failed' as const,
    code: 'SBOM_MISMATCH' as const,
    detail: p.message,
  }));
}
