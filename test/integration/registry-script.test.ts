// `npm run registry` (scripts/registry.ts): the test registry and release server started
// by hand. The printed environment is pasted into sh as a user would, `airgap mirror`
// runs against it, and Ctrl-C (SIGINT) stops both servers, exit 0, leaving no temp dir.

import { spawn, execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

import { parseManifest } from '../../src/core/bundle/manifest.js';
import type { VerifyReport } from '../../src/core/transfer/verify-report.js';
import { runCli } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/realdata.js';
import { makeTempDir } from '../helpers/tmp.js';

const exec = promisify(execFile);

/** The lines after the one starting with `from`, up to the next blank line. */
function block(lines: string[], from: string): string[] {
  const at = lines.findIndex((l) => l.startsWith(from));
  expect(at, `a line starting with "${from}"`).toBeGreaterThanOrEqual(0);
  const end = lines.indexOf('', at + 2);
  return lines.slice(at + 2, end);
}

describe('npm run registry', () => {
  it('prints an environment that airgap mirror and verify work with, and stops cleanly on SIGINT', async () => {
    // Its own TMPDIR, to see that everything the script and both servers made is removed.
    const tmp = await makeTempDir('airgap-registry-script-');
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/registry.ts'], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: tmp },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          stdout += d.toString();
          if (/^Serving until Ctrl-C.*\.\n/m.test(stdout)) resolve(); // the whole last line
        });
        child.on('close', (code) => reject(new Error(`exited ${code} before serving: ${stderr}`)));
      });
      const lines = stdout.split('\n');
      const env = block(lines, 'Paste into another shell');
      const work = (/^Serving until Ctrl-C, which stops both servers and removes (.+)\.$/m.exec(stdout) ??
        [])[1]!;
      expect(path.dirname(work)).toBe(tmp);
      expect(env).toEqual([
        `export TF_CLI_CONFIG_FILE=${work}/connected.tfrc`,
        `export SSL_CERT_FILE=${work}/ca.pem`,
        `airgap() { ${process.execPath} ${REPO_ROOT}/bin/run.js "$@"; }`,
      ]);
      expect(await fs.readFile(path.join(work, 'env.sh'), 'utf8')).toBe(`${env.join('\n')}\n`);
      const [mirror, verify] = block(lines, 'into ./bundle, and audit it:');
      expect(mirror).toMatch(/^airgap mirror --dir \S+ --update-lockfiles --out bundle --tofu 1\.8\.5 /);

      // Pasted into a shell, as printed.
      const cwd = await makeTempDir('airgap-registry-user-');
      const shell = await exec('sh', ['-c', `${env.join('\n')}\n${mirror}`], {
        cwd,
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
      });
      expect(shell.stdout).toContain('Bundled tofu 1.8.5 for linux_amd64, linux_arm64.');
      const manifest = parseManifest(
        await fs.readFile(path.join(cwd, 'bundle', 'airgap.json'), 'utf8'),
        'airgap.json',
      );
      expect(manifest.providers.map((p) => `${p.address} ${p.version}`)).toEqual([
        'registry.airgap.test/acme/widget 1.0.0',
        'registry.airgap.test/acme/widget 1.1.0',
        'registry.airgap.test/hashicorp/null 3.2.1',
        'registry.airgap.test/hashicorp/random 3.6.0',
      ]);
      expect(manifest.binaries.map((b) => [b.tool, b.version, b.platforms.map((p) => p.platform)])).toEqual([
        ['tofu', '1.8.5', ['linux_amd64', 'linux_arm64']],
      ]);

      // The audit line, through the CLI with the exported environment.
      const exported = Object.fromEntries(
        env.filter((l) => l.startsWith('export ')).map((l) => l.slice('export '.length).split('=')),
      ) as Record<string, string>;
      const args = verify!.split(' ');
      expect(args.slice(0, 2)).toEqual(['airgap', 'verify']);
      const v = await runCli([...args.slice(1), '--json'], { cwd, env: exported });
      expect(v.code, v.stdout + v.stderr).toBe(0);
      expect((JSON.parse(v.stdout) as VerifyReport).summary).toEqual({
        ok: 38, // with the sbom.cdx.json file row and the sbom check
        failed: 0,
        warning: 1, // an unpacked directory: nothing signs it
        skipped: 0,
      });
    } finally {
      child.kill('SIGINT');
    }
    expect(await closed).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/\nSIGINT: stopping both servers and removing \S+\n$/);
    // tsx keeps its own cache there; everything airgap's script and servers made is gone.
    expect((await fs.readdir(tmp)).filter((n) => n.startsWith('airgap-'))).toEqual([]);
  });
});
