// The real terraform CLI as the judge of what airgap does with lock files: the same
// lock file goes through `terraform providers lock` and through `airgap mirror
// --update-lockfiles`, against the same test registry (real HTTPS, real signed
// SHA256SUMS), and the results are compared byte for byte.
//   (a) a lock file whose zh: list lacks one platform: both complete it alike;
//   (b) a lock file recording a zh: the signed SHA256SUMS does not list: terraform
//       keeps it without a word, airgap refuses (the release changed under the lock);
//   (c) constraints written without spaces ("~>1.8"): terraform reads them in
//       required_providers and writes its normalised form; airgap writes the same.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startTestRegistry, type TestPackage, type TestRegistry } from '../helpers/registry/index.js';
import { makeTempDir } from '../helpers/tmp.js';
import { describeWithTools } from '../helpers/tools.js';

const execFileP = promisify(execFile);
const HOST = 'registry.airgap.test';
const LOCK = '.terraform.lock.hcl';

describeWithTools(['terraform'], 'lock files judged by the real terraform CLI', () => {
  let registry: TestRegistry;
  let work: string;
  let cliConfig: string;

  beforeAll(async () => {
    registry = await startTestRegistry({
      providers: [
        {
          namespace: 'hashicorp',
          type: 'null',
          versions: ['3.2.1'],
          platforms: ['linux_amd64', 'linux_arm64', 'darwin_arm64'],
        },
        {
          namespace: 'acme',
          type: 'widget',
          versions: ['1.6.0', '1.8.2', '1.9.0'],
          platforms: ['linux_amd64', 'linux_arm64'],
        },
      ],
    });
    work = await makeTempDir();
    cliConfig = path.join(work, 'registry.tfrc');
    await fs.writeFile(cliConfig, registry.cliConfigText());
  });

  afterAll(async () => {
    await registry?.close();
  });

  function pkg(type: string, version: string, platform: string): TestPackage {
    const p = registry.packages.find(
      (x) => x.type === type && x.version === version && x.platform === platform,
    );
    if (p === undefined) throw new Error(`no test package ${type} ${version} ${platform}`);
    return p;
  }

  const zh = (p: TestPackage): string => `zh:${p.sha256}`;

  function mainTf(source: string, version: string): string {
    return `terraform {\n  required_providers {\n    p = {\n      source  = "${source}"\n      version = "${version}"\n    }\n  }\n}\n`;
  }

  let stacks = 0;
  async function stack(tf: string, lock?: string): Promise<string> {
    const dir = path.join(work, `stack-${++stacks}`);
    await fs.mkdir(dir);
    await fs.writeFile(path.join(dir, 'main.tf'), tf);
    if (lock !== undefined) await fs.writeFile(path.join(dir, LOCK), lock);
    return dir;
  }

  async function terraform(dir: string, args: string[]): Promise<CliResult> {
    try {
      const r = await execFileP('terraform', [...args, '-no-color'], {
        cwd: dir,
        env: {
          PATH: process.env.PATH,
          HOME: work,
          CHECKPOINT_DISABLE: '1',
          TF_CLI_CONFIG_FILE: cliConfig,
          SSL_CERT_FILE: registry.caCertPath,
        },
      });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (e) {
      const err = e as { code?: number; stdout?: string; stderr?: string };
      return { code: err.code ?? null, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
    }
  }

  function airgap(dir: string, extra: string[]): Promise<CliResult> {
    return runCli(
      ['mirror', '--lockfile', path.join(dir, LOCK), '--out', path.join(dir, 'bundle'), ...extra],
      {
        env: { TF_CLI_CONFIG_FILE: cliConfig, SSL_CERT_FILE: registry.caCertPath },
      },
    );
  }

  const readLock = (dir: string): Promise<string> => fs.readFile(path.join(dir, LOCK), 'utf8');
  const hashesOf = (lock: string): string[] =>
    [...lock.matchAll(/^ {4}"((?:h1|zh):[^"]+)",$/gm)].map((m) => m[1]!);

  const NULL_TF = mainTf(`${HOST}/hashicorp/null`, '3.2.1');
  const BOTH = ['linux_amd64', 'linux_arm64'];

  /** What terraform writes on linux_amd64: that platform's h1: and every signed zh:. */
  async function terraformLock(): Promise<string> {
    const dir = await stack(NULL_TF);
    const r = await terraform(dir, ['providers', 'lock', '-platform=linux_amd64']);
    expect(r.code).toBe(0);
    const lock = await readLock(dir);
    const [a, b, d] = ['linux_amd64', 'linux_arm64', 'darwin_arm64'].map((pl) =>
      pkg('null', '3.2.1', pl),
    ) as [TestPackage, TestPackage, TestPackage];
    expect(hashesOf(lock)).toEqual([a.h1, zh(a), zh(b), zh(d)].sort());
    return lock;
  }

  it('(a) a lock file lacking one platform zh: terraform and airgap complete it to the same file', async () => {
    const b = pkg('null', '3.2.1', 'linux_arm64');
    const complete = await terraformLock();
    const pruned = complete.replace(`    "${zh(b)}",\n`, '');
    expect(pruned).not.toBe(complete);

    const byTerraform = await stack(NULL_TF, pruned);
    const t = await terraform(byTerraform, ['providers', 'lock', ...BOTH.map((p) => `-platform=${p}`)]);
    expect(t.code).toBe(0);

    const byAirgap = await stack(NULL_TF, pruned);
    const m = await airgap(byAirgap, [...BOTH.flatMap((p) => ['--platform', p]), '--update-lockfiles']);
    expect(m.code).toBe(0);
    expect(m.stderr).not.toContain('Warning');

    const a = pkg('null', '3.2.1', 'linux_amd64');
    const d = pkg('null', '3.2.1', 'darwin_arm64');
    const expected = [a.h1, b.h1, zh(a), zh(b), zh(d)].sort();
    expect(hashesOf(await readLock(byTerraform))).toEqual(expected);
    expect(hashesOf(await readLock(byAirgap))).toEqual(expected);
    expect(await readLock(byAirgap)).toBe(await readLock(byTerraform));
  }, 120_000);

  it('(b) a zh: the signed SHA256SUMS does not list: terraform keeps it silently, airgap refuses', async () => {
    const b = pkg('null', '3.2.1', 'linux_arm64');
    // linux_arm64's line as a lock file written against another build of the release would hold it.
    const foreign = `zh:${createHash('sha256').update('another build of terraform-provider-null_3.2.1_linux_arm64.zip').digest('hex')}`;
    const changed = (await terraformLock()).replace(zh(b), foreign);

    const byTerraform = await stack(NULL_TF, changed);
    const t = await terraform(byTerraform, ['providers', 'lock', ...BOTH.map((p) => `-platform=${p}`)]);
    expect(t.code).toBe(0);
    // terraform 1.11.4 merges what it fetched into what was recorded, checking neither against the other.
    expect(hashesOf(await readLock(byTerraform))).toContain(foreign);
    expect(hashesOf(await readLock(byTerraform))).toContain(zh(b));

    const byAirgap = await stack(NULL_TF, changed);
    const m = await airgap(byAirgap, [
      ...BOTH.flatMap((p) => ['--platform', p]),
      '--update-lockfiles',
      '--json',
    ]);
    expect(m.code).toBe(1);
    const err = JSON.parse(m.stdout).error;
    expect(err.code).toBe('LOCK_HASH_MISMATCH');
    expect(err.details).toMatchObject({ platform: 'linux_arm64', actual: `not listed: ${foreign}` });
    expect(await readLock(byAirgap)).toBe(changed);
  }, 120_000);

  it.each([
    ['~>1.8', '~> 1.8', '1.9.0'],
    ['~>1', '~> 1.0', '1.9.0'],
    ['>=1.6,<1.9,!=1.8.2', '>= 1.6.0, != 1.8.2, < 1.9.0', '1.6.0'],
  ])(
    '(c) version = %j: terraform writes constraints = %j, and so does airgap for a hand-written lock file',
    async (written, normalised, selected) => {
      const tf = mainTf(`${HOST}/acme/widget`, written);
      const dir = await stack(tf);
      expect((await terraform(dir, ['providers', 'lock', '-platform=linux_amd64'])).code).toBe(0);
      const byTerraform = await readLock(dir);
      expect(byTerraform).toContain(`  version     = "${selected}"\n  constraints = "${normalised}"\n`);

      // The same lock file with the constraints as the configuration spells them.
      const handWritten = byTerraform.replace(`constraints = "${normalised}"`, `constraints = "${written}"`);
      const refused = await stack(tf, handWritten);
      const t = await terraform(refused, ['providers', 'lock', '-platform=linux_amd64']);
      expect(t.code).toBe(1);
      const detail = `The recorded version constraints for provider ${HOST}/acme/widget must be written in normalized form: "${normalised}".`;
      expect(t.stderr.replace(/\s+/g, ' ')).toContain(detail);

      // Without --update-lockfiles airgap refuses it as terraform does; with it, rewrites it as terraform writes it.
      const m = await airgap(refused, ['--platform', 'linux_amd64']);
      expect(m.code).toBe(2);
      expect(m.stderr).toContain(
        `${path.join(refused, LOCK)}:6:17: Invalid provider version constraints; ${detail}`,
      );
      const u = await airgap(refused, ['--platform', 'linux_amd64', '--update-lockfiles']);
      expect(u.code).toBe(0);
      expect(u.stderr).toContain(
        `${path.join(refused, LOCK)}:6: constraints "${written}" for ${HOST}/acme/widget rewritten as "${normalised}", the normalised form tofu and terraform require`,
      );
      expect(await readLock(refused)).toBe(byTerraform);
    },
    120_000,
  );
});
