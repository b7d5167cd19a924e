// The transfer tarball's layout (docs/TRANSFER-FORMAT.md), from inline data: what
// goes in, in which order, with which modes, the packed airgap.json and SHA256SUMS,
// and every way a bundle directory can disagree with its manifest.

import { createHash } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { buildManifest, renderManifest, type BundleManifest } from '../../../src/core/bundle/manifest.js';
import { AirgapError, AirgapErrors } from '../../../src/core/errors.js';
import {
  compareBytewise,
  packEntries,
  packMtime,
  planPack,
  verifyStreamedFile,
  type FoundEntry,
  type PackFile,
} from '../../../src/core/transfer/pack-plan.js';

const SHA = {
  tofurc: '7bbfbc84345af091591b35a995f5744c40a0cd7f98fa146c0fec770d606ef7aa', // "provider_installation {}\n"
  lock: '718475cd179c5fce5f3cbaf68fb45b15017015ebeec359c040cf704e3f1c86b6', // "# lock\n"
  obj: 'ca3d163bab055381827226140568f3bef7eaac187cebd76878e0b63e9e442356', // "{}\n"
  arr: '37517e5f3dc66819f61f5a7bb8ace1921282415f10551d2defa5c3eb0985b570', // "[]\n"
  zip: '257a4c075a4c2721970ffc7ef0380d0bf7329185de8f34ff9a6ac8336561c34c', // "zip\n"
  sums: 'c001d0d1d2da2d23b87521529826ff1bb00c6afaac20b652c0871905c84d1508', // "sums\n"
  sig: '0a017e570e0b4626683b04224173c91586bdcff8767c95ed58078dc0a693896c', // "sig\n"
  tool: '7c9bbe5ec9b3fb774e8fa0f54247e93c34ddf8e5d16fe3073420de0ae81a262d', // "tool"
};

const TOOL = { path: 'tool/airgap-0.1.0.tgz', size: 4, sha256: SHA.tool };

function manifest(): BundleManifest {
  return buildManifest({
    toolVersion: '0.1.0',
    createdAt: new Date('2026-01-01T00:00:00Z'),
    platforms: ['linux_amd64'],
    lockfiles: [
      {
        path: 'lockfiles/app/.terraform.lock.hcl',
        size: 7,
        sha256: SHA.lock,
        source: 'app/.terraform.lock.hcl',
        complete: true,
      },
    ],
    providers: [],
    binaries: [
      {
        tool: 'tofu',
        version: '1.8.5',
        platforms: [
          {
            platform: 'linux_amd64',
            path: 'tofu/1.8.5/tofu_1.8.5_linux_amd64.zip',
            size: 4,
            sha256: SHA.zip,
          },
        ],
        sums: { path: 'tofu/1.8.5/tofu_1.8.5_SHA256SUMS', size: 5, sha256: SHA.sums },
        signature: { path: 'tofu/1.8.5/tofu_1.8.5_SHA256SUMS.gpgsig', size: 4, sha256: SHA.sig },
        verifiedBy: {
          primaryKeyFingerprint: 'E3E6E43D84CB852EADB0051D0C0AF313E5FD9F80',
          signingKeyFingerprint: 'E3E6E43D84CB852EADB0051D0C0AF313E5FD9F80',
          keyExpiredSince: false,
        },
      },
    ],
    configs: [{ kind: 'tofurc', path: 'config/tofurc', size: 25, sha256: SHA.tofurc }],
    // "a-b" sorts before "a/" bytewise: the case that makes directory names end in "/".
    mirrorIndexes: [
      { path: 'providers/a/x.json', size: 3, sha256: SHA.arr },
      { path: 'providers/a-b/x.json', size: 3, sha256: SHA.obj },
    ],
  });
}

function file(path: string, size: number, executable = false): FoundEntry {
  return { path, kind: 'file', size, executable };
}

function dir(path: string): FoundEntry {
  return { path, kind: 'directory', size: 0, executable: false };
}

function found(): FoundEntry[] {
  return [
    file('airgap.json', 1234),
    dir('config'),
    file('config/tofurc', 25),
    dir('lockfiles'),
    dir('lockfiles/app'),
    file('lockfiles/app/.terraform.lock.hcl', 7),
    dir('providers'),
    dir('providers/a'),
    file('providers/a/x.json', 3),
    dir('providers/a-b'),
    file('providers/a-b/x.json', 3),
    dir('tofu'),
    dir('tofu/1.8.5'),
    file('tofu/1.8.5/tofu_1.8.5_linux_amd64.zip', 4, true),
    file('tofu/1.8.5/tofu_1.8.5_SHA256SUMS', 5),
    file('tofu/1.8.5/tofu_1.8.5_SHA256SUMS.gpgsig', 4),
  ];
}

function caught(f: () => unknown): AirgapError {
  try {
    f();
  } catch (e) {
    if (e instanceof AirgapError) return e;
    throw e;
  }
  throw new Error('expected a failure, but the call succeeded');
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

describe('planPack', () => {
  it('lays out airgap.json, then every directory (ending in "/") right before its contents, sorted bytewise', () => {
    const plan = planPack({
      manifest: manifest(),
      manifestFile: 'b/airgap.json',
      found: found(),
      tool: TOOL,
    });
    expect(plan.body.map((e) => `${e.mode.toString(8)} ${e.name}`)).toEqual([
      '644 airgap.json',
      '755 config/',
      '644 config/tofurc',
      '755 lockfiles/',
      '755 lockfiles/app/',
      '644 lockfiles/app/.terraform.lock.hcl',
      '755 providers/',
      '755 providers/a-b/',
      '644 providers/a-b/x.json',
      '755 providers/a/',
      '644 providers/a/x.json',
      '755 tofu/',
      '755 tofu/1.8.5/',
      '644 tofu/1.8.5/tofu_1.8.5_SHA256SUMS',
      '644 tofu/1.8.5/tofu_1.8.5_SHA256SUMS.gpgsig',
      '755 tofu/1.8.5/tofu_1.8.5_linux_amd64.zip',
      '755 tool/',
      '644 tool/airgap-0.1.0.tgz',
    ]);
    const tool = plan.body.at(-1) as PackFile;
    expect(tool.content).toEqual({ from: 'tool' });
    expect(plan.body[2]).toEqual({
      type: 'file',
      name: 'config/tofurc',
      mode: 0o644,
      size: 25,
      sha256: SHA.tofurc,
      content: { from: 'bundle', path: 'config/tofurc' },
    });
    expect(plan.ignored).toEqual([]);
  });

  it('packs airgap.json with toolPackage added, and SHA256SUMS listing every other file in coreutils format', () => {
    const m = manifest();
    const plan = planPack({ manifest: m, manifestFile: 'b/airgap.json', found: found(), tool: TOOL });
    const text = Buffer.from(plan.manifestBytes).toString('utf8');
    expect(text).toBe(renderManifest({ ...m, toolPackage: TOOL } as BundleManifest));
    expect(JSON.parse(text).toolPackage).toEqual({
      path: 'tool/airgap-0.1.0.tgz',
      size: 4,
      sha256: SHA.tool,
    });
    expect(text.endsWith('}\n')).toBe(true);
    expect(Buffer.from(plan.checksums).toString('utf8')).toBe(
      [
        `${sha256(plan.manifestBytes)}  airgap.json`,
        `${SHA.tofurc}  config/tofurc`,
        `${SHA.lock}  lockfiles/app/.terraform.lock.hcl`,
        `${SHA.obj}  providers/a-b/x.json`,
        `${SHA.arr}  providers/a/x.json`,
        `${SHA.sums}  tofu/1.8.5/tofu_1.8.5_SHA256SUMS`,
        `${SHA.sig}  tofu/1.8.5/tofu_1.8.5_SHA256SUMS.gpgsig`,
        `${SHA.zip}  tofu/1.8.5/tofu_1.8.5_linux_amd64.zip`,
        `${SHA.tool}  tool/airgap-0.1.0.tgz`,
        '',
      ].join('\n'),
    );
    const manifestEntry = plan.body[0] as PackFile;
    expect(manifestEntry.sha256).toBe(sha256(plan.manifestBytes));
    expect(manifestEntry.size).toBe(plan.manifestBytes.length);
  });

  it('leaves the tool archive out of a delta whose base has its bytes (it is in delta.fromBase)', () => {
    const m = {
      ...manifest(),
      kind: 'delta',
      delta: {
        base: { manifestSha256: SHA.obj, createdAt: '2026-01-01T00:00:00Z' },
        fromBase: [TOOL, { path: 'config/tofurc', size: 25, sha256: SHA.tofurc }],
      },
    } as BundleManifest;
    const plan = planPack({ manifest: m, manifestFile: 'b/airgap.json', found: found(), tool: TOOL });
    const names = plan.body.map((e) => e.name);
    expect(names.filter((n) => n.startsWith('tool') || n.startsWith('config'))).toEqual([]);
    expect(JSON.parse(Buffer.from(plan.manifestBytes).toString('utf8')).toolPackage).toEqual(TOOL);
    const listed = Buffer.from(plan.checksums).toString('utf8');
    expect(listed).not.toContain('tool/airgap-0.1.0.tgz');
    expect(listed).not.toContain('config/tofurc');
    expect(listed).toContain(`${SHA.zip}  tofu/1.8.5/tofu_1.8.5_linux_amd64.zip`);
  });

  it('replaces a toolPackage already in the manifest (re-exporting an extracted tarball) and leaves out SHA256SUMS, tool/ and temp files', () => {
    const m = { ...manifest(), toolPackage: { path: 'tool/airgap-0.0.9.tgz', size: 1, sha256: SHA.obj } };
    const plan = planPack({
      manifest: m as BundleManifest,
      manifestFile: 'b/airgap.json',
      found: [
        ...found(),
        file('SHA256SUMS', 10),
        file('SHA256SUMS.sig', 10),
        dir('tool'),
        file('tool/airgap-0.0.9.tgz', 1),
        file('providers/.airgap-tmp-0a1b2c-x.zip', 99),
        dir('.airgap-tmp-import'),
      ],
      tool: TOOL,
    });
    expect(plan.ignored).toEqual([
      'SHA256SUMS',
      'SHA256SUMS.sig',
      'providers/.airgap-tmp-0a1b2c-x.zip',
      'tool/airgap-0.0.9.tgz',
    ]);
    expect(plan.manifest.toolPackage).toEqual(TOOL);
    expect(plan.body.map((e) => e.name)).not.toContain('tool/airgap-0.0.9.tgz');
  });

  it('refuses a directory that disagrees with its manifest, naming every problem at once', () => {
    const entries = found().filter((f) => f.path !== 'config/tofurc');
    entries.push(file('providers/extra.zip', 10));
    entries.push({ path: 'lockfiles/link', kind: 'other', size: 0, executable: false });
    const sizes = entries.map((f) => (f.path === 'providers/a/x.json' ? file(f.path, 4) : f));
    let err: unknown;
    try {
      planPack({ manifest: manifest(), manifestFile: 'b/airgap.json', found: sizes, tool: TOOL });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AirgapErrors);
    const all = (err as AirgapErrors).errors;
    expect(all.map((e) => e.code)).toEqual([
      'BUNDLE_MISMATCH',
      'BUNDLE_MISMATCH',
      'BUNDLE_MISMATCH',
      'BUNDLE_MISMATCH',
    ]);
    expect(all.map((e) => e.message)).toEqual([
      'config/tofurc: listed in b/airgap.json but missing from the bundle directory',
      'providers/a/x.json: b/airgap.json lists 3 bytes, the file has 4',
      'lockfiles/link: in the bundle directory but not listed in b/airgap.json; a tarball carries only what its manifest accounts for',
      'providers/extra.zip: in the bundle directory but not listed in b/airgap.json; a tarball carries only what its manifest accounts for',
    ]);
    expect(all[1]!.details).toMatchObject({
      path: 'providers/a/x.json',
      expected: '3 bytes',
      actual: '4 bytes',
    });
  });

  it('refuses a listed path that is a symlink or a directory (one problem: a single AirgapError)', () => {
    const entries = found().map((f) =>
      f.path === 'config/tofurc' ? { path: f.path, kind: 'other' as const, size: 0, executable: false } : f,
    );
    const e = caught(() => planPack({ manifest: manifest(), manifestFile: 'm', found: entries, tool: TOOL }));
    expect(e).not.toBeInstanceOf(AirgapErrors);
    expect(e.code).toBe('BUNDLE_MISMATCH');
    expect(e.message).toBe(
      'config/tofurc: listed in m as a file, but it is a symlink or special file; only regular files are packed',
    );
  });

  it('refuses manifests that name reserved or unsafe paths, or one path with two digests', () => {
    const withConfig = (path: string, sha = SHA.tofurc): BundleManifest => ({
      ...manifest(),
      configs: [{ kind: 'tofurc', path, size: 25, sha256: sha }],
    });
    const reserved = caught(() =>
      planPack({ manifest: withConfig('SHA256SUMS'), manifestFile: 'm', found: found(), tool: TOOL }),
    );
    expect(reserved.code).toBe('MANIFEST_INVALID');
    expect(reserved.message).toContain(
      'file reference "SHA256SUMS" uses a name the transfer format reserves',
    );
    const tool = caught(() =>
      planPack({ manifest: withConfig('tool/x'), manifestFile: 'm', found: found(), tool: TOOL }),
    );
    expect(tool.message).toContain('"tool/x" uses a name the transfer format reserves');
    const dots = caught(() =>
      planPack({ manifest: withConfig('config/./tofurc'), manifestFile: 'm', found: found(), tool: TOOL }),
    );
    expect(dots.message).toBe(
      'm: file reference "config/./tofurc" is not a plain relative path (empty, "." or ".." segment, or NUL)',
    );
    const twice = caught(() =>
      planPack({
        manifest: {
          ...withConfig('config/tofurc'),
          mirrorIndexes: [{ path: 'config/tofurc', size: 25, sha256: SHA.obj }],
        },
        manifestFile: 'm',
        found: found(),
        tool: TOOL,
      }),
    );
    expect(twice.code).toBe('MANIFEST_INVALID');
    expect(twice.message).toBe(
      `m: "config/tofurc" is listed twice, as 25 bytes sha256 ${SHA.tofurc} and as 25 bytes sha256 ${SHA.obj}`,
    );
  });
});

describe('packEntries', () => {
  const plan = planPack({ manifest: manifest(), manifestFile: 'm', found: found(), tool: TOOL });

  it('puts SHA256SUMS first, after its signature when signed', () => {
    expect(
      packEntries(plan)
        .slice(0, 3)
        .map((e) => e.name),
    ).toEqual(['SHA256SUMS', 'airgap.json', 'config/']);
    const sig = new Uint8Array([0x88, 0x75, 1, 2]);
    const signed = packEntries(plan, sig);
    expect(signed.slice(0, 3).map((e) => e.name)).toEqual(['SHA256SUMS.sig', 'SHA256SUMS', 'airgap.json']);
    expect(signed[0]).toEqual({
      type: 'file',
      name: 'SHA256SUMS.sig',
      mode: 0o644,
      size: 4,
      sha256: sha256(sig),
      content: { from: 'bytes', bytes: sig },
    });
    expect(signed.length).toBe(plan.body.length + 2);
  });
});

describe('verifyStreamedFile', () => {
  const plan = planPack({ manifest: manifest(), manifestFile: 'b/airgap.json', found: found(), tool: TOOL });
  const tofurc = plan.body.find((e) => e.name === 'config/tofurc') as PackFile;

  it('accepts the listed digest and refuses any other, naming both', () => {
    expect(() => verifyStreamedFile(tofurc, SHA.tofurc, 'b/airgap.json')).not.toThrow();
    const e = caught(() => verifyStreamedFile(tofurc, SHA.obj, 'b/airgap.json'));
    expect(e.code).toBe('BUNDLE_MISMATCH');
    expect(e.message).toBe(
      `config/tofurc: sha256 is ${SHA.obj}, but b/airgap.json lists ${SHA.tofurc}; the export was abandoned and no tarball written`,
    );
    expect(e.details).toMatchObject({ path: 'config/tofurc', expected: SHA.tofurc, actual: SHA.obj });
  });
});

describe('packMtime and compareBytewise', () => {
  it('takes SOURCE_DATE_EPOCH, else 2020-01-01, and refuses a malformed one', () => {
    expect(packMtime({}).toISOString()).toBe('2020-01-01T00:00:00.000Z');
    expect(packMtime({ SOURCE_DATE_EPOCH: '' }).toISOString()).toBe('2020-01-01T00:00:00.000Z');
    expect(packMtime({ SOURCE_DATE_EPOCH: '1764000000' }).toISOString()).toBe('2025-11-24T16:00:00.000Z');
    const e = caught(() => packMtime({ SOURCE_DATE_EPOCH: '1.5' }));
    expect(e.code).toBe('USAGE');
    expect(e.message).toBe('SOURCE_DATE_EPOCH must be a whole number of seconds since 1970, found "1.5"');
  });

  it('orders by UTF-8 bytes, not UTF-16 code units', () => {
    // U+FF61 is one UTF-16 unit above the surrogate of U+1F600, but its UTF-8 bytes sort below.
    expect(compareBytewise('\uff61', '\u{1f600}')).toBe(-1);
    expect('\uff61' < '\u{1f600}').toBe(false);
    expect(compareBytewise('a-b/', 'a/')).toBe(-1);
  });
});
