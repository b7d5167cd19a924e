// The bundle directory as it stands, read (never written) for `airgap plan`: the
// network-mirror VERSION.json files that say which packages were verified, files'
// digests and texts, and the listing of the areas mirror prunes. Each file is read and
// hashed at most once per run.

import fs from 'node:fs/promises';
import path from 'node:path';
import { readFileIfExists } from '../../adapters/fs/atomic.js';
import { sha256File } from '../../adapters/fs/sha256-file.js';
import { walkTree } from '../../adapters/fs/walk.js';
import type { BundleManifest } from '../../core/bundle/manifest.js';
import { TEMP_PREFIX, providerVersionJsonPath } from '../../core/layout/names.js';
import { parseVersionJson, type MirrorArchives } from '../../core/mirror/network-mirror-json.js';
import type { ProviderAddress } from '../../core/provider/address.js';
import { readPreviousManifest } from '../mirror/bundle-writer.js';

export interface FileDigest {
  sha256: string;
  size: number;
}

export class BundleState {
  private readonly versionJsons = new Map<string, Promise<MirrorArchives>>();
  private readonly digests = new Map<string, Promise<FileDigest | undefined>>();

  private constructor(
    /** Absolute. */
    readonly outDir: string,
    /** airgap.json, when the directory has one this airgap reads. */
    readonly manifest: BundleManifest | undefined,
    private readonly hashSlot: <R>(fn: () => Promise<R>) => Promise<R>,
  ) {}

  static async open(outDir: string, hashSlot: <R>(fn: () => Promise<R>) => Promise<R>): Promise<BundleState> {
    return new BundleState(outDir, await readPreviousManifest(outDir), hashSlot);
  }

  abs(rel: string): string {
    return path.join(this.outDir, ...rel.split('/'));
  }

  /** The packages a provider version's VERSION.json lists (those mirror verified), by platform. */
  versionJson(address: ProviderAddress, version: string): Promise<MirrorArchives> {
    const rel = `providers/${providerVersionJsonPath(address, version)}`;
    let p = this.versionJsons.get(rel);
    if (p === undefined) {
      const file = this.abs(rel);
      p = readFileIfExists(file).then((text) => (text === undefined ? {} : parseVersionJson(text, file)));
      this.versionJsons.set(rel, p);
    }
    return p;
  }

  /** A regular file's sha256 and size, or undefined when there is none (hashing shares the run's slots). */
  digest(rel: string): Promise<FileDigest | undefined> {
    let p = this.digests.get(rel);
    if (p === undefined) {
      p = this.hashSlot(() => sha256File(this.abs(rel))).catch(() => undefined);
      this.digests.set(rel, p);
    }
    return p;
  }

  text(rel: string): Promise<string | undefined> {
    return readFileIfExists(this.abs(rel));
  }

  async size(rel: string): Promise<number | undefined> {
    const st = await fs.lstat(this.abs(rel)).catch(() => undefined);
    return st?.isFile() === true ? st.size : undefined;
  }

  /** Bundle-relative paths of everything but directories below `area`; temp files left out, as mirror's prune lists them. */
  async list(area: string): Promise<string[]> {
    const root = this.abs(area);
    const st = await fs.lstat(root).catch(() => undefined);
    if (st?.isDirectory() !== true) return [];
    const out: string[] = [];
    for await (const e of walkTree(root, {
      symlinks: 'report',
      descend: (d) => !d.name.startsWith(TEMP_PREFIX),
    })) {
      if (e.kind === 'directory' || e.name.startsWith(TEMP_PREFIX)) continue;
      out.push(`${area}/${e.rel}`);
    }
    return out;
  }
}
