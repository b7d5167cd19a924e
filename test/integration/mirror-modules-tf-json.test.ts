// A configuration's .tf.json file is read for module calls too: a bad one stops
// `airgap mirror` before any module is fetched or written, naming FILE:LINE:COL.
import fs from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/tmp.js';

it('refuses a .tf.json with a non-literal module source, naming the file, line and column', async () => {
  const dir = await makeTempDir();
  await fs.mkdir(path.join(dir, 'stack'));
  await fs.writeFile(
    path.join(dir, 'stack', 'a.tf.json'),
    '{\n  "module": {\n    "net": { "source": "acme/${var.n}/aws" }\n  }\n}\n',
  );
  await fs.writeFile(
    path.join(dir, 'airgap.yaml'),
    'apiVersion: airgap/v1\nconfigurations:\n  - stack\noutput:\n  dir: bundle\n',
  );
  const r = await runCli(['mirror'], { cwd: dir });
  expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 2, stdout: '' });
  expect(r.stderr).toContain(
    'stack/a.tf.json:3:24: Invalid module argument; The "source" argument of module "net" must be a literal string',
  );
  // No airgap.json, no modules/: only the empty providers/ an earlier stage made.
  expect(await fs.readdir(path.join(dir, 'bundle'), { recursive: true })).toEqual(['providers']);
});
