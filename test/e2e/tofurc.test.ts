// The generated CLI configuration against the real terraform (tofu's stand-in: both
// read provider_installation the same way): `terraform init` offline from a packed
// filesystem mirror and from a network mirror, --allow-direct exceptions, and the
// failures that show nothing else is consulted.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDeterministicZip } from '../../src/adapters/archive/zip-write.js';
import { renderTofurc, type TofurcOptions } from '../../src/core/config/tofurc.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry/index.js';
import { makeTempDir } from '../helpers/tmp.js';
import { createSelfSignedCert, type TestCert } from '../helpers/tls.js';
import { describeWithTools } from '../helpers/tools.js';

const HOST = 'registry.airgap.test';
const EXECUTABLE = 'terraform-provider-widget_v1.0.0';
const SCRIPT = Buffer.from('#!/bin/sh\n# airgap tofurc e2e provider\nexit 0\n');

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

// terraform wraps its messages to the terminal width.
function flat(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function mainTf(type: string): string {
  return `terraform {
  required_providers {
    ${type} = {
      source  = "${HOST}/acme/${type}"
      version = "1.0.0"
    }
  }
}
`;
}

describeWithTools(['terraform'], 'the generated tofurc with the real terraform', () => {
  let work: string;
  let mirror: string;
  let platform: string;
  let zipName: string;
  let h1: string;

  beforeAll(async () => {
    work = await makeTempDir();
    mirror = path.join(work, 'providers');
    const version = JSON.parse((await run(['version', '-json'], work, {})).stdout) as { platform: string };
    platform = version.platform;
    zipName = `terraform-provider-widget_1.0.0_${platform}.zip`;
    await fs.mkdir(path.join(mirror, HOST, 'acme/widget'), { recursive: true });
    await writeDeterministicZip(path.join(mirror, HOST, 'acme/widget', zipName), [
      { name: EXECUTABLE, mode: 0o755, data: SCRIPT },
    ]);
    // Go dirhash Hash1 of the one file, computed here independently of the product.
    const line = `${createHash('sha256').update(SCRIPT).digest('hex')}  ${EXECUTABLE}\n`;
    h1 = `h1:${createHash('sha256').update(line).digest('base64')}`;
  });

  function run(args: string[], cwd: string, env: Record<string, string>): Promise<RunResult> {
    return new Promise((resolve) => {
      execFile(
        'terraform',
        args,
        {
          cwd,
          env: {
            PATH: process.env.PATH ?? '',
            HOME: work,
            CHECKPOINT_DISABLE: '1',
            // Any attempt to reach a network fails fast: nothing listens on port 9.
            HTTPS_PROXY: 'http://127.0.0.1:9',
            HTTP_PROXY: 'http://127.0.0.1:9',
            ...env,
          },
        },
        (error, stdout, stderr) => {
          const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  async function init(name: string, type: string, options: TofurcOptions, env: Record<string, string> = {}) {
    const dir = path.join(work, name);
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, 'main.tf'), mainTf(type));
    const rc = path.join(work, `${name}.tofurc`);
    await fs.writeFile(rc, renderTofurc(options));
    const result = await run(['init', '-input=false', '-no-color'], dir, { TF_CLI_CONFIG_FILE: rc, ...env });
    return { dir, result };
  }

  async function expectInstalled(dir: string): Promise<void> {
    const installed = path.join(dir, '.terraform/providers', HOST, 'acme/widget/1.0.0', platform);
    expect(await fs.readdir(installed)).toEqual([EXECUTABLE]);
    expect(await fs.readFile(path.join(installed, EXECUTABLE))).toEqual(SCRIPT);
    expect(await fs.readFile(path.join(dir, '.terraform.lock.hcl'), 'utf8')).toContain(
      `provider "${HOST}/acme/widget" {
  version     = "1.0.0"
  constraints = "1.0.0"
  hashes = [
    "${h1}",
  ]
}`,
    );
  }

  it('init succeeds offline from the filesystem mirror the tofurc names', async () => {
    const { dir, result } = await init('fs', 'widget', { mirrorPath: mirror });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`- Installing ${HOST}/acme/widget v1.0.0...`);
    expect(result.stdout).toContain('Terraform has been successfully initialized!');
    await expectInstalled(dir);
  }, 60_000);

  it('with --allow-direct for other providers, the mirrored one still installs from the mirror', async () => {
    const { dir, result } = await init('fs-direct', 'widget', {
      mirrorPath: mirror,
      allowDirect: ['registry.terraform.io/hashicorp/*', `${HOST}/other/*`],
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    await expectInstalled(dir);
  }, 60_000);

  describe('with a registry terraform may reach for --allow-direct providers', () => {
    let registry: TestRegistry;
    let registryH1: string;

    beforeAll(async () => {
      registry = await startTestRegistry({
        providers: [{ namespace: 'acme', type: 'widget', versions: ['1.0.0'], platforms: [platform] }],
      });
      registryH1 = registry.packages[0]!.h1;
      expect(registryH1).not.toBe(h1);
    });

    afterAll(async () => {
      await registry?.close();
    });

    // The tofurc plus the registry's service-discovery override (a host block).
    async function initWith(name: string, cliConfig: string): Promise<{ dir: string; result: RunResult }> {
      const dir = path.join(work, name);
      await fs.mkdir(dir, { recursive: true });
      await fs.writeFile(path.join(dir, 'main.tf'), mainTf('widget'));
      const rc = path.join(work, `${name}.tofurc`);
      await fs.writeFile(rc, `${cliConfig}\n${registry.cliConfigText()}`);
      const result = await run(['init', '-input=false', '-no-color'], dir, {
        TF_CLI_CONFIG_FILE: rc,
        SSL_CERT_FILE: registry.caCertPath,
      });
      return { dir, result };
    }

    async function installedH1(dir: string): Promise<string> {
      const lock = await fs.readFile(path.join(dir, '.terraform.lock.hcl'), 'utf8');
      const found = lock.match(/"(h1:[^"]+)"/g) ?? [];
      expect(found).toHaveLength(1);
      return found[0]!.slice(1, -1);
    }

    it('a provider --allow-direct names comes from its registry, never from the mirror', async () => {
      const { dir, result } = await initWith(
        'direct-excluded',
        renderTofurc({ mirrorPath: mirror, allowDirect: [`${HOST}/acme/*`] }),
      );
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(await installedH1(dir)).toBe(registryH1);
      expect(registry.requests.some((r) => r.path.endsWith(`/${zipName}`))).toBe(true);
    }, 60_000);

    it('(control) without the exclude, the mirror copy would win: why the generated file has it', async () => {
      const { dir, result } = await initWith(
        'direct-not-excluded',
        `provider_installation {\n  filesystem_mirror {\n    path = "${mirror}"\n  }\n  direct {\n    include = ["${HOST}/acme/*"]\n  }\n}\n`,
      );
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(await installedH1(dir)).toBe(h1);
    }, 60_000);
  });

  it('a provider the mirror lacks fails offline, with no fallback to the internet', async () => {
    const { dir, result } = await init('fs-missing', 'gadget', { mirrorPath: mirror });
    expect(result.code).toBe(1);
    expect(flat(result.stderr)).toBe(
      `Error: Failed to query available provider packages Could not retrieve the list of available versions for provider ${HOST}/acme/gadget: provider ${HOST}/acme/gadget was not found in any of the search locations - ${mirror}`,
    );
    await expect(fs.stat(path.join(dir, '.terraform/providers'))).rejects.toThrow('ENOENT');
  }, 60_000);

  describe('from a network mirror', () => {
    let cert: TestCert;
    let server: https.Server;
    const requests: string[] = [];

    beforeAll(async () => {
      cert = await createSelfSignedCert(undefined, undefined, await makeTempDir('airgap-cert-'));
      const base = path.join(mirror, HOST, 'acme/widget');
      await fs.writeFile(path.join(base, 'index.json'), JSON.stringify({ versions: { '1.0.0': {} } }));
      await fs.writeFile(
        path.join(base, '1.0.0.json'),
        JSON.stringify({ archives: { [platform]: { url: zipName, hashes: [h1] } } }),
      );
      server = https.createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
        const url = req.url ?? '/';
        requests.push(`${req.method} ${url}`);
        if (!url.startsWith('/tf/')) {
          res.writeHead(404).end();
          return;
        }
        const file = path.join(mirror, ...url.slice('/tf/'.length).split('/').map(decodeURIComponent));
        fs.readFile(file).then(
          (data) => {
            const type = file.endsWith('.json') ? 'application/json' : 'application/zip';
            res.writeHead(200, { 'content-type': type }).end(data);
          },
          () => res.writeHead(404).end(),
        );
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });

    afterAll(async () => {
      await new Promise((resolve) => server?.close(resolve));
    });

    it('init succeeds with the URL given without its final slash', async () => {
      const port = (server.address() as AddressInfo).port;
      const { dir, result } = await init(
        'net',
        'widget',
        { networkMirrorUrl: `https://127.0.0.1:${port}/tf` },
        { SSL_CERT_FILE: cert.certPath },
      );
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      await expectInstalled(dir);
      expect(requests).toEqual([
        `GET /tf/${HOST}/acme/widget/index.json`,
        `GET /tf/${HOST}/acme/widget/1.0.0.json`,
        `HEAD /tf/${HOST}/acme/widget/${zipName}`,
        `GET /tf/${HOST}/acme/widget/${zipName}`,
      ]);
    }, 60_000);
  });
});
