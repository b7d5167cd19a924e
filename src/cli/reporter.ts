// Progress and warnings on stderr. A TTY gets one live progress bar over all
// packages; anything else (CI logs, pipes) gets one line per finished package.
// With --json, stdout carries only the JSON document.

import type { ProgressEvent, Reporter } from '../core/ports.js';
import { redactText } from '../core/redact.js';

export interface ReporterOptions {
  stream: NodeJS.WriteStream;
  json: boolean;
}

function mb(bytes: number): string {
  return bytes < 1e6 ? `${(bytes / 1e3).toFixed(1)} kB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

export function createReporter({ stream, json }: ReporterOptions): Reporter & { finish(): void } {
  const tty = stream.isTTY === true && !json;
  const started = new Set<string>();
  const finished = new Set<string>();
  let bytes = 0;
  let lastDraw = 0;
  const t0 = Date.now();

  function clearLine(): void {
    if (tty) stream.write('\r\x1b[2K');
  }

  function draw(force = false): void {
    if (!tty) return;
    const now = Date.now();
    if (!force && now - lastDraw < 100) return;
    lastDraw = now;
    const total = Math.max(started.size, 1);
    const width = 24;
    const filled = Math.round((finished.size / total) * width);
    const rate = bytes / Math.max((now - t0) / 1000, 0.001);
    stream.write(
      `\r\x1b[2K[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${finished.size}/${started.size} packages  ${mb(bytes)}  ${mb(rate)}/s`,
    );
  }

  function line(text: string): void {
    clearLine();
    // Warnings quote error messages, and those may quote URLs: no secret reaches the terminal.
    stream.write(`${redactText(text)}\n`);
    draw(true);
  }

  return {
    info(message) {
      if (!json) line(message);
    },
    warn(message) {
      line(`Warning: ${message}`);
    },
    progress(e: ProgressEvent) {
      if (e.phase === 'start') {
        started.add(e.id);
        draw();
        return;
      }
      if (e.phase === 'bytes') {
        bytes += e.bytes ?? 0;
        draw();
        return;
      }
      started.add(e.id);
      finished.add(e.id);
      if (json) return;
      const verb = e.phase === 'cached' ? 'present ' : e.phase === 'failed' ? 'FAILED  ' : 'verified';
      const size = e.bytes === undefined ? '' : ` (${mb(e.bytes)})`;
      if (tty && e.phase !== 'failed') draw(true);
      else line(`${verb} ${e.label}${size}`);
    },
    finish() {
      if (tty) {
        draw(true);
        stream.write('\n');
      }
    },
  };
}
