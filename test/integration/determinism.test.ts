// What the README and docs/TRANSFER-FORMAT.md claim about determinism without
// SOURCE_DATE_EPOCH: two `airgap mirror` runs of the same request into fresh directories
// differ in exactly one value, airgap.json's createdAt, the real time of each run (import's
// rollback protection compares it); every other byte of the bundle, the runner image
// included, repeats. An unsigned export of one bundle directory repeats byte for byte.
// (The same with SOURCE_DATE_EPOCH and a signing key: test/integration/export.test.ts,
// "gives byte-identical tarballs for the same inputs, signed or not".)

import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { writeBaseImageLayout } from '../helpers/base-image.js';
import { runCli } from '../helpers/cli.js';
import { startReleaseServer, type ReleaseServer } from '../helpers/release-server/index.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry/index.js';
import { makeTempDir } from '../helpers/tmp.js';
import { fakeToolArchive } from '../helpers/transfer.js';

const HOST = 'registry.airgap.test';
let registry: TestRegistry;
let releases: ReleaseServer;
let work: string;
let env: Record<string, string>;
let baseImage: string;

beforeAll(async () => {
  [registry, releases] = await Promise.all([
    startTestRegistry({
      providers: [
        {
          namespace: 'hashicorp',
          type: 'null',
          versions: ['3.2.1'],
          platforms: ['linux_amd64', 'linux_arm64'],
        },
      ],
    }),
    startReleaseServer({ tofu: { versions: ['1.8.5'], platforms: ['linux_amd64', 'linux_arm64'] } }),
  ]);
  work = await makeTempDir('airgap-determinism-');
  const cfg = path.join(work, 'cli.tfrc');
  await fs.writeFile(cfg, registry.cliConfigText());
  await fs.writeFile(
    path.join(work, '.terraform.lock.hcl'),
    `provider "${HOST}/hashicorp/null" {\n  version = "3.2.1"\n}\n`,
  );
  baseImage = (await writeBaseImageLayout(path.join(work, 'base'))).reference;
  // No SOURCE_DATE_EPOCH.
  env = { TF_CLI_CONFIG_FILE: cfg, SSL_CERT_FILE: registry.caCertPath };
});

afterAll(async () => {
  await Promise.all([registry?.close(), releases?.close()]);
});

async function files(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const rel of (await fs.readdir(dir, { recursive: true })).sort()) {
    const p = path.join(dir, rel);
    if ((await fs.stat(p)).isFile()) out.set(rel.split(path.sep).join('/'), await fs.readFile(p));
  }
  return out;
}

/** Whole seconds, as airgap.json's createdAt holds them. */
function second(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

describe('determinism without SOURCE_DATE_EPOCH', () => {
  it('two mirrors of one request differ only in airgap.json createdAt, a real time; an unsigned export repeats', async () => {
    const mirror = (out: string) =>
      runCli(
        [
          'mirror',
          '--lockfile',
          '.terraform.lock.hcl',
          '--out',
          out,
          ...releases.mirrorArgs('tofu', '1.8.5'),
          '--image',
          '--base-image',
          baseImage,
        ],
        { cwd: work, env },
      );
    const before = second(Date.now());
    const a = await mirror('a');
    const b = await mirror('b');
    const after = Date.now();
    expect(a.stderr + b.stderr).not.toContain('Error');
    expect([a.code, b.code]).toEqual([0, 0]);

    const [filesA, filesB] = await Promise.all([files(path.join(work, 'a')), files(path.join(work, 'b'))]);
    expect([...filesB.keys()]).toEqual([...filesA.keys()]);
    expect([...filesA.keys()].filter((f) => f.startsWith('image/blobs/')).length).toBeGreaterThan(0);
    const differ = [...filesA.keys()].filter((f) => !filesA.get(f)!.equals(filesB.get(f)!));
    expect(differ.filter((f) => f !== 'airgap.json')).toEqual([]);

    // airgap.json: the createdAt line alone may differ, and it is the time of the run.
    const linesA = filesA.get('airgap.json')!.toString('utf8').split('\n');
    const linesB = filesB.get('airgap.json')!.toString('utf8').split('\n');
    expect(linesB.length).toBe(linesA.length);
    const changed = linesA.flatMap((l, i) => (l === linesB[i] ? [] : [i]));
    const createdLine = linesA.findIndex((l) => l.startsWith('  "createdAt": '));
    expect(changed.filter((i) => i !== createdLine)).toEqual([]);
    const created = [linesA, linesB].map(
      (lines) => (JSON.parse(lines.join('\n')) as { createdAt: string }).createdAt,
    );
    for (const t of created) {
      expect(t).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(Date.parse(t)).toBeGreaterThanOrEqual(before);
      expect(Date.parse(t)).toBeLessThanOrEqual(after);
    }
    expect(Date.parse(created[1]!)).toBeGreaterThanOrEqual(Date.parse(created[0]!));

    // The same bundle directory exported twice, unsigned: the same bytes, entry times 2020-01-01.
    const tool = path.join(work, 'airgap-0.1.0.tgz');
    await fs.writeFile(tool, fakeToolArchive());
    const exported = await Promise.all(
      ['x.tar', 'y.tar'].map(async (name) => {
        const r = await runCli(['export', 'a', '--tarball', name, '--tool-package', tool, '--json'], {
          cwd: work,
          env,
        });
        expect(r.code).toBe(0);
        expect((JSON.parse(r.stdout) as { mtime: string }).mtime).toBe('2020-01-01T00:00:00Z');
        return fs.readFile(path.join(work, name));
      }),
    );
    expect(exported[0]!.equals(exported[1]!)).toBe(true);
  }, 120_000);
});
