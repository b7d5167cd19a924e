// The plan as a table for people: one row per item, then removals, skips and totals.
// Fits `width` columns (80 to 120): the subject takes what the other columns leave, and
// a long one loses its middle, where addresses differ least. Pure.

import type { PlanDocument, PlanItem, SizeSource } from './types.js';

export const MIN_WIDTH = 80;
export const MAX_WIDTH = 120;
export const DEFAULT_WIDTH = 100;

const SOURCE_LABEL: Record<SizeSource, string> = {
  'registry package_size': 'package_size',
  'Content-Length': 'Content-Length',
  manifest: 'manifest',
  bundle: 'bundle',
  local: 'local',
};

interface Column {
  title: string;
  width: number;
  right?: boolean;
}
const ACTION: Column = { title: 'ACTION', width: 8 };
const KIND: Column = { title: 'KIND', width: 11 };
const SIZE: Column = { title: 'SIZE', width: 9, right: true };
const SOURCE: Column = { title: 'SOURCE', width: 14 };
/** Below this width the SOURCE column gives its room to the subject (--json has it). */
const SOURCE_FROM_WIDTH = 100;
const GAP = '  ';

export function renderPlanTable(plan: PlanDocument, width: number = DEFAULT_WIDTH): string {
  const w = Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, Math.floor(width)));
  const columns = w >= SOURCE_FROM_WIDTH ? [ACTION, KIND, SIZE, SOURCE] : [ACTION, KIND, SIZE];
  const fixed = columns.reduce((n, c) => n + c.width + GAP.length, 0);
  const subjectWidth = w - fixed;
  const row = (cells: readonly string[], subject: string): string =>
    [
      ...columns.map((c, i) => {
        const cell = shorten(cells[i] ?? '', c.width);
        return c.right === true ? cell.padStart(c.width) : cell.padEnd(c.width);
      }),
      shortenSubject(subject, subjectWidth),
    ]
      .join(GAP)
      .trimEnd();

  const lines: string[] = [];
  if (plan.items.length > 0) {
    lines.push(
      row(
        columns.map((c) => c.title),
        'SUBJECT',
      ),
    );
    for (const item of plan.items)
      lines.push(row([item.action, item.kind, size(item), source(item)], item.subject));
  }
  if (plan.removals.length > 0) {
    lines.push('', 'Mirror would remove:');
    for (const r of plan.removals) lines.push(...wrap(r.replace(/^removed /, ''), w, '  '));
  }
  if (plan.skipped.length > 0) {
    lines.push('', 'Mirror would skip (--skip-missing-platforms):');
    for (const s of plan.skipped)
      lines.push(...wrap(`${s.address} ${s.version} ${s.platform}: ${s.reason}`, w, '  '));
  }
  const t = plan.totals;
  const counts = `To download: ${t.download} (${bytes(t.bytesToDownload)}). To build: ${t.build}. Present: ${t.present}. To remove: ${t.remove}.`;
  lines.push('', ...wrap(counts, w, ''));
  const unknown =
    t.unknownSizes === 0
      ? ''
      : `; ${t.unknownSizes} item${t.unknownSizes === 1 ? '' : 's'} of unknown size not counted`;
  lines.push(...wrap(`Bundle after the run: ${bytes(t.bundleBytes)}${unknown}.`, w, ''));
  lines.push(
    plan.changes
      ? 'Mirror would change the bundle (exit code 10).'
      : 'No changes: the bundle holds what the request asks for.',
  );
  return `${lines.join('\n')}\n`;
}

/** "9.2 kB, 9216 bytes": decimal units, as the progress output counts them, and the exact count. */
export function bytes(n: number): string {
  return n < 1000 ? `${n} bytes` : `${humanSize(n)}, ${n} bytes`;
}

export function humanSize(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = -1;
  do {
    v /= 1000;
    u += 1;
  } while (v >= 999.95 && u < units.length - 1);
  return `${v.toFixed(1)} ${units[u]!}`;
}

function size(item: PlanItem): string {
  return item.size === null ? 'unknown' : humanSize(item.size);
}

function source(item: PlanItem): string {
  if (item.sizeSource !== null) return SOURCE_LABEL[item.sizeSource];
  return item.note ?? '';
}

/**
 * A subject in at most `max` characters. "ADDRESS VERSION PLATFORM" keeps its version and
 * platform whole and loses the middle of the address, where addresses differ least.
 */
export function shortenSubject(subject: string, max: number): string {
  if ([...subject].length <= max) return subject;
  const space = subject.indexOf(' ');
  const rest = space < 0 ? '' : subject.slice(space);
  const room = max - [...rest].length;
  if (space < 0 || room < 12) return shorten(subject, max);
  return `${shorten(subject.slice(0, space), room)}${rest}`;
}

/** `text` in at most `max` characters, its middle replaced by "…" when too long. */
export function shorten(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  if (max <= 1) return chars.slice(0, max).join('');
  const keep = max - 1;
  const head = Math.ceil(keep / 2);
  return `${chars.slice(0, head).join('')}…${chars.slice(chars.length - (keep - head)).join('')}`;
}

/** Words of `text` in lines of at most `width` characters, each starting with `indent`. */
function wrap(text: string, width: number, indent: string): string[] {
  const out: string[] = [];
  let line = indent;
  for (const word of text.split(' ')) {
    const next = line === indent ? `${indent}${word}` : `${line} ${word}`;
    if (next.length > width && line !== indent) {
      out.push(line);
      line = `${indent}${word}`;
    } else line = next;
  }
  out.push(line);
  return out;
}
