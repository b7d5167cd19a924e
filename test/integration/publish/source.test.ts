// What `airgap publish` accepts as DIR, on real directories: a bundle directory (its
// providers/ against airgap.json, links refused) or an import destination with a live
// generation; anything else is refused naming DIR.

import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { isAirgapError } from '../../../src/core/errors.js';
import { readPublishSource } from '../../../src/services/publish/source.js';
import { makeTempDir } from '../../helpers/tmp.js';
import { makeTestBundle, type TestBundle } from '../../helpers/transfer.js';

async function failure(dir: string): Promise<{ code: string; message: string }> {
  try {
    await readPublishSource(dir);
  } catch (e) {
    if (!isAirgapError(e)) throw e;
    return { code: e.code, message: e.message };
  }
  throw new Error('readPublishSource did not throw');
}

describe('the source of airgap publish', () => {
  let bundle: TestBundle;
  let work: string;

  beforeAll(async () => {
    [bundle, work] = await Promise.all([makeTestBundle({ tofu: [] }), makeTempDir()]);
  }, 60_000);

  afterAll(async () => {
    await bundle?.close();
  });

  it('reads a bundle directory: the mirror files, hashed, zips first by path', async () => {
    const source = await readPublishSource(bundle.dir);
    const D = 'registry.airgap.test/hashicorp/null';
    expect(source.kind).toBe('bundle');
    expect(source.files.map((f) => f.path)).toEqual([
      `${D}/3.2.1.json`,
      `${D}/index.json`,
      `${D}/terraform-provider-null_3.2.1_linux_amd64.zip`,
      `${D}/terraform-provider-null_3.2.1_linux_arm64.zip`,
    ]);
    expect(source.ignored).toEqual([]);
  });

  it('refuses a missing DIR, a directory that is neither kind, and a destination with no import yet', async () => {
    expect(await failure(path.join(work, 'absent'))).toEqual({
      code: 'INPUT_NOT_FOUND',
      message: `${path.join(work, 'absent')} does not exist`,
    });
    const empty = path.join(work, 'empty');
    await fs.mkdir(empty);
    expect(await failure(empty)).toEqual({
      code: 'USAGE',
      message: `${empty} is neither a bundle directory (no airgap.json) nor an import destination (no .airgap/current)`,
    });
    const fresh = path.join(work, 'fresh');
    await fs.mkdir(path.join(fresh, '.airgap'), { recursive: true });
    expect(await failure(fresh)).toEqual({
      code: 'USAGE',
      message: `${fresh} is an import destination with no completed import yet: there is no mirror to publish`,
    });
  });

  it('refuses a link under providers/ and a file airgap.json does not list', async () => {
    const linked = path.join(work, 'linked');
    await fs.cp(bundle.dir, linked, { recursive: true });
    const D = path.join(linked, 'providers', 'registry.airgap.test', 'hashicorp', 'null');
    await fs.symlink('/etc/passwd', path.join(D, '3.3.0.json'));
    expect(await failure(linked)).toEqual({
      code: 'BUNDLE_MISMATCH',
      message: `${path.join(D, '3.3.0.json')} is a symlink, not a regular file; a published mirror carries only the mirror's own files`,
    });

    const extra = path.join(work, 'extra');
    await fs.cp(bundle.dir, extra, { recursive: true });
    await fs.writeFile(
      path.join(extra, 'providers', 'registry.airgap.test', 'hashicorp', 'null', '3.3.0.json'),
      '{}',
    );
    expect(await failure(extra)).toEqual({
      code: 'BUNDLE_MISMATCH',
      message: `providers/registry.airgap.test/hashicorp/null/3.3.0.json: in the bundle directory but not listed in ${path.join(extra, 'airgap.json')}; only what the manifest accounts for is published`,
    });
  });
});
