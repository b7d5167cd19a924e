// Small helpers shared by keys.ts and verify.ts; not part of the module's API.

import { Buffer } from 'node:buffer';

/** openpgp skips every time check when handed a null date; its typings only admit Date. */
export const ANY_TIME = null as unknown as Date;

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function hexPrefix(bytes: Uint8Array, n = 8): string {
  return Buffer.from(bytes.subarray(0, n)).toString('hex');
}
