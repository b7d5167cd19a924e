// `airgap init` through the built CLI, in temp directories holding copies of real lock
// files (fixtures/realdata/lockfiles): the exact file written, that parseSpec and the
// JSON Schema accept it, that its lockfiles entries name the files found, the --json
// result, and every refusal with its exit code.
import { copyFile, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { expandLockfilePatterns } from '../../src/adapters/fs/lockfile-patterns.js';
import { parseSpec } from '../../src/core/spec/parse.js';
import { runCli } from '../helpers/cli.js';
import { REPO_ROOT, realdata } from '../helpers/realdata.js';
import { makeTempDir } from '../helpers/tmp.js';

const LOCK = '.terraform.lock.hcl';
const schema = JSON.parse(await readFile(path.join(REPO_ROOT, 'docs/airgap.schema.json'), 'utf8')) as object;
const validate = new Ajv({ allErrors: true }).compile(schema);

/** Copies a real lock file (or writes text) to root/rel. */
async function put(root: string, rel: string, from: { real: string } | { text: string }): Promise<void> {
  const to = path.join(root, rel);
  await mkdir(path.dirname(to), { recursive: true });
  if ('real' in from) await copyFile(realdata('lockfiles', from.real), to);
  else await writeFile(to, from.text);
}

const TOFU_A = { real: 'd13r__infra__tofu__terraform.lock.hcl' };
const TOFU_B = { real: 'cosmaname__cka-kubeadm__terraform.lock.hcl' };
const TOFU_C = { real: 'Taiki130__ecsexec__tofu__terraform.lock.hcl' };
const TF_A = { real: 'caius__cv__terraform__terraform.lock.hcl' };
const TF_B = { real: '0xMNT__terraform-hcloud__terraform.lock.hcl' };

/** stacks/ of tofu lock files, with what the search must leave out beside them. */
async function workspace(): Promise<string> {
  const root = await makeTempDir('airgap-init-');
  await put(root, `stacks/app/${LOCK}`, TOFU_A);
  await put(root, 'stacks/app/.opentofu-version', { text: '1.8.5\n' });
  await put(root, `stacks/db/${LOCK}`, TOFU_B);
  await put(root, 'stacks/db/.opentofu-version', { text: '# pinned by tofuenv\n~> 1.8\n' });
  await put(root, 'stacks/db/.terraform-version', { text: 'latest\n' });
  await put(root, `with space/[x]/${LOCK}`, TOFU_C);
  // Left out: .terraform/, node_modules/, a bundle airgap mirror wrote, a link out of the tree.
  await put(root, `stacks/db/.terraform/${LOCK}`, TF_A);
  await put(root, `node_modules/m/${LOCK}`, TF_A);
  await put(root, 'bundle/airgap.json', { text: '{}' });
  await put(root, `bundle/lockfiles/stacks/app/${LOCK}`, TOFU_A);
  const outside = await makeTempDir();
  await put(outside, `x/${LOCK}`, TF_B);
  await symlink(outside, path.join(root, 'stacks/outside'));
  return root;
}

const GOLDEN = `# airgap.yaml: what crosses the air gap. \`airgap mirror\` reads it from this directory
# (or -f FILE); a flag given on the command line wins for that run. Paths are relative
# to this file. docs/SPEC-FORMAT.md describes every key; lines like "#key: value" are
# examples: delete the "#" to use one.
# Secrets never go here: registry tokens come from TF_TOKEN_<host> or the CLI config
# (tofu login), image registry logins from the docker config (docker login), the
# signing key's passphrase from AIRGAP_SIGN_PASSPHRASE.
# Editors complete and check this file with docs/airgap.schema.json: add the line
# "# yaml-language-server: $schema=PATH" at the top.
apiVersion: airgap/v1

# Short provider addresses (hashicorp/aws) mean this registry: registry.opentofu.org
# is what tofu reads them as, registry.terraform.io what terraform does.
defaultRegistry: registry.opentofu.org

# The platforms (OS_ARCH) of the machines on the isolated side.
platforms:
  - linux_amd64
  - linux_arm64

# Lock files whose providers are mirrored, for every platform above. Globs
# (stacks/**/.terraform.lock.hcl) and directories (stacks/: every lock file below)
# work too.
# Found 3, naming 8 provider(s):
# - registry.opentofu.org/carlpett/sops
# - registry.opentofu.org/cloudflare/cloudflare
# - registry.opentofu.org/hashicorp/aws
# - registry.opentofu.org/hetznercloud/hcloud
# - registry.opentofu.org/integrations/github
# - registry.opentofu.org/opentofu/aws
# - registry.opentofu.org/opentofu/null
# - registry.opentofu.org/opentofu/random
lockfiles:
  - stacks/app/.terraform.lock.hcl
  - stacks/db/.terraform.lock.hcl
  - "with space/?x?/.terraform.lock.hcl"

# Providers to carry without a lock file: each constraint mirrors its newest match
# (all: true mirrors every match); the bundle gets a lock file for them.
#providers:
#  hashicorp/aws: ["~> 5.0"]
#  hashicorp/random:
#    versions: [">= 3.5"]
#    all: true

# In-house provider packages, a zip or an executable per platform.
#localProviders:
#  - source: registry.example.com/myorg/thing
#    version: 1.0.0
#    platform: linux_amd64
#    path: dist/terraform-provider-thing_1.0.0_linux_amd64.zip

# tofu and terraform releases to bundle, checked against the vendors' release keys.
# Left out terraform "latest": not a version or constraint.
binaries:
  tofu: ["1.8.5", "~> 1.8"]

# The runner image, built without Docker into the bundle (an OCI image layout).
#image:
#  base: public.ecr.aws/spacelift/runner-terraform:latest
#  caCertificates: [certs/corp.pem]

# The configuration generated for the isolated side.
configs:
  workflowTool: tofu
#  mirrorPath: /providers
#  allowDirect: ["registry.example.com/*/*"]

# Where the bundle goes, and how it is packed for the transfer.
output:
  dir: bundle
#  tarball: bundle.tar
#  compress: gzip
#  splitSize: 4G
#  signKey: keys/signing-key.asc

# Extra CA certificates to trust when reaching registries.
#registries:
#  caCertificates: [certs/corp.pem]
`;

const NEXT = 'Next: review it, run `airgap plan` to see what would cross, then `airgap mirror`.\n';

describe('airgap init', () => {
  it('writes airgap.yaml from the lock files below the working directory', async () => {
    const root = await workspace();
    const r = await runCli(['init'], { cwd: root });
    expect(r.stderr).toBe('left out bundle/: a bundle (it holds airgap.json), whose lock files are copies\n');
    expect(r.stdout).toBe(
      'Wrote airgap.yaml: 3 lock files naming 8 providers; platforms linux_amd64, linux_arm64; workflow tool tofu.\n' +
        NEXT,
    );
    expect(r.code).toBe(0);
    const text = await readFile(path.join(root, 'airgap.yaml'), 'utf8');
    expect(text).toBe(GOLDEN);
    expect((await stat(path.join(root, 'airgap.yaml'))).mode & 0o777).toBe(0o644);

    // Every command reads it; editors' schema accepts it; its entries name exactly what was found.
    const spec = parseSpec(text, 'airgap.yaml');
    expect(validate(parse(text))).toBe(true);
    const entries = spec.lockfiles!.value.map((l) => ({ text: l.value, ...l.at }));
    const expanded = await expandLockfilePatterns(entries, root);
    expect(expanded.map((f) => path.relative(root, f.path))).toEqual([
      `stacks/app/${LOCK}`,
      `stacks/db/${LOCK}`,
      `with space/[x]/${LOCK}`,
    ]);
  });

  it('searches --dir, writes -f FILE with paths relative to it, and says so with --json', async () => {
    const root = await makeTempDir('airgap-init-');
    await put(root, `stacks/a/${LOCK}`, TF_A);
    await put(root, `stacks/b/${LOCK}`, TF_B);
    const r = await runCli(
      [
        'init',
        '--dir',
        'stacks',
        '-f',
        'infra/airgap.yaml',
        '--platform',
        'linux_amd64',
        '--parents',
        '--json',
      ],
      {
        cwd: root,
      },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      schemaVersion: 1,
      file: path.join(root, 'infra/airgap.yaml'),
      replaced: false,
      searched: path.join(root, 'stacks'),
      lockfiles: [`../stacks/a/${LOCK}`, `../stacks/b/${LOCK}`],
      providers: ['registry.terraform.io/hetznercloud/hcloud', 'registry.terraform.io/vercel/vercel'],
      platforms: ['linux_amd64'],
      defaultRegistry: 'registry.terraform.io',
      workflowTool: 'terraform',
      binaries: {},
      warnings: [],
    });
    const text = await readFile(path.join(root, 'infra/airgap.yaml'), 'utf8');
    expect(text).toContain(
      [
        '# Found 2 below ../stacks, naming 2 provider(s):',
        '# - registry.terraform.io/hetznercloud/hcloud',
        '# - registry.terraform.io/vercel/vercel',
        'lockfiles:',
        `  - ../stacks/a/${LOCK}`,
        `  - ../stacks/b/${LOCK}`,
      ].join('\n'),
    );
    expect(text).toContain('#binaries:\n#  terraform: ["~> 1.11"]\n');
    expect(validate(parse(text))).toBe(true);
    const spec = parseSpec(text, 'infra/airgap.yaml');
    const expanded = await expandLockfilePatterns(
      spec.lockfiles!.value.map((l) => ({ text: l.value, ...l.at })),
      path.join(root, 'infra'),
    );
    expect(expanded.map((f) => path.relative(root, f.path))).toEqual([
      `stacks/a/${LOCK}`,
      `stacks/b/${LOCK}`,
    ]);

    const human = await runCli(['init', '--dir', 'stacks', '-f', 'infra/airgap.yaml', '--force'], {
      cwd: root,
    });
    expect(human.stdout).toBe(
      'Replaced infra/airgap.yaml: 2 lock files naming 2 providers; platforms linux_amd64, linux_arm64; workflow tool terraform.\n' +
        'Next: review it, run `airgap plan -f infra/airgap.yaml` to see what would cross, then `airgap mirror -f infra/airgap.yaml`.\n',
    );
    expect(human.code).toBe(0);
  });

  it('refuses to replace an existing file without --force (exit 2), and replaces it with --force', async () => {
    const root = await workspace();
    await writeFile(path.join(root, 'airgap.yaml'), 'mine\n');
    const r = await runCli(['init'], { cwd: root });
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'Error: airgap.yaml already exists; airgap init does not replace it without --force\n' +
        '  Hint: edit it, pass --force to replace it, or pass -f FILE to write another file\n',
    );
    expect(r.code).toBe(2);
    expect(await readFile(path.join(root, 'airgap.yaml'), 'utf8')).toBe('mine\n');

    const j = await runCli(['init', '--json'], { cwd: root });
    expect(j.code).toBe(2);
    expect(JSON.parse(j.stdout).error).toMatchObject({
      code: 'USAGE',
      category: 'usage',
      details: { path: path.join(root, 'airgap.yaml'), expected: 'no file', actual: 'an existing file' },
    });

    const f = await runCli(['init', '--force', '--json'], { cwd: root });
    expect(f.code).toBe(0);
    expect(JSON.parse(f.stdout).replaced).toBe(true);
    expect(await readFile(path.join(root, 'airgap.yaml'), 'utf8')).toBe(GOLDEN);
  });

  it('refuses a directory or a symlink in the place of the file, even with --force', async () => {
    const root = await makeTempDir('airgap-init-');
    await mkdir(path.join(root, 'airgap.yaml'));
    await symlink('/etc/passwd', path.join(root, 'link.yaml'));
    const d = await runCli(['init', '--force'], { cwd: root });
    expect(d.stderr).toBe(
      'Error: airgap.yaml is a directory; airgap init writes a new file there only in place of a regular file\n' +
        '  Hint: pass -f FILE to write the spec somewhere else\n',
    );
    expect(d.code).toBe(2);
    const l = await runCli(['init', '-f', 'link.yaml', '--force'], { cwd: root });
    expect(l.stderr).toContain('Error: link.yaml is a symbolic link;');
    expect(l.code).toBe(2);
  });

  it('writes a spec with an empty lockfiles list and warns when it finds no lock file', async () => {
    const root = await makeTempDir('airgap-init-');
    await put(root, `node_modules/m/${LOCK}`, TF_A);
    const r = await runCli(['init'], { cwd: root });
    expect(r.stderr).toBe(
      `Warning: no ${LOCK} below . (.terraform/, node_modules/, .git/ are not searched): airgap.yaml lists no lock files; ` +
        'add lock files (or providers) to it before `airgap plan`\n',
    );
    expect(r.stdout).toBe(
      'Wrote airgap.yaml: 0 lock files naming 0 providers; platforms linux_amd64, linux_arm64; workflow tool tofu.\n' +
        NEXT,
    );
    expect(r.code).toBe(0);
    const text = await readFile(path.join(root, 'airgap.yaml'), 'utf8');
    expect(text).toContain('# None were found below this directory.\nlockfiles: []\n');
    expect(parseSpec(text, 'airgap.yaml').lockfiles?.value).toEqual([]);
    expect(validate(parse(text))).toBe(true);
  });

  it('refuses an unreadable lock file, a bad --platform and a missing --dir, writing nothing (exit 2)', async () => {
    const root = await makeTempDir('airgap-init-');
    await put(root, `good/${LOCK}`, TOFU_A);
    await put(root, `bad/${LOCK}`, {
      real: 'upstream-testdata/opentofu__opentofu__depsfile_testdata_locks-files_invalid-versions.hcl',
    });
    const bad = await runCli(['init', '--json'], { cwd: root });
    expect(bad.code).toBe(2);
    const error = JSON.parse(bad.stdout).error;
    expect(error.code).toBe('LOCKFILE_INVALID');
    // Every problem of the file at once, named relative to the working directory.
    expect(error.errors).toHaveLength(9);
    expect(error.errors[0].message).toBe(
      `bad/${LOCK}:2:13: Invalid provider version number; The selected version number for provider terraform.io/test/foo is invalid: empty specification.`,
    );
    expect(error.errors[8].message).toBe(
      `bad/${LOCK}:29:13: Missing required argument; A provider lock block must contain a "version" argument.`,
    );

    const platform = await runCli(['init', '--dir', 'good', '--platform', 'linux-amd64'], { cwd: root });
    expect(platform.stderr).toBe(
      'Error: invalid platform "linux-amd64": expected OS_ARCH, e.g. linux_amd64\n  Hint: see --help\n',
    );
    expect(platform.code).toBe(2);

    const missing = await runCli(['init', '--dir', 'nope'], { cwd: root });
    expect(missing.stderr).toMatch(
      /^Error: --dir nope: not a readable directory \(ENOENT: no such file or directory/,
    );
    expect(missing.code).toBe(2);

    await expect(stat(path.join(root, 'airgap.yaml'))).rejects.toThrow(/ENOENT/);
  });
});
