// mirrorBinaries against a real HTTPS release server on 127.0.0.1: tofu and terraform
// zips verified (signature first, then sha256) and stored with their SHA256SUMS and
// signature as served; constraints through api.json / index.json; incremental re-runs;
// and each fault failing with its exact code while nothing is stored for that release.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { digestZip } from '../../src/adapters/archive/zip-read.js';
import { createHttpClient, type ClosableHttpClient } from '../../src/adapters/http/client.js';
import { AirgapError, AirgapErrors } from '../../src/core/errors.js';
import type { Reporter } from '../../src/core/ports.js';
import { readPublicKeys, verifyDetachedSignature } from '../../src/core/signature/index.js';
import { mirrorBinaries, type BinaryMirrorOptions } from '../../src/services/mirror/binaries.js';
import {
  sha256Hex,
  startReleaseServer,
  tamperedBytes,
  type ReleaseServer,
} from '../helpers/release-server/index.js';
import { makeTempDir } from '../helpers/tmp.js';

// The deterministic test zips' hashes and sizes: any change to the server's zips or to
// what the mirror stores shows here.
const TOFU_185_LINUX = {
  sha256: 'c3cc6f687f8015c0916ab00897e6a07036a5cf34af5d1a0797649fe5baba9883',
  size: 320,
};
const TOFU_185_DARWIN = {
  sha256: '5bc8c222eb83c25d23556aa89968c55e30c248d744a481d3890738646403798c',
  size: 321,
};
const TF_198_LINUX = {
  sha256: '0446125e95caeb6e6d5f92b745bdc0fa942660cd06980417b261b564498f2096',
  size: 336,
};
const TF_198_DARWIN = {
  sha256: '122e5dc0dc7489104631b2ae4550cd30ea81ddb30e6c4b4484e1f5d295c7dc6b',
  size: 337,
};

let server: ReleaseServer;
let http: ClosableHttpClient;

beforeAll(async () => {
  server = await startReleaseServer({
    tofu: { versions: ['1.8.0', '1.8.5', '1.9.0-rc1', '1.9.0'], platforms: ['linux_amd64', 'darwin_arm64'] },
    terraform: {
      versions: ['1.9.7', '1.9.8', '1.10.0-alpha20240606'],
      platforms: ['linux_amd64', 'darwin_arm64'],
    },
  });
  http = createHttpClient({
    userAgent: 'airgap-test',
    env: {},
    caCertFiles: [server.caCertPath],
    retries: 1,
    retryBaseDelayMs: 1,
  });
});

afterAll(async () => {
  await http?.close();
  await server?.close();
});

afterEach(() => {
  server.clearFaults();
});

interface Captured extends Reporter {
  infos: string[];
  warnings: string[];
}

function reporter(): Captured {
  const infos: string[] = [];
  const warnings: string[] = [];
  return { infos, warnings, info: (m) => infos.push(m), warn: (m) => warnings.push(m) };
}

function options(outDir: string, extra: Partial<BinaryMirrorOptions> = {}): BinaryMirrorOptions {
  return {
    outDir,
    platforms: ['linux_amd64', 'darwin_arm64'],
    tofu: [],
    tofuApiUrl: server.tofuApiUrl,
    tofuBaseUrl: server.tofuBaseUrl,
    tofuKeyFile: server.publicKeyPath,
    terraform: [],
    terraformApiUrl: server.terraformApiUrl,
    terraformBaseUrl: server.terraformBaseUrl,
    terraformKeyFile: server.publicKeyPath,
    ...extra,
  };
}

async function run(outDir: string, extra: Partial<BinaryMirrorOptions> = {}, rep: Captured = reporter()) {
  const before = server.requests.length;
  const entries = await mirrorBinaries(options(outDir, extra), { http, reporter: rep, concurrency: 4 });
  return {
    entries,
    requests: server.requests
      .slice(before)
      .map((r) => `${r.status} ${r.path}`)
      .sort(),
  };
}

async function failure(outDir: string, extra: Partial<BinaryMirrorOptions>) {
  const before = server.requests.length;
  try {
    await mirrorBinaries(options(outDir, extra), { http, reporter: reporter(), concurrency: 4 });
  } catch (e) {
    if (!(e instanceof AirgapError)) throw e;
    return {
      error: e,
      requests: server.requests
        .slice(before)
        .map((r) => `${r.status} ${r.path}`)
        .sort(),
    };
  }
  throw new Error('expected mirrorBinaries to fail, but it succeeded');
}

/** Every file below `dir`, as sorted relative POSIX paths. */
async function listing(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string, rel: string): Promise<void> {
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) {
        out.push(`${r}/`);
        await walk(path.join(d, e.name), r);
      } else out.push(r);
    }
  }
  await walk(dir, '');
  return out.sort();
}

async function sha256Of(file: string): Promise<string> {
  return createHash('sha256')
    .update(await fs.readFile(file))
    .digest('hex');
}

const TOFU_185_FILES = [
  'tofu/',
  'tofu/1.8.5/',
  'tofu/1.8.5/tofu_1.8.5_SHA256SUMS',
  'tofu/1.8.5/tofu_1.8.5_SHA256SUMS.gpgsig',
  'tofu/1.8.5/tofu_1.8.5_darwin_arm64.zip',
  'tofu/1.8.5/tofu_1.8.5_linux_amd64.zip',
];
const TF_198_FILES = [
  'terraform/',
  'terraform/1.9.8/',
  'terraform/1.9.8/terraform_1.9.8_SHA256SUMS',
  'terraform/1.9.8/terraform_1.9.8_SHA256SUMS.sig',
  'terraform/1.9.8/terraform_1.9.8_darwin_arm64.zip',
  'terraform/1.9.8/terraform_1.9.8_linux_amd64.zip',
];
const TOFU_185_REQUESTS = [
  '200 /tofu/v1.8.5/tofu_1.8.5_SHA256SUMS',
  '200 /tofu/v1.8.5/tofu_1.8.5_SHA256SUMS.gpgsig',
  '200 /tofu/v1.8.5/tofu_1.8.5_darwin_arm64.zip',
  '200 /tofu/v1.8.5/tofu_1.8.5_linux_amd64.zip',
];

describe('mirrorBinaries', () => {
  it('stores both tools x 2 platforms, verified, with SHA256SUMS and signature as served', async () => {
    const out = await makeTempDir();
    const { entries, requests } = await run(out, { tofu: ['1.8.5'], terraform: ['1.9.8'] });
    const fp = server.signingKey.fingerprint;
    const verifiedBy = { primaryKeyFingerprint: fp, signingKeyFingerprint: fp, keyExpiredSince: false };
    expect(entries).toEqual([
      {
        tool: 'terraform',
        version: '1.9.8',
        platforms: [
          { platform: 'darwin_arm64', filename: 'terraform_1.9.8_darwin_arm64.zip', ...TF_198_DARWIN },
          { platform: 'linux_amd64', filename: 'terraform_1.9.8_linux_amd64.zip', ...TF_198_LINUX },
        ],
        sums: 'terraform_1.9.8_SHA256SUMS',
        signature: 'terraform_1.9.8_SHA256SUMS.sig',
        verifiedBy,
      },
      {
        tool: 'tofu',
        version: '1.8.5',
        platforms: [
          { platform: 'darwin_arm64', filename: 'tofu_1.8.5_darwin_arm64.zip', ...TOFU_185_DARWIN },
          { platform: 'linux_amd64', filename: 'tofu_1.8.5_linux_amd64.zip', ...TOFU_185_LINUX },
        ],
        sums: 'tofu_1.8.5_SHA256SUMS',
        signature: 'tofu_1.8.5_SHA256SUMS.gpgsig',
        verifiedBy,
      },
    ]);
    // Exact versions need no release list.
    expect(requests).toEqual([
      '200 /terraform/1.9.8/terraform_1.9.8_SHA256SUMS',
      '200 /terraform/1.9.8/terraform_1.9.8_SHA256SUMS.sig',
      '200 /terraform/1.9.8/terraform_1.9.8_darwin_arm64.zip',
      '200 /terraform/1.9.8/terraform_1.9.8_linux_amd64.zip',
      ...TOFU_185_REQUESTS,
    ]);
    expect(await listing(out)).toEqual([...TF_198_FILES, ...TOFU_185_FILES].sort());

    const tofuDir = path.join(out, 'tofu', '1.8.5');
    expect(await sha256Of(path.join(tofuDir, 'tofu_1.8.5_linux_amd64.zip'))).toBe(TOFU_185_LINUX.sha256);
    expect(await sha256Of(path.join(tofuDir, 'tofu_1.8.5_darwin_arm64.zip'))).toBe(TOFU_185_DARWIN.sha256);
    const tfDir = path.join(out, 'terraform', '1.9.8');
    expect(await sha256Of(path.join(tfDir, 'terraform_1.9.8_linux_amd64.zip'))).toBe(TF_198_LINUX.sha256);
    expect(await sha256Of(path.join(tfDir, 'terraform_1.9.8_darwin_arm64.zip'))).toBe(TF_198_DARWIN.sha256);
    // A real zip holding the executable (mode 0755), as the vendors ship it.
    const exe = '#!/bin/sh\necho "OpenTofu v1.8.5"\necho "on linux_amd64"\n';
    const zip = await digestZip(path.join(tofuDir, 'tofu_1.8.5_linux_amd64.zip'));
    expect(zip.entries.map((e) => [e.name, e.mode, e.sha256])).toEqual([
      ['LICENSE', 0o100644, sha256Hex(Buffer.from('tofu test release: not a real binary\n'))],
      ['tofu', 0o100755, sha256Hex(Buffer.from(exe))],
    ]);
    // The server's own hashes agree with the pinned ones.
    expect(server.artifact('tofu', '1.8.5', 'linux_amd64').sha256).toBe(TOFU_185_LINUX.sha256);

    // Kept as they came: an audit can verify the stored files again, offline.
    const storedSums = await fs.readFile(path.join(tofuDir, 'tofu_1.8.5_SHA256SUMS'));
    const storedSig = await fs.readFile(path.join(tofuDir, 'tofu_1.8.5_SHA256SUMS.gpgsig'));
    expect(storedSums.equals(server.sums('tofu', '1.8.5'))).toBe(true);
    expect(storedSig.equals(await server.signature('tofu', '1.8.5'))).toBe(true);
    expect(storedSums.toString()).toBe(
      `${TOFU_185_DARWIN.sha256}  tofu_1.8.5_darwin_arm64.zip\n${TOFU_185_LINUX.sha256}  tofu_1.8.5_linux_amd64.zip\n`,
    );
    const audit = await verifyDetachedSignature({
      data: storedSums,
      signature: storedSig,
      keys: await readPublicKeys(await fs.readFile(server.publicKeyPath)),
      subject: 'stored tofu_1.8.5_SHA256SUMS',
    });
    expect(audit.primaryKeyFingerprint).toBe(fp);
    expect(
      (await fs.readFile(path.join(tfDir, 'terraform_1.9.8_SHA256SUMS.sig'))).equals(
        await server.signature('terraform', '1.9.8'),
      ),
    ).toBe(true);
  });

  it('resolves constraints through api.json and index.json: newest match, prereleases only by name', async () => {
    const out = await makeTempDir();
    const { entries, requests } = await run(out, {
      platforms: ['linux_amd64'],
      tofu: ['~> 1.8.0', '1.9.0-rc1'],
      terraform: ['>= 1.9.7'],
    });
    expect(
      entries.map((e) => `${e.tool} ${e.version} ${e.platforms.map((p) => p.filename).join(',')}`),
    ).toEqual([
      'terraform 1.9.8 terraform_1.9.8_linux_amd64.zip',
      'tofu 1.8.5 tofu_1.8.5_linux_amd64.zip',
      'tofu 1.9.0-rc1 tofu_1.9.0-rc1_linux_amd64.zip',
    ]);
    expect(entries[1]?.platforms[0]).toEqual({
      platform: 'linux_amd64',
      filename: 'tofu_1.8.5_linux_amd64.zip',
      ...TOFU_185_LINUX,
    });
    expect(requests.filter((r) => r.endsWith('.json'))).toEqual([
      '200 /terraform/index.json',
      '200 /tofu/api.json',
    ]);
    expect(requests).toHaveLength(2 + 3 * 3);
    expect(await listing(out)).toEqual([
      'terraform/',
      'terraform/1.9.8/',
      'terraform/1.9.8/terraform_1.9.8_SHA256SUMS',
      'terraform/1.9.8/terraform_1.9.8_SHA256SUMS.sig',
      'terraform/1.9.8/terraform_1.9.8_linux_amd64.zip',
      'tofu/',
      'tofu/1.8.5/',
      'tofu/1.8.5/tofu_1.8.5_SHA256SUMS',
      'tofu/1.8.5/tofu_1.8.5_SHA256SUMS.gpgsig',
      'tofu/1.8.5/tofu_1.8.5_linux_amd64.zip',
      'tofu/1.9.0-rc1/',
      'tofu/1.9.0-rc1/tofu_1.9.0-rc1_SHA256SUMS',
      'tofu/1.9.0-rc1/tofu_1.9.0-rc1_SHA256SUMS.gpgsig',
      'tofu/1.9.0-rc1/tofu_1.9.0-rc1_linux_amd64.zip',
    ]);
  });

  it('returns releases by tool, versions in semver order (1.10 after 1.9)', async () => {
    const out = await makeTempDir();
    const { entries } = await run(out, {
      platforms: ['linux_amd64'],
      terraform: ['1.10.0-alpha20240606', '1.9.8', '1.9.7'],
      tofu: ['1.9.0'],
    });
    expect(entries.map((e) => `${e.tool} ${e.version}`)).toEqual([
      'terraform 1.9.7',
      'terraform 1.9.8',
      'terraform 1.10.0-alpha20240606',
      'tofu 1.9.0',
    ]);
  });

  it('re-runs incrementally: nothing fetched when all is stored; a damaged zip alone is fetched again', async () => {
    const out = await makeTempDir();
    const first = await run(out, { tofu: ['1.8.5'], terraform: ['1.9.8'] });
    const rep = reporter();
    const second = await run(out, { tofu: ['1.8.5'], terraform: ['1.9.8'] }, rep);
    expect(second.requests).toEqual([]);
    expect(second.entries).toEqual(first.entries);
    expect(rep.warnings).toEqual([]);

    const zip = path.join(out, 'tofu', '1.8.5', 'tofu_1.8.5_linux_amd64.zip');
    await fs.writeFile(zip, 'not the zip');
    const damaged = sha256Hex(Buffer.from('not the zip'));
    const rep3 = reporter();
    const third = await run(out, { tofu: ['1.8.5'], terraform: ['1.9.8'] }, rep3);
    expect(third.requests).toEqual([
      '200 /tofu/v1.8.5/tofu_1.8.5_SHA256SUMS',
      '200 /tofu/v1.8.5/tofu_1.8.5_SHA256SUMS.gpgsig',
      '200 /tofu/v1.8.5/tofu_1.8.5_linux_amd64.zip',
    ]);
    expect(rep3.warnings).toEqual([
      `tofu 1.8.5 (linux_amd64): the stored tofu_1.8.5_linux_amd64.zip is damaged (sha256 ${damaged}, tofu_1.8.5_SHA256SUMS lists ${TOFU_185_LINUX.sha256}); fetching it again`,
    ]);
    expect(third.entries).toEqual(first.entries);
    expect(await sha256Of(zip)).toBe(TOFU_185_LINUX.sha256);
  });

  it('re-checks the stored signature: a tampered stored SHA256SUMS is fetched and verified again', async () => {
    const out = await makeTempDir();
    const first = await run(out, { tofu: ['1.8.5'] });
    const sumsFile = path.join(out, 'tofu', '1.8.5', 'tofu_1.8.5_SHA256SUMS');
    // The attacker's edit: a different hash for a zip they swapped in.
    const forged = server.sums('tofu', '1.8.5').toString().replace(TOFU_185_LINUX.sha256, '0'.repeat(64));
    await fs.writeFile(sumsFile, forged);
    const rep = reporter();
    const again = await run(out, { tofu: ['1.8.5'] }, rep);
    expect(rep.warnings).toHaveLength(1);
    expect(rep.warnings[0]).toMatch(
      /^tofu 1\.8\.5: the stored tofu_1\.8\.5_SHA256SUMS no longer verifies \(signature of tofu 1\.8\.5 tofu_1\.8\.5_SHA256SUMS \(.*tofu_1\.8\.5_SHA256SUMS\): signature by key [0-9A-F]{40} .* does not verify/,
    );
    expect(again.requests).toEqual(TOFU_185_REQUESTS);
    expect(again.entries).toEqual(first.entries);
    expect((await fs.readFile(sumsFile)).equals(server.sums('tofu', '1.8.5'))).toBe(true);
  });

  it('retries a 500 once and succeeds', async () => {
    const out = await makeTempDir();
    server.addFault({ kind: 'status', status: 500, match: 'tofu_1.8.5_darwin_arm64.zip', times: 1 });
    const { entries, requests } = await run(out, { tofu: ['1.8.5'] });
    expect(requests).toEqual([
      '200 /tofu/v1.8.5/tofu_1.8.5_SHA256SUMS',
      '200 /tofu/v1.8.5/tofu_1.8.5_SHA256SUMS.gpgsig',
      '200 /tofu/v1.8.5/tofu_1.8.5_darwin_arm64.zip',
      '200 /tofu/v1.8.5/tofu_1.8.5_linux_amd64.zip',
      '500 /tofu/v1.8.5/tofu_1.8.5_darwin_arm64.zip',
    ]);
    expect(entries[0]?.platforms.map((p) => p.sha256)).toEqual([
      TOFU_185_DARWIN.sha256,
      TOFU_185_LINUX.sha256,
    ]);
    expect(await listing(out)).toEqual(TOFU_185_FILES);
  });
});

describe('mirrorBinaries failures: exact code, the artifact and both values named, nothing stored', () => {
  it('a tampered zip: CHECKSUM_MISMATCH, and the other tool is still stored', async () => {
    const out = await makeTempDir();
    server.addFault({ kind: 'tamper', match: 'tofu_1.8.5_linux_amd64.zip' });
    const { error } = await failure(out, { tofu: ['1.8.5'], terraform: ['1.9.8'] });
    const served = tamperedBytes(server.artifact('tofu', '1.8.5', 'linux_amd64').bytes);
    const actual = sha256Hex(served);
    const zipUrl = `${server.tofuBaseUrl}/v1.8.5/tofu_1.8.5_linux_amd64.zip`;
    const sumsUrl = `${server.tofuBaseUrl}/v1.8.5/tofu_1.8.5_SHA256SUMS`;
    expect(error.code).toBe('CHECKSUM_MISMATCH');
    expect(error.message).toBe(
      `${zipUrl}: sha256 is ${actual}, but ${sumsUrl} lists ${TOFU_185_LINUX.sha256} for "tofu_1.8.5_linux_amd64.zip"`,
    );
    expect(error.details).toMatchObject({
      expected: TOFU_185_LINUX.sha256,
      actual,
      path: zipUrl,
      version: '1.8.5',
      platform: 'linux_amd64',
    });
    // Nothing of tofu 1.8.5, not even its darwin zip that passed; terraform complete; no temp files.
    expect(await listing(out)).toEqual(TF_198_FILES);
  });

  it("a SHA256SUMS without the zip's line: CHECKSUM_MISSING before any zip is fetched", async () => {
    const out = await makeTempDir();
    server.dropSumsLine('tofu_1.8.5_darwin_arm64.zip');
    const { error, requests } = await failure(out, { tofu: ['1.8.5'] });
    const sumsUrl = `${server.tofuBaseUrl}/v1.8.5/tofu_1.8.5_SHA256SUMS`;
    expect(error.code).toBe('CHECKSUM_MISSING');
    expect(error.message).toBe(
      `tofu 1.8.5 (darwin_arm64): ${sumsUrl} has no line for tofu_1.8.5_darwin_arm64.zip; an unlisted artifact is not trusted`,
    );
    expect(error.details).toMatchObject({
      expected: 'a line for tofu_1.8.5_darwin_arm64.zip',
      actual: 'no line',
    });
    expect(requests).toEqual([
      '200 /tofu/v1.8.5/tofu_1.8.5_SHA256SUMS',
      '200 /tofu/v1.8.5/tofu_1.8.5_SHA256SUMS.gpgsig',
    ]);
    expect(await listing(out)).toEqual([]);
  });

  it('a signature by another key: SIGNATURE_INVALID naming both keys, before any zip is fetched', async () => {
    const out = await makeTempDir();
    server.addFault({ kind: 'wrong-signature', match: '/terraform/1.9.8/' });
    const { error, requests } = await failure(out, { terraform: ['1.9.8'] });
    const sumsUrl = `${server.terraformBaseUrl}/1.9.8/terraform_1.9.8_SHA256SUMS`;
    expect(error.code).toBe('SIGNATURE_INVALID');
    expect(error.message).toBe(
      `signature of terraform 1.9.8 terraform_1.9.8_SHA256SUMS (${sumsUrl}): signature was made by key ${server.impostorKey.fingerprint}, ` +
        `which is not a trusted key or subkey (trusted: ${server.signingKey.fingerprint} (airgap test releases <signer@airgap.test>))`,
    );
    expect(error.details).toMatchObject({
      expected: `a key or subkey of ${server.signingKey.fingerprint}`,
      actual: server.impostorKey.fingerprint,
      version: '1.9.8',
    });
    expect(requests.filter((r) => r.endsWith('.zip'))).toEqual([]);
    expect(await listing(out)).toEqual([]);
  });

  it('a SHA256SUMS altered in transit: SIGNATURE_INVALID', async () => {
    const out = await makeTempDir();
    server.addFault({ kind: 'tamper', match: /tofu_1\.8\.5_SHA256SUMS$/ });
    const { error, requests } = await failure(out, { tofu: ['1.8.5'] });
    const served = tamperedBytes(server.sums('tofu', '1.8.5'));
    expect(error.code).toBe('SIGNATURE_INVALID');
    expect(error.message).toContain(
      `does not verify over the ${served.length} bytes given (sha256 ${sha256Hex(served)})`,
    );
    expect(error.message).toContain('signature of tofu 1.8.5 tofu_1.8.5_SHA256SUMS');
    expect(requests.filter((r) => r.endsWith('.zip'))).toEqual([]);
    expect(await listing(out)).toEqual([]);
  });

  it('an unreachable release list stops only its own tool', async () => {
    const out = await makeTempDir();
    server.addFault({ kind: 'status', status: 404, match: '/tofu/api.json' });
    const { error } = await failure(out, { tofu: ['~> 1.8'], terraform: ['1.9.8'] });
    expect(error.code).toBe('HTTP_ERROR');
    expect(error.details).toMatchObject({ status: 404, address: server.tofuApiUrl });
    expect(await listing(out)).toEqual(TF_198_FILES);
  });

  it('a persistent 500: HTTP_ERROR naming the URL and status', async () => {
    const out = await makeTempDir();
    server.addFault({ kind: 'status', status: 500, match: 'tofu_1.8.5_SHA256SUMS.gpgsig' });
    const { error } = await failure(out, { tofu: ['1.8.5'] });
    expect(error.code).toBe('HTTP_ERROR');
    expect(error.details.status).toBe(500);
    expect(error.details.address).toBe(`${server.tofuBaseUrl}/v1.8.5/tofu_1.8.5_SHA256SUMS.gpgsig`);
    expect(error.message).toContain(
      `GET ${server.tofuBaseUrl}/v1.8.5/tofu_1.8.5_SHA256SUMS.gpgsig failed: 500`,
    );
    expect(await listing(out)).toEqual([]);
  });

  it('the default pinned keys reject a release signed by the throwaway key', async () => {
    const out = await makeTempDir();
    const { error } = await failure(out, {
      tofu: ['1.8.5'],
      terraform: ['1.9.8'],
      tofuKeyFile: undefined,
      terraformKeyFile: undefined,
    });
    expect(error).toBeInstanceOf(AirgapErrors);
    const errors = (error as AirgapErrors).errors;
    expect(errors.map((e) => e.code)).toEqual(['SIGNATURE_INVALID', 'SIGNATURE_INVALID']);
    const byTool = Object.fromEntries(errors.map((e) => [e.message.split(' ')[2], e]));
    expect(byTool['tofu']?.details.expected).toBe(
      'a key or subkey of E3E6E43D84CB852EADB0051D0C0AF313E5FD9F80',
    );
    expect(byTool['tofu']?.details.actual).toBe(server.signingKey.fingerprint);
    expect(byTool['tofu']?.message).toContain(
      'trusted: E3E6E43D84CB852EADB0051D0C0AF313E5FD9F80 (OpenTofu (This key is used to sign opentofu providers) <core@opentofu.org>)',
    );
    expect(byTool['terraform']?.details.expected).toBe(
      'a key or subkey of C874011F0AB405110D02105534365D9472D7468F',
    );
    expect(byTool['terraform']?.details.actual).toBe(server.signingKey.fingerprint);
    expect(await listing(out)).toEqual([]);
  });

  it('an unsatisfiable constraint: RELEASE_NOT_FOUND after reading only the list', async () => {
    const out = await makeTempDir();
    const { error, requests } = await failure(out, { tofu: ['~> 2.0'] });
    expect(error.code).toBe('RELEASE_NOT_FOUND');
    expect(error.message).toBe('no tofu release matches "~> 2.0" (4 listed; newest: 1.9.0, 1.8.5, 1.8.0)');
    expect(requests).toEqual(['200 /tofu/api.json']);
    expect(await listing(out)).toEqual([]);
  });

  it('an exact version that was never released: RELEASE_NOT_FOUND, not an HTTP error', async () => {
    const out = await makeTempDir();
    const { error } = await failure(out, { tofu: ['9.9.9'] });
    expect(error.code).toBe('RELEASE_NOT_FOUND');
    expect(error.message).toBe(
      `tofu 9.9.9 is not released at ${server.tofuBaseUrl}: ${server.tofuBaseUrl}/v9.9.9/tofu_9.9.9_SHA256SUMS is 404 Not Found (check the version, or --tofu-base-url)`,
    );
    expect(error.details).toMatchObject({ status: 404, expected: 'tofu 9.9.9', actual: '404' });
    expect(await listing(out)).toEqual([]);
  });

  it('a platform the release list lacks: PLATFORM_MISSING before anything is fetched', async () => {
    const out = await makeTempDir();
    const { error, requests } = await failure(out, {
      tofu: ['~> 1.8.0'],
      platforms: ['linux_amd64', 'windows_amd64'],
    });
    expect(error.code).toBe('PLATFORM_MISSING');
    expect(error.message).toBe(
      `tofu 1.8.5: the release list ${server.tofuApiUrl} has no tofu_1.8.5_windows_amd64.zip for windows_amd64 ` +
        '(it lists tofu_1.8.5_linux_amd64.zip, tofu_1.8.5_darwin_arm64.zip)',
    );
    expect(error.details).toMatchObject({
      expected: 'tofu_1.8.5_windows_amd64.zip',
      platform: 'windows_amd64',
    });
    expect(requests).toEqual(['200 /tofu/api.json']);
    expect(await listing(out)).toEqual([]);
  });

  it('a missing --tofu-key file: INPUT_NOT_FOUND', async () => {
    const out = await makeTempDir();
    const missing = path.join(out, 'no-such-key.asc');
    const { error, requests } = await failure(out, { tofu: ['1.8.5'], tofuKeyFile: missing });
    expect(error.code).toBe('INPUT_NOT_FOUND');
    expect(error.message).toBe(`--tofu-key ${missing}: no such file`);
    expect(requests).toEqual([]);
  });

  it('bad constraint syntax: USAGE before any request, naming the flag and the syntax', async () => {
    const out = await makeTempDir();
    const { error, requests } = await failure(out, { tofu: ['>=  1.8'] });
    expect(error.code).toBe('USAGE');
    expect(error.message).toBe(
      '--tofu ">=  1.8": invalid specification ">=  1.8": only one space is expected after the operator ">="; ' +
        'expected a version (1.8.5), latest, or constraints like "~> 1.8", ">= 1.6, < 1.9"',
    );
    expect(requests).toEqual([]);
  });

  it('reads constraints without a space after the operator, as tofu does ("~>1.8.0", ">=1.9.7,<1.10")', async () => {
    const out = await makeTempDir();
    const { entries } = await run(out, {
      platforms: ['linux_amd64'],
      tofu: ['~>1.8.0'],
      terraform: ['>=1.9.7,<1.10'],
    });
    expect(entries.map((e) => `${e.tool} ${e.version}`)).toEqual(['terraform 1.9.8', 'tofu 1.8.5']);
  });
});
