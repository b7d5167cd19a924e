// `airgap import` through the real bundle reader: a bundle from the test registry
// and `airgap mirror`, signed and packed by GNU tar (plain, gzip + split, or as a
// directory); the corpus of hostile and damaged bundles, each refused with the
// entry named, a verification exit code, DIR unchanged and nothing written outside
// it; and the real `terraform init`, offline, with DIR/tofurc as TF_CLI_CONFIG_FILE.

import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  ERROR_CATEGORY,
  EXIT_CODE,
  isAirgapError,
  type AirgapError,
  type ErrorCode,
} from '../../src/core/errors.js';
import type { Reporter } from '../../src/core/ports.js';
import {
  runImport,
  type ImportOptions,
  type ImportResult,
} from '../../src/services/import/import-service.js';
import { readVerifiedBundle } from '../../src/services/transfer/bundle-reader.js';
import { runCli } from '../helpers/cli.js';
import { treeDigest, visibleDigest } from '../helpers/import-fixtures.js';
import type { TestKey } from '../helpers/pgp.js';
import { thisProcess } from '../helpers/host.js';
import { makeTempDir } from '../helpers/tmp.js';
import { describeWithTools, toolAvailable } from '../helpers/tools.js';
import {
  generateBundleSigningKey,
  hostileTarball,
  sha256Hex,
  makeTestBundle,
  packBundleForTest,
  stageBundleForTest,
  TEST_BUNDLE_EPOCH,
  type HostileKind,
  type StagedBundle,
  type TestBundle,
} from '../helpers/transfer.js';

const exec = promisify(execFile);
const HOST = 'registry.airgap.test';

let bundle: TestBundle;
let key: TestKey;
let other: TestKey;
let keyFile: string;
let staged: StagedBundle;
let tarball: string;

beforeAll(async () => {
  [bundle, key, other] = await Promise.all([
    makeTestBundle({ platforms: ['linux_amd64', 'linux_arm64'] }),
    generateBundleSigningKey(),
    generateBundleSigningKey('impostor'),
  ]);
  // Nothing below needs the network: the import side is offline.
  await bundle.close();
  keyFile = path.join(await makeTempDir(), 'signer.asc');
  await fs.writeFile(keyFile, key.publicKeyArmored);
  staged = await stageBundleForTest(bundle.dir, { signKey: key });
  if (toolAvailable('tar')) tarball = (await packBundleForTest(bundle.dir, { staged })).file;
}, 60_000);

afterAll(async () => {
  await bundle?.close();
});

const quiet: Reporter = { info: () => undefined, warn: () => undefined };

function options(source: string, dest: string, extra: Partial<ImportOptions> = {}): ImportOptions {
  return {
    source,
    dest,
    trustedKeyFiles: [keyFile],
    insecureSkipSignature: false,
    allowDowngrade: false,
    host: thisProcess(),
    platform: 'linux_amd64',
    ...extra,
  };
}

function imp(source: string, dest: string, extra: Partial<ImportOptions> = {}): Promise<ImportResult> {
  return runImport(options(source, dest, extra), quiet, { readBundle: readVerifiedBundle });
}

describeWithTools(['tar'], 'importing a real transfer bundle', () => {
  it('a signed tarball: providers, bin/tofu from the release zip, tofurc, and the signer in the state', async () => {
    const dest = path.join(await makeTempDir(), 'dest');
    const r = await imp(tarball, dest);
    const tofu = bundle.releases.artifact('tofu', '1.8.5', 'linux_amd64');
    expect(r.signer).toEqual({
      primaryKeyFingerprint: key.fingerprint,
      signingKeyFingerprint: key.fingerprint,
    });
    expect(r.createdAt).toBe(new Date(TEST_BUNDLE_EPOCH * 1000).toISOString().replace('.000Z', 'Z'));
    expect(r.binaries).toEqual([{ tool: 'tofu', version: '1.8.5', path: 'bin/tofu' }]);
    expect(r.providers).toEqual([
      { address: `${HOST}/hashicorp/null`, version: '3.2.1', platforms: ['linux_amd64', 'linux_arm64'] },
    ]);
    for (const p of bundle.registry.packages) {
      const rel = path.join('providers', HOST, 'hashicorp/null', p.filename);
      const placed = await fs.readFile(path.join(dest, rel));
      expect(sha256Hex(placed)).toBe(p.sha256);
      expect(placed.equals(await fs.readFile(path.join(staged.dir, rel)))).toBe(true);
    }
    const st = await fs.stat(path.join(dest, 'bin', 'tofu'));
    expect(st.mode & 0o777).toBe(0o755);
    expect(tofu.filename).toBe('tofu_1.8.5_linux_amd64.zip');
    const { stdout } = await exec(path.join(dest, 'bin', 'tofu'), ['version']);
    expect(stdout).toBe('OpenTofu v1.8.5\non linux_amd64\n');
    const state = JSON.parse(await fs.readFile(path.join(dest, 'airgap-state.json'), 'utf8'));
    expect(state.current.bundleDigest).toBe(r.bundleDigest);
    const sums = (await fs.readFile(path.join(staged.dir, 'SHA256SUMS'), 'utf8')).trim().split('\n');
    // Every SHA256SUMS line but airgap.json's went through the sink.
    expect(state.current.contents.files).toBe(sums.length - 1);
    // Importing the same tarball again changes nothing.
    const before = await treeDigest(dest);
    expect((await imp(tarball, dest)).action).toBe('unchanged');
    expect(await treeDigest(dest)).toEqual(before);
  });

  it('a gzip tarball in split parts (FILE.000) and the extracted directory give the same DIR as the tarball', async () => {
    const split = await packBundleForTest(bundle.dir, { staged, gzip: true, splitSize: 1500 });
    expect(split.parts.length).toBeGreaterThan(2);
    const root = await makeTempDir();
    await imp(tarball, path.join(root, 'a'));
    const reference = await visibleDigest(path.join(root, 'a'));
    await fs.rename(path.join(root, 'a'), path.join(root, 'a.done'));
    // Same DIR path each time: tofurc names it.
    await imp(split.file, path.join(root, 'a'));
    expect(await visibleDigest(path.join(root, 'a'))).toEqual(reference);
    await fs.rm(path.join(root, 'a'), { recursive: true });
    await imp(staged.dir, path.join(root, 'a'));
    expect(await visibleDigest(path.join(root, 'a'))).toEqual(reference);
  });

  it('no --trusted-key and no --insecure-skip-signature: a usage error before DIR is created', async () => {
    const dest = path.join(await makeTempDir(), 'dest');
    const e = await failure(imp(tarball, dest, { trustedKeyFiles: [] }));
    expect(e.code).toBe('USAGE');
    expect(EXIT_CODE[ERROR_CATEGORY[e.code]]).toBe(2);
    await expect(fs.stat(dest)).rejects.toThrow(/ENOENT/);
  });
});

async function failure(p: Promise<unknown>): Promise<AirgapError> {
  try {
    await p;
  } catch (e) {
    if (isAirgapError(e)) return e;
    throw e;
  }
  throw new Error('the import succeeded');
}

interface Hostile {
  kind: HostileKind;
  code: ErrorCode;
  insecure?: boolean;
  /** What the message names when it is not the tampered entry: a bad signature is over SHA256SUMS. */
  names?: string;
}

// The list, plus the damage a transfer suffers. Codes as the reader gives them.
const CORPUS: Hostile[] = [
  { kind: 'absolute-path', code: 'ARCHIVE_ENTRY_UNSAFE' },
  { kind: 'dot-dot', code: 'ARCHIVE_ENTRY_UNSAFE' },
  { kind: 'pax-dot-dot', code: 'ARCHIVE_ENTRY_UNSAFE' },
  { kind: 'header-dot-dot-under-pax', code: 'ARCHIVE_ENTRY_UNSAFE' },
  { kind: 'symlink', code: 'ARCHIVE_ENTRY_UNSAFE' },
  { kind: 'hardlink', code: 'ARCHIVE_ENTRY_UNSAFE' },
  { kind: 'device', code: 'ARCHIVE_ENTRY_UNSAFE' },
  { kind: 'fifo', code: 'ARCHIVE_ENTRY_UNSAFE' },
  { kind: 'duplicate-path', code: 'ARCHIVE_ENTRY_UNSAFE' },
  { kind: 'unlisted-file', code: 'CHECKSUM_MISSING' },
  { kind: 'missing-listed-file', code: 'BUNDLE_FILE_MISSING' },
  { kind: 'truncated', code: 'ARCHIVE_INVALID' },
  { kind: 'flipped-byte', code: 'CHECKSUM_MISMATCH' },
  { kind: 'sums-line-removed', code: 'SIGNATURE_INVALID', names: 'SHA256SUMS: signature by key' },
  { kind: 'sums-line-removed', code: 'MANIFEST_MISMATCH', insecure: true },
  { kind: 'foreign-signature', code: 'SIGNATURE_INVALID', names: 'SHA256SUMS: signature was made by key' },
  { kind: 'edited-manifest', code: 'CHECKSUM_MISMATCH' },
  { kind: 'manifest-before-sums', code: 'ARCHIVE_INVALID' },
  { kind: 'pax-flood', code: 'ARCHIVE_INVALID' },
];

// The hints an import gives: about the transfer, never a registry's words (mirror's).
const DAMAGED =
  'the bundle is damaged or was altered after it was signed: do not use it; copy it again from the export side';
const SIGNATURE_HINT =
  'nothing a --trusted-key vouches for signed this bundle: do not use it; check that --trusted-key is the public key of whoever ran `airgap export --sign-key`';

describeWithTools(['tar'], 'the hostile and damaged bundle corpus', () => {
  let sandbox: string;
  let dest: string;
  let before: Awaited<ReturnType<typeof treeDigest>>;

  beforeAll(async () => {
    // DIR holds an earlier import (of the same providers, without tofu): each refusal must leave it as is.
    const earlier = await stageBundleForTest(bundle.dir, { signKey: key, toolPackage: false });
    sandbox = await makeTempDir('airgap-sandbox-');
    dest = path.join(sandbox, 'dest');
    await imp(earlier.dir, dest);
    before = await treeDigest(dest);
  });

  for (const c of CORPUS) {
    it(`${c.kind}${c.insecure ? ' (--insecure-skip-signature)' : ''}: ${c.code}, entry named, DIR unchanged`, async () => {
      const hostile = await hostileTarball(staged, c.kind, { otherKey: other });
      const e = await failure(
        imp(hostile.file, dest, c.insecure ? { insecureSkipSignature: true, trustedKeyFiles: [] } : {}),
      );
      expect(e.code).toBe(c.code);
      expect(EXIT_CODE[ERROR_CATEGORY[e.code]]).toBe(1);
      expect(e.remedy).toBe(c.code === 'SIGNATURE_INVALID' ? SIGNATURE_HINT : DAMAGED);
      expect(e.message).toContain(c.names ?? hostile.subject);
      expect(e.message).toContain(hostile.file);
      expect(await treeDigest(dest)).toEqual(before);
      expect(await fs.readdir(sandbox)).toEqual(['dest']);
      await expect(fs.lstat('/tmp/airgap-evil')).rejects.toThrow(/ENOENT/);
    });
  }

  it('the same refusals into a DIR that does not exist yet leave no DIR behind', async () => {
    const fresh = path.join(sandbox, 'new', 'dest');
    for (const kind of ['flipped-byte', 'missing-listed-file', 'truncated'] as const) {
      const hostile = await hostileTarball(staged, kind);
      await failure(imp(hostile.file, fresh));
      expect(await fs.readdir(sandbox)).toEqual(['dest']);
    }
  });
});

describeWithTools(['tar'], 'through the executable: messages, hints and exit codes that fit import', () => {
  it('a damaged transfer exits 1 with a hint about the transfer; a bad signature names the trusted key', async () => {
    const dest = path.join(await makeTempDir(), 'dest');
    const flipped = await hostileTarball(staged, 'flipped-byte');
    const r = await runCli(['import', flipped.file, '--dest', dest, '--trusted-key', keyFile]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Error: ${flipped.file}: ${flipped.subject} has sha256 `);
    expect(r.stderr).toContain(`  Hint: ${DAMAGED}\n`);
    expect(r.stderr).not.toMatch(/re-run to fetch|the registry vouches/);

    const forged = await hostileTarball(staged, 'foreign-signature', { otherKey: other });
    const s = await runCli(['import', forged.file, '--dest', dest, '--trusted-key', keyFile]);
    expect(s.code).toBe(1);
    expect(s.stderr).toContain(`  Hint: ${SIGNATURE_HINT}\n`);
    expect(s.stderr).not.toMatch(/registry vouches/);
    await expect(fs.stat(dest)).rejects.toThrow(/ENOENT/);
  });

  it('the wrong file exits 2 saying what it is; FILE.001 says to pass FILE.000', async () => {
    const dir = await makeTempDir();
    const dest = path.join(dir, 'dest');
    const notes = path.join(dir, 'notes.txt');
    await fs.writeFile(notes, 'not a bundle\n');
    const r = await runCli(['import', notes, '--dest', dest, '--trusted-key', keyFile]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `Error: ${notes} is not a transfer archive: it is neither tar nor gzip, it starts with text ("not a bundle\\n"…)\n` +
        '  Hint: pass the tarball `airgap export --tarball` wrote (FILE, or FILE.000 when split), or a bundle directory\n',
    );

    const split = await packBundleForTest(bundle.dir, { staged, splitSize: 8 << 10 });
    const v = await runCli(['verify', split.parts[1]!, '--trusted-key', keyFile]);
    const i = await runCli(['import', split.parts[1]!, '--dest', dest, '--trusted-key', keyFile]);
    for (const x of [v, i]) {
      expect(x.code).toBe(2);
      expect(x.stderr).toBe(
        `Error: ${split.parts[1]} is part 2 of a split transfer archive; pass its first part, ${split.parts[0]}, which finds the others by name\n` +
          `  Hint: pass ${split.parts[0]} instead\n`,
      );
    }
    await expect(fs.stat(dest)).rejects.toThrow(/ENOENT/);
  });
});

describeWithTools(['tar', 'terraform'], 'interop: the real terraform CLI', () => {
  it('terraform init works offline with DIR/tofurc as TF_CLI_CONFIG_FILE', async () => {
    const root = await makeTempDir();
    const dest = path.join(root, 'dest');
    await imp(tarball, dest, { platform: undefined });
    const stack = path.join(root, 'stack');
    await fs.mkdir(stack);
    await fs.writeFile(
      path.join(stack, 'main.tf'),
      `terraform {\n  required_providers {\n    null = {\n      source  = "${HOST}/hashicorp/null"\n      version = "3.2.1"\n    }\n  }\n}\n`,
    );
    const env = {
      PATH: process.env.PATH,
      HOME: root,
      TF_CLI_CONFIG_FILE: path.join(dest, 'tofurc'),
      TF_IN_AUTOMATION: '1',
      CHECKPOINT_DISABLE: '1',
      // Any attempt to reach the network fails fast instead of hanging.
      HTTPS_PROXY: 'http://127.0.0.1:9',
      HTTP_PROXY: 'http://127.0.0.1:9',
    };
    const { stdout } = await exec('terraform', ['init', '-input=false', '-no-color'], { cwd: stack, env });
    expect(stdout).toContain(`Installing ${HOST}/hashicorp/null v3.2.1...`);
    expect(stdout).toContain('Terraform has been successfully initialized!');
    const pkg = bundle.registry.packages.find((p) => p.platform === 'linux_amd64')!;
    const lock = await fs.readFile(path.join(stack, '.terraform.lock.hcl'), 'utf8');
    expect(lock).toContain(`"${pkg.h1}"`);
    const exe = path.join(
      stack,
      '.terraform/providers',
      HOST,
      'hashicorp/null/3.2.1/linux_amd64/terraform-provider-null_v3.2.1',
    );
    expect((await fs.stat(exe)).isFile()).toBe(true);
  });
});
