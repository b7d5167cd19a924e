// The test registry itself: it must speak the Provider Registry Protocol exactly,
// build the same bytes everywhere, and make every fault it promises observable.

import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import * as openpgp from 'openpgp';
import { Agent, fetch, type Response } from 'undici';
import yauzl from 'yauzl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey, signDetached } from '../helpers/pgp.js';
import { startTestRegistry, type TestPackage, type TestRegistry } from '../helpers/registry/index.js';
import { makeTempDir } from '../helpers/tmp.js';

const DEMO = {
  namespace: 'airgap',
  type: 'demo',
  versions: ['1.0.0', '1.1.0'],
  platforms: ['linux_amd64', 'darwin_arm64'],
  withDirectoryEntry: true,
};

// Pinned: these bytes must not depend on the machine, the time zone or the run.
// The h1 is also what terraform 1.11.4 itself wrote into a lock file for this package.
const DEMO_1_0_0_LINUX = {
  sha256: '87fd8fe700dfa7210d7bdf44372497a5b0400aedbf6e238428d9d9d7e95d9171',
  size: 2474,
  h1: 'h1:E92DhVSHIOJHVOPRE3uhwqLKdYu8gd8TXFFD7u22Y0g=',
};

let registry: TestRegistry;
// Each registry has its own self-signed certificate, so each gets its own agent trusting just that one.
const agents = new Map<string, Agent>();

beforeAll(async () => {
  registry = await startTestRegistry({
    providers: [DEMO],
    workDir: await makeTempDir(),
    packagesExtension: true,
  });
});

afterAll(async () => {
  await Promise.all([...agents.values()].map((a) => a.close()));
  await registry?.close();
});

async function agentFor(reg: TestRegistry): Promise<Agent> {
  let agent = agents.get(reg.url);
  if (agent === undefined) {
    agent = new Agent({ connect: { ca: await fs.readFile(reg.caCertPath) } });
    agents.set(reg.url, agent);
  }
  return agent;
}

async function get(
  reg: TestRegistry,
  p: string,
  init: { headers?: Record<string, string>; method?: string } = {},
): Promise<Response> {
  return fetch(p.startsWith('https:') ? p : `${reg.url}${p}`, { dispatcher: await agentFor(reg), ...init });
}

async function bytes(res: Response): Promise<Buffer> {
  return Buffer.from(await res.arrayBuffer());
}

function sha256(data: Uint8Array): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

function pkg(reg: TestRegistry, version: string, platform: string): TestPackage {
  const found = reg.packages.find((p) => p.version === version && p.platform === platform);
  if (found === undefined) throw new Error(`no package ${version} ${platform}`);
  return found;
}

function filePath(version: string, name: string): string {
  return `/files/airgap/demo/${version}/${name}`;
}

function openZip(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (err, zip) => (err === null ? resolve(zip) : reject(err)));
  });
}

/** Hash1 recomputed here from the zip as yauzl reads it: a second, independent oracle. */
async function h1OfZip(file: string): Promise<string> {
  const zip = await openZip(file);
  const lines: { name: string; hex: string }[] = [];
  for await (const entry of zip.eachEntry()) {
    if (entry.fileName.endsWith('/')) continue;
    const stream = await zip.openReadStreamPromise(entry);
    const hash = crypto.createHash('sha256');
    for await (const chunk of stream) hash.update(chunk as Buffer);
    lines.push({ name: entry.fileName, hex: hash.digest('hex') });
  }
  zip.close();
  lines.sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  const summary = lines.map((l) => `${l.hex}  ${l.name}\n`).join('');
  return `h1:${crypto.createHash('sha256').update(summary).digest('base64')}`;
}

describe('protocol', () => {
  it('serves the discovery document', async () => {
    const res = await get(registry, '/.well-known/terraform.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ 'providers.v1': '/v1/providers/' });
  });

  it('lists versions with protocols and platforms, in spec order', async () => {
    const res = await get(registry, '/v1/providers/airgap/demo/versions');
    const platforms = [
      { os: 'linux', arch: 'amd64' },
      { os: 'darwin', arch: 'arm64' },
    ];
    expect(await res.text()).toBe(
      JSON.stringify({
        versions: [
          { version: '1.0.0', protocols: ['5.0'], platforms },
          { version: '1.1.0', protocols: ['5.0'], platforms },
        ],
      }),
    );
  });

  it('answers a download request with absolute URLs, the shasum, the key and the packages extension', async () => {
    const res = await get(registry, '/v1/providers/airgap/demo/1.0.0/download/linux/amd64');
    expect(res.status).toBe(200);
    const body = await res.json();
    const darwin = pkg(registry, '1.0.0', 'darwin_arm64');
    const base = `${registry.url}/files/airgap/demo/1.0.0`;
    expect(body).toEqual({
      protocols: ['5.0'],
      os: 'linux',
      arch: 'amd64',
      filename: 'terraform-provider-demo_1.0.0_linux_amd64.zip',
      download_url: `${base}/terraform-provider-demo_1.0.0_linux_amd64.zip`,
      shasums_url: `${base}/terraform-provider-demo_1.0.0_SHA256SUMS`,
      shasums_signature_url: `${base}/terraform-provider-demo_1.0.0_SHA256SUMS.sig`,
      shasum: DEMO_1_0_0_LINUX.sha256,
      signing_keys: {
        gpg_public_keys: [
          {
            key_id: registry.signingKey.keyId,
            ascii_armor: registry.signingKey.publicKeyArmored,
            trust_signature: '',
            source: 'airgap-test',
            source_url: null,
          },
        ],
      },
      packages: {
        darwin_arm64: { hashes: [`zh:${darwin.sha256}`, darwin.h1], package_size: darwin.size },
        linux_amd64: { hashes: [`zh:${DEMO_1_0_0_LINUX.sha256}`, DEMO_1_0_0_LINUX.h1], package_size: 2474 },
      },
    });
    expect(registry.url).toBe(`https://127.0.0.1:${registry.port}`);
  });

  it('omits the packages extension unless asked', async () => {
    const plain = await startTestRegistry({ providers: [DEMO], signingKey: registry.signingKey });
    try {
      const body = (await (
        await get(plain, '/v1/providers/airgap/demo/1.0.0/download/linux/amd64')
      ).json()) as object;
      expect(Object.keys(body)).toEqual([
        'protocols',
        'os',
        'arch',
        'filename',
        'download_url',
        'shasums_url',
        'shasums_signature_url',
        'shasum',
        'signing_keys',
      ]);
    } finally {
      await plain.close();
    }
  });

  it.each([
    ['/v1/providers/airgap/nope/versions'],
    ['/v1/providers/airgap/demo/9.9.9/download/linux/amd64'],
    ['/v1/providers/airgap/demo/1.0.0/download/windows/amd64'],
    ['/files/airgap/demo/1.0.0/terraform-provider-demo_1.0.0_windows_amd64.zip'],
    ['/v1/providers/airgap/demo'],
  ])('answers 404 with a JSON error for %s', async (p) => {
    const res = await get(registry, p);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ errors: ['Not Found'] });
  });

  it('serves SHA256SUMS whose lines equal the served zips, with Content-Length', async () => {
    const sums = await (
      await get(registry, filePath('1.0.0', 'terraform-provider-demo_1.0.0_SHA256SUMS'))
    ).text();
    const darwin = pkg(registry, '1.0.0', 'darwin_arm64');
    expect(sums).toBe(
      `${darwin.sha256}  terraform-provider-demo_1.0.0_darwin_arm64.zip\n` +
        `${DEMO_1_0_0_LINUX.sha256}  terraform-provider-demo_1.0.0_linux_amd64.zip\n`,
    );
    for (const p of [pkg(registry, '1.0.0', 'linux_amd64'), darwin]) {
      const res = await get(registry, filePath('1.0.0', p.filename));
      expect(res.headers.get('content-length')).toBe(String(p.size));
      const zip = await bytes(res);
      expect(sha256(zip)).toBe(p.sha256);
      expect(zip.equals(await fs.readFile(p.path))).toBe(true);
    }
  });

  it('answers HEAD with the length and no body', async () => {
    const res = await get(registry, filePath('1.0.0', 'terraform-provider-demo_1.0.0_linux_amd64.zip'), {
      method: 'HEAD',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe('2474');
    expect((await bytes(res)).length).toBe(0);
  });

  it('signs SHA256SUMS with the key it advertises', async () => {
    const dl = (await (
      await get(registry, '/v1/providers/airgap/demo/1.1.0/download/darwin/arm64')
    ).json()) as {
      shasums_url: string;
      shasums_signature_url: string;
      signing_keys: { gpg_public_keys: { key_id: string; ascii_armor: string }[] };
    };
    const sums = await bytes(await get(registry, dl.shasums_url));
    const sig = await bytes(await get(registry, dl.shasums_signature_url));
    const advertised = dl.signing_keys.gpg_public_keys[0];
    const key = await openpgp.readKey({ armoredKey: advertised?.ascii_armor ?? '' });
    expect(key.getKeyID().toHex().toUpperCase()).toBe(advertised?.key_id);
    const result = await openpgp.verify({
      message: await openpgp.createMessage({ binary: sums }),
      signature: await openpgp.readSignature({ binarySignature: sig }),
      verificationKeys: key,
    });
    expect(result.signatures[0]?.keyID.toHex().toUpperCase()).toBe(registry.signingKey.keyId);
    await expect(result.signatures[0]?.verified).resolves.toBe(true);
  });

  it('writes a CLI config that points the logical host at the server', () => {
    expect(registry.hostname).toBe('registry.airgap.test');
    expect(registry.cliConfigText('plugin_cache_dir = "/x"')).toBe(
      `host "registry.airgap.test" {\n  services = {\n    "providers.v1" = "${registry.url}/v1/providers/"\n  }\n}\n` +
        '\nplugin_cache_dir = "/x"\n',
    );
  });

  it('logs every request with its status', async () => {
    const before = registry.requests.length;
    await (
      await get(registry, '/v1/providers/airgap/demo/versions?x=1', { headers: { 'x-probe': 'one' } })
    ).text();
    await (await get(registry, '/v1/providers/airgap/gone/versions')).text();
    const logged = registry.requests.slice(before);
    expect(logged.map((r) => [r.method, r.path, r.status])).toEqual([
      ['GET', '/v1/providers/airgap/demo/versions?x=1', 200],
      ['GET', '/v1/providers/airgap/gone/versions', 404],
    ]);
    expect(logged[0]?.headers['x-probe']).toBe('one');
  });
});

describe('packages', () => {
  it('pins the bytes and h1 of a package, and h1 matches an independent unzip', async () => {
    const linux = pkg(registry, '1.0.0', 'linux_amd64');
    expect({ sha256: linux.sha256, size: linux.size, h1: linux.h1 }).toEqual(DEMO_1_0_0_LINUX);
    expect(linux.filename).toBe('terraform-provider-demo_1.0.0_linux_amd64.zip');
    for (const p of registry.packages) expect(await h1OfZip(p.path)).toBe(p.h1);
  });

  it('holds the executable (0755), and the docs/ directory entry only when asked', async () => {
    const plain = await startTestRegistry({
      providers: [
        {
          namespace: 'airgap',
          type: 'tiny',
          versions: ['0.1.0'],
          platforms: ['linux_arm64'],
          payloadSize: 100,
        },
      ],
      signingKey: registry.signingKey,
    });
    try {
      const entries = async (file: string): Promise<[string, number, number][]> => {
        const zip = await openZip(file);
        const out: [string, number, number][] = [];
        for await (const e of zip.eachEntry())
          out.push([e.fileName, e.externalFileAttributes >>> 16, e.uncompressedSize]);
        zip.close();
        return out;
      };
      expect(await entries(pkg(registry, '1.0.0', 'linux_amd64').path)).toEqual([
        ['terraform-provider-demo_v1.0.0', 0o100755, 2048],
        ['docs/', 0o40755, 0],
        ['docs/README.md', 0o100644, 62],
      ]);
      const tiny = plain.packages[0];
      expect(await entries(tiny?.path ?? '')).toEqual([['terraform-provider-tiny_v0.1.0', 0o100755, 100]]);
      const head = (await fs.readFile(tiny?.path ?? '')).subarray(
        30 + 'terraform-provider-tiny_v0.1.0'.length,
      );
      expect(head.subarray(0, 10).toString()).toBe('#!/bin/sh\n');
    } finally {
      await plain.close();
    }
  });

  it('builds byte-identical packages in another work dir, and different bytes for another spec', async () => {
    const other = await startTestRegistry({ providers: [DEMO], signingKey: registry.signingKey });
    try {
      expect(other.packages.map((p) => [p.filename, p.sha256, p.h1])).toEqual(
        registry.packages.map((p) => [p.filename, p.sha256, p.h1]),
      );
      expect(other.packages[0]?.path).not.toBe(registry.packages[0]?.path);
      for (const p of other.packages) {
        expect(
          (await fs.readFile(p.path)).equals(await fs.readFile(pkg(registry, p.version, p.platform).path)),
        ).toBe(true);
      }
      expect(new Set(registry.packages.map((p) => p.sha256)).size).toBe(registry.packages.length);
    } finally {
      await other.close();
    }
  });

  it('reuses a cached zip, and rebuilds one whose bytes no longer match', async () => {
    const workDir = await makeTempDir();
    const spec = { namespace: 'airgap', type: 'cache', versions: ['1.0.0'], platforms: ['linux_amd64'] };
    const first = await startTestRegistry({ providers: [spec], workDir, signingKey: registry.signingKey });
    await first.close();
    const built = first.packages[0];
    if (built === undefined) throw new Error('no package');
    expect(built.path.startsWith(path.join(workDir, 'packages', 'airgap', 'cache', '1.0.0'))).toBe(true);
    const stamp = new Date('2001-02-03T04:05:06Z');
    await fs.utimes(built.path, stamp, stamp);

    const second = await startTestRegistry({ providers: [spec], workDir, signingKey: registry.signingKey });
    await second.close();
    expect((await fs.stat(built.path)).mtime.toISOString()).toBe(stamp.toISOString());
    expect(second.packages).toEqual(first.packages);

    const original = await fs.readFile(built.path);
    const damaged = Buffer.from(original);
    damaged[100] = (damaged[100] ?? 0) ^ 1;
    await fs.writeFile(built.path, damaged);
    const third = await startTestRegistry({ providers: [spec], workDir, signingKey: registry.signingKey });
    await third.close();
    expect(third.packages).toEqual(first.packages);
    expect((await fs.readFile(built.path)).equals(original)).toBe(true);
  });
});

describe('faults', () => {
  const zipName = 'terraform-provider-demo_1.0.0_linux_amd64.zip';

  it('answers an injected status with Retry-After, then recovers after `times`', async () => {
    registry.addFault({ match: '/versions', kind: 'status', status: 503, retryAfter: 7, times: 1 });
    const first = await get(registry, '/v1/providers/airgap/demo/versions');
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toBe('7');
    expect(await first.json()).toEqual({ errors: ['injected fault: status 503'] });
    expect((await get(registry, '/v1/providers/airgap/demo/versions')).status).toBe(200);
  });

  it('cuts the connection mid-body, once', async () => {
    registry.addFault({ match: /_linux_amd64\.zip$/, kind: 'reset-mid-body', times: 1 });
    const cut = await get(registry, filePath('1.0.0', zipName));
    expect(cut.status).toBe(200);
    expect(cut.headers.get('content-length')).toBe('2474');
    await expect(cut.arrayBuffer()).rejects.toThrow('terminated');
    expect(sha256(await bytes(await get(registry, filePath('1.0.0', zipName))))).toBe(
      DEMO_1_0_0_LINUX.sha256,
    );
  });

  it('cuts at the byte asked for: `at` bytes of the body, then the connection', async () => {
    registry.addFault({ match: /_linux_amd64\.zip$/, kind: 'reset-mid-body', at: 1000, times: 1 });
    const cut = await get(registry, filePath('1.0.0', zipName));
    await expect(cut.arrayBuffer()).rejects.toThrow('terminated');
    expect(registry.requests.at(-1)?.writes).toEqual([]);
  });

  it('slows a body down to the given rate', async () => {
    registry.addFault({ match: zipName, kind: 'slow-body', bytesPerSecond: 5000, times: 1 });
    const body = await bytes(await get(registry, filePath('1.0.0', zipName)));
    expect(sha256(body)).toBe(DEMO_1_0_0_LINUX.sha256);
    // 2474 bytes at 5000 B/s go out as a trickle of rate/10 slices, each sent when the
    // budget covers it (the timing itself is measured in `npm run bench`, not here).
    const entry = registry.requests.at(-1);
    expect(entry?.fault).toBe('slow-body');
    expect(entry?.rate).toBe(5000);
    expect(entry?.writes).toEqual([500, 500, 500, 500, 474]);
  });

  it('delays a response', async () => {
    registry.addFault({ match: '/.well-known/', kind: 'delay', ms: 300, times: 1 });
    expect((await get(registry, '/.well-known/terraform.json')).status).toBe(200);
    expect(registry.requests.at(-1)).toMatchObject({ fault: 'delay', waitedMs: 300 });
    // Used up: the next request is answered at once.
    expect((await get(registry, '/.well-known/terraform.json')).status).toBe(200);
    expect(registry.requests.at(-1)?.fault).toBeUndefined();
    expect(registry.requests.at(-1)?.waitedMs).toBe(0);
  });

  it('tampers with a package: one flipped byte in the middle, and only on zip routes', async () => {
    registry.addFault({ match: '/', kind: 'tamper-package', times: 1 });
    // Not a zip route: served intact, and the fault is not used up.
    expect((await get(registry, '/v1/providers/airgap/demo/versions')).status).toBe(200);
    const tampered = await bytes(await get(registry, filePath('1.0.0', zipName)));
    const original = await fs.readFile(pkg(registry, '1.0.0', 'linux_amd64').path);
    expect(tampered.length).toBe(original.length);
    expect(sha256(tampered)).not.toBe(DEMO_1_0_0_LINUX.sha256);
    const diff = [...tampered.keys()].filter((i) => tampered[i] !== original[i]);
    expect(diff).toEqual([1237]);
    expect((tampered[1237] ?? 0) ^ (original[1237] ?? 0)).toBe(0xff);
    expect(sha256(await bytes(await get(registry, filePath('1.0.0', zipName))))).toBe(
      DEMO_1_0_0_LINUX.sha256,
    );
  });

  it('signs with another key on a wrong-signature fault', async () => {
    registry.addFault({ match: 'SHA256SUMS', kind: 'wrong-signature', times: 1 });
    const sums = await bytes(
      await get(registry, filePath('1.0.0', 'terraform-provider-demo_1.0.0_SHA256SUMS')),
    );
    const sig = await bytes(
      await get(registry, filePath('1.0.0', 'terraform-provider-demo_1.0.0_SHA256SUMS.sig')),
    );
    const signature = await openpgp.readSignature({ binarySignature: sig });
    const issuer = signature.getSigningKeyIDs()[0]?.toHex().toUpperCase();
    expect(issuer).toMatch(/^[0-9A-F]{16}$/);
    expect(issuer).not.toBe(registry.signingKey.keyId);
    const result = await openpgp.verify({
      message: await openpgp.createMessage({ binary: sums }),
      signature,
      verificationKeys: await openpgp.readKey({ armoredKey: registry.signingKey.publicKeyArmored }),
    });
    await expect(result.signatures[0]?.verified).rejects.toThrow('Could not find signing key with key ID');
    const good = await bytes(
      await get(registry, filePath('1.0.0', 'terraform-provider-demo_1.0.0_SHA256SUMS.sig')),
    );
    const goodSig = await openpgp.readSignature({ binarySignature: good });
    expect(goodSig.getSigningKeyIDs()[0]?.toHex().toUpperCase()).toBe(registry.signingKey.keyId);
  });

  it('advertises a shasum that differs from SHA256SUMS on a wrong-shasum fault', async () => {
    registry.addFault({ match: '/download/linux/', kind: 'wrong-shasum', times: 1 });
    const url = '/v1/providers/airgap/demo/1.0.0/download/linux/amd64';
    const wrong = (await (await get(registry, url)).json()) as { shasum: string };
    expect(wrong.shasum).toBe(`${DEMO_1_0_0_LINUX.sha256.slice(0, -1)}2`);
    const right = (await (await get(registry, url)).json()) as { shasum: string };
    expect(right.shasum).toBe(DEMO_1_0_0_LINUX.sha256);
  });

  it('keeps a fault until cleared when no `times` is given', async () => {
    registry.addFault({ match: '/.well-known/', kind: 'status', status: 500 });
    expect((await get(registry, '/.well-known/terraform.json')).status).toBe(500);
    expect((await get(registry, '/.well-known/terraform.json')).status).toBe(500);
    registry.clearFaults();
    expect((await get(registry, '/.well-known/terraform.json')).status).toBe(200);
  });
});

describe('ranges', () => {
  const zipName = 'terraform-provider-demo_1.0.0_linux_amd64.zip';
  const etag = `"${DEMO_1_0_0_LINUX.sha256.slice(0, 32)}"`;

  it('serves files with Accept-Ranges: bytes and an ETag', async () => {
    const res = await get(registry, filePath('1.0.0', zipName));
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('etag')).toBe(etag);
    await bytes(res);
  });

  it('answers Range: bytes=N- with 206, the Content-Range and exactly the rest', async () => {
    const whole = await fs.readFile(pkg(registry, '1.0.0', 'linux_amd64').path);
    const res = await get(registry, filePath('1.0.0', zipName), {
      headers: { range: 'bytes=1000-', 'if-range': etag },
    });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe('bytes 1000-2473/2474');
    expect(res.headers.get('content-length')).toBe('1474');
    expect((await bytes(res)).equals(whole.subarray(1000))).toBe(true);
  });

  it('answers the whole file when If-Range names another version, and 416 past the end', async () => {
    const other = await get(registry, filePath('1.0.0', zipName), {
      headers: { range: 'bytes=1000-', 'if-range': '"another"' },
    });
    expect(other.status).toBe(200);
    expect(sha256(await bytes(other))).toBe(DEMO_1_0_0_LINUX.sha256);
    const past = await get(registry, filePath('1.0.0', zipName), { headers: { range: 'bytes=2474-' } });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe('bytes */2474');
    await bytes(past);
  });

  it('ignores Range, and says nothing of ranges, with ranges: false', async () => {
    const plain = await startTestRegistry({ providers: [DEMO], workDir: await makeTempDir(), ranges: false });
    try {
      const res = await get(plain, filePath('1.0.0', zipName), { headers: { range: 'bytes=1000-' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('accept-ranges')).toBeNull();
      expect(res.headers.get('etag')).toBeNull();
      expect(sha256(await bytes(res))).toBe(DEMO_1_0_0_LINUX.sha256);
    } finally {
      await plain.close();
    }
  });
});

describe('package responses in flight', () => {
  it('counts the zip GETs being answered at once, and the most since the last reset', async () => {
    registry.resetInFlight();
    expect(registry.inFlight).toEqual({ packages: 0, maxPackages: 0 });
    registry.addFault({ match: /\.zip$/, kind: 'slow-body', bytesPerSecond: 10_000, times: 3 });
    const names = [
      '1.0.0/terraform-provider-demo_1.0.0_linux_amd64.zip',
      '1.0.0/terraform-provider-demo_1.0.0_darwin_arm64.zip',
      '1.1.0/terraform-provider-demo_1.1.0_linux_amd64.zip',
    ];
    const pending = names.map(async (n) => bytes(await get(registry, `/files/airgap/demo/${n}`)));
    await Promise.all(pending);
    registry.clearFaults();
    expect(registry.inFlight).toEqual({ packages: 0, maxPackages: 3 });
    // Metadata is not a package response.
    await bytes(await get(registry, '/v1/providers/airgap/demo/versions'));
    expect(registry.inFlight.maxPackages).toBe(3);
    registry.resetInFlight();
    expect(registry.inFlight.maxPackages).toBe(0);
  });
});

describe('token and shaping', () => {
  it('requires the bearer token on API endpoints only', async () => {
    const reg = await startTestRegistry({
      providers: [DEMO],
      token: 's3cret',
      signingKey: registry.signingKey,
    });
    try {
      const noAuth = await get(reg, '/v1/providers/airgap/demo/versions');
      expect(noAuth.status).toBe(401);
      expect(await noAuth.json()).toEqual({ errors: ['Unauthorized'] });
      const wrong = await get(reg, '/v1/providers/airgap/demo/1.0.0/download/linux/amd64', {
        headers: { authorization: 'Bearer nope' },
      });
      expect(wrong.status).toBe(401);
      const ok = await get(reg, '/v1/providers/airgap/demo/versions', {
        headers: { authorization: 'Bearer s3cret' },
      });
      expect(ok.status).toBe(200);
      expect((await get(reg, '/.well-known/terraform.json')).status).toBe(200);
      expect(
        (await get(reg, filePath('1.0.0', 'terraform-provider-demo_1.0.0_linux_amd64.zip'))).status,
      ).toBe(200);
      expect(reg.cliConfigText()).toContain(
        '\ncredentials "registry.airgap.test" {\n  token = "s3cret"\n}\n',
      );
    } finally {
      await reg.close();
    }
  });

  it('adds latency and caps throughput per response', async () => {
    const reg = await startTestRegistry({
      providers: [
        {
          namespace: 'airgap',
          type: 'bulk',
          versions: ['1.0.0'],
          platforms: ['linux_amd64'],
          payloadSize: 256 * 1024,
        },
      ],
      shaping: { latencyMs: 150, bytesPerSecondPerConnection: 1024 * 1024 },
      hostname: 'mirror.example.test',
      signingKey: registry.signingKey,
    });
    try {
      expect(reg.hostname).toBe('mirror.example.test');
      expect((await get(reg, '/.well-known/terraform.json')).status).toBe(200);
      expect(reg.requests.at(-1)?.waitedMs).toBe(150);
      const p = reg.packages[0];
      const body = await bytes(await get(reg, `/files/airgap/bulk/1.0.0/${p?.filename ?? ''}`));
      expect(sha256(body)).toBe(p?.sha256);
      // 150 ms latency, then the body paced at 1 MiB/s in slices of rate/10 (104857 bytes).
      const entry = reg.requests.at(-1);
      expect(entry?.waitedMs).toBe(150);
      expect(entry?.rate).toBe(1024 * 1024);
      expect(entry?.writes.reduce((a, b) => a + b, 0)).toBe(p?.size);
      expect(Math.max(...(entry?.writes ?? []))).toBeLessThanOrEqual(65536);
    } finally {
      await reg.close();
    }
  });
});

describe('pgp helper', () => {
  it('makes an ECC key whose ids match what openpgp reads back', async () => {
    const key = await generateSigningKey({ name: 'Pat', email: 'pat@example.test' });
    const pub = await openpgp.readKey({ armoredKey: key.publicKeyArmored });
    expect(key.fingerprint).toBe(pub.getFingerprint().toUpperCase());
    expect(key.fingerprint).toMatch(/^[0-9A-F]{40}$/);
    expect(key.keyId).toBe(key.fingerprint.slice(-16));
    expect(pub.getAlgorithmInfo().algorithm).toBe('eddsaLegacy');
    expect(pub.users[0]?.userID?.userID).toBe('Pat <pat@example.test>');
    expect(pub.isPrivate()).toBe(false);
  });

  it('makes an RSA key when asked', async () => {
    const key = await generateSigningKey({ type: 'rsa' });
    const info = (await openpgp.readKey({ armoredKey: key.publicKeyArmored })).getAlgorithmInfo();
    expect(info).toEqual({ algorithm: 'rsaEncryptSign', bits: 2048 });
  });

  it('signs detached, binary by default and armored on request, at the given date', async () => {
    const date = new Date('2024-01-05T07:08:09Z');
    const key = await generateSigningKey({
      date: new Date('2024-01-01T00:00:00Z'),
      keyExpirationTime: 86_400 * 10,
    });
    const data = new TextEncoder().encode('abc  file.zip\n');
    const binary = await signDetached(data, key, { date });
    expect((binary[0] ?? 0) & 0x80).toBe(0x80);
    const armored = new TextDecoder().decode(await signDetached(data, key, { armor: true, date }));
    expect(armored.startsWith('-----BEGIN PGP SIGNATURE-----')).toBe(true);
    const pub = await openpgp.readKey({ armoredKey: key.publicKeyArmored });
    expect(await pub.getExpirationTime()).toEqual(new Date('2024-01-11T00:00:00Z'));
    for (const signature of [
      await openpgp.readSignature({ binarySignature: binary }),
      await openpgp.readSignature({ armoredSignature: armored }),
    ]) {
      expect(signature.packets[0]?.created).toEqual(date);
      const result = await openpgp.verify({
        message: await openpgp.createMessage({ binary: data }),
        signature,
        verificationKeys: pub,
        date,
      });
      await expect(result.signatures[0]?.verified).resolves.toBe(true);
    }
  });
});
