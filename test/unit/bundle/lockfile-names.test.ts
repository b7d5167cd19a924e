import { describe, expect, it } from 'vitest';
import { lockfileCopyNames } from '../../../src/core/bundle/lockfile-names.js';

describe('lock-file copy names', () => {
  it('keeps paths below --dir under the directory name, and cwd-relative paths as they are', () => {
    expect(
      lockfileCopyNames(
        [
          { path: '/srv/repo/stacks/app/.terraform.lock.hcl', dir: '/srv/repo/stacks' },
          { path: '/srv/repo/stacks/net/.terraform.lock.hcl', dir: '/srv/repo/stacks' },
          { path: 'infra/db/.terraform.lock.hcl' },
        ],
        '/home/me/work',
      ),
    ).toEqual([
      'lockfiles/stacks/app/.terraform.lock.hcl',
      'lockfiles/stacks/net/.terraform.lock.hcl',
      'lockfiles/infra/db/.terraform.lock.hcl',
    ]);
  });

  it('never embeds an absolute path, and makes clashing names unique', () => {
    expect(
      lockfileCopyNames(
        [
          { path: '/tmp/a/app/.terraform.lock.hcl' },
          { path: '/tmp/b/app/.terraform.lock.hcl' },
          { path: '/tmp/c/app/.terraform.lock.hcl' },
        ],
        '/home/me',
      ),
    ).toEqual([
      'lockfiles/app/.terraform.lock.hcl',
      'lockfiles/app-2/.terraform.lock.hcl',
      'lockfiles/app-3/.terraform.lock.hcl',
    ]);
  });
});
