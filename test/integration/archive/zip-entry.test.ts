// The verifying zip-member reader the image layer and the import use for the
// release zip's executable: size from the central directory, CRC-32 checked as
// the bytes stream, and a corrupt member never completes.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { openZipMember } from '../../../src/adapters/archive/zip-entry.js';
import { AirgapError } from '../../../src/core/errors.js';
import { makeTempDir } from '../../helpers/tmp.js';

const BODY = Buffer.from('#!/bin/sh\necho tofu stand-in\n'.repeat(100));

async function makeZip(file: string, entries: Record<string, Buffer>): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const [name, body] of Object.entries(entries)) {
    zip.addBuffer(body, name, { compress: false, mtime: new Date('2020-01-01T00:00:00Z') });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  await fs.writeFile(file, Buffer.concat(chunks));
}

async function readAll(member: Awaited<ReturnType<typeof openZipMember>>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await member.open()) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('openZipMember', () => {
  it('gives the size up front and the exact bytes', async () => {
    const dir = await makeTempDir();
    const zip = path.join(dir, 'tofu.zip');
    await makeZip(zip, { LICENSE: Buffer.from('MPL\n'), tofu: BODY });
    const member = await openZipMember(zip, 'tofu', 'tofu/1.8.5/tofu.zip');
    expect(member.size).toBe(BODY.length);
    const bytes = await readAll(member);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(
      createHash('sha256').update(BODY).digest('hex'),
    );
    member.close();
  });

  it('fails the stream on a CRC mismatch, naming the zip and both CRCs', async () => {
    const dir = await makeTempDir();
    const zip = path.join(dir, 'tofu.zip');
    await makeZip(zip, { tofu: BODY });
    const bytes = await fs.readFile(zip);
    // Stored, not deflated: the body follows the 30-byte local header and the name.
    const at = 30 + 'tofu'.length + 5;
    bytes[at] = bytes[at]! ^ 0xff;
    await fs.writeFile(zip, bytes);
    const member = await openZipMember(zip, 'tofu', 'tofu/1.8.5/tofu.zip');
    const error = await readAll(member).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AirgapError);
    expect((error as AirgapError).code).toBe('ZIP_INVALID');
    expect((error as AirgapError).message).toMatch(
      /^tofu\/1\.8\.5\/tofu\.zip: entry "tofu" is corrupt: CRC-32 [0-9a-f]{8}, the zip records [0-9a-f]{8}$/,
    );
    member.close();
  });

  it("names a missing member, with the caller's hint", async () => {
    const dir = await makeTempDir();
    const zip = path.join(dir, 'tofu.zip');
    await makeZip(zip, { README: Buffer.from('x') });
    await expect(
      openZipMember(zip, 'tofu', 'tofu/1.8.5/tofu.zip', 'a tofu release zip always does'),
    ).rejects.toThrow('tofu/1.8.5/tofu.zip: has no "tofu" at its root; a tofu release zip always does');
    await fs.writeFile(zip, 'not a zip');
    await expect(openZipMember(zip, 'tofu', 'tofu/1.8.5/tofu.zip')).rejects.toThrow(
      /^tofu\/1\.8\.5\/tofu\.zip: not a readable zip archive/,
    );
  });
});
