// The layer rules of eslint.config.js, run through ESLint's own API on snippets placed
// (by file path) in each folder: every rule says what it refuses and where the thing
// belongs instead, and what each layer may use passes.

import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/realdata.js';

const eslint = new ESLint({ cwd: REPO_ROOT });

type Finding = [line: number, rule: string | null, message: string];

async function lint(file: string, lines: string[]): Promise<Finding[]> {
  const [result] = await eslint.lintText(`${lines.join('\n')}\n`, { filePath: path.join(REPO_ROOT, file) });
  return result!.messages.map((m) => [m.line, m.ruleId, m.message]);
}

const MOVE_IO = 'src/core does no I/O: put I/O in src/adapters and a port in src/core/ports.ts';
const PASS_PROCESS =
  'services and core do not read `process`: pass env/cwd/platform/arch/pid in from the command (src/commands)';
const NO_OCLIF = 'oclif belongs to src/commands and src/cli: services take an options object, never flags';
const NO_CLI = 'src/cli and src/commands sit on top: they call down, nothing below calls up to them';
const CORE_NO_SERVICES = 'src/core is below src/services: move what both need into src/core';
const ADAPTER_NO_SERVICES =
  'src/adapters sit below src/services: an adapter serves a port, it never calls a service';
const NO_OS =
  'os.tmpdir() and os.homedir() read the environment: take the directory from the command (tempDir)';
const RESOLVE =
  'path.resolve(p) reads process.cwd(): resolve against the cwd the command hands in, path.resolve(cwd, p)';

function banned(source: string, message: string): string {
  return `'${source}' import is restricted from being used. ${message}`;
}
function bannedByPattern(source: string, message: string): string {
  return `'${source}' import is restricted from being used by a pattern. ${message}`;
}
const GLOBAL_PROCESS = `Unexpected use of 'process'. ${PASS_PROCESS}`;

describe('src/core', () => {
  it('refuses adapters, services, cli, commands, oclif, I/O modules, randomness and process', async () => {
    const io = [
      'node:fs',
      'node:fs/promises',
      'node:child_process',
      'node:net',
      'node:http',
      'node:https',
      'node:os',
      'node:worker_threads',
      'node:dns',
      'node:stream',
      'undici',
      'tar',
    ];
    const findings = await lint('src/core/probe/probe.ts', [
      "import path from 'node:path';",
      "import { sha256File } from '../../adapters/fs/sha256-file.js';",
      "import { acquireImportLock } from '../../services/import/lock.js';",
      "import { createReporter } from '../../cli/reporter.js';",
      "import type Import from '../../commands/import.js';",
      "import { Flags } from '@oclif/core';",
      "import { handle } from '@oclif/core/handle';",
      ...io.map((m, i) => `import * as io${i} from '${m}';`),
      "import fs from 'fs';",
      "import crypto from 'crypto';",
      "import { randomBytes } from 'node:crypto';",
      "import { pathToFileURL } from 'node:url';",
      "import proc from 'node:process';",
      'export const env = process.env;',
      'export const cwd = globalThis.process.cwd();',
      "export const abs = path.resolve('airgap.yaml');",
      `export const all = [sha256File, acquireImportLock, createReporter, Flags, handle, ${io.map((_, i) => `io${i}`).join(', ')}, fs, crypto, randomBytes, pathToFileURL, proc];`,
      'export type I = Import;',
    ]);
    const at = 8 + io.length; // the line after the I/O modules
    expect(findings).toEqual([
      [2, 'no-restricted-imports', bannedByPattern('../../adapters/fs/sha256-file.js', MOVE_IO)],
      [3, 'no-restricted-imports', bannedByPattern('../../services/import/lock.js', CORE_NO_SERVICES)],
      [4, 'no-restricted-imports', bannedByPattern('../../cli/reporter.js', NO_CLI)],
      [5, 'no-restricted-imports', bannedByPattern('../../commands/import.js', NO_CLI)],
      [6, 'no-restricted-imports', bannedByPattern('@oclif/core', NO_OCLIF)],
      [7, 'no-restricted-imports', bannedByPattern('@oclif/core/handle', NO_OCLIF)],
      ...io.map((m, i): Finding => [8 + i, 'no-restricted-imports', banned(m, MOVE_IO)]),
      [at, 'no-restricted-imports', banned('fs', MOVE_IO)],
      [at + 1, 'no-restricted-imports', banned('crypto', 'src/core writes built-ins as node:crypto')],
      [
        at + 2,
        'no-restricted-imports',
        "'randomBytes' import from 'node:crypto' is restricted because only 'createHash' import(s) is/are allowed. " +
          'src/core hashes bytes in memory (createHash); randomness and keys come in as inputs',
      ],
      [
        at + 3,
        'no-restricted-imports',
        "'pathToFileURL' import from 'node:url' is restricted. " +
          'pathToFileURL resolves against process.cwd(): take an absolute path from the caller',
      ],
      [at + 4, 'no-restricted-imports', banned('node:process', PASS_PROCESS)],
      [at + 5, 'no-restricted-globals', GLOBAL_PROCESS],
      [
        at + 6,
        'no-restricted-properties',
        `'globalThis.process' is restricted from being used. ${PASS_PROCESS}`,
      ],
      [at + 7, 'no-restricted-syntax', RESOLVE],
    ]);
  });

  it('accepts pure computation: node:buffer, createHash, node:path with a base, node:url IDNA, other core modules', async () => {
    expect(
      await lint('src/core/probe/probe.ts', [
        "import { Buffer } from 'node:buffer';",
        "import { createHash } from 'node:crypto';",
        "import path from 'node:path';",
        "import posix from 'node:path/posix';",
        "import { domainToASCII } from 'node:url';",
        "import * as openpgp from 'openpgp';",
        "import { AirgapError } from '../errors.js';",
        "import type { Reporter } from '../ports.js';",
        "export const digest = createHash('sha256').update(Buffer.from('x')).digest('hex');",
        "export const names = [path.join('a', 'b'), path.resolve('/base', 'c'), posix.dirname('a/b'), domainToASCII('例え.jp')];",
        'export const all = [openpgp, AirgapError];',
        'export type R = Reporter;',
      ]),
    ).toEqual([]);
  });
});

describe('src/services', () => {
  it('refuses oclif, cli, commands, process and os, and path.resolve without a base', async () => {
    expect(
      await lint('src/services/probe/probe.ts', [
        "import path from 'node:path';",
        "import { Flags } from '@oclif/core';",
        "import { createReporter } from '../../cli/reporter.js';",
        "import Import from '../../commands/import.js';",
        "import proc from 'node:process';",
        "import proc2 from 'process';",
        "import os from 'node:os';",
        'export const host = [process.env, process.cwd(), process.platform];',
        "export const dest = path.resolve('dest');",
        'export const all = [Flags, createReporter, Import, proc, proc2, os];',
      ]),
    ).toEqual([
      [2, 'no-restricted-imports', bannedByPattern('@oclif/core', NO_OCLIF)],
      [3, 'no-restricted-imports', bannedByPattern('../../cli/reporter.js', NO_CLI)],
      [4, 'no-restricted-imports', bannedByPattern('../../commands/import.js', NO_CLI)],
      [5, 'no-restricted-imports', banned('node:process', PASS_PROCESS)],
      [6, 'no-restricted-imports', banned('process', PASS_PROCESS)],
      [7, 'no-restricted-imports', banned('node:os', NO_OS)],
      [8, 'no-restricted-globals', GLOBAL_PROCESS],
      [8, 'no-restricted-globals', GLOBAL_PROCESS],
      [8, 'no-restricted-globals', GLOBAL_PROCESS],
      [9, 'no-restricted-syntax', RESOLVE],
    ]);
  });

  it('accepts core, adapters, other services, I/O modules and values handed in', async () => {
    expect(
      await lint('src/services/probe/probe.ts', [
        "import fs from 'node:fs/promises';",
        "import path from 'node:path';",
        "import { randomBytes } from 'node:crypto';",
        "import { writeFileAtomic } from '../../adapters/fs/atomic.js';",
        "import { AirgapError } from '../../core/errors.js';",
        "import { exportBundle } from '../export/export-service.js';",
        'export function where(options: { cwd: string; dest: string; env: Record<string, string | undefined> }) {',
        '  return [path.resolve(options.cwd, options.dest), options.env.HOME];',
        '}',
        'export const all = [fs, randomBytes, writeFileAtomic, AirgapError, exportBundle];',
      ]),
    ).toEqual([]);
  });
});

describe('src/adapters', () => {
  it('refuses services, cli, commands and oclif', async () => {
    expect(
      await lint('src/adapters/probe/probe.ts', [
        "import { runImport } from '../../services/import/import-service.js';",
        "import { createReporter } from '../../cli/reporter.js';",
        "import Import from '../../commands/import.js';",
        "import { Flags } from '@oclif/core';",
        'export const all = [runImport, createReporter, Import, Flags];',
      ]),
    ).toEqual([
      [
        1,
        'no-restricted-imports',
        bannedByPattern('../../services/import/import-service.js', ADAPTER_NO_SERVICES),
      ],
      [2, 'no-restricted-imports', bannedByPattern('../../cli/reporter.js', NO_CLI)],
      [3, 'no-restricted-imports', bannedByPattern('../../commands/import.js', NO_CLI)],
      [4, 'no-restricted-imports', bannedByPattern('@oclif/core', NO_OCLIF)],
    ]);
  });

  it('accepts I/O, process and the core', async () => {
    expect(
      await lint('src/adapters/probe/probe.ts', [
        "import { spawn } from 'node:child_process';",
        "import os from 'node:os';",
        "import { Agent } from 'undici';",
        "import type { Reporter } from '../../core/ports.js';",
        'export const all = [spawn, os.tmpdir(), Agent, process.env, process.kill(process.pid, 0)];',
        'export type R = Reporter;',
      ]),
    ).toEqual([]);
  });
});

describe('src/commands', () => {
  it('reads process and hands it to the service', async () => {
    expect(
      await lint('src/commands/probe.ts', [
        "import os from 'node:os';",
        "import { Flags } from '@oclif/core';",
        "import { runImport } from '../services/import/import-service.js';",
        'export const host = { cwd: process.cwd(), env: process.env, pid: process.pid, tempDir: os.tmpdir() };',
        'export const all = [Flags, runImport];',
      ]),
    ).toEqual([]);
  });
});
