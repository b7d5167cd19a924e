// The pure side of registry modules: addresses, go-getter locations, the Module Registry
// Protocol's answers, module calls read from .tf text, and version selection.
import { describe, expect, it } from 'vitest';
import { parseModuleSource } from '../../../src/core/module/address.js';
import { readModuleCalls } from '../../../src/core/module/calls.js';
import { parseModuleLocation, splitSubdir } from '../../../src/core/module/location.js';
import { locationFromAnswer, parseModuleVersions } from '../../../src/core/module/protocol.js';
import { selectModuleVersion } from '../../../src/core/module/select.js';

const TF = 'registry.terraform.io';

describe('parseModuleSource', () => {
  it.each([
    [
      'terraform-aws-modules/vpc/aws',
      { hostname: TF, namespace: 'terraform-aws-modules', name: 'vpc', system: 'aws' },
    ],
    ['example.com/acme/net/aws', { hostname: 'example.com', namespace: 'acme', name: 'net', system: 'aws' }],
    [
      'Example.COM:8443/acme/net/aws',
      { hostname: 'example.com:8443', namespace: 'acme', name: 'net', system: 'aws' },
    ],
    [
      'terraform-aws-modules/iam/aws//modules/iam-user',
      {
        hostname: TF,
        namespace: 'terraform-aws-modules',
        name: 'iam',
        system: 'aws',
        subdir: 'modules/iam-user',
      },
    ],
  ])('%s is a registry module', (text, want) => {
    expect(parseModuleSource(text, TF)).toEqual(want);
  });

  it.each([
    './local',
    '../up',
    'git::https://example.com/x.git',
    'https://example.com/x.zip',
    'github.com/acme/repo/x',
    'acme/net',
    'a/b/c/d/e',
    'acme/net/AWS',
    'localhost/acme/net/aws',
    'acme/net/aws?ref=1',
  ])('%s is not', (text) => {
    expect(parseModuleSource(text, TF)).toBeUndefined();
  });
});

describe('module locations', () => {
  it('splits //SUBDIR off, keeping the query on the source', () => {
    expect(splitSubdir('https://h/a.tgz//sub/dir?archive=tar.gz')).toEqual({
      source: 'https://h/a.tgz?archive=tar.gz',
      subdir: 'sub/dir',
    });
    expect(splitSubdir('git::https://h/r.git?ref=v1')).toEqual({ source: 'git::https://h/r.git?ref=v1' });
  });

  it.each([
    [
      'git::https://github.com/acme/terraform-aws-net?ref=v1.2.0',
      { kind: 'git', url: 'https://github.com/acme/terraform-aws-net', ref: 'v1.2.0' },
    ],
    [
      'git::https://h/r.git//modules/x?ref=v1',
      { kind: 'git', url: 'https://h/r.git', ref: 'v1', subdir: 'modules/x' },
    ],
    ['https://h/m/1.0.0.tar.gz', { kind: 'archive', url: 'https://h/m/1.0.0.tar.gz', format: 'tar.gz' }],
    ['https://h/m.TGZ//x', { kind: 'archive', url: 'https://h/m.TGZ', format: 'tar.gz', subdir: 'x' }],
    [
      'https://api.github.com/repos/a/b/tarball/v1//*?archive=tar.gz',
      { kind: 'archive', url: 'https://api.github.com/repos/a/b/tarball/v1', format: 'tar.gz', subdir: '*' },
    ],
    ['https://h/m.zip?token=x', { kind: 'archive', url: 'https://h/m.zip?token=x', format: 'zip' }],
  ])('%s', (location, want) => {
    expect(parseModuleLocation(location, 'm 1.0.0')).toEqual(want);
  });

  it.each([
    ['git::ssh://git@h/r.git', 'git over ssh is not carried, only https'],
    ['git::http://h/r.git', 'git over http is not carried, only https'],
    ['git::https://h/r.git?sshkey=abc', 'the git option "sshkey" is not supported'],
    ['git::https://h/r.git?ref=--upload-pack=x', '"--upload-pack=x" is not a git ref'],
    ['hg::https://h/r', 'the "hg::" getter is not supported'],
    ['http://h/m.zip', 'the http scheme is not carried, only https'],
    ['https://h/m', 'it names no .tar.gz, .tgz or .zip archive (and has no archive= hint)'],
    ['https://h/m?archive=tar.bz2', 'archive=tar.bz2 is not a supported archive (tar.gz, tgz, zip)'],
    ['https://h/m.zip//../x', 'its //SUBDIR leaves the tree'],
    ['github.com/acme/x', 'it is not a URL (only git:: and https sources are carried)'],
  ])('refuses %s', (location, why) => {
    expect(() => parseModuleLocation(location, 'm 1.0.0')).toThrow(`module m 1.0.0: cannot fetch `);
    expect(() => parseModuleLocation(location, 'm 1.0.0')).toThrow(why);
  });

  it('never shows credentials of a refused location', () => {
    expect(() => parseModuleLocation('git::ssh://user:secret@h/r.git', 'm')).toThrow(
      'module m: cannot fetch git::ssh://***@h/r.git: git over ssh is not carried, only https',
    );
  });
});

describe('the module registry protocol', () => {
  const url = 'https://r.example/v1/modules/acme/net/aws/1.0.0/download';

  it('reads a version list', () => {
    expect(
      parseModuleVersions(
        { modules: [{ source: 'acme/net/aws', versions: [{ version: '1.0.0' }, { version: '1.1.0' }] }] },
        url,
      ),
    ).toEqual(['1.0.0', '1.1.0']);
    expect(() => parseModuleVersions({ modules: [] }, url)).toThrow(
      'expected an object with a non-empty "modules" list',
    );
  });

  it('takes 204 + X-Terraform-Get and 200 + JSON location; relative ones against the download URL', () => {
    const body = new Uint8Array();
    expect(
      locationFromAnswer(
        { status: 204, headers: { 'x-terraform-get': 'git::https://h/r?ref=v1' }, body },
        url,
      ),
    ).toBe('git::https://h/r?ref=v1');
    expect(
      locationFromAnswer({ status: 200, headers: {}, body: Buffer.from('{"location":"./1.0.0.zip"}') }, url),
    ).toBe('https://r.example/v1/modules/acme/net/aws/1.0.0/1.0.0.zip');
    expect(
      locationFromAnswer({ status: 204, headers: { 'x-terraform-get': '/files/m.zip' }, body }, url),
    ).toBe('https://r.example/files/m.zip');
    expect(() => locationFromAnswer({ status: 204, headers: {}, body }, url)).toThrow(
      'expected a 204 answer with an X-Terraform-Get header',
    );
    expect(() => locationFromAnswer({ status: 200, headers: {}, body: Buffer.from('{}') }, url)).toThrow(
      'expected a JSON body {"location": "..."}',
    );
  });
});

describe('readModuleCalls', () => {
  it('finds top-level module blocks whatever else the file holds', () => {
    const text = [
      'locals { x = { module = "nope" } }',
      'module "a" {',
      '  source  = "acme/net/aws"',
      '  version = "~> 1.0"',
      '  tags    = merge(var.tags, { source = "inner" })',
      '  name    = "${var.prefix}-a"',
      '  list    = [for s in var.l : upper(s)]',
      '}',
      'module "b" { source = "./b" }',
      'resource "x" "y" {',
      '  script = <<EOT',
      'module "c" {',
      '  source = "acme/c/aws"',
      '}',
      'EOT',
      '}',
      '',
    ].join('\n');
    expect(readModuleCalls(text, 'main.tf')).toEqual([
      { name: 'a', source: 'acme/net/aws', at: 'main.tf:3:13', version: '~> 1.0', versionAt: 'main.tf:4:13' },
      { name: 'b', source: './b', at: 'main.tf:9:23' },
    ]);
  });

  it('refuses a source or version that is not a literal string, and syntax errors, with FILE:LINE:COL', () => {
    expect(() => readModuleCalls('module "a" {\n  source = "acme/${var.n}/aws"\n}\n', 'x.tf')).toThrow(
      'x.tf:2:12: Invalid module argument; The "source" argument of module "a" must be a literal string',
    );
    expect(() => readModuleCalls('module "a" {\n  source = "unterminated\n}\n', 'x.tf')).toThrow('x.tf:2:');
  });
});

describe('selectModuleVersion', () => {
  const listed = ['1.0.0', '1.2.0', '1.10.1', '2.0.0-beta1', '2.0.0', 'not-a-version'];
  it.each([
    ['~> 1.0', '1.10.1'],
    ['~> 1.2.0', '1.2.0'],
    ['>= 1.0, < 2.0', '1.10.1'],
    ['= 2.0.0-beta1', '2.0.0-beta1'],
    [undefined, '2.0.0'],
  ])('%s picks %s', (constraint, want) => {
    expect(selectModuleVersion(listed, constraint, 'acme/net/aws', 'main.tf:3:13')).toBe(want);
  });

  it('says what the registry lists when nothing matches', () => {
    expect(() => selectModuleVersion(['1.0.0'], '~> 3.0', 'acme/net/aws', 'main.tf:3:13')).toThrow(
      'main.tf:3:13: no version of module acme/net/aws matches "~> 3.0"; the registry lists 1.0.0',
    );
  });
});
