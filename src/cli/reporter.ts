// Progress, warnings and the --verbose request log, on stderr. A TTY gets one live bar:
// over the run's packages (bytes done against the sizes known, rate, ETA, packages
// done/failed/total), or over a stage counted in bytes (export, import, verify, the
// image build). Anything else (CI logs, pipes) gets one line per finished package.
// With --json, stdout carries only the JSON document; with --quiet, nothing comes from
// here (errors and the command's final line come from the command).

import type {
  HttpObserver,
  HttpRequestEvent,
  PackageProgress,
  ProgressEvent,
  Reporter,
  TaskProgress,
} from '../core/ports.js';
import { redactText } from '../core/redact.js';
import { painter } from './colour.js';

export interface ReporterOptions {
  stream: NodeJS.WriteStream;
  json: boolean;
  /** --quiet: no info, warnings, progress or request lines. */
  quiet?: boolean;
  /** --verbose: also every HTTP request, and the packages already in the bundle. */
  verbose?: boolean;
  /** Paint status words (decided by colourEnabled: a TTY, no NO_COLOR, no --no-color). */
  colour?: boolean;
}

export interface CliReporter extends Reporter, HttpObserver {
  /** Ends the bar's line; call once the service returned or threw. */
  finish(): void;
  /**
   * For the Ctrl-C line: clears the bar and says what was under way ("downloading 3
   * packages (2 of 6 done)"), or undefined when nothing was.
   */
  interrupt(): string | undefined;
}

type PackageState = 'queued' | 'running' | 'done' | 'cached' | 'skipped' | 'failed';

interface PackageEntry {
  label: string;
  state: PackageState;
  /** Bytes fetched this run. */
  bytes: number;
  /** The whole file's size, once known. */
  total?: number;
}

interface Sample {
  t: number;
  bytes: number;
}

const BAR_WIDTH = 24;
const REDRAW_MS = 100;
/** The rate is measured over this much recent time, so a stall shows as one. */
const RATE_WINDOW_MS = 5_000;

export function formatBytes(bytes: number): string {
  if (bytes < 1e3) return `${Math.max(0, Math.round(bytes))} B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`;
  if (bytes < 1e9) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e9).toFixed(2)} GB`;
}

function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Filled only when the whole is done: a run with a failed package never shows a full bar. */
function bar(fraction: number): string {
  const filled = Math.min(BAR_WIDTH, Math.max(0, Math.floor(fraction * BAR_WIDTH)));
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
}

export function createReporter(options: ReporterOptions): CliReporter {
  const { stream, json } = options;
  const quiet = options.quiet === true;
  const verbose = options.verbose === true && !quiet;
  const paint = painter(options.colour === true);
  /** Lines about packages and stages; the state is kept either way, for the Ctrl-C line. */
  const talk = !json && !quiet;
  const tty = stream.isTTY === true && talk;
  const packages = new Map<string, PackageEntry>();
  let task: (TaskProgress & { finished: boolean }) | undefined;
  /** What the bar shows now: the packages, or a task by its label. */
  let owner: 'packages' | string | undefined;
  let drawn = false;
  let lastDraw = 0;
  let samples: Sample[] = [];

  function write(text: string): void {
    stream.write(text);
  }

  function rate(now: number, bytes: number): number | undefined {
    samples.push({ t: now, bytes });
    samples = samples.filter((s) => now - s.t <= RATE_WINDOW_MS);
    const first = samples[0]!;
    const seconds = (now - first.t) / 1000;
    if (seconds < 0.2) return undefined;
    return Math.max(0, (bytes - first.bytes) / seconds);
  }

  function speed(now: number, done: number, remaining: number): string {
    const r = rate(now, done);
    if (r === undefined) return '';
    const eta = r > 0 ? formatDuration(remaining / r) : '--:--';
    return `  ${formatBytes(r)}/s  ETA ${eta}`;
  }

  function packageLine(now: number): string | undefined {
    if (packages.size === 0) return undefined;
    let finished = 0;
    let failed = 0;
    let partial = 0;
    let done = 0;
    let total = 0;
    let unknown = 0;
    let remaining = 0;
    for (const p of packages.values()) {
      if (p.state === 'done' || p.state === 'cached' || p.state === 'skipped') finished += 1;
      if (p.state === 'failed') failed += 1;
      if (p.state === 'cached' || p.state === 'skipped') continue;
      done += p.bytes;
      if (p.total === undefined) {
        if (p.state === 'queued' || p.state === 'running') unknown += 1;
        continue;
      }
      total += p.total;
      if (p.state === 'running' && p.total > 0) partial += Math.min(p.bytes / p.total, 0.999);
      if (p.state === 'queued' || p.state === 'running') remaining += Math.max(0, p.total - p.bytes);
    }
    const count = packages.size;
    const fraction = (finished + partial) / count;
    const failures = failed === 0 ? '' : `, ${failed} ${paint.failed('FAILED')}`;
    let text = `${bar(fraction)} ${finished}/${count} packages${failures}`;
    if (total > 0 || done > 0) {
      // Sizes still unknown are counted at the average of those known, for the ETA only.
      const known = [...packages.values()].filter((p) => p.total !== undefined && p.state !== 'cached');
      const average = known.length === 0 ? 0 : known.reduce((a, p) => a + p.total!, 0) / known.length;
      text += `  ${formatBytes(done)}/${formatBytes(total)}${unknown > 0 ? '+' : ''}`;
      if (finished + failed < count) text += speed(now, done, remaining + unknown * average);
    }
    return text;
  }

  function taskLine(now: number): string | undefined {
    if (task === undefined) return undefined;
    const { label, total } = task;
    const done = Math.min(task.done, total);
    let text = `${bar(done / total)} ${label}  ${formatBytes(done)}/${formatBytes(total)}`;
    if (!task.finished) text += speed(now, done, total - done);
    return text;
  }

  function fit(text: string): string {
    const columns = stream.columns;
    // A line longer than the terminal wraps, and \r then redraws only its last row.
    return columns !== undefined && columns > 10 && visibleLength(text) >= columns
      ? truncate(text, columns - 1)
      : text;
  }

  function draw(force = false): void {
    if (!tty || owner === undefined) return;
    const now = Date.now();
    if (!force && now - lastDraw < REDRAW_MS) return;
    lastDraw = now;
    const text = owner === 'packages' ? packageLine(now) : taskLine(now);
    if (text === undefined) return;
    write(`\r\x1b[2K${fit(text)}`);
    drawn = true;
  }

  /** Leaves the bar's last state on its own line, so another bar can start below it. */
  function commit(): void {
    if (drawn) {
      draw(true);
      write('\n');
    }
    drawn = false;
    samples = [];
  }

  function switchTo(next: string): void {
    if (owner === next) return;
    commit();
    owner = next;
    lastDraw = 0;
  }

  function line(text: string): void {
    if (tty && drawn) write('\r\x1b[2K');
    // Warnings quote error messages, and those may quote URLs: no secret reaches the terminal.
    write(`${redactText(text)}\n`);
    draw(true);
  }

  function onPackage(e: PackageProgress): void {
    let p = packages.get(e.id);
    if (p === undefined) {
      p = { label: e.label, state: 'queued', bytes: 0 };
      packages.set(e.id, p);
    }
    switchTo('packages');
    switch (e.phase) {
      case 'queued':
        break;
      case 'start':
        p.state = 'running';
        if (e.total !== undefined) p.total = e.total;
        break;
      case 'bytes':
        if (p.state === 'queued') p.state = 'running';
        p.bytes += e.bytes ?? 0;
        break;
      case 'done':
        p.state = 'done';
        if (e.bytes !== undefined) p.bytes = e.bytes;
        p.total = p.bytes;
        break;
      case 'cached':
      case 'skipped':
      case 'failed':
        p.state = e.phase;
        break;
    }
    // Queued packages come in a burst: the bar waits for the next event, so it never shows a partial count.
    if (e.phase === 'queued') return;
    if (e.phase === 'start' || e.phase === 'bytes') {
      draw();
      return;
    }
    const size = e.bytes === undefined ? '' : ` (${formatBytes(e.bytes)})`;
    if (!talk) return;
    if (e.phase === 'failed') line(`${paint.failed('FAILED')}   ${e.label}`);
    // Packages already in the bundle are the summary's count; one line each only on request.
    else if (e.phase === 'cached' && verbose) line(`cached   ${e.label}${size}`);
    else if (e.phase === 'done' && !tty) line(`${paint.ok('verified')} ${e.label}${size}`);
    else draw(true);
  }

  function onTask(e: TaskProgress): void {
    if (e.total <= 0) return;
    if (task?.label !== e.label) {
      switchTo(`task:${e.label}`);
      task = { ...e, finished: false };
    } else {
      task.done = e.done;
      task.total = e.total;
    }
    if (task.done >= task.total) {
      task.finished = true;
      draw(true);
      return;
    }
    draw();
  }

  return {
    info(message) {
      if (!json && !quiet) line(message);
    },
    warn(message) {
      if (!quiet) line(`${paint.warning('Warning:')} ${message}`);
    },
    progress(e: ProgressEvent) {
      if (e.phase === 'task') onTask(e);
      else onPackage(e);
    },
    onRequest(e: HttpRequestEvent) {
      if (!verbose) return;
      line(`${e.method} ${e.url} -> ${e.status ?? e.error ?? 'no answer'}`);
    },
    finish() {
      commit();
    },
    interrupt() {
      if (tty && drawn) write('\r\x1b[2K');
      drawn = false;
      owner = undefined;
      if (task !== undefined && !task.finished) {
        return `${task.label} (${formatBytes(task.done)} of ${formatBytes(task.total)})`;
      }
      const all = [...packages.values()];
      const finished = all.filter((p) => ['done', 'cached', 'skipped'].includes(p.state)).length;
      const running = all.filter((p) => p.state === 'running').length;
      const waiting = all.filter((p) => p.state === 'queued').length;
      if (running + waiting === 0) return undefined;
      const of = `${finished} of ${all.length} done`;
      return running > 0
        ? `downloading ${running} package${running === 1 ? '' : 's'} (${of})`
        : `preparing ${waiting} package${waiting === 1 ? '' : 's'} (${of})`;
    },
  };
}

const SGR = /\x1b\[[0-9;]*m/g;

function visibleLength(text: string): number {
  return text.replace(SGR, '').length;
}

/** Cuts to `width` visible characters, keeping colour codes whole. */
function truncate(text: string, width: number): string {
  let out = '';
  let visible = 0;
  for (let i = 0; i < text.length && visible < width;) {
    SGR.lastIndex = i;
    const m = SGR.exec(text);
    if (m !== null && m.index === i) {
      out += m[0];
      i += m[0].length;
      continue;
    }
    out += text[i];
    visible += 1;
    i += 1;
  }
  // A colour cut open would spill into the next line.
  return out.includes('\x1b[') ? `${out}\x1b[39m` : out;
}
