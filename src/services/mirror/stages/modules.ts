// Stage: registry modules (issue 13; docs/BUNDLE-FORMAT.md, "modules"). What the request
// names (spec `modules:`, --module) and every registry `module` call of its
// configurations (`configurations:`, --configuration) is resolved through the Module
// Registry Protocol to one version per constraint, fetched from the location the
// registry gives (git at a ref, or an https archive), and packed as one deterministic zip
// at modules/HOST/NS/NAME/SYSTEM/VERSION.zip. A fetched module's own registry calls are
// resolved in turn; its local calls stay inside its zip.
//
// Modules carry no signatures in either ecosystem, so what the bundle pins is the zip's
// sha256 (and, for git, the commit): a later run that fetches the same version and gets
// other bytes fails with MODULE_CHANGED instead of quietly carrying something new.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { packModuleTree } from '../../../adapters/archive/module-pack.js';
import { removeStaleTemps } from '../../../adapters/fs/atomic.js';
import { sha256File } from '../../../adapters/fs/sha256-file.js';
import { caSources, loadTrustedCas } from '../../../adapters/http/ca.js';
import type { ModuleRegistry } from '../../../adapters/registry/module-registry-client.js';
import type { ManifestModule } from '../../../core/bundle/manifest.js';
import type { ResolvedModule } from '../../../core/bundle/resolved.js';
import { compareStrings } from '../../../core/compare.js';
import { AirgapError, AirgapErrors, isAirgapError } from '../../../core/errors.js';
import { BUNDLE, TEMP_PREFIX, modulePackagePath } from '../../../core/layout/names.js';
import { formatModuleAddress, type ModuleSource } from '../../../core/module/address.js';
import { parseModuleLocation } from '../../../core/module/location.js';
import { selectModuleVersion } from '../../../core/module/select.js';
import type { ModuleWanted } from '../../../core/mirror/request.js';
import type { HttpClient, Reporter } from '../../../core/ports.js';
import { redactText } from '../../../core/redact.js';
import { createLimiter } from '../../concurrency.js';
import { readPreviousManifest } from '../bundle-writer.js';
import { registryCallsIn } from '../modules/calls-in-dir.js';
import { fetchModuleTree } from '../modules/fetch.js';

export interface ModulesInput {
  outDir: string;
  wanted: readonly ModuleWanted[];
  /** Configuration directories, resolved. */
  configurations: readonly string[];
  defaultHost: string;
  /** Paths in messages and lock entries are shown relative to this. */
  base: string;
  caCertFiles: readonly string[];
  env: Record<string, string | undefined>;
  concurrency: number;
}

export interface ModulesResult {
  modules: ManifestModule[];
  resolved: ResolvedModule[];
}

/** One constraint on one module, with what asked for it. */
export interface ModuleRequest {
  address: ModuleSource;
  key: string;
  constraint?: string;
  by: string;
  /** Where the constraint was written, for messages. */
  where: string;
}

interface Job {
  address: ModuleSource;
  key: string;
  version: string;
  requestedBy: Set<string>;
  constraints: Set<string>;
}

export async function mirrorModules(
  input: ModulesInput,
  deps: { http: HttpClient; registry: ModuleRegistry; reporter: Reporter },
): Promise<ModulesResult> {
  const requests = await moduleRequests(input);
  if (requests.length === 0) return { modules: [], resolved: [] };

  const previous = new Map(
    ((await readPreviousManifest(input.outDir))?.modules ?? []).map((m) => [`${m.source} ${m.version}`, m]),
  );
  // Fetches happen under modules/ (one filesystem with the zips, so a zip is renamed into
  // place); what a crashed run left there is removed first.
  const area = path.join(input.outDir, BUNDLE.modulesDir);
  await removeStaleTemps(area);
  const work = path.join(area, `${TEMP_PREFIX}work-${randomBytes(6).toString('hex')}`);
  await fs.mkdir(work, { recursive: true });
  const slot = createLimiter(Math.max(1, input.concurrency));
  const jobs = new Map<string, Job>();
  const done = new Map<string, { entry: ManifestModule; job: Job }>();
  try {
    const gitCaFile = await gitCaBundle(work, input.caCertFiles, input.env);
    let pending = requests;
    while (pending.length > 0) {
      // Resolve this wave's constraints to versions; new versions become jobs.
      const fresh: Job[] = [];
      const errors: AirgapError[] = [];
      await Promise.all(
        pending.map(async (r) => {
          try {
            const listed = await deps.registry.versions(r.address);
            const version = selectModuleVersion(listed, r.constraint, r.key, r.where);
            const id = `${r.key} ${version}`;
            let job = jobs.get(id);
            if (job === undefined) {
              job = {
                address: r.address,
                key: r.key,
                version,
                requestedBy: new Set(),
                constraints: new Set(),
              };
              jobs.set(id, job);
              fresh.push(job);
            }
            job.requestedBy.add(r.by);
            job.constraints.add(r.constraint ?? '');
          } catch (e) {
            errors.push(asError(e, r.where));
          }
        }),
      );
      if (errors.length > 0) throw errors.length === 1 ? errors[0]! : new AirgapErrors(errors);
      const next: ModuleRequest[] = [];
      const failures: AirgapError[] = [];
      await Promise.all(
        fresh.map((job) =>
          slot(async () => {
            try {
              const { entry, calls } = await carryOne(job, input, deps, work, gitCaFile, previous);
              done.set(`${job.key} ${job.version}`, { entry, job });
              next.push(...calls);
            } catch (e) {
              failures.push(asError(e, `module ${job.key}`));
            }
          }),
        ),
      );
      if (failures.length > 0) throw failures.length === 1 ? failures[0]! : new AirgapErrors(failures);
      pending = next.sort((a, b) => compareStrings(a.key, b.key));
    }
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }

  const carried = [...done.values()].sort(
    (a, b) =>
      compareStrings(a.entry.source, b.entry.source) || compareStrings(a.entry.version, b.entry.version),
  );
  const modules = carried.map((d) => d.entry);
  const resolved: ResolvedModule[] = carried.map(({ entry, job }) => ({
    source: entry.source,
    version: entry.version,
    requestedBy: [...job.requestedBy],
    constraints: [...job.constraints],
    location: entry.location,
    ...(entry.commit === undefined ? {} : { commit: entry.commit }),
    ...(entry.subdir === undefined ? {} : { subdir: entry.subdir }),
    sha256: entry.sha256,
  }));
  return { modules, resolved };
}

/** Paths shown relative to `base` (absolute when outside it). */
export function showPathFrom(base: string): (p: string) => string {
  return (p) => {
    const rel = path.relative(base, p);
    return rel.startsWith('..') || path.isAbsolute(rel) ? p : rel.split(path.sep).join('/') || '.';
  };
}

/** What the request asks for: its modules, and the registry calls of its configurations. */
export async function moduleRequests(
  input: Pick<ModulesInput, 'wanted' | 'configurations' | 'defaultHost' | 'base'>,
): Promise<ModuleRequest[]> {
  const show = showPathFrom(input.base);
  const requests: ModuleRequest[] = [];
  for (const w of input.wanted) {
    const key = formatModuleAddress(w.address);
    const constraints = w.constraints.length === 0 ? [undefined] : w.constraints;
    for (const c of constraints) {
      requests.push({
        address: w.address,
        key,
        ...(c === undefined ? {} : { constraint: c }),
        by: w.from,
        where: w.from,
      });
    }
  }
  for (const dir of input.configurations) {
    const calls = await registryCallsIn(dir, {
      defaultHost: input.defaultHost,
      show,
      label: `configuration ${show(dir)}`,
    });
    for (const c of calls) {
      requests.push({
        address: c.address,
        key: formatModuleAddress(c.address),
        ...(c.version === undefined ? {} : { constraint: c.version }),
        by: c.file,
        where: c.at,
      });
    }
  }
  return requests;
}

async function carryOne(
  job: Job,
  input: ModulesInput,
  deps: { http: HttpClient; registry: ModuleRegistry; reporter: Reporter },
  work: string,
  gitCaFile: string | undefined,
  previous: ReadonlyMap<string, ManifestModule>,
): Promise<{ entry: ManifestModule; calls: ModuleRequest[] }> {
  const label = `${job.key} ${job.version}`;
  const raw = await deps.registry.location(job.address, job.version);
  const location = parseModuleLocation(raw, label);
  const shownLocation = redactText(raw);
  const jobDir = path.join(work, randomBytes(6).toString('hex'));
  await fs.mkdir(jobDir);
  const tree = await fetchModuleTree(location, jobDir, label, {
    http: deps.http,
    env: input.env,
    ...(gitCaFile === undefined ? {} : { gitCaFile }),
  });

  const rel = modulePackagePath(job.address, job.version);
  const target = path.join(input.outDir, ...rel.split('/'));
  await fs.mkdir(path.dirname(target), { recursive: true });
  const packed = path.join(jobDir, 'package.zip');
  const { sha256, size } = await packModuleTree(tree.root, packed, label);

  const before = previous.get(`${job.key} ${job.version}`);
  const onDisk = await sha256File(target).catch(() => undefined);
  if (before !== undefined && onDisk !== undefined) {
    const commitChanged =
      before.commit !== undefined && tree.commit !== undefined && before.commit !== tree.commit;
    if (before.sha256 !== sha256 || commitChanged) {
      throw new AirgapError(
        'MODULE_CHANGED',
        `module ${label} changed since this bundle carried it: pinned sha256 ${before.sha256}${before.commit === undefined ? '' : ` (commit ${before.commit})`}, fetched now sha256 ${sha256}${tree.commit === undefined ? '' : ` (commit ${tree.commit})`} from ${shownLocation}`,
        { path: rel, expected: before.sha256, actual: sha256, version: job.version },
        `a published module version should never change: find out why; to carry the new content anyway, delete ${BUNDLE.modulesDir}/... (${rel}) from the bundle and run again`,
      );
    }
  }
  if (onDisk?.sha256 === sha256) {
    deps.reporter.info(`module ${label}: unchanged (${rel})`);
  } else {
    await fs.rename(packed, target);
    deps.reporter.info(
      `module ${label}: packed ${rel}${tree.commit === undefined ? '' : ` from commit ${tree.commit.slice(0, 12)}`}`,
    );
  }

  const moduleDir = tree.subdir === undefined ? tree.root : path.join(tree.root, ...tree.subdir.split('/'));
  const calls = await registryCallsIn(moduleDir, {
    defaultHost: input.defaultHost,
    show: (p) => `${job.key} ${job.version}:${path.relative(tree.root, p).split(path.sep).join('/') || '.'}`,
    within: tree.root,
    label: `module ${label}`,
  });
  const entry: ManifestModule = {
    path: rel,
    size,
    sha256,
    source: job.key,
    version: job.version,
    location: shownLocation,
    ...(tree.commit === undefined ? {} : { commit: tree.commit }),
    ...(tree.subdir === undefined ? {} : { subdir: tree.subdir }),
  };
  return {
    entry,
    calls: calls.map((c) => ({
      address: c.address,
      key: formatModuleAddress(c.address),
      ...(c.version === undefined ? {} : { constraint: c.version }),
      by: `${job.key} ${job.version}`,
      where: c.at,
    })),
  };
}

// git's TLS library reads neither SSL_CERT_FILE nor Node's roots: when the run trusts
// extra CAs, git gets one PEM file with the public roots and those.
async function gitCaBundle(
  work: string,
  caCertFiles: readonly string[],
  env: Record<string, string | undefined>,
): Promise<string | undefined> {
  const cas = loadTrustedCas(caSources(caCertFiles, env));
  if (cas === undefined) return undefined;
  const file = path.join(work, 'ca-bundle.pem');
  await fs.writeFile(file, `${cas.join('\n')}\n`);
  return file;
}

// Every failure names the module (or the call) it happened for.
function asError(e: unknown, context: string): AirgapError {
  if (isAirgapError(e)) {
    if (
      e instanceof AirgapErrors ||
      e.message.startsWith(`${context}:`) ||
      e.message.startsWith(`${context} `)
    )
      return e;
    return new AirgapError(e.code, `${context}: ${e.message}`, e.details, e.remedy);
  }
  return new AirgapError('FS_ERROR', `${context}: ${(e as Error).message}`, { cause: e });
}
