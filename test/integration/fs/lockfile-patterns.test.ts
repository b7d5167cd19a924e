// airgap.yaml `lockfiles` entries against a temp tree of real lock files
// (fixtures/realdata/lockfiles): paths, directories, globs, their origins, and the
// error for an entry that matches nothing.
import { copyFile, mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  expandLockfilePatterns,
  type ExpandedLockfile,
  type LockfilePattern,
} from '../../../src/adapters/fs/lockfile-patterns.js';
import { lockfileCopyNames } from '../../../src/core/bundle/lockfile-names.js';
import { AirgapError, AirgapErrors } from '../../../src/core/errors.js';
import { realdata } from '../../helpers/realdata.js';
import { makeTempDir } from '../../helpers/tmp.js';

const LOCK = '.terraform.lock.hcl';
const REAL = realdata('lockfiles', 'd13r__infra__tofu__terraform.lock.hcl');

let root: string;
let outside: string;

async function lock(rel: string): Promise<void> {
  await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
  await copyFile(REAL, path.join(root, rel));
}

beforeAll(async () => {
  root = await makeTempDir('airgap-patterns-');
  outside = await makeTempDir();
  await lock(`stacks/app/${LOCK}`);
  await lock(`stacks/db/${LOCK}`);
  await lock(`stacks/db/nested/${LOCK}`);
  await lock(`stacks/db/.terraform/modules/m/${LOCK}`);
  await lock(`stacks/node_modules/pkg/${LOCK}`);
  await lock('locks/prod.hcl');
  await lock('locks/staging.hcl');
  await writeFile(path.join(root, 'locks/README'), 'not a lock file');
  await mkdir(path.join(root, 'empty'));
  await copyFile(REAL, path.join(outside, LOCK));
  await symlink(outside, path.join(root, 'stacks/escape'));
  await symlink('../locks', path.join(root, 'stacks/linked'));
});

let line = 0;
function at(...texts: string[]): LockfilePattern[] {
  return texts.map((text) => ({ text, line: ++line, col: 5 }));
}

function summary(found: ExpandedLockfile[]): [string, string, string | undefined][] {
  return found.map((f) => [
    path.relative(root, f.path),
    f.pattern.text,
    f.dir === undefined ? undefined : path.relative(root, f.dir),
  ]);
}

async function failure(p: Promise<unknown>): Promise<AirgapError[]> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(AirgapError);
    return e instanceof AirgapErrors ? e.errors : [e as AirgapError];
  }
  throw new Error('expected an AirgapError');
}

describe('expandLockfilePatterns', () => {
  it('reads a path, a directory with and without "/", and "**" as that directory', async () => {
    for (const dir of ['stacks/', 'stacks', 'stacks/**', './stacks/**/']) {
      expect(summary(await expandLockfilePatterns(at(dir), root))).toEqual([
        [`stacks/app/${LOCK}`, dir, 'stacks'],
        [`stacks/db/${LOCK}`, dir, 'stacks'],
        [`stacks/db/nested/${LOCK}`, dir, 'stacks'],
        // Not below stacks/escape and stacks/linked (links leaving stacks/), .terraform/
        // or node_modules/.
      ]);
    }
    expect(summary(await expandLockfilePatterns(at('locks/prod.hcl'), root))).toEqual([
      ['locks/prod.hcl', 'locks/prod.hcl', undefined],
    ]);
  });

  it('follows a link only while it stays inside the walked directory', async () => {
    const t = await makeTempDir();
    await mkdir(path.join(t, 'real'));
    await copyFile(REAL, path.join(t, 'real/x.hcl'));
    await mkdir(path.join(t, 'b'));
    await symlink('../real/x.hcl', path.join(t, 'b', LOCK));
    await symlink(outside, path.join(t, 'out'));
    const dirs = await expandLockfilePatterns(at('./'), t);
    expect(dirs.map((f) => [f.path, f.dir])).toEqual([[path.join(t, 'b', LOCK), t]]);
    expect(summary(await expandLockfilePatterns(at('stacks/'), root)).map(([p]) => p)).not.toContain(
      `stacks/escape/${LOCK}`,
    );
  });

  it('matches files with a glob, each remembering the literal part as its directory', async () => {
    expect(summary(await expandLockfilePatterns(at(`stacks/**/${LOCK}`, 'locks/*.hcl'), root))).toEqual([
      ['locks/prod.hcl', 'locks/*.hcl', 'locks'],
      ['locks/staging.hcl', 'locks/*.hcl', 'locks'],
      [`stacks/app/${LOCK}`, `stacks/**/${LOCK}`, 'stacks'],
      [`stacks/db/${LOCK}`, `stacks/**/${LOCK}`, 'stacks'],
      [`stacks/db/nested/${LOCK}`, `stacks/**/${LOCK}`, 'stacks'],
    ]);
    expect(summary(await expandLockfilePatterns(at(`stacks/?b/${LOCK}`, 'locks/p*'), root))).toEqual([
      ['locks/prod.hcl', 'locks/p*', 'locks'],
      [`stacks/db/${LOCK}`, `stacks/?b/${LOCK}`, 'stacks'],
    ]);
  });

  it('reads a glob ending in "/" as directories, each searched like --dir', async () => {
    expect(summary(await expandLockfilePatterns(at('stacks/*/'), root))).toEqual([
      [`stacks/app/${LOCK}`, 'stacks/*/', 'stacks/app'],
      [`stacks/db/${LOCK}`, 'stacks/*/', 'stacks/db'],
      // Below the outermost directory matched.
      [`stacks/db/nested/${LOCK}`, 'stacks/*/', 'stacks/db'],
    ]);
    expect(summary(await expandLockfilePatterns(at('**/nes?ed/'), root))).toEqual([
      [`stacks/db/nested/${LOCK}`, '**/nes?ed/', 'stacks/db/nested'],
    ]);
  });

  it('keeps each file once, from the first entry naming it, sorted by path', async () => {
    const found = await expandLockfilePatterns(at(`stacks/db/${LOCK}`, 'stacks/', 'locks/staging.hcl'), root);
    expect(summary(found)).toEqual([
      ['locks/staging.hcl', 'locks/staging.hcl', undefined],
      [`stacks/app/${LOCK}`, 'stacks/', 'stacks'],
      [`stacks/db/${LOCK}`, `stacks/db/${LOCK}`, undefined],
      [`stacks/db/nested/${LOCK}`, 'stacks/', 'stacks'],
    ]);
    // The bundle names its copies below each one's directory.
    expect(lockfileCopyNames(found, root)).toEqual([
      'lockfiles/locks/staging.hcl',
      `lockfiles/stacks/app/${LOCK}`,
      `lockfiles/stacks/db/${LOCK}`,
      `lockfiles/stacks/db/nested/${LOCK}`,
    ]);
  });

  it('reads relative entries from baseDir, and absolute ones as they are', async () => {
    const found = await expandLockfilePatterns(
      at('../locks/prod.hcl', `${root}/stacks/a*/`),
      path.join(root, 'stacks'),
    );
    expect(found.map((f) => [f.path, f.dir])).toEqual([
      [`${root}/locks/prod.hcl`, undefined],
      [`${root}/stacks/app/${LOCK}`, `${root}/stacks/app`],
    ]);
  });

  it('names every entry that matches nothing, with its place in the file, all at once', async () => {
    const patterns: LockfilePattern[] = [
      { text: 'stacks/', line: 3, col: 5 },
      { text: 'missing.hcl', line: 4, col: 5 },
      { text: 'empty/', line: 5, col: 7 },
      { text: 'stacks/*', line: 6, col: 5 },
      { text: `nowhere/**/${LOCK}`, line: 7, col: 5 },
      { text: 'locks/*.json', line: 8, col: 5 },
      { text: 'locks/prod.hcl/', line: 9, col: 5 },
      { text: 'locks/*/', line: 10, col: 5 },
    ];
    const errors = await failure(expandLockfilePatterns(patterns, root, { file: 'infra/airgap.yaml' }));
    expect(errors.map((e) => e.code)).toEqual(Array(7).fill('INPUT_NOT_FOUND'));
    const skipped = '(.terraform/, node_modules/, .git/ are not searched)';
    expect(errors.map((e) => e.message)).toEqual([
      `infra/airgap.yaml:4:5: lockfiles[1]: expected "missing.hcl" to name at least one lock file, found none: ${root}/missing.hcl does not exist`,
      `infra/airgap.yaml:5:7: lockfiles[2]: expected "empty/" to name at least one lock file, found none: no ${LOCK} below ${root}/empty ${skipped}`,
      `infra/airgap.yaml:6:5: lockfiles[3]: expected "stacks/*" to name at least one lock file, found none: no file matches it below ${root}/stacks ${skipped}, only directories; end it with "/" for the ${LOCK} files below them`,
      `infra/airgap.yaml:7:5: lockfiles[4]: expected "nowhere/**/${LOCK}" to name at least one lock file, found none: ${root}/nowhere does not exist`,
      `infra/airgap.yaml:8:5: lockfiles[5]: expected "locks/*.json" to name at least one lock file, found none: no file matches it below ${root}/locks ${skipped}`,
      `infra/airgap.yaml:9:5: lockfiles[6]: expected "locks/prod.hcl/" to name at least one lock file, found none: ${root}/locks/prod.hcl is a file, not a directory`,
      `infra/airgap.yaml:10:5: lockfiles[7]: expected "locks/*/" to name at least one lock file, found none: no directory matching it holds a ${LOCK} below ${root}/locks ${skipped}`,
    ]);
    expect(errors[0]!.details).toMatchObject({
      path: 'infra/airgap.yaml:4:5',
      expected: 'at least one lock file',
      actual: `${root}/missing.hcl does not exist`,
    });
    expect(errors[0]!.remedy).toBe(
      'correct or remove that entry of infra/airgap.yaml; its paths are relative to the directory infra/airgap.yaml is in',
    );
  });

  it('says "airgap.yaml" by default, and throws a single error as itself', async () => {
    const errors = await failure(expandLockfilePatterns([{ text: 'nope/', line: 2, col: 3 }], root));
    expect(errors.map((e) => e.message)).toEqual([
      `airgap.yaml:2:3: lockfiles[0]: expected "nope/" to name at least one lock file, found none: ${root}/nope does not exist`,
    ]);
  });
});
