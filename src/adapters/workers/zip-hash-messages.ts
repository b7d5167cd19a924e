// The messages between ZipHashPool and its workers.

import type { ErrorCode, ErrorDetails } from '../../core/errors.js';
import type { ZipStreamOutcome } from '../archive/zip-stream.js';

/** What a job digests: a zip's entries (zip-stream.ts), or a plain sha256 of the bytes. */
export type JobKind = 'zip' | 'sha256';

export type ToWorker =
  | { t: 'open'; job: number; label: string; kind: JobKind }
  /** `length` bytes at the start of `buf` (transferred; it comes back in an ack). */
  | { t: 'data'; job: number; buf: ArrayBuffer; length: number }
  | { t: 'end'; job: number }
  | { t: 'abort'; job: number };

export type ToMain =
  | { t: 'ack'; job: number; buf: ArrayBuffer }
  | { t: 'done'; job: number; outcome: ZipStreamOutcome }
  /** A 'sha256' job's result: lower-case hex of every byte written, and their count. */
  | { t: 'digest'; job: number; sha256: string; size: number }
  | {
      t: 'fail';
      job: number;
      error: { code?: ErrorCode; message: string; details?: ErrorDetails; remedy?: string | undefined };
    };
