// The messages between ZipHashPool and its workers.

import type { ErrorCode, ErrorDetails } from '../../core/errors.js';
import type { ZipStreamOutcome } from '../archive/zip-stream.js';

export type ToWorker =
  | { t: 'open'; job: number; label: string }
  /** `length` bytes at the start of `buf` (transferred; it comes back in an ack). */
  | { t: 'data'; job: number; buf: ArrayBuffer; length: number }
  | { t: 'end'; job: number }
  | { t: 'abort'; job: number };

export type ToMain =
  | { t: 'ack'; job: number; buf: ArrayBuffer }
  /** `sha256`: lower-case hex of every byte the job was given, in order. */
  | { t: 'done'; job: number; outcome: ZipStreamOutcome; sha256: string }
  | {
      t: 'fail';
      job: number;
      sha256: string;
      error: { code?: ErrorCode; message: string; details?: ErrorDetails; remedy?: string | undefined };
    };
