// The shapes shared by release resolution, download and the bundle manifest: which
// tools airgap mirrors binaries of, and what it records about one stored release.

export type ReleaseTool = 'tofu' | 'terraform';

export const RELEASE_TOOLS: readonly ReleaseTool[] = ['tofu', 'terraform'];

/** One platform's zip as stored under DIR/<tool>/<version>/. */
export interface ReleasePlatformFile {
  /** OS_ARCH, e.g. linux_amd64. */
  platform: string;
  filename: string;
  /** Lower-case hex sha256; equal to the zip's line in the signed SHA256SUMS. */
  sha256: string;
  size: number;
}

/** Who vouched for the stored SHA256SUMS (a SignatureCheck without the time). */
export interface ReleaseVerification {
  primaryKeyFingerprint: string;
  signingKeyFingerprint: string;
  /** The signing (sub)key has expired since it made the signature; still accepted, as tofu does. */
  keyExpiredSince: boolean;
}

/** What was stored for one release: enough for an audit to verify again offline. */
export interface ReleaseManifestEntry {
  tool: ReleaseTool;
  version: string;
  /** Sorted by platform. */
  platforms: ReleasePlatformFile[];
  /** File name of the SHA256SUMS stored beside the zips, byte for byte as downloaded. */
  sums: string;
  /** File name of its detached signature (.gpgsig for tofu, .sig for terraform), as downloaded. */
  signature: string;
  verifiedBy: ReleaseVerification;
}
