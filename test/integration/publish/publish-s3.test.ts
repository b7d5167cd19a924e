// `airgap publish` against a real S3 server (s3rver behind the test front, which logs
// every request in order), checked with the AWS CLI v2 as the independent client:
// content types, sha256 metadata, upload order, a second publish uploading nothing,
// --prune deleting only what the source no longer has and only after the uploads, and
// the exact --dry-run text.

import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { renderTofurc } from '../../../src/core/config/tofurc.js';
import type { Reporter } from '../../../src/core/ports.js';
import { runImport } from '../../../src/services/import/import-service.js';
import { readVerifiedBundle } from '../../../src/services/transfer/bundle-reader.js';
import { thisProcess } from '../../helpers/host.js';
import { runCli } from '../../helpers/cli.js';
import { startS3Server, type TestS3Server } from '../../helpers/s3-server.js';
import { makeTempDir } from '../../helpers/tmp.js';
import { describeWithTools } from '../../helpers/tools.js';
import {
  generateBundleSigningKey,
  listTree,
  makeTestBundle,
  packBundleForTest,
  sha256Hex,
  type TestBundle,
} from '../../helpers/transfer.js';

const BUCKET = 'mirror';
const MIRROR_URL = 'https://mirror.corp.example/pre/providers/';

interface MirrorFile {
  path: string;
  size: number;
  sha256: string;
}

async function mirrorFiles(bundleDir: string): Promise<MirrorFile[]> {
  const root = path.join(bundleDir, 'providers');
  const out: MirrorFile[] = [];
  for (const rel of await listTree(root)) {
    const st = await fs.lstat(path.join(root, rel));
    if (!st.isFile()) continue;
    const bytes = await fs.readFile(path.join(root, rel));
    out.push({ path: rel, size: bytes.length, sha256: sha256Hex(bytes) });
  }
  return out;
}

function kindRank(p: string): number {
  if (p.endsWith('.zip')) return 0;
  if (p.endsWith('/index.json')) return 2;
  return 1;
}

const quiet: Reporter = { info: () => undefined, warn: () => undefined };

describeWithTools(['/usr/bin/aws', 'tar'], 'airgap publish to S3 (s3rver, aws CLI)', () => {
  let s3: TestS3Server;
  let full: TestBundle;
  let smaller: TestBundle;
  let work: string;
  let fullFiles: MirrorFile[];
  let smallerFiles: MirrorFile[];

  beforeAll(async () => {
    const platforms = ['linux_amd64', 'linux_arm64'];
    const nullSpec = {
      namespace: 'hashicorp',
      type: 'null',
      versions: ['3.2.1'],
      platforms,
      payloadSize: 256,
    };
    const widget = (version: string) => ({
      namespace: 'acme',
      type: 'widget',
      versions: [version],
      platforms,
      payloadSize: 300,
    });
    // The next bundle moves widget from 1.0.0 to 1.1.0; null's files are the same bytes in both.
    [s3, full, smaller, work] = await Promise.all([
      startS3Server(),
      makeTestBundle({ providers: [nullSpec, widget('1.0.0')], tofu: [] }),
      makeTestBundle({ providers: [nullSpec, widget('1.1.0')], tofu: [] }),
      makeTempDir(),
    ]);
    await s3.createBucket(BUCKET);
    fullFiles = await mirrorFiles(full.dir);
    smallerFiles = await mirrorFiles(smaller.dir);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([s3?.close(), full?.close(), smaller?.close()]);
  });

  function publish(dir: string, ...extra: string[]) {
    return runCli(
      [
        'publish',
        dir,
        `s3://${BUCKET}/pre/`,
        '--s3-endpoint',
        s3.endpoint,
        '--s3-path-style',
        '--mirror-url',
        MIRROR_URL,
        '--tofurc-out',
        path.join(work, 'tofurc.network-mirror'),
        ...extra,
      ],
      { env: s3.env, cwd: work },
    );
  }

  async function listed(): Promise<{ Key: string; Size: number }[]> {
    const r = await s3.aws(['s3api', 'list-objects-v2', '--bucket', BUCKET, '--output', 'json']);
    expect(r.code, r.stderr).toBe(0);
    return (
      (JSON.parse(r.stdout || '{}') as { Contents?: { Key: string; Size: number }[] }).Contents ?? []
    ).map(({ Key, Size }) => ({ Key, Size }));
  }

  it('uploads zips, then VERSION.json, then index.json, with their content types and sha256', async () => {
    s3.resetCounts();
    const r = await publish(full.dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const bytes = fullFiles.reduce((t, f) => t + f.size, 0);
    expect(r.stdout).toBe(
      `Published to s3://${BUCKET}/pre/providers/: ${fullFiles.length} uploaded (${bytes} bytes), 0 unchanged, 0 deleted\n` +
        `Wrote ${path.join(work, 'tofurc.network-mirror')} (network_mirror ${MIRROR_URL})\n`,
    );

    // The order the server saw: every zip before any VERSION.json, every VERSION.json before any index.json.
    const puts = s3.log
      .filter((e) => e.operation === 'PutObject')
      .map((e) => e.key.slice('pre/providers/'.length));
    expect([...puts].sort()).toEqual(fullFiles.map((f) => f.path).sort());
    expect(puts.map(kindRank)).toEqual([...puts.map(kindRank)].sort());
    // Each PUT claimed the file's SHA-256 as S3's checksum (the server refuses a wrong one).
    const byPath = new Map(fullFiles.map((f) => [f.path, f]));
    for (const e of s3.log.filter((x) => x.operation === 'PutObject')) {
      const f = byPath.get(e.key.slice('pre/providers/'.length))!;
      expect([f.path, e.checksumSha256]).toEqual([f.path, Buffer.from(f.sha256, 'hex').toString('base64')]);
    }
    expect(fullFiles.filter((f) => f.path.endsWith('.zip'))).toHaveLength(4);

    expect(await listed()).toEqual(
      fullFiles
        .map((f) => ({ Key: `pre/providers/${f.path}`, Size: f.size }))
        .sort((a, b) => (a.Key < b.Key ? -1 : 1)),
    );
    for (const f of fullFiles) {
      const head = await s3.aws([
        's3api',
        'head-object',
        '--bucket',
        BUCKET,
        '--key',
        `pre/providers/${f.path}`,
      ]);
      expect(head.code, head.stderr).toBe(0);
      const meta = JSON.parse(head.stdout) as {
        ContentType: string;
        Metadata: Record<string, string>;
        ContentLength: number;
      };
      expect({
        path: f.path,
        type: meta.ContentType,
        sha256: meta.Metadata.sha256,
        size: meta.ContentLength,
      }).toEqual({
        path: f.path,
        type: f.path.endsWith('.zip') ? 'application/zip' : 'application/json',
        sha256: f.sha256,
        size: f.size,
      });
    }
    // The bytes, downloaded by the AWS CLI, are the files'.
    const copy = path.join(work, 'copy');
    const cp = await s3.aws([
      's3',
      'cp',
      '--recursive',
      `s3://${BUCKET}/pre/providers/`,
      copy,
      '--only-show-errors',
    ]);
    expect(cp.code, cp.stderr).toBe(0);
    for (const f of fullFiles) {
      expect([f.path, sha256Hex(await fs.readFile(path.join(copy, f.path)))]).toEqual([f.path, f.sha256]);
    }
    expect(await fs.readFile(path.join(work, 'tofurc.network-mirror'), 'utf8')).toBe(
      renderTofurc({ networkMirrorUrl: MIRROR_URL }),
    );
  }, 120_000);

  it('a second publish of the same source uploads nothing', async () => {
    s3.resetCounts();
    const r = await publish(full.dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`: 0 uploaded (0 bytes), ${fullFiles.length} unchanged, 0 deleted\n`);
    expect(s3.count('PutObject')).toBe(0);
    expect(s3.count('DeleteObject')).toBe(0);
  }, 60_000);

  it('--dry-run lists, with sizes, what would be uploaded and deleted, and changes nothing', async () => {
    const before = await listed();
    s3.resetCounts();
    const r = await publish(smaller.dir, '--prune', '--dry-run');
    expect(r.code, r.stderr).toBe(0);
    const fullByPath = new Map(fullFiles.map((f) => [f.path, f]));
    const uploads = smallerFiles.filter((f) => fullByPath.get(f.path)?.sha256 !== f.sha256);
    const unchanged = smallerFiles.filter((f) => fullByPath.get(f.path)?.sha256 === f.sha256);
    const smallerPaths = new Set(smallerFiles.map((f) => f.path));
    const deletions = fullFiles.filter((f) => !smallerPaths.has(f.path));
    const D = 'registry.airgap.test/acme/widget';
    expect(uploads.map((u) => u.path)).toEqual([
      `${D}/1.1.0.json`,
      `${D}/index.json`,
      `${D}/terraform-provider-widget_1.1.0_linux_amd64.zip`,
      `${D}/terraform-provider-widget_1.1.0_linux_arm64.zip`,
    ]);
    const smallerByPath = new Map(smallerFiles.map((f) => [f.path, f]));
    const up = (p: string, type: string) => `upload  ${p}  ${smallerByPath.get(p)!.size}  ${type}`;
    const del = (p: string) => `delete  ${p}  ${fullByPath.get(p)!.size}`;
    const sum = (l: MirrorFile[]) => l.reduce((t, f) => t + f.size, 0);
    expect(unchanged).toHaveLength(4);
    expect(r.stdout).toBe(
      [
        `Dry run: nothing uploaded or deleted. Publishing to s3://${BUCKET}/pre/providers/ would:`,
        `  upload 4 objects (${sum(uploads)} bytes)`,
        `  skip 4 objects already there with the same sha256 (${sum(unchanged)} bytes)`,
        `  delete 3 objects (${sum(deletions)} bytes)`,
        up(`${D}/terraform-provider-widget_1.1.0_linux_amd64.zip`, 'application/zip'),
        up(`${D}/terraform-provider-widget_1.1.0_linux_arm64.zip`, 'application/zip'),
        up(`${D}/1.1.0.json`, 'application/json'),
        up(`${D}/index.json`, 'application/json'),
        del(`${D}/1.0.0.json`),
        del(`${D}/terraform-provider-widget_1.0.0_linux_amd64.zip`),
        del(`${D}/terraform-provider-widget_1.0.0_linux_arm64.zip`),
        '',
      ].join('\n'),
    );
    expect(s3.count('PutObject') + s3.count('DeleteObject') + s3.count('DeleteObjects')).toBe(0);
    expect(await listed()).toEqual(before);
  }, 60_000);

  it('--prune deletes only what the source no longer has, after the uploads', async () => {
    // An object beside the mirror, not under PREFIX/providers/, is never touched.
    const other = path.join(work, 'other.txt');
    await fs.writeFile(other, 'not the mirror\n');
    expect(
      (await s3.aws(['s3', 'cp', other, `s3://${BUCKET}/pre/bundle.tar`, '--only-show-errors'])).code,
    ).toBe(0);

    const kept = await publish(smaller.dir);
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.stdout).toContain(`: 4 uploaded`);
    expect(kept.stdout).toContain(', 3 kept (--prune deletes them)\n');
    // The full bundle's files, widget 1.1.0's three new ones, and bundle.tar.
    expect((await listed()).length).toBe(fullFiles.length + 3 + 1);

    s3.resetCounts();
    const r = await publish(full.dir);
    expect(r.code, r.stderr).toBe(0);
    s3.resetCounts();
    const pruned = await publish(smaller.dir, '--prune');
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stdout).toContain(`: 1 uploaded`);
    expect(pruned.stdout).toContain(`, 3 deleted\n`);
    const writes = s3.log.filter((e) => e.operation === 'PutObject' || e.operation === 'DeleteObject');
    // Only widget's index.json differs from what the last publish left (the full bundle's);
    // the 1.1.0 files are still there from the publish without --prune.
    const W = 'pre/providers/registry.airgap.test/acme/widget';
    expect(writes.map((e) => `${e.operation} ${e.key}`)).toEqual([
      `PutObject ${W}/index.json`,
      `DeleteObject ${W}/1.0.0.json`,
      `DeleteObject ${W}/terraform-provider-widget_1.0.0_linux_amd64.zip`,
      `DeleteObject ${W}/terraform-provider-widget_1.0.0_linux_arm64.zip`,
    ]);
    expect((await listed()).map((o) => o.Key)).toEqual(
      ['pre/bundle.tar', ...smallerFiles.map((f) => `pre/providers/${f.path}`)].sort(),
    );
  }, 120_000);

  it('refuses a bundle whose zip no longer matches airgap.json, before any request', async () => {
    const copy = path.join(work, 'tampered');
    await fs.cp(full.dir, copy, { recursive: true });
    const zip = fullFiles.find((f) => f.path.endsWith('.zip'))!;
    const file = path.join(copy, 'providers', zip.path);
    const bytes = await fs.readFile(file);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 30) ^ 1, bytes.length - 30);
    await fs.writeFile(file, bytes);
    s3.resetCounts();
    const r = await publish(copy);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `providers/${zip.path} changed since ${path.join(copy, 'airgap.json')} was written`,
    );
    expect([...s3.counts.values()].reduce((t, n) => t + n, 0)).toBe(0);
  }, 60_000);

  it('publishes the live generation of an import destination, and writes the tofurc into it', async () => {
    const key = await generateBundleSigningKey();
    const keyFile = path.join(work, 'signer.asc');
    await fs.writeFile(keyFile, key.publicKeyArmored);
    const packed = await packBundleForTest(smaller.dir, { signKey: key });
    const dest = path.join(work, 'dest');
    const importOnce = () =>
      runImport(
        {
          source: packed.file,
          dest,
          trustedKeyFiles: [keyFile],
          insecureSkipSignature: false,
          allowDowngrade: false,
          host: thisProcess(),
          platform: 'linux_amd64',
        },
        quiet,
        { readBundle: readVerifiedBundle },
      );
    await importOnce();
    const generation = path.basename(await fs.readlink(path.join(dest, '.airgap', 'current')));

    const r = await runCli(
      [
        'publish',
        dest,
        `s3://${BUCKET}/imported`,
        '--s3-endpoint',
        s3.endpoint,
        '--s3-path-style',
        '--mirror-url',
        MIRROR_URL,
        '--json',
      ],
      { env: s3.env, cwd: work },
    );
    expect(r.code, r.stderr).toBe(0);
    const tofurc = path.join(dest, 'tofurc.network-mirror');
    const sorted = [...smallerFiles].sort(
      (a, b) => kindRank(a.path) - kindRank(b.path) || (a.path < b.path ? -1 : 1),
    );
    expect(JSON.parse(r.stdout)).toEqual({
      schemaVersion: 1,
      source: { kind: 'import-destination', dir: dest, generation },
      target: `s3://${BUCKET}/imported/providers/`,
      mirrorUrl: MIRROR_URL,
      tofurc,
      dryRun: false,
      uploaded: sorted.map((f) => ({
        path: f.path,
        size: f.size,
        contentType: f.path.endsWith('.zip') ? 'application/zip' : 'application/json',
        sha256: f.sha256,
      })),
      unchanged: 0,
      deleted: [],
      kept: [],
      bytesUploaded: smallerFiles.reduce((t, f) => t + f.size, 0),
      dryRunLines: [],
    });
    expect(await fs.readFile(tofurc, 'utf8')).toBe(renderTofurc({ networkMirrorUrl: MIRROR_URL }));
    expect((await listed()).filter((o) => o.Key.startsWith('imported/')).map((o) => o.Key)).toEqual(
      smallerFiles.map((f) => `imported/providers/${f.path}`).sort(),
    );
    // The next import into DIR leaves tofurc.network-mirror alone.
    await expect(importOnce()).resolves.toBeDefined();
    expect(await fs.readFile(tofurc, 'utf8')).toBe(renderTofurc({ networkMirrorUrl: MIRROR_URL }));
  }, 120_000);

  it('refuses a plain-http bucket address for the tofurc, and names a missing bucket, with exit 2', async () => {
    const env = s3.env;
    s3.resetCounts();
    const http = await runCli(
      ['publish', full.dir, `s3://${BUCKET}/x/`, '--s3-endpoint', s3.endpoint, '--s3-path-style', '--json'],
      { env, cwd: work },
    );
    expect(http.code).toBe(2);
    const httpError = (JSON.parse(http.stdout) as { error: { code: string; message: string } }).error;
    expect([httpError.code, httpError.message]).toEqual([
      'USAGE',
      `the bucket's own address of the mirror, ${s3.endpoint}/${BUCKET}/x/providers/, is not https, and tofu reads a network mirror over https only`,
    ]);
    expect(s3.log).toEqual([]);

    const missing = await runCli(
      [
        'publish',
        full.dir,
        's3://no-such-bucket/x/',
        '--s3-endpoint',
        s3.endpoint,
        '--s3-path-style',
        '--mirror-url',
        MIRROR_URL,
        '--json',
      ],
      { env, cwd: work },
    );
    expect(missing.code).toBe(2);
    const error = (
      JSON.parse(missing.stdout) as { error: { code: string; details: Record<string, unknown> } }
    ).error;
    expect([error.code, error.details.operation, error.details.address]).toEqual([
      'S3_NOT_FOUND',
      'ListObjectsV2',
      's3://no-such-bucket/x/providers/',
    ]);
  }, 60_000);
});
