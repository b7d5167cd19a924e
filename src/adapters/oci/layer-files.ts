// The regular files of one layer blob of an OCI layout, each with its sha256, read
// from the layer tar itself (plain or gzip): what the runner image's SBOM lists as
// the files airgap added (docs/SBOM-FORMAT.md).

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { isGzip, readTarEntries, tarStream } from '../archive/tar-read.js';
import { effectiveName } from '../../core/transfer/entry-policy.js';
import type { AddedLayerFile } from '../../core/sbom/build.js';
import { compareStrings } from '../../core/compare.js';

export async function readLayerFiles(file: string, where: string): Promise<AddedLayerFile[]> {
  const head = Buffer.alloc(2);
  const fh = await fs.promises.open(file, 'r');
  try {
    await fh.read(head, 0, 2, 0);
  } finally {
    await fh.close();
  }
  const out: AddedLayerFile[] = [];
  const input = fs.createReadStream(file);
  try {
    for await (const entry of readTarEntries(tarStream(input, isGzip(head)), where)) {
      if (entry.kind !== 'file' && entry.kind !== 'contiguous-file') continue;
      const hash = createHash('sha256');
      let size = 0;
      for await (const chunk of entry.body as AsyncIterable<Buffer>) {
        hash.update(chunk);
        size += chunk.length;
      }
      out.push({
        name: effectiveName(entry).replace(/^\.?\/+/, ''),
        size,
        sha256: hash.digest('hex'),
        mode: entry.mode & 0o7777,
      });
    }
  } finally {
    input.destroy();
  }
  return out.sort((a, b) => compareStrings(a.name, b.name));
}
