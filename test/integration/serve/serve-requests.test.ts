// `airgap serve` over a bundle directory, request by request: path tricks refused with
// exact status codes, the module registry and network-mirror answers, HEAD, Range,
// ETag and conditional requests with exact bytes, and the CLI configuration it writes.

import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseListen } from '../../../src/core/serve/listen.js';
import { openServedDir } from '../../../src/services/serve/served-dir.js';
import { startServe, type ServeHandle } from '../../../src/services/serve/serve-service.js';
import { rawRequest } from '../../helpers/https-get.js';
import { FIXTURE_HOST, sha256Hex, writeFixtureBundle } from '../../helpers/import-fixtures.js';
import { addModulesToBundle } from '../../helpers/module-bundle.js';
import { signBundleDir } from '../../helpers/signed-bundle.js';
import { makeTempDir } from '../../helpers/tmp.js';

const TFR = 'registry.terraform.io';
let work: string;
let bundle: string;
let handle: ServeHandle;
let port: number;
let ca: string;
const logs: string[] = [];

const get = (target: string, headers: Record<string, string> = {}, method = 'GET') =>
  rawRequest({ port, ca }, method, target, headers);

beforeAll(async () => {
  work = await makeTempDir();
  bundle = path.join(work, 'bundle');
  await writeFixtureBundle(bundle, {
    createdAt: '2026-01-01T00:00:00Z',
    providers: [
      {
        namespace: 'hashicorp',
        type: 'null',
        version: '3.2.1',
        platforms: ['linux_amd64'],
        payloadSize: 4096,
      },
    ],
    packageCache: path.join(work, 'cache'),
  });
  await addModulesToBundle(bundle, [
    { source: `${TFR}/acme/net/aws`, version: '1.0.0', files: { 'main.tf': 'variable "cidr" {}\n' } },
    {
      source: `${TFR}/acme/net/aws`,
      version: '1.2.0',
      files: { 'main.tf': 'variable "cidr" {}\n# 1.2.0\n' },
    },
    {
      source: 'git.corp.example/team/dns/aws',
      version: '0.3.0',
      files: { 'modules/zone/main.tf': 'output "zone" { value = "z" }\n', 'README.md': 'dns\n' },
      subdir: 'modules/zone',
    },
    { source: `${TFR}/acme/evil/aws`, version: '1.0.0', files: { 'main.tf': '\n' } },
    { source: `${TFR}/acme/linkdir/aws`, version: '1.0.0', files: { 'main.tf': '\n' } },
  ]);
  const signed = await signBundleDir(bundle, path.join(work, 'signer.pub.asc'));
  handle = await startServe(
    {
      dir: bundle,
      listen: parseListen('127.0.0.1:0'),
      tls: { selfSigned: true },
      outDir: path.join(work, 'out'),
      now: new Date(),
      logRequests: true,
      verify: { trustedKeyFiles: [signed.trustedKeyFile], insecureSkipSignature: false, tempDir: work },
    },
    { info: (m) => logs.push(m), warn: (m) => logs.push(`warn: ${m}`) },
  );
  expect(handle.verified).toMatch(
    /^Verified .*: SHA256SUMS signed by [0-9A-F]{40} at .*; 9 file\(s\) match their hashes$/,
  );
  // Verified at start, changed after it: files outside the bundle, reached by links
  // planted inside it, are still never served.
  const outside = path.join(work, 'outside');
  await fs.mkdir(path.join(outside, 'aws'), { recursive: true });
  await fs.writeFile(path.join(outside, 'secret.zip'), 'secret\n');
  await fs.writeFile(path.join(outside, 'aws', '1.0.0.zip'), 'secret\n');
  const evil = path.join(bundle, 'modules', TFR, 'acme', 'evil', 'aws', '1.0.0.zip');
  await fs.rm(evil);
  await fs.symlink(path.join(outside, 'secret.zip'), evil);
  const linkdir = path.join(bundle, 'modules', TFR, 'acme', 'linkdir');
  await fs.rm(linkdir, { recursive: true });
  await fs.symlink(outside, linkdir);

  port = Number(new URL(handle.url).port);
  ca = await fs.readFile(handle.caCertPath!, 'utf8');
}, 60_000);

afterAll(async () => {
  await handle?.close();
});

const nullDir = `/providers/${FIXTURE_HOST}/hashicorp/null`;
const zipName = 'terraform-provider-null_3.2.1_linux_amd64.zip';

describe('path tricks', () => {
  it.each([
    ['/providers/../airgap.json', 400],
    ['/providers/%2e%2e/airgap.json', 400],
    ['/providers/%2E%2E/airgap.json', 400],
    ['/modules/..%2f..%2fairgap.json', 400],
    [`/providers/${FIXTURE_HOST}%2fhashicorp/null/index.json`, 400],
    [`/providers/${FIXTURE_HOST}%5chashicorp/null/index.json`, 400],
    ['/providers/./x', 400],
    ['/providers//x', 400],
    ['/providers/%zz', 400],
    ['/providers/a%00b', 400],
    ['/', 404],
    ['/providers/', 404],
    [`${nullDir}/`, 404],
    ['/modules/', 404],
    [`/modules/${TFR}/acme/net/aws/`, 404],
    ['/airgap.json', 404],
    ['/SHA256SUMS', 404],
    ['/config/tofurc', 404],
    [`/modules/${TFR}/acme/evil/aws/1.0.0.zip`, 403],
    [`/modules/${TFR}/acme/linkdir/aws/1.0.0.zip`, 403],
  ])('%s -> %i', async (target, status) => {
    const r = await get(target);
    expect(r.status).toBe(status);
    expect(r.body.toString()).not.toContain('secret');
  });

  it('refuses other methods with 405 and Allow', async () => {
    const r = await get(`${nullDir}/index.json`, {}, 'POST');
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe('GET, HEAD');
    expect((await get(`${nullDir}/index.json`, {}, 'DELETE')).status).toBe(405);
  });
});

describe('network mirror', () => {
  it('serves index.json and VERSION.json as application/json with their sha256 as ETag', async () => {
    for (const name of ['index.json', '3.2.1.json']) {
      const bytes = await fs.readFile(path.join(bundle, nullDir, name));
      const r = await get(`${nullDir}/${name}`);
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers.etag).toBe(`"sha256:${sha256Hex(bytes)}"`);
      expect(r.body.equals(bytes)).toBe(true);
    }
  });

  it('serves a zip: GET, HEAD, Range, If-None-Match, If-Range', async () => {
    const bytes = await fs.readFile(path.join(bundle, nullDir, zipName));
    const etag = `"sha256:${sha256Hex(bytes)}"`;
    const full = await get(`${nullDir}/${zipName}`);
    expect(full.status).toBe(200);
    expect(full.headers['content-type']).toBe('application/zip');
    expect(full.headers['accept-ranges']).toBe('bytes');
    expect(full.headers.etag).toBe(etag);
    expect(full.headers['content-length']).toBe(String(bytes.length));
    expect(full.body.equals(bytes)).toBe(true);

    const head = await get(`${nullDir}/${zipName}`, {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(bytes.length));
    expect(head.headers.etag).toBe(etag);
    expect(head.body.length).toBe(0);

    const mid = await get(`${nullDir}/${zipName}`, { Range: 'bytes=10-19' });
    expect(mid.status).toBe(206);
    expect(mid.headers['content-range']).toBe(`bytes 10-19/${bytes.length}`);
    expect(mid.body.equals(bytes.subarray(10, 20))).toBe(true);

    const tail = await get(`${nullDir}/${zipName}`, { Range: 'bytes=-7' });
    expect(tail.status).toBe(206);
    expect(tail.headers['content-range']).toBe(
      `bytes ${bytes.length - 7}-${bytes.length - 1}/${bytes.length}`,
    );
    expect(tail.body.equals(bytes.subarray(bytes.length - 7))).toBe(true);

    const open = await get(`${nullDir}/${zipName}`, { Range: `bytes=${bytes.length - 3}-` });
    expect(open.status).toBe(206);
    expect(open.body.equals(bytes.subarray(bytes.length - 3))).toBe(true);

    const past = await get(`${nullDir}/${zipName}`, { Range: `bytes=${bytes.length}-` });
    expect(past.status).toBe(416);
    expect(past.headers['content-range']).toBe(`bytes */${bytes.length}`);

    const cached = await get(`${nullDir}/${zipName}`, { 'If-None-Match': etag });
    expect(cached.status).toBe(304);
    expect(cached.body.length).toBe(0);

    const stale = await get(`${nullDir}/${zipName}`, { Range: 'bytes=0-3', 'If-Range': '"sha256:00"' });
    expect(stale.status).toBe(200);
    expect(stale.body.equals(bytes)).toBe(true);
    const fresh = await get(`${nullDir}/${zipName}`, { Range: 'bytes=0-3', 'If-Range': etag });
    expect(fresh.status).toBe(206);
    expect(fresh.body.equals(bytes.subarray(0, 4))).toBe(true);
  });
});

describe('module registry', () => {
  it('answers service discovery', async () => {
    const r = await get('/.well-known/terraform.json');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    expect(JSON.parse(r.body.toString())).toEqual({ 'modules.v1': '/v1/modules/' });
  });

  it('lists versions and answers download with 204 and X-Terraform-Get', async () => {
    const v = await get(`/v1/modules/${TFR}/acme/net/aws/versions`);
    expect(v.status).toBe(200);
    expect(v.body.toString()).toBe('{"modules":[{"versions":[{"version":"1.0.0"},{"version":"1.2.0"}]}]}\n');
    const d = await get(`/v1/modules/${TFR}/acme/net/aws/1.2.0/download`);
    expect(d.status).toBe(204);
    expect(d.headers['x-terraform-get']).toBe(
      `https://127.0.0.1:${port}/modules/${TFR}/acme/net/aws/1.2.0.zip`,
    );
    const sub = await get('/v1/modules/git.corp.example/team/dns/aws/0.3.0/download');
    expect(sub.status).toBe(204);
    expect(sub.headers['x-terraform-get']).toBe(
      `https://127.0.0.1:${port}/modules/git.corp.example/team/dns/aws/0.3.0.zip//modules/zone`,
    );
    // Registry addresses compare case-insensitively.
    expect((await get(`/v1/modules/${TFR}/ACME/net/aws/versions`)).status).toBe(200);
  });

  it('serves the module zip the download names, with its sha256 as ETag', async () => {
    const bytes = await fs.readFile(path.join(bundle, 'modules', TFR, 'acme/net/aws/1.2.0.zip'));
    const r = await get(`/modules/${TFR}/acme/net/aws/1.2.0.zip`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/zip');
    expect(r.headers.etag).toBe(`"sha256:${sha256Hex(bytes)}"`);
    expect(r.body.equals(bytes)).toBe(true);
  });

  it.each([
    `/v1/modules/${TFR}/acme/net/aws/9.9.9/download`,
    `/v1/modules/${TFR}/acme/none/aws/versions`,
    `/v1/modules/${TFR}/acme/net/aws`,
    `/v1/modules/${TFR}/acme/net/aws/1.2.0/download/x`,
    `/modules/${TFR}/acme/net/aws/9.9.9.zip`,
  ])('%s -> 404', async (target) => {
    expect((await get(target)).status).toBe(404);
  });
});

it('writes the CLI configuration runners need', async () => {
  const text = await fs.readFile(handle.cliConfigPath, 'utf8');
  expect(text).toBe(handle.cliConfig);
  const base = `https://127.0.0.1:${port}`;
  expect(text).toContain(
    `host "git.corp.example" {\n  services = {\n    "modules.v1" = "${base}/v1/modules/git.corp.example/"\n  }\n}\n\nhost "${TFR}" {\n  services = {\n    "modules.v1" = "${base}/v1/modules/${TFR}/"\n  }\n}\n`,
  );
  expect(text).toContain(
    `provider_installation {\n  network_mirror {\n    url = "${base}/providers/"\n  }\n}\n`,
  );
});

it('logs one line per request', async () => {
  const before = logs.length;
  await get(`${nullDir}/index.json`);
  await get('/providers/../airgap.json');
  // A line is written once the server has seen its response through, which can be after
  // the client has read it: wait for both lines, in whatever order they came.
  while (logs.length < before + 2) await new Promise((r) => setTimeout(r, 10));
  const lines = logs.slice(before).sort();
  expect(lines).toEqual([
    '127.0.0.1 GET /providers/../airgap.json 400 0 (path segment ".." is a dot segment)',
    expect.stringMatching(new RegExp(`^127\\.0\\.0\\.1 GET ${nullDir}/index\\.json 200 \\d+$`)),
  ]);
});

it('the catalogue is read from the airgap.json that was verified: another one is refused, named', async () => {
  const manifest = path.join(bundle, 'airgap.json');
  const actual = sha256Hex(await fs.readFile(manifest));
  const verified = 'f'.repeat(64);
  await expect(openServedDir(bundle, () => undefined, verified)).rejects.toMatchObject({
    code: 'CHECKSUM_MISMATCH',
    message: `${manifest} changed since it was verified: sha256 ${actual}, verified ${verified}`,
  });
  expect((await openServedDir(bundle, () => undefined, actual)).kind).toBe('bundle');
});
