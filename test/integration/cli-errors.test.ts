// How every command fails: the exit code follows the worst category (verification
// first), --json errors have one shape, a bug is an internal error and never a
// filesystem one, and the hint fits the command that failed.

import fs from 'node:fs/promises';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_BUG, type JsonErrorDocument } from '../../src/cli/base-command.js';
import { runCli } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/realdata.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry/index.js';
import { makeTempDir } from '../helpers/tmp.js';

const HOST = 'registry.airgap.test';
let registry: TestRegistry;
let env: Record<string, string>;

beforeAll(async () => {
  registry = await startTestRegistry({
    providers: [
      { namespace: 'acme', type: 'widget', versions: ['1.0.0'], platforms: ['linux_amd64', 'linux_arm64'] },
    ],
  });
  const dir = await makeTempDir();
  const cfg = path.join(dir, 'cli.tfrc');
  await fs.writeFile(cfg, registry.cliConfigText());
  env = { TF_CLI_CONFIG_FILE: cfg, SSL_CERT_FILE: registry.caCertPath };
});

afterAll(async () => {
  await registry?.close();
});

function parseJsonError(stdout: string): JsonErrorDocument {
  const doc = JSON.parse(stdout) as JsonErrorDocument;
  expect(doc.schemaVersion).toBe(1);
  return doc;
}

describe('exit codes follow the worst category, verification first', () => {
  it('a lock-hash mismatch together with a registry error exits 1, naming both', async () => {
    const dir = await makeTempDir();
    const lockfile = path.join(dir, '.terraform.lock.hcl');
    const bogus = `zh:${'0'.repeat(64)}`;
    await fs.writeFile(
      lockfile,
      `provider "${HOST}/acme/widget" {\n  version = "1.0.0"\n  hashes = [\n    "${bogus}",\n  ]\n}\n\n` +
        `provider "${HOST}/acme/nothere" {\n  version = "1.0.0"\n}\n`,
    );
    const r = await runCli(
      ['mirror', '--lockfile', lockfile, '--platform', 'linux_amd64', '--out', path.join(dir, 'b'), '--json'],
      { env },
    );
    expect(r.code).toBe(1);
    const doc = parseJsonError(r.stdout);
    expect(doc.error.code).toBe('LOCK_HASH_MISMATCH');
    expect(doc.error.category).toBe('verification');
    expect(doc.error.errors.map((e) => [e.code, e.category]).sort()).toEqual([
      ['LOCK_HASH_MISMATCH', 'verification'],
      ['PROVIDER_NOT_FOUND', 'network'],
    ]);
  });
});

describe('--json errors have one shape', () => {
  it("oclif's own parse errors: schemaVersion, USAGE, exit 2, no duplicated help line", async () => {
    for (const args of [
      ['verify', '--json'],
      ['verify', '--json', '--no-such-flag', 'x'],
    ]) {
      const r = await runCli(args);
      expect(r.code).toBe(2);
      const doc = parseJsonError(r.stdout);
      expect(doc.error).toMatchObject({
        code: 'USAGE',
        category: 'usage',
        remedy: 'see --help',
        details: {},
      });
      expect(doc.error.message).not.toContain('See more help with --help');
      expect(doc.error.errors).toHaveLength(1);
    }
  });
});

describe('an exception nobody expected is an internal error', () => {
  // Two throwaway commands on the real base class, run in their own process (as the
  // CLI runs) so that oclif's exit handling and output are the real ones.
  const script = `
import { handle } from ${JSON.stringify(pathToFileURL(createRequire(import.meta.url).resolve('@oclif/core')).href)};
import { AirgapCommand } from ${JSON.stringify(path.join(REPO_ROOT, 'src/cli/base-command.ts'))};
import { AirgapError } from ${JSON.stringify(path.join(REPO_ROOT, 'src/core/errors.ts'))};
class Boom extends AirgapCommand {
  static id = 'boom';
  async run() {
    const missing = undefined as unknown as { field: string };
    return missing.field;
  }
}
class Damaged extends AirgapCommand {
  static id = 'damaged';
  async run() {
    throw new AirgapError('FS_ERROR', 'cannot write /x', { path: '/x' }, 'free some space');
  }
}
const [which, ...argv] = process.argv.slice(2);
await (which === 'boom' ? Boom : Damaged).run(argv, ${JSON.stringify(REPO_ROOT)}).catch(handle);
`;
  let file: string;

  beforeAll(async () => {
    file = path.join(await makeTempDir(), 'commands.mts');
    await fs.writeFile(file, script);
  });

  function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', file, ...args],
        { cwd: REPO_ROOT, env: { PATH: process.env.PATH } },
        (error, stdout, stderr) => {
          const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
          if (code === null) reject(error ?? new Error('no exit code'));
          else resolve({ code, stdout, stderr });
        },
      );
    });
  }

  it('text: says internal error and asks for a report; exit 5', async () => {
    const r = await run(['boom']);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^Error: internal error: TypeError: Cannot read properties of undefined/);
    expect(r.stderr).toContain(`  Hint: ${REPORT_BUG}\n`);
  });

  it('--json: code INTERNAL, category internal, exit 5', async () => {
    const r = await run(['boom', '--json']);
    expect(r.code).toBe(5);
    const doc = parseJsonError(r.stdout);
    expect(doc.error.code).toBe('INTERNAL');
    expect(doc.error.category).toBe('internal');
    expect(doc.error.remedy).toBe(REPORT_BUG);
  });

  it("a typed error keeps its category's exit code and its thrower's remedy", async () => {
    const r = await run(['damaged']);
    expect(r.code).toBe(4);
    expect(r.stderr).toBe('Error: cannot write /x\n  Hint: free some space\n');
  });
});

describe('paths of the wrong kind are usage errors with their own message', () => {
  it('mirror --out naming a file: exit 2, nothing written', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'bundle');
    await fs.writeFile(file, 'not a directory');
    const lockfile = path.join(dir, '.terraform.lock.hcl');
    await fs.writeFile(lockfile, `provider "${HOST}/acme/widget" {\n  version = "1.0.0"\n}\n`);
    const r = await runCli(['mirror', '--lockfile', lockfile, '--out', file], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `Error: --out ${file} is a file; the bundle is a directory\n  Hint: pass a directory path to --out, or remove the file\n`,
    );
    expect(await fs.readFile(file, 'utf8')).toBe('not a directory');
  });

  it('export of a file, and export --tarball naming a directory: exit 2', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'f');
    await fs.writeFile(file, 'x');
    const r1 = await runCli(['export', file, '--tarball', path.join(dir, 't.tar')]);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toContain(`Error: ${file} is a file, not a bundle directory`);
    await fs.mkdir(path.join(dir, 'bundle'));
    const r2 = await runCli(['export', path.join(dir, 'bundle'), '--tarball', dir]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain(`Error: --tarball ${dir} is a directory`);
  });
});
