// `airgap export --tarball s3://...` against a real S3 server (s3rver), checked with
// the AWS CLI v2, sha256sum, tar and gpg: the same bytes as on disk, the content id in
// the object's metadata and the sha256 in the KEY_SHA256SUMS object beside it, per-part
// SHA-256 checksums, nothing sent twice, split parts,
// and a killed upload resumed from the parts S3 already holds.
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { ExportResult } from '../../../src/services/export/export-service.js';
import { AIRGAP_BIN, runCli } from '../../helpers/cli.js';
import { REPO_ROOT } from '../../helpers/realdata.js';
import { makeS3TestBundle, type S3TestBundle } from '../../helpers/s3-bundle.js';
import { AWS_CLI, startS3Server, uniqueBucket, type TestS3Server } from '../../helpers/s3-server.js';
import { makeTempDir } from '../../helpers/tmp.js';
import { describeWithTools } from '../../helpers/tools.js';

// Real servers, the AWS CLI and tens of MiB per test on a shared two-core machine.
vi.setConfig({ testTimeout: 240_000 });

const run = promisify(execFile);
const MIB = 1024 * 1024;

let fixture: S3TestBundle;
let s3: TestS3Server;
let work: string;
let onDisk: ExportResult;

beforeAll(async () => {
  // Two 10 MiB provider zips: a tarball of a little over 20 MiB, three 8 MiB upload parts.
  fixture = await makeS3TestBundle(10 * MIB);
  s3 = await startS3Server();
  work = await makeTempDir('airgap-s3-export-');
  const local = await runCli(
    ['export', fixture.dir, ...common(), '--tarball', path.join(work, 'disk.tar'), '--json'],
    { env: fixture.env },
  );
  expect(local.stderr).toBe('');
  onDisk = JSON.parse(local.stdout) as ExportResult;
}, 180_000);

afterAll(async () => {
  await s3?.close();
  await fixture?.bundle.close();
});

function common(): string[] {
  return ['--tool-package', fixture.toolPackage, '--sign-key', fixture.keyFile];
}

function s3Flags(): string[] {
  return ['--s3-endpoint', s3.endpoint, '--s3-path-style'];
}

async function exportToS3(
  url: string,
  extra: string[] = [],
): Promise<{ code: number | null; json: ExportResult; stderr: string }> {
  const r = await runCli(
    ['export', fixture.dir, ...common(), '--tarball', url, ...s3Flags(), ...extra, '--json'],
    {
      env: { ...fixture.env, ...s3.env },
    },
  );
  return {
    code: r.code,
    json: (r.code === 0 ? JSON.parse(r.stdout) : undefined) as ExportResult,
    stderr: r.stderr,
  };
}

async function sha256sum(file: string): Promise<string> {
  return (await run('sha256sum', [file])).stdout.split(' ')[0]!;
}

describeWithTools([AWS_CLI, 'sha256sum', 'tar', 'gpg'], 'airgap export to S3', () => {
  it('uploads the same bytes as on disk, in 8 MiB parts with SHA-256 checksums; aws s3 cp gets a tarball that passes sha256sum -c and gpg --verify', async () => {
    const bucket = uniqueBucket();
    await s3.createBucket(bucket);
    s3.resetCounts();
    const url = `s3://${bucket}/bundles/b.tar`;
    const up = await exportToS3(url);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    expect(up.json.sha256).toBe(onDisk.sha256);
    expect(up.json.bytes).toBe(onDisk.bytes);
    expect(up.json.parts).toEqual([{ path: url, size: onDisk.bytes }]);
    const parts = Math.ceil(onDisk.bytes / (8 * MIB));
    expect(parts).toBe(3);
    expect(up.json.upload).toEqual({
      alreadyPresent: false,
      checksums: `${url}_SHA256SUMS`,
      partsUploaded: parts,
      partsReused: 0,
      uploadsAborted: 0,
      staleDeleted: [],
    });
    expect(s3.count('UploadPart')).toBe(parts);
    expect(s3.count('CreateMultipartUpload')).toBe(1);
    expect(s3.count('CompleteMultipartUpload')).toBe(1);
    // One pass over the bundle: the parts, then the old checksum object removed, the
    // object completed, and its checksum object written last.
    expect(
      s3.log
        .filter((r) => r.method !== 'HEAD' && r.operation !== 'ListMultipartUploads')
        .map((r) => `${r.operation} ${r.key}`),
    ).toEqual([
      'CreateMultipartUpload bundles/b.tar',
      'UploadPart bundles/b.tar',
      'UploadPart bundles/b.tar',
      'UploadPart bundles/b.tar',
      'DeleteObjects ',
      'CompleteMultipartUpload bundles/b.tar',
      'PutObject bundles/b.tar_SHA256SUMS',
    ]);

    // Each part carries its SHA-256 (S3 refuses a part whose bytes do not match), and
    // the upload was started with ChecksumAlgorithm SHA256.
    const diskBytes = await fs.readFile(path.join(work, 'disk.tar'));
    // (Sorted: the parts travel on parallel connections.)
    expect(
      s3.log
        .filter((r) => r.operation === 'UploadPart')
        .map((r) => r.checksumSha256)
        .sort(),
    ).toEqual(
      [0, 1, 2]
        .map((i) =>
          createHash('sha256')
            .update(diskBytes.subarray(i * 8 * MIB, (i + 1) * 8 * MIB))
            .digest('base64'),
        )
        .sort(),
    );
    expect(
      s3.log.find((r) => r.operation === 'CreateMultipartUpload')?.headers['x-amz-checksum-algorithm'],
    ).toBe('SHA256');

    const head = await s3.aws(['s3api', 'head-object', '--bucket', bucket, '--key', 'bundles/b.tar']);
    const headJson = JSON.parse(head.stdout) as { Metadata: Record<string, string> };
    expect(headJson).toMatchObject({ ContentLength: onDisk.bytes, ContentType: 'application/x-tar' });
    const contentId = headJson.Metadata['airgap-content-id']!;
    expect(contentId).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.keys(headJson.Metadata)).toEqual(['airgap-content-id']);
    const sumsHead = await s3.aws([
      's3api',
      'head-object',
      '--bucket',
      bucket,
      '--key',
      'bundles/b.tar_SHA256SUMS',
    ]);
    expect((JSON.parse(sumsHead.stdout) as { Metadata: Record<string, string> }).Metadata).toMatchObject({
      'airgap-content-id': contentId,
      'airgap-tarball-sha256': onDisk.sha256,
    });

    // aws s3 cp of the object and its checksum object: sha256sum -c passes.
    const got = await makeTempDir('airgap-s3-got-');
    expect((await s3.aws(['s3', 'cp', url, path.join(got, 'b.tar')])).code).toBe(0);
    expect((await s3.aws(['s3', 'cp', `${url}_SHA256SUMS`, got])).code).toBe(0);
    expect(await fs.readFile(path.join(got, 'b.tar_SHA256SUMS'), 'utf8')).toBe(`${onDisk.sha256}  b.tar\n`);
    expect((await run('sha256sum', ['-c', 'b.tar_SHA256SUMS'], { cwd: got })).stdout).toBe('b.tar: OK\n');
    const file = path.join(got, 'b.tar');
    expect(await sha256sum(file)).toBe(onDisk.sha256);
    const dir = await makeTempDir('airgap-s3-x-');
    await run('tar', ['-xf', file, '-C', dir]);
    const check = await run('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dir });
    expect(check.stdout).toContain('airgap.json: OK');
    const home = await makeTempDir('airgap-gnupg-');
    await fs.chmod(home, 0o700);
    const env = { ...process.env, GNUPGHOME: home };
    await run('gpg', ['--batch', '--import', fixture.publicKeyFile], { env });
    const gpg = await run(
      'gpg',
      ['--batch', '--status-fd', '1', '--verify', 'SHA256SUMS.sig', 'SHA256SUMS'],
      {
        cwd: dir,
        env,
      },
    );
    expect(gpg.stdout).toContain(`[GNUPG:] VALIDSIG ${fixture.key.fingerprint}`);

    // The same export again: the object already holds this content, nothing is sent.
    s3.resetCounts();
    const again = await exportToS3(url);
    expect(again.code).toBe(0);
    expect(again.json.upload?.alreadyPresent).toBe(true);
    expect(again.json.sha256).toBe(onDisk.sha256);
    expect(again.json.parts).toEqual([{ path: url, size: onDisk.bytes }]);
    expect(s3.count('UploadPart')).toBe(0);
    expect(s3.count('CreateMultipartUpload')).toBe(0);
  });

  it('--compress gzip: the same bytes as the gzip tarball on disk, each part with the SHA-256 of its 8 MiB', async () => {
    const disk = path.join(work, 'disk.tar.gz');
    const local = await runCli(
      ['export', fixture.dir, ...common(), '--compress', 'gzip', '--tarball', disk, '--json'],
      { env: fixture.env },
    );
    expect(local.code).toBe(0);
    const gz = JSON.parse(local.stdout) as ExportResult;
    const bucket = uniqueBucket();
    await s3.createBucket(bucket);
    s3.resetCounts();
    const url = `s3://${bucket}/b.tar.gz`;
    const up = await exportToS3(url, ['--compress', 'gzip']);
    expect(up.stderr).toBe('');
    expect(up.json.sha256).toBe(gz.sha256);
    expect(up.json.parts).toEqual([{ path: url, size: gz.bytes }]);
    const diskBytes = await fs.readFile(disk);
    expect(createHash('sha256').update(diskBytes).digest('hex')).toBe(gz.sha256);
    const parts = Math.ceil(gz.bytes / (8 * MIB));
    expect(
      s3.log
        .filter((r) => r.operation === 'UploadPart')
        .map((r) => r.checksumSha256)
        .sort(),
    ).toEqual(
      [...Array(parts).keys()]
        .map((i) =>
          createHash('sha256')
            .update(diskBytes.subarray(i * 8 * MIB, (i + 1) * 8 * MIB))
            .digest('base64'),
        )
        .sort(),
    );
    const got = await makeTempDir('airgap-s3-gz-');
    expect((await s3.aws(['s3', 'cp', url, path.join(got, 'b.tar.gz')])).code).toBe(0);
    expect(await sha256sum(path.join(got, 'b.tar.gz'))).toBe(gz.sha256);
  });

  it('--split-size: one object per part, KEY.000 ..., which aws s3 cp and cat join to the tarball', async () => {
    const bucket = uniqueBucket();
    await s3.createBucket(bucket);
    // A stale part from an earlier, larger export is deleted.
    const stale = path.join(work, 'stale');
    await fs.writeFile(stale, 'old');
    await s3.aws(['s3', 'cp', stale, `s3://${bucket}/s.tar.009`]);
    const up = await exportToS3(`s3://${bucket}/s.tar`, ['--split-size', '10M']);
    expect(up.stderr).toBe('');
    expect(up.json.sha256).toBe(onDisk.sha256);
    const sizes = [10 * MIB, 10 * MIB, onDisk.bytes - 20 * MIB];
    expect(up.json.parts).toEqual(sizes.map((size, i) => ({ path: `s3://${bucket}/s.tar.00${i}`, size })));
    expect(up.json.upload?.staleDeleted).toEqual([`s3://${bucket}/s.tar.009`]);
    const dir = await makeTempDir('airgap-s3-parts-');
    expect((await s3.aws(['s3', 'cp', `s3://${bucket}/`, dir, '--recursive'])).code).toBe(0);
    expect((await fs.readdir(dir)).sort()).toEqual([
      's.tar.000',
      's.tar.001',
      's.tar.002',
      's.tar_SHA256SUMS',
    ]);
    expect((await run('sha256sum', ['-c', 's.tar_SHA256SUMS'], { cwd: dir })).stdout).toBe(
      's.tar.000: OK\ns.tar.001: OK\ns.tar.002: OK\n',
    );
    const sums = await fs.readFile(path.join(dir, 's.tar_SHA256SUMS'), 'utf8');
    expect(sums.split('\n')[1]).toBe(`${await sha256sum(path.join(dir, 's.tar.001'))}  s.tar.001`);
    await run('sh', ['-c', 'cat s.tar.* > joined.tar'], { cwd: dir });
    expect(await sha256sum(path.join(dir, 'joined.tar'))).toBe(onDisk.sha256);
    const head = await s3.aws(['s3api', 'head-object', '--bucket', bucket, '--key', 's.tar.001']);
    expect(Object.keys(JSON.parse(head.stdout).Metadata)).toEqual(['airgap-content-id']);
  });

  it('an upload killed half way resumes: list-parts shows the parts S3 holds, and only the rest are sent', async () => {
    const bucket = uniqueBucket();
    await s3.createBucket(bucket);
    s3.resetCounts();
    const url = `s3://${bucket}/killed.tar`;
    // The first two part uploads are answered; the next ones are held until the process dies.
    const held = s3.holdAfter('UploadPart', 2);
    const child = spawn(
      process.execPath,
      [AIRGAP_BIN, 'export', fixture.dir, ...common(), '--tarball', url, ...s3Flags()],
      {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...fixture.env, ...s3.env },
        stdio: 'ignore',
      },
    );
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await held;
    // Let the two answered parts be stored before the kill.
    while (s3.storedParts(bucket, 'killed.tar') < 2) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await exited;
    s3.dropHeld();

    const listing = await s3.aws(['s3api', 'list-multipart-uploads', '--bucket', bucket]);
    expect(listing.stderr).toBe('');
    const uploads = JSON.parse(listing.stdout) as { Uploads: { Key: string; UploadId: string }[] };
    expect(uploads.Uploads.map((u) => u.Key)).toEqual(['killed.tar']);
    const listed = JSON.parse(
      (
        await s3.aws([
          's3api',
          'list-parts',
          '--bucket',
          bucket,
          '--key',
          'killed.tar',
          '--upload-id',
          uploads.Uploads[0]!.UploadId,
        ])
      ).stdout,
    ) as { Parts: { PartNumber: number; Size: number; ChecksumSHA256?: string }[] };
    expect(listed.Parts.map((p) => p.Size)).toEqual([8 * MIB, 8 * MIB]);
    expect(listed.Parts.every((p) => typeof p.ChecksumSHA256 === 'string')).toBe(true);
    const done = listed.Parts.map((p) => p.PartNumber);

    s3.resetCounts();
    const resumed = await exportToS3(url);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.json.upload).toMatchObject({ partsUploaded: 1, partsReused: 2, uploadsAborted: 0 });
    expect(s3.count('UploadPart')).toBe(1);
    expect(s3.count('CreateMultipartUpload')).toBe(0);
    expect(done.length).toBe(2);
    const file = path.join(work, 'resumed.tar');
    await s3.aws(['s3', 'cp', url, file]);
    expect(await sha256sum(file)).toBe(onDisk.sha256);
    expect(
      JSON.parse((await s3.aws(['s3api', 'list-multipart-uploads', '--bucket', bucket])).stdout || '{}')
        .Uploads,
    ).toBeUndefined();
  });

  it('--split-size resumes per object: parts S3 holds are kept, an open upload past the last object is aborted', async () => {
    const bucket = uniqueBucket();
    await s3.createBucket(bucket);
    // The content id does not depend on the key: an export elsewhere tells it.
    const first = await exportToS3(`s3://${bucket}/first.tar`, ['--split-size', '10M']);
    expect(first.code).toBe(0);
    const contentId = (
      JSON.parse(
        (await s3.aws(['s3api', 'head-object', '--bucket', bucket, '--key', 'first.tar.000'])).stdout,
      ) as { Metadata: Record<string, string> }
    ).Metadata['airgap-content-id']!;
    expect(contentId).toMatch(/^[0-9a-f]{64}$/);

    // What an interrupted run leaves, made with the AWS CLI: s.tar.000 holding its part 1,
    // s.tar.001 its part 2, and an upload for s.tar.007 that this tarball never reaches.
    const disk = await fs.readFile(path.join(work, 'disk.tar'));
    const open = async (key: string): Promise<string> =>
      (
        JSON.parse(
          (
            await s3.aws([
              's3api',
              'create-multipart-upload',
              '--bucket',
              bucket,
              '--key',
              key,
              '--checksum-algorithm',
              'SHA256',
              '--content-type',
              'application/octet-stream',
              '--metadata',
              `airgap-content-id=${contentId}`,
            ])
          ).stdout,
        ) as { UploadId: string }
      ).UploadId;
    const put = async (key: string, id: string, number: number, bytes: Buffer): Promise<void> => {
      const file = path.join(work, `part-${key}-${number}`);
      await fs.writeFile(file, bytes);
      const r = await s3.aws([
        's3api',
        'upload-part',
        '--bucket',
        bucket,
        '--key',
        key,
        '--upload-id',
        id,
        '--part-number',
        String(number),
        '--body',
        file,
        '--checksum-sha256',
        createHash('sha256').update(bytes).digest('base64'),
      ]);
      expect(r.code, r.stderr).toBe(0);
    };
    await put('s.tar.000', await open('s.tar.000'), 1, disk.subarray(0, 8 * MIB));
    await put('s.tar.001', await open('s.tar.001'), 2, disk.subarray(18 * MIB, 20 * MIB));
    await open('s.tar.007');

    s3.resetCounts();
    const resumed = await exportToS3(`s3://${bucket}/s.tar`, ['--split-size', '10M']);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    // Parts: 8 + 2 MiB, 8 + 2 MiB, and the rest in one.
    expect(resumed.json.upload).toMatchObject({ partsUploaded: 3, partsReused: 2, uploadsAborted: 1 });
    expect(s3.count('UploadPart')).toBe(3);
    expect(s3.count('CreateMultipartUpload')).toBe(1);
    const dir = await makeTempDir('airgap-s3-resumed-parts-');
    expect(
      (await s3.aws(['s3', 'cp', `s3://${bucket}/`, dir, '--recursive', '--exclude', 'first.tar*'])).code,
    ).toBe(0);
    expect((await run('sha256sum', ['-c', 's.tar_SHA256SUMS'], { cwd: dir })).stdout).toBe(
      's.tar.000: OK\ns.tar.001: OK\ns.tar.002: OK\n',
    );
    await run('sh', ['-c', 'cat s.tar.0* > joined.tar'], { cwd: dir });
    expect(await sha256sum(path.join(dir, 'joined.tar'))).toBe(onDisk.sha256);
    expect(
      JSON.parse((await s3.aws(['s3api', 'list-multipart-uploads', '--bucket', bucket])).stdout || '{}')
        .Uploads,
    ).toBeUndefined();
  });

  it('--s3-abort-incomplete aborts an open upload instead of resuming it', async () => {
    const bucket = uniqueBucket();
    await s3.createBucket(bucket);
    const made = JSON.parse(
      (await s3.aws(['s3api', 'create-multipart-upload', '--bucket', bucket, '--key', 'a.tar'])).stdout,
    ) as { UploadId: string };
    expect(made.UploadId).toMatch(/\w+/);
    s3.resetCounts();
    const up = await exportToS3(`s3://${bucket}/a.tar`, ['--s3-abort-incomplete']);
    expect(up.code).toBe(0);
    expect(up.json.upload).toMatchObject({ partsUploaded: 3, partsReused: 0, uploadsAborted: 1 });
    expect(s3.count('AbortMultipartUpload')).toBe(1);
  });

  it('a missing bucket gives S3_NOT_FOUND naming it, exit 2', async () => {
    const r = await runCli(
      [
        'export',
        fixture.dir,
        ...common(),
        '--tarball',
        's3://no-such-bucket-here/x.tar',
        ...s3Flags(),
        '--json',
      ],
      { env: { ...fixture.env, ...s3.env } },
    );
    expect(r.code).toBe(2);
    const err = JSON.parse(r.stdout) as { error: { code: string; message: string } };
    expect(err.error.code).toBe('S3_NOT_FOUND');
    expect(err.error.message).toContain('no-such-bucket-here');
  });
});
