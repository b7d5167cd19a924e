// Tests that drive real external tools (terraform, gpg, skopeo, ...). Where a
// tool is missing they are reported as skipped BY NAME on a developer machine,
// and fail on CI (CI=true or AIRGAP_REQUIRE_TOOLS=1): never a silent pass.

import { spawnSync } from 'node:child_process';
import { describe, it } from 'vitest';

export function toolAvailable(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

export function toolsRequired(): boolean {
  return process.env.CI === 'true' || process.env.CI === '1' || process.env.AIRGAP_REQUIRE_TOOLS === '1';
}

/** `describe` that needs every tool in `tools` on PATH. */
export function describeWithTools(tools: string[], title: string, body: () => void): void {
  const missing = tools.filter((t) => !toolAvailable(t));
  if (missing.length === 0) {
    describe(title, body);
    return;
  }
  const note = `needs ${missing.join(', ')} on PATH`;
  if (toolsRequired()) {
    describe(title, () => {
      it(`requires ${missing.join(', ')}`, () => {
        throw new Error(`${title}: ${note}, which this machine lacks (.ci/run must install it)`);
      });
    });
    return;
  }
  describe.skip(`${title} [SKIPPED: ${note}]`, body);
}
