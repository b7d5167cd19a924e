// The bundle carries the tool itself: the real `npm pack` of this checkout (every
// runtime dependency bundled), installed on the "isolated" side with `npm install -g`
// from the extracted tarball, with an empty cache and an unreachable registry.
// Needs dist/ built (npm test builds first).

import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

import { expect, it } from 'vitest';

import { buildManifest, renderManifest } from '../../src/core/bundle/manifest.js';
import { exportBundle } from '../../src/services/export/export-service.js';
import { REPO_ROOT } from '../helpers/realdata.js';
import { workingDirs } from '../helpers/host.js';
import { makeTempDir } from '../helpers/tmp.js';
import { describeWithTools } from '../helpers/tools.js';

const run = promisify(execFile);

describeWithTools(['npm', 'tar', 'sha256sum'], 'the tool inside the bundle', () => {
  it(
    'npm pack bundles every runtime dependency; npm install -g --offline from the extracted tarball gives a working airgap',
    { timeout: 180_000 },
    async () => {
      const pkg = JSON.parse(await fs.readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
        version: string;
        dependencies: Record<string, string>;
      };
      const work = await makeTempDir('airgap-export-npm-');
      const bundleDir = path.join(work, 'bundle');
      await fs.mkdir(bundleDir);
      const manifest = buildManifest({
        toolVersion: pkg.version,
        createdAt: new Date('2026-01-01T00:00:00Z'),
        platforms: [],
        lockfiles: [],
        providers: [],
        binaries: [],
        configs: [],
        mirrorIndexes: [],
      });
      await fs.writeFile(path.join(bundleDir, 'airgap.json'), renderManifest(manifest));

      const tarball = path.join(work, 'bundle.tar');
      const r = await exportBundle(
        { bundleDir, tarball, compress: 'none', env: {}, ...workingDirs() },
        {
          info: () => undefined,
          warn: () => undefined,
        },
      );
      const toolPath = `tool/airgap-${pkg.version}.tgz`;
      expect(r.toolPackage.path).toBe(toolPath);
      expect(r.files).toBe(3);

      const side = path.join(work, 'isolated');
      await fs.mkdir(side);
      await run('tar', ['-xf', tarball, '-C', side]);
      const { stdout: sums } = await run('sha256sum', ['-c', 'SHA256SUMS'], { cwd: side });
      expect(sums).toBe(`airgap.json: OK\n${toolPath}: OK\n`);
      const { stdout: listing } = await run('tar', ['-tzf', path.join(side, toolPath)], {
        maxBuffer: 64 << 20,
      });
      const names = new Set(listing.split('\n'));
      for (const dep of Object.keys(pkg.dependencies)) {
        expect(names.has(`package/node_modules/${dep}/package.json`), dep).toBe(true);
      }
      expect(names.has('package/bin/run.js')).toBe(true);

      const prefix = path.join(work, 'prefix');
      await run(
        'npm',
        [
          'install',
          '-g',
          '--prefix',
          prefix,
          '--offline',
          '--cache',
          path.join(work, 'npm-cache'),
          '--registry',
          'http://127.0.0.1:9/',
          '--no-audit',
          '--no-fund',
          `./${toolPath}`,
        ],
        { cwd: side, maxBuffer: 16 << 20 },
      );
      const airgap = path.join(prefix, 'bin', 'airgap');
      const { stdout: version } = await run(airgap, ['--version']);
      expect(version.startsWith(`airgap/${pkg.version} `)).toBe(true);
      // The oclif plugins came along, bundled: help, version --json, completion, not-found.
      const env = { PATH: process.env.PATH, HOME: work };
      const { stdout: help } = await run(airgap, ['help', 'verify'], { env });
      expect(help.split('\n').slice(0, 4)).toEqual([
        'Verify a transfer tarball or bundle directory: signature, checksums, packages, lock files.',
        '',
        'USAGE',
        '  $ airgap verify TARGET [--json] [-q | -v] [--no-color]',
      ]);
      const { stdout: json } = await run(airgap, ['version', '--json'], { env });
      expect(Object.keys(JSON.parse(json) as object)).toEqual(['architecture', 'cliVersion', 'nodeVersion']);
      const { stdout: script } = await run(airgap, ['autocomplete', 'script', 'bash'], { env });
      expect(script).toContain(
        `AIRGAP_AC_BASH_SETUP_PATH=${path.join(work, '.cache/airgap/autocomplete/bash_setup')}`,
      );
      const typo = await run(airgap, ['verfy'], { env }).then(
        () => undefined,
        (e: { code?: number; stderr?: string }) => e,
      );
      expect(typo?.code).toBe(127);
      expect(typo?.stderr).toContain('verfy is not a airgap command.');
    },
  );
});
