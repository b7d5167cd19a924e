import { describe, expect, it } from 'vitest';
import {
  buildManifest,
  creationTime,
  manifestFiles,
  parseManifest,
  renderManifest,
} from '../../../src/core/bundle/manifest.js';

const sha = (c: string): string => c.repeat(64);

function sample() {
  return buildManifest({
    toolVersion: '0.1.0',
    createdAt: new Date('2026-11-22T01:02:03.456Z'),
    platforms: ['linux_arm64', 'linux_amd64', 'linux_arm64'],
    lockfiles: [
      {
        path: 'lockfiles/b/.terraform.lock.hcl',
        size: 2,
        sha256: sha('b'),
        source: 'b/.terraform.lock.hcl',
        complete: true,
      },
      {
        path: 'lockfiles/a/.terraform.lock.hcl',
        size: 1,
        sha256: sha('a'),
        source: 'a/.terraform.lock.hcl',
        complete: false,
      },
    ],
    providers: [
      {
        address: 'registry.opentofu.org/hashicorp/null',
        version: '3.2.1',
        packages: [
          {
            platform: 'linux_arm64',
            path: 'providers/x_arm64.zip',
            size: 5,
            sha256: sha('c'),
            hashes: ['zh:c', 'h1:c'],
            source: 'registry',
          },
          {
            platform: 'linux_amd64',
            path: 'providers/x_amd64.zip',
            size: 4,
            sha256: sha('d'),
            hashes: ['zh:d', 'h1:d', 'h1:d'],
            source: 'registry',
          },
        ],
      },
    ],
    binaries: [],
    configs: [{ kind: 'tofurc', path: 'config/tofurc', size: 9, sha256: sha('e') }],
    mirrorIndexes: [{ path: 'providers/h/n/t/index.json', size: 3, sha256: sha('f') }],
  });
}

describe('bundle manifest', () => {
  it('sorts every list and drops sub-second precision, so equal inputs give equal bytes', () => {
    const m = sample();
    expect(m.createdAt).toBe('2026-11-22T01:02:03Z');
    expect(m.platforms).toEqual(['linux_amd64', 'linux_arm64']);
    expect(m.lockfiles.map((l) => l.path)).toEqual([
      'lockfiles/a/.terraform.lock.hcl',
      'lockfiles/b/.terraform.lock.hcl',
    ]);
    expect(m.providers[0]!.packages.map((p) => p.platform)).toEqual(['linux_amd64', 'linux_arm64']);
    expect(m.providers[0]!.packages[0]!.hashes).toEqual(['h1:d', 'zh:d']);
    expect(renderManifest(m)).toBe(renderManifest(sample()));
    expect(renderManifest(m).endsWith('}\n')).toBe(true);
  });

  it('lists every file it references, by path', () => {
    expect(manifestFiles(sample()).map((f) => f.path)).toEqual([
      'config/tofurc',
      'lockfiles/a/.terraform.lock.hcl',
      'lockfiles/b/.terraform.lock.hcl',
      'providers/h/n/t/index.json',
      'providers/x_amd64.zip',
      'providers/x_arm64.zip',
    ]);
  });

  it('round-trips through parseManifest and refuses what it cannot read', () => {
    const text = renderManifest(sample());
    expect(parseManifest(text, 'airgap.json')).toEqual(sample());
    expect(() =>
      parseManifest(text.replace('"formatVersion": 1', '"formatVersion": 2'), 'b/airgap.json'),
    ).toThrow('b/airgap.json: formatVersion: expected 1 (this airgap reads bundle format 1), found 2');
    expect(() =>
      parseManifest(text.replace('providers/x_amd64.zip', '../x_amd64.zip'), 'b/airgap.json'),
    ).toThrow(
      'b/airgap.json: providers[0].packages[0].path: expected a relative path inside the bundle, found "../x_amd64.zip"',
    );
    expect(() => parseManifest(text.replace(sha('e'), 'E'.repeat(64)), 'b/airgap.json')).toThrow(
      'b/airgap.json: configs[0].sha256: expected 64 lower-case hex digits',
    );
    expect(() => parseManifest('{', 'b/airgap.json')).toThrow(/^b\/airgap\.json is not valid JSON/);
  });

  it('takes the creation time from SOURCE_DATE_EPOCH', () => {
    expect(creationTime({ SOURCE_DATE_EPOCH: '1700000000' }).toISOString()).toBe('2023-11-14T22:13:20.000Z');
    const now = new Date('2026-01-01T00:00:00Z');
    expect(creationTime({}, () => now)).toBe(now);
    expect(() => creationTime({ SOURCE_DATE_EPOCH: 'yesterday' })).toThrow(
      'SOURCE_DATE_EPOCH must be a whole number of seconds since 1970, found "yesterday"',
    );
  });
});
