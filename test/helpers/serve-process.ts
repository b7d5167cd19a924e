// `airgap serve` as a real child process (bin/run.js over dist/): started, read until it
// has printed its whole start banner, and stopped by its PID with SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { AIRGAP_BIN } from './cli.js';
import { REPO_ROOT } from './realdata.js';

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  port: number;
  cliConfigPath: string;
  caCertPath: string;
  stdout(): string;
  stderr(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

export async function startServeProcess(
  args: string[],
  options: { env?: Record<string, string> } = {},
): Promise<ServeProcess> {
  if (!existsSync(path.join(REPO_ROOT, 'dist', 'commands'))) {
    throw new Error('dist/ is missing: run `npm run build` before the CLI tests');
  }
  const child = spawn(process.execPath, [AIRGAP_BIN, 'serve', ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  // The banner ends with the "Worker processes:" line, then (without --quiet) the CLI
  // configuration, whose last line is the closing brace of provider_installation. Waiting for
  // an earlier line raced the later ones: a test read stdout before "Worker processes" came.
  const quiet = args.includes('--quiet');
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const banner = /^Worker processes: .*\n/m.exec(out);
      if (banner === null) return;
      if (quiet || /provider_installation \{[\s\S]*\n\}\n/.test(out.slice(banner.index))) resolve();
    });
    void exited.then((code) => reject(new Error(`airgap serve exited with ${code}:\n${out}\n${err}`)));
  });
  await ready;
  const url = /at (https:\/\/\S+?)\/\n/.exec(out)![1]!;
  return {
    child,
    url,
    port: Number(new URL(url).port),
    cliConfigPath: /CLI configuration: (\S+)/.exec(out)![1]!,
    caCertPath: /CA certificate: (\S+)/.exec(out)?.[1] ?? '',
    stdout: () => out,
    stderr: () => err,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
