// `airgap export`: the transfer tarball checked with the tools an auditor has (GNU tar,
// sha256sum, gpg, gzip, cat), byte-determinism, split parts, and exports that must fail
// without leaving a FILE. The bundle is made here, file by file, with real release
// sums and signatures and a lock file from fixtures/realdata; the tool archive is a
// small stand-in (the real `npm pack` runs in export-npm.test.ts).

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

import { beforeAll, describe, expect, it } from 'vitest';

import { buildManifest, renderManifest } from '../../src/core/bundle/manifest.js';
import { AirgapError, AirgapErrors } from '../../src/core/errors.js';
import type { Reporter } from '../../src/core/ports.js';
import {
  exportBundle,
  type ExportOptions,
  type ExportResult,
} from '../../src/services/export/export-service.js';
import { readVerifiedBundle } from '../../src/services/transfer/bundle-reader.js';
import { runCli } from '../helpers/cli.js';
import { generateSigningKey, type TestKey } from '../helpers/pgp.js';
import { realdata } from '../helpers/realdata.js';
import { workingDirs } from '../helpers/host.js';
import { makeTempDir } from '../helpers/tmp.js';
import { describeWithTools } from '../helpers/tools.js';
import { fakeToolArchive, makeTestBundle } from '../helpers/transfer.js';

const run = promisify(execFile);
const SDE = '1764000000'; // 2025-11-24T16:00:00Z
const silent: Reporter = { info: () => undefined, warn: () => undefined };

function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Deterministic filler: a chain of sha256 blocks. */
function payload(size: number, seed: string): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash('sha256').update(seed).digest();
  for (let at = 0; at < size; at += 32) {
    block.copy(out, at, 0, Math.min(32, size - at));
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

const NULL_DIR = 'providers/registry.opentofu.org/hashicorp/null';
const PATHS = {
  nullZip: `${NULL_DIR}/terraform-provider-null_3.2.1_linux_amd64.zip`,
  nullIndex: `${NULL_DIR}/index.json`,
  nullVersion: `${NULL_DIR}/3.2.1.json`,
  idnIndex: 'providers/registry.例え.jp/acme/widget/index.json',
  tofuZip: 'tofu/1.8.5/tofu_1.8.5_linux_amd64.zip',
  tofuSums: 'tofu/1.8.5/tofu_1.8.5_SHA256SUMS',
  tofuSig: 'tofu/1.8.5/tofu_1.8.5_SHA256SUMS.gpgsig',
  tofurc: 'config/tofurc',
  workflow: 'config/workflow.yml',
  lock: 'lockfiles/stacks/app/.terraform.lock.hcl',
  // Fits ustar's 155-byte prefix + 100-byte name.
  lockPrefix: `lockfiles/${'p'.repeat(120)}/.terraform.lock.hcl`,
  // Does not: a pax path record.
  lockPax: `lockfiles/${'d'.repeat(200)}/.terraform.lock.hcl`,
};

interface BundleFile {
  path: string;
  bytes: Buffer;
  mode?: number;
}

async function bundleFiles(): Promise<BundleFile[]> {
  const signed = realdata('keys', 'signed-sums', 'tofu_1.8.5_real');
  const lock = await fs.readFile(realdata('lockfiles', 'FalkorDB__falkordb-dbaas__tofu__terraform.lock.hcl'));
  return [
    // 2.5 MiB and a bit: spans several read slabs, ends off a block boundary.
    { path: PATHS.nullZip, bytes: payload(2_621_563, 'null') },
    { path: PATHS.nullIndex, bytes: Buffer.from('{"versions":{"3.2.1":{}}}\n') },
    { path: PATHS.nullVersion, bytes: Buffer.from('{"archives":{}}\n') },
    { path: PATHS.idnIndex, bytes: Buffer.from('{"versions":{}}\n') },
    { path: PATHS.tofuZip, bytes: payload(100_000, 'tofu'), mode: 0o755 },
    { path: PATHS.tofuSums, bytes: await fs.readFile(path.join(signed, 'tofu_1.8.5_SHA256SUMS')) },
    { path: PATHS.tofuSig, bytes: await fs.readFile(path.join(signed, 'tofu_1.8.5_SHA256SUMS.gpgsig')) },
    {
      path: PATHS.tofurc,
      bytes: Buffer.from('provider_installation {\n  filesystem_mirror {\n    path = "/providers"\n  }\n}\n'),
    },
    { path: PATHS.workflow, bytes: Buffer.from('init:\n  - tofu init\n') },
    { path: PATHS.lock, bytes: lock },
    { path: PATHS.lockPrefix, bytes: lock },
    { path: PATHS.lockPax, bytes: lock },
  ];
}

async function makeBundle(dir: string): Promise<BundleFile[]> {
  const files = await bundleFiles();
  for (const f of files) {
    const p = path.join(dir, ...f.path.split('/'));
    await fs.mkdir(path.dirname(p), { recursive: true });
    await fs.writeFile(p, f.bytes);
    await fs.chmod(p, f.mode ?? 0o644);
  }
  const ref = (p: string): { path: string; size: number; sha256: string } => {
    const f = files.find((x) => x.path === p)!;
    return { path: p, size: f.bytes.length, sha256: sha256(f.bytes) };
  };
  const manifest = buildManifest({
    toolVersion: '0.1.0',
    createdAt: new Date(Number(SDE) * 1000),
    platforms: ['linux_amd64'],
    lockfiles: [PATHS.lock, PATHS.lockPrefix, PATHS.lockPax].map((p) => ({
      ...ref(p),
      source: p.slice('lockfiles/'.length),
      complete: true,
    })),
    providers: [
      {
        address: 'registry.opentofu.org/hashicorp/null',
        version: '3.2.1',
        packages: [
          {
            ...ref(PATHS.nullZip),
            platform: 'linux_amd64',
            hashes: [`zh:${ref(PATHS.nullZip).sha256}`],
            source: 'registry',
          },
        ],
      },
    ],
    binaries: [
      {
        tool: 'tofu',
        version: '1.8.5',
        platforms: [{ ...ref(PATHS.tofuZip), platform: 'linux_amd64' }],
        sums: ref(PATHS.tofuSums),
        signature: ref(PATHS.tofuSig),
        verifiedBy: {
          primaryKeyFingerprint: 'E3E6E43D84CB852EADB0051D0C0AF313E5FD9F80',
          signingKeyFingerprint: 'E3E6E43D84CB852EADB0051D0C0AF313E5FD9F80',
          keyExpiredSince: false,
        },
      },
    ],
    configs: [
      { ...ref(PATHS.tofurc), kind: 'tofurc' },
      { ...ref(PATHS.workflow), kind: 'workflow' },
    ],
    mirrorIndexes: [ref(PATHS.nullIndex), ref(PATHS.nullVersion), ref(PATHS.idnIndex)],
  });
  await fs.writeFile(path.join(dir, 'airgap.json'), renderManifest(manifest));
  return files;
}

let work: string;
let bundleDir: string;
let files: BundleFile[];
let toolPackage: string;
let key: TestKey;
let keyFile: string;

beforeAll(async () => {
  work = await makeTempDir('airgap-export-');
  bundleDir = path.join(work, 'bundle');
  files = await makeBundle(bundleDir);
  toolPackage = path.join(work, 'airgap-0.1.0.tgz');
  await fs.writeFile(toolPackage, fakeToolArchive());
  key = await generateSigningKey({ date: new Date('2019-06-01T00:00:00Z') });
  keyFile = path.join(work, 'signing-key.asc');
  await fs.writeFile(keyFile, key.privateKeyArmored);
});

async function exportTo(
  name: string,
  options: Partial<ExportOptions> = {},
): Promise<{ file: string; result: ExportResult }> {
  const out = await makeTempDir('airgap-export-out-');
  const file = path.join(out, name);
  const result = await exportBundle(
    {
      bundleDir,
      tarball: file,
      compress: 'none',
      toolPackage,
      env: { SOURCE_DATE_EPOCH: SDE },
      ...workingDirs(),
      ...options,
    },
    silent,
  );
  return { file, result };
}

async function rejected(p: Promise<unknown>): Promise<AirgapError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AirgapError) return e;
    throw e;
  }
  throw new Error('expected a failure, but the call succeeded');
}

async function extract(file: string, flags = '-xf'): Promise<string> {
  const dir = await makeTempDir('airgap-extract-');
  await run('tar', [flags, file, '-C', dir]);
  return dir;
}

async function sha256sumCheck(dir: string): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dir });
    return { code: 0, stdout };
  } catch (e) {
    const err = e as { code: number; stdout: string };
    return { code: err.code, stdout: err.stdout };
  }
}

const EXPECTED_ORDER = [
  'SHA256SUMS',
  'airgap.json',
  'config/',
  PATHS.tofurc,
  PATHS.workflow,
  'lockfiles/',
  `lockfiles/${'d'.repeat(200)}/`,
  PATHS.lockPax,
  `lockfiles/${'p'.repeat(120)}/`,
  PATHS.lockPrefix,
  'lockfiles/stacks/',
  'lockfiles/stacks/app/',
  PATHS.lock,
  'providers/',
  'providers/registry.opentofu.org/',
  'providers/registry.opentofu.org/hashicorp/',
  `${NULL_DIR}/`,
  PATHS.nullVersion,
  PATHS.nullIndex,
  PATHS.nullZip,
  'providers/registry.例え.jp/',
  'providers/registry.例え.jp/acme/',
  'providers/registry.例え.jp/acme/widget/',
  PATHS.idnIndex,
  'tofu/',
  'tofu/1.8.5/',
  PATHS.tofuSums,
  PATHS.tofuSig,
  PATHS.tofuZip,
  'tool/',
  'tool/airgap-0.1.0.tgz',
];

describeWithTools(['tar', 'sha256sum', 'gpg', 'gzip'], 'airgap export', () => {
  it('gives byte-identical tarballs for the same inputs, signed or not; SOURCE_DATE_EPOCH and the key change the bytes', async () => {
    const a = await exportTo('a.tar');
    const b = await exportTo('b.tar');
    const bytesA = await fs.readFile(a.file);
    expect(bytesA.equals(await fs.readFile(b.file))).toBe(true);
    expect(a.result.sha256).toBe(sha256(bytesA));
    expect(a.result.sha256).toBe('6972f2af690bc6b8d0d19ed65d0d03902d84e36e26fa642a99fffe85fdffb001');
    expect(a.result.bytes).toBe(bytesA.length);
    expect(a.result.parts).toEqual([{ path: a.file, size: bytesA.length }]);
    expect(a.result.files).toBe(files.length + 3); // + SHA256SUMS, airgap.json, tool
    expect(a.result.signedBy).toBeNull();
    expect(a.result.mtime).toBe('2025-11-24T16:00:00Z');
    expect(a.result.toolPackage).toEqual({
      path: 'tool/airgap-0.1.0.tgz',
      size: (await fs.stat(toolPackage)).size,
      sha256: sha256(await fs.readFile(toolPackage)),
      version: '0.1.0',
    });

    const c = await exportTo('c.tar', { signKeyFile: keyFile });
    const d = await exportTo('d.tar', { signKeyFile: keyFile });
    const bytesC = await fs.readFile(c.file);
    expect(bytesC.equals(await fs.readFile(d.file))).toBe(true);
    expect(c.result.signedBy).toBe(key.fingerprint);
    expect(c.result.files).toBe(files.length + 4);
    expect(bytesC.equals(bytesA)).toBe(false);

    const e = await exportTo('e.tar', { env: {} });
    expect(e.result.mtime).toBe('2020-01-01T00:00:00Z');
    expect((await fs.readFile(e.file)).equals(bytesA)).toBe(false);
  });

  it("relative paths are under the cwd the command hands in, not the test process's", async () => {
    const cwd = await makeTempDir('airgap-export-cwd-');
    const r = await exportBundle(
      {
        bundleDir: path.relative(cwd, bundleDir),
        tarball: 'rel.tar',
        compress: 'none',
        toolPackage: path.relative(cwd, toolPackage),
        env: { SOURCE_DATE_EPOCH: SDE },
        cwd,
        tempDir: cwd,
      },
      silent,
    );
    const file = path.join(cwd, 'rel.tar');
    expect([r.bundleDir, r.tarball, r.parts]).toEqual([bundleDir, file, [{ path: file, size: r.bytes }]]);
    expect(sha256(await fs.readFile(file))).toBe(
      '6972f2af690bc6b8d0d19ed65d0d03902d84e36e26fa642a99fffe85fdffb001',
    );
  });

  it('tar -tvf shows the spec order, modes 0644/0755, owner 0/0 and the fixed date', async () => {
    const { file } = await exportTo('list.tar', { env: {} });
    const { stdout } = await run('tar', ['--quoting-style=literal', '-tvf', file], {
      env: { ...process.env, TZ: 'UTC', LC_ALL: 'C.UTF-8' },
    });
    const rows = stdout
      .trimEnd()
      .split('\n')
      .map((l) => l.split(/\s+/));
    expect(rows.map((r) => r[5])).toEqual(EXPECTED_ORDER);
    for (const r of rows) {
      const name = r[5]!;
      const mode = name.endsWith('/') ? 'drwxr-xr-x' : name === PATHS.tofuZip ? '-rwxr-xr-x' : '-rw-r--r--';
      expect([name, r[0], r[1], r[3], r[4]]).toEqual([name, mode, '0/0', '2020-01-01', '00:00']);
    }
    const size = (name: string): string => rows.find((r) => r[5] === name)![2]!;
    expect(size(PATHS.nullZip)).toBe('2621563');
    expect(size(PATHS.tofuSums)).toBe('3690');
    expect(size('config/')).toBe('0');
  });

  it('tar -xf then sha256sum -c SHA256SUMS passes, and fails once an extracted byte is flipped', async () => {
    const { file } = await exportTo('check.tar');
    const dir = await extract(file);
    const ok = await sha256sumCheck(dir);
    expect(ok.code).toBe(0);
    expect(ok.stdout.trimEnd().split('\n').length).toBe(files.length + 2); // + airgap.json and the tool
    expect(ok.stdout).toContain(`${PATHS.nullZip}: OK\n`);
    expect(ok.stdout).toContain(`${PATHS.lockPax}: OK\n`);
    expect(ok.stdout).toContain(`${PATHS.idnIndex}: OK\n`);
    expect((await fs.stat(path.join(dir, PATHS.tofuZip))).mode & 0o777).toBe(0o755);
    expect(
      (await fs.readFile(path.join(dir, 'tool/airgap-0.1.0.tgz'))).equals(await fs.readFile(toolPackage)),
    ).toBe(true);
    const packed = JSON.parse(await fs.readFile(path.join(dir, 'airgap.json'), 'utf8'));
    expect(packed.toolPackage.path).toBe('tool/airgap-0.1.0.tgz');

    const zip = path.join(dir, PATHS.nullZip);
    const bytes = await fs.readFile(zip);
    bytes[1_500_000] = bytes[1_500_000]! ^ 0x01;
    await fs.writeFile(zip, bytes);
    const bad = await sha256sumCheck(dir);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(`${PATHS.nullZip}: FAILED\n`);
  });

  it('gpg --verify accepts SHA256SUMS.sig made with --sign-key, and rejects an edited SHA256SUMS', async () => {
    const { file } = await exportTo('signed.tar', { signKeyFile: keyFile });
    const dir = await extract(file);
    const home = await makeTempDir('airgap-gnupg-');
    await fs.chmod(home, 0o700);
    const env = { ...process.env, GNUPGHOME: home };
    await fs.writeFile(path.join(home, 'pub.asc'), key.publicKeyArmored);
    await run('gpg', ['--batch', '--import', path.join(home, 'pub.asc')], { env });
    const good = await run(
      'gpg',
      ['--batch', '--status-fd', '1', '--verify', 'SHA256SUMS.sig', 'SHA256SUMS'],
      {
        cwd: dir,
        env,
      },
    );
    expect(good.stdout).toContain(`[GNUPG:] VALIDSIG ${key.fingerprint} 2025-11-24 1764000000`);
    expect(good.stdout).toContain('[GNUPG:] GOODSIG');

    await fs.appendFile(path.join(dir, 'SHA256SUMS'), `${'0'.repeat(64)}  extra\n`);
    const bad = await run(
      'gpg',
      ['--batch', '--status-fd', '1', '--verify', 'SHA256SUMS.sig', 'SHA256SUMS'],
      {
        cwd: dir,
        env,
      },
    ).then(
      () => undefined,
      (e: { code: number; stdout: string }) => e,
    );
    expect(bad?.code).toBe(1);
    expect(bad?.stdout).toContain('[GNUPG:] BADSIG');
  });

  it('signs with an encrypted key given its passphrase, and fails without writing a file otherwise', async () => {
    const openpgp = await import('openpgp');
    const pk = await openpgp.readPrivateKey({ armoredKey: key.privateKeyArmored });
    const locked = path.join(work, 'locked.asc');
    await fs.writeFile(locked, (await openpgp.encryptKey({ privateKey: pk, passphrase: 's3cret' })).armor());
    const ok = await exportTo('locked.tar', { signKeyFile: locked, passphrase: 's3cret' });
    expect(ok.result.signedBy).toBe(key.fingerprint);

    const out = await makeTempDir('airgap-export-out-');
    const target = path.join(out, 'nope.tar');
    const base = {
      bundleDir,
      tarball: target,
      compress: 'none' as const,
      toolPackage,
      env: {},
      ...workingDirs(),
    };
    const missing = await rejected(exportBundle({ ...base, signKeyFile: locked }, silent));
    expect(missing.code).toBe('SIGN_KEY_INVALID');
    expect(missing.message).toContain('is protected by a passphrase: set AIRGAP_SIGN_PASSPHRASE');
    const wrong = await rejected(exportBundle({ ...base, signKeyFile: locked, passphrase: 'guess' }, silent));
    expect(wrong.message).toContain('cannot unlock key');
    const pub = path.join(work, 'pub.asc');
    await fs.writeFile(pub, key.publicKeyArmored);
    const publicKey = await rejected(exportBundle({ ...base, signKeyFile: pub }, silent));
    expect(publicKey.message).toBe(
      `${pub}: holds a PUBLIC key; signing needs the private key (gpg --export-secret-keys --armor KEYID)`,
    );
    expect(await fs.readdir(out)).toEqual([]);
  });

  it('--compress gzip: gzip -t and tar -xzf accept it, sha256sum -c passes, and it repeats byte for byte', async () => {
    const a = await exportTo('b.tar.gz', { compress: 'gzip' });
    const b = await exportTo('b.tar.gz', { compress: 'gzip' });
    const bytes = await fs.readFile(a.file);
    expect(bytes.equals(await fs.readFile(b.file))).toBe(true);
    expect(bytes.subarray(0, 2).toString('hex')).toBe('1f8b');
    expect(a.result.sha256).toBe(sha256(bytes));
    expect(a.result.compress).toBe('gzip');
    await run('gzip', ['-t', a.file]);
    const plain = await exportTo('b.tar');
    const { stdout: unzipped } = await run('sh', ['-c', `gzip -dc '${a.file}' | sha256sum`]);
    expect(unzipped.split(' ')[0]).toBe(plain.result.sha256);
    const dir = await extract(a.file, '-xzf');
    expect((await sha256sumCheck(dir)).code).toBe(0);
  });

  it('--split-size: parts of exactly that size, cat FILE.* gives the unsplit tarball, stale parts are removed', async () => {
    const whole = await exportTo('whole.tar');
    const wholeBytes = await fs.readFile(whole.file);
    const out = await makeTempDir('airgap-export-split-');
    const target = path.join(out, 'b.tar');
    // Left by an earlier, larger export: `cat b.tar.*` would append them.
    await fs.writeFile(`${target}.061`, 'stale');
    await fs.writeFile(`${target}.500`, 'stale');
    const size = 64 * 1024;
    const r = await exportBundle(
      {
        bundleDir,
        tarball: target,
        compress: 'none',
        toolPackage,
        splitSize: size,
        env: { SOURCE_DATE_EPOCH: SDE },
        ...workingDirs(),
      },
      silent,
    );
    const count = Math.ceil(wholeBytes.length / size);
    expect(r.parts.length).toBe(count);
    expect(r.parts.map((p) => path.basename(p.path))).toEqual(
      [...Array(count).keys()].map((i) => `b.tar.${String(i).padStart(3, '0')}`),
    );
    for (const [i, p] of r.parts.entries()) {
      const expected = i < count - 1 ? size : wholeBytes.length - size * (count - 1);
      expect([p.path, p.size, (await fs.stat(p.path)).size]).toEqual([p.path, expected, expected]);
    }
    expect(r.sha256).toBe(whole.result.sha256);
    expect(r.bytes).toBe(wholeBytes.length);
    await run('sh', ['-c', 'cat b.tar.* > joined.tar'], { cwd: out });
    expect((await fs.readFile(path.join(out, 'joined.tar'))).equals(wholeBytes)).toBe(true);
    expect((await fs.readdir(out)).filter((n) => !/^b\.tar\.\d{3}$/.test(n))).toEqual(['joined.tar']);

    const tooSmall = await rejected(
      exportBundle(
        {
          bundleDir,
          tarball: path.join(out, 'c.tar'),
          compress: 'none',
          toolPackage,
          splitSize: 1024,
          env: {},
          ...workingDirs(),
        },
        silent,
      ),
    );
    expect(tooSmall.code).toBe('USAGE');
    expect(tooSmall.message).toContain(`into ${Math.ceil(wholeBytes.length / 1024)} parts; at most 1000`);
  });

  it('gzip output that needs more than 1000 parts fails while streaming, leaving no part behind', async () => {
    const out = await makeTempDir('airgap-export-out-');
    const e = await rejected(
      exportBundle(
        {
          bundleDir,
          tarball: path.join(out, 'z.tar.gz'),
          compress: 'gzip',
          toolPackage,
          splitSize: 1000,
          env: {},
          ...workingDirs(),
        },
        silent,
      ),
    );
    expect(e.code).toBe('USAGE');
    expect(e.message).toBe(
      `--split-size 1000 bytes: ${path.join(out, 'z.tar.gz')} needs more than 1000 parts (${path.join(out, 'z.tar.gz.000')} to ${path.join(out, 'z.tar.gz.999')}): choose a larger size`,
    );
    expect(await fs.readdir(out)).toEqual([]);
  });

  it('split gzip output: the parts join to the gzip file', async () => {
    const whole = await exportTo('g.tar.gz', { compress: 'gzip' });
    const split = await exportTo('g.tar.gz', { compress: 'gzip', splitSize: 100_000 });
    expect(split.result.sha256).toBe(whole.result.sha256);
    const joined = Buffer.concat(await Promise.all(split.result.parts.map((p) => fs.readFile(p.path))));
    expect(joined.equals(await fs.readFile(whole.file))).toBe(true);
    expect(split.result.parts.slice(0, -1).every((p) => p.size === 100_000)).toBe(true);
  });

  describe('a failed export leaves no FILE', () => {
    async function copyBundle(): Promise<string> {
      const dir = path.join(await makeTempDir('airgap-export-copy-'), 'bundle');
      await fs.cp(bundleDir, dir, { recursive: true });
      return dir;
    }

    it('a file changed since airgap.json (same size, one byte flipped) stops it; an existing FILE stays as it was', async () => {
      const dir = await copyBundle();
      const zip = path.join(dir, PATHS.nullZip);
      const bytes = await fs.readFile(zip);
      const listed = sha256(bytes);
      bytes[2_000_000] = bytes[2_000_000]! ^ 0x80;
      await fs.writeFile(zip, bytes);
      const out = await makeTempDir('airgap-export-out-');
      const target = path.join(out, 'b.tar');
      await fs.writeFile(target, 'the previous export\n');
      const e = await rejected(
        exportBundle(
          { bundleDir: dir, tarball: target, compress: 'none', toolPackage, env: {}, ...workingDirs() },
          silent,
        ),
      );
      expect(e.code).toBe('BUNDLE_MISMATCH');
      expect(e.message).toBe(
        `${PATHS.nullZip}: sha256 is ${sha256(bytes)}, but ${path.join(dir, 'airgap.json')} lists ${listed}; the export was abandoned and no tarball written`,
      );
      expect(await fs.readdir(out)).toEqual(['b.tar']);
      expect(await fs.readFile(target, 'utf8')).toBe('the previous export\n');
    });

    it('a missing, resized or unlisted file is named before anything is written', async () => {
      const dir = await copyBundle();
      await fs.rm(path.join(dir, PATHS.workflow));
      await fs.appendFile(path.join(dir, PATHS.nullIndex), ' ');
      await fs.writeFile(path.join(dir, 'providers', 'notes.txt'), 'hand-added\n');
      const out = await makeTempDir('airgap-export-out-');
      let err: unknown;
      try {
        await exportBundle(
          {
            bundleDir: dir,
            tarball: path.join(out, 'b.tar'),
            compress: 'none',
            toolPackage,
            env: {},
            ...workingDirs(),
          },
          silent,
        );
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(AirgapErrors);
      expect((err as AirgapErrors).errors.map((x) => x.message)).toEqual([
        `${PATHS.workflow}: listed in ${path.join(dir, 'airgap.json')} but missing from the bundle directory`,
        `${PATHS.nullIndex}: ${path.join(dir, 'airgap.json')} lists 26 bytes, the file has 27`,
        `providers/notes.txt: in the bundle directory but not listed in ${path.join(dir, 'airgap.json')}; a tarball carries only what its manifest accounts for`,
      ]);
      expect(await fs.readdir(out)).toEqual([]);
    });

    it('refuses a tarball inside the bundle, a directory without airgap.json and a tool archive without its dependencies', async () => {
      const inside = await rejected(
        exportBundle(
          {
            bundleDir,
            tarball: path.join(bundleDir, 'b.tar'),
            compress: 'none',
            toolPackage,
            env: {},
            ...workingDirs(),
          },
          silent,
        ),
      );
      expect(inside.code).toBe('USAGE');
      expect(inside.message).toBe(
        `--tarball ${path.join(bundleDir, 'b.tar')} is inside the bundle directory ${bundleDir}; write it elsewhere`,
      );
      const empty = await makeTempDir('airgap-export-empty-');
      const noManifest = await rejected(
        exportBundle(
          {
            bundleDir: empty,
            tarball: path.join(work, 'x.tar'),
            compress: 'none',
            toolPackage,
            env: {},
            ...workingDirs(),
          },
          silent,
        ),
      );
      expect(noManifest.code).toBe('INPUT_NOT_FOUND');
      expect(noManifest.message).toBe(
        `${path.join(empty, 'airgap.json')} does not exist: ${empty} is not a bundle directory (write one with airgap mirror --out)`,
      );
      const lacking = path.join(work, 'lacking.tgz');
      await fs.writeFile(lacking, fakeToolArchive(['openpgp']));
      const out = await makeTempDir('airgap-export-out-');
      const tool = await rejected(
        exportBundle(
          {
            bundleDir,
            tarball: path.join(out, 'b.tar'),
            compress: 'none',
            toolPackage: lacking,
            env: {},
            ...workingDirs(),
          },
          silent,
        ),
      );
      expect(tool.code).toBe('TOOL_PACKAGE_INVALID');
      expect(tool.message).toBe(
        `${lacking}: does not bundle the runtime dependencies tar; the isolated host has no registry to fetch them from (package.json "bundleDependencies", then npm install, then npm pack)`,
      );
      const garbage = path.join(work, 'garbage.tgz');
      await fs.writeFile(garbage, 'not an archive\n');
      const notTar = await rejected(
        exportBundle(
          {
            bundleDir,
            tarball: path.join(out, 'b.tar'),
            compress: 'none',
            toolPackage: garbage,
            env: {},
            ...workingDirs(),
          },
          silent,
        ),
      );
      expect(notTar.code).toBe('TOOL_PACKAGE_INVALID');
      expect(notTar.message).toBe(
        `${garbage}: is not a readable npm package archive (neither gzip nor tar: it starts with "not an archive\\n")`,
      );
      expect(await fs.readdir(out)).toEqual([]);
    });
  });

  it("packs a bundle written by airgap mirror; GNU tar, sha256sum and airgap's own reader check it", async () => {
    const bundle = await makeTestBundle();
    try {
      const out = await makeTempDir('airgap-export-out-');
      const r = await exportBundle(
        {
          bundleDir: bundle.dir,
          tarball: path.join(out, 'm.tar'),
          compress: 'none',
          toolPackage,
          env: {},
          ...workingDirs(),
        },
        silent,
      );
      const dir = await extract(path.join(out, 'm.tar'));
      const check = await sha256sumCheck(dir);
      expect(check.code).toBe(0);
      expect(check.stdout).toContain(': OK\n');
      expect(check.stdout).not.toContain('FAILED');
      expect(r.files).toBe(check.stdout.trimEnd().split('\n').length + 1);

      // What import reads: signed, split, from the first part.
      const pub = path.join(out, 'pub.asc');
      await fs.writeFile(pub, key.publicKeyArmored);
      const split = await exportBundle(
        {
          bundleDir: bundle.dir,
          tarball: path.join(out, 's.tar'),
          compress: 'none',
          toolPackage,
          splitSize: 64 * 1024,
          signKeyFile: keyFile,
          env: {},
          ...workingDirs(),
        },
        silent,
      );
      const read = await readVerifiedBundle(
        { source: split.parts[0]!.path, trustedKeyFiles: [pub], insecureSkipSignature: false },
        silent,
      );
      expect(read.signature?.primaryKeyFingerprint).toBe(key.fingerprint);
      expect(read.files.length).toBe(r.files - 2); // all but SHA256SUMS and airgap.json
    } finally {
      await bundle.close();
    }
  });

  it('the export command: flags to options, --json result, exit codes 0, 1 and 2', async () => {
    const out = await makeTempDir('airgap-export-cli-');
    const ok = await runCli(
      [
        'export',
        bundleDir,
        '--tarball',
        path.join(out, 'c.tar'),
        '--tool-package',
        toolPackage,
        '--split-size',
        '1M',
        '--sign-key',
        keyFile,
        '--json',
      ],
      { env: { SOURCE_DATE_EPOCH: SDE } },
    );
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    const json = JSON.parse(ok.stdout) as ExportResult;
    expect(json.schemaVersion).toBe(1);
    expect(json.parts.map((p) => path.basename(p.path))).toEqual(['c.tar.000', 'c.tar.001', 'c.tar.002']);
    expect(json.signedBy).toBe(key.fingerprint);
    const direct = await exportTo('d.tar', { signKeyFile: keyFile });
    expect(json.sha256).toBe(direct.result.sha256);

    const badSize = await runCli([
      'export',
      bundleDir,
      '--tarball',
      path.join(out, 'x.tar'),
      '--split-size',
      '4GB',
    ]);
    expect(badSize.code).toBe(2);
    expect(badSize.stderr).toContain('--split-size "4GB" is not a size');

    const dir = path.join(await makeTempDir('airgap-export-copy-'), 'bundle');
    await fs.cp(bundleDir, dir, { recursive: true });
    await fs.appendFile(path.join(dir, PATHS.tofurc), '#');
    const mismatch = await runCli([
      'export',
      dir,
      '--tarball',
      path.join(out, 'y.tar'),
      '--tool-package',
      toolPackage,
    ]);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toContain(`Error: ${PATHS.tofurc}: ${path.join(dir, 'airgap.json')} lists`);
    expect(mismatch.stderr).toContain('Hint: the bundle directory changed since airgap.json was written');
    expect((await fs.readdir(out)).sort()).toEqual(['c.tar.000', 'c.tar.001', 'c.tar.002']);
  });
});
