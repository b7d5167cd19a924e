// `airgap init`: writes a starting airgap.yaml from what is below a directory. One walk
// (the lock file search of --dir) finds the lock files and the version managers'
// files; the lock files give the providers (listed in a comment) and, through their
// registries, the workflow tool; core/spec/render-init.ts writes the text.
//
// Platforms are not read from the lock files: their hashes do not say which platform
// they are for (an h1: or zh: is a bare digest), and the platforms a developer's
// `tofu init` recorded are those of their laptop, not of the runners. The default is
// the runners' (linux_amd64, linux_arm64, what Spacelift workers run); --platform says
// otherwise.

import { link, lstat, mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { tempPathBeside, writeFileAtomic } from '../../adapters/fs/atomic.js';
import { filesNamedBelow } from '../../adapters/fs/find-lockfiles.js';
import type { WalkEntry } from '../../adapters/fs/walk.js';
import { AirgapError, AirgapErrors, BugError, isAirgapError } from '../../core/errors.js';
import { BUNDLE, LOCKFILE_NAME, LOCKFILE_SEARCH_SKIP, VERSION_FILE_NAMES } from '../../core/layout/names.js';
import { parseLockFile } from '../../core/lockfile/index.js';
import type { Reporter } from '../../core/ports.js';
import { formatProviderAddress } from '../../core/provider/address.js';
import { DEFAULT_PLATFORMS, parsePlatform } from '../../core/provider/platform.js';
import type { ReleaseTool } from '../../core/releases/types.js';
import { parseSpec } from '../../core/spec/parse.js';
import { renderInitialSpec } from '../../core/spec/render-init.js';
import { SPEC_FILE_NAME } from '../../core/spec/types.js';

export interface InitOptions {
  /** The working directory: `dir` and `file` are relative to it. */
  cwd: string;
  /** Where to look for lock files (--dir); default `cwd`. */
  dir?: string;
  /** The file to write (-f); default airgap.yaml in `cwd`. */
  file?: string;
  /** OS_ARCH (--platform); default linux_amd64, linux_arm64. */
  platforms?: readonly string[];
  /** Replace an existing file (--force). */
  force?: boolean;
}

/** `airgap init --json` (docs/JSON-OUTPUT.md). */
export interface InitResult {
  schemaVersion: 1;
  /** Absolute path of the file written. */
  file: string;
  /** It replaced an existing file (--force). */
  replaced: boolean;
  /** The directory searched, absolute. */
  searched: string;
  /** The `lockfiles` entries written, relative to the file's directory, in the file's order. */
  lockfiles: string[];
  /** Fully qualified provider addresses the lock files name, sorted. */
  providers: string[];
  platforms: string[];
  defaultRegistry: string;
  workflowTool: ReleaseTool;
  /** The `binaries` written (from .opentofu-version / .terraform-version files). */
  binaries: Partial<Record<ReleaseTool, string[]>>;
  warnings: string[];
}

export async function runInit(options: InitOptions, reporter: Reporter): Promise<InitResult> {
  const platforms = [...new Set(options.platforms ?? DEFAULT_PLATFORMS)];
  for (const p of platforms) parsePlatform(p);
  const shownFile = options.file ?? SPEC_FILE_NAME;
  const file = path.resolve(options.cwd, shownFile);
  const shownDir = options.dir ?? '.';
  const searched = path.resolve(options.cwd, shownDir);
  const existing = await existingEntry(file, shownFile, options.force === true);
  await requireDirectory(searched, shownDir);

  const found = await searchBelow(searched, options.cwd, reporter);
  const lockPaths = found.filter((f) => f.name === LOCKFILE_NAME).map((f) => f.path);
  const providers = await providersOf(lockPaths, options.cwd);
  const binaries = await versionsFrom(found);
  const specDir = path.dirname(file);
  const lockfiles = lockPaths.map((p) => path.relative(specDir, p).split(path.sep).join('/'));

  const text = renderInitialSpec({
    lockfiles,
    platforms,
    providers,
    binaries,
    ...(searched === specDir ? {} : { searchedDir: relativeDir(specDir, searched) }),
  });
  const spec = readBack(text, shownFile);

  const warnings: string[] = [];
  if (lockPaths.length === 0) {
    const skipped = LOCKFILE_SEARCH_SKIP.map((s) => `${s}/`).join(', ');
    warnings.push(
      `no ${LOCKFILE_NAME} below ${shownDir} (${skipped} are not searched): ${shownFile} lists no lock files; ` +
        'add lock files (or providers) to it before `airgap plan`',
    );
  }
  for (const w of warnings) reporter.warn(w);

  // An existing file got this far only with --force.
  if (existing) await writeFileAtomic(file, text);
  else await writeNewFile(file, shownFile, text);

  return {
    schemaVersion: 1,
    file,
    replaced: existing,
    searched,
    lockfiles: spec.lockfiles,
    providers,
    platforms: spec.platforms,
    defaultRegistry: spec.defaultRegistry,
    workflowTool: spec.workflowTool,
    binaries: spec.binaries,
    warnings,
  };
}

/** Whether `file` exists; refused without `force`, and always when it is not a regular file. */
async function existingEntry(file: string, shown: string, force: boolean): Promise<boolean> {
  const st = await lstat(file).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw new AirgapError('FS_ERROR', `cannot read ${shown}: ${e.message}`, { path: file, cause: e });
  });
  if (st === undefined) return false;
  if (!st.isFile()) {
    const what = st.isDirectory()
      ? 'a directory'
      : st.isSymbolicLink()
        ? 'a symbolic link'
        : 'a special file';
    throw new AirgapError(
      'USAGE',
      `${shown} is ${what}; airgap init writes a new file there only in place of a regular file`,
      { path: file, expected: 'no file, or a regular file (with --force)', actual: what },
      'pass -f FILE to write the spec somewhere else',
    );
  }
  if (force) return true;
  throw alreadyExists(file, shown, '');
}

function alreadyExists(file: string, shown: string, when: string): AirgapError {
  return new AirgapError(
    'USAGE',
    `${shown} already exists${when}; airgap init does not replace it without --force`,
    { path: file, expected: 'no file', actual: 'an existing file' },
    'edit it, pass --force to replace it, or pass -f FILE to write another file',
  );
}

/**
 * The lock files and version files below `dir`, found as --dir finds lock files. A bundle
 * airgap mirror wrote (or an extracted one: a directory holding airgap.json) is left out:
 * its lockfiles/ holds copies, outputs rather than stacks.
 */
async function searchBelow(
  dir: string,
  cwd: string,
  reporter: Reporter,
): Promise<{ path: string; name: string }[]> {
  const isBundle = async (d: WalkEntry): Promise<boolean> => {
    const manifest = Buffer.concat([d.abs, Buffer.from(`/${BUNDLE.manifest}`)]);
    const st = await lstat(manifest).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return undefined;
      throw new AirgapError('FS_ERROR', `cannot read ${d.path}/${BUNDLE.manifest}: ${e.message}`, {
        path: `${d.path}/${BUNDLE.manifest}`,
        cause: e,
      });
    });
    if (st?.isFile() !== true) return false;
    reporter.info(
      `left out ${relativeDir(cwd, d.path)}/: a bundle (it holds ${BUNDLE.manifest}), whose lock files are copies`,
    );
    return true;
  };
  return filesNamedBelow(dir, [LOCKFILE_NAME, ...Object.values(VERSION_FILE_NAMES)], isBundle);
}

async function requireDirectory(dir: string, shown: string): Promise<void> {
  try {
    if ((await stat(dir)).isDirectory()) return;
  } catch (e) {
    throw new AirgapError(
      'INPUT_NOT_FOUND',
      `--dir ${shown}: not a readable directory (${(e as Error).message})`,
      {
        path: dir,
        cause: e,
      },
    );
  }
  throw new AirgapError('INPUT_NOT_FOUND', `--dir ${shown}: not a directory`, {
    path: dir,
    expected: 'a directory',
    actual: 'a file',
  });
}

/** Fully qualified addresses the lock files name, sorted; every unreadable lock file reported at once. */
async function providersOf(lockPaths: readonly string[], cwd: string): Promise<string[]> {
  const providers = new Set<string>();
  const errors: AirgapError[] = [];
  for (const p of lockPaths) {
    const shown = path.relative(cwd, p) || p;
    try {
      // Normalised constraints ("~>1.8") are accepted: only the addresses are read here.
      const lock = parseLockFile(await readFile(p, 'utf8'), shown, { normaliseConstraints: true });
      for (const provider of lock.providers) providers.add(formatProviderAddress(provider.address));
    } catch (e) {
      if (e instanceof AirgapErrors) errors.push(...e.errors);
      else if (isAirgapError(e)) errors.push(e);
      else
        throw new AirgapError('FS_ERROR', `cannot read ${shown}: ${(e as Error).message}`, {
          path: p,
          cause: e,
        });
    }
  }
  if (errors.length > 0) throw errors.length === 1 ? errors[0]! : new AirgapErrors(errors);
  return [...providers].sort();
}

/**
 * What the version files say, per tool, in walk order, each value once. The first line
 * that is not empty or a comment is the value (tfenv and tofuenv read the same line);
 * render-init notes values that are not a version or constraint ("latest") instead of
 * writing them.
 */
async function versionsFrom(
  found: readonly { path: string; name: string }[],
): Promise<Partial<Record<ReleaseTool, string[]>>> {
  const out: Partial<Record<ReleaseTool, string[]>> = {};
  for (const tool of ['tofu', 'terraform'] as const) {
    for (const f of found.filter((x) => x.name === VERSION_FILE_NAMES[tool])) {
      const text = await readFile(f.path, 'utf8').catch((e: unknown) => {
        throw new AirgapError('FS_ERROR', `cannot read ${f.path}: ${(e as Error).message}`, {
          path: f.path,
          cause: e,
        });
      });
      const value = text
        .split(/\r?\n/)
        .map((l) => l.replace(/#.*/, '').trim())
        .find((l) => l !== '');
      if (value === undefined) continue;
      const list = (out[tool] ??= []);
      if (!list.includes(value)) list.push(value);
    }
  }
  return out;
}

function relativeDir(from: string, to: string): string {
  const rel = path.relative(from, to).split(path.sep).join('/');
  return rel === '' ? '.' : rel;
}

interface WrittenSpec {
  lockfiles: string[];
  platforms: string[];
  defaultRegistry: string;
  workflowTool: ReleaseTool;
  binaries: Partial<Record<ReleaseTool, string[]>>;
}

/** What the rendered text says, read back with the parser every command uses: the result reports the file, not the intent. */
function readBack(text: string, shown: string): WrittenSpec {
  try {
    const spec = parseSpec(text, shown);
    const binaries: Partial<Record<ReleaseTool, string[]>> = {};
    for (const tool of ['tofu', 'terraform'] as const) {
      const b = spec.binaries?.value[tool];
      if (b !== undefined) binaries[tool] = b.versions.value.map((v) => v.value);
    }
    return {
      lockfiles: spec.lockfiles?.value.map((l) => l.value) ?? [],
      platforms: spec.platforms?.value.map((p) => p.value) ?? [],
      defaultRegistry: spec.defaultRegistry!.value,
      workflowTool: spec.configs!.value.workflowTool!.value,
      binaries,
    };
  } catch (e) {
    throw new BugError(`the airgap.yaml airgap init rendered does not read back: ${(e as Error).message}`, e);
  }
}

/**
 * Writes `file`, which must not exist: the text goes to a temp file beside it, flushed,
 * then hard-linked into place, so a file that appeared meanwhile is never replaced (link
 * fails with EEXIST where rename would overwrite) and a crash leaves no half-written file.
 */
async function writeNewFile(file: string, shown: string, text: string): Promise<void> {
  const tmp = tempPathBeside(file);
  try {
    await mkdir(path.dirname(file), { recursive: true });
    const fh = await open(tmp, 'wx', 0o644);
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await link(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw alreadyExists(file, shown, ' (it appeared while airgap init ran)');
    }
    throw new AirgapError('FS_ERROR', `cannot write ${shown}: ${(e as Error).message}`, {
      path: file,
      cause: e,
    });
  } finally {
    await rm(tmp, { force: true });
  }
}
