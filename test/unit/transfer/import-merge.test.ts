import { describe, expect, it } from 'vitest';
import {
  mergeMirrorJson,
  mirrorJsonKind,
  planProvidersMerge,
} from '../../../src/core/transfer/import-merge.js';
import {
  chooseHostBinaries,
  executableName,
  hostPlatformName,
  isReleaseZipFor,
} from '../../../src/core/transfer/import-platform.js';
import { buildManifest, type ManifestBinary } from '../../../src/core/bundle/manifest.js';

const H = 'registry.airgap.test/hashicorp/null';

describe('mirrorJsonKind', () => {
  it('recognizes index.json and VERSION.json beside the zips, nothing else', () => {
    expect(mirrorJsonKind(`${H}/index.json`)).toBe('index');
    expect(mirrorJsonKind(`${H}/3.2.1.json`)).toBe('version');
    expect(mirrorJsonKind(`${H}/terraform-provider-null_3.2.1_linux_amd64.zip`)).toBeUndefined();
    expect(mirrorJsonKind('registry.airgap.test/hashicorp/index.json')).toBeUndefined();
    expect(mirrorJsonKind(`${H}/x/3.2.1.json`)).toBeUndefined();
    expect(mirrorJsonKind(`${H}/.json`)).toBeUndefined();
  });
});

describe('planProvidersMerge', () => {
  it('keeps what only the live generation has, replaces shared files, merges shared JSON', () => {
    const zip = (v: string, p: string): string => `${H}/terraform-provider-null_${v}_${p}.zip`;
    const plan = planProvidersMerge(
      [
        zip('3.2.0', 'linux_amd64'),
        zip('3.2.1', 'linux_amd64'),
        `${H}/3.2.0.json`,
        `${H}/3.2.1.json`,
        `${H}/index.json`,
      ],
      [zip('3.2.1', 'linux_amd64'), zip('3.2.1', 'linux_arm64'), zip('3.2.2', 'linux_amd64')],
      [`${H}/index.json`, `${H}/3.2.2.json`, `${H}/3.2.1.json`],
    );
    expect(plan).toEqual({
      keep: [`${H}/3.2.0.json`, zip('3.2.0', 'linux_amd64')],
      replaced: [zip('3.2.1', 'linux_amd64')],
      merge: [`${H}/3.2.1.json`, `${H}/index.json`],
      addJson: [`${H}/3.2.2.json`],
    });
  });
});

describe('mergeMirrorJson', () => {
  it('index.json: the union of versions, sorted, in terraform providers mirror shape', () => {
    expect(
      mergeMirrorJson(
        `${H}/index.json`,
        '{"versions":{"3.2.0":{},"3.2.1":{}}}',
        '{"versions":{"3.2.1":{},"3.3.0":{}}}',
        'providers/x',
      ),
    ).toBe('{\n  "versions": {\n    "3.2.0": {},\n    "3.2.1": {},\n    "3.3.0": {}\n  }\n}');
  });

  it('VERSION.json: live platforms kept, the bundle replaces its platforms with their hashes (stale hashes dropped)', () => {
    const live = JSON.stringify({
      archives: {
        linux_amd64: { url: 'a.zip', hashes: ['h1:OLD=', 'zh:old'] },
        darwin_arm64: { url: 'd.zip', hashes: ['zh:dd', 'h1:DD='] },
      },
    });
    const incoming = JSON.stringify({
      archives: {
        linux_amd64: { url: 'a.zip', hashes: ['zh:new', 'h1:NEW='] },
        linux_arm64: { url: 'b.zip', hashes: ['zh:bb'] },
      },
    });
    expect(JSON.parse(mergeMirrorJson(`${H}/3.2.1.json`, live, incoming, 'providers/x'))).toEqual({
      archives: {
        darwin_arm64: { hashes: ['h1:DD=', 'zh:dd'], url: 'd.zip' },
        linux_amd64: { hashes: ['h1:NEW=', 'zh:new'], url: 'a.zip' },
        linux_arm64: { hashes: ['zh:bb'], url: 'b.zip' },
      },
    });
  });

  it('names the bundle file when its JSON is broken', () => {
    expect(() =>
      mergeMirrorJson(`${H}/index.json`, '{"versions":{}}', '[1]', 'providers/r/h/n/index.json'),
    ).toThrow('providers/r/h/n/index.json: expected {"versions": {...}}, found [1]');
  });
});

describe('host platform and binaries', () => {
  it('maps Node platform names to tofu platform names', () => {
    expect(hostPlatformName('linux', 'x64')).toBe('linux_amd64');
    expect(hostPlatformName('linux', 'arm64')).toBe('linux_arm64');
    expect(hostPlatformName('darwin', 'arm64')).toBe('darwin_arm64');
    expect(hostPlatformName('win32', 'x64')).toBe('windows_amd64');
    expect(hostPlatformName('freebsd', 'ia32')).toBe('freebsd_386');
    expect(() => hostPlatformName('aix', 'ppc64')).toThrow(
      'this host (aix/ppc64) has no OpenTofu platform name; pass --platform OS_ARCH',
    );
    expect(executableName('tofu', 'windows_amd64')).toBe('tofu.exe');
    expect(executableName('terraform', 'linux_arm64')).toBe('terraform');
  });

  it('recognizes a release zip for one platform by its bundle path', () => {
    expect(isReleaseZipFor('tofu/1.8.5/tofu_1.8.5_linux_amd64.zip', 'linux_amd64')).toBe(true);
    expect(isReleaseZipFor('terraform/1.9.8/terraform_1.9.8_linux_amd64.zip', 'linux_amd64')).toBe(true);
    expect(isReleaseZipFor('tofu/1.8.5/tofu_1.8.5_linux_arm64.zip', 'linux_amd64')).toBe(false);
    expect(isReleaseZipFor('tofu/1.8.5/tofu_1.8.4_linux_amd64.zip', 'linux_amd64')).toBe(false);
    expect(isReleaseZipFor('terraform/1.8.5/tofu_1.8.5_linux_amd64.zip', 'linux_amd64')).toBe(false);
    expect(isReleaseZipFor('x/tofu/1.8.5/tofu_1.8.5_linux_amd64.zip', 'linux_amd64')).toBe(false);
  });

  it('chooses the newest version with a host build of each tool, and names tools without one', () => {
    const bin = (tool: 'tofu' | 'terraform', version: string, platforms: string[]): ManifestBinary => ({
      tool,
      version,
      platforms: platforms.map((platform) => ({
        platform,
        path: `${tool}/${version}/${tool}_${version}_${platform}.zip`,
        size: 1,
        sha256: '0'.repeat(64),
      })),
      sums: { path: `${tool}/${version}/s`, size: 1, sha256: '0'.repeat(64) },
      signature: { path: `${tool}/${version}/g`, size: 1, sha256: '0'.repeat(64) },
      verifiedBy: { primaryKeyFingerprint: 'A', signingKeyFingerprint: 'A', keyExpiredSince: false },
    });
    const m = buildManifest({
      toolVersion: '0.1.0',
      createdAt: new Date(0),
      platforms: [],
      lockfiles: [],
      providers: [],
      binaries: [
        bin('tofu', '1.10.0', ['linux_amd64']),
        bin('tofu', '1.9.2', ['linux_amd64']),
        bin('tofu', '1.11.0-rc1', ['linux_arm64']),
        bin('terraform', '1.9.8', ['linux_arm64']),
      ],
      configs: [],
      mirrorIndexes: [],
    });
    expect(chooseHostBinaries(m, 'linux_amd64')).toEqual({
      install: [
        {
          tool: 'tofu',
          version: '1.10.0',
          zipPath: 'tofu/1.10.0/tofu_1.10.0_linux_amd64.zip',
          entry: 'tofu',
        },
      ],
      missing: [{ tool: 'terraform', versions: ['1.9.8'] }],
    });
    expect(chooseHostBinaries(m, 'linux_arm64').install).toEqual([
      {
        tool: 'terraform',
        version: '1.9.8',
        zipPath: 'terraform/1.9.8/terraform_1.9.8_linux_arm64.zip',
        entry: 'terraform',
      },
      {
        tool: 'tofu',
        version: '1.11.0-rc1',
        zipPath: 'tofu/1.11.0-rc1/tofu_1.11.0-rc1_linux_arm64.zip',
        entry: 'tofu',
      },
    ]);
  });
});
