// Colour for the status words a person scans for (ok, FAILED, warning), on a terminal
// only: never when NO_COLOR is set to anything but the empty string (no-color.org), with
// --no-color, or when the stream is not a TTY (a pipe, a file, a CI log). Plain ANSI SGR
// codes; nothing here is worth a dependency.

export interface Paint {
  ok(text: string): string;
  failed(text: string): string;
  warning(text: string): string;
}

export interface ColourChoice {
  stream: { isTTY?: boolean };
  env: Record<string, string | undefined>;
  /** --no-color was given. */
  noColor: boolean;
}

export function colourEnabled({ stream, env, noColor }: ColourChoice): boolean {
  if (noColor) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true;
}

function sgr(open: number, close: number): (text: string) => string {
  return (text) => `\x1b[${open}m${text}\x1b[${close}m`;
}

const PLAIN: Paint = { ok: (t) => t, failed: (t) => t, warning: (t) => t };
const COLOURED: Paint = { ok: sgr(32, 39), failed: sgr(31, 39), warning: sgr(33, 39) };

export function painter(enabled: boolean): Paint {
  return enabled ? COLOURED : PLAIN;
}

/**
 * The leading status word of a line (`ok`, `FAILED`, `warning`, and the verdicts
 * `VERIFIED:`/`FAILED:`), painted; the rest of the line as it was. For tables whose
 * first column is the status.
 */
export function paintLeadingStatus(line: string, paint: Paint): string {
  const m = /^(ok|FAILED|warning|VERIFIED:|FAILED:)(?=\s|$)/.exec(line);
  if (m === null) return line;
  const word = m[1]!;
  const painted =
    word === 'ok' || word === 'VERIFIED:'
      ? paint.ok(word)
      : word === 'warning'
        ? paint.warning(word)
        : paint.failed(word);
  return painted + line.slice(word.length);
}
