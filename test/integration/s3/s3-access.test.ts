// How `airgap` reaches S3, through the real executable against a real S3 server
// (s3rver behind the test front): the server-side encryption flags as the headers
// S3 gets (--s3-sse, --s3-kms-key-id), and HTTPS_PROXY / NO_PROXY as for every other
// request (a CONNECT proxy on 127.0.0.1 counts the tunnels).
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { ExportResult } from '../../../src/services/export/export-service.js';
import { runCli } from '../../helpers/cli.js';
import { makeS3TestBundle, type S3TestBundle } from '../../helpers/s3-bundle.js';
import {
  AWS_CLI,
  S3_ACCESS_KEY,
  S3_SECRET_KEY,
  startS3Server,
  uniqueBucket,
  type TestS3Server,
} from '../../helpers/s3-server.js';
import { makeTempDir } from '../../helpers/tmp.js';
import { describeWithTools } from '../../helpers/tools.js';
import { startConnectProxy, type TestProxy } from '../http/servers.js';

vi.setConfig({ testTimeout: 240_000 });

const KMS_KEY = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

let fixture: S3TestBundle;

beforeAll(async () => {
  // Two 1 MiB provider zips: one upload part.
  fixture = await makeS3TestBundle(1024 * 1024);
}, 180_000);

afterAll(async () => {
  await fixture?.bundle.close();
});

function exportTo(
  s3: TestS3Server,
  url: string,
  extra: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runCli(
    [
      'export',
      fixture.dir,
      '--tool-package',
      fixture.toolPackage,
      '--sign-key',
      fixture.keyFile,
      '--tarball',
      url,
      '--s3-endpoint',
      s3.endpoint,
      '--s3-path-style',
      ...extra,
      '--json',
    ],
    { env: { ...fixture.env, ...s3.env, ...env } },
  );
}

/** The encryption headers of each write request, in order. */
function sseHeaders(s3: TestS3Server): string[] {
  return s3.log
    .filter((r) => ['CreateMultipartUpload', 'UploadPart', 'PutObject'].includes(r.operation))
    .map((r) => {
      const sse = r.headers['x-amz-server-side-encryption'];
      const kms = r.headers['x-amz-server-side-encryption-aws-kms-key-id'];
      return `${r.operation} ${r.key} sse=${String(sse)} kms=${String(kms)}`;
    });
}

describeWithTools([AWS_CLI], 'S3 access: encryption and proxy', () => {
  let s3: TestS3Server;
  beforeAll(async () => {
    s3 = await startS3Server();
  });
  afterAll(async () => {
    await s3?.close();
  });

  it('--s3-sse aws:kms --s3-kms-key-id go on CreateMultipartUpload and PutObject, not on the parts', async () => {
    const bucket = uniqueBucket();
    await s3.createBucket(bucket);
    s3.resetCounts();
    const r = await exportTo(s3, `s3://${bucket}/kms.tar`, [
      '--s3-sse',
      'aws:kms',
      '--s3-kms-key-id',
      KMS_KEY,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(sseHeaders(s3)).toEqual([
      `CreateMultipartUpload kms.tar sse=aws:kms kms=${KMS_KEY}`,
      // S3 refuses encryption headers on UploadPart (but for SSE-C): the upload has them.
      'UploadPart kms.tar sse=undefined kms=undefined',
      `PutObject kms.tar_SHA256SUMS sse=aws:kms kms=${KMS_KEY}`,
    ]);
  });

  it('--s3-sse AES256 sends AES256 and no key; --s3-kms-key-id alone is refused before any request', async () => {
    const bucket = uniqueBucket();
    await s3.createBucket(bucket);
    s3.resetCounts();
    const r = await exportTo(s3, `s3://${bucket}/aes.tar`, ['--s3-sse', 'AES256']);
    expect(r.code).toBe(0);
    expect(sseHeaders(s3)).toEqual([
      'CreateMultipartUpload aes.tar sse=AES256 kms=undefined',
      'UploadPart aes.tar sse=undefined kms=undefined',
      'PutObject aes.tar_SHA256SUMS sse=AES256 kms=undefined',
    ]);

    s3.resetCounts();
    const bad = await exportTo(s3, `s3://${bucket}/bad.tar`, ['--s3-kms-key-id', KMS_KEY]);
    expect(bad.code).toBe(2);
    const error = (JSON.parse(bad.stdout) as { error: { code: string; message: string; remedy: string } })
      .error;
    expect(error).toMatchObject({
      code: 'USAGE',
      message: '--s3-kms-key-id needs --s3-sse aws:kms',
      remedy: 'add --s3-sse aws:kms',
    });
    expect(s3.log.length).toBe(0);
  });

  it('publish --s3-sse aws:kms --s3-kms-key-id: every object written carries both', async () => {
    const bucket = uniqueBucket();
    await s3.createBucket(bucket);
    s3.resetCounts();
    const work = await makeTempDir('airgap-s3-publish-');
    const r = await runCli(
      [
        'publish',
        fixture.dir,
        `s3://${bucket}/mirror/`,
        '--s3-endpoint',
        s3.endpoint,
        '--s3-path-style',
        '--mirror-url',
        'https://mirror.example.test/mirror/',
        '--tofurc-out',
        path.join(work, 'tofurc.network-mirror'),
        '--s3-sse',
        'aws:kms',
        '--s3-kms-key-id',
        KMS_KEY,
      ],
      { env: s3.env, cwd: work },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const puts = s3.log.filter((l) => l.operation === 'PutObject');
    // Two zips, the version's JSON and the index.
    expect(puts.length).toBe(4);
    for (const put of puts) {
      expect([
        put.key,
        put.headers['x-amz-server-side-encryption'],
        put.headers['x-amz-server-side-encryption-aws-kms-key-id'],
      ]).toEqual([put.key, 'aws:kms', KMS_KEY]);
    }
  });

  it('--s3-sse takes only AES256 or aws:kms', async () => {
    const r = await exportTo(s3, 's3://any-bucket/x.tar', ['--s3-sse', 'aws:kms:dsse']);
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toContain('AES256, aws:kms');
  });
});

describeWithTools([AWS_CLI, 'openssl'], 'S3 access through HTTPS_PROXY', () => {
  let s3: TestS3Server;
  let proxy: TestProxy;
  beforeAll(async () => {
    s3 = await startS3Server({ https: true });
    proxy = await startConnectProxy();
  });
  afterAll(async () => {
    await proxy?.close();
    await s3?.close();
  });

  it('tunnels every S3 request through HTTPS_PROXY, credentials only inside TLS; NO_PROXY bypasses it', async () => {
    const bucket = uniqueBucket();
    await s3.createBucket(bucket);
    const tls = ['--ca-cert', s3.cert!.certPath];
    const port = new URL(s3.endpoint).port;

    s3.resetCounts();
    const via = await exportTo(s3, `s3://${bucket}/proxied.tar`, tls, { HTTPS_PROXY: proxy.url });
    expect(via.stderr).toBe('');
    expect(via.code).toBe(0);
    const json = JSON.parse(via.stdout) as ExportResult;
    expect(json.parts).toHaveLength(1);
    expect(s3.count('CompleteMultipartUpload')).toBe(1);
    expect(proxy.connects.length).toBeGreaterThan(0);
    expect(new Set(proxy.connects)).toEqual(new Set([`CONNECT 127.0.0.1:${port}`]));
    for (const h of proxy.connectHeaders) {
      expect(h.authorization).toBeUndefined();
      expect(h['proxy-authorization']).toBeUndefined();
    }
    const tunnels = proxy.connects.length;

    // The same proxy setting, with the store exempted: no new tunnel, and the object read back.
    s3.resetCounts();
    const direct = await runCli(
      [
        'verify',
        `s3://${bucket}/proxied.tar`,
        '--trusted-key',
        fixture.publicKeyFile,
        '--s3-endpoint',
        s3.endpoint,
        '--s3-path-style',
        ...tls,
      ],
      { env: { ...s3.env, HTTPS_PROXY: proxy.url, NO_PROXY: '127.0.0.1' } },
    );
    expect(direct.stderr).toBe('');
    expect(direct.code).toBe(0);
    expect(s3.count('GetObject')).toBeGreaterThan(0);
    expect(proxy.connects.length).toBe(tunnels);
    expect(path.basename(json.tarball)).toBe('proxied.tar');
  });

  it('takes credentials from AWS_PROFILE in the shared files and trust from SSL_CERT_FILE; no secret in any output', async () => {
    const bucket = uniqueBucket();
    await s3.createBucket(bucket);
    const url = `s3://${bucket}/profile.tar`;
    const made = await exportTo(s3, url, ['--ca-cert', s3.cert!.certPath]);
    expect(made.code).toBe(0);

    const dir = await makeTempDir('airgap-s3-profile-');
    const credentials = path.join(dir, 'credentials');
    const config = path.join(dir, 'config');
    const secret = 'wJalrXUtnFEMI-airgap-test-secret';
    const token = 'FQoGZXIvYXdzEairgap-test-session-token';
    await fs.writeFile(
      credentials,
      `[airgap-test]\naws_access_key_id = ${S3_ACCESS_KEY}\naws_secret_access_key = ${S3_SECRET_KEY}\n\n` +
        `[airgap-wrong]\naws_access_key_id = AKIAWRONGKEY\naws_secret_access_key = ${secret}\naws_session_token = ${token}\n`,
    );
    await fs.writeFile(
      config,
      '[profile airgap-test]\nregion = us-east-1\n\n[profile airgap-wrong]\nregion = us-east-1\n',
    );
    // No key in the environment: only the profile can supply one.
    const env = (profile: string): Record<string, string> => ({
      AWS_PROFILE: profile,
      AWS_SHARED_CREDENTIALS_FILE: credentials,
      AWS_CONFIG_FILE: config,
      AWS_EC2_METADATA_DISABLED: 'true',
      SSL_CERT_FILE: s3.cert!.certPath,
    });
    const verify = (profile: string): ReturnType<typeof runCli> =>
      runCli(
        [
          'verify',
          url,
          '--trusted-key',
          fixture.publicKeyFile,
          '--s3-endpoint',
          s3.endpoint,
          '--s3-path-style',
          '--json',
        ],
        { env: env(profile) },
      );
    const ok = await verify('airgap-test');
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);

    const denied = await verify('airgap-wrong');
    expect(denied.code).toBe(2);
    const error = (JSON.parse(denied.stdout) as { error: { code: string; message: string } }).error;
    expect([error.code, error.message]).toEqual([
      'S3_ACCESS_DENIED',
      `S3 GetObject ${url}: access denied (InvalidAccessKeyId: The AWS Access Key Id you provided does not exist in our records.)`,
    ]);
    for (const text of [denied.stdout, denied.stderr]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(token);
      expect(text).not.toContain('Signature=');
    }
  });
});
