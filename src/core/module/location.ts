// What a module registry's download answer names (X-Terraform-Get, or the JSON
// `location`): a go-getter source address. airgap fetches the two forms registries hand
// out, as go-getter reads them (getmodules in tofu and terraform):
//   - `git::https://HOST/REPO[//SUBDIR][?ref=REF]`: a git repository at a ref;
//   - `https://HOST/PATH.{tar.gz,tgz,zip}[//SUBDIR]`, or any https URL with an
//     `archive=tar.gz|tgz|zip` query hint: an archive of the module's tree.
// `//SUBDIR` (go-getter's SourceDirSubdir) names a directory inside what is fetched.
// Every other form (ssh, plain http, s3::, gcs::, hg::, oci://, bare hosts) is refused
// by name: the isolated side must get exactly what was checked here, nothing fetched
// in a way airgap does not understand. Pure: parsing only.

import { AirgapError } from '../errors.js';
import { redactText } from '../redact.js';

export type ArchiveFormat = 'tar.gz' | 'zip';

export type ModuleLocation =
  | { kind: 'git'; url: string; ref?: string; subdir?: string }
  | { kind: 'archive'; url: string; format: ArchiveFormat; subdir?: string };

// go-getter's decompressor names that airgap unpacks, keyed by what `archive=` or the
// URL path's extension says.
const ARCHIVE_NAMES: Readonly<Record<string, ArchiveFormat>> = {
  'tar.gz': 'tar.gz',
  tgz: 'tar.gz',
  zip: 'zip',
};

/**
 * A location as the registry gave it, made absolute the way tofu's registry client does:
 * one starting with "/", "./" or "../" is relative to the download URL it came from.
 */
export function absoluteLocation(location: string, downloadUrl: string): string {
  if (location.startsWith('/') || location.startsWith('./') || location.startsWith('../')) {
    return new URL(location, downloadUrl).toString();
  }
  return location;
}

/** Splits go-getter's `//SUBDIR` off a source, keeping the query on the source. */
export function splitSubdir(source: string): { source: string; subdir?: string } {
  const scheme = source.indexOf('://');
  const from = scheme === -1 ? 0 : scheme + 3;
  const cut = source.indexOf('//', from);
  if (cut === -1) return { source };
  let subdir = source.slice(cut + 2);
  let rest = source.slice(0, cut);
  const q = subdir.indexOf('?');
  if (q !== -1) {
    rest += subdir.slice(q);
    subdir = subdir.slice(0, q);
  }
  subdir = subdir.replace(/^\/+|\/+$/g, '');
  return subdir === '' ? { source: rest } : { source: rest, subdir };
}

/** Reads a location, or throws naming `module` and the (redacted) location. */
export function parseModuleLocation(location: string, module: string): ModuleLocation {
  const refuse = (why: string): AirgapError =>
    new AirgapError(
      'MODULE_SOURCE_UNSUPPORTED',
      `module ${module}: cannot fetch ${redactText(location)}: ${why}`,
      {
        address: redactText(location),
        expected: 'git::https://...?ref=REF, or an https .tar.gz/.tgz/.zip archive',
        actual: redactText(location),
      },
      'ask the registry for a version whose source is a git repository over https or an https archive',
    );
  const forced = /^([a-z0-9]+)::(.*)$/s.exec(location);
  const getter = forced?.[1];
  const rest = forced?.[2] ?? location;
  const { source, subdir } = splitSubdir(rest);
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    throw refuse('it is not a URL (only git:: and https sources are carried)');
  }
  if (subdir !== undefined && subdir.split('/').includes('..')) throw refuse('its //SUBDIR leaves the tree');
  const withSubdir = subdir === undefined ? {} : { subdir };
  if (getter === 'git') {
    if (url.protocol !== 'https:')
      throw refuse(`git over ${url.protocol.replace(/:$/, '')} is not carried, only https`);
    const ref = url.searchParams.get('ref') ?? undefined;
    for (const key of url.searchParams.keys()) {
      if (key !== 'ref' && key !== 'depth') throw refuse(`the git option "${key}" is not supported`);
    }
    url.searchParams.delete('ref');
    url.searchParams.delete('depth');
    if (ref !== undefined && (ref === '' || ref.startsWith('-'))) throw refuse(`"${ref}" is not a git ref`);
    return { kind: 'git', url: url.toString(), ...(ref === undefined ? {} : { ref }), ...withSubdir };
  }
  if (getter !== undefined && getter !== 'http' && getter !== 'https') {
    throw refuse(`the "${getter}::" getter is not supported`);
  }
  if (url.protocol !== 'https:')
    throw refuse(`the ${url.protocol.replace(/:$/, '')} scheme is not carried, only https`);
  const hint = url.searchParams.get('archive');
  let format: ArchiveFormat | undefined;
  if (hint !== null) {
    format = ARCHIVE_NAMES[hint];
    if (format === undefined) throw refuse(`archive=${hint} is not a supported archive (tar.gz, tgz, zip)`);
    url.searchParams.delete('archive');
  } else {
    const name = url.pathname.toLowerCase();
    const ext = Object.keys(ARCHIVE_NAMES).find((e) => name.endsWith(`.${e}`));
    format = ext === undefined ? undefined : ARCHIVE_NAMES[ext];
  }
  if (format === undefined)
    throw refuse('it names no .tar.gz, .tgz or .zip archive (and has no archive= hint)');
  return { kind: 'archive', url: url.toString(), format, ...withSubdir };
}
