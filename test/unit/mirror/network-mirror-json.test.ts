import fs from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  parseIndexJson,
  parseVersionJson,
  renderIndexJson,
  renderVersionJson,
} from '../../../src/core/mirror/network-mirror-json.js';
import { realdata } from '../../helpers/realdata.js';

const real = (p: string): string =>
  realdata('registry/network-mirror/wandel__terraform-mirror/registry.terraform.io', p);

describe('network-mirror JSON', () => {
  it('reproduces real `terraform providers mirror` output byte for byte', async () => {
    for (const p of [
      'hashicorp/vsphere/2.3.1.json',
      'hashicorp/vsphere/2.3.0.json',
      'cloudflare/cloudflare/4.0.0.json',
    ]) {
      const text = await fs.readFile(real(p), 'utf8');
      expect(renderVersionJson({}, parseVersionJson(text, p))).toBe(text);
    }
    const index = await fs.readFile(real('hashicorp/vsphere/index.json'), 'utf8');
    expect(renderIndexJson(parseIndexJson(index, 'index.json'), [])).toBe(index);
    expect(parseIndexJson(index, 'index.json')).toEqual(['2.3.0', '2.3.1']);
  });

  it('merges: keeps existing platforms and versions, adds zh:, sorts and dedupes', async () => {
    const text = await fs.readFile(real('hashicorp/vsphere/2.3.1.json'), 'utf8');
    const merged = renderVersionJson(parseVersionJson(text, 'x'), {
      linux_amd64: {
        url: 'terraform-provider-vsphere_2.3.1_linux_amd64.zip',
        hashes: ['zh:ab', 'h1:jV56jcv3KlBoeqmbw0DOgfxg7ltchINBdp3WinjR6o4='],
      },
      linux_arm64: { url: 'terraform-provider-vsphere_2.3.1_linux_arm64.zip', hashes: ['zh:cd', 'h1:x='] },
    });
    expect(JSON.parse(merged)).toEqual({
      archives: {
        linux_amd64: {
          hashes: ['h1:jV56jcv3KlBoeqmbw0DOgfxg7ltchINBdp3WinjR6o4=', 'zh:ab'],
          url: 'terraform-provider-vsphere_2.3.1_linux_amd64.zip',
        },
        linux_arm64: { hashes: ['h1:x=', 'zh:cd'], url: 'terraform-provider-vsphere_2.3.1_linux_arm64.zip' },
        windows_amd64: {
          hashes: ['h1:g2qool4N/QSPs9VyCKkYsZtJXu53zvck9bsJpkpXGco='],
          url: 'terraform-provider-vsphere_2.3.1_windows_amd64.zip',
        },
      },
    });
    expect(renderIndexJson(['2.3.1', '2.3.0'], ['2.3.1', '10.0.0'])).toBe(
      '{\n  "versions": {\n    "10.0.0": {},\n    "2.3.0": {},\n    "2.3.1": {}\n  }\n}',
    );
  });

  it('rejects a VERSION.json that is not one, naming the file', () => {
    expect(() => parseVersionJson('{"versions":{}}', '/m/1.0.0.json')).toThrow(
      '/m/1.0.0.json: expected {"archives": {...}}',
    );
    expect(() => parseVersionJson('{', '/m/1.0.0.json')).toThrow(/^\/m\/1\.0\.0\.json is not valid JSON/);
  });
});
