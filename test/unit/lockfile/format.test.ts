import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AirgapError } from '../../../src/core/errors.js';
import { quote } from '../../../src/core/lockfile/format.js';
import { formatLockFile, parseLockFile, type LockFile } from '../../../src/core/lockfile/index.js';
import { parseProviderSource } from '../../../src/core/provider/address.js';
import { realdata } from '../../helpers/realdata.js';

const LOCKFILES = realdata('lockfiles');
const realFiles = fs
  .readdirSync(LOCKFILES)
  .filter((f) => f.endsWith('.hcl'))
  .sort();

// Real lock files that do NOT round-trip byte for byte, and why. Every other
// file in lockfiles/*.hcl was written by `tofu init`/`terraform init` and must.
const NOT_TOOL_WRITTEN: Record<string, { why: string; toolPart: (text: string) => string }> = {
  'internetofwater__scheduler__opentofu_database__terraform.lock.hcl': {
    why: 'hand-added "//" SPDX license comment lines before the standard header',
    // What the tool wrote is everything from the header on.
    toolPart: (text) => text.slice(text.indexOf('# This file is maintained')),
  },
};

function read(name: string): string {
  return fs.readFileSync(path.join(LOCKFILES, name), 'utf8');
}

describe('formatLockFile', () => {
  it.each(realFiles)('round-trips %s byte for byte, or is a listed exception', (name) => {
    const text = read(name);
    const out = formatLockFile(parseLockFile(text, name));
    const exception = NOT_TOOL_WRITTEN[name];
    if (exception === undefined) {
      expect(out).toBe(text);
    } else {
      expect(out).not.toBe(text);
      expect(out).toBe(exception.toolPart(text));
    }
  });

  it('has exactly one listed exception among the real files', () => {
    const failing = realFiles.filter((name) => {
      const text = read(name);
      return formatLockFile(parseLockFile(text, name)) !== text;
    });
    expect(failing).toEqual(Object.keys(NOT_TOOL_WRITTEN));
  });

  // OpenTofu's TestSaveLocksToFile (internal/depsfile/locks_file_test.go).
  it("writes what tofu's SaveLocksToBytes writes", () => {
    const addr = (s: string) => parseProviderSource(s, 'registry.opentofu.org');
    const lock: LockFile = {
      tool: 'tofu',
      providers: [
        {
          address: addr('test/foo'),
          version: '1.0.0',
          constraints: '>= 1.0.0',
          hashes: [
            'test:cccccccccccccccccccccccccccccccccccccccccccccccc',
            'test:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',
            'test:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
          ],
        },
        { address: addr('test/bar'), version: '1.2.0', constraints: '~> 1', hashes: [] },
        { address: addr('test/baz'), version: '1.2.0', hashes: [] },
        { address: addr('test/boo'), version: '1.2.0', constraints: '1.2', hashes: [] },
      ],
    };
    expect(formatLockFile(lock)).toBe(`# This file is maintained automatically by "tofu init".
# Manual edits may be lost in future updates.

provider "registry.opentofu.org/test/bar" {
  version     = "1.2.0"
  constraints = "~> 1.0"
}

provider "registry.opentofu.org/test/baz" {
  version = "1.2.0"
}

provider "registry.opentofu.org/test/boo" {
  version     = "1.2.0"
  constraints = "1.2.0"
}

provider "registry.opentofu.org/test/foo" {
  version     = "1.0.0"
  constraints = ">= 1.0.0"
  hashes = [
    "test:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "test:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
    "test:cccccccccccccccccccccccccccccccccccccccccccccccc",
  ]
}
`);
  });

  // Terraform's TestProvidersLock "append" case (internal/command/providers_lock_test.go):
  // the fixture lock plus the hash `providers lock` computes gives this exact file.
  it("writes what terraform's providers lock writes when appending a hash", () => {
    const fixture = fs.readFileSync(
      realdata(
        'vectors',
        'terraform',
        'internal',
        'command',
        'testdata',
        'providers-lock',
        'append',
        '.terraform.lock.hcl',
      ),
      'utf8',
    );
    const lock = parseLockFile(fixture, '.terraform.lock.hcl');
    lock.providers[0]!.hashes.push('h1:7MjN4eFisdTv4tlhXH5hL4QQd39Jy4baPhFxwAd/EFE=');
    expect(formatLockFile(lock)).toBe(`# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.terraform.io/hashicorp/test" {
  version = "1.0.0"
  hashes = [
    "h1:7MjN4eFisdTv4tlhXH5hL4QQd39Jy4baPhFxwAd/EFE=",
    "h1:invalid",
  ]
}
`);
  });

  it('sorts providers by address and de-duplicates and sorts hashes bytewise', () => {
    const lock: LockFile = {
      tool: 'terraform',
      providers: [
        {
          address: parseProviderSource('b.example/ns/z', 'x'),
          version: '1.0.0',
          hashes: ['zh:01', 'h1:B=', 'h1:A=', 'zh:01'],
        },
        { address: parseProviderSource('a.example/ns/z', 'x'), version: '2.0.0', hashes: [] },
        { address: parseProviderSource('b.example/ns/a', 'x'), version: '3.0.0', hashes: ['Zz:1', 'h1:a'] },
      ],
    };
    expect(formatLockFile(lock)).toBe(`# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "a.example/ns/z" {
  version = "2.0.0"
}

provider "b.example/ns/a" {
  version = "3.0.0"
  hashes = [
    "Zz:1",
    "h1:a",
  ]
}

provider "b.example/ns/z" {
  version = "1.0.0"
  hashes = [
    "h1:A=",
    "h1:B=",
    "zh:01",
  ]
}
`);
  });

  it('writes just the header for an empty lock', () => {
    expect(formatLockFile({ tool: 'tofu', providers: [] })).toBe(
      '# This file is maintained automatically by "tofu init".\n# Manual edits may be lost in future updates.\n',
    );
  });

  it('writes IDN hosts in Unicode, as tofu displays them, and reads them back', () => {
    const lock: LockFile = {
      tool: 'tofu',
      providers: [
        { address: parseProviderSource('Café.Example/ns/t', 'x'), version: '1.0.0', hashes: ['h1:x'] },
      ],
    };
    expect(lock.providers[0]!.address.hostname).toBe('xn--caf-dma.example');
    const text = formatLockFile(lock);
    expect(text).toContain('provider "café.example/ns/t" {\n');
    expect(parseLockFile(text, 'idn.hcl').providers[0]!.address).toEqual(lock.providers[0]!.address);
  });

  it('writes LF even for a CRLF input', () => {
    const name = 'caius__cv__terraform__terraform.lock.hcl';
    const text = read(name);
    expect(formatLockFile(parseLockFile(text.replaceAll('\n', '\r\n'), name))).toBe(text);
  });

  it('refuses duplicate providers and invalid values', () => {
    const addr = parseProviderSource('hashicorp/null', 'registry.opentofu.org');
    const dup = () =>
      formatLockFile({
        tool: 'tofu',
        providers: [
          { address: addr, version: '1.0.0', hashes: [] },
          { address: addr, version: '2.0.0', hashes: [] },
        ],
      });
    expect(dup).toThrow(AirgapError);
    expect(dup).toThrow(
      'cannot write lock file: the lock lists provider registry.opentofu.org/hashicorp/null twice',
    );
    expect(() =>
      formatLockFile({ tool: 'tofu', providers: [{ address: addr, version: 'v1', hashes: [] }] }),
    ).toThrow(
      'cannot write lock file: invalid version "v1" for registry.opentofu.org/hashicorp/null: a "v" prefix should not be used',
    );
    expect(() =>
      formatLockFile({ tool: 'tofu', providers: [{ address: addr, version: '1.0.0', hashes: ['nohash'] }] }),
    ).toThrow('cannot write lock file: invalid hash "nohash": no "scheme:" prefix');
  });

  it('canonicalizes versions and constraints it is given', () => {
    const addr = parseProviderSource('hashicorp/null', 'registry.opentofu.org');
    const text = formatLockFile({
      tool: 'tofu',
      providers: [{ address: addr, version: '1.2', constraints: '< 2, >= 1.0', hashes: [] }],
    });
    expect(text.split('\n').slice(3)).toEqual([
      'provider "registry.opentofu.org/hashicorp/null" {',
      '  version     = "1.2.0"',
      '  constraints = ">= 1.0.0, < 2.0.0"',
      '}',
      '',
    ]);
  });

  it('writes a hand-written "~>1.8" read with normaliseConstraints in the form tofu requires', () => {
    const text =
      'provider "registry.opentofu.org/hashicorp/null" {\n  version     = "1.9.0"\n  constraints = "~>1.8"\n}\n';
    const lock = parseLockFile(text, 'lock.hcl', { normaliseConstraints: true });
    expect(formatLockFile(lock).split('\n').slice(3)).toEqual([
      'provider "registry.opentofu.org/hashicorp/null" {',
      '  version     = "1.9.0"',
      '  constraints = "~> 1.8"',
      '}',
      '',
    ]);
  });
});

describe('quote (hclwrite string escaping)', () => {
  it('escapes what HCL strings cannot hold literally', () => {
    expect(quote('plain')).toBe('"plain"');
    expect(quote('a"b\\c\nd\re\tf')).toBe('"a\\"b\\\\c\\nd\\re\\tf"');
    expect(quote('${x} %{y} $z %')).toBe('"$${x} %%{y} $z %"');
    expect(quote('\u0000\u200b\u{E0001}é 😀')).toBe('"\\u0000\\u200b\\U000e0001é 😀"');
  });
});
