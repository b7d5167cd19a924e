// Transfer tarballs for tests (docs/TRANSFER-FORMAT.md), made without `airgap export`:
//   - makeTestBundle: a real bundle directory from the test registry and release server
//     through runMirror (providers, tofu binaries, configs, lock-file copies);
//   - stageBundleForTest: a copy of a bundle directory as packed: tool/ archive,
//     airgap.json with toolPackage, SHA256SUMS, SHA256SUMS.sig;
//   - packBundleForTest: that staged copy through GNU tar in the transfer order
//     (plain, gzip or split), with a `mutate` hook between staging and packing;
//   - buildTar: raw ustar/pax bytes from an entry list, for archives GNU tar will not
//     write (absolute names, `..`, devices, a pax path that differs from the header);
//   - hostileTarball: one builder per attack the reader must refuse.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';

import { formatSha256Sums } from '../../src/core/checksums/sha256sums.js';
import { BUNDLE, TRANSFER, toolPackagePath } from '../../src/core/layout/names.js';
import type { Reporter } from '../../src/core/ports.js';
import { runMirror, type MirrorResult } from '../../src/services/mirror/mirror-service.js';
import { generateSigningKey, signDetached, type TestKey } from './pgp.js';
import { startTestRegistry, type TestProviderSpec, type TestRegistry } from './registry/index.js';
import { startReleaseServer, type ReleaseServer } from './release-server/index.js';
import { makeTempDir } from './tmp.js';

const exec = promisify(execFile);

/** 2020-01-01T00:00:00Z, the transfer format's default mtime. */
export const PACK_EPOCH = 1577836800;
/** The manifest createdAt of bundles made by makeTestBundle (SOURCE_DATE_EPOCH). */
export const TEST_BUNDLE_EPOCH = 1764000000;
export const TEST_TOOL_VERSION = '0.1.0';

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

// ---------------------------------------------------------------------------
// A real bundle directory

export interface TestBundle {
  dir: string;
  /** The lock file mirrored (also copied into the bundle under lockfiles/). */
  lockfile: string;
  registry: TestRegistry;
  releases: ReleaseServer;
  mirror: MirrorResult;
  close(): Promise<void>;
}

export interface TestBundleOptions {
  providers?: TestProviderSpec[];
  platforms?: string[];
  /** OpenTofu versions to bundle; default ['1.8.5']; [] for none. */
  tofu?: string[];
  skipMissingPlatforms?: boolean;
}

const DEFAULT_PROVIDERS: TestProviderSpec[] = [
  {
    namespace: 'hashicorp',
    type: 'null',
    versions: ['3.2.1'],
    platforms: ['linux_amd64', 'linux_arm64'],
    payloadSize: 256,
  },
];

const silent: Reporter = { info: () => undefined, warn: () => undefined };

/** Lock file text naming every version of every provider spec (no hashes). */
export function lockTextFor(hostname: string, providers: TestProviderSpec[]): string {
  const blocks = providers.flatMap((p) =>
    p.versions.map((v) => `provider "${hostname}/${p.namespace}/${p.type}" {\n  version = "${v}"\n}\n`),
  );
  return `# This file is maintained automatically by "tofu init".\n# Manual edits may be lost in future updates.\n\n${blocks.join('\n')}`;
}

/** Starts the test registry and release server and runs `airgap mirror` (in process) into a fresh directory. */
export async function makeTestBundle(options: TestBundleOptions = {}): Promise<TestBundle> {
  const providers = options.providers ?? DEFAULT_PROVIDERS;
  const platforms = options.platforms ?? ['linux_amd64', 'linux_arm64'];
  const tofu = options.tofu ?? ['1.8.5'];
  const registry = await startTestRegistry({ providers });
  const releases = await startReleaseServer({
    tofu: { versions: tofu.length > 0 ? tofu : ['1.8.5'], platforms },
  });
  const work = await makeTempDir('airgap-bundle-');
  const cfg = path.join(work, 'cli.tfrc');
  await fs.writeFile(cfg, registry.cliConfigText());
  const lockfile = path.join(work, 'stack', '.terraform.lock.hcl');
  await fs.mkdir(path.dirname(lockfile), { recursive: true });
  await fs.writeFile(lockfile, lockTextFor(registry.hostname, providers));
  const dir = path.join(work, 'bundle');
  try {
    const mirror = await runMirror(
      {
        request: {
          platforms,
          lockfiles: [lockfile],
          dirs: [],
          lockfilePatterns: [],
          providers: [],
          localProviders: [],
          modules: [],
          configurations: [],
          moduleDefaultHost: 'registry.opentofu.org',
          outDir: dir,
          caCertFiles: [registry.caCertPath, releases.caCertPath],
          binaries: {
            tofu: {
              versions: tofu,
              apiUrl: releases.tofuApiUrl,
              baseUrl: releases.tofuBaseUrl,
              keyFile: releases.publicKeyPath,
            },
            terraform: { versions: [], apiUrl: releases.terraformApiUrl, baseUrl: releases.terraformBaseUrl },
          },
          configs: {
            mirrorPath: '/providers',
            allowDirect: [],
            workflowTool: 'tofu',
            baseImage: 'debian:12-slim',
          },
        },
        concurrency: 4,
        updateLockfiles: false,
        skipMissingPlatforms: options.skipMissingPlatforms ?? false,
        env: { TF_CLI_CONFIG_FILE: cfg, SOURCE_DATE_EPOCH: String(TEST_BUNDLE_EPOCH) },
        cwd: work,
        tempDir: work,
      },
      silent,
    );
    return {
      dir,
      lockfile,
      registry,
      releases,
      mirror,
      async close() {
        await Promise.all([registry.close(), releases.close()]);
      },
    };
  } catch (e) {
    await Promise.all([registry.close(), releases.close()]);
    throw e;
  }
}

// ---------------------------------------------------------------------------
// Staging: the bundle as packed

/** A throwaway signing key dated before PACK_EPOCH, so signatures made at that time verify. */
export function generateBundleSigningKey(name = 'bundle signer'): Promise<TestKey> {
  return generateSigningKey({ name, date: new Date('2019-06-01T00:00:00Z') });
}

/** Stand-in for `npm pack` output: a small, deterministic gzip file. */
export const TEST_TOOL_PACKAGE = gzipSync(Buffer.from('stand-in for the airgap npm package\n'), { level: 9 });

export interface StagedBundle {
  /** A copy of the bundle with tool/, the packed airgap.json, SHA256SUMS and (when signed) SHA256SUMS.sig. */
  dir: string;
  signKey?: TestKey;
  /** Every path in the transfer order: SHA256SUMS.sig, SHA256SUMS, airgap.json, then the rest sorted bytewise; directories end in "/". */
  entries: string[];
}

export interface StageOptions {
  /** Sign SHA256SUMS with this key (SHA256SUMS.sig); unsigned when absent. */
  signKey?: TestKey;
  /** Add tool/airgap-VERSION.tgz and airgap.json's toolPackage; default true. */
  toolPackage?: boolean;
}

export async function stageBundleForTest(
  bundleDir: string,
  options: StageOptions = {},
): Promise<StagedBundle> {
  const dir = path.join(await makeTempDir('airgap-stage-'), 'bundle');
  await fs.cp(bundleDir, dir, { recursive: true });
  if (options.toolPackage !== false) {
    const rel = toolPackagePath(TEST_TOOL_VERSION);
    await fs.mkdir(path.join(dir, TRANSFER.toolDir), { recursive: true });
    await fs.writeFile(path.join(dir, rel), TEST_TOOL_PACKAGE);
    const manifestPath = path.join(dir, BUNDLE.manifest);
    const manifest = JSON.parse(await fs.readFile(manifestPath, 'utf8')) as Record<string, unknown>;
    manifest.toolPackage = {
      path: rel,
      size: TEST_TOOL_PACKAGE.length,
      sha256: sha256Hex(TEST_TOOL_PACKAGE),
    };
    await fs.writeFile(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  }
  const staged: StagedBundle = { dir, entries: [], ...(options.signKey ? { signKey: options.signKey } : {}) };
  await writeSums(staged);
  if (options.signKey !== undefined) await signSums(staged, options.signKey);
  staged.entries = await transferOrder(dir);
  return staged;
}

/** Rewrites SHA256SUMS over every regular file but SHA256SUMS and its signature. */
export async function writeSums(staged: StagedBundle): Promise<string> {
  const files = (await listTree(staged.dir)).filter(
    (p) => !p.endsWith('/') && p !== BUNDLE.checksums && p !== BUNDLE.checksumsSignature,
  );
  const entries = await Promise.all(
    files.map(async (name) => ({ name, sha256: sha256Hex(await fs.readFile(path.join(staged.dir, name))) })),
  );
  const text = formatSha256Sums(entries);
  await fs.writeFile(path.join(staged.dir, BUNDLE.checksums), text);
  return text;
}

/** (Re-)signs SHA256SUMS with `key` (binary detached signature at a fixed time). */
export async function signSums(staged: StagedBundle, key: TestKey): Promise<void> {
  const sums = await fs.readFile(path.join(staged.dir, BUNDLE.checksums));
  const sig = await signDetached(sums, key, { date: new Date(PACK_EPOCH * 1000) });
  await fs.writeFile(path.join(staged.dir, BUNDLE.checksumsSignature), sig);
}

/** Paths below `root`, directories with a trailing "/", sorted bytewise. */
export async function listTree(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string, prefix: string): Promise<void> {
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const rel = prefix + e.name;
      if (e.isDirectory()) {
        out.push(`${rel}/`);
        await walk(path.join(d, e.name), `${rel}/`);
      } else out.push(rel);
    }
  }
  await walk(root, '');
  return out.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/** The transfer order of docs/TRANSFER-FORMAT.md for the tree at `root`. */
export async function transferOrder(root: string): Promise<string[]> {
  const all = await listTree(root);
  const meta = [BUNDLE.checksumsSignature, BUNDLE.checksums, BUNDLE.manifest].filter((m) => all.includes(m));
  return [...meta, ...all.filter((p) => !meta.includes(p as (typeof meta)[number]))];
}

// ---------------------------------------------------------------------------
// Packing with GNU tar

export interface PackContext {
  /** The staged copy; edit files here. */
  dir: string;
  /** Member names in archive order (directories end in "/"); reorder, repeat or drop names. */
  entries: string[];
  /** Re-signs SHA256SUMS with the stage's key (after editing it). */
  resign(): Promise<void>;
  /** Recomputes SHA256SUMS from the files as they now are (does not re-sign). */
  rewriteSums(): Promise<string>;
}

export interface PackOptions extends StageOptions {
  /** Runs after staging (SHA256SUMS and its signature written), before tar. */
  mutate?: (ctx: PackContext) => Promise<void> | void;
  gzip?: boolean;
  /** Split into FILE.000, FILE.001, ... of this many bytes. */
  splitSize?: number;
  /** Reuse a staged copy instead of staging `bundleDir` again (mutations then apply to it). */
  staged?: StagedBundle;
  /** Output file name (in a fresh temp dir); default bundle.tar or bundle.tar.gz. */
  name?: string;
}

export interface PackedBundle {
  /** What to hand the reader: the tarball, or FILE.000 when split. */
  file: string;
  /** [file] or every part. */
  parts: string[];
  staged: StagedBundle;
  entries: string[];
}

/** Packs a bundle directory per docs/TRANSFER-FORMAT.md with GNU tar (describeWithTools(['tar'])). */
export async function packBundleForTest(bundleDir: string, options: PackOptions = {}): Promise<PackedBundle> {
  const staged = options.staged ?? (await stageBundleForTest(bundleDir, options));
  const ctx: PackContext = {
    dir: staged.dir,
    entries: [...staged.entries],
    async resign() {
      if (staged.signKey === undefined) throw new Error('resign: the stage was not signed');
      await signSums(staged, staged.signKey);
    },
    rewriteSums: () => writeSums(staged),
  };
  await options.mutate?.(ctx);
  const outDir = await makeTempDir('airgap-tar-');
  const tarPath = path.join(outDir, 'bundle.tar');
  const list = path.join(outDir, 'members.txt');
  await fs.writeFile(list, ctx.entries.map((e) => `${e}\n`).join(''));
  await exec('tar', [
    '--create',
    '--file',
    tarPath,
    '--format=pax',
    '--pax-option=delete=atime,delete=ctime',
    '--no-recursion',
    '--owner=0',
    '--group=0',
    '--numeric-owner',
    `--mtime=@${PACK_EPOCH}`,
    '-C',
    staged.dir,
    '--verbatim-files-from',
    '-T',
    list,
  ]);
  let bytes = await fs.readFile(tarPath);
  await fs.rm(tarPath);
  if (options.gzip === true) bytes = gzipSync(bytes);
  const file = path.join(outDir, options.name ?? (options.gzip === true ? 'bundle.tar.gz' : 'bundle.tar'));
  const parts = await writeMaybeSplit(file, bytes, options.splitSize);
  return { file: parts[0]!, parts, staged, entries: ctx.entries };
}

/** Writes `bytes` at `file`, or as file.000, file.001, ... of `splitSize` bytes. */
export async function writeMaybeSplit(
  file: string,
  bytes: Uint8Array,
  splitSize?: number,
): Promise<string[]> {
  if (splitSize === undefined) {
    await fs.writeFile(file, bytes);
    return [file];
  }
  const parts: string[] = [];
  for (let i = 0, at = 0; at < bytes.length; i += 1, at += splitSize) {
    const part = `${file}${TRANSFER.partSuffix(i)}`;
    await fs.writeFile(part, bytes.subarray(at, at + splitSize));
    parts.push(part);
  }
  return parts;
}

// ---------------------------------------------------------------------------
// Raw tar bytes

export type RawEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo' | 'global';

export interface RawTarEntry {
  /** The header name (a pax path record is added when it does not fit). */
  name: string;
  type?: RawEntryType;
  body?: Uint8Array;
  linkname?: string;
  /** pax records written in an 'x' header before the entry. */
  pax?: Record<string, string>;
  /** Extended headers written as given before all others (and before the entry's own header). */
  extended?: RawExtendedHeader[];
  mode?: number;
}

export interface RawExtendedHeader {
  /** 'x' pax, 'L' GNU long name, 'K' GNU long link name. */
  type: 'x' | 'L' | 'K';
  name: string;
  data: Uint8Array;
}

const TYPEFLAG: Record<RawEntryType, string> = {
  file: '0',
  dir: '5',
  symlink: '2',
  hardlink: '1',
  char: '3',
  block: '4',
  fifo: '6',
  global: 'g',
};

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

/** ustar's prefix/name split of `name`, or undefined when no split fits (a pax path is needed). */
function ustarSplit(name: string): { prefix: string; base: string } | undefined {
  if (Buffer.byteLength(name) <= 100) return { prefix: '', base: name };
  for (let cut = name.indexOf('/'); cut !== -1; cut = name.indexOf('/', cut + 1)) {
    const prefix = name.slice(0, cut);
    const base = name.slice(cut + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(base) <= 100 && base !== '')
      return { prefix, base };
  }
  return undefined;
}

function ustarHeader(name: string, typeflag: string, size: number, mode: number, linkname = ''): Buffer {
  const b = Buffer.alloc(512);
  // Too long for ustar: the header keeps the first 100 bytes, a pax path record the rest.
  const { prefix, base } = ustarSplit(name) ?? { prefix: '', base: name.slice(0, 100) };
  b.write(base, 0, 100, 'utf8');
  b.write(octal(mode, 8), 100, 'latin1');
  b.write(octal(0, 8), 108, 'latin1');
  b.write(octal(0, 8), 116, 'latin1');
  b.write(octal(size, 12), 124, 'latin1');
  b.write(octal(PACK_EPOCH, 12), 136, 'latin1');
  b.write('        ', 148, 'latin1');
  b.write(typeflag, 156, 'latin1');
  b.write(linkname, 157, 100, 'utf8');
  b.write('ustar\0', 257, 'latin1');
  b.write('00', 263, 'latin1');
  b.write(octal(0, 8), 329, 'latin1');
  b.write(octal(0, 8), 337, 'latin1');
  b.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return b;
}

function padded(data: Uint8Array): Buffer {
  const pad = (512 - (data.length % 512)) % 512;
  return Buffer.concat([Buffer.from(data), Buffer.alloc(pad)]);
}

/** pax records ("LEN key=value\n"), in the order given; a key may repeat. */
export function paxRecords(records: [string, string][]): Buffer {
  return Buffer.concat(records.map(([k, v]) => paxBody({ [k]: v })));
}

function paxBody(records: Record<string, string>): Buffer {
  const parts = Object.entries(records).map(([k, v]) => {
    const rest = ` ${k}=${v}\n`;
    let len = Buffer.byteLength(rest) + 1;
    while (String(len).length + Buffer.byteLength(rest) !== len)
      len = String(len).length + Buffer.byteLength(rest);
    return `${len}${rest}`;
  });
  return Buffer.from(parts.join(''), 'utf8');
}

/** A tar archive (ustar headers, pax where asked or needed) ending with two zero blocks. */
export function buildTar(entries: RawTarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const type = e.type ?? 'file';
    const body = e.body ?? new Uint8Array();
    for (const x of e.extended ?? []) {
      blocks.push(ustarHeader(x.name, x.type, x.data.length, 0o644));
      blocks.push(padded(x.data));
    }
    const pax = { ...(e.pax ?? {}) };
    if (pax.path === undefined && ustarSplit(e.name) === undefined) {
      pax.path = e.name;
    }
    if (Object.keys(pax).length > 0) {
      const data = paxBody(pax);
      blocks.push(
        ustarHeader(`PaxHeaders/${path.posix.basename(e.name)}`.slice(0, 99), 'x', data.length, 0o644),
      );
      blocks.push(padded(data));
    }
    const mode = e.mode ?? (type === 'dir' ? 0o755 : 0o644);
    const size = type === 'file' || type === 'global' ? body.length : 0;
    blocks.push(ustarHeader(e.name, TYPEFLAG[type], size, mode, e.linkname));
    if (size > 0) blocks.push(padded(body));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** The staged bundle as raw entries, in `order` (default: the stage's transfer order). */
export async function stagedEntries(
  staged: StagedBundle,
  order: string[] = staged.entries,
): Promise<RawTarEntry[]> {
  return Promise.all(
    order.map(async (name) =>
      name.endsWith('/')
        ? { name, type: 'dir' as const }
        : { name, body: await fs.readFile(path.join(staged.dir, name)) },
    ),
  );
}

async function writeRaw(entries: RawTarEntry[], name = 'hostile.tar'): Promise<string> {
  const file = path.join(await makeTempDir('airgap-hostile-'), name);
  await fs.writeFile(file, buildTar(entries));
  return file;
}

// ---------------------------------------------------------------------------
// Hostile archives

export type HostileKind =
  | 'absolute-path'
  | 'dot-dot'
  | 'pax-dot-dot'
  | 'header-dot-dot-under-pax'
  | 'symlink'
  | 'hardlink'
  | 'device'
  | 'fifo'
  | 'duplicate-path'
  | 'unlisted-file'
  | 'missing-listed-file'
  | 'truncated'
  | 'flipped-byte'
  | 'sums-line-removed'
  | 'foreign-signature'
  | 'edited-manifest'
  | 'manifest-before-sums'
  | 'pax-flood';

export interface HostileTarball {
  file: string;
  /** The entry (or metadata file) the reader must name. */
  subject: string;
}

/** The first payload file with this suffix (default: the first provider zip). */
export function firstPayload(staged: StagedBundle, suffix = '.zip'): string {
  const p = staged.entries.find((e) => e.startsWith(`${BUNDLE.providersDir}/`) && e.endsWith(suffix));
  if (p === undefined) throw new Error(`no ${suffix} payload in the staged bundle`);
  return p;
}

/** Index just after airgap.json: where an injected entry is seen before any payload. */
function afterMetadata(entries: RawTarEntry[]): number {
  return entries.findIndex((e) => e.name === BUNDLE.manifest) + 1;
}

/**
 * One attack on a valid staged bundle. Entries injected by an attack come right after
 * airgap.json, so a correct reader refuses them before any payload reaches its sink.
 */
export async function hostileTarball(
  staged: StagedBundle,
  kind: HostileKind,
  options: { otherKey?: TestKey } = {},
): Promise<HostileTarball> {
  const entries = await stagedEntries(staged);
  const at = afterMetadata(entries);
  const inject = async (e: RawTarEntry): Promise<HostileTarball> => {
    entries.splice(at, 0, e);
    return { file: await writeRaw(entries), subject: e.pax?.path ?? e.name };
  };
  const zip = firstPayload(staged);
  const zipIndex = entries.findIndex((e) => e.name === zip);
  switch (kind) {
    case 'absolute-path':
      return inject({ name: '/tmp/airgap-evil', body: Buffer.from('x') });
    case 'dot-dot':
      return inject({ name: 'providers/../../airgap-evil', body: Buffer.from('x') });
    case 'pax-dot-dot':
      return inject({
        name: 'providers/innocent.txt',
        pax: { path: '../airgap-evil' },
        body: Buffer.from('x'),
      });
    case 'header-dot-dot-under-pax':
      // A pax-aware tool writes providers/innocent.txt; one that ignores pax writes ../airgap-evil.
      return {
        ...(await inject({
          name: '../airgap-evil',
          pax: { path: 'providers/innocent.txt' },
          body: Buffer.from('x'),
        })),
        subject: 'providers/innocent.txt',
      };
    case 'symlink':
      return inject({ name: 'providers/link', type: 'symlink', linkname: '/etc/passwd' });
    case 'hardlink':
      return inject({ name: 'providers/hardlink', type: 'hardlink', linkname: BUNDLE.manifest });
    case 'device':
      return inject({ name: 'providers/null-device', type: 'char' });
    case 'fifo':
      return inject({ name: 'providers/pipe', type: 'fifo' });
    case 'duplicate-path': {
      const original = entries[zipIndex]!;
      entries.splice(zipIndex + 1, 0, { ...original });
      return { file: await writeRaw(entries), subject: zip };
    }
    case 'unlisted-file':
      return inject({ name: 'providers/unlisted.txt', body: Buffer.from('not in SHA256SUMS\n') });
    case 'missing-listed-file':
      entries.splice(zipIndex, 1);
      return { file: await writeRaw(entries), subject: zip };
    case 'truncated': {
      const bytes = buildTar(entries);
      // Cut inside the zip's body: its header is complete, its data is not.
      const offset = bytes.indexOf(Buffer.from(entries[zipIndex]!.body!.subarray(0, 64)));
      const file = path.join(await makeTempDir('airgap-hostile-'), 'truncated.tar');
      await fs.writeFile(file, bytes.subarray(0, offset + 100));
      return { file, subject: zip };
    }
    case 'flipped-byte': {
      const body = Buffer.from(entries[zipIndex]!.body!);
      const mid = Math.floor(body.length / 2);
      body[mid] = body[mid]! ^ 0x01;
      entries[zipIndex] = { ...entries[zipIndex]!, body };
      return { file: await writeRaw(entries), subject: zip };
    }
    case 'sums-line-removed': {
      const i = entries.findIndex((e) => e.name === BUNDLE.checksums);
      const text = Buffer.from(entries[i]!.body!).toString('utf8');
      const kept = text
        .split('\n')
        .filter((l) => !l.endsWith(`  ${zip}`))
        .join('\n');
      entries[i] = { ...entries[i]!, body: Buffer.from(kept) };
      return { file: await writeRaw(entries), subject: zip };
    }
    case 'foreign-signature': {
      const other = options.otherKey ?? (await generateBundleSigningKey('impostor'));
      const sums = entries.find((e) => e.name === BUNDLE.checksums)!.body!;
      const sig = await signDetached(sums, other, { date: new Date(PACK_EPOCH * 1000) });
      const i = entries.findIndex((e) => e.name === BUNDLE.checksumsSignature);
      if (i === -1) entries.unshift({ name: BUNDLE.checksumsSignature, body: sig });
      else entries[i] = { ...entries[i]!, body: sig };
      return { file: await writeRaw(entries), subject: BUNDLE.checksumsSignature };
    }
    case 'edited-manifest': {
      const i = entries.findIndex((e) => e.name === BUNDLE.manifest);
      const doc = JSON.parse(Buffer.from(entries[i]!.body!).toString('utf8')) as { platforms: string[] };
      doc.platforms = [...doc.platforms, 'windows_amd64'];
      entries[i] = { ...entries[i]!, body: Buffer.from(`${JSON.stringify(doc, null, 2)}\n`) };
      return { file: await writeRaw(entries), subject: BUNDLE.manifest };
    }
    case 'pax-flood': {
      // 9 MiB of pax headers before the very first entry, each 4 KiB of records a pax reader
      // accepts (path and mtime, again and again): all of it before any signature can be checked.
      const sig = entries.findIndex((e) => e.name === BUNDLE.checksumsSignature);
      entries[sig] = { ...entries[sig]!, extended: paxFlood(BUNDLE.checksumsSignature, 2048) };
      return { file: await writeRaw(entries), subject: BUNDLE.checksumsSignature };
    }
    case 'manifest-before-sums': {
      const m = entries.findIndex((e) => e.name === BUNDLE.manifest);
      const [manifest] = entries.splice(m, 1);
      const s = entries.findIndex((e) => e.name === BUNDLE.checksums);
      entries.splice(s, 0, manifest!);
      return { file: await writeRaw(entries), subject: BUNDLE.manifest };
    }
  }
}

/**
 * `count` pax headers named PaxHeaders/NAME, each exactly 4096 bytes of records that set
 * only `path` (to NAME) and `mtime`: accepted by any pax reader, and useless.
 */
export function paxFlood(name: string, count: number): RawExtendedHeader[] {
  const first = paxRecords([['path', name]]);
  const mtime = paxRecords([['mtime', '1577836800']]);
  // Whole mtime records up to at most 4096 - 40 bytes, then one last mtime record (its
  // value padded with zeros) that makes it exactly 4096.
  const count0 = Math.floor((4096 - 40 - first.length) / mtime.length);
  let data = Buffer.concat([first, ...Array.from({ length: count0 }, () => mtime)]);
  let value = '1';
  while (data.length + paxRecords([['mtime', value]]).length < 4096) value += '0';
  data = Buffer.concat([data, paxRecords([['mtime', value]])]);
  if (data.length !== 4096) throw new Error(`paxFlood: ${data.length} bytes`);
  return Array.from({ length: count }, () => ({ type: 'x' as const, name: `PaxHeaders/${name}`, data }));
}

/** A stand-in for `npm pack` output that passes the tool-package checks (plain tar; the reader sniffs gzip). */
export function fakeToolArchive(deps: string[] = ['openpgp', 'tar']): Buffer {
  const pkg = {
    name: 'airgap',
    version: '0.1.0',
    bin: { airgap: 'bin/run.js' },
    dependencies: { openpgp: '^6.3.2', tar: '^7.5.23' },
    bundleDependencies: ['openpgp', 'tar'],
  };
  return buildTar([
    { name: 'package/package.json', body: Buffer.from(`${JSON.stringify(pkg, null, 2)}\n`) },
    { name: 'package/bin/run.js', body: Buffer.from('#!/usr/bin/env node\n'), mode: 0o755 },
    { name: 'package/dist/commands/mirror.js', body: Buffer.from('export default class {}\n') },
    ...deps.map((d) => ({
      name: `package/node_modules/${d}/package.json`,
      body: Buffer.from(`{"name":"${d}"}\n`),
    })),
  ]);
}
