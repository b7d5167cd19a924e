// oclif.manifest.json is committed; it must match what `oclif manifest` makes from the current build.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/realdata.js';
import { makeTempDir } from '../helpers/tmp.js';

const run = promisify(execFile);

it('oclif.manifest.json is current (regenerate with `npm run manifest`)', async () => {
  const dir = await makeTempDir();
  for (const f of ['package.json', 'bin', 'dist']) {
    await fs.cp(path.join(REPO_ROOT, f), path.join(dir, f), { recursive: true });
  }
  await fs.symlink(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  await run(process.execPath, [path.join(REPO_ROOT, 'node_modules/oclif/bin/run.js'), 'manifest'], {
    cwd: dir,
  });
  const fresh = JSON.parse(await fs.readFile(path.join(dir, 'oclif.manifest.json'), 'utf8'));
  const committed = JSON.parse(await fs.readFile(path.join(REPO_ROOT, 'oclif.manifest.json'), 'utf8'));
  expect(committed).toEqual(fresh);
}, 60_000);
