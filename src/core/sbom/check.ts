// Reading a bundle's sbom.cdx.json back: the check `airgap verify` runs (every
// component that names a bundle file has that file's sha256, and every file the
// manifest lists is such a component), and the provenance a re-run of `mirror` takes
// over for packages it found in place and did not fetch again (docs/SBOM-FORMAT.md).

import { manifestFiles, type BundleManifest } from '../bundle/manifest.js';
import { compareStrings } from '../compare.js';
import { AirgapError } from '../errors.js';
import { SBOM_PROPERTY, type ProviderProvenance } from './build.js';
import { CDX_SPEC_VERSION, type CdxComponent } from './cyclonedx.js';

export interface SbomFileComponent {
  /** Bundle-relative path (the airgap:path property). */
  path: string;
  /** The component's SHA-256, lower-case hex; undefined when it has none. */
  sha256: string | undefined;
  /** For messages: "registry.terraform.io/hashicorp/null 3.2.2". */
  label: string;
  properties: ReadonlyMap<string, string>;
}

export interface SbomProblem {
  kind: 'hash-mismatch' | 'not-in-bundle' | 'no-component' | 'duplicate';
  path: string;
  message: string;
  expected: string;
  actual: string;
}

function invalid(file: string, message: string, actual: string): AirgapError {
  return new AirgapError('SBOM_MISMATCH', `${file}: ${message}`, {
    path: file,
    expected: `CycloneDX ${CDX_SPEC_VERSION} JSON as airgap writes it (docs/SBOM-FORMAT.md)`,
    actual: actual.slice(0, 120),
  });
}

/** Every component, nested ones too, that names a bundle file. */
export function sbomFileComponents(text: string, file: string): SbomFileComponent[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw invalid(file, `not JSON (${(e as Error).message})`, text);
  }
  const bom = doc as { bomFormat?: unknown; specVersion?: unknown; components?: unknown };
  if (bom.bomFormat !== 'CycloneDX' || bom.specVersion !== CDX_SPEC_VERSION)
    throw invalid(
      file,
      `expected bomFormat "CycloneDX" and specVersion "${CDX_SPEC_VERSION}"`,
      `${String(bom.bomFormat)} ${String(bom.specVersion)}`,
    );
  if (!Array.isArray(bom.components)) throw invalid(file, 'has no "components" list', typeof bom.components);
  const out: SbomFileComponent[] = [];
  const walk = (list: unknown[], where: string): void => {
    list.forEach((value, i) => {
      const c = value as Partial<CdxComponent>;
      if (typeof c !== 'object' || c === null || typeof c.name !== 'string')
        throw invalid(file, `${where}[${i}] is not a component with a name`, JSON.stringify(value) ?? '');
      const properties = new Map<string, string>();
      for (const p of Array.isArray(c.properties) ? c.properties : []) {
        if (typeof p?.name === 'string' && typeof p.value === 'string' && !properties.has(p.name))
          properties.set(p.name, p.value);
      }
      const path = properties.get(SBOM_PROPERTY.path);
      if (path !== undefined) {
        const sha = (Array.isArray(c.hashes) ? c.hashes : []).find((h) => h?.alg === 'SHA-256')?.content;
        out.push({
          path,
          sha256: typeof sha === 'string' ? sha.toLowerCase() : undefined,
          label: typeof c.version === 'string' ? `${c.name} ${c.version}` : c.name,
          properties,
        });
      }
      if (Array.isArray(c.components)) walk(c.components, `${where}[${i}].components`);
    });
  };
  walk(bom.components, 'components');
  return out;
}

/**
 * The SBOM against the manifest's file list (whose files verify has checked against
 * the disk): each problem names the component or the file. `sbomPath` (the SBOM's
 * own entry) is not expected to describe itself.
 */
export function checkSbomAgainstManifest(
  components: readonly SbomFileComponent[],
  manifest: BundleManifest,
  sbomPath: string,
): SbomProblem[] {
  const files = new Map(manifestFiles(manifest).map((f) => [f.path, f]));
  files.delete(sbomPath);
  const problems: SbomProblem[] = [];
  const seen = new Set<string>();
  for (const c of components) {
    if (seen.has(c.path)) {
      problems.push({
        kind: 'duplicate',
        path: c.path,
        message: `component "${c.label}" describes ${c.path} a second time`,
        expected: 'one component per file',
        actual: 'two',
      });
      continue;
    }
    seen.add(c.path);
    const f = files.get(c.path);
    if (f === undefined) {
      problems.push({
        kind: 'not-in-bundle',
        path: c.path,
        message: `component "${c.label}" names ${c.path}, which the bundle does not hold`,
        expected: 'a file airgap.json lists',
        actual: 'none',
      });
    } else if (c.sha256 !== f.sha256) {
      problems.push({
        kind: 'hash-mismatch',
        path: c.path,
        message: `component "${c.label}": SHA-256 ${c.sha256 ?? '(none)'}, but ${c.path} has sha256 ${f.sha256}`,
        expected: f.sha256,
        actual: c.sha256 ?? 'none',
      });
    }
  }
  for (const f of files.values()) {
    if (seen.has(f.path)) continue;
    problems.push({
      kind: 'no-component',
      path: f.path,
      message: `${f.path} (sha256 ${f.sha256}) is in the bundle but no SBOM component describes it`,
      expected: 'a component with airgap:path',
      actual: 'none',
    });
  }
  return problems.sort((a, b) => compareStrings(a.path, b.path));
}

/**
 * Provider provenance a previous SBOM recorded, by path, for the package with that
 * sha256: a re-run that keeps a package (not fetched again) keeps where it came from.
 */
export function previousProvenance(
  components: readonly SbomFileComponent[],
): Map<string, { sha256: string; provenance: ProviderProvenance }> {
  const out = new Map<string, { sha256: string; provenance: ProviderProvenance }>();
  for (const c of components) {
    const p = c.properties;
    const downloadUrl = p.get(SBOM_PROPERTY.downloadUrl);
    const sumsUrl = p.get(SBOM_PROPERTY.sumsUrl);
    const primary = p.get(SBOM_PROPERTY.primaryKey);
    const signing = p.get(SBOM_PROPERTY.signingKey);
    if (p.get(SBOM_PROPERTY.role) !== 'provider-package' || c.sha256 === undefined) continue;
    if (downloadUrl === undefined || sumsUrl === undefined || primary === undefined || signing === undefined)
      continue;
    out.set(c.path, {
      sha256: c.sha256,
      provenance: {
        downloadUrl,
        sumsUrl,
        signedBy: { primaryKeyFingerprint: primary, signingKeyFingerprint: signing },
      },
    });
  }
  return out;
}
