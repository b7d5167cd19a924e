// The messages between ZipHashPool and its workers. Two kinds of job: a zip streamed to
// the worker as it downloads ('open' ... 'end'), and a zip file read whole by the worker
// ('digest').

import type { ErrorCode, ErrorDetails } from '../../core/errors.js';
import type { ZipStreamOutcome } from '../archive/zip-stream.js';

export type ToWorker =
  | { t: 'open'; job: number; label: string }
  /**
   * The job's data from now on goes into `path` at byte `offset` (an attempt begins): the
   * file is created or truncated when `offset` is 0, else opened for writing in place.
   */
  | { t: 'file'; job: number; path: string; offset: number }
  /** `length` bytes at the start of `buf` (transferred; it comes back in an ack). */
  | { t: 'data'; job: number; buf: ArrayBuffer; length: number }
  /** Close the job's file: every byte before this message is written (answered by 'closed'). */
  | { t: 'close'; job: number }
  | { t: 'end'; job: number }
  | { t: 'abort'; job: number }
  /** Read the zip at `path` (archive/zip-read.ts digestZip): answered by 'digested'. */
  | { t: 'digest'; job: number; path: string };

/** An error sent across: an AirgapError's fields (its `cause` stays behind), or another error's message. */
export interface WireError {
  code?: ErrorCode;
  message: string;
  details?: ErrorDetails;
  remedy?: string | undefined;
}

/** A failed open, write or close, as Node reported it. */
export interface FileFailure {
  message: string;
  code?: string | undefined;
  errno?: number | undefined;
  syscall?: string | undefined;
  path?: string | undefined;
}

export type ToMain =
  | { t: 'ack'; job: number; buf: ArrayBuffer }
  /** The job's file could not be written: the job writes nothing more to it (sent before the acks after it). */
  | { t: 'wfail'; job: number; error: FileFailure }
  /** The job's file is closed, everything before the 'close' written (or a 'wfail' came first). */
  | { t: 'closed'; job: number }
  /** `sha256`: lower-case hex of every byte the job was given, in order. */
  | { t: 'done'; job: number; outcome: ZipStreamOutcome; sha256: string }
  | { t: 'fail'; job: number; sha256: string; error: WireError }
  /** A 'digest' job's answer: the zip's h1, or the error digestZip threw. */
  | { t: 'digested'; job: number; h1: string }
  | { t: 'digest-failed'; job: number; error: WireError };
