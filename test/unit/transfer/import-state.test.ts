import { describe, expect, it } from 'vitest';
import { buildManifest, manifestFiles, type BundleManifest } from '../../../src/core/bundle/manifest.js';
import { AirgapError } from '../../../src/core/errors.js';
import { mergeModules } from '../../../src/core/transfer/import-merge.js';
import {
  currentLinkTarget,
  generationFromCurrentTarget,
  generationName,
  stableLinkTarget,
} from '../../../src/core/transfer/import-layout.js';
import {
  buildImportState,
  decideImport,
  parseImportState,
  renderImportState,
  type ImportState,
} from '../../../src/core/transfer/import-state.js';

const D1 = '1'.repeat(64);
const D2 = '2'.repeat(64);
const D3 = 'a3'.repeat(32);

function manifest(createdAt: string): BundleManifest {
  return buildManifest({
    toolVersion: '0.1.0',
    createdAt: new Date(createdAt),
    platforms: ['linux_arm64', 'linux_amd64'],
    lockfiles: [
      {
        path: 'lockfiles/app/.terraform.lock.hcl',
        size: 10,
        sha256: 'c'.repeat(64),
        source: 'app/.terraform.lock.hcl',
        complete: true,
      },
    ],
    providers: [
      {
        address: 'registry.opentofu.org/hashicorp/null',
        version: '3.2.1',
        packages: ['linux_arm64', 'linux_amd64'].map((platform) => ({
          platform,
          path: `providers/registry.opentofu.org/hashicorp/null/terraform-provider-null_3.2.1_${platform}.zip`,
          size: 5,
          sha256: 'd'.repeat(64),
          hashes: [],
          source: 'registry' as const,
        })),
      },
    ],
    binaries: [
      {
        tool: 'tofu',
        version: '1.8.5',
        platforms: [
          {
            platform: 'linux_amd64',
            path: 'tofu/1.8.5/tofu_1.8.5_linux_amd64.zip',
            size: 1,
            sha256: 'e'.repeat(64),
          },
        ],
        sums: { path: 'tofu/1.8.5/tofu_1.8.5_SHA256SUMS', size: 1, sha256: 'e'.repeat(64) },
        signature: { path: 'tofu/1.8.5/tofu_1.8.5_SHA256SUMS.gpgsig', size: 1, sha256: 'e'.repeat(64) },
        verifiedBy: { primaryKeyFingerprint: 'A', signingKeyFingerprint: 'A', keyExpiredSince: false },
      },
    ],
    configs: [],
    mirrorIndexes: [],
  });
}

function stateAfter(imports: { digest: string; createdAt: string }[]): ImportState {
  let state: ImportState | undefined;
  imports.forEach((imp, i) => {
    state = buildImportState({
      previous: state,
      manifest: manifest(imp.createdAt),
      bundleDigest: imp.digest,
      signer: { primaryKeyFingerprint: 'AB'.repeat(20), signingKeyFingerprint: 'CD'.repeat(20) },
      hostPlatform: 'linux_amd64',
      sequence: i + 1,
      generation: generationName(i + 1, imp.digest),
      downgrade: false,
      installed: new Map([['tofu', { version: '1.8.5', path: 'bin/tofu' }]]),
      files: { count: 7, bytes: 1234 },
    });
  });
  return state!;
}

describe('import layout names', () => {
  it('names generations by sequence and digest prefix, and links relative to DIR', () => {
    expect(generationName(3, D3)).toBe('0003-a3a3a3a3a3a3a3a3');
    expect(generationName(12345, D1)).toBe('12345-1111111111111111');
    expect(stableLinkTarget('providers')).toBe('.airgap/current/providers');
    expect(stableLinkTarget('image')).toBe('.airgap/current/image');
    expect(currentLinkTarget('0003-a3a3a3a3a3a3a3a3')).toBe('generations/0003-a3a3a3a3a3a3a3a3');
    expect(generationFromCurrentTarget('generations/0003-a3a3a3a3a3a3a3a3')).toBe('0003-a3a3a3a3a3a3a3a3');
    expect(generationFromCurrentTarget('/etc/generations/0003-a3a3a3a3a3a3a3a3')).toBeUndefined();
    expect(generationFromCurrentTarget('generations/../../etc')).toBeUndefined();
  });
});

describe('buildImportState', () => {
  it('records digest, creation time, signer, contents and the history, deterministically', () => {
    const s = stateAfter([
      { digest: D1, createdAt: '2026-01-01T00:00:00Z' },
      { digest: D2, createdAt: '2026-02-01T00:00:00Z' },
    ]);
    expect(s).toEqual({
      formatVersion: 1,
      hostPlatform: 'linux_amd64',
      previousGeneration: '0001-1111111111111111',
      current: {
        sequence: 2,
        bundleDigest: D2,
        createdAt: '2026-02-01T00:00:00Z',
        generation: '0002-2222222222222222',
        signer: { primaryKeyFingerprint: 'AB'.repeat(20), signingKeyFingerprint: 'CD'.repeat(20) },
        downgrade: false,
        toolVersion: '0.1.0',
        contents: {
          platforms: ['linux_amd64', 'linux_arm64'],
          providers: [
            {
              address: 'registry.opentofu.org/hashicorp/null',
              version: '3.2.1',
              platforms: ['linux_amd64', 'linux_arm64'],
            },
          ],
          binaries: [{ tool: 'tofu', version: '1.8.5', platforms: ['linux_amd64'], installed: 'bin/tofu' }],
          lockfiles: ['lockfiles/app/.terraform.lock.hcl'],
          files: 7,
          bytes: 1234,
          // The bundle's complete file list: what `airgap inventory` reports it holds.
          bundleFiles: manifestFiles(manifest('2026-02-01T00:00:00Z')),
        },
      },
      history: [
        {
          sequence: 1,
          bundleDigest: D1,
          createdAt: '2026-01-01T00:00:00Z',
          generation: '0001-1111111111111111',
          signer: { primaryKeyFingerprint: 'AB'.repeat(20), signingKeyFingerprint: 'CD'.repeat(20) },
          downgrade: false,
        },
        {
          sequence: 2,
          bundleDigest: D2,
          createdAt: '2026-02-01T00:00:00Z',
          generation: '0002-2222222222222222',
          signer: { primaryKeyFingerprint: 'AB'.repeat(20), signingKeyFingerprint: 'CD'.repeat(20) },
          downgrade: false,
        },
      ],
    });
    const text = renderImportState(s);
    expect(text.endsWith('}\n')).toBe(true);
    expect(parseImportState(text, 'DIR/airgap-state.json')).toEqual(s);
  });
});

describe('the runner image in the state', () => {
  const M_AMD = `sha256:${'5'.repeat(64)}`;
  const M_ARM = `sha256:${'6'.repeat(64)}`;
  const INDEX = `sha256:${'7'.repeat(64)}`;

  function withImage(): ImportState {
    return buildImportState({
      previous: undefined,
      manifest: {
        ...manifest('2026-01-01T00:00:00Z'),
        image: {
          layout: 'image',
          ref: 'latest',
          digest: INDEX,
          base: { reference: 'registry.example/base:1', digest: INDEX },
          platforms: [
            { platform: 'linux_arm64', manifest: M_ARM },
            { platform: 'linux_amd64', manifest: M_AMD },
          ],
          tool: { name: 'tofu', version: '1.8.5' },
          files: [],
        },
      },
      bundleDigest: D1,
      signer: null,
      hostPlatform: 'linux_amd64',
      sequence: 1,
      generation: generationName(1, D1),
      downgrade: false,
      installed: new Map(),
      files: { count: 7, bytes: 1234 },
    });
  }

  it('records ref, index digest and platforms (sorted) as contents.image, and reads them back', () => {
    const s = withImage();
    expect(s.current.contents.image).toEqual({
      ref: 'latest',
      digest: INDEX,
      platforms: [
        { platform: 'linux_amd64', manifest: M_AMD },
        { platform: 'linux_arm64', manifest: M_ARM },
      ],
    });
    expect(Object.keys(s.current.contents).at(-2)).toBe('image');
    expect(s.formatVersion).toBe(1);
    expect(parseImportState(renderImportState(s), 'DIR/airgap-state.json')).toEqual(s);
    // Without an image there is no such key at all: states written before stay byte for byte.
    expect('image' in stateAfter([{ digest: D1, createdAt: '2026-01-01T00:00:00Z' }]).current.contents).toBe(
      false,
    );
  });

  it('refuses an image entry that is not ref, digest and platforms', () => {
    const doc = JSON.parse(renderImportState(withImage())) as { current: { contents: { image: unknown } } };
    doc.current.contents.image = { ref: 'latest', digest: 'sha256:XYZ', platforms: [] };
    expect(() => parseImportState(JSON.stringify(doc), '/x/airgap-state.json')).toThrow(
      '/x/airgap-state.json: current.contents.image.digest: expected sha256:<64 lower-case hex>, found "sha256:XYZ"',
    );
    doc.current.contents.image = { ref: 'latest', digest: INDEX, platforms: [{ platform: 'linux_amd64' }] };
    expect(() => parseImportState(JSON.stringify(doc), '/x/airgap-state.json')).toThrow(
      '/x/airgap-state.json: current.contents.image.platforms[0]: expected {"platform": OS_ARCH, "manifest": sha256:<hex>}, found {"platform":"linux_amd64"}',
    );
  });
});

describe('registry modules in the state', () => {
  const mod = {
    source: 'registry.terraform.io/acme/net/aws',
    version: '1.0.0',
    path: 'modules/registry.terraform.io/acme/net/aws/1.0.0.zip',
    size: 10,
    sha256: 'c'.repeat(64),
  };

  it('round-trips, and leaves the key out when there are none', () => {
    const s = stateAfter([{ digest: D1, createdAt: '2026-01-01T00:00:00Z' }]);
    expect('modules' in s.current.contents).toBe(false);
    const withModules = {
      ...s,
      current: { ...s.current, contents: { ...s.current.contents, modules: [mod] } },
    };
    expect(parseImportState(renderImportState(withModules), 'DIR/airgap-state.json')).toEqual(withModules);
  });

  it.each([
    [{ ...mod, path: 'modules/../../etc/x.zip' }],
    [{ ...mod, path: 'providers/x.zip' }],
    [{ ...mod, sha256: 'XYZ' }],
    [{ ...mod, source: 'acme/net/aws' }],
    [{ ...mod, subdir: 3 }],
  ])('refuses %j', (bad) => {
    const s = stateAfter([{ digest: D1, createdAt: '2026-01-01T00:00:00Z' }]);
    const doc = JSON.parse(renderImportState(s)) as { current: { contents: { modules?: unknown } } };
    doc.current.contents.modules = [bad];
    expect(() => parseImportState(JSON.stringify(doc), '/x/airgap-state.json')).toThrow(
      '/x/airgap-state.json: current.contents.modules[0]: expected {"source": "HOST/NS/NAME/SYSTEM"',
    );
  });

  it('merges: the live modules, the bundle replacing one at the same path, sorted by path', () => {
    const other = { ...mod, version: '2.0.0', path: 'modules/registry.terraform.io/acme/net/aws/2.0.0.zip' };
    const rebuilt = { ...mod, sha256: 'd'.repeat(64) };
    expect(mergeModules([other, mod], [rebuilt])).toEqual([rebuilt, other]);
  });
});

describe('parseImportState', () => {
  const good = (): Record<string, unknown> =>
    JSON.parse(renderImportState(stateAfter([{ digest: D1, createdAt: '2026-01-01T00:00:00Z' }]))) as Record<
      string,
      unknown
    >;

  function refusal(doc: unknown): AirgapError {
    try {
      parseImportState(typeof doc === 'string' ? doc : JSON.stringify(doc), '/x/airgap-state.json');
    } catch (e) {
      return e as AirgapError;
    }
    throw new Error('accepted');
  }

  it('refuses another format version, naming the file and both versions', () => {
    const e = refusal({ ...good(), formatVersion: 2 });
    expect(e.code).toBe('IMPORT_DEST_INVALID');
    expect(e.message).toBe(
      '/x/airgap-state.json: formatVersion: expected 1 (this airgap reads import state format 1), found 2',
    );
  });

  it('refuses broken JSON, a bad digest, and a history that does not end in the current import', () => {
    expect(refusal('{').message).toMatch(/^\/x\/airgap-state\.json is not valid JSON: /);
    const d = good();
    (d.current as Record<string, unknown>).bundleDigest = 'XYZ';
    expect(refusal(d).message).toBe(
      '/x/airgap-state.json: current.bundleDigest: expected 64 lower-case hex digits, found "XYZ"',
    );
    const h = good();
    (h.history as Record<string, unknown>[])[0]!.bundleDigest = D2;
    expect(refusal(h).message).toMatch(
      /^\/x\/airgap-state\.json: history: expected the current import as its last entry/,
    );
  });
});

describe('decideImport (rollback protection)', () => {
  const state = stateAfter([
    { digest: D1, createdAt: '2026-03-01T00:00:00Z' },
    { digest: D2, createdAt: '2026-02-01T00:00:00Z' },
  ]);

  it('imports into an empty DIR as #1, and a newer or equally old bundle as the next', () => {
    expect(decideImport(undefined, { bundleDigest: D3, createdAt: '2020-01-01T00:00:00Z' }, false)).toEqual({
      action: 'import',
      sequence: 1,
      downgrade: false,
    });
    expect(decideImport(state, { bundleDigest: D3, createdAt: '2026-03-01T00:00:00Z' }, false)).toEqual({
      action: 'import',
      sequence: 3,
      downgrade: false,
    });
  });

  it('is a no-op for the live bundle, whatever its time', () => {
    expect(decideImport(state, { bundleDigest: D2, createdAt: '2026-02-01T00:00:00Z' }, false)).toEqual({
      action: 'noop',
      record: state.current,
    });
  });

  it('compares with the newest bundle ever imported, not the live one', () => {
    // Live is D2 (Feb), but D1 (Mar) was imported before it: a Feb 15 bundle is still a rollback.
    let err: AirgapError | undefined;
    try {
      decideImport(state, { bundleDigest: D3, createdAt: '2026-02-15T00:00:00Z' }, false);
    } catch (e) {
      err = e as AirgapError;
    }
    expect(err?.code).toBe('DOWNGRADE_REFUSED');
    expect(err?.message).toBe(
      'the bundle a3a3a3a3a3a3a3a3 was created at 2026-02-15T00:00:00Z, before 2026-03-01T00:00:00Z, when the newest ' +
        'bundle already imported (1111111111111111, import #1) was created; importing it could roll back fixed providers',
    );
    expect(err?.details).toEqual({
      expected: 'a bundle created at or after 2026-03-01T00:00:00Z',
      actual: '2026-02-15T00:00:00Z',
    });
  });

  it('replaying an older imported bundle is refused too; --allow-downgrade lets it through, marked', () => {
    expect(() =>
      decideImport(state, { bundleDigest: D1.replace(/1/g, '4'), createdAt: '2026-02-28T23:59:59Z' }, false),
    ).toThrow(/before 2026-03-01T00:00:00Z/);
    expect(decideImport(state, { bundleDigest: D3, createdAt: '2025-01-01T00:00:00Z' }, true)).toEqual({
      action: 'import',
      sequence: 3,
      downgrade: true,
      newest: state.history[0],
    });
  });

  it('refuses a digest that is not a sha256 (an unpacked directory has none)', () => {
    expect(() =>
      decideImport(undefined, { bundleDigest: '', createdAt: '2026-01-01T00:00:00Z' }, false),
    ).toThrow('the bundle digest "" is not a sha256');
  });

  it('refuses a createdAt that is not RFC 3339', () => {
    expect(() => decideImport(state, { bundleDigest: D3, createdAt: 'yesterday' }, true)).toThrow(
      'airgap.json createdAt: "yesterday" is not an RFC 3339 time',
    );
  });
});
