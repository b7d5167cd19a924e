import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseImageConfig } from '../../../src/core/image/oci-image.js';
import {
  renderLayoutIndex,
  renderRunnerConfig,
  renderRunnerIndex,
  renderRunnerManifest,
} from '../../../src/core/image/runner-image.js';

const d = (c: string): string => `sha256:${c.repeat(64)}`;
const sha = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

const baseBytes = new TextEncoder().encode(
  JSON.stringify({
    created: '2024-01-02T03:04:05Z',
    architecture: 'arm64',
    variant: 'v8',
    os: 'linux',
    config: {
      User: 'spacelift',
      Env: ['PATH=/bin', 'TF_CLI_CONFIG_FILE=/old'],
      Entrypoint: ['/bin/sh'],
      Cmd: ['-c', 'x'],
      WorkingDir: '/home/spacelift',
    },
    rootfs: { type: 'layers', diff_ids: [d('1')] },
    history: [{ created: '2024-01-02T03:04:05Z', created_by: 'base' }],
  }),
);

describe('runner image documents', () => {
  const config = renderRunnerConfig({
    base: parseImageConfig(baseBytes, 'base'),
    diffId: d('2'),
    created: '2025-11-24T16:00:00Z',
    cliConfigPath: '/etc/airgap/tofurc',
    createdBy: 'airgap mirror --image',
    comment: 'airgap 0.1.0',
  });

  it('keeps the base config, replaces TF_CLI_CONFIG_FILE and appends diff_id and history', () => {
    expect(JSON.parse(Buffer.from(config.bytes).toString('utf8'))).toEqual({
      created: '2025-11-24T16:00:00Z',
      architecture: 'arm64',
      variant: 'v8',
      os: 'linux',
      config: {
        User: 'spacelift',
        Env: ['PATH=/bin', 'TF_CLI_CONFIG_FILE=/etc/airgap/tofurc'],
        Entrypoint: ['/bin/sh'],
        Cmd: ['-c', 'x'],
        WorkingDir: '/home/spacelift',
      },
      rootfs: { type: 'layers', diff_ids: [d('1'), d('2')] },
      history: [
        { created: '2024-01-02T03:04:05Z', created_by: 'base' },
        { created: '2025-11-24T16:00:00Z', created_by: 'airgap mirror --image', comment: 'airgap 0.1.0' },
      ],
    });
    expect(config.digest).toBe(sha(config.bytes));
    expect(config.size).toBe(config.bytes.length);
    expect(config.mediaType).toBe('application/vnd.oci.image.config.v1+json');
  });

  it('converts Docker layer media types and appends the uncompressed layer', () => {
    const manifest = renderRunnerManifest({
      config,
      baseLayers: [
        { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: d('3'), size: 30 },
        { mediaType: 'application/vnd.docker.image.rootfs.diff.tar', digest: d('4'), size: 40 },
      ],
      layer: { digest: d('2'), size: 20, inputs: d('9') },
      base: { name: 'oci:/x:base', digest: d('5') },
      where: 'base',
    });
    expect(JSON.parse(Buffer.from(manifest.bytes).toString('utf8'))).toEqual({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: config.digest,
        size: config.size,
      },
      layers: [
        { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: d('3'), size: 30 },
        { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: d('4'), size: 40 },
        {
          mediaType: 'application/vnd.oci.image.layer.v1.tar',
          digest: d('2'),
          size: 20,
          annotations: { 'dev.airgap.layer.inputs': d('9') },
        },
      ],
      annotations: {
        'org.opencontainers.image.base.digest': d('5'),
        'org.opencontainers.image.base.name': 'oci:/x:base',
      },
    });
    expect(() =>
      renderRunnerManifest({
        config,
        baseLayers: [
          { mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', digest: d('3'), size: 1 },
        ],
        layer: { digest: d('2'), size: 20, inputs: d('9') },
        base: { name: 'b', digest: d('5') },
        where: 'base image b (windows_amd64)',
      }),
    ).toThrow(
      'base image b (windows_amd64) layers[0]: layer media type application/vnd.docker.image.rootfs.foreign.diff.tar.gzip is not a Linux layer tar',
    );
  });

  it('indexes platforms in OS_ARCH order, and index.json names the index and each platform', () => {
    const m = (c: string) => ({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: d(c),
      size: 7,
      bytes: new Uint8Array(),
    });
    const refs = [
      {
        platform: 'linux_arm64',
        ociPlatform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
        manifest: m('b'),
      },
      { platform: 'linux_amd64', ociPlatform: { os: 'linux', architecture: 'amd64' }, manifest: m('a') },
    ];
    const index = renderRunnerIndex(refs);
    expect(Buffer.from(index.bytes).toString('utf8')).toBe(
      `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[` +
        `{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"${d('a')}","size":7,"platform":{"os":"linux","architecture":"amd64"}},` +
        `{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"${d('b')}","size":7,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}}]}`,
    );
    const layout = JSON.parse(Buffer.from(renderLayoutIndex(index, 'latest', refs)).toString('utf8')) as {
      manifests: { digest: string; annotations: Record<string, string> }[];
    };
    expect(
      layout.manifests.map((x) => [x.digest, x.annotations['org.opencontainers.image.ref.name']]),
    ).toEqual([
      [index.digest, 'latest'],
      [d('a'), 'linux_amd64'],
      [d('b'), 'linux_arm64'],
    ]);
  });
});
