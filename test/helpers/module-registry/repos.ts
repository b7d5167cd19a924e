// The sources a test module registry serves: git repositories (one per module, a tag
// vVERSION per version, served with git's dumb HTTP protocol: a bare repository after
// `git update-server-info` is just static files) and archives (.tar.gz made with the
// real tar, .zip with airgap's deterministic writer). Commits are made with fixed
// names and dates, so a module's commit id is the same on every run and can be asserted.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { writeDeterministicZip } from '../../../src/adapters/archive/zip-write.js';

const run = promisify(execFile);

/** A module version's files: path -> content, {content, mode} for an executable, or {symlink: target}. */
export type ModuleFiles = Record<string, string | { content: string; mode: number } | { symlink: string }>;

function fileOf(value: ModuleFiles[string]): { content: string; mode: number } {
  if (typeof value === 'string') return { content: value, mode: 0o644 };
  if ('symlink' in value) throw new Error('test module registry: symlinks only go into git repositories');
  return value;
}

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'airgap test',
  GIT_AUTHOR_EMAIL: 'test@airgap.test',
  GIT_COMMITTER_NAME: 'airgap test',
  GIT_COMMITTER_EMAIL: 'test@airgap.test',
  GIT_AUTHOR_DATE: '2024-01-01T00:00:00Z',
  GIT_COMMITTER_DATE: '2024-01-01T00:00:00Z',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  LC_ALL: 'C',
};

async function git(args: string[], cwd: string): Promise<string> {
  const { stdout } = await run('git', args, { cwd, env: { PATH: process.env.PATH, ...GIT_ENV } });
  return stdout.trim();
}

export async function writeFiles(dir: string, files: ModuleFiles): Promise<void> {
  for (const [name, value] of Object.entries(files)) {
    const file = path.join(dir, ...name.split('/'));
    await fs.mkdir(path.dirname(file), { recursive: true });
    if (typeof value !== 'string' && 'symlink' in value) {
      await fs.symlink(value.symlink, file);
      continue;
    }
    const { content, mode } = fileOf(value);
    await fs.writeFile(file, content);
    await fs.chmod(file, mode);
  }
}

/**
 * A bare repository at `bare` holding one commit per version (each commit's tree is
 * exactly that version's files), tagged vVERSION, ready for dumb HTTP. Returns each
 * version's commit id.
 */
export async function buildGitRepo(
  bare: string,
  versions: readonly { version: string; files: ModuleFiles }[],
): Promise<Map<string, string>> {
  const work = `${bare}.work`;
  await fs.rm(work, { recursive: true, force: true });
  await fs.rm(bare, { recursive: true, force: true });
  await fs.mkdir(work, { recursive: true });
  await git(['init', '--quiet', '--initial-branch=main'], work);
  const commits = new Map<string, string>();
  for (const v of versions) {
    for (const entry of await fs.readdir(work)) {
      if (entry !== '.git') await fs.rm(path.join(work, entry), { recursive: true, force: true });
    }
    await writeFiles(work, v.files);
    await git(['add', '--all'], work);
    await git(['commit', '--quiet', '--allow-empty', '-m', `version ${v.version}`], work);
    await git(['tag', `v${v.version}`], work);
    commits.set(v.version, await git(['rev-parse', 'HEAD'], work));
  }
  await run('git', ['clone', '--quiet', '--bare', work, bare], {
    env: { PATH: process.env.PATH, ...GIT_ENV },
  });
  await git(['update-server-info'], bare);
  await fs.rm(work, { recursive: true, force: true });
  return commits;
}

/** A .tar.gz of `files` made with tar, at its root or under a top directory (as GitHub's tarballs). */
export async function buildTarGz(dest: string, files: ModuleFiles, top?: string): Promise<void> {
  const stage = `${dest}.stage`;
  await fs.rm(stage, { recursive: true, force: true });
  await fs.mkdir(stage, { recursive: true });
  await writeFiles(top === undefined ? stage : path.join(stage, top), files);
  const what = top === undefined ? '.' : top;
  await run('tar', [
    '-czf',
    dest,
    '-C',
    stage,
    '--sort=name',
    '--owner=0',
    '--group=0',
    '--mtime=2024-01-01',
    what,
  ]);
  await fs.rm(stage, { recursive: true, force: true });
}

/** A .zip of `files` at its root. */
export async function buildZip(dest: string, files: ModuleFiles): Promise<void> {
  await writeDeterministicZip(
    dest,
    Object.entries(files).map(([name, value]) => {
      const { content, mode } = fileOf(value);
      return { name, mode, data: Buffer.from(content) };
    }),
  );
}
