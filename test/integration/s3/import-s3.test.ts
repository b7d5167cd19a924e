// `airgap import s3://...` and `airgap verify s3://...` against a real S3 server
// (s3rver), with tarballs the AWS CLI v2 uploaded: ranged reads, split parts found
// from KEY.000, retries of 503 SlowDown / 500 and of a body cut off mid-way, a
// flipped byte refused with DIR unchanged, and the documented errors.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { ExportResult } from '../../../src/services/export/export-service.js';
import { runCli } from '../../helpers/cli.js';
import { makeS3TestBundle, type S3TestBundle } from '../../helpers/s3-bundle.js';
import { AWS_CLI, startS3Server, uniqueBucket, type TestS3Server } from '../../helpers/s3-server.js';
import { makeTempDir } from '../../helpers/tmp.js';
import { describeWithTools } from '../../helpers/tools.js';

// Real servers, the AWS CLI and tens of MiB per test on a shared two-core machine.
vi.setConfig({ testTimeout: 240_000 });

const MIB = 1024 * 1024;

let fixture: S3TestBundle;
let s3: TestS3Server;
let work: string;
let bucket: string;
let tarball: string;
let exported: ExportResult;

beforeAll(async () => {
  // Two 6 MiB provider zips: a tarball of about 12 MiB, two 8 MiB ranges.
  fixture = await makeS3TestBundle(6 * MIB);
  s3 = await startS3Server();
  work = await makeTempDir('airgap-s3-import-');
  tarball = path.join(work, 'bundle.tar');
  const local = await runCli(
    [
      'export',
      fixture.dir,
      '--tool-package',
      fixture.toolPackage,
      '--sign-key',
      fixture.keyFile,
      '--tarball',
      tarball,
      '--json',
    ],
    { env: fixture.env },
  );
  expect(local.stderr).toBe('');
  exported = JSON.parse(local.stdout) as ExportResult;
  bucket = uniqueBucket();
  await s3.createBucket(bucket);
  expect((await s3.aws(['s3', 'cp', tarball, `s3://${bucket}/in/bundle.tar`])).code).toBe(0);
}, 180_000);

afterAll(async () => {
  await s3?.close();
  await fixture?.bundle.close();
});

function s3Flags(): string[] {
  return ['--s3-endpoint', s3.endpoint, '--s3-path-style'];
}

function importFrom(url: string, dest: string, env: Record<string, string> = {}) {
  return runCli(
    ['import', url, '--dest', dest, '--trusted-key', fixture.publicKeyFile, ...s3Flags(), '--json'],
    { env: { ...s3.env, ...env } },
  );
}

/** Every file under `dir` with its sha256, to show a directory did not change. */
async function tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await fs.readdir(dir, { recursive: true, withFileTypes: true })) {
    const p = path.join(e.parentPath, e.name);
    const rel = path.relative(dir, p);
    if (e.isFile())
      out[rel] = createHash('sha256')
        .update(await fs.readFile(p))
        .digest('hex');
    else if (e.isDirectory()) out[`${rel}/`] = '';
  }
  return out;
}

describeWithTools([AWS_CLI], 'airgap import and verify from S3', () => {
  it('imports a tarball aws s3 cp uploaded, in ranged GETs, then says it is already there', async () => {
    const dest = path.join(await makeTempDir('airgap-s3-dest-'), 'dest');
    s3.resetCounts();
    const r = await importFrom(`s3://${bucket}/in/bundle.tar`, dest);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as { action: string; providers: unknown[] };
    expect(json.action).toBe('imported');
    expect(json.providers).toHaveLength(1);
    // One GET per 8 MiB range, the first of which gives the size and ETag: no HEAD, no probe.
    expect(s3.count('GetObject')).toBe(Math.ceil(exported.bytes / (8 * MIB)));
    expect(s3.count('HeadObject')).toBe(0);
    const zips = await fs.readdir(path.join(dest, 'providers'), { recursive: true });
    expect(zips.filter((z) => z.endsWith('.zip')).length).toBe(2);

    const again = await importFrom(`s3://${bucket}/in/bundle.tar`, dest);
    expect(again.code).toBe(0);
    expect((JSON.parse(again.stdout) as { action: string }).action).toBe('unchanged');
  });

  it('verify s3://... checks the signature and every file, and retries 503 SlowDown, 500 and a cut-off body', async () => {
    s3.resetCounts();
    s3.inject({ operation: 'GetObject', status: 503, code: 'SlowDown', times: 1 });
    s3.inject({ operation: 'GetObject', status: 500, code: 'InternalError', times: 1 });
    s3.inject({ operation: 'GetObject', status: 200, code: 'cut', cut: true, times: 1 });
    const r = await runCli(
      [
        'verify',
        `s3://${bucket}/in/bundle.tar`,
        '--trusted-key',
        fixture.publicKeyFile,
        ...s3Flags(),
        '--json',
      ],
      { env: s3.env },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { verdict: string }).verdict).toBe('verified');
    expect(s3.count('GetObject')).toBe(3 + Math.ceil(exported.bytes / (8 * MIB)));
    // The cut-off range is asked again from the byte it stopped at, not from its start.
    const starts = s3.log
      .filter((e) => e.operation === 'GetObject')
      .map((e) => Number(/^bytes=(\d+)-/.exec(String(e.headers.range))?.[1]));
    const resumed = starts.filter((start) => start % (8 * MIB) !== 0);
    expect(resumed).toHaveLength(1);
    expect(resumed[0]).toBeLessThan(Math.min(8 * MIB, exported.bytes));
  });

  it('s3://BUCKET/KEY.000 finds the other parts aws s3 cp uploaded; a missing middle part is named', async () => {
    const split = path.join(work, 'split');
    await fs.mkdir(split);
    const r = await runCli(
      [
        'export',
        fixture.dir,
        '--tool-package',
        fixture.toolPackage,
        '--sign-key',
        fixture.keyFile,
        '--tarball',
        path.join(split, 'p.tar'),
        '--split-size',
        '5M',
      ],
      { env: fixture.env },
    );
    expect(r.code).toBe(0);
    expect((await s3.aws(['s3', 'cp', split, `s3://${bucket}/parts/`, '--recursive'])).code).toBe(0);
    const dest = path.join(await makeTempDir('airgap-s3-dest-'), 'dest');
    const ok = await importFrom(`s3://${bucket}/parts/p.tar.000`, dest);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);

    expect((await s3.aws(['s3', 'rm', `s3://${bucket}/parts/p.tar.001`])).code).toBe(0);
    const gap = await importFrom(`s3://${bucket}/parts/p.tar.000`, path.join(work, 'never'));
    expect(gap.code).toBe(1);
    const err = (JSON.parse(gap.stdout) as { error: { code: string; message: string } }).error;
    expect(err.code).toBe('BUNDLE_FILE_MISSING');
    expect(err.message).toBe(
      `s3://${bucket}/parts/p.tar.001 is missing: the archive is split into parts up to s3://${bucket}/parts/p.tar.002, and every one is needed`,
    );
  });

  it('a byte flipped in the stored object fails the import with exit 1, and DIR is left as it was', async () => {
    const dest = path.join(await makeTempDir('airgap-s3-dest-'), 'dest');
    expect((await importFrom(`s3://${bucket}/in/bundle.tar`, dest)).code).toBe(0);
    const before = await tree(dest);

    // Flip a byte in the stored object itself, in the second provider zip's body.
    const stored = s3.objectFile(bucket, 'in/bundle.tar');
    const bytes = await fs.readFile(stored);
    expect(bytes.length).toBe(exported.bytes);
    const at = bytes.length - 3 * MIB;
    bytes[at] = bytes[at]! ^ 0xff;
    await fs.writeFile(stored, bytes);

    const r = await importFrom(`s3://${bucket}/in/bundle.tar`, dest);
    expect(r.code).toBe(1);
    const err = (JSON.parse(r.stdout) as { error: { code: string } }).error;
    expect(err.code).toBe('CHECKSUM_MISMATCH');
    expect(await tree(dest)).toEqual(before);
  });

  it('a missing key or bucket and a wrong access key give their documented errors, exit 2', async () => {
    const dest = path.join(work, 'not-made');
    const cases: [string, Record<string, string>, string, string][] = [
      [
        `s3://${bucket}/in/none.tar`,
        {},
        'S3_NOT_FOUND',
        `s3://${bucket}/in/none.tar: no such object (or no such bucket)`,
      ],
      [
        's3://no-such-bucket-x/in/bundle.tar',
        {},
        'S3_NOT_FOUND',
        's3://no-such-bucket-x/in/bundle.tar: no such object (or no such bucket)',
      ],
      [
        `s3://${bucket}/in/bundle.tar`,
        { AWS_ACCESS_KEY_ID: 'AKIAWRONGKEY' },
        'S3_ACCESS_DENIED',
        // The first range's GET, not a HEAD: S3's answer has a body that says why.
        `S3 GetObject s3://${bucket}/in/bundle.tar: access denied (InvalidAccessKeyId: The AWS Access Key Id you provided does not exist in our records.)`,
      ],
    ];
    for (const [url, env, code, message] of cases) {
      const r = await importFrom(url, dest, env);
      expect(r.code).toBe(2);
      const err = (JSON.parse(r.stdout) as { error: { code: string; message: string } }).error;
      expect([err.code, err.message]).toEqual([code, message]);
    }
    await expect(fs.stat(dest)).rejects.toThrow(/ENOENT/);
  });
});
