// Base for every airgap command: --json, typed-error rendering, exit codes.

import { Command } from '@oclif/core';
import { AirgapErrors, isAirgapError, type AirgapError } from '../core/errors.js';
import { EXIT, exitCodeFor, remedyFor } from './exit-codes.js';

export interface JsonError {
  code: string;
  message: string;
  remedy?: string;
  details: Record<string, unknown>;
}

function toJsonError(e: AirgapError): JsonError {
  const { cause: _cause, ...details } = e.details;
  const remedy = remedyFor(e);
  return { code: e.code, message: e.message, ...(remedy ? { remedy } : {}), details };
}

export abstract class AirgapCommand extends Command {
  static override enableJsonFlag = true;

  protected override async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    if (!isAirgapError(err)) {
      // oclif's own parse errors (unknown flag, missing arg) are usage errors.
      if (
        err.constructor?.name?.includes('Parse') ||
        /Unexpected argument|Nonexistent flag|Missing required flag|Expected --/.test(err.message)
      ) {
        if (this.jsonEnabled()) {
          this.logJson({ error: { code: 'USAGE', message: err.message, details: {} } });
        } else {
          this.logToStderr(`Error: ${err.message}\n  Hint: see --help`);
        }
        this.exit(EXIT.usage);
      }
      return super.catch(err);
    }
    const all = err instanceof AirgapErrors ? err.errors : [err];
    const exitCode = Math.max(...all.map((e) => exitCodeFor(e.code)));
    if (this.jsonEnabled()) {
      this.logJson({ error: { ...toJsonError(err), errors: all.map(toJsonError) } });
    } else {
      for (const e of all) this.logToStderr(`Error: ${e.message}`);
      const remedies = [...new Set(all.map(remedyFor).filter((r): r is string => r !== undefined))];
      for (const r of remedies) this.logToStderr(`  Hint: ${r}`);
      if (process.env.AIRGAP_DEBUG && err.details.cause)
        this.logToStderr(String((err.details.cause as Error).stack ?? err.details.cause));
    }
    this.exit(exitCode);
  }
}
