// `airgap verify DIR` where DIR is an import destination (docs/IMPORT-STATE.md): the
// filesystem mirror under DIR/providers against its own network-mirror JSON, and the
// imports DIR/airgap-state.json records against the mirror.
//   - every archive a VERSION.json lists: the zip is there, and its zh: (sha256) and
//     h1: (unpacked files) are both among the hashes VERSION.json serves to tofu;
//   - every version an index.json lists has its VERSION.json;
//   - every provider, version and platform of the current import is in the mirror;
//   - files below providers/ that no JSON names are warnings, links are failures;
//   - the registry modules at DIR/modules the state records: each zip is there with the
//     size and sha256 recorded (modules carry no signature of their own: the bundle's
//     signed SHA256SUMS pinned these bytes at import); unlisted files warn, links fail;
//   - the runner image at DIR/image, when the state records one: every blob hashes to
//     its name, index.json names the recorded index digest, every document, config and
//     layer the index reaches is there with its size, and each recorded platform is in it;
//   - DIR/tofurc.oci, when a push wrote one: each oci_mirror block by tofu's rules, and
//     with --lockfile, that each lock file records the zh: of every package it serves
//     (tofu installs from an OCI mirror nothing else: src/core/transfer/oci-mirror-checks.ts).
// The release binaries under bin/ are unpacked executables whose zips are not kept,
// so there is nothing signed to check them against; they are not rows here.

import fs from 'node:fs/promises';
import path from 'node:path';

import { sha256File } from '../../adapters/fs/sha256-file.js';
import { ZipHashPool } from '../../adapters/workers/zip-hash-pool.js';
import { compareStrings } from '../../core/compare.js';
import { AirgapError, isAirgapError } from '../../core/errors.js';
import { layoutBlobPath, OCI_LAYOUT } from '../../core/image/oci-image.js';
import { IMPORT, MIRROR, providerDir } from '../../core/layout/names.js';
import {
  parseIndexJson,
  parseVersionJson,
  type MirrorArchives,
} from '../../core/mirror/network-mirror-json.js';
import { readOciMirrors } from '../../core/config/tofurc-oci.js';
import { parseProviderAddress } from '../../core/provider/address.js';
import { ociLockfileRows, ociTofurcRows } from '../../core/transfer/oci-mirror-checks.js';
import { parseImportState, type ImportState } from '../../core/transfer/import-state.js';
import {
  lockfileRows,
  packageSubject,
  type LockNeed,
  type PackageIndex,
  type ZipDigestResult,
} from '../../core/transfer/verify-checks.js';
import type { CheckRow } from '../../core/transfer/verify-report.js';
import { readImageLayout } from '../import/push-image.js';
import { createLimiter } from '../concurrency.js';

export interface DestinationCheck {
  rows: CheckRow[];
  /** The bundle digest of the current import, when the state file was readable. */
  bundleDigest?: string;
}

interface Found {
  rel: string;
  kind: 'file' | 'directory' | 'other';
}

export async function verifyImportDestination(
  dir: string,
  needs: readonly LockNeed[],
): Promise<DestinationCheck> {
  const rows: CheckRow[] = [];
  const statePath = path.join(dir, IMPORT.state);
  let state: ImportState | undefined;
  try {
    state = parseImportState(await fs.readFile(statePath, 'utf8'), statePath);
    rows.push(stateRow(state));
  } catch (e) {
    if (!isAirgapError(e)) {
      throw new AirgapError('FS_ERROR', `cannot read ${statePath}: ${(e as Error).message}`, {
        path: statePath,
        cause: e,
      });
    }
    rows.push({ check: 'state', subject: IMPORT.state, status: 'failed', code: e.code, detail: e.message });
  }

  const root = path.join(dir, IMPORT.providersDir);
  const found = await walk(root);
  const known = new Set<string>();
  const digests = new Map<string, ZipDigestResult>();
  const listed: { address: string; version: string; packages: { platform: string; path: string }[] }[] = [];
  const index: PackageIndex = { platforms: state?.current.contents.platforms ?? [], providers: listed };
  // Each zip is read on one of the pool's threads (started with the first).
  const pool = new ZipHashPool();
  try {
    const zipH1 = (file: string): Promise<string> => pool.h1(file);
    rows.push(...(await mirrorRows(root, found, known, digests, listed, zipH1, pool.threads)));
  } finally {
    await pool.close();
  }
  if (state !== undefined) rows.push(...importedRows(state, index));
  for (const f of found) {
    if (f.kind === 'directory' || known.has(f.rel)) continue;
    rows.push(
      f.kind === 'other'
        ? {
            check: 'extra',
            subject: `providers/${f.rel}`,
            status: 'failed',
            code: 'ARCHIVE_ENTRY_UNSAFE',
            detail: `providers/${f.rel} is not a regular file or directory (a link or special file in the mirror)`,
          }
        : {
            check: 'extra',
            subject: `providers/${f.rel}`,
            status: 'warning',
            detail: `providers/${f.rel} is named by no index.json or VERSION.json`,
          },
    );
  }
  rows.push(...(await imageRows(dir, state)));
  rows.push(...(await moduleRows(dir, state)));
  rows.push(...lockfileRows(needs, index, digests));
  rows.push(...(await ociMirrorRows(dir, needs, index, digests)));
  return { rows, ...(state === undefined ? {} : { bundleDigest: state.current.bundleDigest }) };
}

/** A settled provider row; an archive's, with what to do when it is ok, or the error its check threw. */
type Settled = { row: CheckRow; ifOk?: () => void } | { error: unknown };

/**
 * The provider rows, in the walk's order: each version an index.json lists without its
 * VERSION.json, each VERSION.json that does not read, and each archive a VERSION.json lists
 * (checked `parallel` at once, each zip's h1 from `zipH1`); an archive found ok is added to
 * its entry in `listed`.
 */
async function mirrorRows(
  root: string,
  found: readonly Found[],
  known: Set<string>,
  digests: Map<string, ZipDigestResult>,
  listed: PackageIndex['providers'][number][],
  zipH1: (file: string) => Promise<string>,
  parallel: number,
): Promise<CheckRow[]> {
  const limit = createLimiter(parallel);
  const providerRows: Promise<Settled>[] = [];
  const row = (r: CheckRow): void => void providerRows.push(Promise.resolve({ row: r }));
  for (const f of found.filter((x) => x.kind === 'file' && isMirrorJson(x.rel))) {
    known.add(f.rel);
    const parts = f.rel.split('/');
    const address = parts.slice(0, 3).join('/');
    const name = parts[3]!;
    const text = await fs.readFile(path.join(root, f.rel), 'utf8');
    try {
      if (name === MIRROR.index) {
        for (const v of parseIndexJson(text, `providers/${f.rel}`)) {
          if (!found.some((x) => x.rel === `${address}/${v}.json`)) {
            row({
              check: 'provider',
              subject: `${address} ${v}`,
              status: 'failed',
              code: 'BUNDLE_FILE_MISSING',
              detail: `providers/${f.rel} lists version ${v}, but providers/${address}/${v}.json is missing`,
            });
          }
        }
        continue;
      }
      const version = name.slice(0, -'.json'.length);
      const archives = parseVersionJson(text, `providers/${f.rel}`);
      const entry = { address, version, packages: [] as { platform: string; path: string }[] };
      listed.push(entry);
      for (const [platform, archive] of Object.entries(archives).sort(([a], [b]) => compareStrings(a, b))) {
        const ifOk = (): number => entry.packages.push({ platform, path: `${address}/${archive.url}` });
        const check = limit(() =>
          checkArchive(root, address, version, platform, archive, f.rel, known, digests, zipH1),
        );
        providerRows.push(
          check.then(
            (r): Settled => ({ row: r, ifOk }),
            (error: unknown): Settled => ({ error }),
          ),
        );
      }
    } catch (e) {
      if (!isAirgapError(e)) throw e;
      row({
        check: 'provider',
        subject: `providers/${f.rel}`,
        status: 'failed',
        code: e.code,
        detail: e.message,
      });
    }
  }
  const rows: CheckRow[] = [];
  for (const r of await Promise.all(providerRows)) {
    if ('error' in r) throw r.error;
    if (r.row.status === 'ok') r.ifOk?.();
    rows.push(r.row);
  }
  return rows;
}

function stateRow(state: ImportState): CheckRow {
  const c = state.current;
  const signer =
    c.signer === null
      ? 'imported with --insecure-skip-signature'
      : `signed by ${c.signer.primaryKeyFingerprint}`;
  return {
    check: 'state',
    subject: IMPORT.state,
    status: c.signer === null ? 'warning' : 'ok',
    detail: `import ${c.sequence} (generation ${c.generation}): bundle ${c.bundleDigest} created ${c.createdAt}, ${signer}`,
  };
}

/** HOST/NS/TYPE/index.json or HOST/NS/TYPE/VERSION.json. */
function isMirrorJson(rel: string): boolean {
  const parts = rel.split('/');
  return parts.length === 4 && parts[3]!.endsWith('.json');
}

async function checkArchive(
  root: string,
  address: string,
  version: string,
  platform: string,
  archive: MirrorArchives[string],
  jsonRel: string,
  known: Set<string>,
  digests: Map<string, ZipDigestResult>,
  zipH1: (file: string) => Promise<string>,
): Promise<CheckRow> {
  const subject = packageSubject(address, version, platform);
  const fail = (code: AirgapError['code'], detail: string): CheckRow => ({
    check: 'provider',
    subject,
    status: 'failed',
    code,
    detail,
  });
  if (archive.url === '' || /[/\\]/.test(archive.url) || archive.url === '..' || archive.url === '.') {
    return fail(
      'ARCHIVE_ENTRY_UNSAFE',
      `providers/${jsonRel} points ${platform} at ${JSON.stringify(archive.url)}, not a file beside it`,
    );
  }
  const rel = `${address}/${archive.url}`;
  known.add(rel);
  const file = path.join(root, rel);
  let sha256: string;
  try {
    const st = await fs.lstat(file);
    if (!st.isFile()) return fail('ARCHIVE_ENTRY_UNSAFE', `providers/${rel} is not a regular file`);
    sha256 = (await sha256File(file)).sha256;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    return fail(
      'BUNDLE_FILE_MISSING',
      `providers/${jsonRel} lists providers/${rel} for ${platform}, but it is missing`,
    );
  }
  const zh = `zh:${sha256}`;
  const served = archive.hashes.join(', ');
  if (!archive.hashes.includes(zh)) {
    return fail(
      'CHECKSUM_MISMATCH',
      `providers/${rel}: ${zh} is not among the hashes providers/${jsonRel} serves (${served})`,
    );
  }
  let h1: string;
  try {
    h1 = await zipH1(file);
  } catch (e) {
    if (!isAirgapError(e)) throw e;
    return fail(e.code, e.message);
  }
  if (!archive.hashes.includes(h1)) {
    return fail(
      'CHECKSUM_MISMATCH',
      `providers/${rel}: ${h1} (its unpacked files) is not among the hashes providers/${jsonRel} serves (${served})`,
    );
  }
  digests.set(rel, { sha256, h1 });
  return { check: 'provider', subject, status: 'ok', detail: `${h1} ${zh}` };
}

/** Every provider, version and platform of the current import must be in the mirror, verified. */
function importedRows(state: ImportState, index: PackageIndex): CheckRow[] {
  const rows: CheckRow[] = [];
  for (const p of state.current.contents.providers) {
    let dir: string;
    try {
      dir = providerDir(parseProviderAddress(p.address));
    } catch {
      dir = p.address;
    }
    const entry = index.providers.find((x) => x.address === dir && x.version === p.version);
    for (const platform of p.platforms) {
      const subject = packageSubject(p.address, p.version, platform);
      const ok = entry?.packages.some((k) => k.platform === platform) === true;
      rows.push(
        ok
          ? { check: 'state', subject, status: 'ok', detail: `imported, and in the mirror verified` }
          : {
              check: 'state',
              subject,
              status: 'failed',
              code: 'BUNDLE_FILE_MISSING',
              detail: `${IMPORT.state} records ${subject} as imported, but providers/ has no verified package for it`,
            },
      );
    }
  }
  return rows;
}

/** DIR/tofurc.oci (written by --push-providers) and the lock files against it; nothing without one. */
async function ociMirrorRows(
  dir: string,
  needs: readonly LockNeed[],
  index: PackageIndex,
  digests: ReadonlyMap<string, ZipDigestResult>,
): Promise<CheckRow[]> {
  const file = IMPORT.ociTofurc;
  let text: string;
  try {
    text = await fs.readFile(path.join(dir, file), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new AirgapError('FS_ERROR', `cannot read ${path.join(dir, file)}: ${(e as Error).message}`, {
      path: path.join(dir, file),
      cause: e,
    });
  }
  let mirrors;
  try {
    mirrors = readOciMirrors(text, file);
  } catch (e) {
    if (!isAirgapError(e)) throw e;
    return [
      {
        check: 'state',
        subject: file,
        status: 'warning',
        code: e.code,
        detail: `tofu cannot read ${file}: ${e.message}; push the providers again (airgap import --push-providers) to rewrite it`,
      },
    ];
  }
  return [...ociTofurcRows(file, mirrors), ...ociLockfileRows(file, mirrors, needs, index, digests)];
}

const BLOB_FILE = /^blobs\/sha256\/([0-9a-f]{64})$/;

/** DIR/image against the image airgap-state.json records; nothing when it records none. */
async function imageRows(dir: string, state: ImportState | undefined): Promise<CheckRow[]> {
  const image = state?.current.contents.image;
  if (image === undefined) return [];
  const root = path.join(dir, IMPORT.imageDir);
  const shown = (rel: string): string => `${IMPORT.imageDir}/${rel}`;
  const subject = `${IMPORT.imageDir} ${image.ref}`;
  const found = await walk(root);
  if (found.length === 0) {
    return [
      {
        check: 'state',
        subject,
        status: 'failed',
        code: 'BUNDLE_FILE_MISSING',
        detail: `${IMPORT.state} records the runner image ${image.digest}, but ${IMPORT.imageDir}/ is missing or empty`,
      },
    ];
  }
  const rows: CheckRow[] = [];
  const blobs = new Set<string>();
  for (const f of found) {
    if (f.kind === 'directory') continue;
    if (f.kind === 'other') {
      rows.push({
        check: 'extra',
        subject: shown(f.rel),
        status: 'failed',
        code: 'ARCHIVE_ENTRY_UNSAFE',
        detail: `${shown(f.rel)} is not a regular file or directory (a link or special file in the image layout)`,
      });
      continue;
    }
    const blob = BLOB_FILE.exec(f.rel);
    if (blob === null) {
      if (f.rel === OCI_LAYOUT.markerFile || f.rel === OCI_LAYOUT.index) continue;
      rows.push({
        check: 'extra',
        subject: shown(f.rel),
        status: 'warning',
        detail: `${shown(f.rel)} is not part of an OCI image layout`,
      });
      continue;
    }
    const { sha256, size } = await sha256File(path.join(root, f.rel));
    blobs.add(`sha256:${blob[1]}`);
    rows.push(
      sha256 === blob[1]
        ? { check: 'file', subject: shown(f.rel), status: 'ok', detail: `sha256:${sha256}, ${size} bytes` }
        : {
            check: 'file',
            subject: shown(f.rel),
            status: 'failed',
            code: 'CHECKSUM_MISMATCH',
            detail: `${shown(f.rel)}: sha256 is sha256:${sha256}, but an OCI layout blob must hash to its name`,
          },
    );
  }
  try {
    const marker = await fs.readFile(path.join(root, OCI_LAYOUT.markerFile), 'utf8');
    if (JSON.parse(marker)?.imageLayoutVersion !== '1.0.0') throw new Error('not image layout version 1.0.0');
  } catch (e) {
    rows.push({
      check: 'file',
      subject: shown(OCI_LAYOUT.markerFile),
      status: 'failed',
      code: 'IMAGE_INVALID',
      detail: `${shown(OCI_LAYOUT.markerFile)} is not an OCI layout marker (${OCI_LAYOUT.markerText}): ${(e as Error).message}`,
    });
  }
  try {
    // Blob hashes were checked above, row by row; this checks what reaches what.
    const { plan } = await readImageLayout(root, IMPORT.imageDir, image, { hashBlobs: false });
    const reached = new Set([
      plan.index.digest,
      ...plan.manifests.map((m) => m.digest),
      ...plan.blobs.map((b) => b.digest),
    ]);
    for (const digest of [...blobs].filter((d) => !reached.has(d)).sort(compareStrings)) {
      rows.push({
        check: 'extra',
        subject: shown(layoutBlobPath(digest)),
        status: 'warning',
        detail: `${shown(layoutBlobPath(digest))} is reached from no manifest of the image ${image.ref}`,
      });
    }
    rows.push({
      check: 'state',
      subject,
      status: 'ok',
      detail: `index ${image.digest}: ${plan.manifests.map((m) => `${m.platform} ${m.digest}`).join(', ')}`,
    });
  } catch (e) {
    if (!isAirgapError(e)) throw e;
    rows.push({ check: 'state', subject, status: 'failed', code: e.code, detail: e.message });
  }
  return rows;
}

async function moduleRows(dir: string, state: ImportState | undefined): Promise<CheckRow[]> {
  const modules = state?.current.contents.modules ?? [];
  const root = path.join(dir, IMPORT.modulesDir);
  const found = await walk(root);
  if (modules.length === 0 && found.length === 0) return [];
  const rows: CheckRow[] = [];
  const listed = new Set<string>();
  for (const m of modules) {
    const rel = m.path.split('/').slice(1).join('/');
    listed.add(rel);
    const subject = `${m.source} ${m.version}`;
    const entry = found.find((f) => f.rel === rel);
    if (entry === undefined || entry.kind !== 'file') {
      rows.push({
        check: 'module',
        subject,
        status: 'failed',
        code: 'BUNDLE_FILE_MISSING',
        detail: `${IMPORT.state} records ${m.path}, but it is ${entry === undefined ? 'missing' : 'not a regular file'}`,
      });
      continue;
    }
    const got = await sha256File(path.join(root, ...rel.split('/')));
    rows.push(
      got.sha256 === m.sha256 && got.size === m.size
        ? {
            check: 'module',
            subject,
            status: 'ok',
            detail: `${m.path}: sha256 ${m.sha256} as recorded (modules carry no signature: the bundle's signed SHA256SUMS pinned these bytes)`,
          }
        : {
            check: 'module',
            subject,
            status: 'failed',
            code: 'CHECKSUM_MISMATCH',
            detail: `${m.path}: sha256 ${got.sha256} (${got.size} bytes), but ${IMPORT.state} records ${m.sha256} (${m.size} bytes)`,
          },
    );
  }
  for (const f of found) {
    if (f.kind === 'directory' || listed.has(f.rel)) continue;
    const shown = `${IMPORT.modulesDir}/${f.rel}`;
    rows.push(
      f.kind === 'other'
        ? {
            check: 'extra',
            subject: shown,
            status: 'failed',
            code: 'ARCHIVE_ENTRY_UNSAFE',
            detail: `${shown} is not a regular file or directory (a link or special file among the modules)`,
          }
        : {
            check: 'extra',
            subject: shown,
            status: 'warning',
            detail: `${shown} is recorded by no module in ${IMPORT.state}`,
          },
    );
  }
  return rows;
}

async function walk(root: string): Promise<Found[]> {
  const out: Found[] = [];
  let real: string;
  try {
    // DIR/providers is the stable symlink into the live generation: follow that one.
    real = await fs.realpath(root);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw new AirgapError('FS_ERROR', `cannot read ${root}: ${(e as Error).message}`, {
      path: root,
      cause: e,
    });
  }
  async function visit(d: string, prefix: string): Promise<void> {
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const rel = prefix === '' ? e.name : `${prefix}/${e.name}`;
      if (e.isDirectory()) {
        out.push({ rel, kind: 'directory' });
        await visit(path.join(d, e.name), rel);
      } else out.push({ rel, kind: e.isFile() ? 'file' : 'other' });
    }
  }
  await visit(real, '');
  return out.sort((a, b) => compareStrings(a.rel, b.rel));
}
