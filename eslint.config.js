import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

// The layers (docs: /work/shared/STYLE.md "Shape"), enforced per folder:
//   src/core      pure: no I/O, no `process`, nothing from the layers above it
//   src/services  wire core + adapters; no oclif, no flags, no `process`
//   src/adapters  I/O behind the ports; nothing from services, cli or commands
// Only src/commands and src/cli read `process`; they hand env, cwd, platform, arch, pid
// and the temp directory to the services. test/unit/layers.test.ts pins every message.

const MOVE_IO = 'src/core does no I/O: put I/O in src/adapters and a port in src/core/ports.ts';
const PASS_PROCESS =
  'services and core do not read `process`: pass env/cwd/platform/arch/pid in from the command (src/commands)';

// Node built-ins src/core may import, each pure computation on values in memory:
//   node:buffer  Buffer, bytes <-> text
//   node:crypto  createHash only: hashing bytes in memory (randomness and keys are inputs)
//   node:path    string operations on paths (and node:path/posix); path.resolve without an
//                absolute base reads process.cwd(), hence the no-restricted-syntax rule below
//   node:url     domainToASCII / domainToUnicode (IDNA), pure
// Everything else Node has (fs, child_process, net, http(s), os, worker_threads, dns,
// stream, ...) touches the world. Bare names ("fs", "crypto") are refused outright:
// core spells built-ins node:NAME.
const CORE_BUILTINS = new Set(['buffer', 'crypto', 'path', 'path/posix', 'url']);
// Newer Node lists its prefix-only modules (node:test, node:sqlite) with the prefix.
const builtins = [...new Set(builtinModules.map((name) => name.replace(/^node:/, '')))].filter(
  (name) => name !== 'process',
);
const coreBuiltinPaths = [
  ...builtins
    .filter((name) => !CORE_BUILTINS.has(name))
    .map((name) => ({ name: `node:${name}`, message: MOVE_IO })),
  ...builtins.map((name) => ({
    name,
    message: CORE_BUILTINS.has(name) ? `src/core writes built-ins as node:${name}` : MOVE_IO,
  })),
  {
    name: 'node:crypto',
    allowImportNames: ['createHash'],
    message: 'src/core hashes bytes in memory (createHash); randomness and keys come in as inputs',
  },
  {
    name: 'node:url',
    importNames: ['pathToFileURL'],
    message: 'pathToFileURL resolves against process.cwd(): take an absolute path from the caller',
  },
  // Third-party packages that do I/O.
  ...['undici', 'tar', 'yauzl', 'yazl'].map((name) => ({ name, message: MOVE_IO })),
];

const processImports = ['process', 'node:process'].map((name) => ({ name, message: PASS_PROCESS }));

const NO_OCLIF = {
  group: ['@oclif/*', '@oclif/**'],
  message: 'oclif belongs to src/commands and src/cli: services take an options object, never flags',
};
const NO_CLI = {
  group: ['**/cli/**', '**/commands/**'],
  message: 'src/cli and src/commands sit on top: they call down, nothing below calls up to them',
};

// `process`, however it is reached, and path.resolve(p) or path.resolve() alone, which read
// process.cwd() (a relative base, path.resolve('a', 'b'), does too: that the lint cannot see).
// path.posix.resolve and path.win32.resolve alike.
const noProcess = {
  'no-restricted-globals': ['error', { name: 'process', message: PASS_PROCESS }],
  'no-restricted-properties': ['error', { object: 'globalThis', property: 'process', message: PASS_PROCESS }],
  'no-restricted-syntax': [
    'error',
    {
      selector:
        "CallExpression[callee.property.name='resolve'][arguments.length<2]:matches([callee.object.name=/^(path|posix|win32)$/], [callee.object.property.name=/^(posix|win32)$/])",
      message:
        'path.resolve(p) reads process.cwd(): resolve against the cwd the command hands in, path.resolve(cwd, p)',
    },
  ],
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/core/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...coreBuiltinPaths, ...processImports],
          patterns: [
            { group: ['**/adapters/**'], message: MOVE_IO },
            {
              group: ['**/services/**'],
              message: 'src/core is below src/services: move what both need into src/core',
            },
            NO_CLI,
            NO_OCLIF,
          ],
        },
      ],
      ...noProcess,
    },
  },
  {
    files: ['src/services/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...processImports,
            ...['os', 'node:os'].map((name) => ({
              name,
              message:
                'os.tmpdir() and os.homedir() read the environment: take the directory from the command (tempDir)',
            })),
          ],
          patterns: [NO_CLI, NO_OCLIF],
        },
      ],
      ...noProcess,
    },
  },
  {
    files: ['src/adapters/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/services/**'],
              message:
                'src/adapters sit below src/services: an adapter serves a port, it never calls a service',
            },
            NO_CLI,
            NO_OCLIF,
          ],
        },
      ],
    },
  },
);
