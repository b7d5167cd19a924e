// ZipStreamDigester (the zip digested as it downloads) against digestZip (the written file
// read again): the same h1 and entries for every real zip in the test data and for zips
// built here (directory entries, stored and deflated entries, zip64, deflated entries with
// data descriptors in each of their four forms); stored entries with data descriptors fall
// back to the file; local headers or descriptors that disagree with the central directory
// are refused.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { digestZip, type ZipDigest } from '../../../src/adapters/archive/zip-read.js';
import { ZipStreamDigester, type ZipStreamOutcome } from '../../../src/adapters/archive/zip-stream.js';
import { AirgapError } from '../../../src/core/errors.js';
import { hash1 } from '../../helpers/registry/index.js';
import { writeReleaseZip, type DataDescriptorStyle } from '../../helpers/registry/release-zip.js';
import { realdata } from '../../helpers/realdata.js';
import { makeTempDir } from '../../helpers/tmp.js';
import { centralEntries, type CentralEntry } from './zip-bytes.js';

const LABEL = 'acme/widget 1.0.0 (linux_amd64): terraform-provider-widget_1.0.0_linux_amd64.zip';

async function stream(zip: Buffer, step: number): Promise<ZipStreamOutcome> {
  const d = new ZipStreamDigester(LABEL);
  for (let i = 0; i < zip.length; i += step) await d.write(zip.subarray(i, i + step));
  return d.end();
}

/** The stream's digest in chunks of several sizes; all must agree. */
async function streamed(zip: Buffer): Promise<ZipStreamOutcome> {
  const outcomes = [];
  for (const step of [1, 13, 4096, 1 << 20]) outcomes.push(await stream(zip, step));
  for (const o of outcomes.slice(1)) expect(o).toEqual(outcomes[0]);
  return outcomes[0]!;
}

function comparable(d: ZipDigest): unknown {
  return { ...d, entries: d.entries.map((e) => ({ ...e, rawName: Buffer.from(e.rawName).toString('hex') })) };
}

async function yazlZip(add: (zip: yazl.ZipFile) => void): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  add(zip);
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream as Readable) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const mtime = new Date(2020, 0, 1);
const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

describe('the stream digest equals the two-pass digest', () => {
  const zips = execFileSync('find', [realdata(), '-name', '*.zip'], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .sort();

  it('for every real zip in the test data, or both refuse it', async () => {
    let confirmed = 0;
    let unreadable = 0;
    for (const file of zips) {
      const bytes = await readFile(file);
      const outcome = await streamed(bytes);
      const two = await digestZip(file).catch((e: unknown) => e as AirgapError);
      if (two instanceof AirgapError) {
        // Placeholder "zips" in the upstream test data: not zips at all.
        expect(outcome.confirmed, file).toBe(false);
        expect(two.code).toBe('ZIP_INVALID');
        unreadable += 1;
        continue;
      }
      expect(outcome.confirmed, file).toBe(true);
      if (outcome.confirmed) expect(comparable(outcome.digest), file).toEqual(comparable(two));
      confirmed += 1;
    }
    expect([zips.length, confirmed, unreadable]).toEqual([22, 4, 18]);
  });

  it('for a zip with a directory entry, stored and deflated entries (the renovate fixture)', async () => {
    const file = realdata(
      'vectors/renovate/lib/modules/manager/terraform/lockfile/__fixtures__',
      'test_with_folder.zip',
    );
    const outcome = await streamed(await readFile(file));
    expect(outcome.confirmed && outcome.digest.h1).toBe('h1:g92f/mR2hlVmeWBlplxxJyP2H3fdyPwYccr7uJhcRz8=');
    expect(outcome.confirmed && outcome.digest.hasDirectoryEntries).toBe(true);
  });

  it('for release-shaped zips (deflated, sizes in local headers, a directory entry)', async () => {
    const dir = await makeTempDir('airgap-zipstream-');
    const file = path.join(dir, 'release.zip');
    const written = await writeReleaseZip(
      file,
      { name: 'terraform-provider-widget_v1.0.0', seed: 'widget', size: 100_000 },
      [{ name: 'docs/' }, { name: 'docs/README.md', data: Buffer.from('# widget\n') }],
    );
    const outcome = await streamed(await readFile(file));
    expect(outcome.confirmed).toBe(true);
    if (!outcome.confirmed) return;
    expect(outcome.digest.h1).toBe(hash1(written.files));
    expect(comparable(outcome.digest)).toEqual(comparable(await digestZip(file)));
  });

  it('for zip64 records (sizes and offsets in zip64 extra fields, a zip64 end record)', async () => {
    const dir = await makeTempDir('airgap-zipstream-');
    const file = path.join(dir, 'zip64.zip');
    const exec = Buffer.from('#!/bin/sh\necho zip64\n'.repeat(500));
    const bytes = await yazlZip((z) => {
      z.addBuffer(exec, 'terraform-provider-z_v1.0.0', {
        mtime,
        mode: 0o100755,
        compress: true,
        forceZip64Format: true,
      });
      z.addBuffer(Buffer.from('stored'), 'notes.txt', {
        mtime,
        mode: 0o100644,
        compress: false,
        forceZip64Format: true,
      });
    });
    await writeFile(file, bytes);
    const outcome = await streamed(bytes);
    expect(outcome.confirmed).toBe(true);
    if (!outcome.confirmed) return;
    expect(outcome.digest.h1).toBe(
      hash1([
        { name: 'terraform-provider-z_v1.0.0', sha256: sha256(exec) },
        { name: 'notes.txt', sha256: sha256('stored') },
      ]),
    );
    expect(comparable(outcome.digest)).toEqual(comparable(await digestZip(file)));
  });

  it('for deflated entries with data descriptors as yazl writes them (signature; zip64 sizes when forced)', async () => {
    const dir = await makeTempDir('airgap-zipstream-');
    const exec = Buffer.from('data descriptor payload\n'.repeat(100));
    for (const forceZip64Format of [false, true]) {
      const file = path.join(dir, `yazl-${forceZip64Format}.zip`);
      const bytes = await yazlZip((z) => {
        z.addReadStream(Readable.from([exec]), 'terraform-provider-dd_v1.0.0', {
          mtime,
          mode: 0o100755,
          compress: true,
          forceZip64Format,
        });
        z.addReadStream(Readable.from([Buffer.from('# dd\n')]), 'docs/README.md', {
          mtime,
          mode: 0o100644,
          compress: true,
          forceZip64Format,
        });
      });
      await writeFile(file, bytes);
      // yazl's descriptor: the signature, then 32-bit sizes (16 bytes) or zip64 ones (24).
      const second = bytes.indexOf(Buffer.from('PK\x03\x04', 'latin1'), 4);
      const length = forceZip64Format ? 24 : 16;
      expect(bytes.readUInt32LE(second - length)).toBe(0x08074b50);
      const outcome = await streamed(bytes);
      expect(outcome.confirmed, String(forceZip64Format)).toBe(true);
      if (!outcome.confirmed) return;
      expect(outcome.digest.h1).toBe(
        hash1([
          { name: 'terraform-provider-dd_v1.0.0', sha256: sha256(exec) },
          { name: 'docs/README.md', sha256: sha256('# dd\n') },
        ]),
      );
      expect(comparable(outcome.digest)).toEqual(comparable(await digestZip(file)));
    }
  });

  it('for zips written as Go writes them: data descriptors with and without signature, 32-bit and zip64', async () => {
    const dir = await makeTempDir('airgap-zipstream-');
    const styles: DataDescriptorStyle[] = [
      { signature: true, zip64: false },
      { signature: false, zip64: false },
      { signature: true, zip64: true },
      { signature: false, zip64: true },
    ];
    for (const style of styles) {
      const file = path.join(dir, `go-${style.signature}-${style.zip64}.zip`);
      const written = await writeReleaseZip(
        file,
        { name: 'terraform-provider-widget_v1.0.0', seed: 'widget', size: 30_000 },
        [{ name: 'docs/' }, { name: 'docs/README.md', data: Buffer.from('# widget\n') }],
        { dataDescriptor: style },
      );
      const bytes = await readFile(file);
      expect(centralEntries(bytes).map((e) => (bytes.readUInt16LE(e.local + 6) & 8) !== 0)).toEqual([
        true,
        false,
        true,
      ]);
      const outcome = await streamed(bytes);
      expect(outcome.confirmed, JSON.stringify(style)).toBe(true);
      if (!outcome.confirmed) return;
      expect(outcome.digest.h1).toBe(hash1(written.files));
      expect(outcome.digest.hasDirectoryEntries).toBe(true);
      expect(comparable(outcome.digest)).toEqual(comparable(await digestZip(file)));
    }
  });

  it('falls back to the file for a stored entry with a data descriptor, whose two-pass digest is then the h1', async () => {
    const dir = await makeTempDir('airgap-zipstream-');
    const file = path.join(dir, 'dd.zip');
    const exec = Buffer.from('data descriptor payload\n'.repeat(100));
    const bytes = await yazlZip((z) => {
      z.addReadStream(Readable.from([exec]), 'terraform-provider-dd_v1.0.0', {
        mtime,
        mode: 0o100755,
        compress: false,
      });
    });
    await writeFile(file, bytes);
    expect(await streamed(bytes)).toEqual({
      confirmed: false,
      reason: 'stored entry "terraform-provider-dd_v1.0.0" keeps its sizes in a data descriptor',
    });
    expect((await digestZip(file)).h1).toBe(
      hash1([{ name: 'terraform-provider-dd_v1.0.0', sha256: sha256(exec) }]),
    );
  });
});

describe('a zip whose local headers disagree with its central directory', () => {
  async function release(): Promise<Buffer> {
    const dir = await makeTempDir('airgap-zipstream-');
    const file = path.join(dir, 'release.zip');
    await writeReleaseZip(file, { name: 'terraform-provider-widget_v1.0.0', seed: 'widget', size: 50_000 }, [
      { name: 'docs/README.md', data: Buffer.from('# widget\n') },
    ]);
    return readFile(file);
  }

  async function refusal(zip: Buffer): Promise<AirgapError> {
    try {
      await stream(zip, 4096);
    } catch (e) {
      expect(e).toBeInstanceOf(AirgapError);
      return e as AirgapError;
    }
    throw new Error('expected the zip to be refused');
  }

  it('is refused when the central directory names another file than the local header', async () => {
    const zip = await release();
    const readme = centralEntries(zip).find((e) => e.name.toString() === 'docs/README.md')!;
    // The local header keeps "docs/README.md"; tofu, reading the central directory, would unpack "docs/READYO.md".
    zip.write('READYO', readme.central + 46 + 'docs/'.length, 'latin1');
    const e = await refusal(zip);
    expect(e.code).toBe('ZIP_INVALID');
    expect(e.message).toBe(
      `${LABEL}: its local headers and its central directory disagree: the local header at offset ${readme.local} names "docs/README.md", the central directory "docs/READYO.md"`,
    );
    expect([e.details.expected, e.details.actual]).toEqual(['docs/README.md', 'docs/READYO.md']);
  });

  it('is refused when the central directory records another CRC-32 or size', async () => {
    const zip = await release();
    const exec = centralEntries(zip)[0]!;
    const localCrc = zip.readUInt32LE(exec.local + 14);
    zip.writeUInt32LE((localCrc ^ 1) >>> 0, exec.central + 16);
    const e = await refusal(zip);
    const hex = (n: number): string => n.toString(16).padStart(8, '0');
    expect(e.message).toBe(
      `${LABEL}: its local headers and its central directory disagree: entry "terraform-provider-widget_v1.0.0": the local header says CRC-32 ${hex(localCrc)}, the central directory ${hex((localCrc ^ 1) >>> 0)}`,
    );

    const other = await release();
    const size = other.readUInt32LE(exec.local + 22);
    other.writeUInt32LE(size + 1, exec.central + 24);
    expect((await refusal(other)).message).toBe(
      `${LABEL}: its local headers and its central directory disagree: entry "terraform-provider-widget_v1.0.0": the local header says size 50000, the central directory 50001`,
    );
  });

  it('is refused when a data descriptor gives another CRC-32 or size than the central directory', async () => {
    const dir = await makeTempDir('airgap-zipstream-');
    const hex = (n: number): string => n.toString(16).padStart(8, '0');
    for (const style of [
      { signature: true, zip64: false },
      { signature: false, zip64: true },
    ]) {
      const file = path.join(dir, `go-${style.signature}-${style.zip64}.zip`);
      await writeReleaseZip(
        file,
        { name: 'terraform-provider-widget_v1.0.0', seed: 'widget', size: 50_000 },
        [{ name: 'docs/README.md', data: Buffer.from('# widget\n') }],
        { dataDescriptor: style },
      );
      const zip = await readFile(file);
      const [exec, readme] = centralEntries(zip) as [CentralEntry, CentralEntry];
      // The executable's descriptor ends where the README's local header starts.
      const descriptor = readme.local - (style.signature ? 4 : 0) - (style.zip64 ? 20 : 12);
      const crcAt = descriptor + (style.signature ? 4 : 0);
      const crc = zip.readUInt32LE(crcAt);
      expect(crc).toBe(zip.readUInt32LE(exec.central + 16));
      zip.writeUInt32LE((crc ^ 1) >>> 0, crcAt);
      const e = await refusal(zip);
      expect(e.code).toBe('ZIP_INVALID');
      expect(e.message).toBe(
        `${LABEL}: its local headers and its central directory disagree: entry "terraform-provider-widget_v1.0.0": the data descriptor says CRC-32 ${hex((crc ^ 1) >>> 0)}, the central directory ${hex(crc)}`,
      );
      expect([e.details.expected, e.details.actual]).toEqual([hex(crc), hex((crc ^ 1) >>> 0)]);

      // The central directory's size, one more than the descriptor's (and the bytes').
      const other = await readFile(file);
      if (style.zip64) other.writeBigUInt64LE(50_001n, exec.central + 46 + exec.name.length + 4);
      else other.writeUInt32LE(50_001, exec.central + 24);
      expect((await refusal(other)).message).toBe(
        `${LABEL}: its local headers and its central directory disagree: entry "terraform-provider-widget_v1.0.0": the data descriptor says size 50000, the central directory 50001`,
      );
    }
  });

  it('is refused when its deflate data takes another length than the central directory records, whatever the data descriptor says', async () => {
    const dir = await makeTempDir('airgap-zipstream-');
    const file = path.join(dir, 'go.zip');
    await writeReleaseZip(
      file,
      { name: 'terraform-provider-widget_v1.0.0', seed: 'widget', size: 50_000 },
      [{ name: 'docs/README.md', data: Buffer.from('# widget\n') }],
      { dataDescriptor: { signature: true, zip64: false } },
    );
    const original = await readFile(file);
    const [exec, readme] = centralEntries(original) as [CentralEntry, CentralEntry];
    // The executable's descriptor (signature, CRC-32, 32-bit sizes) ends where the README's local header starts.
    const sizeAt = readme.local - 16 + 8;
    const deflated = original.readUInt32LE(sizeAt);
    expect(deflated).toBe(original.readUInt32LE(exec.central + 20));
    const descriptorAt = readme.local - 16;

    // Descriptor and central directory both say one byte more than the deflate data takes:
    // a reader going by the central directory would take a byte the stream did not inflate.
    const both = Buffer.from(original);
    both.writeUInt32LE(deflated + 1, sizeAt);
    both.writeUInt32LE(deflated + 1, exec.central + 20);
    const e = await refusal(both);
    expect(e.code).toBe('ZIP_INVALID');
    expect(e.message).toBe(
      `${LABEL}: its local headers and its central directory disagree: entry "terraform-provider-widget_v1.0.0": the deflate data says compressed size ${deflated}, the central directory ${deflated + 1}`,
    );
    expect([e.details.expected, e.details.actual]).toEqual([String(deflated + 1), String(deflated)]);
    for (const step of [1, 13, 1 << 20]) {
      await expect(stream(both, step)).rejects.toThrow(e.message);
    }

    // The central directory alone says so (the descriptor keeps the true length, so the stream goes on).
    const cdOnly = Buffer.from(original);
    cdOnly.writeUInt32LE(deflated - 1, exec.central + 20);
    expect((await refusal(cdOnly)).message).toBe(
      `${LABEL}: its local headers and its central directory disagree: entry "terraform-provider-widget_v1.0.0": the data descriptor says compressed size ${deflated}, the central directory ${deflated - 1}`,
    );

    // Only the descriptor is off: the central directory agrees with what streamed, and the
    // file is read instead (as tofu's reader, it goes by the central directory).
    const descriptorOnly = Buffer.from(original);
    descriptorOnly.writeUInt32LE(deflated + 1, sizeAt);
    expect(await streamed(descriptorOnly)).toEqual({
      confirmed: false,
      reason: `entry "terraform-provider-widget_v1.0.0"'s data descriptor at offset ${descriptorAt} does not give the ${deflated} bytes its deflate data takes`,
    });
    const written = path.join(dir, 'descriptor-only.zip');
    await writeFile(written, descriptorOnly);
    expect((await digestZip(written)).h1).toBe((await digestZip(file)).h1);
  });

  it('is refused when a central directory entry points into another entry', async () => {
    const zip = await release();
    const readme = centralEntries(zip).find((e) => e.name.toString() === 'docs/README.md')!;
    zip.writeUInt32LE(readme.local - 100, readme.central + 42);
    expect((await refusal(zip)).message).toBe(
      `${LABEL}: its local headers and its central directory disagree: central directory entry "docs/README.md" points at offset ${readme.local - 100}, where no local entry of its own starts`,
    );
  });
});
