// ZipHashPool.h1: a zip file read on a worker thread gives what digestZip gives on this
// one, the h1 of real zips and the same error, field for field, for broken ones; a lost
// worker is an error naming the file, not a wait; workers start with the first zip.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { digestZip } from '../../../src/adapters/archive/zip-read.js';
import { ZipHashPool } from '../../../src/adapters/workers/zip-hash-pool.js';
import { AirgapError } from '../../../src/core/errors.js';
import { realdata } from '../../helpers/realdata.js';
import { makeTempDir } from '../../helpers/tmp.js';
import { dataOffset } from '../archive/zip-bytes.js';

const RENOVATE = 'vectors/renovate/lib/modules/manager/terraform/lockfile/__fixtures__';
const NULL_ZIP =
  'vectors/terraform/internal/providercache/testdata/terraform-provider-null_2.1.0_linux_amd64.zip';
const PLACEHOLDER_ZIP =
  'vectors/terraform/internal/getproviders/testdata/filesystem-mirror/registry.terraform.io/hashicorp/null/terraform-provider-null_2.1.0_linux_amd64.zip';

const pools: ZipHashPool[] = [];

function pool(size: number): ZipHashPool {
  const p = new ZipHashPool({ size });
  pools.push(p);
  return p;
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

function workers(p: ZipHashPool): Worker[] {
  return (p as unknown as { slots: { worker: Worker }[] }).slots.map((s) => s.worker);
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

/** What a user sees of an AirgapError (its cause stays on the thread that threw it). */
function fields(e: unknown) {
  expect(e).toBeInstanceOf(AirgapError);
  const a = e as AirgapError;
  return { code: a.code, message: a.message, details: { ...a.details, cause: undefined }, remedy: a.remedy };
}

describe('ZipHashPool.h1', () => {
  it('gives the h1 of real zips, as digestZip does on the main thread, several at once', async () => {
    const files = [
      realdata(RENOVATE, 'test_with_folder.zip'),
      realdata(RENOVATE, 'test.zip'),
      realdata(NULL_ZIP),
      realdata(RENOVATE, 'test.zip'),
    ];
    const p = pool(2);
    expect(workers(p)).toHaveLength(0);
    const h1s = await Promise.all(files.map((f) => p.h1(f)));
    expect(workers(p)).toHaveLength(2);
    expect(h1s).toEqual([
      'h1:g92f/mR2hlVmeWBlplxxJyP2H3fdyPwYccr7uJhcRz8=',
      'h1:I2F2atKZqKEOYk1tTLe15Llf9rVqxz48ZL1eZB9g8zM=',
      (await digestZip(files[2]!)).h1,
      'h1:I2F2atKZqKEOYk1tTLe15Llf9rVqxz48ZL1eZB9g8zM=',
    ]);
    // The h1 tofu records for it (fixtures/realdata/vectors/expected_hashes.json).
    expect(h1s[2]).toBe('h1:qjsREM4DqEWECD43FcPqddZ9oxCG+IaMTxvWPciS05g=');
    expect(p.active).toBe(0);
  });

  it('rejects a broken zip with the error digestZip throws: code, message, details, remedy', async () => {
    const dir = await makeTempDir('airgap-poolh1-');
    const bytes = await readFile(realdata(RENOVATE, 'test.zip'));
    const truncated = path.join(dir, 'truncated.zip');
    await writeFile(truncated, bytes.subarray(0, bytes.length - 40));
    const corrupt = path.join(dir, 'corrupt.zip');
    const broken = Buffer.from(bytes);
    const start = dataOffset(broken, 'test.file');
    broken.fill(0xff, start + 10, start + 40);
    await writeFile(corrupt, broken);
    const crc = path.join(dir, 'crc.zip');
    const flipped = Buffer.from(bytes);
    const stored = dataOffset(flipped, 'anotherTest.file');
    flipped[stored] = flipped[stored]! ^ 0x20;
    await writeFile(crc, flipped);
    const cases = [realdata(PLACEHOLDER_ZIP), truncated, corrupt, crc, path.join(dir, 'absent.zip')];

    const p = pool(2);
    const onWorkers = await Promise.all(cases.map((f) => rejection(p.h1(f))));
    const onMain = await Promise.all(cases.map((f) => rejection(digestZip(f))));
    expect(onWorkers.map(fields)).toEqual(onMain.map(fields));
    expect(onWorkers.map((e) => (e as AirgapError).code)).toEqual([
      'ZIP_INVALID',
      'ZIP_INVALID',
      'ZIP_INVALID',
      'ZIP_INVALID',
      'INPUT_NOT_FOUND',
    ]);
    expect((onWorkers[3] as AirgapError).message).toMatch(
      new RegExp(
        `^${crc}: entry "anotherTest\\.file" is corrupt: CRC-32 [0-9a-f]{8}, the zip records [0-9a-f]{8}$`,
      ),
    );
    expect((onWorkers[4] as AirgapError).message).toBe(`${path.join(dir, 'absent.zip')}: no such zip file`);
  });

  it('a worker lost with a zip under way: an error naming the zip', async () => {
    const p = pool(1);
    const file = realdata(RENOVATE, 'test.zip');
    const digest = rejection(p.h1(file));
    await workers(p)[0]!.terminate();
    const e = await digest;
    expect(e).not.toBeInstanceOf(AirgapError);
    expect((e as Error).message).toBe(`the thread reading ${file} was lost (a zip-hash worker exited)`);
    expect(p.active).toBe(0);
    // The next zip gets a new worker.
    expect(await p.h1(file)).toBe('h1:I2F2atKZqKEOYk1tTLe15Llf9rVqxz48ZL1eZB9g8zM=');
  });

  it('refuses work once closed', async () => {
    const p = pool(1);
    await p.close();
    await expect(p.h1(realdata(RENOVATE, 'test.zip'))).rejects.toThrow('ZipHashPool is closed');
  });
});
