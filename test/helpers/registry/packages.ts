// Deterministic provider packages: the same spec gives the same zip bytes on any
// machine and in any time zone, so hashes can be pinned and bench builds cached.
// Also computes each package's h1 from the entries written: an oracle independent
// of the product's own hasher.
import crypto from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import { writeReleaseZip, type DataDescriptorStyle } from './release-zip.js';
import type { TestPackage, TestProviderSpec } from './types.js';

export const DEFAULT_PAYLOAD_SIZE = 2048;

// Bump when the zip layout changes, so stale cached zips are rebuilt rather than reused.
const BUILDER_VERSION = 1;
const CHUNK = 1024 * 1024;

// Built with local-time fields and without the UTC "UT" extra field: the DOS
// timestamp then reads 2020-01-01 00:00 whatever the machine's time zone.
function fixedMtime(): Date {
  return new Date(2020, 0, 1, 0, 0, 0);
}

export function packageFilename(type: string, version: string, platform: string): string {
  return `terraform-provider-${type}_${version}_${platform}.zip`;
}

export function executableName(type: string, version: string): string {
  return `terraform-provider-${type}_v${version}`;
}

interface PackageId {
  namespace: string;
  type: string;
  version: string;
  platform: string;
}

function seedOf(id: PackageId): string {
  return `${id.namespace}/${id.type}/${id.version}/${id.platform}`;
}

function scriptHeader(id: PackageId): Buffer {
  return Buffer.from(`#!/bin/sh\n# airgap test provider ${seedOf(id)}\nexit 0\n`, 'utf8');
}

/** The executable's bytes: a tiny shell header, then an AES-256-CTR keystream keyed by the package's identity. */
async function* payloadChunks(id: PackageId, size: number): AsyncGenerator<Buffer> {
  const header = scriptHeader(id).subarray(0, size);
  const key = crypto.createHash('sha256').update(seedOf(id)).digest();
  const cipher = crypto.createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(CHUNK);
  let remaining = size - header.length;
  yield header;
  while (remaining > 0) {
    const n = Math.min(CHUNK, remaining);
    yield cipher.update(n === CHUNK ? zeros : zeros.subarray(0, n));
    remaining -= n;
  }
}

function readmeText(id: PackageId): Buffer {
  return Buffer.from(
    `# ${id.namespace}/${id.type} ${id.version}\n\nA test provider package for ${id.platform}.\n`,
  );
}

/** Go dirhash Hash1 over named contents: what `h1:` means in lock files. */
export function hash1(files: { name: string; sha256: string }[]): string {
  const sorted = [...files].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  const summary = sorted.map((f) => `${f.sha256}  ${f.name}\n`).join('');
  return `h1:${crypto.createHash('sha256').update(summary).digest('base64')}`;
}

interface PackageMeta {
  builder: number;
  key: string;
  sha256: string;
  size: number;
  h1: string;
}

interface Shape {
  release: boolean;
  payloadFiles: string[];
  dataDescriptor?: DataDescriptorStyle | undefined;
}

function cacheKey(id: PackageId, payloadSize: number, withDirectoryEntry: boolean, shape: Shape): string {
  return JSON.stringify({
    id: seedOf(id),
    payloadSize,
    withDirectoryEntry,
    ...(shape.release ? { shape: 'release', payloadFiles: shape.payloadFiles } : {}),
    ...(shape.release && shape.dataDescriptor !== undefined ? { dataDescriptor: shape.dataDescriptor } : {}),
  });
}

async function writeRelease(
  id: PackageId,
  payloadSize: number,
  withDirectoryEntry: boolean,
  shape: Shape,
  zipPath: string,
): Promise<PackageMeta> {
  const tmp = `${zipPath}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  try {
    const written = await writeReleaseZip(
      tmp,
      {
        name: executableName(id.type, id.version),
        seed: seedOf(id),
        size: payloadSize,
        sourceFiles: shape.payloadFiles,
      },
      withDirectoryEntry ? [{ name: 'docs/' }, { name: 'docs/README.md', data: readmeText(id) }] : [],
      shape.dataDescriptor === undefined ? {} : { dataDescriptor: shape.dataDescriptor },
    );
    const meta: PackageMeta = {
      builder: BUILDER_VERSION,
      key: cacheKey(id, payloadSize, withDirectoryEntry, shape),
      sha256: written.sha256,
      size: written.size,
      h1: hash1(written.files),
    };
    await fs.rename(tmp, zipPath);
    await fs.writeFile(`${zipPath}.meta.json`, `${JSON.stringify(meta, null, 2)}\n`);
    return meta;
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

async function sha256File(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: CHUNK })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function readCached(zipPath: string, key: string): Promise<PackageMeta | undefined> {
  let meta: PackageMeta;
  try {
    meta = JSON.parse(await fs.readFile(`${zipPath}.meta.json`, 'utf8')) as PackageMeta;
    if (meta.builder !== BUILDER_VERSION || meta.key !== key) return undefined;
    if ((await fs.stat(zipPath)).size !== meta.size) return undefined;
  } catch {
    return undefined;
  }
  return (await sha256File(zipPath)) === meta.sha256 ? meta : undefined;
}

async function writeZip(
  id: PackageId,
  payloadSize: number,
  withDirectoryEntry: boolean,
  zipPath: string,
): Promise<PackageMeta> {
  const mtime = fixedMtime();
  const zip = new yazl.ZipFile();
  const execHash = crypto.createHash('sha256');
  const hashedPayload = Readable.from(
    (async function* () {
      for await (const chunk of payloadChunks(id, payloadSize)) {
        execHash.update(chunk);
        yield chunk;
      }
    })(),
  );
  const execName = executableName(id.type, id.version);
  // Stored, not deflated: the payload is incompressible anyway, and deflate output may differ across zlib builds.
  zip.addReadStreamLazy(
    execName,
    { mtime, mode: 0o100755, compress: false, forceDosTimestamp: true, size: payloadSize },
    (cb) => cb(null, hashedPayload),
  );
  const files: { name: string; sha256: string }[] = [];
  if (withDirectoryEntry) {
    const readme = readmeText(id);
    zip.addEmptyDirectory('docs/', { mtime, mode: 0o40755, forceDosTimestamp: true });
    zip.addBuffer(readme, 'docs/README.md', {
      mtime,
      mode: 0o100644,
      compress: false,
      forceDosTimestamp: true,
    });
    files.push({ name: 'docs/README.md', sha256: crypto.createHash('sha256').update(readme).digest('hex') });
  }
  zip.end();

  const zipHash = crypto.createHash('sha256');
  let size = 0;
  const tmp = `${zipPath}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  try {
    await pipeline(
      zip.outputStream,
      async function* (source: AsyncIterable<Buffer | string>) {
        for await (const chunk of source) {
          if (typeof chunk === 'string') throw new Error('yazl emitted a string chunk');
          zipHash.update(chunk);
          size += chunk.length;
          yield chunk;
        }
      },
      createWriteStream(tmp),
    );
    files.push({ name: execName, sha256: execHash.digest('hex') });
    const meta: PackageMeta = {
      builder: BUILDER_VERSION,
      key: cacheKey(id, payloadSize, withDirectoryEntry, { release: false, payloadFiles: [] }),
      sha256: zipHash.digest('hex'),
      size,
      h1: hash1(files),
    };
    await fs.rename(tmp, zipPath);
    await fs.writeFile(`${zipPath}.meta.json`, `${JSON.stringify(meta, null, 2)}\n`);
    return meta;
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

/** Builds (or reuses from `workDir`) every package the specs describe, in spec order. */
export async function buildPackages(specs: TestProviderSpec[], workDir: string): Promise<TestPackage[]> {
  const out: TestPackage[] = [];
  for (const spec of specs) {
    const payloadSize = spec.payloadSize ?? DEFAULT_PAYLOAD_SIZE;
    const withDirectoryEntry = spec.withDirectoryEntry === true;
    const shape: Shape = {
      release: spec.shape === 'release',
      payloadFiles: spec.payloadFiles ?? [],
      dataDescriptor: spec.dataDescriptor,
    };
    for (const version of spec.versions) {
      const dir = path.join(workDir, 'packages', spec.namespace, spec.type, version);
      await fs.mkdir(dir, { recursive: true });
      for (const platform of spec.platforms) {
        const id: PackageId = { namespace: spec.namespace, type: spec.type, version, platform };
        const filename = packageFilename(spec.type, version, platform);
        const zipPath = path.join(dir, filename);
        const meta =
          (await readCached(zipPath, cacheKey(id, payloadSize, withDirectoryEntry, shape))) ??
          (shape.release
            ? await writeRelease(id, payloadSize, withDirectoryEntry, shape, zipPath)
            : await writeZip(id, payloadSize, withDirectoryEntry, zipPath));
        out.push({ ...id, filename, path: zipPath, sha256: meta.sha256, size: meta.size, h1: meta.h1 });
      }
    }
  }
  return out;
}
