// `airgap mirror` straight to S3, through the real executable, against the test
// registry and a real S3 server (s3rver):
//   airgap mirror --tarball s3://BUCKET/KEY     -> the object and KEY_SHA256SUMS
//   aws s3 cp (the AWS CLI v2) of both          -> sha256sum -c, tar, sha256sum -c SHA256SUMS, gpg --verify
//   airgap import s3://BUCKET/KEY --dest DIR    -> the providers installed
// and the same with `output: {tarball: s3://...}` in airgap.yaml instead of the flag.

import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { generateSigningKey, type TestKey } from '../helpers/pgp.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry/index.js';
import { AWS_CLI, startS3Server, uniqueBucket, type TestS3Server } from '../helpers/s3-server.js';
import { makeTempDir } from '../helpers/tmp.js';
import { describeWithTools } from '../helpers/tools.js';
import { fakeToolArchive } from '../helpers/transfer.js';

vi.setConfig({ testTimeout: 240_000 });

const run = promisify(execFile);
const HOST = 'registry.airgap.test';
const PLATFORMS = ['linux_amd64', 'linux_arm64'];

describeWithTools(
  [AWS_CLI, 'sha256sum', 'tar', 'gpg'],
  'airgap mirror to S3, then aws s3 cp and import',
  () => {
    let registry: TestRegistry;
    let s3: TestS3Server;
    let work: string;
    let key: TestKey;
    let env: Record<string, string>;
    let common: string[];
    let trusted: string;

    beforeAll(async () => {
      registry = await startTestRegistry({
        providers: [{ namespace: 'hashicorp', type: 'null', versions: ['3.2.1'], platforms: PLATFORMS }],
      });
      s3 = await startS3Server();
      work = await makeTempDir('airgap-mirror-s3-');
      key = await generateSigningKey({ name: 'airgap bundle signer' });
      const secret = path.join(work, 'signer.asc');
      trusted = path.join(work, 'signer.pub.asc');
      await fs.writeFile(secret, key.privateKeyArmored);
      await fs.writeFile(trusted, key.publicKeyArmored);
      const tool = path.join(work, 'airgap-0.1.0.tgz');
      await fs.writeFile(tool, fakeToolArchive());
      const cfg = path.join(work, 'registry.tfrc');
      await fs.writeFile(cfg, registry.cliConfigText());
      env = {
        ...s3.env,
        TF_CLI_CONFIG_FILE: cfg,
        SSL_CERT_FILE: registry.caCertPath,
        SOURCE_DATE_EPOCH: '1700000000',
      };
      common = [
        ...PLATFORMS.flatMap((p) => ['--platform', p]),
        '--update-lockfiles',
        '--sign-key',
        secret,
        '--tool-package',
        tool,
        '--s3-endpoint',
        s3.endpoint,
        '--s3-path-style',
      ];
    }, 180_000);

    afterAll(async () => {
      await s3?.close();
      await registry?.close();
    });

    async function stack(name: string, extra = ''): Promise<string> {
      const dir = path.join(work, name);
      await fs.mkdir(dir);
      await fs.writeFile(
        path.join(dir, 'main.tf'),
        `terraform {\n  required_providers {\n    null = {\n      source  = "${HOST}/hashicorp/null"\n      version = "3.2.1"\n    }\n  }\n}\n`,
      );
      await fs.writeFile(
        path.join(dir, '.terraform.lock.hcl'),
        `provider "${HOST}/hashicorp/null" {\n  version = "3.2.1"\n}\n`,
      );
      if (extra !== '') await fs.writeFile(path.join(dir, 'airgap.yaml'), extra);
      return dir;
    }

    it('mirror --tarball s3://...: aws s3 cp gets an object that passes sha256sum -c and gpg --verify, and import s3://... installs it', async () => {
      const bucket = uniqueBucket();
      await s3.createBucket(bucket);
      const url = `s3://${bucket}/transfer/bundle.tar`;
      const dir = await stack('flag');
      const m = await runCli(
        ['mirror', '--dir', dir, '--out', path.join(work, 'bundle'), '--tarball', url, '--json', ...common],
        { env },
      );
      expect(m.stderr).toBe('');
      expect(m.code).toBe(0);
      const mirrored = JSON.parse(m.stdout) as {
        export: {
          parts: { path: string; size: number }[];
          sha256: string;
          signedBy: string;
          upload: unknown;
        };
      };
      expect(mirrored.export.signedBy).toBe(key.fingerprint);
      expect(mirrored.export.upload).toMatchObject({ alreadyPresent: false, checksums: `${url}_SHA256SUMS` });

      // The independent client: the AWS CLI downloads the object and its checksum list.
      const got = await makeTempDir('airgap-mirror-s3-got-');
      expect((await s3.aws(['s3', 'cp', url, got + '/'])).code).toBe(0);
      expect((await s3.aws(['s3', 'cp', `${url}_SHA256SUMS`, got + '/'])).code).toBe(0);
      expect(mirrored.export.parts).toEqual([
        { path: url, size: (await fs.stat(path.join(got, 'bundle.tar'))).size },
      ]);
      const sumCheck = await run('sha256sum', ['-c', 'bundle.tar_SHA256SUMS'], { cwd: got });
      expect(sumCheck.stdout).toBe('bundle.tar: OK\n');
      expect((await run('sha256sum', [path.join(got, 'bundle.tar')])).stdout.split(' ')[0]).toBe(
        mirrored.export.sha256,
      );
      const x = path.join(got, 'x');
      await fs.mkdir(x);
      await run('tar', ['-xf', path.join(got, 'bundle.tar'), '-C', x]);
      const inner = await run('sha256sum', ['-c', 'SHA256SUMS'], { cwd: x });
      expect(inner.stdout).toContain('airgap.json: OK');
      expect(inner.stdout).not.toContain('FAILED');
      const home = await makeTempDir('airgap-gnupg-');
      await fs.chmod(home, 0o700);
      const gpgEnv = { ...process.env, GNUPGHOME: home };
      await run('gpg', ['--batch', '--import', trusted], { env: gpgEnv });
      const gpg = await run(
        'gpg',
        ['--batch', '--status-fd', '1', '--verify', 'SHA256SUMS.sig', 'SHA256SUMS'],
        {
          cwd: x,
          env: gpgEnv,
        },
      );
      expect(gpg.stdout).toContain(`[GNUPG:] VALIDSIG ${key.fingerprint}`);

      // The isolated side reads the same object from S3.
      const dest = path.join(work, 'dest');
      const imp = await runCli(
        [
          'import',
          url,
          '--dest',
          dest,
          '--trusted-key',
          trusted,
          '--s3-endpoint',
          s3.endpoint,
          '--s3-path-style',
          '--json',
        ],
        { env: s3.env },
      );
      expect(imp.stderr).toBe('');
      expect(imp.code).toBe(0);
      const zips = (await fs.readdir(path.join(dest, 'providers'), { recursive: true })).filter((f) =>
        f.endsWith('.zip'),
      );
      expect(zips.sort()).toEqual(
        PLATFORMS.map((p) => `${HOST}/hashicorp/null/terraform-provider-null_3.2.1_${p}.zip`),
      );
      for (const zip of zips) {
        const line = inner.stdout.split('\n').find((l) => l.endsWith(`${path.basename(zip)}: OK`));
        expect(line).toBeDefined();
      }
    });

    it('output.tarball: s3://... in airgap.yaml sends the tarball to S3', async () => {
      const bucket = uniqueBucket();
      await s3.createBucket(bucket);
      const url = `s3://${bucket}/from-spec.tar`;
      const dir = await stack(
        'spec',
        `apiVersion: airgap/v1\nlockfiles:\n  - .\noutput:\n  dir: bundle\n  tarball: ${url}\n`,
      );
      const m = await runCli(['mirror', '--json', ...common], { env, cwd: dir });
      expect(m.stderr).toBe('');
      expect(m.code, m.stdout).toBe(0);
      const mirrored = JSON.parse(m.stdout) as { export: { tarball: string; sha256: string } };
      expect(mirrored.export.tarball).toBe(url);
      const sums = await s3.aws(['s3', 'cp', `${url}_SHA256SUMS`, '-']);
      expect(sums.stdout).toBe(`${mirrored.export.sha256}  from-spec.tar\n`);
      const head = JSON.parse(
        (await s3.aws(['s3api', 'head-object', '--bucket', bucket, '--key', 'from-spec.tar'])).stdout,
      ) as { ContentType: string };
      expect(head.ContentType).toBe('application/x-tar');
    });
  },
);
