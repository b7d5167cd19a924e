// The vendors' release lists: OpenTofu's api.json and HashiCorp's index.json, read
// from realistic samples (shapes, names and orders as the real services serve them),
// and every way a malformed list is refused.
import { describe, expect, it } from 'vitest';

import { AirgapError } from '../../../src/core/errors.js';
import {
  parseReleaseList,
  parseTerraformReleaseIndex,
  parseTofuReleaseList,
  resolveToolVersions,
} from '../../../src/core/releases/index.js';

function tofuFiles(v: string): string[] {
  const names = [
    `tofu_${v}_386.apk`,
    `tofu_${v}_386.deb`,
    `tofu_${v}_386.rpm`,
    `tofu_${v}_SHA256SUMS`,
    `tofu_${v}_SHA256SUMS.gpgsig`,
    `tofu_${v}_SHA256SUMS.pem`,
    `tofu_${v}_SHA256SUMS.sig`,
    `tofu_${v}_darwin_arm64.tar.gz`,
    `tofu_${v}_darwin_arm64.zip`,
    `tofu_${v}_linux_amd64.tar.gz`,
    `tofu_${v}_linux_amd64.zip`,
    `tofu_${v}_linux_arm64.zip`,
    `tofu_${v}_windows_amd64.zip`,
  ];
  return names;
}

// get.opentofu.org/tofu/api.json: newest first, prereleases mixed in.
const TOFU_API_JSON = JSON.stringify({
  versions: ['1.9.0', '1.9.0-rc1', '1.8.5', '1.8.4', '1.6.0-alpha1'].map((id) => ({
    id,
    files: tofuFiles(id),
  })),
});

// releases.hashicorp.com/terraform/index.json, two versions (a prerelease among them).
const TERRAFORM_INDEX_JSON = JSON.stringify({
  name: 'terraform',
  versions: {
    '1.10.0-alpha20240606': {
      name: 'terraform',
      version: '1.10.0-alpha20240606',
      shasums: 'terraform_1.10.0-alpha20240606_SHA256SUMS',
      shasums_signature: 'terraform_1.10.0-alpha20240606_SHA256SUMS.sig',
      shasums_signatures: [
        'terraform_1.10.0-alpha20240606_SHA256SUMS.72D7468F.sig',
        'terraform_1.10.0-alpha20240606_SHA256SUMS.sig',
      ],
      builds: [
        {
          name: 'terraform',
          version: '1.10.0-alpha20240606',
          os: 'linux',
          arch: 'amd64',
          filename: 'terraform_1.10.0-alpha20240606_linux_amd64.zip',
          url: 'https://releases.hashicorp.com/terraform/1.10.0-alpha20240606/terraform_1.10.0-alpha20240606_linux_amd64.zip',
        },
      ],
    },
    '1.9.8': {
      name: 'terraform',
      version: '1.9.8',
      shasums: 'terraform_1.9.8_SHA256SUMS',
      shasums_signature: 'terraform_1.9.8_SHA256SUMS.sig',
      shasums_signatures: ['terraform_1.9.8_SHA256SUMS.72D7468F.sig', 'terraform_1.9.8_SHA256SUMS.sig'],
      builds: ['darwin_arm64', 'linux_amd64', 'linux_arm64'].map((p) => {
        const [os, arch] = p.split('_');
        return {
          name: 'terraform',
          version: '1.9.8',
          os,
          arch,
          filename: `terraform_1.9.8_${p}.zip`,
          url: `https://releases.hashicorp.com/terraform/1.9.8/terraform_1.9.8_${p}.zip`,
        };
      }),
    },
  },
});

const SOURCE = 'https://get.opentofu.org/tofu/api.json';

function failure(f: () => unknown): AirgapError {
  try {
    f();
  } catch (e) {
    if (e instanceof AirgapError) return e;
    throw e;
  }
  throw new Error('expected an AirgapError, but the call returned');
}

describe('parseTofuReleaseList', () => {
  it('reads every version with its files, in the order served', () => {
    const list = parseTofuReleaseList(JSON.parse(TOFU_API_JSON), SOURCE);
    expect(list.map((l) => l.version)).toEqual(['1.9.0', '1.9.0-rc1', '1.8.5', '1.8.4', '1.6.0-alpha1']);
    expect(list[2]).toEqual({ version: '1.8.5', files: tofuFiles('1.8.5') });
    expect(list[2]?.files).toContain('tofu_1.8.5_linux_amd64.zip');
  });

  it('feeds constraint resolution', () => {
    const versions = parseTofuReleaseList(JSON.parse(TOFU_API_JSON), SOURCE).map((l) => l.version);
    expect(resolveToolVersions(['~> 1.8.0'], versions, 'tofu')).toEqual(['1.8.5']);
    expect(resolveToolVersions(['~> 1.8'], versions, 'tofu')).toEqual(['1.9.0']);
  });

  it('accepts a version without a file list', () => {
    expect(parseTofuReleaseList({ versions: [{ id: '1.8.5' }] }, SOURCE)).toEqual([{ version: '1.8.5' }]);
    expect(parseTofuReleaseList({ versions: [] }, SOURCE)).toEqual([]);
  });

  it.each([
    [null, 'is not {"versions":[...]} (found null)', 'null'],
    [[], 'is not {"versions":[...]} (found an array of 0)', 'an array of 0'],
    [
      { releases: [] },
      'is not {"versions":[...]} (found an object with keys ["releases"])',
      'an object with keys ["releases"]',
    ],
    [
      { versions: {} },
      'is not {"versions":[...]} (found an object with keys ["versions"])',
      'an object with keys ["versions"]',
    ],
    [{ versions: ['1.8.5'] }, 'versions[0] is not an object (found 1.8.5)', '1.8.5'],
    [{ versions: [{ id: 185 }] }, 'versions[0].id is not a string (found number 185)', 'number 185'],
    [
      { versions: [{ id: '1.8.5' }, { id: 'v1.8.6' }] },
      'versions[1].id "v1.8.6" is not a version (a "v" prefix is not allowed) (found v1.8.6)',
      'v1.8.6',
    ],
    [
      { versions: [{ id: '1.8' }] },
      'versions[0].id "1.8" is not a version (not in normalized form "1.8.0") (found 1.8)',
      '1.8',
    ],
    [
      { versions: [{ id: '1.8.5' }, { id: '1.8.5' }] },
      'versions[1].id "1.8.5" is listed twice (found 1.8.5)',
      '1.8.5',
    ],
    [
      { versions: [{ id: '1.8.5', files: 'x.zip' }] },
      'versions[0].files is not an array (found x.zip)',
      'x.zip',
    ],
    [
      { versions: [{ id: '1.8.5', files: ['ok.zip', '../../etc/passwd'] }] },
      'versions[0].files[1] is not a plain file name (found ../../etc/passwd)',
      '../../etc/passwd',
    ],
    [
      { versions: [{ id: '1.8.5', files: ['..'] }] },
      'versions[0].files[0] is not a plain file name (found ..)',
      '..',
    ],
  ])('refuses %j', (json, what, actual) => {
    const err = failure(() => parseTofuReleaseList(json, SOURCE));
    expect(err.code).toBe('RELEASE_LIST_INVALID');
    expect(err.message).toBe(`release list ${SOURCE}: ${what}`);
    expect(err.details.address).toBe(SOURCE);
    expect(err.details.actual).toBe(actual);
  });
});

describe('parseTerraformReleaseIndex', () => {
  const INDEX = 'https://releases.hashicorp.com/terraform/index.json';

  it('reads versions from the keys, files from builds plus the sums and signature', () => {
    const list = parseTerraformReleaseIndex(JSON.parse(TERRAFORM_INDEX_JSON), INDEX);
    expect(list).toEqual([
      {
        version: '1.10.0-alpha20240606',
        files: [
          'terraform_1.10.0-alpha20240606_linux_amd64.zip',
          'terraform_1.10.0-alpha20240606_SHA256SUMS',
          'terraform_1.10.0-alpha20240606_SHA256SUMS.sig',
        ],
      },
      {
        version: '1.9.8',
        files: [
          'terraform_1.9.8_darwin_arm64.zip',
          'terraform_1.9.8_linux_amd64.zip',
          'terraform_1.9.8_linux_arm64.zip',
          'terraform_1.9.8_SHA256SUMS',
          'terraform_1.9.8_SHA256SUMS.sig',
        ],
      },
    ]);
    // The prerelease is listed, but only an exact request picks it.
    expect(
      resolveToolVersions(
        ['>= 1.9'],
        list.map((l) => l.version),
        'terraform',
      ),
    ).toEqual(['1.9.8']);
  });

  it('is what parseReleaseList uses for terraform, and api.json for tofu', () => {
    expect(
      parseReleaseList('terraform', JSON.parse(TERRAFORM_INDEX_JSON), INDEX).map((l) => l.version),
    ).toEqual(['1.10.0-alpha20240606', '1.9.8']);
    expect(parseReleaseList('tofu', JSON.parse(TOFU_API_JSON), SOURCE)).toHaveLength(5);
    // Each shape is refused by the other parser.
    expect(failure(() => parseReleaseList('tofu', JSON.parse(TERRAFORM_INDEX_JSON), INDEX)).code).toBe(
      'RELEASE_LIST_INVALID',
    );
    expect(failure(() => parseReleaseList('terraform', JSON.parse(TOFU_API_JSON), SOURCE)).code).toBe(
      'RELEASE_LIST_INVALID',
    );
  });

  it.each([
    [{ versions: [] }, 'is not {"versions":{...}} (found an object with keys ["versions"])'],
    [{ versions: { 'not-a-version': {} } }, 'versions["not-a-version"] key "not-a-version" is not a version'],
    [{ versions: { '1.9.8': 'x' } }, 'versions["1.9.8"] is not an object (found x)'],
    [
      { versions: { '1.9.8': { version: '1.9.7' } } },
      'versions["1.9.8"].version disagrees with its key (found 1.9.7)',
    ],
    [{ versions: { '1.9.8': { builds: {} } } }, 'versions["1.9.8"].builds is not an array'],
    [
      { versions: { '1.9.8': { builds: [{ os: 'linux' }] } } },
      'versions["1.9.8"].builds[0].filename is not a plain file name (found nothing)',
    ],
    [
      { versions: { '1.9.8': { builds: [{ filename: 'a/b.zip' }] } } },
      'versions["1.9.8"].builds[0].filename is not a plain file name (found a/b.zip)',
    ],
  ])('refuses %j', (json, what) => {
    const err = failure(() => parseTerraformReleaseIndex(json, INDEX));
    expect(err.code).toBe('RELEASE_LIST_INVALID');
    expect(err.message).toContain(`release list ${INDEX}: ${what}`);
  });
});
