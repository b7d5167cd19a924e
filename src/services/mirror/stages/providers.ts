// Stage: the provider packages. Each planned package is fetched and verified (or found
// verified already) into BUNDLE/providers, then the network-mirror JSON is written for
// what the run holds. Failures are collected, not thrown one by one, so a run reports
// every package that failed.

import fs from 'node:fs/promises';
import path from 'node:path';
import { removeStaleTemps } from '../../../adapters/fs/atomic.js';
import { ZipHashPool } from '../../../adapters/workers/zip-hash-pool.js';
import { fromUnknown, type AirgapError } from '../../../core/errors.js';
import { BUNDLE } from '../../../core/layout/names.js';
import type { PackageJob } from '../../../core/mirror/plan.js';
import type { HttpClient, ProviderRegistry, Reporter } from '../../../core/ports.js';
import { formatPlatform } from '../../../core/provider/platform.js';
import { createLimiter, mapLimit } from '../../concurrency.js';
import {
  ProviderPackageMirror,
  directoryEntryWarnings,
  jobId,
  jobLabel,
  unconfirmedLockWarnings,
  writeNetworkMirrorJson,
  type JobOutcome,
  type StreamDigests,
} from '../provider-packages.js';

/** How many jobs may be in their metadata phase per download slot. */
const METADATA_FANOUT = 4;

/** Runs a download in one of the run's --concurrency slots. */
export type DownloadSlot = <R>(fn: () => Promise<R>) => Promise<R>;

export interface ProvidersStageInput {
  outDir: string;
  jobs: PackageJob[];
  concurrency: number;
  skipMissingPlatforms: boolean;
  updateLockfiles: boolean;
}

export interface ProvidersStageResult {
  outcomes: JobOutcome[];
  failures: AirgapError[];
  warnings: string[];
}

export async function mirrorProviders(
  input: ProvidersStageInput,
  deps: {
    http: HttpClient;
    registry: ProviderRegistry;
    reporter: Reporter;
    slot?: DownloadSlot;
    /** Default: a worker pool of this run, one thread per core. */
    digests?: StreamDigests;
  },
): Promise<ProvidersStageResult> {
  const pool = deps.digests === undefined ? new ZipHashPool() : undefined;
  try {
    return await mirrorWith(input, { ...deps, digests: deps.digests ?? pool! });
  } finally {
    await pool?.close();
  }
}

async function mirrorWith(
  input: ProvidersStageInput,
  deps: {
    http: HttpClient;
    registry: ProviderRegistry;
    reporter: Reporter;
    slot?: DownloadSlot;
    digests: StreamDigests;
  },
): Promise<ProvidersStageResult> {
  const { reporter } = deps;
  const root = path.join(input.outDir, BUNDLE.providersDir);
  await fs.mkdir(root, { recursive: true });
  const stale = await removeStaleTemps(root);
  if (stale > 0) reporter.info(`removed ${stale} partial file(s) left by an earlier run`);

  const concurrency = Math.max(1, input.concurrency);
  const mirror = new ProviderPackageMirror(
    root,
    deps.http,
    deps.registry,
    reporter,
    deps.slot ?? createLimiter(concurrency),
    deps.digests,
  );
  // Every package is counted before any starts: the bar's total is the run's.
  for (const job of input.jobs)
    reporter.progress?.({ id: jobId(job), label: jobLabel(job), phase: 'queued' });
  const failures: AirgapError[] = [];
  // Metadata (versions, download JSON, signed SUMS) is latency-bound: run it wider, so
  // that the download slots never wait on round trips.
  const outcomes = await mapLimit(input.jobs, concurrency * METADATA_FANOUT, async (job) => {
    try {
      const outcome = await mirror.mirrorOne(job, input.skipMissingPlatforms);
      if (outcome.skipped !== undefined)
        reporter.progress?.({ id: jobId(job), label: jobLabel(job), phase: 'skipped' });
      return outcome;
    } catch (e) {
      const err = fromUnknown(e, `${job.key} ${job.version} (${formatPlatform(job.platform)})`);
      if (!failures.some((f) => f.message === err.message)) failures.push(err);
      reporter.progress?.({ id: jobId(job), label: jobLabel(job), phase: 'failed' });
      return { job } satisfies JobOutcome;
    }
  });

  await writeNetworkMirrorJson(root, outcomes);
  const warnings = [
    ...unconfirmedLockWarnings(outcomes, input.updateLockfiles),
    ...directoryEntryWarnings(outcomes, input.updateLockfiles),
  ];
  for (const w of warnings) reporter.warn(w);
  return { outcomes, failures, warnings };
}
