import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sha256File } from '../../../src/adapters/fs/sha256-file.js';

// Deterministic bytes (not random, so a failure reproduces): a counter through sha256.
function bytes(n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0, block = 0; i < n; block += 1) {
    i += createHash('sha256').update(String(block)).digest().copy(out, i);
  }
  return out;
}

describe('sha256File', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'airgap-sha256-file-'));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  // Sizes around the 256 KiB read: empty, one byte, exactly one and two reads, one past, many.
  const sizes = [0, 1, 262_144, 262_145, 524_288, 3 * 1_048_576 + 17];
  it.each(sizes)('%i bytes: the sha256 sha256sum gives, with and without a chunk reader', async (n) => {
    const file = path.join(dir, `f${n}`);
    const data = bytes(n);
    await fs.writeFile(file, data);
    const expected = execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0];
    expect(await sha256File(file)).toEqual({ sha256: expected, size: n });

    const seen: Buffer[] = [];
    expect(await sha256File(file, (c) => void seen.push(c))).toEqual({ sha256: expected, size: n });
    // The chunks a reader sees are its to keep: together they are the file.
    expect(Buffer.concat(seen).equals(data)).toBe(true);
  });

  it('a known value: the sha256 of "abc"', async () => {
    const file = path.join(dir, 'abc');
    await fs.writeFile(file, 'abc');
    expect(await sha256File(file)).toEqual({
      sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      size: 3,
    });
  });

  it('a missing file and a directory fail with their errno codes', async () => {
    await expect(sha256File(path.join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(sha256File(dir)).rejects.toMatchObject({ code: 'EISDIR' });
  });
});
