// The one layer `mirror --image` adds to each platform's base image, as a list of
// tar entries (docs/IMAGE-FORMAT.md):
//   /bin/NAME                 the tofu (or terraform) executable for that platform, 0755
//   MIRROR/...                the packed provider mirror with only that platform's zips,
//                             and index.json / VERSION.json trimmed to match
//   /etc/airgap/tofurc        the bundle's config/tofurc, 0644
//   /etc/ssl/certs/ca-certificates.crt   with --ca-cert-into-image: the base's bundle
//                             with the extra CAs appended
// Directories the base already has get no entry: a layer entry would replace the
// base's directory metadata (and a symlinked /bin would become a directory). New
// directories are 0755. Every entry is owned by 0:0 and dated `mtime`. Entry
// order is fixed (sorted by name), so equal inputs give byte-equal layers. Pure.

import type { ManifestProvider } from '../bundle/manifest.js';
import { createHash } from 'node:crypto';
import { compareStrings } from '../compare.js';
import { AirgapError } from '../errors.js';
import { BUNDLE } from '../layout/names.js';
import { renderIndexJson, renderVersionJson } from '../mirror/network-mirror-json.js';

export const IMAGE_PATHS = {
  binDir: 'bin',
  cliConfig: 'etc/airgap/tofurc',
  caBundle: 'etc/ssl/certs/ca-certificates.crt',
} as const;

export type LayerSource =
  | { kind: 'bytes'; bytes: Uint8Array }
  /** A file of the bundle directory, bundle-relative. */
  | { kind: 'bundle-file'; path: string; sha256: string }
  /** One member of a zip in the bundle (the release zip's executable). */
  | { kind: 'zip-member'; zip: string; zipSha256: string; member: string };

export interface LayerFile {
  type: 'file';
  /** Tar entry name: rootfs-relative, no leading "/". */
  name: string;
  mode: number;
  size: number;
  source: LayerSource;
}

export interface LayerDirectory {
  type: 'directory';
  /** Tar entry name, ending in "/". */
  name: string;
  mode: number;
}

export type LayerEntry = LayerFile | LayerDirectory;

export interface LayerPlanInput {
  /** OS_ARCH of the image this layer is for. */
  platform: string;
  /** The bundle's providers (airgap.json), for paths, sizes and hashes. */
  providers: readonly ManifestProvider[];
  /** The executable: name in /bin, the release zip (bundle-relative) and the member's uncompressed size. */
  tool: { name: 'tofu' | 'terraform'; zip: string; zipSha256: string; size: number };
  /** Absolute in-image path of the provider mirror, e.g. "/providers". */
  mirrorPath: string;
  /** config/tofurc's bytes. */
  cliConfig: Uint8Array;
  /** The whole new /etc/ssl/certs/ca-certificates.crt, when --ca-cert-into-image was given. */
  caBundle?: Uint8Array;
  /** Whether the base image already has this directory (rootfs-relative, no slashes at either end). */
  baseHasDirectory: (path: string) => boolean;
}

export interface LayerPlan {
  entries: LayerEntry[];
  /** Provider versions and zips that went in, for the history line and messages. */
  providerVersions: number;
  zips: number;
}

export function planRunnerLayer(input: LayerPlanInput): LayerPlan {
  const mirror = rootfsPath(input.mirrorPath, 'mirror path');
  const files: LayerFile[] = [];
  files.push({
    type: 'file',
    name: `${IMAGE_PATHS.binDir}/${input.tool.name}`,
    mode: 0o755,
    size: input.tool.size,
    source: {
      kind: 'zip-member',
      zip: input.tool.zip,
      zipSha256: input.tool.zipSha256,
      member: input.tool.name,
    },
  });
  files.push(bytesFile(IMAGE_PATHS.cliConfig, input.cliConfig));
  if (input.caBundle !== undefined) files.push(bytesFile(IMAGE_PATHS.caBundle, input.caBundle));

  // Provider directory -> versions with a package for this platform.
  const byDir = new Map<string, string[]>();
  let zips = 0;
  let providerVersions = 0;
  const prefix = `${BUNDLE.providersDir}/`;
  for (const provider of input.providers) {
    const pkg = provider.packages.find((p) => p.platform === input.platform);
    if (pkg === undefined) continue;
    if (!pkg.path.startsWith(prefix)) {
      throw new AirgapError('MANIFEST_INVALID', `airgap.json: package ${pkg.path} is not under ${prefix}`, {
        path: pkg.path,
        expected: `${prefix}...`,
        actual: pkg.path,
      });
    }
    const rel = pkg.path.slice(prefix.length);
    const slash = rel.lastIndexOf('/');
    const dir = rel.slice(0, slash);
    const zipName = rel.slice(slash + 1);
    files.push({
      type: 'file',
      name: `${mirror}/${rel}`,
      mode: 0o644,
      size: pkg.size,
      source: { kind: 'bundle-file', path: pkg.path, sha256: pkg.sha256 },
    });
    const versionJson = renderVersionJson({}, { [input.platform]: { url: zipName, hashes: pkg.hashes } });
    files.push(bytesFile(`${mirror}/${dir}/${provider.version}.json`, utf8(versionJson)));
    const versions = byDir.get(dir) ?? [];
    versions.push(provider.version);
    byDir.set(dir, versions);
    zips += 1;
    providerVersions += 1;
  }
  for (const [dir, versions] of byDir) {
    files.push(bytesFile(`${mirror}/${dir}/index.json`, utf8(renderIndexJson([], versions))));
  }

  const names = new Set<string>();
  for (const f of files) {
    if (names.has(f.name)) {
      throw new AirgapError('USAGE', `image layer: ${f.name} would be written twice`, {
        path: f.name,
        expected: 'one entry per path',
        actual: 'two',
      });
    }
    names.add(f.name);
  }
  const directories = new Set<string>();
  // The mirror root always gets an entry, so an empty mirror still leaves the directory tofurc names.
  addParents(`${mirror}/x`, directories);
  for (const f of files) addParents(f.name, directories);
  const entries: LayerEntry[] = [
    ...[...directories]
      .filter((d) => !input.baseHasDirectory(d))
      .map((d): LayerDirectory => ({ type: 'directory', name: `${d}/`, mode: 0o755 })),
    ...files,
  ];
  entries.sort((a, b) => compareStrings(a.name, b.name));
  return { entries, providerVersions, zips };
}

function addParents(name: string, into: Set<string>): void {
  const parts = name.split('/');
  for (let i = 1; i < parts.length; i++) into.add(parts.slice(0, i).join('/'));
}

function bytesFile(name: string, bytes: Uint8Array): LayerFile {
  return { type: 'file', name, mode: 0o644, size: bytes.length, source: { kind: 'bytes', bytes } };
}

function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** "/providers" -> "providers"; refuses relative paths, "..", and the root itself. */
function rootfsPath(p: string, what: string): string {
  const parts = p.split('/').filter((s) => s !== '');
  if (!p.startsWith('/') || parts.length === 0 || parts.some((s) => s === '.' || s === '..')) {
    throw new AirgapError('USAGE', `${what} ${JSON.stringify(p)} must be an absolute path below /`, {
      expected: 'an absolute path such as /providers',
      actual: p,
    });
  }
  return parts.join('/');
}

/** Annotation on our layer's descriptor: what the layer was made from (layerInputsKey). */
export const LAYER_INPUTS_ANNOTATION = 'dev.airgap.layer.inputs';

/**
 * A digest of everything that decides the layer's bytes: each entry's type, name,
 * mode and size, where its content comes from (by the sha256 airgap.json records,
 * or of the bytes themselves), and the mtime. Equal keys mean equal layers, so a
 * re-run can keep the layer it wrote before instead of writing it again.
 */
export function layerInputsKey(entries: readonly LayerEntry[], mtime: Date): string {
  const hash = createHash('sha256');
  hash.update(`airgap-layer-v1\tmtime=${Math.floor(mtime.getTime() / 1000)}\n`);
  for (const e of entries) {
    if (e.type === 'directory') {
      hash.update(`d\t${e.name}\t${e.mode.toString(8)}\n`);
      continue;
    }
    const s = e.source;
    const content =
      s.kind === 'bytes'
        ? `bytes:${createHash('sha256').update(s.bytes).digest('hex')}`
        : s.kind === 'bundle-file'
          ? `file:${s.sha256}`
          : `zip:${s.zipSha256}:${s.member}`;
    hash.update(`f\t${e.name}\t${e.mode.toString(8)}\t${e.size}\t${content}\n`);
  }
  return `sha256:${hash.digest('hex')}`;
}
