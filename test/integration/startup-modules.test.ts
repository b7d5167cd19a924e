// What each command loads at start: the run's own modules files are recorded by a
// loader hook (helpers/module-trace.ts), and the test pins exactly which of airgap's
// dependencies (package.json "dependencies") were loaded. A heavy dependency a run does
// not use (openpgp, undici, the AWS SDK, yaml, tar, yauzl, yazl, semver) costs its load
// time and memory at every start; these lists catch a static import that brings one back.
// --help reads oclif.manifest.json only: no command module is loaded for it.

import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runCli, type CliResult } from '../helpers/cli.js';
import { moduleTraceEnv, readModuleTrace, type LoadedModules } from '../helpers/module-trace.js';
import type { TestKey } from '../helpers/pgp.js';
import { REPO_ROOT } from '../helpers/realdata.js';
import { startServeProcess } from '../helpers/serve-process.js';
import { makeTempDir } from '../helpers/tmp.js';
import { describeWithTools } from '../helpers/tools.js';
import {
  fakeToolArchive,
  generateBundleSigningKey,
  makeTestBundle,
  packBundleForTest,
  type PackedBundle,
  type TestBundle,
} from '../helpers/transfer.js';

const pkg = JSON.parse(await fs.readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};
const DEPENDENCIES = new Set(Object.keys(pkg.dependencies));

let traces: string;

beforeAll(async () => {
  traces = await makeTempDir('airgap-trace-');
});

let runs = 0;
/** Runs the CLI recording what it loads; the result and airgap's dependencies among it. */
async function traced(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ result: CliResult; loaded: LoadedModules; dependencies: string[] }> {
  const file = path.join(traces, `run-${++runs}.txt`);
  const result = await runCli(args, { env: { ...env, ...moduleTraceEnv(file) } });
  const loaded = await readModuleTrace(file);
  return { result, loaded, dependencies: loaded.packages.filter((p) => DEPENDENCIES.has(p)) };
}

describe('--version and --help load no command', () => {
  it('--version: @oclif/core alone, nothing of dist/', async () => {
    const { result, loaded, dependencies } = await traced(['--version']);
    expect(result.code).toBe(0);
    expect(dependencies).toEqual(['@oclif/core']);
    expect(loaded.dist).toEqual([]);
    // The trace really records: oclif's own files are in it.
    expect(loaded.packages).toContain('@oclif/core');
  });

  it.each(['mirror', 'plan', 'init', 'import', 'export', 'verify', 'serve', 'publish', 'inventory'])(
    '%s --help: the help class only (no command module, no service)',
    async (command) => {
      const { result, loaded, dependencies } = await traced([command, '--help']);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`$ airgap ${command}`);
      expect(dependencies).toEqual(['@oclif/core']);
      expect(loaded.dist).toEqual(['cli/help.js']);
    },
  );
});

describeWithTools(['tar'], 'real runs load what they use', () => {
  let bundle: TestBundle;
  let key: TestKey;
  let keyFile: string;
  let packed: PackedBundle;
  let work: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    [bundle, key] = await Promise.all([makeTestBundle({ tofu: [] }), generateBundleSigningKey()]);
    work = await makeTempDir('airgap-startup-');
    keyFile = path.join(work, 'signer.asc');
    await fs.writeFile(keyFile, key.publicKeyArmored);
    packed = await packBundleForTest(bundle.dir, { signKey: key });
    const cliConfig = path.join(work, 'cli.tfrc');
    await fs.writeFile(cliConfig, bundle.registry.cliConfigText());
    env = { TF_CLI_CONFIG_FILE: cliConfig, SSL_CERT_FILE: bundle.registry.caCertPath };
  }, 120_000);

  afterAll(async () => {
    await bundle?.close();
  });

  it('mirror with every package already in the bundle: no openpgp, undici, yaml, tar or zip library', async () => {
    const { result, dependencies } = await traced(
      ['mirror', '--lockfile', bundle.lockfile, '--out', bundle.dir, '--platform', 'linux_amd64,linux_arm64'],
      env,
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('0 package(s) downloaded (0.0 MB), 2 cached');
    expect(dependencies).toEqual(['@oclif/core']);
  });

  it('mirror downloading the packages: undici (its pools, not its index), openpgp and yauzl; no module, S3, OCI push or image code', async () => {
    const { result, loaded, dependencies } = await traced(
      [
        'mirror',
        '--lockfile',
        bundle.lockfile,
        '--out',
        path.join(work, 'fresh'),
        '--platform',
        'linux_amd64,linux_arm64',
      ],
      env,
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('2 package(s) downloaded');
    // yauzl: these small test packages are digested from the file once downloaded.
    expect(dependencies).toEqual(['@oclif/core', 'openpgp', 'undici', 'yauzl']);
    // undici's index would load all of undici (fetch, WebSocket, mocks, caches, interceptors).
    const undiciDirs = new Set(
      loaded.packageFiles.filter((f) => f.startsWith('undici/')).map((f) => path.posix.dirname(f)),
    );
    expect([...undiciDirs].sort()).toEqual([
      'undici/lib/api',
      'undici/lib/core',
      'undici/lib/dispatcher',
      'undici/lib/handler',
      'undici/lib/llhttp',
      'undici/lib/util',
    ]);
    expect(
      loaded.dist.filter((f) =>
        /^(adapters\/s3\/|adapters\/registry\/module-registry-client|services\/(image|export|import|publish)\/|services\/mirror\/(runner-image|modules\/|stages\/modules))/.test(
          f,
        ),
      ),
    ).toEqual([]);
  });

  it('plan of the same: the same', async () => {
    const { result, dependencies } = await traced(
      ['plan', '--lockfile', bundle.lockfile, '--out', bundle.dir, '--platform', 'linux_amd64,linux_arm64'],
      env,
    );
    expect(result.code).toBe(0);
    expect(dependencies).toEqual(['@oclif/core']);
  });

  it('verify of a signed tarball: openpgp for the signature; the zips are read on worker threads (yauzl there, not here)', async () => {
    const { result, loaded, dependencies } = await traced(['verify', packed.file, '--trusted-key', keyFile]);
    expect(result.code).toBe(0);
    expect(dependencies).toEqual(['@oclif/core', 'openpgp']);
    expect(loaded.dist).toContain('adapters/workers/zip-hash-pool.js');
    expect(loaded.dist.filter((f) => f.startsWith('adapters/archive/zip-'))).toEqual([]);
  });

  it('export without --sign-key: tar, and no openpgp', async () => {
    const toolPackage = path.join(work, 'airgap-0.1.0.tgz');
    await fs.writeFile(toolPackage, fakeToolArchive());
    const { result, dependencies } = await traced([
      'export',
      bundle.dir,
      '--tarball',
      path.join(work, 'unsigned.tar'),
      '--tool-package',
      toolPackage,
    ]);
    expect(result.code).toBe(0);
    expect(dependencies).toEqual(['@oclif/core', 'tar']);
  });

  it('import of a signed tarball, then serve of the import destination', async () => {
    const dest = path.join(work, 'dest');
    const imported = await traced(['import', packed.file, '--dest', dest, '--trusted-key', keyFile]);
    expect(imported.result.code).toBe(0);
    // No push asked for: no HTTP client (undici), no AWS SDK; openpgp for the signature.
    expect(imported.dependencies).toEqual(['@oclif/core', 'openpgp']);
    // Nor the push code (OCI clients, pushes and their planning), loaded for --push* alone.
    expect(imported.loaded.dist.filter((f) => /^(services\/import\/push-|adapters\/oci\/)/.test(f))).toEqual(
      [],
    );

    const file = path.join(traces, 'serve.txt');
    const served = await startServeProcess(
      [dest, '--self-signed', '--listen', '127.0.0.1:0', '--insecure-skip-signature', '--out', work],
      { env: moduleTraceEnv(file) },
    );
    expect(await served.stop()).toBe(0);
    const loaded = await readModuleTrace(file);
    expect(loaded.packages.filter((p) => DEPENDENCIES.has(p))).toEqual(['@oclif/core']);
  });
});
