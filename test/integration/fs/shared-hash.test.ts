// Hashing threads over the shared slabs: several running sha256s on one thread (as the
// S3 export hashes each file, the tarball and each part) each give the digest of exactly
// their own bytes, parts of slabs included, and the slabs are free again afterwards.
import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import { HashThread, HashWorker, SharedSlabs, SLAB_SIZE } from '../../../src/adapters/fs/shared-hash.js';

function sha256(...parts: Uint8Array[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

it('two hashes on one thread: slab ranges and copied bytes, interleaved, each digest exact; digest starts afresh', async () => {
  const slabs = new SharedSlabs(2);
  const hashing = new HashWorker(slabs);
  const a = new HashThread(slabs, hashing);
  const b = new HashThread(slabs, hashing);
  try {
    const slab = await slabs.acquire();
    const view = slabs.view(slab);
    for (let i = 0; i < SLAB_SIZE; i++) view[i] = (i * 7) % 256;
    const head = Buffer.from('tar header');
    a.update(head);
    a.updateSlab(slab, SLAB_SIZE);
    b.updateSlab(slab, 1000, 24);
    b.update(Buffer.from('tail'));
    slabs.release(slab);
    expect(await b.digest()).toBe(sha256(view.subarray(24, 1024), Buffer.from('tail')));
    expect(await a.digest()).toBe(sha256(head, view));
    // Both slabs can be had again at once: the thread let go of the one it hashed.
    const again = [await slabs.acquire(), await slabs.acquire()];
    expect(again.sort()).toEqual([0, 1]);
    for (const s of again) slabs.release(s);
    b.update(Buffer.from('next'));
    expect(await b.digest()).toBe(sha256(Buffer.from('next')));
    expect(await a.digest()).toBe(sha256());
  } finally {
    await a.close();
    await b.close();
    await hashing.close();
  }
});
