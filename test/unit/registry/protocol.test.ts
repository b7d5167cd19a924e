import fs from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  downloadUrl,
  parseDiscovery,
  parseDownload,
  parseVersions,
  versionsUrl,
} from '../../../src/core/registry/protocol.js';
import { realdata } from '../../helpers/realdata.js';

async function json(p: string): Promise<unknown> {
  return JSON.parse(await fs.readFile(realdata('registry', p), 'utf8'));
}

describe('registry protocol shapes', () => {
  it('resolves the providers.v1 service relative to the discovery document', async () => {
    expect(
      parseDiscovery(
        await json('renovate/lib/modules/datasource/terraform-provider/__fixtures__/service-discovery.json'),
        'https://registry.terraform.io/.well-known/terraform.json',
      ),
    ).toBe('https://registry.terraform.io/v1/providers/');
    expect(parseDiscovery({ 'modules.v1': '/m/' }, 'https://h/.well-known/terraform.json')).toBeUndefined();
    expect(
      parseDiscovery({ 'providers.v1': 'https://other.example/p' }, 'https://h/.well-known/terraform.json'),
    ).toBe('https://other.example/p/');
  });

  it('reads the real OpenTofu download response with its packages extension', async () => {
    const url = 'https://registry.opentofu.org/v1/providers/hashicorp/null/3.2.1/download/darwin/arm64';
    const info = parseDownload(
      await json(
        'examples/tfupdate-testdata/registry.opentofu.org__v1_providers_hashicorp_null_3.2.1_download_darwin_arm64.json',
      ),
      url,
    );
    expect(info.filename).toBe('terraform-provider-null_3.2.1_darwin_arm64.zip');
    expect(info.shasum).toBe('5ce03460813954cbebc9f9ad5befbe364d9dc67acb08869f67c1aa634fbf6d6c');
    expect(info.signingKeys.map((k) => k.keyId)).toEqual(['0C0AF313E5FD9F80']);
    expect(info.packages?.linux_amd64).toEqual({
      hashes: [
        'zh:40335019c11e5bdb3780301da5197cbc756b4b5ac3d699c52583f1d34e963176',
        'h1:uQv2oPjJv+ue8bPrVp+So2hHd90UTssnCNajTW554Cw=',
      ],
      packageSize: 4750928,
    });
    expect(info.shasumsSignatureUrl).toBe(
      'https://github.com/opentofu/terraform-provider-null/releases/download/v3.2.1/terraform-provider-null_3.2.1_SHA256SUMS.sig',
    );
  });

  it('reads the real registry.terraform.io download response', async () => {
    const info = parseDownload(
      await json(
        'examples/tfupdate-testdata/registry.terraform.io__v1_providers_hashicorp_null_3.2.1_download_darwin_arm64.json',
      ),
      'https://registry.terraform.io/x',
    );
    expect(info.signingKeys.map((k) => k.keyId)).toEqual(['34365D9472D7468F']);
    expect(info.packages).toBeUndefined();
  });

  it('reads a real versions list with platforms', async () => {
    const v = parseVersions(
      await json(
        'renovate/lib/modules/datasource/terraform-provider/__fixtures__/telmate-proxmox-versions-response.json',
      ),
      'u',
    );
    expect(v.length).toBeGreaterThan(0);
    expect(v[0]!.platforms.every((p) => /^[a-z0-9]+_[a-z0-9]+$/.test(p))).toBe(true);
  });

  it('rejects shapes the protocol does not define, naming the URL', () => {
    expect(() => parseVersions({ versions: 'no' }, 'https://r/v1/providers/a/b/versions')).toThrow(
      'registry response from https://r/v1/providers/a/b/versions: expected an object with a "versions" list, found {"versions":"no"}',
    );
    expect(() =>
      parseDownload(
        { filename: 'f', download_url: 'd', shasums_url: 's', shasums_signature_url: 'g', shasum: 'xyz' },
        'https://r/d',
      ),
    ).toThrow('expected a 64-digit hex "shasum", found "xyz"');
  });

  it('builds endpoint URLs under the service base', () => {
    expect(versionsUrl('https://r.example/v1/providers/', 'hashicorp', 'null')).toBe(
      'https://r.example/v1/providers/hashicorp/null/versions',
    );
    expect(
      downloadUrl('https://r.example/v1/providers/', 'hashicorp', 'null', '3.2.1', 'linux', 'amd64'),
    ).toBe('https://r.example/v1/providers/hashicorp/null/3.2.1/download/linux/amd64');
  });
});
