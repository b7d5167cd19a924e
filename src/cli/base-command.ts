// Base for every airgap command: --json, typed-error rendering, exit codes.

import { Command } from '@oclif/core';
import { AirgapError, AirgapErrors, BugError, exitCodeOf, isAirgapError } from '../core/errors.js';
import { redactText } from '../core/redact.js';

/** The one shape of every `--json` error document (docs/JSON-OUTPUT.md). */
export interface JsonErrorDocument {
  schemaVersion: 1;
  error: JsonError & { errors: JsonError[] };
}

export interface JsonError {
  code: string;
  category: string;
  message: string;
  remedy?: string;
  details: Record<string, unknown>;
}

export const REPORT_BUG =
  'this is a bug in airgap: please report it with the command line and the output of the same run with AIRGAP_DEBUG=1';

function toJsonError(e: AirgapError): JsonError {
  const { cause: _cause, ...details } = e.details;
  const remedy = remedyOf(e);
  return {
    code: e.code,
    category: e.category,
    message: redactText(e.message),
    ...(remedy ? { remedy } : {}),
    details: JSON.parse(redactText(JSON.stringify(details))) as Record<string, unknown>,
  };
}

function remedyOf(e: AirgapError): string | undefined {
  if (e.remedy !== undefined) return e.remedy;
  if (e.code === 'USAGE') return 'see --help';
  if (e.code === 'INTERNAL') return REPORT_BUG;
  return undefined;
}

// oclif's own parse errors (unknown flag, missing arg, bad option value) are usage errors.
function isParseError(err: Error): boolean {
  return (
    err.constructor?.name?.includes('Parse') === true ||
    err.constructor?.name === 'CLIError' ||
    /Unexpected argument|Nonexistent flag|Missing required flag|Missing \d+ required arg|Expected --|Expected a|must be one of/.test(
      err.message,
    )
  );
}

function asAirgapError(err: Error & { oclif?: { exit?: number } }): AirgapError {
  if (isAirgapError(err)) return err;
  // oclif ends its messages with its own pointer to --help; the remedy says that once.
  if (isParseError(err))
    return new AirgapError('USAGE', err.message.replace(/\n*See more help with --help\s*$/, '').trim());
  return new BugError(`${err.name}: ${err.message}`, err);
}

export abstract class AirgapCommand extends Command {
  static override enableJsonFlag = true;

  // A result can carry messages and URLs (warnings, skip reasons): no secret in them reaches stdout.
  protected override toSuccessJson(result: unknown): unknown {
    return result === undefined ? result : (JSON.parse(redactText(JSON.stringify(result))) as unknown);
  }

  protected override async catch(
    raw: Error & { exitCode?: number; oclif?: { exit?: number } },
  ): Promise<unknown> {
    // oclif's exit() and help/version flags travel as errors; let oclif handle them.
    if (raw.oclif?.exit !== undefined && !isAirgapError(raw) && !isParseError(raw)) return super.catch(raw);
    const err = asAirgapError(raw);
    const all = err instanceof AirgapErrors ? err.errors : [err];
    const exitCode = exitCodeOf(all);
    if (this.jsonEnabled()) {
      const document: JsonErrorDocument = {
        schemaVersion: 1,
        error: { ...toJsonError(err), errors: all.map(toJsonError) },
      };
      this.logJson(document);
    } else {
      for (const e of all)
        this.logToStderr(`Error: ${e.code === 'INTERNAL' ? 'internal error: ' : ''}${redactText(e.message)}`);
      const remedies = [...new Set(all.map(remedyOf).filter((r): r is string => r !== undefined))];
      for (const r of remedies) this.logToStderr(`  Hint: ${r}`);
      const cause = err.details.cause;
      if (process.env.AIRGAP_DEBUG && cause !== undefined)
        this.logToStderr(redactText(String((cause as Error).stack ?? cause)));
    }
    this.exit(exitCode);
  }
}
