import { describe, expect, it } from 'vitest';
import type { ManifestProvider } from '../../../src/core/bundle/manifest.js';
import { layerInputsKey, planRunnerLayer, type LayerEntry } from '../../../src/core/image/layer-plan.js';

const providers: ManifestProvider[] = [
  {
    address: 'registry.terraform.io/hashicorp/null',
    version: '3.2.1',
    packages: [
      {
        path: 'providers/registry.terraform.io/hashicorp/null/terraform-provider-null_3.2.1_linux_amd64.zip',
        size: 100,
        sha256: 'a'.repeat(64),
        platform: 'linux_amd64',
        hashes: ['h1:AAA=', 'zh:' + 'a'.repeat(64)],
        source: 'registry',
      },
      {
        path: 'providers/registry.terraform.io/hashicorp/null/terraform-provider-null_3.2.1_linux_arm64.zip',
        size: 200,
        sha256: 'b'.repeat(64),
        platform: 'linux_arm64',
        hashes: ['h1:BBB='],
        source: 'registry',
      },
    ],
  },
  {
    address: 'registry.terraform.io/hashicorp/null',
    version: '3.1.0',
    packages: [
      {
        path: 'providers/registry.terraform.io/hashicorp/null/terraform-provider-null_3.1.0_linux_arm64.zip',
        size: 300,
        sha256: 'c'.repeat(64),
        platform: 'linux_arm64',
        hashes: ['h1:CCC='],
        source: 'registry',
      },
    ],
  },
];

const text = (b: Uint8Array | undefined): string => Buffer.from(b ?? new Uint8Array()).toString('utf8');

describe('planRunnerLayer', () => {
  const base = {
    providers,
    tool: {
      name: 'tofu' as const,
      zip: 'tofu/1.8.5/tofu_1.8.5_linux_amd64.zip',
      zipSha256: 'f'.repeat(64),
      size: 1234,
    },
    mirrorPath: '/providers',
    cliConfig: new TextEncoder().encode('provider_installation {}\n'),
    baseHasDirectory: (d: string) => ['bin', 'etc'].includes(d),
  };

  it('holds /bin/tofu, only the platform zips, trimmed mirror JSON and the CLI config, sorted', () => {
    const plan = planRunnerLayer({ ...base, platform: 'linux_amd64' });
    expect(plan.entries.map((e) => [e.name, e.type, e.mode, e.type === 'file' ? e.size : 0])).toEqual([
      ['bin/tofu', 'file', 0o755, 1234],
      ['etc/airgap/', 'directory', 0o755, 0],
      ['etc/airgap/tofurc', 'file', 0o644, 25],
      ['providers/', 'directory', 0o755, 0],
      ['providers/registry.terraform.io/', 'directory', 0o755, 0],
      ['providers/registry.terraform.io/hashicorp/', 'directory', 0o755, 0],
      ['providers/registry.terraform.io/hashicorp/null/', 'directory', 0o755, 0],
      ['providers/registry.terraform.io/hashicorp/null/3.2.1.json', 'file', 0o644, 235],
      ['providers/registry.terraform.io/hashicorp/null/index.json', 'file', 0o644, 39],
      [
        'providers/registry.terraform.io/hashicorp/null/terraform-provider-null_3.2.1_linux_amd64.zip',
        'file',
        0o644,
        100,
      ],
    ]);
    expect(plan.zips).toBe(1);
    const byName = new Map(plan.entries.map((e) => [e.name, e]));
    const v = byName.get('providers/registry.terraform.io/hashicorp/null/3.2.1.json');
    expect(v?.type === 'file' && v.source.kind === 'bytes' ? text(v.source.bytes) : '').toBe(
      JSON.stringify(
        {
          archives: {
            linux_amd64: {
              hashes: ['h1:AAA=', 'zh:' + 'a'.repeat(64)],
              url: 'terraform-provider-null_3.2.1_linux_amd64.zip',
            },
          },
        },
        null,
        2,
      ),
    );
    const i = byName.get('providers/registry.terraform.io/hashicorp/null/index.json');
    expect(i?.type === 'file' && i.source.kind === 'bytes' ? text(i.source.bytes) : '').toBe(
      '{\n  "versions": {\n    "3.2.1": {}\n  }\n}',
    );
    expect(byName.get('bin/tofu')).toMatchObject({
      source: {
        kind: 'zip-member',
        zip: 'tofu/1.8.5/tofu_1.8.5_linux_amd64.zip',
        zipSha256: 'f'.repeat(64),
        member: 'tofu',
      },
    });
  });

  it('lists both versions for arm64 and adds the CA bundle and missing directories', () => {
    const plan = planRunnerLayer({
      ...base,
      platform: 'linux_arm64',
      mirrorPath: '/opt/mirror/',
      caBundle: new TextEncoder().encode('CA\n'),
      baseHasDirectory: () => false,
    });
    expect(plan.entries.map((e) => e.name)).toEqual([
      'bin/',
      'bin/tofu',
      'etc/',
      'etc/airgap/',
      'etc/airgap/tofurc',
      'etc/ssl/',
      'etc/ssl/certs/',
      'etc/ssl/certs/ca-certificates.crt',
      'opt/',
      'opt/mirror/',
      'opt/mirror/registry.terraform.io/',
      'opt/mirror/registry.terraform.io/hashicorp/',
      'opt/mirror/registry.terraform.io/hashicorp/null/',
      'opt/mirror/registry.terraform.io/hashicorp/null/3.1.0.json',
      'opt/mirror/registry.terraform.io/hashicorp/null/3.2.1.json',
      'opt/mirror/registry.terraform.io/hashicorp/null/index.json',
      'opt/mirror/registry.terraform.io/hashicorp/null/terraform-provider-null_3.1.0_linux_arm64.zip',
      'opt/mirror/registry.terraform.io/hashicorp/null/terraform-provider-null_3.2.1_linux_arm64.zip',
    ]);
    const i = plan.entries.find((e) => e.name.endsWith('index.json'));
    expect(i?.type === 'file' && i.source.kind === 'bytes' ? text(i.source.bytes) : '').toBe(
      '{\n  "versions": {\n    "3.1.0": {},\n    "3.2.1": {}\n  }\n}',
    );
    expect(plan.zips).toBe(2);
  });

  it('leaves an empty mirror directory for a platform without providers', () => {
    const plan = planRunnerLayer({ ...base, platform: 'linux_386' });
    expect(plan.entries.map((e) => e.name)).toEqual([
      'bin/tofu',
      'etc/airgap/',
      'etc/airgap/tofurc',
      'providers/',
    ]);
  });

  it('refuses a relative mirror path', () => {
    expect(() => planRunnerLayer({ ...base, platform: 'linux_amd64', mirrorPath: 'providers' })).toThrow(
      'mirror path "providers" must be an absolute path below /',
    );
    expect(() => planRunnerLayer({ ...base, platform: 'linux_amd64', mirrorPath: '/a/../b' })).toThrow(
      'must be an absolute path below /',
    );
  });
});

describe('layerInputsKey', () => {
  const entries = (zipSha: string, cfg = 'a'): LayerEntry[] => [
    { type: 'directory', name: 'etc/airgap/', mode: 0o755 },
    {
      type: 'file',
      name: 'etc/airgap/tofurc',
      mode: 0o644,
      size: 1,
      source: { kind: 'bytes', bytes: new TextEncoder().encode(cfg) },
    },
    {
      type: 'file',
      name: 'providers/p.zip',
      mode: 0o644,
      size: 9,
      source: { kind: 'bundle-file', path: 'providers/p.zip', sha256: zipSha },
    },
  ];
  const mtime = new Date('2025-11-24T16:00:00Z');

  it('is the same for the same inputs and changes with any of them', () => {
    const key = layerInputsKey(entries('a'.repeat(64)), mtime);
    expect(key).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(layerInputsKey(entries('a'.repeat(64)), new Date(mtime))).toBe(key);
    const others = [
      layerInputsKey(entries('b'.repeat(64)), mtime),
      layerInputsKey(entries('a'.repeat(64), 'b'), mtime),
      layerInputsKey(entries('a'.repeat(64)), new Date('2025-11-24T16:00:01Z')),
      layerInputsKey(entries('a'.repeat(64)).slice(1), mtime),
      layerInputsKey(
        entries('a'.repeat(64)).map((e) => (e.type === 'file' ? { ...e, mode: 0o755 } : e)),
        mtime,
      ),
    ];
    expect(new Set([key, ...others]).size).toBe(6);
  });
});
