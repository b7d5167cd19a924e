// Which tofu/terraform build an import unpacks into DIR/bin: the host's platform
// in tofu's naming, and the newest release of each tool the bundle carries for it.

import type { BundleManifest } from '../bundle/manifest.js';
import { AirgapError } from '../errors.js';
import { formatPlatform, parsePlatform } from '../provider/platform.js';
import { compareVersions, parseVersion } from '../provider/version.js';
import { releaseDir } from '../layout/names.js';

// Node's process.platform / process.arch -> Go's GOOS / GOARCH, which tofu's platform names use.
const OS: Record<string, string> = {
  linux: 'linux',
  darwin: 'darwin',
  win32: 'windows',
  freebsd: 'freebsd',
  openbsd: 'openbsd',
  sunos: 'solaris',
};
const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm' };

/** "linux_amd64" for Node's ("linux", "x64"); USAGE when tofu has no such platform (pass --platform). */
export function hostPlatformName(nodePlatform: string, nodeArch: string): string {
  const os = OS[nodePlatform];
  const arch = ARCH[nodeArch];
  if (os === undefined || arch === undefined) {
    throw new AirgapError(
      'USAGE',
      `this host (${nodePlatform}/${nodeArch}) has no OpenTofu platform name; pass --platform OS_ARCH`,
      { expected: 'a platform such as linux_amd64', actual: `${nodePlatform}/${nodeArch}` },
    );
  }
  return `${os}_${arch}`;
}

export type ReleaseToolName = 'tofu' | 'terraform';

/** The executable's name inside a release zip. */
export function executableName(tool: ReleaseToolName, platform: string): string {
  return parsePlatform(platform).os === 'windows' ? `${tool}.exe` : tool;
}

/**
 * Whether a bundle path is a tofu/terraform release zip for `platform`
 * ("tofu/1.8.5/tofu_1.8.5_linux_amd64.zip"): the import keeps those while streaming,
 * before it knows which version it will install.
 */
export function isReleaseZipFor(bundlePath: string, platform: string): boolean {
  const parts = bundlePath.split('/');
  if (parts.length !== 3) return false;
  const [tool, version] = parts as [string, string, string];
  if (tool !== 'tofu' && tool !== 'terraform') return false;
  return bundlePath === `${releaseDir(tool, version)}/${tool}_${version}_${platform}.zip`;
}

export interface HostBinary {
  tool: ReleaseToolName;
  version: string;
  /** Bundle-relative path of the release zip. */
  zipPath: string;
  /** The entry to unpack from it. */
  entry: string;
}

export interface HostBinaryChoice {
  install: HostBinary[];
  /** Tools the bundle carries, but not for this platform. */
  missing: { tool: ReleaseToolName; versions: string[] }[];
}

/** For each tool in the manifest, its newest version that has a build for `platform`. */
export function chooseHostBinaries(manifest: BundleManifest, platform: string): HostBinaryChoice {
  const plat = formatPlatform(parsePlatform(platform));
  const choice: HostBinaryChoice = { install: [], missing: [] };
  for (const tool of ['terraform', 'tofu'] as const) {
    const releases = manifest.binaries.filter((b) => b.tool === tool);
    if (releases.length === 0) continue;
    const withBuild = releases
      .map((b) => ({ version: b.version, build: b.platforms.find((p) => p.platform === plat) }))
      .filter((r): r is { version: string; build: NonNullable<typeof r.build> } => r.build !== undefined)
      .sort((a, b) => compareVersions(parseVersion(b.version), parseVersion(a.version)));
    const best = withBuild[0];
    if (best === undefined) {
      choice.missing.push({ tool, versions: releases.map((r) => r.version) });
      continue;
    }
    choice.install.push({
      tool,
      version: best.version,
      zipPath: best.build.path,
      entry: executableName(tool, plat),
    });
  }
  return choice;
}
