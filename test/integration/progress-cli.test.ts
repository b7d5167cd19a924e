// What a person sees while airgap works, through the real executable: the progress bar
// (bytes, rate, ETA, packages done/failed/total) and each stage's own bar, colours on
// a terminal and nowhere else, --quiet and --verbose, Ctrl-C, --concurrency, and Range
// resumes. Terminal cases run under a real pseudo-terminal (util-linux script(1)).

import { execFileSync, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEMP_PREFIX } from '../../src/core/layout/names.js';
import { formatBytes } from '../../src/cli/reporter.js';
import { writeBaseImageLayout } from '../helpers/base-image.js';
import { AIRGAP_BIN, runCli, type CliResult } from '../helpers/cli.js';
import { startTestRegistry, type TestPackage, type TestRegistry } from '../helpers/registry/index.js';
import { makeTempDir } from '../helpers/tmp.js';
import { describeWithTools } from '../helpers/tools.js';
import { fakeToolArchive, makeTestBundle, TEST_BUNDLE_EPOCH, type TestBundle } from '../helpers/transfer.js';

const HOST = 'registry.airgap.test';
const PLATFORMS = ['linux_amd64', 'linux_arm64', 'darwin_arm64'];
const NO_ESCAPE = /\x1b\[/;

let registry: TestRegistry;
let cliConfig: string;
let lockfile: string;

beforeAll(async () => {
  registry = await startTestRegistry({
    providers: [
      { namespace: 'acme', type: 'widget', versions: ['1.0.0'], platforms: PLATFORMS, payloadSize: 8000 },
      { namespace: 'acme', type: 'gadget', versions: ['2.0.0'], platforms: PLATFORMS, payloadSize: 8000 },
    ],
    // package_size in the download documents: the bar's byte total is known before the bodies.
    packagesExtension: true,
  });
  const dir = await makeTempDir('airgap-progress-');
  cliConfig = path.join(dir, 'cli.tfrc');
  await fs.writeFile(cliConfig, registry.cliConfigText());
  lockfile = path.join(dir, '.terraform.lock.hcl');
  await fs.writeFile(
    lockfile,
    `provider "${HOST}/acme/widget" {\n  version = "1.0.0"\n}\n\nprovider "${HOST}/acme/gadget" {\n  version = "2.0.0"\n}\n`,
  );
});

afterAll(async () => {
  await registry?.close();
});

const ENV = (): Record<string, string> => ({
  TF_CLI_CONFIG_FILE: cliConfig,
  SSL_CERT_FILE: registry.caCertPath,
});

function pkg(type: string, platform: string): TestPackage {
  const p = registry.packages.find((x) => x.type === type && x.platform === platform);
  if (p === undefined) throw new Error(`no test package ${type} ${platform}`);
  return p;
}

/** Temp files mirror is writing below `root` right now (sync: called from the pty's data handler). */
function partialFiles(root: string): number {
  let names: string[];
  try {
    names = readdirSync(root, { recursive: true, encoding: 'utf8' });
  } catch {
    return 0;
  }
  return names.filter((n) => path.basename(n).startsWith(TEMP_PREFIX)).length;
}

function zipPath(out: string, p: TestPackage): string {
  return path.join(out, 'providers', HOST, 'acme', p.type, p.filename);
}

async function outDir(): Promise<string> {
  return path.join(await makeTempDir('airgap-progress-out-'), 'bundle');
}

function mirrorArgs(out: string, extra: string[] = []): string[] {
  return [
    'mirror',
    '--lockfile',
    lockfile,
    '--out',
    out,
    ...PLATFORMS.flatMap((p) => ['--platform', p]),
    ...extra,
  ];
}

interface PtyRun {
  code: number | null;
  /** Everything the terminal received, escape sequences included. */
  out: string;
}

/**
 * Runs airgap on a real pseudo-terminal (script -qfec), as a person at a terminal would.
 * `watch` sees the output as it grows, with the airgap process's group id (its pid: script
 * makes it a session leader) to send a signal to, as the terminal does on Ctrl-C.
 */
function pty(
  args: string[],
  env: Record<string, string>,
  watch?: (out: string, pgid: () => number) => void,
): Promise<PtyRun> {
  const cmd = [process.execPath, AIRGAP_BIN, ...args].map((a) => `'${a}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const pgid = (): number => {
      const line = execFileSync('ps', ['-o', 'pgid=', '--ppid', String(child.pid)])
        .toString()
        .trim();
      return Number(line.split(/\s+/)[0]);
    };
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      watch?.(out, pgid);
    });
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

/** The bar as last drawn: the text after the last "\r\x1b[2K" of the line it ends. */
function lastBar(out: string): string {
  const bars = out.split('\r\x1b[2K').filter((s) => s.startsWith('['));
  return (bars.at(-1) ?? '').split(/\r?\n/)[0]!;
}

describe('--concurrency', () => {
  it('downloads at most N packages at once: 6 packages, --concurrency 2, never more than 2 bodies in flight', async () => {
    registry.clearFaults();
    registry.addFault({ match: /\.zip$/, kind: 'slow-body', bytesPerSecond: 40_000 });
    registry.resetInFlight();
    try {
      const r = await runCli(mirrorArgs(await outDir(), ['--concurrency', '2', '--json']), { env: ENV() });
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).packagesDownloaded).toBe(6);
    } finally {
      registry.clearFaults();
    }
    expect(registry.inFlight.maxPackages).toBe(2);
  });
});

describe('resuming a download cut mid-body', () => {
  it('asks for the rest with Range and If-Range, and stores the exact bytes', async () => {
    const p = pkg('widget', 'linux_amd64');
    registry.clearFaults();
    registry.addFault({ match: p.filename, kind: 'reset-mid-body', at: 3000, times: 1 });
    const before = registry.requests.length;
    const out = await outDir();
    try {
      const r = await runCli(mirrorArgs(out, ['--json']), { env: ENV() });
      expect(r.code).toBe(0);
    } finally {
      registry.clearFaults();
    }
    const asked = registry.requests.slice(before).filter((q) => q.path.endsWith(p.filename));
    expect(asked.map((q) => [q.status, q.headers.range, q.headers['if-range']])).toEqual([
      [200, undefined, undefined],
      [206, 'bytes=3000-', `"${p.sha256.slice(0, 32)}"`],
    ]);
    expect((await fs.readFile(zipPath(out, p))).equals(await fs.readFile(p.path))).toBe(true);
  });
});

describe('packages already in the bundle', () => {
  it('get no line each by default, one with --verbose; text and --json both call them cached', async () => {
    const out = await outDir();
    expect((await runCli(mirrorArgs(out), { env: ENV() })).code).toBe(0);

    const again = await runCli(mirrorArgs(out), { env: ENV() });
    expect(again.code).toBe(0);
    expect(again.stderr.split('\n').filter((l) => /cached|present/.test(l))).toEqual([]);
    expect(again.stdout.split('\n')[0]).toBe(
      'Mirrored 2 provider version(s): 0 package(s) downloaded (0.0 MB), 6 cached (already in the bundle), 0 skipped.',
    );

    const verbose = await runCli(mirrorArgs(out, ['--verbose']), { env: ENV() });
    const lines = verbose.stderr.split('\n').filter((l) => l.startsWith('cached '));
    const p = pkg('gadget', 'darwin_arm64');
    expect(lines).toHaveLength(6);
    expect(lines).toContain(`cached   ${HOST}/acme/gadget 2.0.0 darwin_arm64 (${formatBytes(p.size)})`);

    const json = JSON.parse((await runCli(mirrorArgs(out, ['--json']), { env: ENV() })).stdout);
    expect(json.packagesCached).toBe(6);
    expect(json.providers[0].packages[0].status).toBe('cached');
  });
});

describe('--quiet and --verbose', () => {
  it('--quiet prints only the final line; errors still come', async () => {
    const r = await runCli(mirrorArgs(await outDir(), ['--quiet']), { env: ENV() });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      `Mirrored 2 provider version(s): 6 package(s) downloaded (${(registry.packages.reduce((n, p) => n + p.size, 0) / 1e6).toFixed(1)} MB), 0 cached (already in the bundle), 0 skipped.\n`,
    );
    const bad = await runCli(['mirror', '--lockfile', path.join(lockfile, 'nope'), '--quiet'], {
      env: ENV(),
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^Error: /);
  });

  it('--verbose prints every request: method, URL and status', async () => {
    const before = registry.requests.length;
    const r = await runCli(mirrorArgs(await outDir(), ['--verbose']), { env: ENV() });
    expect(r.code).toBe(0);
    const logged = r.stderr.split('\n').filter((l) => /^GET https:/.test(l));
    const served = registry.requests.slice(before).map((q) => `GET ${registry.url}${q.path} -> ${q.status}`);
    expect(logged.sort()).toEqual(served.sort());
    expect(logged).toContain(`GET ${registry.url}/v1/providers/acme/widget/versions -> 200`);
  });

  it('--quiet and --verbose together are a usage error', async () => {
    const r = await runCli(mirrorArgs(await outDir(), ['--quiet', '--verbose']), { env: ENV() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--verbose=true cannot also be provided when using --quiet');
  });
});

describe('SIGTERM', () => {
  it('prints one line and exits 143', async () => {
    registry.clearFaults();
    registry.addFault({ match: /\.zip$/, kind: 'slow-body', bytesPerSecond: 2_000 });
    try {
      const child = spawn(
        process.execPath,
        [AIRGAP_BIN, ...mirrorArgs(await outDir(), ['--concurrency', '1'])],
        {
          env: { PATH: process.env.PATH, HOME: process.env.HOME, ...ENV() },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const sent = setInterval(() => {
        if (registry.inFlight.packages === 1) {
          clearInterval(sent);
          child.kill('SIGTERM');
        }
      }, 20);
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      clearInterval(sent);
      expect(code).toBe(143);
      expect(stderr.trimEnd().split('\n').at(-1)).toBe(
        'Stopped by SIGTERM: airgap mirror stopped while downloading 1 package (0 of 6 done); run the same command again to resume: finished packages are kept.',
      );
    } finally {
      registry.clearFaults();
    }
  });
});

describeWithTools(['script', 'ps'], 'on a terminal', () => {
  it('draws one bar with bytes done of the total, rate and ETA, and packages done of all', async () => {
    registry.clearFaults();
    registry.addFault({ match: /\.zip$/, kind: 'slow-body', bytesPerSecond: 16_000 });
    let r: PtyRun;
    try {
      r = await pty(mirrorArgs(await outDir(), ['--concurrency', '2']), ENV());
    } finally {
      registry.clearFaults();
    }
    expect(r.code).toBe(0);
    const total = formatBytes(registry.packages.reduce((n, p) => n + p.size, 0));
    // A bar while bodies come in: bytes against the total the download documents stated.
    expect(r.out).toMatch(
      new RegExp(
        `\\r\\x1b\\[2K\\[#*-+\\] [0-5]/6 packages  [\\d.]+ k?B/${total.replace('.', '\\.')}  [\\d.]+ k?B/s  ETA \\d+:\\d\\d`,
      ),
    );
    expect(lastBar(r.out)).toBe(`[########################] 6/6 packages  ${total}/${total}`);
    expect(r.out).not.toMatch(/ 0\/0 /);
    expect(r.out).toContain('Mirrored 2 provider version(s): 6 package(s) downloaded');
  });

  it('never fills the bar when a package failed, and paints FAILED, Warning and Error red and yellow', async () => {
    const bad = pkg('gadget', 'linux_arm64');
    registry.clearFaults();
    registry.addFault({ match: bad.filename, kind: 'tamper-package' });
    let r: PtyRun;
    try {
      r = await pty(
        mirrorArgs(await outDir(), ['--platform', 'windows_amd64', '--skip-missing-platforms']),
        ENV(),
      );
    } finally {
      registry.clearFaults();
    }
    expect(r.code).toBe(1);
    // 8 packages: 5 downloaded, 2 skipped (no windows_amd64 builds), 1 failed: 7 of 8 finished.
    expect(lastBar(r.out)).toMatch(
      /^\[#####################---\] 7\/8 packages, 1 \x1b\[31mFAILED\x1b\[39m {2}[\d.]+ kB\/[\d.]+ kB$/,
    );
    expect(r.out).toContain(`\x1b[31mFAILED\x1b[39m   ${HOST}/acme/gadget 2.0.0 linux_arm64\r\n`);
    expect(r.out).toContain(`\x1b[33mWarning:\x1b[39m skipping: the registry lists no windows_amd64 package`);
    expect(r.out).toContain('\x1b[31mError:\x1b[39m ');
  });

  it('uses no colour with NO_COLOR or --no-color, and none when not on a terminal', async () => {
    const bad = pkg('gadget', 'linux_arm64');
    registry.clearFaults();
    registry.addFault({ match: bad.filename, kind: 'tamper-package' });
    try {
      const noColorEnv = await pty(mirrorArgs(await outDir()), { ...ENV(), NO_COLOR: '1' });
      const noColorFlag = await pty(mirrorArgs(await outDir(), ['--no-color']), ENV());
      for (const r of [noColorEnv, noColorFlag]) {
        expect(r.code).toBe(1);
        expect(r.out).toContain(`\r\x1b[2KFAILED   ${HOST}/acme/gadget 2.0.0 linux_arm64\r\n`);
        expect(r.out).toContain('\r\nError: ');
        // The bar still redraws in place; only colour is gone.
        expect(r.out.replace(/\r\x1b\[2K/g, '')).not.toMatch(NO_ESCAPE);
      }
      const piped: CliResult = await runCli(mirrorArgs(await outDir()), { env: ENV() });
      expect(piped.code).toBe(1);
      expect(piped.stderr).toContain(`FAILED   ${HOST}/acme/gadget 2.0.0 linux_arm64\n`);
      expect(piped.stderr + piped.stdout).not.toMatch(NO_ESCAPE);
    } finally {
      registry.clearFaults();
    }
  });

  it('Ctrl-C prints one line and exits 130; the same command again resumes and completes', async () => {
    const out = await outDir();
    registry.clearFaults();
    registry.addFault({ match: /\.zip$/, kind: 'slow-body', bytesPerSecond: 1_000 });
    let r: PtyRun;
    try {
      let sent = false;
      r = await pty(mirrorArgs(out, ['--concurrency', '2']), ENV(), (text, pgid) => {
        // Both download slots busy, both partial files on disk and the bar drawn: then the
        // person presses Ctrl-C. (The files, not only the server's count: on a loaded machine
        // the second response can be in flight before mirror has opened its file.)
        if (sent || registry.inFlight.packages !== 2 || !text.includes(' packages')) return;
        if (partialFiles(path.join(out, 'providers')) !== 2) return;
        sent = true;
        process.kill(-pgid(), 'SIGINT');
      });
    } finally {
      registry.clearFaults();
    }
    expect(r.code).toBe(130);
    const lines = r.out.split(/\r?\n/);
    expect(lines.at(-2)!.split('\r\x1b[2K').at(-1)).toBe(
      'Interrupted: airgap mirror stopped while downloading 2 packages (0 of 6 done); run the same command again to resume: finished packages are kept.',
    );

    const again = await runCli(mirrorArgs(out), { env: ENV() });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('removed 2 partial file(s) left by an earlier run');
    for (const p of registry.packages)
      expect((await fs.readFile(zipPath(out, p))).equals(await fs.readFile(p.path))).toBe(true);
  });
});

describeWithTools(['script'], 'each stage has its own bar on a terminal', () => {
  let bundle: TestBundle;
  let work: string;
  let tool: string;

  beforeAll(async () => {
    bundle = await makeTestBundle();
    work = await makeTempDir('airgap-progress-stages-');
    tool = path.join(work, 'airgap-0.1.0.tgz');
    await fs.writeFile(tool, fakeToolArchive());
  });

  afterAll(async () => {
    await bundle?.close();
  });

  /** The bar's last state for `label`, as the line it was left on. */
  function finalBar(out: string, label: string): string | undefined {
    return out
      .split('\r\x1b[2K')
      .filter((s) => s.includes(`] ${label}  `))
      .at(-1)
      ?.split(/\r?\n/)[0];
  }

  it('export counts the tar bytes written, verify and import the tarball bytes read, each against its total', async () => {
    const tarball = path.join(work, 'b.tar');
    const exported = await pty(['export', bundle.dir, '--tarball', tarball, '--tool-package', tool], {
      SOURCE_DATE_EPOCH: String(TEST_BUNDLE_EPOCH),
    });
    expect(exported.code).toBe(0);
    const size = formatBytes((await fs.stat(tarball)).size);
    expect(finalBar(exported.out, 'packing b.tar')).toBe(
      `[########################] packing b.tar  ${size}/${size}`,
    );

    const verified = await pty(
      ['verify', tarball, '--insecure-skip-signature', '--tofu-key', bundle.releases.publicKeyPath],
      {},
    );
    expect(verified.code).toBe(0);
    expect(finalBar(verified.out, 'verifying b.tar')).toBe(
      `[########################] verifying b.tar  ${size}/${size}`,
    );
    // The table's status words, painted on a terminal (only rows not ok are listed: a warning).
    expect(verified.out).toContain('\r\n\x1b[33mwarning\x1b[39m ');
    expect(verified.out).toContain('\r\n\x1b[32mVERIFIED:\x1b[39m ');

    const imported = await pty(
      ['import', tarball, '--dest', path.join(work, 'dest'), '--insecure-skip-signature'],
      {},
    );
    expect(imported.code).toBe(0);
    expect(finalBar(imported.out, 'importing b.tar')).toBe(
      `[########################] importing b.tar  ${size}/${size}`,
    );
    for (const r of [exported, verified, imported]) expect(r.out).not.toContain(' 0 B/0 B');
  });

  it('the image build counts base layer bytes fetched and runner layer bytes written, against their totals', async () => {
    const base = await writeBaseImageLayout(path.join(work, 'base'));
    const cfg = path.join(work, 'image-cli.tfrc');
    await fs.writeFile(cfg, bundle.registry.cliConfigText());
    const out = path.join(work, 'image-bundle');
    const r = await pty(
      [
        'mirror',
        '--lockfile',
        bundle.lockfile,
        '--out',
        out,
        '--platform',
        'linux_amd64',
        '--platform',
        'linux_arm64',
        ...bundle.releases.mirrorArgs('tofu', '1.8.5'),
        '--ca-cert',
        bundle.registry.caCertPath,
        '--image',
        '--base-image',
        base.reference,
      ],
      { TF_CLI_CONFIG_FILE: cfg, SOURCE_DATE_EPOCH: String(TEST_BUNDLE_EPOCH) },
    );
    expect(r.code).toBe(0);
    const baseBytes = formatBytes(
      Object.values(base.images)
        .flatMap((i) => i.layers)
        .reduce((n, l) => n + l.size, 0),
    );
    expect(finalBar(r.out, 'fetching base layers')).toBe(
      `[########################] fetching base layers  ${baseBytes}/${baseBytes}`,
    );
    // Our layer is each image manifest's last: its size as written is what the bar counted up to.
    const blobs = path.join(out, 'image', 'blobs', 'sha256');
    const layers = new Map<string, number>();
    const walk = async (digest: string): Promise<void> => {
      const doc = JSON.parse(await fs.readFile(path.join(blobs, digest.slice('sha256:'.length)), 'utf8')) as {
        manifests?: { digest: string }[];
        layers?: { digest: string; size: number }[];
      };
      for (const m of doc.manifests ?? []) await walk(m.digest);
      const ours = doc.layers?.at(-1);
      if (ours !== undefined) layers.set(ours.digest, ours.size);
    };
    const top = JSON.parse(await fs.readFile(path.join(out, 'image', 'index.json'), 'utf8')) as {
      manifests: { digest: string }[];
    };
    for (const m of top.manifests) await walk(m.digest);
    expect(layers.size).toBe(2);
    const written = [...layers.values()].reduce((n, size) => n + size, 0);
    expect(finalBar(r.out, 'writing the image layers')).toBe(
      `[########################] writing the image layers  ${formatBytes(written)}/${formatBytes(written)}`,
    );
  });
});
