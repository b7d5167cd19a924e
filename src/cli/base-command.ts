// Base for every airgap command: --json, --quiet, --verbose, --no-color, typed-error
// rendering, exit codes, and what Ctrl-C (SIGINT) or SIGTERM prints.

import { Command, Flags } from '@oclif/core';
import { closest } from '../core/closest.js';
import { AirgapError, AirgapErrors, BugError, exitCodeOf, isAirgapError } from '../core/errors.js';
import { redactText } from '../core/redact.js';
import { colourEnabled, painter } from './colour.js';
import { createReporter, type CliReporter } from './reporter.js';

/** The output flags every command has (baseFlags). */
export interface OutputFlags {
  quiet: boolean;
  verbose: boolean;
  'no-color': boolean;
}

/** Exit codes for a run stopped by a signal: 128 + the signal's number, as shells report it. */
export const SIGNAL_EXIT: Readonly<Record<'SIGINT' | 'SIGTERM', number>> = { SIGINT: 130, SIGTERM: 143 };

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

function asAirgapError(err: Error & { flags?: unknown }, known: readonly string[]): AirgapError {
  if (isAirgapError(err)) return err;
  // oclif ends its messages with its own pointer to --help; the remedy says that once.
  if (isParseError(err)) {
    const message = err.message
      .replace(/\n*See more help with --help\s*$/, '')
      // oclif's note that repeatable flags must come after the arguments: untrue here, as
      // every repeatable flag takes one value each time (cli/flags/repeatable.ts).
      .replace(
        /\n+Note: [^\n]* allows? multiple values\.[^\n]*(\nAlternatively, you can use "--"[^\n]*)?/,
        '',
      )
      .trim();
    const guess = /^Nonexistent flags?:/.test(message) ? didYouMean(err.flags, known) : undefined;
    return new AirgapError('USAGE', message, {}, guess);
  }
  return new BugError(`${err.name}: ${err.message}`, err);
}

/** For oclif's "Nonexistent flag" error: the flags meant, as far as they are near a known one. */
function didYouMean(typed: unknown, known: readonly string[]): string | undefined {
  if (!Array.isArray(typed)) return undefined;
  const guesses = typed
    .map((t) => String(t).replace(/^-+/, '').replace(/=.*$/s, ''))
    .map((name) => ({ name, meant: closest(name, known) }))
    .filter((g): g is { name: string; meant: string } => g.meant !== undefined);
  if (guesses.length === 0) return undefined;
  if (guesses.length === 1) return `did you mean --${guesses[0]!.meant}? (see --help)`;
  return `did you mean ${guesses.map((g) => `--${g.meant} for --${g.name}`).join(', ')}? (see --help)`;
}

export abstract class AirgapCommand extends Command {
  static override enableJsonFlag = true;

  static override baseFlags = {
    quiet: Flags.boolean({
      char: 'q',
      summary: 'Print only errors and the final line.',
      default: false,
      exclusive: ['verbose'],
      helpGroup: 'DISPLAY',
    }),
    verbose: Flags.boolean({
      char: 'v',
      summary: "Also print every HTTP request's method, URL (secrets redacted) and status.",
      default: false,
      helpGroup: 'DISPLAY',
    }),
    'no-color': Flags.boolean({
      summary: 'No colour (also with NO_COLOR set, or when the output is not a terminal).',
      default: false,
      helpGroup: 'DISPLAY',
    }),
  };

  /** What Ctrl-C's line tells the user to do; a command whose re-run resumes says what it keeps. */
  static interruptHint = 'run the same command again';

  private output: OutputFlags | undefined;
  private reporter: CliReporter | undefined;
  private readonly onSignal = (signal: NodeJS.Signals): void => this.interrupted(signal);

  public override async init(): Promise<void> {
    await super.init();
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
  }

  public override async finally(err: Error | undefined): Promise<unknown> {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    return super.finally(err);
  }

  /**
   * For a command that stops gracefully by itself (`airgap serve`): SIGINT and SIGTERM call
   * `handler` instead of the default line and exit 130/143.
   */
  protected handleSignals(handler: (signal: NodeJS.Signals) => void): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    process.once('SIGINT', handler);
    process.once('SIGTERM', handler);
  }

  /** The reporter for this run (stderr), shaped by --json, --quiet, --verbose and --no-color. */
  protected createReporter(flags: OutputFlags): CliReporter {
    this.output = flags;
    this.reporter = createReporter({
      stream: process.stderr,
      json: this.jsonEnabled(),
      quiet: flags.quiet,
      verbose: flags.verbose,
      colour: colourEnabled({ stream: process.stderr, env: process.env, noColor: flags['no-color'] }),
    });
    return this.reporter;
  }

  /** A line of the result that is not its final line: left out with --quiet. */
  protected detail(message: string): void {
    if (this.output?.quiet !== true) this.log(message);
  }

  /** Whether stdout gets colour (a TTY, no NO_COLOR, no --no-color). */
  protected stdoutColour(): boolean {
    return colourEnabled({ stream: process.stdout, env: process.env, noColor: this.noColor() });
  }

  private noColor(): boolean {
    // A parse error comes before the flags are known: read the switch from argv then.
    return this.output?.['no-color'] ?? this.argv.includes('--no-color');
  }

  // One line, then the exit code a shell gives a process killed by that signal. What is
  // half-written is at a temporary name (.airgap-tmp-*), removed by the next run.
  private interrupted(signal: NodeJS.Signals): void {
    const doing = this.reporter?.interrupt();
    const name = this.id === undefined ? 'airgap' : `airgap ${this.id}`;
    const hint = (this.constructor as typeof AirgapCommand).interruptHint;
    const by = signal === 'SIGINT' ? 'Interrupted' : `Stopped by ${signal}`;
    process.stderr.write(`${by}: ${name} stopped${doing === undefined ? '' : ` while ${doing}`}; ${hint}.\n`);
    process.exit(signal === 'SIGTERM' ? SIGNAL_EXIT.SIGTERM : SIGNAL_EXIT.SIGINT);
  }

  // A result can carry messages and URLs (warnings, skip reasons): no secret in them reaches stdout.
  protected override toSuccessJson(result: unknown): unknown {
    return result === undefined ? result : (JSON.parse(redactText(JSON.stringify(result))) as unknown);
  }

  protected override async catch(
    raw: Error & { exitCode?: number; oclif?: { exit?: number } },
  ): Promise<unknown> {
    // oclif's exit() and help/version flags travel as errors; let oclif handle them.
    if (raw.oclif?.exit !== undefined && !isAirgapError(raw) && !isParseError(raw)) return super.catch(raw);
    const ctor = this.constructor as typeof AirgapCommand;
    const err = asAirgapError(raw, [...Object.keys({ ...ctor.baseFlags, ...ctor.flags }), 'json', 'help']);
    const all = err instanceof AirgapErrors ? err.errors : [err];
    const exitCode = exitCodeOf(all);
    if (this.jsonEnabled()) {
      const document: JsonErrorDocument = {
        schemaVersion: 1,
        error: { ...toJsonError(err), errors: all.map(toJsonError) },
      };
      this.logJson(document);
    } else {
      this.reporter?.finish();
      const paint = painter(
        colourEnabled({ stream: process.stderr, env: process.env, noColor: this.noColor() }),
      );
      for (const e of all)
        this.logToStderr(
          `${paint.failed('Error:')} ${e.code === 'INTERNAL' ? 'internal error: ' : ''}${redactText(e.message)}`,
        );
      const remedies = [...new Set(all.map(remedyOf).filter((r): r is string => r !== undefined))];
      for (const r of remedies) this.logToStderr(`  Hint: ${r}`);
      const cause = err.details.cause;
      if (process.env.AIRGAP_DEBUG && cause !== undefined)
        this.logToStderr(redactText(String((cause as Error).stack ?? cause)));
    }
    this.exit(exitCode);
  }
}
