import { describe, expect, it } from 'vitest';

import { buildManifest, type BundleManifest } from '../../../src/core/bundle/manifest.js';
import { isAirgapError, type AirgapError } from '../../../src/core/errors.js';
import {
  checkSumsNames,
  crossCheckManifest,
  metadataStep,
  payloadRefs,
  toolPackageOf,
} from '../../../src/core/transfer/read-manifest.js';

const H = (c: string) => c.repeat(64);

function refused(fn: () => unknown): AirgapError {
  try {
    fn();
  } catch (e) {
    if (isAirgapError(e)) return e;
    throw e;
  }
  throw new Error('accepted');
}

function manifest(extra: Record<string, unknown> = {}): BundleManifest {
  const m = buildManifest({
    toolVersion: '0.1.0',
    createdAt: new Date('2026-11-22T00:00:00Z'),
    platforms: ['linux_amd64'],
    lockfiles: [],
    providers: [
      {
        address: 'registry.opentofu.org/hashicorp/null',
        version: '3.2.1',
        packages: [
          {
            platform: 'linux_amd64',
            path: 'providers/n.zip',
            size: 10,
            sha256: H('a'),
            hashes: ['zh:' + H('a')],
            source: 'registry',
          },
        ],
      },
    ],
    binaries: [],
    configs: [{ kind: 'tofurc', path: 'config/tofurc', size: 5, sha256: H('b') }],
    mirrorIndexes: [],
  });
  return { ...m, ...extra } as BundleManifest;
}

describe('metadataStep', () => {
  it('walks SHA256SUMS.sig, SHA256SUMS, airgap.json; the signature is optional', () => {
    expect(metadataStep('first', 'SHA256SUMS.sig', 'file', 'b.tar')).toEqual({
      role: 'signature',
      next: 'sums',
    });
    expect(metadataStep('sums', 'SHA256SUMS', 'file', 'b.tar')).toEqual({ role: 'sums', next: 'manifest' });
    expect(metadataStep('first', 'SHA256SUMS', 'file', 'b.tar')).toEqual({ role: 'sums', next: 'manifest' });
    expect(metadataStep('manifest', 'airgap.json', 'file', 'b.tar')).toEqual({
      role: 'manifest',
      next: 'payload',
    });
  });

  it('refuses anything else, naming what was expected and found', () => {
    const e = refused(() => metadataStep('first', 'providers', 'directory', 'b.tar'));
    expect(e.code).toBe('ARCHIVE_INVALID');
    expect(e.message).toBe(
      'b.tar: expected SHA256SUMS.sig or SHA256SUMS first, found directory "providers"; a transfer archive opens with SHA256SUMS.sig (when signed), SHA256SUMS, airgap.json',
    );
    expect(refused(() => metadataStep('sums', 'airgap.json', 'file', 'b.tar')).message).toContain(
      'expected SHA256SUMS after SHA256SUMS.sig, found "airgap.json"',
    );
    expect(refused(() => metadataStep('manifest', 'config/tofurc', 'file', 'b.tar')).details).toEqual({
      path: 'b.tar',
      expected: 'airgap.json',
      actual: 'config/tofurc',
    });
    expect(refused(() => metadataStep('manifest', 'airgap.json', 'directory', 'b.tar')).code).toBe(
      'ARCHIVE_INVALID',
    );
  });
});

describe('SHA256SUMS names', () => {
  it('must be canonical bundle paths, and never SHA256SUMS itself', () => {
    checkSumsNames(new Map([['providers/a', H('a')]]), 'SHA256SUMS');
    const e = refused(() => checkSumsNames(new Map([['../../etc/cron.d/x', H('a')]]), 'SHA256SUMS'));
    expect(e.code).toBe('CHECKSUMS_INVALID');
    expect(e.message).toBe(
      'SHA256SUMS names "../../etc/cron.d/x", which is not a bundle path: it has a ".." component',
    );
    expect(refused(() => checkSumsNames(new Map([['SHA256SUMS.sig', H('a')]]), 'SHA256SUMS')).message).toBe(
      'SHA256SUMS lists SHA256SUMS.sig, which it cannot cover (it does not list itself or its signature)',
    );
  });
});

describe('toolPackage and payload references', () => {
  it('reads toolPackage, checked like any file reference', () => {
    expect(toolPackageOf(manifest(), 'airgap.json')).toBeUndefined();
    const tool = { path: 'tool/airgap-0.1.0.tgz', size: 7, sha256: H('c') };
    expect(toolPackageOf(manifest({ toolPackage: tool }), 'airgap.json')).toEqual(tool);
    expect(
      refused(() => toolPackageOf(manifest({ toolPackage: { path: 'x' } }), 'airgap.json')).message,
    ).toBe('airgap.json: toolPackage: expected {path, size, sha256}, found {"path":"x"}');
    expect(
      refused(() =>
        toolPackageOf(manifest({ toolPackage: { ...tool, path: 'tool/../../x' } }), 'airgap.json'),
      ).code,
    ).toBe('MANIFEST_INVALID');
    const { refs, issues } = payloadRefs(manifest({ toolPackage: tool }), 'airgap.json');
    expect([...refs.keys()]).toEqual(['config/tofurc', 'providers/n.zip', 'tool/airgap-0.1.0.tgz']);
    expect(issues).toEqual([]);
  });

  it('reports one path listed twice with different digests', () => {
    const m = manifest({ mirrorIndexes: [{ path: 'config/tofurc', size: 6, sha256: H('d') }] });
    const { issues } = payloadRefs(m, 'airgap.json');
    expect(issues.map((i) => [i.code, i.message])).toEqual([
      [
        'MANIFEST_MISMATCH',
        `airgap.json lists config/tofurc twice, as 5 bytes sha256 ${H('b')} and as 6 bytes sha256 ${H('d')}`,
      ],
    ]);
  });

  it('cross-checks against SHA256SUMS both ways, per path', () => {
    const { refs } = payloadRefs(manifest(), 'airgap.json');
    const sums = new Map([
      ['airgap.json', H('f')],
      ['providers/n.zip', H('e')],
      ['extra.txt', H('1')],
    ]);
    const issues = crossCheckManifest(refs, sums, { manifest: 'airgap.json', sums: 'SHA256SUMS' });
    expect(issues.map((i) => [i.code, i.details.path, i.message])).toEqual([
      [
        'MANIFEST_MISMATCH',
        'config/tofurc',
        'airgap.json lists config/tofurc, but SHA256SUMS has no line for it',
      ],
      ['MANIFEST_MISMATCH', 'extra.txt', 'SHA256SUMS lists extra.txt, but airgap.json does not'],
      [
        'MANIFEST_MISMATCH',
        'providers/n.zip',
        `providers/n.zip: airgap.json lists sha256 ${H('a')}, but SHA256SUMS lists ${H('e')}`,
      ],
    ]);
    const agree = new Map([
      ['airgap.json', H('f')],
      ['providers/n.zip', H('a')],
      ['config/tofurc', H('b')],
    ]);
    expect(crossCheckManifest(refs, agree, { manifest: 'airgap.json', sums: 'SHA256SUMS' })).toEqual([]);
  });
});
