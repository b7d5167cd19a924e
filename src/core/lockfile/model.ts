// The dependency lock file (.terraform.lock.hcl) model shared by its parser
// and writer.

import type { SourceRange } from '../hcl/source.js';
import type { ProviderAddress } from '../provider/address.js';

export type { SourceRange } from '../hcl/source.js';

export type LockTool = 'tofu' | 'terraform';

export interface LockedProvider {
  address: ProviderAddress;
  /** Canonical form, e.g. "5.31.0" or "6.0.0-beta3". */
  version: string;
  /** Canonical form (e.g. ">= 4.0.0, ~> 5.0"); absent when the block had none. */
  constraints?: string;
  /**
   * The constraints as the file wrote them, when that was not the canonical form
   * (only with parseLockFile's normaliseConstraints; tofu refuses such a file).
   */
  constraintsAsWritten?: { text: string; range: SourceRange };
  /** As written in the file; formatLockFile sorts and de-duplicates them. */
  hashes: string[];
  /** The provider block in the file it was parsed from. */
  range?: SourceRange;
}

export interface LockFile {
  providers: LockedProvider[];
  /** which tool's header the file had: written back unchanged */
  tool: LockTool;
}

export function lockHeader(tool: LockTool): string {
  return `# This file is maintained automatically by "${tool} init".\n# Manual edits may be lost in future updates.\n`;
}

const HEADER_RE = /^# This file is maintained automatically by "(tofu|terraform|opentf) init"\.\r?$/m;

/** The tool named by the file's standard header; 'tofu' when it has none. */
export function detectLockTool(text: string): LockTool {
  const m = HEADER_RE.exec(text);
  return m?.[1] === 'terraform' ? 'terraform' : 'tofu';
}

/** The registry a short address in a file written by `tool` would refer to. */
export function defaultRegistryHost(tool: LockTool): string {
  return tool === 'terraform' ? 'registry.terraform.io' : 'registry.opentofu.org';
}
