// inspectToolPackage reads the tool archive itself (gzip inflated on this thread, tar
// headers parsed by the project's own reader): long names in each form real `tar`
// writes, and every way the archive can be unreadable, with the exact message.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';

import { describe, expect, it } from 'vitest';

import { isAirgapError } from '../../../src/core/errors.js';
import { inspectToolPackage } from '../../../src/adapters/npm/pack-tool.js';
import { fakeToolArchive } from '../../helpers/transfer.js';
import { makeTempDir } from '../../helpers/tmp.js';
import { describeWithTools } from '../../helpers/tools.js';

const run = promisify(execFile);

async function sha256(file: string): Promise<string> {
  return createHash('sha256')
    .update(await fs.readFile(file))
    .digest('hex');
}

async function failure(file: string): Promise<{ code: string; message: string; details: unknown }> {
  try {
    await inspectToolPackage(file);
  } catch (e) {
    if (!isAirgapError(e)) throw e;
    const { path: p, expected, actual } = e.details as Record<string, unknown>;
    return { code: e.code, message: e.message, details: { path: p, expected, actual } };
  }
  throw new Error(`${file} was accepted`);
}

describe('inspectToolPackage', () => {
  it('reads a gzipped and a plain archive alike: size, sha256, bundled dependencies', async () => {
    const dir = await makeTempDir('airgap-tool-package-');
    const plain = path.join(dir, 'plain.tgz');
    const gz = path.join(dir, 'gz.tgz');
    await fs.writeFile(plain, fakeToolArchive());
    await fs.writeFile(gz, gzipSync(fakeToolArchive()));
    for (const file of [plain, gz]) {
      expect(await inspectToolPackage(file)).toEqual({
        file,
        name: 'airgap',
        version: '0.1.0',
        size: (await fs.stat(file)).size,
        sha256: await sha256(file),
        bundled: ['openpgp', 'tar'],
      });
    }
  });

  it('refuses a cut, corrupt or padded-with-garbage archive, naming the file and what was found', async () => {
    const dir = await makeTempDir('airgap-tool-package-');
    const tar = fakeToolArchive();
    const gz = gzipSync(tar);
    const cases: [string, Buffer, string][] = [
      ['cut.tgz', gz.subarray(0, gz.length - 20), 'gzip: unexpected end of file'],
      ['trailing.tgz', Buffer.concat([gz, Buffer.from('junk')]), 'gzip: incorrect header check'],
      [
        'bad-deflate.tgz',
        Buffer.concat([gz.subarray(0, 10), Buffer.alloc(64, 0xff)]),
        'gzip: invalid block type',
      ],
      [
        'cut-entry.tar',
        tar.subarray(0, 1024 + 512 + 10),
        'the tar ends inside the data of "package/bin/run.js"',
      ],
      ['cut-header.tar', tar.subarray(0, 1024 + 300), 'the tar ends inside a header, 300 bytes into it'],
      [
        'bad-checksum.tar',
        Buffer.concat([tar.subarray(0, 1024), Buffer.from('X'), tar.subarray(1025)]),
        'tar: the header at byte 1024 has checksum 5478, but its bytes sum to 5454: a corrupt or forged header',
      ],
      [
        'not-tar.tgz',
        Buffer.from('{"name":"airgap"}\n'),
        'neither gzip nor tar: it starts with "{\\"name\\":\\"airgap\\""',
      ],
    ];
    for (const [name, bytes, found] of cases) {
      const file = path.join(dir, name);
      await fs.writeFile(file, bytes);
      expect(await failure(file), name).toEqual({
        code: 'TOOL_PACKAGE_INVALID',
        message: `${file}: is not a readable npm package archive (${found})`,
        details: { path: file, expected: 'a gzipped tar from npm pack', actual: found },
      });
    }
  });
});

describeWithTools(['tar'], 'inspectToolPackage on archives written by GNU tar', () => {
  // Too long for a ustar name with its prefix: pax writes a path record, gnu an 'L' entry.
  const longDep = `@scope/${'a'.repeat(160)}`;
  // Fits a ustar header only split into prefix and name.
  const prefixDep = 'b'.repeat(90);

  for (const format of ['pax', 'gnu', 'ustar'] as const) {
    it(`finds a dependency with a long name in --format=${format}`, async () => {
      const dir = await makeTempDir('airgap-tool-package-');
      const dep = format === 'ustar' ? prefixDep : longDep;
      const pkg = {
        name: 'airgap',
        version: '0.1.0',
        bin: { airgap: 'bin/run.js' },
        dependencies: { [dep]: '1.0.0' },
      };
      const root = path.join(dir, 'package');
      await fs.mkdir(path.join(root, 'bin'), { recursive: true });
      await fs.mkdir(path.join(root, 'dist', 'commands'), { recursive: true });
      await fs.mkdir(path.join(root, 'node_modules', dep), { recursive: true });
      await fs.writeFile(path.join(root, 'package.json'), `${JSON.stringify(pkg)}\n`);
      await fs.writeFile(path.join(root, 'bin', 'run.js'), '#!/usr/bin/env node\n');
      await fs.writeFile(path.join(root, 'dist', 'commands', 'mirror.js'), 'export default class {}\n');
      await fs.writeFile(path.join(root, 'node_modules', dep, 'package.json'), '{}\n');
      const file = path.join(dir, 'airgap-0.1.0.tgz');
      await run('tar', [`--format=${format}`, '-czf', file, '-C', dir, 'package']);
      expect(await inspectToolPackage(file)).toEqual({
        file,
        name: 'airgap',
        version: '0.1.0',
        size: (await fs.stat(file)).size,
        sha256: await sha256(file),
        bundled: [dep],
      });
    });
  }
});
