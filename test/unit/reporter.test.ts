// The reporter's exact text: the bar (packages, bytes, failures), each stage's bar, the
// lines a pipe gets, --quiet, --verbose, colour, and what Ctrl-C is told. A fresh
// reporter draws no rate or ETA until 200 ms of samples exist, so these strings are exact;
// the rate and ETA themselves are checked under a real terminal (progress-cli.test.ts).

import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { colourEnabled, paintLeadingStatus, painter } from '../../src/cli/colour.js';
import { createReporter, formatBytes, type ReporterOptions } from '../../src/cli/reporter.js';

function capture(tty: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  Object.assign(stream, { isTTY: tty, columns: tty ? 200 : undefined });
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => text };
}

function reporter(tty: boolean, extra: Partial<ReporterOptions> = {}) {
  const out = capture(tty);
  return { r: createReporter({ stream: out.stream, json: false, ...extra }), text: out.text };
}

/** Each drawn state of the bar, in order. */
function bars(text: string): string[] {
  return text
    .split('\r\x1b[2K')
    .filter((s) => s.startsWith('['))
    .map((s) => s.split('\n')[0]!);
}

const pkg = (n: number) => ({ id: `p${n}`, label: `example/p ${n}.0.0 linux_amd64` });

describe('formatBytes', () => {
  it('uses B, kB, MB and GB in powers of 1000', () => {
    expect([0, 999, 1000, 49_152, 999_949, 1_000_000, 2_500_000_000].map(formatBytes)).toEqual([
      '0 B',
      '999 B',
      '1.0 kB',
      '49.2 kB',
      '999.9 kB',
      '1.0 MB',
      '2.50 GB',
    ]);
  });
});

describe('the package bar on a terminal', () => {
  it('counts every queued package from the start and bytes against the known sizes', () => {
    const { r, text } = reporter(true);
    for (const n of [1, 2, 3]) r.progress?.({ ...pkg(n), phase: 'queued' });
    expect(text()).toBe('');
    r.progress?.({ ...pkg(1), phase: 'start', total: 4000 });
    r.progress?.({ ...pkg(1), phase: 'bytes', bytes: 1000 });
    r.progress?.({ ...pkg(2), phase: 'start', total: 2000 });
    r.progress?.({ ...pkg(1), phase: 'bytes', bytes: 3000 });
    r.progress?.({ ...pkg(1), phase: 'done', bytes: 4000 });
    r.progress?.({ ...pkg(2), phase: 'failed' });
    r.progress?.({ ...pkg(3), phase: 'cached', bytes: 500 });
    r.finish();
    const drawn = bars(text());
    // Redraws are at most every 100 ms; a finished package always redraws.
    expect(drawn[0]).toBe('[------------------------] 0/3 packages  0 B/4.0 kB+');
    expect(drawn.at(-1)).toBe('[################--------] 2/3 packages, 1 FAILED  4.0 kB/6.0 kB');
    expect(text()).toContain('\r\x1b[2KFAILED   example/p 2.0.0 linux_amd64\n');
    expect(text().endsWith('\n')).toBe(true);
  });

  it('is full only when every package finished well', () => {
    const { r, text } = reporter(true);
    r.progress?.({ ...pkg(1), phase: 'queued' });
    r.progress?.({ ...pkg(2), phase: 'queued' });
    r.progress?.({ ...pkg(1), phase: 'start', total: 10 });
    r.progress?.({ ...pkg(1), phase: 'bytes', bytes: 10 });
    r.progress?.({ ...pkg(1), phase: 'done', bytes: 10 });
    r.progress?.({ ...pkg(2), phase: 'skipped' });
    r.finish();
    expect(bars(text()).at(-1)).toBe('[########################] 2/2 packages  10 B/10 B');
  });

  it('paints FAILED red with colour on', () => {
    const { r, text } = reporter(true, { colour: true });
    r.progress?.({ ...pkg(1), phase: 'queued' });
    r.progress?.({ ...pkg(1), phase: 'failed' });
    r.warn('careful');
    r.finish();
    expect(text()).toContain('\x1b[31mFAILED\x1b[39m   example/p 1.0.0 linux_amd64\n');
    expect(text()).toContain('\x1b[33mWarning:\x1b[39m careful\n');
    expect(bars(text()).at(-1)).toBe('[------------------------] 0/1 packages, 1 \x1b[31mFAILED\x1b[39m');
  });
});

describe("a stage's bar", () => {
  it('shows bytes done against the total, starts a new line for a new stage, and never shows 0/0', () => {
    const { r, text } = reporter(true);
    r.progress?.({ phase: 'task', label: 'nothing to do', done: 0, total: 0 });
    expect(text()).toBe('');
    r.progress?.({ phase: 'task', label: 'packing b.tar', done: 0, total: 2_000_000 });
    r.progress?.({ phase: 'task', label: 'packing b.tar', done: 2_000_000, total: 2_000_000 });
    r.progress?.({ phase: 'task', label: 'verifying b.tar', done: 0, total: 3000 });
    r.progress?.({ phase: 'task', label: 'verifying b.tar', done: 3000, total: 3000 });
    r.finish();
    expect(text()).toBe(
      '\r\x1b[2K[------------------------] packing b.tar  0 B/2.0 MB' +
        '\r\x1b[2K[########################] packing b.tar  2.0 MB/2.0 MB' +
        '\r\x1b[2K[########################] packing b.tar  2.0 MB/2.0 MB\n' +
        '\r\x1b[2K[------------------------] verifying b.tar  0 B/3.0 kB' +
        '\r\x1b[2K[########################] verifying b.tar  3.0 kB/3.0 kB' +
        '\r\x1b[2K[########################] verifying b.tar  3.0 kB/3.0 kB\n',
    );
  });
});

describe('not on a terminal', () => {
  it('prints one line per verified or failed package, none per cached one unless --verbose', () => {
    const plain = reporter(false);
    const verbose = reporter(false, { verbose: true });
    for (const { r } of [plain, verbose]) {
      r.progress?.({ ...pkg(1), phase: 'queued' });
      r.progress?.({ ...pkg(1), phase: 'start', total: 2048 });
      r.progress?.({ ...pkg(1), phase: 'done', bytes: 2048 });
      r.progress?.({ ...pkg(2), phase: 'cached', bytes: 1500 });
      r.progress?.({ ...pkg(3), phase: 'failed' });
      r.progress?.({ phase: 'task', label: 'packing b.tar', done: 10, total: 10 });
      r.finish();
    }
    expect(plain.text()).toBe(
      'verified example/p 1.0.0 linux_amd64 (2.0 kB)\nFAILED   example/p 3.0.0 linux_amd64\n',
    );
    expect(verbose.text()).toBe(
      'verified example/p 1.0.0 linux_amd64 (2.0 kB)\n' +
        'cached   example/p 2.0.0 linux_amd64 (1.5 kB)\n' +
        'FAILED   example/p 3.0.0 linux_amd64\n',
    );
  });

  it('--verbose logs requests, --quiet prints nothing at all, --json only warnings', () => {
    const verbose = reporter(false, { verbose: true });
    verbose.r.onRequest?.({ method: 'GET', url: 'https://h/x?token=REDACTED', status: 200 });
    verbose.r.onRequest?.({ method: 'HEAD', url: 'https://h/y', error: 'ECONNRESET' });
    expect(verbose.text()).toBe('GET https://h/x?token=REDACTED -> 200\nHEAD https://h/y -> ECONNRESET\n');

    const quiet = reporter(true, { quiet: true });
    const json = reporter(false, { json: true, verbose: false });
    for (const { r } of [quiet, json]) {
      r.info('info');
      r.warn('warned');
      r.onRequest?.({ method: 'GET', url: 'https://h/x', status: 200 });
      r.progress?.({ ...pkg(1), phase: 'queued' });
      r.progress?.({ ...pkg(1), phase: 'failed' });
      r.finish();
    }
    expect(quiet.text()).toBe('');
    expect(json.text()).toBe('Warning: warned\n');
  });
});

describe('what Ctrl-C is told', () => {
  it('names the downloads under way, or the stage, and clears the bar', () => {
    const { r, text } = reporter(true);
    for (const n of [1, 2, 3, 4]) r.progress?.({ ...pkg(n), phase: 'queued' });
    r.progress?.({ ...pkg(1), phase: 'cached' });
    r.progress?.({ ...pkg(2), phase: 'start' });
    r.progress?.({ ...pkg(3), phase: 'start' });
    expect(r.interrupt()).toBe('downloading 2 packages (1 of 4 done)');
    expect(text().endsWith('\r\x1b[2K')).toBe(true);

    const staged = reporter(false);
    staged.r.progress?.({ phase: 'task', label: 'packing b.tar', done: 1_500_000, total: 4_000_000 });
    expect(staged.r.interrupt()).toBe('packing b.tar (1.5 MB of 4.0 MB)');

    const idle = reporter(false);
    idle.r.progress?.({ ...pkg(1), phase: 'queued' });
    idle.r.progress?.({ ...pkg(1), phase: 'done', bytes: 1 });
    expect(idle.r.interrupt()).toBeUndefined();
  });
});

describe('colour', () => {
  it('only on a TTY, and never with NO_COLOR (non-empty) or --no-color', () => {
    const tty = { isTTY: true };
    expect(colourEnabled({ stream: tty, env: {}, noColor: false })).toBe(true);
    expect(colourEnabled({ stream: tty, env: { NO_COLOR: '' }, noColor: false })).toBe(true);
    expect(colourEnabled({ stream: tty, env: { NO_COLOR: '1' }, noColor: false })).toBe(false);
    expect(colourEnabled({ stream: tty, env: {}, noColor: true })).toBe(false);
    expect(colourEnabled({ stream: {}, env: {}, noColor: false })).toBe(false);
  });

  it("paints a table's leading status word and the verdict, nothing else", () => {
    const paint = painter(true);
    expect(
      [
        'ok      file  a',
        'FAILED  file  b',
        'warning extra c',
        'skipped x',
        'VERIFIED: t (1 ok)',
        'okay',
      ].map((l) => paintLeadingStatus(l, paint)),
    ).toEqual([
      '\x1b[32mok\x1b[39m      file  a',
      '\x1b[31mFAILED\x1b[39m  file  b',
      '\x1b[33mwarning\x1b[39m extra c',
      'skipped x',
      '\x1b[32mVERIFIED:\x1b[39m t (1 ok)',
      'okay',
    ]);
    expect(paintLeadingStatus('FAILED  file  b', painter(false))).toBe('FAILED  file  b');
  });
});
