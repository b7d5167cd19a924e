// Small builders the image-source tests share: layer tars made in the test, reading
// a rejection, and a fixture layout's files.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import { Header, Pax } from 'tar';
import { AirgapError } from '../../../src/core/errors.js';

export const UA = 'airgap-test/0';

export interface TarItem {
  name: string;
  type: 'File' | 'Directory' | 'SymbolicLink' | 'Link';
  mode?: number;
  body?: string | Buffer;
  linkpath?: string;
}

/** An uncompressed tar of `items`, in order (node-tar writes pax or ustar-prefix headers for long names). */
export function tarOf(items: TarItem[]): Buffer {
  const parts: Buffer[] = [];
  for (const item of items) {
    const body =
      typeof item.body === 'string' ? Buffer.from(item.body, 'utf8') : (item.body ?? Buffer.alloc(0));
    const header = new Header({
      path: item.name,
      type: item.type,
      mode: item.mode ?? (item.type === 'Directory' ? 0o755 : 0o644),
      size: item.type === 'File' ? body.length : 0,
      mtime: new Date('2024-01-02T03:04:05Z'),
      uid: 0,
      gid: 0,
      ...(item.linkpath === undefined ? {} : { linkpath: item.linkpath }),
    });
    header.encode();
    if (header.needPax) {
      parts.push(
        new Pax({
          path: item.name,
          ...(item.linkpath === undefined ? {} : { linkpath: item.linkpath }),
        }).encode(),
      );
    }
    parts.push(header.block!);
    if (item.type === 'File' && body.length > 0)
      parts.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export async function rejection(promise: Promise<unknown>): Promise<AirgapError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AirgapError);
    return error as AirgapError;
  }
  throw new Error('expected a rejection');
}

export function blobFile(layoutDir: string, digest: string): string {
  return path.join(layoutDir, 'blobs', 'sha256', digest.slice('sha256:'.length));
}

export async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  );
}
