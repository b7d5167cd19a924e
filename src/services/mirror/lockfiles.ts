// Reading the input lock files, and completing them (--update-lockfiles) from the
// hashes the mirror computed.

import fs from 'node:fs/promises';
import { writeFileAtomic } from '../../adapters/fs/atomic.js';
import { findLockfiles } from '../../adapters/fs/find-lockfiles.js';
import path from 'node:path';
import { expandLockfilePatterns } from '../../adapters/fs/lockfile-patterns.js';
import { SPEC_FILE_NAME } from '../../core/spec/types.js';
import type { LockfilePattern } from '../../core/mirror/request.js';
import { AirgapError, AirgapErrors, isAirgapError } from '../../core/errors.js';
import { formatLockFile, parseLockFile } from '../../core/lockfile/index.js';
import { formatProviderAddress } from '../../core/provider/address.js';
import { completeLockFile } from '../../core/mirror/lock-completion.js';
import { providerVersionKey, type LockfileInput } from '../../core/mirror/plan.js';
import type { Reporter } from '../../core/ports.js';
import { lockGaps, type JobOutcome } from './provider-packages.js';

/**
 * With `updateLockfiles`, constraints that parse but are not in tofu's normalised
 * form (a hand-written "~>1.8") are accepted, since the file is rewritten; without
 * it the file is refused as tofu and terraform refuse it.
 */
export async function readLockfiles(options: {
  lockfiles: string[];
  dirs: string[];
  /** The spec's lockfiles entries: paths, directories (every lock file below) and globs. */
  patterns?: LockfilePattern[];
  /** The spec file they were written in; relative entries are relative to its directory. */
  specFile?: string;
  cwd: string;
  updateLockfiles?: boolean;
}): Promise<LockfileInput[]> {
  const paths: { path: string; dir?: string }[] = options.lockfiles.map((p) => ({ path: p }));
  for (const d of options.dirs) paths.push(...(await findLockfiles(d)).map((p) => ({ path: p, dir: d })));
  if (options.patterns !== undefined && options.patterns.length > 0) {
    const specFile = options.specFile ?? SPEC_FILE_NAME;
    const found = await expandLockfilePatterns(
      options.patterns,
      path.dirname(path.resolve(options.cwd, specFile)),
      {
        file: specFile,
      },
    );
    paths.push(...found.map((f) => ({ path: f.path, ...(f.dir === undefined ? {} : { dir: f.dir }) })));
  }
  const seen = new Set<string>();
  const inputs: LockfileInput[] = [];
  const errors: AirgapError[] = [];
  for (const { path: p, dir } of paths) {
    let real: string;
    try {
      real = await fs.realpath(p);
    } catch (e) {
      errors.push(new AirgapError('INPUT_NOT_FOUND', `lock file ${p} does not exist`, { path: p, cause: e }));
      continue;
    }
    if (seen.has(real)) continue;
    seen.add(real);
    const text = await fs.readFile(real, 'utf8');
    try {
      const lock = parseLockFile(text, p, { normaliseConstraints: options.updateLockfiles === true });
      inputs.push({ path: p, lock, text, ...(dir === undefined ? {} : { dir }) });
    } catch (e) {
      if (e instanceof AirgapErrors) errors.push(...e.errors);
      else if (isAirgapError(e)) errors.push(e);
      else throw e;
    }
  }
  if (errors.length > 0) throw errors.length === 1 ? errors[0]! : new AirgapErrors(errors);
  return inputs;
}

export interface LockfileReport {
  path: string;
  updated: boolean;
  hashesAdded: number;
}

export interface LockfileUpdate {
  report: LockfileReport;
  /** The text now on disk (completed, or as it was). */
  text: string;
  /** It now holds every hash the mirror has for its providers. */
  complete: boolean;
}

export async function updateLockfiles(
  inputs: LockfileInput[],
  outcomes: JobOutcome[],
  reporter: Reporter,
  update: boolean,
): Promise<LockfileUpdate[]> {
  const hashes = new Map<string, string[]>();
  for (const o of outcomes) {
    if (o.pkg === undefined) continue;
    const k = providerVersionKey(o.job.key, o.job.version);
    hashes.set(k, [...(hashes.get(k) ?? []), o.pkg.h1, o.pkg.zh]);
  }
  const lacking = lockGaps(outcomes, (c) => c.lackingPlatformIn);
  const updates: LockfileUpdate[] = [];
  for (const input of inputs) {
    const { lock, changed, added } = completeLockFile(input.lock, hashes);
    const renormalised = input.lock.providers.filter((p) => p.constraintsAsWritten !== undefined);
    if (update && (changed || renormalised.length > 0)) {
      const text = formatLockFile(lock);
      const st = await fs.stat(input.path);
      await writeFileAtomic(input.path, text, st.mode & 0o777);
      if (added > 0) reporter.info(`${input.path}: added ${added} hash(es)`);
      for (const gap of lacking.filter((g) => g.lockfile === input.path)) {
        reporter.info(
          `${input.path}: recorded ${gap.key} ${gap.version} on ${gap.platforms.join(', ')}, which it lacked ` +
            `(verified against the registry's signed SHA256SUMS)`,
        );
      }
      for (const p of renormalised) {
        const written = p.constraintsAsWritten!;
        reporter.info(
          `${input.path}:${written.range.start.line}: constraints "${written.text}" for ${formatProviderAddress(p.address)} ` +
            `rewritten as "${p.constraints ?? ''}", the normalised form tofu and terraform require`,
        );
      }
      updates.push({ report: { path: input.path, updated: true, hashesAdded: added }, text, complete: true });
    } else {
      updates.push({
        report: { path: input.path, updated: false, hashesAdded: 0 },
        text: input.text,
        complete: !changed,
      });
    }
  }
  return updates;
}
