// One member of a zip, streamed: the release zip's `tofu` executable going into an
// image layer without being unpacked to disk first. The central directory gives
// the size a tar header needs up front; the CRC-32 and size are checked as the
// bytes pass (yauzl checks neither CRC nor, without validateEntrySizes, size), and
// a mismatch fails the stream before its end, so a corrupt member never completes.

import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { crc32 } from 'node:zlib';
import type { Entry, ZipFile } from 'yauzl';
import { loadYauzl } from './zip-libs.js';
import { AirgapError } from '../../core/errors.js';

export interface ZipMember {
  size: number;
  /** Verifying stream of the member's bytes; closes the zip when done. */
  open(): Promise<Readable>;
  close(): void;
}

/** Finds `name` at the root of `zipPath`; `label` names the zip in messages (its bundle path). */
export async function openZipMember(
  zipPath: string,
  name: string,
  label: string,
  /** Added to the "has no NAME at its root" message, e.g. why it should be there. */
  missingHint?: string,
): Promise<ZipMember> {
  const yauzl = await loadYauzl();
  let zip: ZipFile;
  try {
    zip = await yauzl.openPromise(zipPath, {
      lazyEntries: true,
      decodeStrings: true,
      validateEntrySizes: true,
      autoClose: false,
    });
  } catch (e) {
    throw invalid(label, `not a readable zip archive (${errorText(e)})`, e);
  }
  let found: Entry | undefined;
  try {
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName !== name) continue;
      if (found !== undefined) throw invalid(label, `entry "${name}" appears more than once`);
      found = entry;
    }
  } catch (e) {
    zip.close();
    if (e instanceof AirgapError) throw e;
    throw invalid(label, `cannot be read (${errorText(e)})`, e);
  }
  if (found === undefined) {
    zip.close();
    throw invalid(
      label,
      `has no "${name}" at its root${missingHint === undefined ? '' : `; ${missingHint}`}`,
    );
  }
  if (found.isEncrypted()) {
    zip.close();
    throw invalid(label, `entry "${name}" is encrypted`);
  }
  const entry = found;
  let closed = false;
  const closeZip = (): void => {
    if (closed) return;
    closed = true;
    zip.close();
  };
  return {
    size: entry.uncompressedSize,
    async open() {
      let raw: Readable;
      try {
        raw = await zip.openReadStreamPromise(entry);
      } catch (e) {
        closeZip();
        throw invalid(label, `entry "${name}" cannot be read (${errorText(e)})`, e);
      }
      let crc = 0;
      let size = 0;
      const check = new Transform({
        transform(chunk: Buffer, _enc, done: TransformCallback) {
          crc = crc32(chunk, crc);
          size += chunk.length;
          done(null, chunk);
        },
        flush(done: TransformCallback) {
          closeZip();
          if (size !== entry.uncompressedSize) {
            done(
              invalid(label, `entry "${name}" is ${size} bytes, the zip records ${entry.uncompressedSize}`),
            );
          } else if (crc >>> 0 !== entry.crc32 >>> 0) {
            done(
              new AirgapError(
                'ZIP_INVALID',
                `${label}: entry "${name}" is corrupt: CRC-32 ${hex32(crc)}, the zip records ${hex32(entry.crc32)}`,
                { path: label, expected: hex32(entry.crc32), actual: hex32(crc) },
              ),
            );
          } else done();
        },
      });
      raw.on('error', (e) =>
        check.destroy(invalid(label, `entry "${name}" cannot be read (${errorText(e)})`, e)),
      );
      return raw.pipe(check);
    },
    close() {
      closeZip();
    },
  };
}

function invalid(label: string, why: string, cause?: unknown): AirgapError {
  return new AirgapError(
    'ZIP_INVALID',
    `${label}: ${why}`,
    cause === undefined ? { path: label } : { path: label, cause },
  );
}

function hex32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
