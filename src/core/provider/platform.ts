// Platforms as tofu names them: "OS_ARCH", e.g. linux_amd64.

import { AirgapError } from '../errors.js';

export interface Platform {
  os: string;
  arch: string;
}

export const DEFAULT_PLATFORMS: readonly string[] = ['linux_amd64', 'linux_arm64'];

const PLATFORM_RE = /^([a-z0-9]+)_([a-z0-9]+)$/;

export function parsePlatform(text: string): Platform {
  const m = PLATFORM_RE.exec(text);
  if (!m || m[1] === undefined || m[2] === undefined) {
    throw new AirgapError('USAGE', `invalid platform "${text}": expected OS_ARCH, e.g. linux_amd64`, {
      expected: 'OS_ARCH',
      actual: text,
    });
  }
  return { os: m[1], arch: m[2] };
}

export function formatPlatform(p: Platform): string {
  return `${p.os}_${p.arch}`;
}
