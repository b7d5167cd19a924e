// The command line as a gpg or skopeo user types it (issue 11, parsing), through the real
// CLI: flags before, between or after the positional argument; comma lists wherever a
// flag repeats, but never splitting a version constraint; `--tofu latest` against the test
// release server; help with groups and no empty default; `airgap version --json`;
// `airgap help CMD`; shell completion in a real bash; did-you-mean for commands and flags;
// outputs whose directory is missing, and --parents.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AIRGAP_BIN, runCli, type CliResult } from '../helpers/cli.js';
import { startReleaseServer, type ReleaseServer } from '../helpers/release-server/index.js';
import { makeTempDir } from '../helpers/tmp.js';
import { describeWithTools } from '../helpers/tools.js';
import { generateBundleSigningKey, makeTestBundle, type TestBundle } from '../helpers/transfer.js';

const run = promisify(execFile);
const PLATFORMS = ['linux_amd64', 'linux_arm64'];
const SIGNER = 'parsing signer';

let bundle: TestBundle;
let releases: ReleaseServer;
let work: string;
let env: Record<string, string>;
let publicKey: string;
let otherKey: string;
let privateKey: string;
let toolPackage: string;
/** The bundle, exported and signed. */
let signed: string;

/** A minimal archive shaped as `npm pack` makes it: what export checks, nothing to install. */
async function fakeToolPackage(dir: string): Promise<string> {
  const root = path.join(dir, 'tool-src');
  await fs.mkdir(path.join(root, 'package', 'bin'), { recursive: true });
  await fs.mkdir(path.join(root, 'package', 'dist', 'commands'), { recursive: true });
  await fs.writeFile(
    path.join(root, 'package', 'package.json'),
    JSON.stringify({ name: 'airgap', version: '0.1.0', bin: { airgap: 'bin/run.js' } }),
  );
  await fs.writeFile(path.join(root, 'package', 'bin', 'run.js'), '#!/usr/bin/env node\n');
  await fs.writeFile(path.join(root, 'package', 'dist', 'commands', 'verify.js'), 'export {};\n');
  const file = path.join(dir, 'airgap-0.1.0.tgz');
  await run('tar', ['-czf', file, '--sort=name', '--mtime=@0', '--owner=0', '--group=0', 'package'], {
    cwd: root,
  });
  return file;
}

beforeAll(async () => {
  const [b, key, other, r] = await Promise.all([
    makeTestBundle({
      providers: [
        { namespace: 'hashicorp', type: 'null', versions: ['3.2.1'], platforms: PLATFORMS, payloadSize: 64 },
      ],
      platforms: PLATFORMS,
      tofu: [],
    }),
    generateBundleSigningKey(SIGNER),
    generateBundleSigningKey('someone else'),
    startReleaseServer({
      tofu: { versions: ['1.8.5', '1.9.0', '1.10.0-rc1'], platforms: PLATFORMS },
      terraform: { versions: ['1.9.7', '1.9.8', '1.10.0-alpha20240606'], platforms: PLATFORMS },
    }),
  ]);
  bundle = b;
  releases = r;
  work = await makeTempDir('airgap-parsing-');
  publicKey = path.join(work, 'signer.pub.asc');
  otherKey = path.join(work, 'other.pub.asc');
  privateKey = path.join(work, 'signer.asc');
  await fs.writeFile(publicKey, key.publicKeyArmored);
  await fs.writeFile(otherKey, other.publicKeyArmored);
  await fs.writeFile(privateKey, key.privateKeyArmored);
  toolPackage = await fakeToolPackage(work);
  const cfg = path.join(work, 'cli.tfrc');
  await fs.writeFile(cfg, bundle.registry.cliConfigText());
  env = {
    TF_CLI_CONFIG_FILE: cfg,
    SSL_CERT_FILE: bundle.registry.caCertPath,
    SOURCE_DATE_EPOCH: '1764000000',
  };
  signed = path.join(work, 'signed.tar');
  const exported = await runCli(
    ['export', bundle.dir, '--tarball', signed, '--sign-key', privateKey, '--tool-package', toolPackage],
    { env },
  );
  expect(exported.code, exported.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await Promise.all([bundle?.close(), releases?.close()]);
});

/** Every placement of `positional` among `flags` (each a flag with its value, kept in order). */
function placements(positional: string, flags: string[][]): string[][] {
  return Array.from({ length: flags.length + 1 }, (_, at) => [
    ...flags.slice(0, at).flat(),
    positional,
    ...flags.slice(at).flat(),
  ]);
}

function lines(r: CliResult): string {
  return `exit ${r.code}\n${r.stderr}${r.stdout}`;
}

describe('flags and the positional argument in any order', () => {
  it('export: DIR first, between the flags, last, and with --flag=value', async () => {
    const flags = [
      ['--tarball', ''],
      ['--sign-key', privateKey],
      ['--tool-package', toolPackage],
    ];
    const outputs: string[] = [];
    const orders = placements(bundle.dir, flags);
    for (const [i, args] of orders.entries()) {
      const out = path.join(work, `order-${i}.tar`);
      const r = await runCli(['export', ...args.map((a) => (a === '' ? out : a)), '--quiet'], { env });
      expect(lines(r)).toMatch(/^exit 0\n/);
      outputs.push(r.stdout);
    }
    const eq = await runCli(
      [
        'export',
        `--tarball=${path.join(work, 'order-eq.tar')}`,
        `--sign-key=${privateKey}`,
        `--tool-package=${toolPackage}`,
        bundle.dir,
        '-q',
      ],
      { env },
    );
    outputs.push(eq.stdout);
    // The same bundle, key and time: the same bytes whatever the order.
    expect(outputs[0]).toMatch(/^Wrote \d+ files, \d+ bytes, signed by [0-9A-F]{40}; sha256 [0-9a-f]{64}\n$/);
    expect(new Set(outputs).size).toBe(1);
    expect(orders).toHaveLength(4);
    expect(await fs.readFile(path.join(work, 'order-0.tar'))).toEqual(await fs.readFile(signed));
  });

  it('verify: TARGET before, between and after repeatable flags (--trusted-key, --lockfile), as --flag=value too', async () => {
    const flags = [['--trusted-key', publicKey], ['--lockfile', bundle.lockfile], ['--all']];
    const results: string[] = [];
    for (const args of [
      ...placements(signed, flags),
      [`--trusted-key=${publicKey}`, `--lockfile=${bundle.lockfile}`, signed, '--all'],
      ['--trusted-key', publicKey, '--', signed],
    ]) {
      const r = await runCli(['verify', '--no-color', ...args], { env });
      results.push(lines(r));
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toContain('VERIFIED: ');
    }
    // The table is the same for every order that passes the same flags.
    expect(new Set(results.slice(0, 5)).size).toBe(1);
  });

  it('import: SOURCE first, between and after --dest and --trusted-key', async () => {
    const orders = placements(signed, [
      ['--dest', ''],
      ['--trusted-key', publicKey],
    ]);
    for (const [i, args] of orders.entries()) {
      const dest = path.join(work, `dest-${i}`);
      const r = await runCli(['import', ...args.map((a) => (a === '' ? dest : a)), '--quiet'], { env });
      expect(lines(r)).toMatch(
        new RegExp(
          `^exit 0\\nImported bundle [0-9a-f]{16} \\(created [^)]+\\) into ${dest} as generation 0001-[0-9a-f]{16}: 1 provider version\\(s\\), `,
        ),
      );
    }
    expect(orders).toHaveLength(3);
  });

  it('a missing positional says only that: no note about flag order', async () => {
    const r = await runCli(['verify', '--trusted-key', publicKey, '--lockfile', bundle.lockfile]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'Error: Missing 1 required arg:\ntarget  Tarball, FILE.000, bundle directory, or import destination; or\n        s3://BUCKET/KEY.\n  Hint: see --help\n',
    );
  });
});

describe('comma lists wherever a flag repeats', () => {
  it('verify --trusted-key A,B is --trusted-key A --trusted-key B', async () => {
    const tarball = signed;
    const comma = await runCli(['verify', tarball, '--trusted-key', `${otherKey},${publicKey}`, '--json'], {
      env,
    });
    const repeated = await runCli(
      ['verify', tarball, '--trusted-key', otherKey, '--trusted-key', publicKey, '--json'],
      { env },
    );
    expect(comma.code).toBe(0);
    expect(comma.stdout).toBe(repeated.stdout);
    // Only the other key: the signature check fails, so the list was read as two keys.
    const one = await runCli(['verify', tarball, '--trusted-key', otherKey, '--json'], { env });
    expect(one.code).toBe(1);
  });

  it('plan --platform linux_amd64,linux_arm64 is the repeated flag; --lockfile takes a comma list', async () => {
    const base = ['plan', '--out', path.join(work, 'plan-bundle'), '--json'];
    const comma = await runCli([...base, '--lockfile', bundle.lockfile, '--platform', PLATFORMS.join(',')], {
      env,
    });
    const repeated = await runCli(
      [...base, '--lockfile', bundle.lockfile, '--platform', PLATFORMS[0]!, '--platform', PLATFORMS[1]!],
      { env },
    );
    const one = await runCli([...base, '--lockfile', bundle.lockfile, '--platform', PLATFORMS[0]!], { env });
    expect(comma.code).toBe(10);
    expect(comma.stdout).toBe(repeated.stdout);
    expect(JSON.parse(comma.stdout).platforms).toEqual(PLATFORMS);
    expect(JSON.parse(one.stdout).platforms).toEqual([PLATFORMS[0]]);
    const second = path.join(work, 'second.terraform.lock.hcl');
    await fs.copyFile(bundle.lockfile, second);
    const lockList = await runCli([...base, '--lockfile', `${bundle.lockfile},${second}`], { env });
    expect(lockList.code).toBe(10);
    expect(
      (JSON.parse(lockList.stdout) as { items: { kind: string; subject: string }[] }).items
        .filter((i) => i.kind === 'lockfile')
        .map((i) => i.subject),
    ).toHaveLength(2);
  });

  it('--help shows the default of a list flag as a comma list, and says where a comma does not split', async () => {
    const r = await runCli(['mirror', '--help']);
    expect(r.stdout).toContain(
      '  --platform=<value>...     [default: linux_amd64,linux_arm64] OS_ARCH to mirror\n' +
        '                            (repeatable, or a comma list).\n',
    );
    expect(r.stdout.replace(/\s+/g, ' ')).toContain(
      '--tofu=<value>... OpenTofu version to bundle: 1.8.5, latest (the newest stable release), or a constraint such as "~> 1.8" or ">= 1.8, < 1.10" (repeatable; one version or constraint each time, commas included).',
    );
  });
});

describe('--tofu: latest, constraints with commas, and the syntax when unparsable', () => {
  function plan(extra: string[]): Promise<CliResult> {
    return runCli(['plan', '--out', path.join(work, 'tofu-plan'), ...extra, '--json'], { env });
  }

  function binaries(r: CliResult): string[] {
    const doc = JSON.parse(r.stdout) as { items: { kind: string; subject: string }[] };
    return doc.items.filter((i) => /^(tofu|terraform) /.test(i.subject)).map((i) => i.subject);
  }

  it('latest is the newest stable release: tofu 1.9.0 (1.10.0-rc1 is a prerelease), terraform 1.9.8', async () => {
    const r = await plan([...releases.mirrorArgs('tofu', 'latest'), '--platform', 'linux_amd64']);
    expect(r.code, r.stderr).toBe(10);
    expect(binaries(r)).toEqual(['tofu 1.9.0 linux_amd64']);
    const tf = await plan([...releases.mirrorArgs('terraform', 'latest'), '--platform', 'linux_amd64']);
    expect(tf.code, tf.stderr).toBe(10);
    expect(binaries(tf)).toEqual(['terraform 1.9.8 linux_amd64']);
  });

  it('">= 1.8, < 1.9" is one constraint: 1.8.5, not 1.8.5 and 1.9.0', async () => {
    const r = await plan([...releases.mirrorArgs('tofu', '>= 1.8, < 1.9'), '--platform', 'linux_amd64']);
    expect(r.code, r.stderr).toBe(10);
    expect(binaries(r)).toEqual(['tofu 1.8.5 linux_amd64']);
  });

  it('an unparsable value: exit 2, naming the flag, the value and the syntax', async () => {
    const r = await runCli(
      ['plan', '--out', path.join(work, 'tofu-plan'), ...releases.mirrorArgs('tofu', 'newest')],
      {
        env,
      },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^Error: --tofu "newest": [^\n]+; expected a version \(1\.8\.5\), latest, or constraints like "~> 1\.8", ">= 1\.6, < 1\.9"\n {2}Hint: operators: = != > >= < <= ~> \(one space after the operator, or none\); join constraints with ","\n$/,
    );
  });
});

describe('help', () => {
  const GROUPS: Record<string, string[]> = {
    export: [
      'ARGUMENTS',
      'S3 FLAGS',
      'DELTA FLAGS',
      'OUTPUT FLAGS',
      'DISPLAY FLAGS',
      'GLOBAL FLAGS',
      'DESCRIPTION',
      'EXAMPLES',
    ],
    import: [
      'ARGUMENTS',
      'SIGNATURES FLAGS',
      'DESTINATION FLAGS',
      'PUSH FLAGS',
      'REGISTRY ACCESS FLAGS',
      'S3 FLAGS',
      'DISPLAY FLAGS',
      'GLOBAL FLAGS',
      'DESCRIPTION',
      'EXAMPLES',
    ],
    init: [
      'INPUTS FLAGS',
      'PLATFORMS FLAGS',
      'OUTPUT FLAGS',
      'DISPLAY FLAGS',
      'GLOBAL FLAGS',
      'DESCRIPTION',
      'EXAMPLES',
    ],
    mirror: [
      'INPUTS FLAGS',
      'PLATFORMS FLAGS',
      'BINARIES FLAGS',
      'CONFIGS FLAGS',
      'IMAGE FLAGS',
      'REGISTRY ACCESS FLAGS',
      'S3 FLAGS',
      'OUTPUT FLAGS',
      'DISPLAY FLAGS',
      'GLOBAL FLAGS',
      'DESCRIPTION',
      'EXAMPLES',
    ],
    verify: [
      'ARGUMENTS',
      'INPUTS FLAGS',
      'SIGNATURES FLAGS',
      'S3 FLAGS',
      'DELTA FLAGS',
      'DISPLAY FLAGS',
      'GLOBAL FLAGS',
      'DESCRIPTION',
      'EXAMPLES',
    ],
    inventory: ['ARGUMENTS', 'SIGNATURES FLAGS', 'DISPLAY FLAGS', 'DESCRIPTION', 'EXAMPLES'],
    serve: [
      'ARGUMENTS',
      'SIGNATURES FLAGS',
      'SERVER FLAGS',
      'OUTPUT FLAGS',
      'DISPLAY FLAGS',
      'DESCRIPTION',
      'EXAMPLES',
    ],
    publish: [
      'ARGUMENTS',
      'PUBLISH FLAGS',
      'S3 FLAGS',
      'OUTPUT FLAGS',
      'DISPLAY FLAGS',
      'GLOBAL FLAGS',
      'DESCRIPTION',
      'EXAMPLES',
    ],
  };
  GROUPS.plan = GROUPS.mirror!;

  it.each(Object.keys(GROUPS))(
    '%s --help: flags in groups, in order, and no empty [default: ]',
    async (c) => {
      const r = await runCli([c, '--help']);
      expect(r.code).toBe(0);
      const headings = r.stdout.split('\n').filter((l) => /^[A-Z][A-Z0-9 ]*$/.test(l));
      expect(headings).toEqual(['USAGE', ...GROUPS[c]!]);
      expect(r.stdout).not.toContain('[default: ]');
      expect(r.stdout).not.toMatch(/\n\S*FLAGS\n {2}\S[^\n]*\n\nFLAGS\n/);
    },
  );

  it('import: the three pushes under PUSH FLAGS; a registry flag without any of them is refused, naming all three', async () => {
    const help = await runCli(['import', '--help']);
    const push = help.stdout.slice(
      help.stdout.indexOf('\nPUSH FLAGS\n'),
      help.stdout.indexOf('\nREGISTRY ACCESS FLAGS\n'),
    );
    expect([...push.matchAll(/^ {2}--([a-z-]+)=/gm)].map((m) => m[1])).toEqual([
      'push',
      'push-modules',
      'push-mount-from',
      'push-providers',
    ]);
    const r = await runCli(['import', 'bundle.tar', '--dest', 'd', '--registry-insecure']);
    expect(r.code).toBe(2);
    expect(r.stderr.replace(/\s*\u203a\s*/g, ' ')).toContain(
      'One of the following must be provided when using --registry-insecure: --push, --push-providers, --push-modules',
    );
  });

  it('airgap help verify, airgap verify --help and airgap verify -h print the same', async () => {
    const [a, b, c] = await Promise.all([
      runCli(['help', 'verify']),
      runCli(['verify', '--help']),
      runCli(['verify', '-h']),
    ]);
    expect([a.code, b.code, c.code]).toEqual([0, 0, 0]);
    expect(a.stdout.split('\n').slice(0, 4)).toEqual([
      'Verify a transfer tarball or bundle directory: signature, checksums, packages, lock files.',
      '',
      'USAGE',
      '  $ airgap verify TARGET [--json] [-q | -v] [--no-color]',
    ]);
    expect(b.stdout).toBe(a.stdout);
    expect(c.stdout).toBe(a.stdout);
  });
});

describe('airgap version', () => {
  it('--json: the tool, node and platform, exactly these keys', async () => {
    const r = await runCli(['version', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      architecture: `${process.platform}-${process.arch}`,
      cliVersion: 'airgap/0.1.0',
      nodeVersion: `node-${process.version}`,
    });
    const text = await runCli(['version']);
    expect(text.stdout).toBe(`airgap/0.1.0 ${process.platform}-${process.arch} node-${process.version}\n`);
  });
});

describeWithTools(['bash'], 'shell completion', () => {
  it('the bash setup line, and completions of commands and flags in a real bash', async () => {
    const home = await makeTempDir('airgap-home-');
    const script = await runCli(['autocomplete', 'script', 'bash'], { env: { HOME: home } });
    const setup = path.join(home, '.cache/airgap/autocomplete/bash_setup');
    expect(script.stdout).toBe(
      `\nAIRGAP_AC_BASH_SETUP_PATH=${setup} && test -f $AIRGAP_AC_BASH_SETUP_PATH && source $AIRGAP_AC_BASH_SETUP_PATH; # airgap autocomplete setup\n\n`,
    );
    const refresh = await runCli(['autocomplete', '--refresh-cache'], { env: { HOME: home } });
    expect(refresh.code).toBe(0);
    expect(existsSync(setup)).toBe(true);
    const complete = async (words: string[]): Promise<string> => {
      const { stdout } = await run(
        'bash',
        [
          '-c',
          `source "$1"; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; ` +
            '_airgap_autocomplete; echo "${COMPREPLY[*]}"',
          'bash',
          path.join(home, '.cache/airgap/autocomplete/functions/bash/airgap.bash'),
        ],
        { env: { PATH: process.env.PATH, HOME: home } },
      );
      return stdout;
    };
    expect(await complete(['airgap', 'ver'])).toBe('verify version\n');
    expect(await complete(['airgap', 'verify', '--trus'])).toBe('--trusted-key\n');
    expect(await complete(['airgap', 'mirror', '--pare'])).toBe('--parents\n');
  });
});

describe('did you mean', () => {
  it('a mistyped flag: exit 2 and the nearest flag in the hint, in text and --json', async () => {
    const r = await runCli(['verify', '--trusted-kye', publicKey, 'bundle.tar']);
    expect(lines(r)).toBe(
      'exit 2\nError: Nonexistent flag: --trusted-kye\n  Hint: did you mean --trusted-key? (see --help)\n',
    );
    const j = await runCli(['import', 'bundle.tar', '--dset', '/x', '--json']);
    expect(j.code).toBe(2);
    expect(JSON.parse(j.stdout).error).toMatchObject({
      code: 'USAGE',
      message: 'Nonexistent flag: --dset',
      remedy: 'did you mean --dest? (see --help)',
    });
    const far = await runCli(['verify', '--zzzz', 'bundle.tar']);
    expect(far.stderr).toBe('Error: Nonexistent flag: --zzzz\n  Hint: see --help\n');
  });

  it('a mistyped command, not on a terminal: named, exit 127', async () => {
    const r = await runCli(['verfy']);
    expect(r.code).toBe(127);
    expect(r.stderr).toBe(
      ' ›   Warning: verfy is not a airgap command.\n ›   Error: Run airgap help for a list of available commands.\n',
    );
  });
});

describeWithTools(['script'], 'did you mean, on a terminal', () => {
  it('airgap verfy asks "Did you mean verify?"; yes runs verify', async () => {
    const cmd = [process.execPath, AIRGAP_BIN, 'verfy'].map((a) => `'${a}'`).join(' ');
    // script(1) passes its stdin to the terminal: the answer waits there until the prompt reads it.
    const child = execFile('script', ['-qfec', cmd, '/dev/null'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' },
    });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('(Y/n)') && !child.stdin?.writableEnded) child.stdin?.end('y\r');
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const text = out.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    expect(text).toContain('Warning: verfy is not a airgap command.');
    expect(text).toContain('Did you mean verify? Yes');
    expect(text).toContain('Error: Missing 1 required arg:\r\ntarget  Tarball, FILE.000, bundle directory');
    expect(code).toBe(2);
  });
});

describe('an output whose directory is missing', () => {
  async function missing(): Promise<{ dir: string; gone: string }> {
    const dir = await makeTempDir('airgap-parents-');
    return { dir, gone: path.join(dir, 'no', 'such') };
  }

  it('mirror --out: exit 2 naming the flag and the directory, nothing made; --parents makes it', async () => {
    const { gone } = await missing();
    const out = path.join(gone, 'bundle');
    const args = ['mirror', '--lockfile', bundle.lockfile, '--platform', 'linux_amd64', '--out', out];
    const r = await runCli(args, { env });
    expect(lines(r)).toBe(
      `exit 2\nError: --out ${out}: the parent directory ${gone} does not exist\n` +
        `  Hint: create ${gone} first, or pass --parents to create it\n`,
    );
    expect(existsSync(path.dirname(gone))).toBe(false);
    const ok = await runCli([...args, '--parents', '--quiet'], { env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(existsSync(path.join(out, 'airgap.json'))).toBe(true);
  });

  it('import --dest, export --tarball, init --file: the same, with --json details', async () => {
    const { dir, gone } = await missing();
    const tarball = signed;
    const cases: [string[], string, string][] = [
      [['import', tarball, '--trusted-key', publicKey, '--dest'], '--dest', path.join(gone, 'airgap')],
      [['export', bundle.dir, '--tarball'], '--tarball', path.join(gone, 'b.tar')],
      [['init', '--file'], '--file', path.join(gone, 'airgap.yaml')],
    ];
    for (const [args, flag, target] of cases) {
      const r = await runCli([...args, target, '--json'], { env, cwd: dir });
      expect(r.code, flag).toBe(2);
      expect(JSON.parse(r.stdout).error).toEqual({
        code: 'USAGE',
        category: 'usage',
        message: `${flag} ${target}: the parent directory ${gone} does not exist`,
        remedy: `create ${gone} first, or pass --parents to create it`,
        details: { path: target, expected: `the directory ${gone}`, actual: 'missing' },
        errors: [expect.objectContaining({ code: 'USAGE' })],
      });
    }
    expect(await fs.readdir(dir)).toEqual([]);
    const init = await runCli(['init', '--file', path.join(gone, 'airgap.yaml'), '--parents', '--quiet'], {
      cwd: dir,
    });
    expect(init.code, init.stderr).toBe(0);
    const imported = await runCli(
      ['import', tarball, '--trusted-key', publicKey, '--dest', path.join(gone, 'airgap'), '--parents', '-q'],
      { env },
    );
    expect(imported.code, imported.stderr).toBe(0);
  });
});
