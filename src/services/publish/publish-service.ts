// `airgap publish DIR s3://BUCKET/PREFIX/`: the provider mirror of a bundle directory
// or an import destination, published as a Provider Network Mirror under
// PREFIX/providers/, and a CLI configuration naming it. Stages:
//   1. read and check the source (source.ts);
//   2. list PREFIX/providers/ and learn the sha256 of objects that may be unchanged;
//   3. plan (core/publish/plan.ts): uploads in reader-safe order, skips, deletions;
//   4. unless a dry run: upload group by group (all zips, then VERSION.json, then
//      index.json; within a group in parallel), then prune, then write the tofurc.
// Each group finishes before the next starts, so at every moment a reader of the
// mirror sees JSON that names only objects already there.

import path from 'node:path';

import { writeFileAtomic } from '../../adapters/fs/atomic.js';
import { renderTofurc } from '../../core/config/tofurc.js';
import { IMPORT, PUBLISH } from '../../core/layout/names.js';
import { publishedMirrorUrl, type MirrorUrlInput } from '../../core/publish/mirror-url.js';
import {
  objectsToInspect,
  planPublish,
  publishedPath,
  type MirrorObjectKind,
  type PlannedUpload,
  type PublishPlan,
  type RemoteObject,
  type SourceFile,
} from '../../core/publish/plan.js';
import { renderDryRun } from '../../core/publish/render.js';
import type { Reporter } from '../../core/ports.js';
import { mapLimit } from '../concurrency.js';
import { readPublishSource, type PublishSource } from './source.js';
import type { MirrorStore } from '../../core/publish/store.js';
import { formatS3Url, parseS3Url, type S3Location } from '../../core/s3/url.js';
import { connectS3, type S3AccessOptions } from '../../adapters/s3/client.js';
import { createMirrorStore } from '../../adapters/s3/mirror-store.js';

export interface PublishOptions {
  /** Bundle directory or import destination; relative to `cwd`. */
  dir: string;
  /** s3://BUCKET/PREFIX/ (a missing final slash is added). */
  target: string;
  /** Credentials, endpoint, proxy, CA and encryption of the S3 connection. */
  s3: S3AccessOptions;
  /** --mirror-url: the https address runners reach PREFIX/providers/ at. */
  mirrorUrl?: string;
  /** --tofurc-out; default DIR/tofurc.network-mirror for an import destination, ./tofurc.network-mirror for a bundle. */
  tofurcOut?: string;
  prune: boolean;
  dryRun: boolean;
  /** Parallel uploads within one group. */
  concurrency: number;
  cwd: string;
}

export interface PublishedObject {
  /** Relative to the mirror (PREFIX/providers/). */
  path: string;
  size: number;
}

/** The `--json` result of `airgap publish` (docs/JSON-OUTPUT.md). */
export interface PublishResult {
  schemaVersion: 1;
  source: { kind: PublishSource['kind']; dir: string; generation?: string };
  /** s3://BUCKET/PREFIX/providers/ */
  target: string;
  /** The network_mirror url in the tofurc. */
  mirrorUrl: string;
  /** The tofurc written; null on a dry run. */
  tofurc: string | null;
  dryRun: boolean;
  /** In upload order (on a dry run: what would be uploaded). */
  uploaded: (PublishedObject & { contentType: string; sha256: string })[];
  unchanged: number;
  /** In deletion order (on a dry run: what would be deleted). */
  deleted: PublishedObject[];
  /** Objects the source no longer has, left in place without --prune. */
  kept: PublishedObject[];
  bytesUploaded: number;
  /** The --dry-run text, line by line; empty otherwise. */
  dryRunLines: string[];
}

const GROUPS: readonly MirrorObjectKind[] = ['zip', 'version-json', 'index-json'];

export async function publishMirror(options: PublishOptions, reporter: Reporter): Promise<PublishResult> {
  const location = parseS3Url(options.target, 'TARGET', 'prefix');
  const conn = connectS3(options.s3);
  try {
    const region = await conn.client.config.region();
    const store = createMirrorStore(conn, location.bucket);
    return await publishTo(store, { ...options, location, region }, reporter);
  } finally {
    await conn.close();
  }
}

interface Resolved extends PublishOptions {
  location: S3Location;
  region: string;
}

async function publishTo(store: MirrorStore, options: Resolved, reporter: Reporter): Promise<PublishResult> {
  const dir = path.resolve(options.cwd, options.dir);
  const source = await readPublishSource(dir);
  for (const p of source.ignored) reporter.warn(`not published (not part of a network mirror): ${p}`);

  const { bucket, key: prefix } = options.location;
  const mirrorPrefix = `${prefix}${PUBLISH.providersPrefix}`;
  const target = formatS3Url({ bucket, key: mirrorPrefix });
  const urlInput: MirrorUrlInput = {
    bucket,
    prefix,
    pathStyle: options.s3.pathStyle === true,
    region: options.region,
    ...(options.s3.endpoint === undefined ? {} : { endpoint: options.s3.endpoint }),
  };
  // Checked (and the tofurc rendered) before anything is uploaded: a bad --mirror-url
  // must not leave a half-announced mirror.
  const mirrorUrl = publishedMirrorUrl(urlInput, options.mirrorUrl);
  const tofurcText = renderTofurc({ networkMirrorUrl: mirrorUrl });
  const tofurcPath = path.resolve(
    options.cwd,
    options.tofurcOut ??
      (source.kind === 'import-destination' ? path.join(dir, IMPORT.networkMirrorTofurc) : PUBLISH.tofurc),
  );

  // Planned by object path; uploaded from the file each came from.
  const files = source.files.map((f) => ({ ...f, path: publishedPath(f.path) }));
  const localPath = new Map(files.map((f, i) => [f.path, source.files[i]!.path]));
  const remote = await listRemote(store, mirrorPrefix, files, options.concurrency);
  const plan = planPublish(files, remote, { prune: options.prune });
  const base = {
    schemaVersion: 1 as const,
    source: {
      kind: source.kind,
      dir,
      ...(source.generation === undefined ? {} : { generation: source.generation }),
    },
    target,
    mirrorUrl,
    unchanged: plan.unchanged.length,
    kept: plan.kept.map(({ path: p, size }) => ({ path: p, size })),
    uploaded: plan.uploads.map((u) => ({
      path: u.path,
      size: u.size,
      contentType: u.contentType,
      sha256: u.sha256,
    })),
    deleted: plan.deletions.map(({ path: p, size }) => ({ path: p, size })),
  };
  if (options.dryRun) {
    return { ...base, tofurc: null, dryRun: true, bytesUploaded: 0, dryRunLines: renderDryRun(plan, target) };
  }

  const bytesUploaded = await upload(
    store,
    plan,
    (p) => localFile(source, localPath, p),
    mirrorPrefix,
    options.concurrency,
    reporter,
  );
  for (const d of plan.deletions) await store.delete(`${mirrorPrefix}${d.path}`);
  for (const k of plan.kept) reporter.info(`kept (not in the source; --prune deletes it): ${k.path}`);
  await writeFileAtomic(tofurcPath, tofurcText);
  return { ...base, tofurc: tofurcPath, dryRun: false, bytesUploaded, dryRunLines: [] };
}

function localFile(
  source: PublishSource,
  localPath: ReadonlyMap<string, string>,
  objectPath: string,
): string {
  const rel = localPath.get(objectPath) ?? objectPath;
  return path.join(source.providersDir, ...rel.split('/'));
}

async function listRemote(
  store: MirrorStore,
  mirrorPrefix: string,
  files: readonly SourceFile[],
  concurrency: number,
): Promise<RemoteObject[]> {
  const listed = (await store.list(mirrorPrefix)).map((o) => ({
    path: o.key.slice(mirrorPrefix.length),
    size: o.size,
  }));
  const inspect = new Set(objectsToInspect(files, listed));
  return mapLimit(listed, concurrency, async (o): Promise<RemoteObject> => {
    if (!inspect.has(o.path)) return o;
    const sha256 = await store.sha256Of(`${mirrorPrefix}${o.path}`);
    return sha256 === undefined ? o : { ...o, sha256 };
  });
}

async function upload(
  store: MirrorStore,
  plan: PublishPlan,
  fileOf: (objectPath: string) => string,
  mirrorPrefix: string,
  concurrency: number,
  reporter: Reporter,
): Promise<number> {
  const total = plan.uploads.reduce((t, u) => t + u.size, 0);
  const label = `publishing to ${mirrorPrefix}`;
  let done = 0;
  reporter.progress?.({ phase: 'task', label, done, total });
  for (const kind of GROUPS) {
    const group: PlannedUpload[] = plan.uploads.filter((u) => u.kind === kind);
    await mapLimit(group, concurrency, async (u) => {
      await store.put({
        key: `${mirrorPrefix}${u.path}`,
        file: fileOf(u.path),
        size: u.size,
        sha256: u.sha256,
        contentType: u.contentType,
      });
      done += u.size;
      reporter.progress?.({ phase: 'task', label, done, total });
    });
  }
  return done;
}
