// The pure parts of applying a delta and of inventories as bases: what an import needs from
// the base, the refusal's text (first 10 missing, how many more), planDelta's always-carried
// mirror JSON, and what an inventory lets a delta leave out.
import { describe, expect, it } from 'vitest';

import { deltaBaseMissing, deltaNeeds, planDelta } from '../../../src/core/bundle/delta.js';
import { buildManifest, type BundleManifest, type FileRef } from '../../../src/core/bundle/manifest.js';
import {
  inventoryDeltaBase,
  inventoryDigests,
  parseInventoryDocument,
  type Inventory,
} from '../../../src/core/transfer/inventory.js';

const sha = (c: string): string => c.repeat(64);
const ref = (p: string, c: string): FileRef => ({ path: p, size: 10, sha256: sha(c) });

function delta(fromBase: FileRef[]): BundleManifest {
  return {
    ...buildManifest({
      toolVersion: '0.1.0',
      createdAt: new Date('2026-02-01T00:00:00Z'),
      platforms: ['linux_amd64'],
      lockfiles: [],
      providers: [],
      binaries: [],
      configs: [],
      mirrorIndexes: [],
    }),
    kind: 'delta',
    delta: {
      base: { manifestSha256: sha('9'), bundleDigest: sha('8'), createdAt: '2026-01-01T00:00:00Z' },
      fromBase,
    },
  };
}

describe('deltaNeeds', () => {
  it('splits fromBase into placed files, host release zips and files no import keeps', () => {
    const m = delta([
      ref('config/tofurc', '1'),
      ref('image/blobs/sha256/' + sha('2'), '2'),
      ref('lockfiles/app/.terraform.lock.hcl', '3'),
      ref('modules/h/n/m/s/1.0.0.zip', '4'),
      ref('providers/h/n/t/x_linux_amd64.zip', '5'),
      ref('tofu/1.8.5/tofu_1.8.5_linux_amd64.zip', '6'),
      ref('tofu/1.8.5/tofu_1.8.5_linux_arm64.zip', '7'),
    ]);
    const needs = deltaNeeds(m, new Set(['tofu/1.8.5/tofu_1.8.5_linux_amd64.zip']));
    expect(needs.placed.map((f) => f.path)).toEqual([
      `image/blobs/sha256/${sha('2')}`,
      'modules/h/n/m/s/1.0.0.zip',
      'providers/h/n/t/x_linux_amd64.zip',
    ]);
    expect(needs.hostZips.map((f) => f.path)).toEqual(['tofu/1.8.5/tofu_1.8.5_linux_amd64.zip']);
    expect(needs.unused.map((f) => f.path)).toEqual([
      'config/tofurc',
      'lockfiles/app/.terraform.lock.hcl',
      'tofu/1.8.5/tofu_1.8.5_linux_arm64.zip',
    ]);
  });
});

describe('deltaBaseMissing', () => {
  it('lists the first 10 missing files, says how many more, and names the base to import first', () => {
    const missing = Array.from({ length: 13 }, (_, i) =>
      ref(`providers/p/${String(i).padStart(2, '0')}.zip`, 'a'),
    );
    const e = deltaBaseMissing(delta(missing), 'd.tar', '/opt/airgap', missing);
    expect(e.code).toBe('DELTA_BASE_MISSING');
    const named = `the bundle created at 2026-01-01T00:00:00Z (bundle digest ${sha('8')})`;
    expect(e.message).toBe(
      `d.tar is a delta bundle on top of ${named}, but /opt/airgap does not hold 13 of the 13 files it expects from that base (matched by sha256); nothing was placed:\n` +
        missing
          .slice(0, 10)
          .map((f) => `  ${f.path} (sha256 ${sha('a')})`)
          .join('\n') +
        '\n  ... and 3 more',
    );
    expect(e.remedy).toBe(
      `import ${named} into /opt/airgap first, or export a full bundle (without --base) for this destination`,
    );
  });
});

describe('planDelta', () => {
  it('carries the always-carried paths (mirror JSON) even when the base has their bytes', () => {
    const files = [ref('providers/h/n/t/index.json', 'j'), ref('providers/h/n/t/x.zip', 'z')];
    const plan = planDelta(files, new Set([sha('j'), sha('z')]), new Set(['providers/h/n/t/index.json']));
    expect(plan.carried.map((f) => f.path)).toEqual(['providers/h/n/t/index.json']);
    expect(plan.fromBase.map((f) => f.path)).toEqual(['providers/h/n/t/x.zip']);
  });
});

describe('an inventory as a base', () => {
  const inv: Inventory = {
    schemaVersion: 1,
    kind: 'airgap-inventory',
    generation: '0001-8888888888888888',
    hostPlatform: 'linux_amd64',
    live: {
      bundleDigest: sha('8'),
      manifestSha256: sha('9'),
      createdAt: '2026-01-01T00:00:00Z',
      kind: 'full',
      files: [
        ref('config/tofurc', '1'),
        ref('providers/h/n/t/gone.zip', '2'),
        ref('tofu/1.8.5/tofu_1.8.5_linux_amd64.zip', '3'),
      ],
    },
    bundles: [],
    files: [ref('bin/tofu', '4'), ref('providers/h/n/t/x.zip', '5')],
  };

  it('leaves out what the destination holds and the live bundle files no import keeps, not a placed file it lost', () => {
    expect([...inventoryDigests(inv)].sort()).toEqual([sha('1'), sha('3'), sha('4'), sha('5')]);
    expect(inventoryDeltaBase(inv, sha('f'))).toEqual({
      manifestSha256: sha('9'),
      bundleDigest: sha('8'),
      createdAt: '2026-01-01T00:00:00Z',
    });
    const { manifestSha256: _m, ...older } = inv.live;
    expect(inventoryDeltaBase({ ...inv, live: older }, sha('f')).manifestSha256).toBe(sha('f'));
  });

  it('reads the document back, and refuses another version or a bad entry naming the key', () => {
    expect(parseInventoryDocument(JSON.parse(JSON.stringify(inv)), 'i.json')).toEqual({
      signed: false,
      inventory: inv,
    });
    expect(() => parseInventoryDocument({ ...inv, schemaVersion: 2 }, 'i.json')).toThrow(
      '--base i.json: schemaVersion: expected 1 (this airgap reads inventory format 1), found 2',
    );
    expect(() =>
      parseInventoryDocument({ ...inv, files: [{ path: 'x', size: 1, sha256: 'XYZ' }] }, 'i.json'),
    ).toThrow('--base i.json: files[0]: expected {"path", "size", "sha256": 64 lower-case hex}');
  });
});
