// What a source mirror must be before any of it is published: its files agree with
// what vouches for them. For a bundle directory, airgap.json lists every file under
// providers/ with its sha256 (the signed SHA256SUMS covers airgap.json once exported);
// for both kinds of source, each zip a VERSION.json names is there and its sha256 is
// among that archive's zh: hashes. Publishing a mirror whose JSON promises hashes the
// zips do not have would hand every runner a failing `init`: refuse it here instead.

import { compareStrings } from '../compare.js';
import { AirgapError } from '../errors.js';
import type { FileRef } from '../bundle/manifest.js';
import type { MirrorArchives } from '../mirror/network-mirror-json.js';
import type { SourceFile } from './plan.js';

export interface VersionDoc {
  /** Mirror-relative path of the VERSION.json file. */
  path: string;
  archives: MirrorArchives;
}

/**
 * Checks `files` (mirror-relative) against the manifest's references of the files under
 * `providersDir` ("providers"). Throws BUNDLE_MISMATCH or BUNDLE_FILE_MISSING naming the
 * first difference, bundle-relative.
 */
export function checkAgainstManifest(
  files: readonly SourceFile[],
  listed: readonly FileRef[],
  providersDir: string,
  manifestFile: string,
): void {
  const prefix = `${providersDir}/`;
  const want = new Map(
    listed.filter((r) => r.path.startsWith(prefix)).map((r) => [r.path.slice(prefix.length), r]),
  );
  const remedy = 'run airgap mirror again to repair the bundle, or airgap verify DIR to see every difference';
  for (const f of [...files].sort((a, b) => compareStrings(a.path, b.path))) {
    const ref = want.get(f.path);
    const rel = `${prefix}${f.path}`;
    if (ref === undefined) {
      throw new AirgapError(
        'BUNDLE_MISMATCH',
        `${rel}: in the bundle directory but not listed in ${manifestFile}; only what the manifest accounts for is published`,
        { path: rel, expected: `listed in ${manifestFile}`, actual: 'an unlisted file' },
        remedy,
      );
    }
    if (ref.sha256 !== f.sha256 || ref.size !== f.size) {
      throw new AirgapError(
        'BUNDLE_MISMATCH',
        `${rel} changed since ${manifestFile} was written: sha256 ${f.sha256} (${f.size} bytes), expected ${ref.sha256} (${ref.size} bytes)`,
        { path: rel, expected: ref.sha256, actual: f.sha256 },
        remedy,
      );
    }
    want.delete(f.path);
  }
  const missing = [...want.keys()].sort(compareStrings)[0];
  if (missing !== undefined) {
    const rel = `${prefix}${missing}`;
    throw new AirgapError(
      'BUNDLE_FILE_MISSING',
      `${rel} is listed in ${manifestFile} but missing from the bundle directory`,
      { path: rel, expected: 'the listed file', actual: 'missing' },
      remedy,
    );
  }
}

/**
 * Every archive each VERSION.json names is among `files`, and its sha256 is one of the
 * archive's zh: hashes. `label` prefixes paths in messages ("providers" or the live
 * generation's providers directory). Throws BUNDLE_FILE_MISSING or CHECKSUM_MISMATCH.
 */
export function checkArchives(
  files: readonly SourceFile[],
  docs: readonly VersionDoc[],
  label: string,
): void {
  const byPath = new Map(files.map((f) => [f.path, f]));
  for (const doc of [...docs].sort((a, b) => compareStrings(a.path, b.path))) {
    const dir = doc.path.slice(0, doc.path.lastIndexOf('/') + 1);
    for (const [platform, archive] of Object.entries(doc.archives).sort(([a], [b]) => compareStrings(a, b))) {
      const zipPath = `${dir}${archive.url}`;
      const zip = archive.url.includes('/') ? undefined : byPath.get(zipPath);
      if (zip === undefined) {
        throw new AirgapError(
          'BUNDLE_FILE_MISSING',
          `${label}/${doc.path} names ${archive.url} for ${platform}, but ${label}/${zipPath} is not in the mirror`,
          {
            path: `${label}/${zipPath}`,
            platform,
            expected: 'the archive the VERSION.json names',
            actual: 'missing',
          },
          'repair the mirror (airgap mirror again, or import the bundle again) before publishing it',
        );
      }
      const zh = archive.hashes.filter((h) => h.startsWith('zh:'));
      if (!zh.includes(`zh:${zip.sha256}`)) {
        throw new AirgapError(
          'CHECKSUM_MISMATCH',
          `${label}/${zipPath} has sha256 ${zip.sha256}, which ${label}/${doc.path} does not list for ${platform} (${zh.length === 0 ? 'no zh: hashes' : zh.join(', ')})`,
          {
            path: `${label}/${zipPath}`,
            platform,
            expected: zh.length === 0 ? 'a zh: hash' : zh.join(', '),
            actual: `zh:${zip.sha256}`,
          },
          'the zip was changed after it was mirrored: run airgap verify on the source, and mirror or import it again',
        );
      }
    }
  }
}
