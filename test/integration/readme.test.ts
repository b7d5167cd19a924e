// The README's command reference against what the CLI says of itself: every command
// `airgap --help` lists has a `##` section whose heading names it (`airgap NAME`); every
// flag `airgap NAME --help` lists appears in that section as `--flag`; and every `--flag`
// the README gives a command (in its section, or after `airgap NAME` anywhere) is one of
// that command's flags. Also: the Node version the Quick start names is package.json's.
// Commands come from --help, so a new one (`airgap plan`, from another branch) is checked
// as soon as it exists: its section's heading must name it. A section that says it takes
// "every flag of `airgap X`" counts the flags both share as documented in X's section.

import fs from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { runCli } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/realdata.js';

let readme: string;
let commands: string[];
const flagsOf = new Map<string, Set<string>>();

/** Command names from the COMMANDS section of `airgap --help`. */
function parseCommands(help: string): string[] {
  const at = help.indexOf('\nCOMMANDS\n');
  expect(at, 'airgap --help lists COMMANDS').toBeGreaterThan(0);
  const names: string[] = [];
  for (const line of help.slice(at + '\nCOMMANDS\n'.length).split('\n')) {
    if (!line.startsWith('  ')) break;
    // A command with no summary (the version plugin's) is its name alone.
    const m = /^ {2}([a-z][a-z-]*)(?: {2}|$)/.exec(line);
    if (m) names.push(m[1]!);
  }
  return names;
}

/**
 * Flag names from the FLAGS sections (FLAGS, GLOBAL FLAGS, NAME FLAGS) of `airgap NAME --help`: the lines
 * that start a flag (`  --x`, `  -f, --x`, `      --x`); descriptions are indented further.
 */
function parseFlags(help: string): Set<string> {
  const flags = new Set<string>();
  let inFlags = false;
  for (const line of help.split('\n')) {
    if (/^[A-Z][A-Z0-9 ]*$/.test(line)) {
      // FLAGS, GLOBAL FLAGS, and the groups flags are shown in (OUTPUT FLAGS, ...).
      inFlags = /FLAGS$/.test(line);
      continue;
    }
    if (!inFlags) continue;
    const m = /^ {2}(?:-\w, | {4})?--(?:\[no-\])?([a-z0-9][a-z0-9-]*)/.exec(line);
    if (m) flags.add(m[1]!);
  }
  return flags;
}

interface Section {
  heading: string;
  /** The command the heading names (`airgap NAME` in it), if any. */
  command?: string;
  body: string;
}

function sections(text: string): Section[] {
  return text
    .split(/^(?=## )/m)
    .filter((s) => s.startsWith('## '))
    .map((s) => {
      const heading = s.slice(0, s.indexOf('\n'));
      const command = /`airgap ([a-z][a-z-]*)`/.exec(heading)?.[1];
      return { heading, body: s, ...(command === undefined ? {} : { command }) };
    });
}

const FLAG = /(?<![\w-])--([a-z0-9][a-z0-9-]*)/g;

/** A section saying it takes another command's flags ("every flag of `airgap mirror`"). */
const DELEGATES = /(?:every flag|all (?:the )?flags|the same flags) (?:of|as) `airgap ([a-z][a-z-]*)`/i;

interface FlagUse {
  command: string;
  flag: string;
  /** The code or text it was found in, for the failure message. */
  context: string;
}

/**
 * The flags a piece of text gives to a command: in shell blocks, each line (continuations
 * joined, comments dropped) that runs `airgap NAME` gives its flags to NAME, and lines
 * running other programs (gpg, tar, docker) give none; in inline code, a span with
 * `airgap NAME` gives the flags after it to NAME, a span starting with another program's
 * name gives none, and any other span (`--flag VALUE`) gives its flags to `own`, the
 * section's command, as does running text.
 */
function flagUses(text: string, own: string | undefined): FlagUse[] {
  const uses: FlagUse[] = [];
  const add = (command: string | undefined, chunk: string): void => {
    if (command === undefined) return;
    for (const m of chunk.matchAll(FLAG)) uses.push({ command, flag: m[1]!, context: chunk.trim() });
  };
  const fences = /^```(\w*)\n([\s\S]*?)^```$/gm;
  let prose = '';
  let last = 0;
  for (const m of text.matchAll(fences)) {
    prose += text.slice(last, m.index);
    last = m.index + m[0].length;
    if (m[1] !== 'sh') continue;
    for (const line of m[2]!.replace(/\\\n\s*/g, ' ').split('\n')) {
      const code = line.replace(/(^|\s)#.*$/, '');
      const run = /^\s*airgap ([a-z][a-z-]*)\b/.exec(code);
      if (run) add(run[1], code.slice(run[0].length));
    }
  }
  prose += text.slice(last);
  let rest = prose;
  for (const m of prose.matchAll(/`([^`]+)`/g)) {
    const span = m[1]!.replace(/\s+/g, ' ');
    const run = /airgap ([a-z][a-z-]*)\b/.exec(span);
    if (run) add(run[1], span.slice(run.index + run[0].length));
    else if (!/^[a-z]/.test(span.trim())) add(own, span);
    rest = rest.replace(m[0], ' ');
  }
  add(own, rest);
  return uses;
}

beforeAll(async () => {
  readme = await fs.readFile(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const top = await runCli(['--help']);
  expect(top.code).toBe(0);
  commands = parseCommands(top.stdout);
  const manifest = JSON.parse(await fs.readFile(path.join(REPO_ROOT, 'oclif.manifest.json'), 'utf8')) as {
    commands: Record<string, unknown>;
  };
  expect(commands).toEqual([...Object.keys(manifest.commands), ...PLUGIN_COMMANDS].sort());
  await Promise.all(
    commands.map(async (c) => {
      const r = await runCli([c, '--help']);
      expect(r.code).toBe(0);
      flagsOf.set(c, parseFlags(r.stdout));
    }),
  );
}, 60_000);

/** The commands of the oclif plugins in package.json (help, version, autocomplete; not-found has none). */
const PLUGIN_COMMANDS = ['autocomplete', 'help', 'version'];

/** The base command's flags: on every command, documented once. */
const EVERY_COMMAND = new Set(['quiet', 'verbose', 'no-color']);

describe('the README command reference', () => {
  it('reads the commands and their flags from --help', () => {
    expect(commands).toEqual(expect.arrayContaining(['export', 'import', 'init', 'mirror', 'verify']));
    expect([...flagsOf.get('verify')!].sort()).toEqual([
      'against',
      'all',
      'ca-cert',
      'insecure-skip-signature',
      'json',
      'lockfile',
      'no-color',
      'quiet',
      's3-endpoint',
      's3-path-style',
      'terraform-key',
      'tofu-key',
      'trusted-key',
      'verbose',
    ]);
    expect(flagsOf.get('init')).toEqual(
      new Set(['file', 'dir', 'force', 'parents', 'platform', 'json', 'quiet', 'verbose', 'no-color']),
    );
  });

  it('has a section for every command, naming every flag its --help lists', () => {
    const problems: string[] = [];
    const all = sections(readme);
    const everyCommand = readme
      .split('\n\n')
      .filter((p) => p.includes('(every command)'))
      .join('\n');
    for (const c of commands) {
      const mine = all.filter((s) => s.command === c);
      if (mine.length === 0) {
        problems.push(`no "## ..." heading names \`airgap ${c}\``);
        continue;
      }
      if (mine.length > 1)
        problems.push(`several headings name \`airgap ${c}\`: ${mine.map((s) => s.heading)}`);
      const body = mine.map((s) => s.body).join('\n');
      // "every flag of `airgap mirror`": the flags both commands have are documented there.
      const delegate = DELEGATES.exec(body)?.[1];
      const there = all
        .filter((s) => delegate !== undefined && s.command === delegate)
        .map((s) => s.body)
        .join('\n');
      const shared = (f: string): boolean => delegate !== undefined && flagsOf.get(delegate)?.has(f) === true;
      for (const f of flagsOf.get(c)!) {
        const mentioned = new RegExp(`(?<![\\w-])--${f}(?![\\w-])`);
        // Flags every command has are described once, in the "(every command)" paragraphs.
        if (EVERY_COMMAND.has(f) && mentioned.test(everyCommand)) continue;
        if (!mentioned.test(body) && !(shared(f) && mentioned.test(there))) {
          problems.push(`${mine[0]!.heading}: --${f} (in \`airgap ${c} --help\`) is not mentioned`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('gives no command a flag it does not have', () => {
    const problems: string[] = [];
    const own = flagUses(readme, undefined);
    const inSections = sections(readme).flatMap((s) => flagUses(s.body, s.command));
    for (const u of [...own, ...inSections]) {
      const flags = flagsOf.get(u.command);
      if (flags === undefined) {
        problems.push(`\`airgap ${u.command}\` is not a command (${u.context})`);
        continue;
      }
      if (!flags.has(u.flag)) problems.push(`airgap ${u.command} has no --${u.flag}: ${u.context}`);
    }
    expect([...new Set(problems)]).toEqual([]);
  });

  it('the checker sees flags where the README puts them', () => {
    const text = [
      '## `airgap verify`',
      '',
      '```sh',
      'airgap verify x.tar --trusted-key k \\',
      '  --bogus-one   # --not-this',
      'gpg --verify SHA256SUMS.sig',
      '```',
      '',
      'With `--bogus-two FILE`, or `airgap import x --bogus-three`; `docker build --nope`; --bogus-four.',
    ].join('\n');
    const s = sections(text);
    expect(s.map((x) => x.command)).toEqual(['verify']);
    expect(DELEGATES.exec('It takes every flag of `airgap mirror`, and')?.[1]).toBe('mirror');
    expect(DELEGATES.exec('with the same flags as `airgap mirror`')?.[1]).toBe('mirror');
    expect(flagUses(s[0]!.body, 'verify').map((u) => `${u.command} ${u.flag}`)).toEqual([
      'verify trusted-key',
      'verify bogus-one',
      'verify bogus-two',
      'import bogus-three',
      'verify bogus-four',
    ]);
  });

  it('names the Node version package.json requires, for both sides of the gap', async () => {
    const pkg = JSON.parse(await fs.readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
      engines: { node: string };
    };
    expect(pkg.engines.node).toBe('>=20.19');
    const quick = sections(readme).find((s) => s.heading === '## Quick start')!.body;
    expect(quick).toContain('Node.js 20.19 or later');
    expect(quick).toMatch(/connected side/);
    expect(quick).toMatch(/isolated side/);
  });
});
