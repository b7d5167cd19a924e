import { describe, expect, it } from 'vitest';
import {
  mirrorObjectKind,
  objectsToInspect,
  planPublish,
  publishedPath,
  type SourceFile,
} from '../../../src/core/publish/plan.js';
import { renderDryRun } from '../../../src/core/publish/render.js';
import { bucketMirrorUrl, publishedMirrorUrl } from '../../../src/core/publish/mirror-url.js';

const D = 'registry.opentofu.org/hashicorp/null';
const sha = (c: string): string => c.repeat(64);

const source: SourceFile[] = [
  { path: `${D}/index.json`, size: 40, sha256: sha('1') },
  { path: `${D}/3.2.1.json`, size: 300, sha256: sha('2') },
  { path: `${D}/terraform-provider-null_3.2.1_linux_arm64.zip`, size: 2000, sha256: sha('3') },
  { path: `${D}/terraform-provider-null_3.2.1_linux_amd64.zip`, size: 1000, sha256: sha('4') },
  { path: `example.com/acme/widget/index.json`, size: 41, sha256: sha('5') },
  { path: `example.com/acme/widget/1.0.0.json`, size: 301, sha256: sha('6') },
  {
    path: `example.com/acme/widget/terraform-provider-widget_1.0.0_linux_amd64.zip`,
    size: 10,
    sha256: sha('7'),
  },
];

describe('mirrorObjectKind', () => {
  it('classifies the network-mirror layout and nothing else', () => {
    expect(mirrorObjectKind(`${D}/index.json`)).toBe('index-json');
    expect(mirrorObjectKind(`${D}/3.2.1.json`)).toBe('version-json');
    expect(mirrorObjectKind(`${D}/x.zip`)).toBe('zip');
    expect(mirrorObjectKind(`${D}/README`)).toBeUndefined();
    expect(mirrorObjectKind('index.json')).toBeUndefined();
    expect(mirrorObjectKind(`${D}/sub/x.zip`)).toBeUndefined();
    expect(mirrorObjectKind(`a//b/x.zip`)).toBeUndefined();
    expect(mirrorObjectKind(`a/../b/x.zip`)).toBeUndefined();
  });
});

describe('publishedPath', () => {
  it('puts the host in the ASCII form tofu asks a network mirror for', () => {
    expect(publishedPath('bücher.example/acme/widget/index.json')).toBe(
      'xn--bcher-kva.example/acme/widget/index.json',
    );
    expect(publishedPath('registry.example:8443/acme/widget/1.0.0.json')).toBe(
      'registry.example:8443/acme/widget/1.0.0.json',
    );
    expect(publishedPath(`${D}/3.2.1.json`)).toBe(`${D}/3.2.1.json`);
  });
});

describe('planPublish', () => {
  it('to an empty prefix uploads zips, then VERSION.json, then index.json, each group by path', () => {
    const plan = planPublish(source, [], { prune: false });
    expect(plan.uploads.map((u) => [u.path, u.contentType, u.reason])).toEqual([
      [`example.com/acme/widget/terraform-provider-widget_1.0.0_linux_amd64.zip`, 'application/zip', 'new'],
      [`${D}/terraform-provider-null_3.2.1_linux_amd64.zip`, 'application/zip', 'new'],
      [`${D}/terraform-provider-null_3.2.1_linux_arm64.zip`, 'application/zip', 'new'],
      [`example.com/acme/widget/1.0.0.json`, 'application/json', 'new'],
      [`${D}/3.2.1.json`, 'application/json', 'new'],
      [`example.com/acme/widget/index.json`, 'application/json', 'new'],
      [`${D}/index.json`, 'application/json', 'new'],
    ]);
    expect(plan.unchanged).toEqual([]);
    expect(plan.deletions).toEqual([]);
    expect(plan.kept).toEqual([]);
  });

  it('skips objects with the same sha256 and size; re-uploads a changed or unknown one', () => {
    const remote = [...source.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256 }))];
    const again = planPublish(source, remote, { prune: true });
    expect(again.uploads).toEqual([]);
    expect(again.deletions).toEqual([]);
    expect(again.unchanged).toHaveLength(source.length);

    const changed = planPublish(
      source,
      [
        { path: `${D}/index.json`, size: 40, sha256: sha('9') },
        { path: `${D}/3.2.1.json`, size: 300 },
        { path: `${D}/terraform-provider-null_3.2.1_linux_arm64.zip`, size: 1999, sha256: sha('3') },
      ],
      { prune: false },
    );
    expect(changed.uploads.filter((u) => u.reason === 'changed').map((u) => u.path)).toEqual([
      `${D}/terraform-provider-null_3.2.1_linux_arm64.zip`,
      `${D}/3.2.1.json`,
      `${D}/index.json`,
    ]);
  });

  it('deletes only with prune, after uploads, index.json first and zips last; keeps them otherwise', () => {
    const remote = [
      { path: `${D}/terraform-provider-null_3.1.0_linux_amd64.zip`, size: 900, sha256: sha('a') },
      { path: `${D}/3.1.0.json`, size: 200, sha256: sha('b') },
      { path: `old.example/acme/gone/index.json`, size: 30, sha256: sha('c') },
      { path: `old.example/acme/gone/1.0.0.json`, size: 31, sha256: sha('d') },
      { path: `old.example/acme/gone/terraform-provider-gone_1.0.0_linux_amd64.zip`, size: 32 },
      { path: `${D}/notes.txt`, size: 5 },
    ];
    const pruned = planPublish(source, remote, { prune: true });
    expect(pruned.deletions.map((d) => d.path)).toEqual([
      `old.example/acme/gone/index.json`,
      `old.example/acme/gone/1.0.0.json`,
      `${D}/3.1.0.json`,
      `old.example/acme/gone/terraform-provider-gone_1.0.0_linux_amd64.zip`,
      `${D}/terraform-provider-null_3.1.0_linux_amd64.zip`,
      `${D}/notes.txt`,
    ]);
    expect(pruned.kept).toEqual([]);
    const kept = planPublish(source, remote, { prune: false });
    expect(kept.deletions).toEqual([]);
    expect(kept.kept.map((d) => d.path)).toEqual([
      `old.example/acme/gone/1.0.0.json`,
      `old.example/acme/gone/index.json`,
      `old.example/acme/gone/terraform-provider-gone_1.0.0_linux_amd64.zip`,
      `${D}/3.1.0.json`,
      `${D}/notes.txt`,
      `${D}/terraform-provider-null_3.1.0_linux_amd64.zip`,
    ]);
  });

  it('asks the store for sha256 only where the sizes agree', () => {
    expect(
      objectsToInspect(source, [
        { path: `${D}/index.json`, size: 40 },
        { path: `${D}/3.2.1.json`, size: 301 },
        { path: `${D}/terraform-provider-null_3.2.1_linux_amd64.zip`, size: 1000, sha256: sha('4') },
        { path: `${D}/gone.json`, size: 3 },
      ]),
    ).toEqual([`${D}/index.json`]);
  });
});

describe('renderDryRun', () => {
  it('lists uploads and deletions with sizes, in order', () => {
    const plan = planPublish(
      source.slice(0, 4),
      [
        { path: `${D}/terraform-provider-null_3.2.1_linux_amd64.zip`, size: 1000, sha256: sha('4') },
        { path: `${D}/3.1.0.json`, size: 200, sha256: sha('b') },
      ],
      { prune: true },
    );
    expect(renderDryRun(plan, 's3://bucket/pre/providers/').join('\n')).toBe(
      [
        'Dry run: nothing uploaded or deleted. Publishing to s3://bucket/pre/providers/ would:',
        '  upload 3 objects (2340 bytes)',
        '  skip 1 object already there with the same sha256 (1000 bytes)',
        '  delete 1 object (200 bytes)',
        `upload  ${D}/terraform-provider-null_3.2.1_linux_arm64.zip  2000  application/zip`,
        `upload  ${D}/3.2.1.json  300  application/json`,
        `upload  ${D}/index.json  40  application/json`,
        `delete  ${D}/3.1.0.json  200`,
      ].join('\n'),
    );
    const noPrune = planPublish(
      source.slice(0, 4),
      [{ path: `${D}/3.1.0.json`, size: 1, sha256: sha('b') }],
      {
        prune: false,
      },
    );
    expect(renderDryRun(noPrune, 's3://b/providers/')[3]).toBe(
      '  keep 1 object the source no longer has (1 byte; --prune deletes them)',
    );
  });
});

describe('the mirror URL', () => {
  const base = { bucket: 'tf-mirror', prefix: 'prod/', pathStyle: false, region: 'eu-west-1' };
  it('is the bucket’s own https address by default', () => {
    expect(bucketMirrorUrl(base)).toBe('https://tf-mirror.s3.eu-west-1.amazonaws.com/prod/providers/');
    expect(bucketMirrorUrl({ ...base, bucket: 'tf.mirror' })).toBe(
      'https://s3.eu-west-1.amazonaws.com/tf.mirror/prod/providers/',
    );
    expect(
      bucketMirrorUrl({ ...base, prefix: '', endpoint: 'https://127.0.0.1:9000', pathStyle: true }),
    ).toBe('https://127.0.0.1:9000/tf-mirror/providers/');
    expect(bucketMirrorUrl({ ...base, prefix: 'a b/', endpoint: 'https://minio.corp:9000/' })).toBe(
      'https://tf-mirror.minio.corp:9000/a%20b/providers/',
    );
  });
  it('is --mirror-url when given; an http bucket address needs one', () => {
    expect(publishedMirrorUrl(base, 'https://cdn.example/m/')).toBe('https://cdn.example/m/');
    expect(() =>
      publishedMirrorUrl({ ...base, endpoint: 'http://127.0.0.1:9000', pathStyle: true }, undefined),
    ).toThrow(/is not https/);
  });
});
