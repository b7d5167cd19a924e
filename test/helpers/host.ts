// What the commands hand the services from `process` (src/commands/*.ts), for tests that
// call a service directly: services never read `process` themselves (eslint.config.js).

import os from 'node:os';
import type { ImportHost } from '../../src/services/import/import-service.js';

/** This test process, as `airgap import` describes its own to runImport. */
export function thisProcess(): ImportHost {
  return {
    cwd: process.cwd(),
    env: process.env,
    platform: process.platform,
    arch: process.arch,
    pid: process.pid,
  };
}

/** The working directory and the OS temp dir, as `airgap verify` and `airgap export` hand them in. */
export function workingDirs(): { cwd: string; tempDir: string } {
  return { cwd: process.cwd(), tempDir: os.tmpdir() };
}
