// What `airgap mirror` refuses while carrying modules, through the real CLI, each with
// its error code, message and exit code, and nothing half-written: hostile archives
// (`..`, absolute paths, symlinks out, a decompression bomb), locations it does not
// fetch, a module call it cannot read, a version no registry lists, and a published
// version whose bytes changed since the bundle pinned them.

import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Header } from 'tar';
import yazl from 'yazl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDeterministicZip } from '../../src/adapters/archive/zip-write.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startModuleRegistry, type TestModuleRegistry } from '../helpers/module-registry/index.js';
import { makeTempDir } from '../helpers/tmp.js';

const HOST = 'modules.airgap.test';
let registry: TestModuleRegistry;
let env: Record<string, string>;
let bomb: Buffer;

interface TarPart {
  name: string;
  type?: 'File' | 'SymbolicLink' | 'Link';
  linkpath?: string;
  body?: string;
}

// A .tar.gz whose entries are exactly these, names as given: what an attacker would ship.
function hostileTarGz(parts: TarPart[]): Buffer {
  const blocks: Buffer[] = [];
  for (const p of parts) {
    const body = Buffer.from(p.body ?? '');
    const h = new Header({
      path: p.name,
      mode: p.type === 'SymbolicLink' ? 0o777 : 0o644,
      size: p.type === undefined || p.type === 'File' ? body.length : 0,
      type: p.type ?? 'File',
      mtime: new Date(0),
      ...(p.linkpath === undefined ? {} : { linkpath: p.linkpath }),
    });
    h.encode();
    blocks.push(h.block!);
    if ((p.type ?? 'File') === 'File') blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

function zipWithSymlink(): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  zip.addBuffer(Buffer.from('# ok\n'), 'main.tf', { mtime: new Date(0), mode: 0o100644 });
  zip.addBuffer(Buffer.from('../../../../etc/passwd'), 'passwd.tf', { mtime: new Date(0), mode: 0o120777 });
  zip.end();
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}

// 300 MiB of zeros in one entry: a few hundred KiB of zip.
async function zipBomb(dir: string): Promise<Buffer> {
  const size = 300 * 1024 * 1024;
  const file = path.join(dir, 'bomb.zip');
  const chunk = Buffer.alloc(1024 * 1024);
  await writeDeterministicZip(file, [
    {
      name: 'main.tf',
      mode: 0o644,
      size,
      stream: () =>
        Readable.from(
          (function* () {
            for (let i = 0; i < size / chunk.length; i++) yield chunk;
          })(),
        ),
    },
  ]);
  return fs.readFile(file);
}

function archiveModule(name: string, source: 'tar.gz' | 'zip', bytes: Buffer) {
  return {
    namespace: 'evil',
    name,
    system: 'aws',
    source,
    versions: [{ version: '1.0.0', files: {}, archiveBytes: bytes }],
  };
}

beforeAll(async () => {
  const scratch = await makeTempDir();
  bomb = await zipBomb(scratch);
  registry = await startModuleRegistry({
    modules: [
      archiveModule(
        'dotdot',
        'tar.gz',
        hostileTarGz([
          { name: 'main.tf', body: '# ok\n' },
          { name: '../evil.tf', body: 'x' },
        ]),
      ),
      archiveModule('absolute', 'tar.gz', hostileTarGz([{ name: '/etc/evil.tf', body: 'x' }])),
      archiveModule(
        'symlink',
        'tar.gz',
        hostileTarGz([
          { name: 'main.tf', body: '# ok\n' },
          { name: 'passwd.tf', type: 'SymbolicLink', linkpath: '/etc/passwd' },
        ]),
      ),
      archiveModule('ziplink', 'zip', await zipWithSymlink()),
      archiveModule('bomb', 'zip', bomb),
      {
        namespace: 'evil',
        name: 's3',
        system: 'aws',
        source: 'zip',
        location: 's3::https://s3.amazonaws.com/bucket/module.zip',
        versions: [{ version: '1.0.0', files: { 'main.tf': '' } }],
      },
      {
        namespace: 'evil',
        name: 'ssh',
        system: 'aws',
        source: 'git',
        answer: 'opentofu',
        location: 'git::ssh://git@example.com/acme/module.git?ref=v1.0.0',
        versions: [{ version: '1.0.0', files: { 'main.tf': '' } }],
      },
      {
        namespace: 'evil',
        name: 'gitlink',
        system: 'aws',
        source: 'git',
        versions: [
          {
            version: '1.0.0',
            files: {
              'main.tf': '# ok\n',
              'inside.tf': { symlink: 'main.tf' },
              'passwd.tf': { symlink: '../../../../../../etc/passwd' },
            },
          },
        ],
      },
      {
        namespace: 'acme',
        name: 'moving',
        system: 'aws',
        source: 'git',
        versions: [{ version: '1.0.0', files: { 'main.tf': '# first\n' } }],
      },
    ],
  });
  const dir = await makeTempDir();
  const cfg = path.join(dir, 'cli.tfrc');
  await fs.writeFile(cfg, registry.cliConfigText());
  env = { TF_CLI_CONFIG_FILE: cfg, SSL_CERT_FILE: registry.caCertPath, SOURCE_DATE_EPOCH: '1700000000' };
}, 180_000);

afterAll(async () => {
  await registry?.close();
});

interface JsonError {
  error: { code: string; message: string };
}

async function mirrorModule(
  module: string,
  cwd?: string,
): Promise<{ r: CliResult; out: string; err: JsonError['error'] }> {
  const dir = cwd ?? (await makeTempDir());
  const out = path.join(dir, 'bundle');
  const r = await runCli(['mirror', '--module', module, '--out', out, '--json'], { cwd: dir, env });
  const err = r.code === 0 ? { code: '', message: '' } : (JSON.parse(r.stdout) as JsonError).error;
  return { r, out, err };
}

/** What a refused run leaves in the bundle's modules/: nothing. */
async function modulesLeft(out: string): Promise<string[]> {
  return (await fs.readdir(path.join(out, 'modules'), { recursive: true }).catch(() => [])).filter((f) =>
    f.endsWith('.zip'),
  );
}

describe('mirror refuses hostile module archives, naming the module', { timeout: 180_000 }, () => {
  it.each([
    ['dotdot', 'archive entry "../evil.tf" is refused: it has a ".." component'],
    ['absolute', 'archive entry "/etc/evil.tf" is refused: it is an absolute path'],
    [
      'symlink',
      'archive entry "passwd.tf" is refused: it is a symlink to "/etc/passwd"; links are not carried',
    ],
    ['ziplink', 'archive entry "passwd.tf" is refused: it is a symlink; links are not carried'],
    [
      'bomb',
      'the archive is refused: its entries declare more than 268435456 bytes unpacked (a decompression bomb?)',
    ],
  ])('%s', async (name, why) => {
    const { r, out, err } = await mirrorModule(`${HOST}/evil/${name}/aws@1.0.0`);
    expect(r.code).toBe(1);
    expect(err.code).toBe('ARCHIVE_ENTRY_UNSAFE');
    expect(err.message).toBe(`module ${HOST}/evil/${name}/aws 1.0.0: ${why}`);
    expect(await modulesLeft(out)).toEqual([]);
  });
});

describe('mirror refuses a git module with a symlink out of its tree', { timeout: 180_000 }, () => {
  it('names the module and the link; nothing is written', async () => {
    const { r, out, err } = await mirrorModule(`${HOST}/evil/gitlink/aws@1.0.0`);
    expect(r.code).toBe(1);
    expect(err).toMatchObject({
      code: 'ARCHIVE_ENTRY_UNSAFE',
      message: `module ${HOST}/evil/gitlink/aws 1.0.0: "passwd.tf" is a symlink that points outside the module (or nowhere)`,
    });
    expect(await modulesLeft(out)).toEqual([]);
  });
});

describe('mirror refuses what it cannot carry', { timeout: 180_000 }, () => {
  it('a location with another getter or scheme, naming the module and the location', async () => {
    const s3 = await mirrorModule(`${HOST}/evil/s3/aws@1.0.0`);
    expect(s3.r.code).toBe(2);
    expect(s3.err).toMatchObject({
      code: 'MODULE_SOURCE_UNSUPPORTED',
      message: `module ${HOST}/evil/s3/aws 1.0.0: cannot fetch s3::https://s3.amazonaws.com/bucket/module.zip: the "s3::" getter is not supported`,
    });
    const ssh = await mirrorModule(`${HOST}/evil/ssh/aws`);
    expect(ssh.r.code).toBe(2);
    expect(ssh.err).toMatchObject({
      code: 'MODULE_SOURCE_UNSUPPORTED',
      message: `module ${HOST}/evil/ssh/aws 1.0.0: cannot fetch git::ssh://***@example.com/acme/module.git?ref=v1.0.0: git over ssh is not carried, only https`,
    });
  });

  it('a version no listed version meets, and a module the registry does not know', async () => {
    const none = await mirrorModule(`${HOST}/acme/moving/aws@~> 2.0`);
    expect(none.r.code).toBe(3);
    expect(none.err).toMatchObject({
      code: 'MODULE_NOT_FOUND',
      message: `--module: no version of module ${HOST}/acme/moving/aws matches "~> 2.0"; the registry lists 1.0.0`,
    });
    const unknown = await mirrorModule(`${HOST}/acme/nothing/aws@1.0.0`);
    expect(unknown.r.code).toBe(3);
    expect(unknown.err.code).toBe('MODULE_NOT_FOUND');
    expect(unknown.err.message).toBe(
      `--module: module ${HOST}/acme/nothing/aws is not known to its registry (${registry.url}/v1/modules/acme/nothing/aws/versions: 404)`,
    );
  });

  it('a module call whose source is not a literal string, with FILE:LINE:COL', async () => {
    const cwd = await makeTempDir();
    await fs.mkdir(path.join(cwd, 'stack'));
    await fs.writeFile(
      path.join(cwd, 'stack', 'main.tf'),
      'variable "v" {}\n\nmodule "x" {\n  source  = "acme/moving/aws"\n  version = var.v\n}\n',
    );
    const r = await runCli(['mirror', '--configuration', 'stack', '--out', 'bundle', '--json'], { cwd, env });
    expect(r.code).toBe(2);
    const err = (JSON.parse(r.stdout) as JsonError).error;
    expect(err.code).toBe('HCL_SYNTAX');
    expect(err.message).toBe(
      'stack/main.tf:5:13: Invalid module argument; The "version" argument of module "x" must be a literal string: tofu and terraform read it before any variable is known.',
    );
  });
});

describe('a carried module version is pinned', { timeout: 180_000 }, () => {
  it('a re-run that fetches other bytes for the same version fails loudly and keeps the pinned zip', async () => {
    const cwd = await makeTempDir();
    const first = await mirrorModule(`${HOST}/acme/moving/aws@1.0.0`, cwd);
    expect(first.r.code).toBe(0);
    const zip = path.join(first.out, 'modules', HOST, 'acme', 'moving', 'aws', '1.0.0.zip');
    const pinned = await fs.readFile(zip);
    const commit = registry.commit('acme/moving/aws', '1.0.0');

    // The tag v1.0.0 now points at another commit with other content.
    await registry.replace('acme/moving/aws', [{ version: '1.0.0', files: { 'main.tf': '# moved\n' } }]);
    const moved = registry.commit('acme/moving/aws', '1.0.0');
    expect(moved).not.toBe(commit);
    const second = await mirrorModule(`${HOST}/acme/moving/aws@1.0.0`, cwd);
    expect(second.r.code).toBe(1);
    expect(second.err.code).toBe('MODULE_CHANGED');
    expect(second.err.message).toMatch(
      new RegExp(
        `^module ${HOST}/acme/moving/aws 1\\.0\\.0 changed since this bundle carried it: pinned sha256 ${sha(pinned)} \\(commit ${commit}\\), fetched now sha256 [0-9a-f]{64} \\(commit ${moved}\\) from git::${registry.url.replace(/[.]/g, '\\.')}/git/acme-moving-aws\\.git\\?ref=v1\\.0\\.0$`,
      ),
    );
    expect(await fs.readFile(zip)).toEqual(pinned);
  }, 180_000);
});

function sha(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}
