import { describe, expect, it } from 'vitest';

import {
  alwaysCarried,
  baseDigests,
  bundleFileList,
  carriedManifest,
  deltaManifest,
  deltaNeeds,
  planDelta,
} from '../../../src/core/bundle/delta.js';
import {
  buildManifest,
  parseManifest,
  renderManifest,
  type BundleManifest,
} from '../../../src/core/bundle/manifest.js';
import { payloadRefs } from '../../../src/core/transfer/read-manifest.js';

const sha = (c: string): string => c.repeat(64);

function bundle(zips: { path: string; sha: string; platform: string }[]): BundleManifest {
  return buildManifest({
    toolVersion: '0.1.0',
    createdAt: new Date('2026-01-01T00:00:00Z'),
    platforms: ['linux_amd64'],
    lockfiles: [],
    providers: [
      {
        address: 'registry.opentofu.org/hashicorp/null',
        version: '3.2.1',
        packages: zips.map((z) => ({
          platform: z.platform,
          path: z.path,
          size: 10,
          sha256: z.sha,
          hashes: [`zh:${z.sha}`],
          source: 'registry' as const,
        })),
      },
    ],
    binaries: [],
    configs: [{ kind: 'tofurc', path: 'config/tofurc', size: 3, sha256: sha('e') }],
    mirrorIndexes: [],
  });
}

const base = bundle([{ path: 'providers/a/x_amd64.zip', sha: sha('a'), platform: 'linux_amd64' }]);
// The same zip moved to another host, and a new one.
const next = bundle([
  { path: 'providers/b/x_amd64.zip', sha: sha('a'), platform: 'linux_amd64' },
  { path: 'providers/b/x_arm64.zip', sha: sha('c'), platform: 'linux_arm64' },
]);
const BASE = { manifestSha256: sha('9'), bundleDigest: sha('8'), createdAt: '2026-01-01T00:00:00Z' };

describe('planDelta', () => {
  it('leaves out every file whose sha256 the base has, wherever it sits', () => {
    const plan = planDelta(
      [
        { path: 'providers/b/x_arm64.zip', size: 10, sha256: sha('c') },
        { path: 'config/tofurc', size: 3, sha256: sha('e') },
        { path: 'providers/b/x_amd64.zip', size: 10, sha256: sha('a') },
      ],
      baseDigests(base),
    );
    expect(plan).toEqual({
      carried: [{ path: 'providers/b/x_arm64.zip', size: 10, sha256: sha('c') }],
      fromBase: [
        { path: 'config/tofurc', size: 3, sha256: sha('e') },
        { path: 'providers/b/x_amd64.zip', size: 10, sha256: sha('a') },
      ],
    });
  });

  it('an empty base leaves nothing out', () => {
    expect(planDelta([{ path: 'a', size: 1, sha256: sha('1') }], new Set()).fromBase).toEqual([]);
  });
});

describe('the delta section', () => {
  const plan = planDelta(
    [
      { path: 'config/tofurc', size: 3, sha256: sha('e') },
      { path: 'providers/b/x_amd64.zip', size: 10, sha256: sha('a') },
      { path: 'providers/b/x_arm64.zip', size: 10, sha256: sha('c') },
    ],
    baseDigests(base),
  );
  const delta = deltaManifest(next, BASE, plan);

  it('round-trips through parseManifest, and the reader expects only what is carried', () => {
    const parsed = parseManifest(renderManifest(delta), 'airgap.json');
    expect(parsed.kind).toBe('delta');
    expect(parsed.delta).toEqual({ base: BASE, fromBase: plan.fromBase });
    expect([...payloadRefs(parsed, 'airgap.json').refs.keys()]).toEqual(['providers/b/x_arm64.zip']);
    expect(carriedManifest(parsed).providers[0]!.packages.map((k) => k.path)).toEqual([
      'providers/b/x_arm64.zip',
    ]);
  });

  it('is refused when it does not fit the kind or the file list', () => {
    const text = (m: unknown): string => JSON.stringify(m);
    expect(() => parseManifest(text({ ...next, kind: 'partial' }), 'f')).toThrow(
      'f: kind: expected "full" or "delta", found "partial"',
    );
    expect(() => parseManifest(text({ ...next, delta: delta.delta }), 'f')).toThrow(
      'f: delta: expected no delta section in a "full" bundle',
    );
    expect(() => parseManifest(text({ ...next, kind: 'delta' }), 'f')).toThrow(
      'f: delta: expected an object (kind is "delta"), found undefined',
    );
    const wrongSha = {
      ...delta,
      delta: { ...delta.delta, fromBase: [{ path: 'config/tofurc', size: 3, sha256: sha('f') }] },
    };
    expect(() => parseManifest(text(wrongSha), 'f')).toThrow(
      'f: delta.fromBase[0]: expected a file this airgap.json lists, with the same size and sha256',
    );
    const twice = {
      ...delta,
      delta: { ...delta.delta, fromBase: [plan.fromBase[0], plan.fromBase[0]] },
    };
    expect(() => parseManifest(text(twice), 'f')).toThrow(
      'f: delta.fromBase[1]: expected each path once, found "config/tofurc"',
    );
    const badBase = { ...delta, delta: { ...delta.delta, base: { ...BASE, manifestSha256: 'x' } } };
    expect(() => parseManifest(text(badBase), 'f')).toThrow(
      'f: delta.base.manifestSha256: expected 64 lower-case hex digits, found "x"',
    );
  });
});

describe('the tool archive (tool/airgap-VERSION.tgz)', () => {
  const tool = { path: 'tool/airgap-0.1.0.tgz', size: 20, sha256: sha('7') };
  const packedBase = { ...base, toolPackage: tool } as BundleManifest;

  it('is a file of a packed base, so a delta carrying the same bytes leaves it out', () => {
    expect(bundleFileList(packedBase).map((f) => f.path)).toEqual([
      'config/tofurc',
      'providers/a/x_amd64.zip',
      'tool/airgap-0.1.0.tgz',
    ]);
    expect(baseDigests(packedBase).has(sha('7'))).toBe(true);
    // An unpacked bundle's airgap.json names none.
    expect(baseDigests(base).has(sha('7'))).toBe(false);
    const plan = planDelta(
      [tool, { path: 'providers/b/x_arm64.zip', size: 10, sha256: sha('c') }],
      baseDigests(packedBase),
    );
    expect(plan.fromBase).toEqual([tool]);
    const other = { ...tool, path: 'tool/airgap-0.2.0.tgz', sha256: sha('6') };
    expect(planDelta([other], baseDigests(packedBase)).carried).toEqual([other]);
  });

  it('round-trips in fromBase, is not expected in the tarball, and no import needs it from the destination', () => {
    const delta = { ...deltaManifest(next, BASE, { carried: [], fromBase: [tool] }), toolPackage: tool };
    const parsed = parseManifest(renderManifest(delta), 'airgap.json');
    expect(parsed.delta!.fromBase).toEqual([tool]);
    expect([...payloadRefs(parsed, 'airgap.json').refs.keys()]).not.toContain(tool.path);
    expect(deltaNeeds(parsed, new Set())).toEqual({ placed: [], hostZips: [], unused: [tool] });
    const otherBytes = { ...delta, toolPackage: { ...tool, sha256: sha('6') } };
    expect(() => parseManifest(JSON.stringify(otherBytes), 'f')).toThrow(
      'f: delta.fromBase[0]: expected a file this airgap.json lists, with the same size and sha256',
    );
  });
});

describe('alwaysCarried', () => {
  it('names the network-mirror JSON and the SBOM, which an import keeps and which differs between bundles', () => {
    const withSbom = { ...next, sbom: { path: 'sbom.cdx.json', size: 5, sha256: sha('5') } };
    expect([...alwaysCarried(withSbom)]).toEqual(['sbom.cdx.json']);
    const plan = planDelta(bundleFileList(withSbom), new Set([sha('5'), sha('a')]), alwaysCarried(withSbom));
    expect(plan.carried.map((f) => f.path)).toContain('sbom.cdx.json');
  });
});
