// SHA256SUMS parsing, checking and writing, against the real release files.
import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { expectSha256, formatSha256Sums, parseSha256Sums } from '../../../src/core/checksums/sha256sums.js';
import { AirgapError } from '../../../src/core/errors.js';
import { realdata } from '../../helpers/realdata.js';

const sums = (...parts: string[]): string =>
  readFileSync(realdata('keys', 'signed-sums', ...parts)).toString('utf8');

const TOFU = sums('tofu_1.8.5_real', 'tofu_1.8.5_SHA256SUMS');
const NULL = sums('terraform-provider-null_3.1.0', 'terraform-provider-null_3.1.0_SHA256SUMS');
const TF = sums('terraform_1.9.8_real', 'terraform_1.9.8_SHA256SUMS');

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

function caught(f: () => unknown): AirgapError {
  try {
    f();
  } catch (e) {
    if (e instanceof AirgapError) return e;
    throw e;
  }
  throw new Error('expected a failure, but the call succeeded');
}

describe('parseSha256Sums with real files', () => {
  it('reads tofu 1.8.5 (not sorted by name): 40 entries, exact hashes', () => {
    const m = parseSha256Sums(TOFU, 'tofu_1.8.5_SHA256SUMS');
    expect(m.size).toBe(40);
    expect([...m.keys()][0]).toBe('tofu_1.8.5_linux_arm.tar.gz'); // file order, which is by hash
    expect(m.get('tofu_1.8.5_linux_amd64.zip')).toBe(
      'e2951ba6be8ae9427aabbd5c6f243855e8b526cb2ae6bc33a05dae22d7e82632',
    );
    expect(m.get('tofu_1.8.5_linux_amd64.tar.gz')).toBe(
      'dc46f945f3718769604561c9bad569841443ffcc6e0b970d4dbc5bd224a52941',
    );
    expect(m.get('tofu_1.8.5_arm64.apk')).toBe(
      '1ad5072d66df85185440714556afed26e17636cf2635dc4154592fc15706306f',
    );
    expect(m.get('tofu_1.8.5_amd64.deb')).toBe(
      '7714daa82d210c9396a28915c85467f448673223f9ab11b31bd471a12f750db7',
    );
  });

  it('reads terraform-provider-null 3.1.0: 11 entries', () => {
    const m = parseSha256Sums(NULL, 'terraform-provider-null_3.1.0_SHA256SUMS');
    expect(m.size).toBe(11);
    expect(m.get('terraform-provider-null_3.1.0_linux_amd64.zip')).toBe(
      '53e30545ff8926a8e30ad30648991ca8b93b6fa496272cd23b26763c8ee84515',
    );
    expect(m.get('terraform-provider-null_3.1.0_windows_amd64.zip')).toBe(
      '02a1675fd8de126a00460942aaae242e65ca3380b5bb192e8773ef3da9073fd2',
    );
  });

  it('reads terraform 1.9.8: 14 entries', () => {
    const m = parseSha256Sums(TF, 'terraform_1.9.8_SHA256SUMS');
    expect(m.size).toBe(14);
    expect(m.get('terraform_1.9.8_darwin_arm64.zip')).toBe(
      '873d7b925d08578fb6bb9c12c7cd92ae73e289e07c360f2fdd69f9036b7baaab',
    );
  });
});

describe('parseSha256Sums line forms', () => {
  it('accepts the binary marker, blank lines, CRLF and upper-case hex (stored lower-case)', () => {
    const text = `\n${A}  a.zip\r\n\n${B.toUpperCase()} *b.zip\n   \n`;
    expect([...parseSha256Sums(text, 'S')]).toEqual([
      ['a.zip', A],
      ['b.zip', B],
    ]);
  });

  it('keeps a name exactly, including inner spaces', () => {
    expect([...parseSha256Sums(`${A}  my file.zip\n`, 'S')]).toEqual([['my file.zip', A]]);
  });

  it('accepts a repeated line with the same hash', () => {
    expect(parseSha256Sums(`${A}  a.zip\n${A} *a.zip\n`, 'S').size).toBe(1);
  });

  it.each([
    ['a line without a separator', `${A}\n`, 'SUMS:2: line is not "<sha256>  <name>"', A],
    [
      '63 hex digits',
      `${A}  ok.zip\n${'c'.repeat(63)}  x.zip\n`,
      'SUMS:3: line has a malformed sha256 (63 hex digits)',
      '63 hex digits',
    ],
    [
      'non-hex digits',
      `${'g'.repeat(64)}  x.zip\n`,
      `SUMS:2: line has a malformed sha256 ("${'g'.repeat(64)}")`,
      `"${'g'.repeat(64)}"`,
    ],
    [
      'BSD tag format',
      `SHA256 (x.zip) = ${A}\n`,
      'SUMS:2: line has a malformed sha256 ("SHA256")',
      '"SHA256"',
    ],
    [
      'one space only',
      `${A} x.zip\n`,
      'SUMS:2: line is not "<sha256>  <name>" or "<sha256> *<name>"',
      `${A} x.zip`,
    ],
    ['no name', `${A}  \n`, 'SUMS:2: line is not "<sha256>  <name>" or "<sha256> *<name>"', `${A}  `],
  ])('refuses %s, naming file:line', (_label, body, message, actual) => {
    const err = caught(() => parseSha256Sums(`\n${body}`, 'SUMS'));
    expect(err.code).toBe('CHECKSUMS_INVALID');
    expect(err.message).toBe(message);
    expect(err.details.actual).toBe(actual);
    expect(err.details.path).toMatch(/^SUMS:\d$/);
  });

  it('refuses one name listed with two different hashes', () => {
    const err = caught(() => parseSha256Sums(`${A}  x.zip\n${B}  y.zip\n${B}  x.zip\n`, 'x_SHA256SUMS'));
    expect(err.code).toBe('CHECKSUMS_INVALID');
    expect(err.message).toBe(
      `x_SHA256SUMS:3: "x.zip" is listed again with a different sha256 (line 1 has ${A}, this line ${B})`,
    );
    expect(err.details).toMatchObject({ path: 'x_SHA256SUMS:3', expected: A, actual: B });
  });

  it('reads coreutils escaped names, and refuses an unknown escape', () => {
    const m = parseSha256Sums(`\\${A}  dir\\\\new\\nline.zip\n`, 'S');
    expect([...m.keys()]).toEqual(['dir\\new\nline.zip']);
    const err = caught(() => parseSha256Sums(`\\${A}  bad\\t.zip\n`, 'S'));
    expect(err.code).toBe('CHECKSUMS_INVALID');
    expect(err.message).toBe('S:1: line has an unknown escape "\\t" in its file name');
  });
});

describe('expectSha256', () => {
  const m = parseSha256Sums(NULL, 'terraform-provider-null_3.1.0_SHA256SUMS');
  const ctx = {
    sumsFile: 'terraform-provider-null_3.1.0_SHA256SUMS',
    artifact: 'mirror/null_linux_amd64.zip',
  };

  it('passes on the listed hash, in any case', () => {
    const hex = '53e30545ff8926a8e30ad30648991ca8b93b6fa496272cd23b26763c8ee84515';
    expect(() => expectSha256(m, 'terraform-provider-null_3.1.0_linux_amd64.zip', hex, ctx)).not.toThrow();
    expect(() =>
      expectSha256(m, 'terraform-provider-null_3.1.0_linux_amd64.zip', hex.toUpperCase(), ctx),
    ).not.toThrow();
  });

  it('throws CHECKSUM_MISMATCH with expected and actual', () => {
    const err = caught(() => expectSha256(m, 'terraform-provider-null_3.1.0_linux_amd64.zip', A, ctx));
    expect(err.code).toBe('CHECKSUM_MISMATCH');
    expect(err.message).toBe(
      `mirror/null_linux_amd64.zip: sha256 is ${A}, but terraform-provider-null_3.1.0_SHA256SUMS lists ` +
        '53e30545ff8926a8e30ad30648991ca8b93b6fa496272cd23b26763c8ee84515 for "terraform-provider-null_3.1.0_linux_amd64.zip"',
    );
    expect(err.details).toMatchObject({
      path: 'mirror/null_linux_amd64.zip',
      expected: '53e30545ff8926a8e30ad30648991ca8b93b6fa496272cd23b26763c8ee84515',
      actual: A,
    });
  });

  it('throws CHECKSUM_MISSING when the list has no line', () => {
    const err = caught(() => expectSha256(m, 'terraform-provider-null_3.1.0_linux_riscv64.zip', A, ctx));
    expect(err.code).toBe('CHECKSUM_MISSING');
    expect(err.message).toBe(
      'terraform-provider-null_3.1.0_SHA256SUMS has no line for "terraform-provider-null_3.1.0_linux_riscv64.zip" ' +
        '(artifact mirror/null_linux_amd64.zip); an unlisted artifact is not trusted',
    );
    expect(err.details).toMatchObject({
      address: 'terraform-provider-null_3.1.0_SHA256SUMS',
      actual: 'no line',
    });
  });
});

describe('formatSha256Sums', () => {
  it('writes coreutils lines sorted bytewise by name (upper case before lower, ASCII before UTF-8)', () => {
    const text = formatSha256Sums([
      { name: 'b.zip', sha256: B },
      { name: 'é.zip', sha256: A },
      { name: 'Z.zip', sha256: A.toUpperCase() },
      { name: 'a.zip', sha256: A },
    ]);
    expect(text).toBe(`${A}  Z.zip\n${A}  a.zip\n${B}  b.zip\n${A}  é.zip\n`);
  });

  it('round-trips the real tofu list into name order, and back to the same map', () => {
    const m = parseSha256Sums(TOFU, 'tofu_1.8.5_SHA256SUMS');
    const text = formatSha256Sums([...m].map(([name, sha256]) => ({ name, sha256 })));
    const lines = text.split('\n');
    expect(lines.length).toBe(41);
    expect(lines[0]).toBe(
      'c1f77ff8bb5e6a62604877dcf51bda32d3ab11e3239908bbbbf59cfbc702e16a  tofu_1.8.5_386.apk',
    );
    expect(lines[39]).toBe(
      '8bcd1317392a7b1ce149c5dafc886497219f560527fe10ed0d58863120d59e67  tofu_1.8.5_windows_amd64.zip',
    );
    expect(lines[40]).toBe('');
    expect(parseSha256Sums(text, 'roundtrip')).toEqual(m);
  });

  it('escapes names with a backslash or newline the coreutils way, and reads them back', () => {
    const text = formatSha256Sums([{ name: 'a\\b\nc', sha256: A }]);
    expect(text).toBe(`\\${A}  a\\\\b\\nc\n`);
    expect([...parseSha256Sums(text, 'S')]).toEqual([['a\\b\nc', A]]);
  });

  it('refuses a malformed hash, an empty name, and one name with two hashes', () => {
    expect(caught(() => formatSha256Sums([{ name: 'x', sha256: 'abc' }])).message).toBe(
      'SHA256SUMS entry "x" has a malformed sha256 "abc"',
    );
    expect(caught(() => formatSha256Sums([{ name: '', sha256: A }])).code).toBe('HASH_INPUT_INVALID');
    const err = caught(() =>
      formatSha256Sums([
        { name: 'x', sha256: A },
        { name: 'x', sha256: B },
      ]),
    );
    expect(err.code).toBe('HASH_INPUT_INVALID');
    expect(err.message).toBe(`SHA256SUMS entry "x" is given twice with different hashes (${A} and ${B})`);
  });
});
