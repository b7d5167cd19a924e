import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AirgapErrors } from '../../../src/core/errors.js';
import { parseLockFile, type LockFile, type LockedProvider } from '../../../src/core/lockfile/index.js';
import { realdata } from '../../helpers/realdata.js';

const LOCKFILES = realdata('lockfiles');
const UPSTREAM = realdata('lockfiles', 'upstream-testdata');
const VECTOR_DIRS = ['terraform', 'opentofu'].map((p) =>
  realdata('vectors', p, 'internal', 'depsfile', 'testdata', 'locks-files'),
);

function hclFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.hcl'))
    .sort()
    .map((f) => path.join(dir, f));
}

const realFiles = hclFiles(LOCKFILES);
const fixtureFiles = [
  ...fs
    .readdirSync(UPSTREAM)
    .sort()
    .map((f) => path.join(UPSTREAM, f)),
  ...VECTOR_DIRS.flatMap(hclFiles),
];
const hasErrorComments = (file: string): boolean => fs.readFileSync(file, 'utf8').includes('# ERROR: ');

function caught(fn: () => unknown): AirgapErrors {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AirgapErrors);
    return e as AirgapErrors;
  }
  throw new Error('expected an error');
}

function messages(text: string, filename = 'lock.hcl'): string[] {
  return caught(() => parseLockFile(text, filename)).errors.map((e) => `${e.code} ${e.message}`);
}

// The model without source ranges, for exact comparisons.
function withoutRanges(lock: LockFile): LockFile {
  return {
    tool: lock.tool,
    providers: lock.providers.map((p) => {
      const { range: _range, ...rest } = p;
      return rest;
    }),
  };
}

const HEADER =
  '# This file is maintained automatically by "tofu init".\n# Manual edits may be lost in future updates.\n';

function provider(
  hostname: string,
  namespace: string,
  type: string,
  rest: Omit<LockedProvider, 'address'>,
): LockedProvider {
  return { address: { hostname, namespace, type }, ...rest };
}

describe('parseLockFile on real files', () => {
  it('finds the data', () => {
    expect(realFiles).toHaveLength(41);
    expect(fixtureFiles).toHaveLength(35);
  });

  it.each(realFiles.map((f) => [path.basename(f), f]))('parses %s', (_name, file) => {
    const lock = parseLockFile(fs.readFileSync(file, 'utf8'), path.basename(file));
    expect(lock.providers.length).toBeGreaterThan(0);
    for (const p of lock.providers) expect(p.hashes.length).toBeGreaterThan(0);
  });

  it.each(fixtureFiles.filter((f) => !hasErrorComments(f)).map((f) => [path.relative(realdata(), f), f]))(
    'parses upstream fixture %s',
    (_name, file) => {
      expect(() => parseLockFile(fs.readFileSync(file, 'utf8'), path.basename(file))).not.toThrow();
    },
  );

  // Terraform's own TestLoadLocksFromFile convention: each "# ERROR: Summary"
  // comment names the diagnostic expected on its line.
  it.each(fixtureFiles.filter(hasErrorComments).map((f) => [path.relative(realdata(), f), f]))(
    'reports exactly the # ERROR diagnostics of %s',
    (_name, file) => {
      const text = fs.readFileSync(file, 'utf8');
      const want = new Set<string>();
      text.split('\n').forEach((line, i) => {
        const at = line.indexOf('# ERROR: ');
        if (at !== -1) want.add(`${i + 1} ${line.slice(at + '# ERROR: '.length)}`);
      });
      expect(want.size).toBeGreaterThan(0);

      const err = caught(() => parseLockFile(text, path.basename(file)));
      const got = new Set<string>();
      for (const e of err.errors) {
        const m = /^(.+):(\d+):(\d+): (.+?); /.exec(e.message);
        expect(m, e.message).not.toBeNull();
        expect(e.details.path).toBe(`${m![1]}:${m![2]}:${m![3]}`);
        expect(e.code).toBe('LOCKFILE_INVALID');
        got.add(`${m![2]} ${m![4]}`);
      }
      expect([...got].sort()).toEqual([...want].sort());
    },
  );

  it('reads the exact values of a third-party host lock', () => {
    const file = path.join(LOCKFILES, '0michalsokolowski0__spacelift-terragrunt-test__terraform.lock.hcl');
    const lock = parseLockFile(fs.readFileSync(file, 'utf8'), 'spacelift.hcl');
    expect(withoutRanges(lock)).toEqual({
      tool: 'terraform',
      providers: [
        provider('spacelift.io', 'spacelift-io', 'spacelift', {
          version: '1.13.0',
          constraints: '1.13.0',
          hashes: [
            'h1:sv0uH8Ecw+VC6aGUWnfAqKFym5loMMcS51WV4/L7Ia8=',
            'zh:08b148dc2efa055c2c551605a96dbed5dda63fcdb9b93b896f98a2402dabd4bc',
            'zh:3abd95779f56b57e1a2b5bd304bfb821556858077d6804cb37f281623a49e016',
            'zh:5a74e5bc06baf2ac17e8e2b0389bc529a56dfe81799c53b56c62dcd103e48304',
            'zh:8f20424e13ca52f05bf6a8be13dc70a5a1b3658ea300a03d7e695748fea07bee',
            'zh:a94b8c39d6c9d3d457e85dd734026099ed40851bcdd9d52f87c654af72d3e94b',
            'zh:ce223c9fd4494f9269cba9d1430e816299f1d6422e6029b76f8849d625668ebd',
          ],
        }),
      ],
    });
    expect(lock.providers[0]!.range).toEqual({
      filename: 'spacelift.hcl',
      start: { line: 4, column: 1, offset: 108 },
      end: { line: 16, column: 2, offset: 730 },
    });
  });

  it('keeps prerelease versions and compound constraints', () => {
    const file = path.join(LOCKFILES, 'max-pfeiffer__simple-dynamic-dns-aws__opentofu__terraform.lock.hcl');
    const lock = parseLockFile(fs.readFileSync(file, 'utf8'), 'x.hcl');
    expect(lock.tool).toBe('tofu');
    const aws = lock.providers.find((p) => p.address.type === 'aws')!;
    expect(aws.address).toEqual({ hostname: 'registry.opentofu.org', namespace: 'hashicorp', type: 'aws' });
    expect(aws.version).toBe('6.0.0-beta3');
    expect(aws.constraints).toBe('>= 4.22.0, >= 5.79.0, 6.0.0-beta3');
  });

  it('keeps providers of both registries in one file, in file order', () => {
    const file = path.join(LOCKFILES, 'Taiki130__ecsexec__terraform__terraform.lock.hcl');
    const lock = parseLockFile(fs.readFileSync(file, 'utf8'), 'x.hcl');
    expect(lock.tool).toBe('terraform');
    expect(
      lock.providers.map((p) => `${p.address.hostname}/${p.address.namespace}/${p.address.type}`),
    ).toEqual([
      'registry.opentofu.org/carlpett/sops',
      'registry.opentofu.org/integrations/github',
      'registry.terraform.io/carlpett/sops',
      'registry.terraform.io/integrations/github',
    ]);
  });

  it('reads the inline, comma-less hash list of an OpenTofu fixture', () => {
    const file = path.join(
      UPSTREAM,
      'opentofu__opentofu__command_e2etest_testdata_tofu-providers-mirror-with-bad-lock-file_.terraform.lock.hcl',
    );
    const lock = parseLockFile(fs.readFileSync(file, 'utf8'), 'bad.hcl');
    expect(lock.providers).toHaveLength(1);
    expect(lock.providers[0]!.hashes).toHaveLength(1);
    expect(lock.providers[0]!.hashes[0]).toMatch(/^zh:/);
  });

  it('reports the details Terraform gives for the invalid-versions fixture', () => {
    const text = fs.readFileSync(path.join(VECTOR_DIRS[0]!, 'invalid-versions.hcl'), 'utf8');
    expect(messages(text, 'invalid-versions.hcl')).toEqual([
      'LOCKFILE_INVALID invalid-versions.hcl:2:13: Invalid provider version number; The selected version number for provider terraform.io/test/foo is invalid: empty specification.',
      'LOCKFILE_INVALID invalid-versions.hcl:2:13: Invalid provider version number; The selected version number for provider terraform.io/test/foo must be written in normalized form: "0.0.0".',
      'LOCKFILE_INVALID invalid-versions.hcl:7:13: Invalid provider version number; The selected version number for provider terraform.io/test/bar is invalid: a "v" prefix should not be used.',
      'LOCKFILE_INVALID invalid-versions.hcl:7:13: Invalid provider version number; The selected version number for provider terraform.io/test/bar must be written in normalized form: "0.0.0".',
      'LOCKFILE_INVALID invalid-versions.hcl:12:13: Invalid provider version number; The selected version number for provider terraform.io/test/baz must be written in normalized form: "1.0.0".',
      'LOCKFILE_INVALID invalid-versions.hcl:17:13: Invalid provider version number; The selected version number for provider terraform.io/test/boop must be written in normalized form: "1.0.0".',
      'LOCKFILE_INVALID invalid-versions.hcl:22:13: Invalid provider version number; The selected version number for provider terraform.io/test/blep must be written in normalized form: "1.2.0".',
      'LOCKFILE_INVALID invalid-versions.hcl:25:37: Missing required argument; The argument "version" is required, but no definition was found.',
      'LOCKFILE_INVALID invalid-versions.hcl:29:13: Missing required argument; A provider lock block must contain a "version" argument.',
    ]);
  });

  it('reports the details Terraform gives for invalid addresses', () => {
    const text = fs.readFileSync(path.join(VECTOR_DIRS[1]!, 'invalid-provider-addrs.hcl'), 'utf8');
    const got = messages(text, 'a.hcl');
    expect(got).toContain(
      'LOCKFILE_INVALID a.hcl:5:10: Non-normalized provider source address; The provider source address for this provider lock must be written as "registry.opentofu.org/hashicorp/aws", the fully-qualified and normalized form.',
    );
    expect(got).toContain(
      'LOCKFILE_INVALID a.hcl:33:1: Duplicate provider lock; This lockfile already declared a lock for provider this/one/okay at a.hcl:29,1-25.',
    );
    expect(got).toContain(
      'LOCKFILE_INVALID a.hcl:38:10: Invalid provider source address; Provider source address registry.opentofu.org/-/null is a special provider that is not eligible for dependency locking.',
    );
    expect(got).toContain(
      "LOCKFILE_INVALID a.hcl:43:10: Invalid provider source address; Cannot lock a version for built-in provider terraform.io/builtin/foo. Built-in providers are bundled inside OpenTofu itself, so you can't select a version for them independently of the OpenTofu release you are currently running.",
    );
  });
});

describe('parseLockFile syntax features', () => {
  const nullLock = (hashes: string[], constraints?: string): LockFile => ({
    tool: 'tofu',
    providers: [
      provider('registry.opentofu.org', 'hashicorp', 'null', {
        version: '3.2.3',
        ...(constraints === undefined ? {} : { constraints }),
        hashes,
      }),
    ],
  });

  it('ignores // and /* */ comments anywhere whitespace may be', () => {
    const text = `${HEADER}
// a slash comment
provider "registry.opentofu.org/hashicorp/null" { /* block comment */
  version     = "3.2.3" // trailing
  /* before */ constraints = "~> 3.0"
  hashes = [ # after the bracket
    "h1:aaa=", /* between */
    /* before */ "zh:bbb", // after
  ] /* after the list */
} // after the block
`;
    expect(withoutRanges(parseLockFile(text, 'c.hcl'))).toEqual(nullLock(['h1:aaa=', 'zh:bbb'], '~> 3.0'));
  });

  it('reads one-line lists with and without a trailing comma', () => {
    const block = (list: string): string =>
      `${HEADER}\nprovider "registry.opentofu.org/hashicorp/null" {\n  version = "3.2.3"\n  hashes = ${list}\n}\n`;
    expect(withoutRanges(parseLockFile(block('["h1:aaa=", "zh:bbb"]'), 'l.hcl'))).toEqual(
      nullLock(['h1:aaa=', 'zh:bbb']),
    );
    expect(withoutRanges(parseLockFile(block('["h1:aaa=", "zh:bbb",]'), 'l.hcl'))).toEqual(
      nullLock(['h1:aaa=', 'zh:bbb']),
    );
    expect(withoutRanges(parseLockFile(block('[\n    "h1:aaa=",\n    "zh:bbb"\n  ]'), 'l.hcl'))).toEqual(
      nullLock(['h1:aaa=', 'zh:bbb']),
    );
  });

  it('decodes escapes in labels and strings', () => {
    const text = `${HEADER}\nprovider "registry.opentofu.org/hashicorp/\\u006eull" {\n  version = "3.2.\\u0033"\n  hashes = ["h1:\\U00000041BC=", "zh:a$\${b}%%{c}\\\\d"]\n}\n`;
    expect(withoutRanges(parseLockFile(text, 'e.hcl'))).toEqual(nullLock(['h1:ABC=', 'zh:a${b}%{c}\\d']));
  });

  it('reads CRLF files to the same model', () => {
    const lf = fs.readFileSync(path.join(LOCKFILES, 'caius__cv__terraform__terraform.lock.hcl'), 'utf8');
    const crlf = lf.replaceAll('\n', '\r\n');
    expect(crlf).not.toBe(lf);
    const lock = parseLockFile(crlf, 'crlf.hcl');
    expect(withoutRanges(lock)).toEqual({
      tool: 'terraform',
      providers: [
        provider('registry.terraform.io', 'vercel', 'vercel', {
          version: '0.2.4',
          constraints: '~> 0.1',
          hashes: ['h1:yEIwsVJBPGHYItP3nd+NElYCnWKFe8KDEcLdWZHMCbE='],
        }),
      ],
    });
    expect(lock.providers[0]!.range!.start.line).toBe(4);
    expect(lock.providers[0]!.range!.end.line).toBe(10);
  });

  it('reads a file that starts with a UTF-8 BOM', () => {
    const text = `\uFEFF${HEADER}\nprovider "registry.opentofu.org/hashicorp/null" {\n  version = "3.2.3"\n  hashes = ["zh:bbb"]\n}\n`;
    const lock = parseLockFile(text, 'bom.hcl');
    expect(withoutRanges(lock)).toEqual(nullLock(['zh:bbb']));
    expect(lock.providers[0]!.range!.start).toEqual({ line: 4, column: 1, offset: 104 });
  });

  it('defaults to tofu without a header and keeps a terraform header', () => {
    const body = 'provider "registry.terraform.io/hashicorp/null" {\n  version = "3.2.3"\n}\n';
    expect(parseLockFile(body, 'a').tool).toBe('tofu');
    expect(parseLockFile(`${HEADER.replace('tofu init', 'terraform init')}\n${body}`, 'a').tool).toBe(
      'terraform',
    );
  });

  it('ignores module blocks, which tofu only warns about', () => {
    const text = 'module "foo" {\n  anything = 1\n}\n';
    expect(parseLockFile(text, 'm.hcl')).toEqual({ tool: 'tofu', providers: [] });
  });
});

describe('parseLockFile diagnostics', () => {
  const P = 'provider "registry.opentofu.org/hashicorp/null"';

  it('reports unsupported arguments and blocks with suggestions', () => {
    const text = `provider = 1\nprovidr "x" {\n}\n${P} {\n  version = "1.0.0"\n  verison = "1.0.0"\n  hashes {\n  }\n}\n`;
    expect(messages(text)).toEqual([
      'LOCKFILE_INVALID lock.hcl:1:1: Unsupported argument; An argument named "provider" is not expected here. Did you mean to define a block of type "provider"?',
      'LOCKFILE_INVALID lock.hcl:2:1: Unsupported block type; Blocks of type "providr" are not expected here. Did you mean "provider"?',
      'LOCKFILE_INVALID lock.hcl:6:3: Unsupported argument; An argument named "verison" is not expected here.',
      'LOCKFILE_INVALID lock.hcl:7:3: Unsupported block type; Blocks of type "hashes" are not expected here. Did you mean to define argument "hashes"? If so, use the equals sign to assign it a value.',
    ]);
    expect(messages(`${P} {\n  verison = "1.0.0"\n}\n`)).toEqual([
      'LOCKFILE_INVALID lock.hcl:1:49: Missing required argument; The argument "version" is required, but no definition was found.',
      'LOCKFILE_INVALID lock.hcl:2:3: Unsupported argument; An argument named "verison" is not expected here. Did you mean "version"?',
    ]);
  });

  it('reports bad hashes', () => {
    const text = `${P} {\n  version = "1.0.0"\n  hashes = ["h1:ok", ":nothing", "noscheme", null, [1]]\n}\n${P.replace('null', 'random')} {\n  version = "1.0.0"\n  hashes = []\n}\n${P.replace('null', 'local')} {\n  version = "1.0.0"\n  hashes = "h1:x"\n}\n`;
    expect(messages(text)).toEqual([
      'LOCKFILE_INVALID lock.hcl:3:22: Invalid provider hash string; Cannot interpret ":nothing" as a provider hash: hash string must start with a scheme keyword followed by a colon.',
      'LOCKFILE_INVALID lock.hcl:3:34: Invalid provider hash string; Cannot interpret "noscheme" as a provider hash: hash string must start with a scheme keyword followed by a colon.',
      'LOCKFILE_INVALID lock.hcl:3:46: Unsuitable value type; Unsuitable value: value must not be null',
      'LOCKFILE_INVALID lock.hcl:3:52: Unsuitable value type; Unsuitable value: string required',
      'LOCKFILE_INVALID lock.hcl:7:12: Invalid provider hash set; The "hashes" argument must either be omitted or contain at least one hash value.',
      'LOCKFILE_INVALID lock.hcl:11:12: Invalid expression; A static list expression is required.',
    ]);
  });

  // terraform 1.11.4 refuses exactly these (checked with `terraform init`); tofu's
  // internal/depsfile/locks_file.go gives the same diagnostics.
  it('reports non-canonical constraints and variables', () => {
    const text = `${P} {\n  version     = "1.0.0"\n  constraints = "~>1.8"\n}\n${P.replace('null', 'random')} {\n  version     = v1\n  constraints = "~> 1.0, >= 1.0.0"\n}\n${P.replace('null', 'local')} {\n  version     = "1.0.0"\n  constraints = "=>1.0"\n}\n`;
    expect(messages(text)).toEqual([
      'LOCKFILE_INVALID lock.hcl:3:17: Invalid provider version constraints; The recorded version constraints for provider registry.opentofu.org/hashicorp/null must be written in normalized form: "~> 1.8".',
      'LOCKFILE_INVALID lock.hcl:6:17: Variables not allowed; Variables may not be used here.',
      'LOCKFILE_INVALID lock.hcl:7:17: Invalid provider version constraints; The recorded version constraints for provider registry.opentofu.org/hashicorp/random must be written in normalized form: ">= 1.0.0, ~> 1.0".',
      'LOCKFILE_INVALID lock.hcl:11:17: Invalid provider version constraints; The recorded version constraints for provider registry.opentofu.org/hashicorp/local are invalid: invalid specification "=>1.0": invalid constraint operator "=>"; did you mean ">="?.',
      'LOCKFILE_INVALID lock.hcl:11:17: Invalid provider version constraints; The recorded version constraints for provider registry.opentofu.org/hashicorp/local must be written in normalized form: "".',
    ]);
  });

  it('with normaliseConstraints, reads constraints that parse but are not normalised, keeping what was written', () => {
    const text = `${P} {\n  version     = "1.9.0"\n  constraints = ">=1.6,<1.9"\n}\n${P.replace('null', 'local')} {\n  version     = "1.0.0"\n  constraints = "=>1.0"\n}\n`;
    expect(
      caught(() => parseLockFile(text, 'lock.hcl', { normaliseConstraints: true })).errors.map(
        (e) => `${e.code} ${e.message}`,
      ),
    ).toEqual([
      'LOCKFILE_INVALID lock.hcl:7:17: Invalid provider version constraints; The recorded version constraints for provider registry.opentofu.org/hashicorp/local are invalid: invalid specification "=>1.0": invalid constraint operator "=>"; did you mean ">="?.',
      'LOCKFILE_INVALID lock.hcl:7:17: Invalid provider version constraints; The recorded version constraints for provider registry.opentofu.org/hashicorp/local must be written in normalized form: "".',
    ]);
    const lock = parseLockFile(text.slice(0, text.indexOf('}\n') + 2), 'lock.hcl', {
      normaliseConstraints: true,
    });
    expect(lock.providers[0]!.constraints).toBe('>= 1.6.0, < 1.9.0');
    expect(lock.providers[0]!.constraintsAsWritten?.text).toBe('>=1.6,<1.9');
    expect(lock.providers[0]!.constraintsAsWritten?.range.start).toMatchObject({ line: 3, column: 17 });
  });

  it('reports label count problems', () => {
    expect(messages('provider "a/b/c" "extra" {\n}\nprovider {\n}\n')).toEqual([
      'LOCKFILE_INVALID lock.hcl:1:18: Extraneous label for provider; Only 1 labels (source_addr) are expected for provider blocks.',
      'LOCKFILE_INVALID lock.hcl:3:10: Missing source_addr for provider; All provider blocks must have 1 labels (source_addr).',
    ]);
  });

  it('collects syntax errors (HCL_SYNTAX) before lock-file errors (LOCKFILE_INVALID)', () => {
    const text = `${P} {\n  version = "1.0"\n}\nprovider "x/y/z" {\n  version = "1.0.0" hashes = []\n}\n`;
    expect(messages(text)).toEqual([
      'HCL_SYNTAX lock.hcl:5:21: Missing newline after argument; An argument definition must end with a newline.',
      'LOCKFILE_INVALID lock.hcl:2:13: Invalid provider version number; The selected version number for provider registry.opentofu.org/hashicorp/null must be written in normalized form: "1.0.0".',
    ]);
    const err = caught(() => parseLockFile(text, 'lock.hcl'));
    expect(err.code).toBe('HCL_SYNTAX');
    expect(err.message.split('\n')).toHaveLength(2);
  });
});
