// Fetching a module's git repository with the system `git`, as go-getter's git getter
// does for `git::https://...?ref=REF`: a shallow clone of that ref without submodules,
// and the commit it resolved to. A server that cannot do shallow fetches (git's "dumb"
// HTTP protocol) gets a full clone instead; the tree checked out is the same.
//
// Hardening: https only (protocol.allow), no prompts (a missing credential fails rather
// than hangs), no submodules, and the CA bundle airgap trusts handed to git when there
// are extra CAs (git's TLS library ignores SSL_CERT_FILE). Proxies come from the
// environment (HTTPS_PROXY, NO_PROXY), which git reads itself.

import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { AirgapError } from '../../core/errors.js';
import { redactText, redactUrl } from '../../core/redact.js';

export interface GitCloneOptions {
  url: string;
  /** Tag, branch or commit; absent: the default branch. */
  ref?: string;
  /** Created by the clone; must not exist. */
  dest: string;
  env: Record<string, string | undefined>;
  /** A PEM bundle replacing git's trust store (system roots plus extra CAs). */
  caFile?: string;
  /** Names the module in messages. */
  label: string;
}

const MAX_OUTPUT = 4 * 1024 * 1024;

function run(
  args: string[],
  env: Record<string, string | undefined>,
  cwd?: string,
): Promise<{ ok: boolean; stdout: string; stderr: string; missing: boolean }> {
  return new Promise((resolve) => {
    execFile(
      'git',
      args,
      { env: env as NodeJS.ProcessEnv, maxBuffer: MAX_OUTPUT, ...(cwd === undefined ? {} : { cwd }) },
      (error, stdout, stderr) => {
        const missing = (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';
        resolve({ ok: error === null, stdout: String(stdout), stderr: String(stderr), missing });
      },
    );
  });
}

/** Clones `url` at `ref` into `dest`; returns the commit checked out. */
export async function gitCloneAtRef(options: GitCloneOptions): Promise<{ commit: string }> {
  const env: Record<string, string | undefined> = {
    ...options.env,
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '',
    SSH_ASKPASS: '',
    LC_ALL: 'C',
  };
  const config = [
    '-c',
    'protocol.allow=never',
    '-c',
    'protocol.https.allow=always',
    '-c',
    'advice.detachedHead=false',
    ...(options.caFile === undefined ? [] : ['-c', `http.sslCAInfo=${options.caFile}`]),
  ];
  const fail = (what: string, stderr: string): AirgapError =>
    new AirgapError(
      'MODULE_FETCH_FAILED',
      `module ${options.label}: git ${what} ${redactUrl(options.url)}${options.ref === undefined ? '' : ` at ${options.ref}`} failed: ${lastLines(redactText(stderr))}`,
      { address: redactUrl(options.url), ...(options.ref === undefined ? {} : { version: options.ref }) },
      'check that the repository and ref exist and are reachable over https from this machine',
    );

  const shallow = await run(
    [
      ...config,
      'clone',
      '--quiet',
      '--depth',
      '1',
      '--no-tags',
      '--single-branch',
      '--no-recurse-submodules',
      ...(options.ref === undefined ? [] : ['--branch', options.ref]),
      '--',
      options.url,
      options.dest,
    ],
    env,
  );
  if (shallow.missing) {
    throw new AirgapError(
      'MODULE_FETCH_FAILED',
      `module ${options.label}: its source is a git repository, and no git program is on PATH`,
      { address: redactUrl(options.url), expected: 'git on PATH' },
      'install git (apt-get install git)',
    );
  }
  if (!shallow.ok) {
    // A dumb-HTTP server, or a ref that is a commit id: --depth and --branch cannot do
    // those; a full clone and a checkout can.
    await fs.rm(options.dest, { recursive: true, force: true });
    const full = await run(
      [
        ...config,
        'clone',
        '--quiet',
        '--no-checkout',
        '--no-recurse-submodules',
        '--',
        options.url,
        options.dest,
      ],
      env,
    );
    if (!full.ok) throw fail('clone of', full.stderr || shallow.stderr);
    const target = options.ref === undefined ? 'HEAD' : await resolveRef(options.dest, options.ref, env);
    if (target === undefined) throw fail('clone of', `ref "${options.ref}" not found in the repository`);
    const checkout = await run([...config, 'checkout', '--quiet', '--detach', target], env, options.dest);
    if (!checkout.ok) throw fail('checkout of', checkout.stderr);
  }
  const head = await run(['rev-parse', '--verify', 'HEAD^{commit}'], env, options.dest);
  const commit = head.stdout.trim();
  if (!head.ok || !/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(commit)) throw fail('rev-parse in', head.stderr);
  return { commit };
}

async function resolveRef(
  dir: string,
  ref: string,
  env: Record<string, string | undefined>,
): Promise<string | undefined> {
  for (const candidate of [`refs/tags/${ref}`, `refs/remotes/origin/${ref}`, ref]) {
    const r = await run(['rev-parse', '--verify', '--quiet', `${candidate}^{commit}`], env, dir);
    if (r.ok && r.stdout.trim() !== '') return r.stdout.trim();
  }
  return undefined;
}

function lastLines(text: string): string {
  const lines = text
    .trim()
    .split('\n')
    .filter((l) => l.trim() !== '');
  return lines.slice(-3).join(' / ') || 'no message';
}

/** The directory git keeps its data in, which never goes into a module's package. */
export const GIT_DIR = '.git';

/** Removes the clone's git data, leaving the checked-out tree. */
export async function dropGitData(dir: string): Promise<void> {
  await fs.rm(path.join(dir, GIT_DIR), { recursive: true, force: true });
}
