// When to try a request again and how long to wait first, for every HTTP user (the
// provider/release client, the OCI base-image source): exponential back-off with
// jitter, a server's Retry-After honoured up to a cap, and the waiting done through
// a Clock so tests record the delays asked for instead of timing them.

import { setTimeout as delay } from 'node:timers/promises';

/** Time as the retry loop sees it; the real one by default, a recording one in tests. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  sleep: (ms) => delay(ms),
};

/** The longest back-off step, whatever the attempt number. */
export const MAX_BACKOFF_MS = 8_000;
/** A Retry-After above this is cut to it: a server asking for an hour gets 30 s. */
export const MAX_RETRY_AFTER_MS = 30_000;

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  /** The first back-off step; doubled for each further attempt, up to MAX_BACKOFF_MS. */
  baseDelayMs: number;
  clock: Clock;
}

/** A failed attempt that another may fix; after the server's Retry-After, if it gave one. */
export interface Retry {
  retryAfterMs?: number | undefined;
}

export interface RetryJudge {
  /** A Retry when another attempt can help, undefined when it cannot. */
  retry(error: unknown, attempt: number): Retry | undefined;
  /** What to throw on giving up after `attempts` attempts; the error itself when absent. */
  giveUp?(error: unknown, attempts: number): unknown;
}

/**
 * Runs `attempt` until it succeeds, the judge says another attempt cannot help, or
 * the policy's attempts are used up; waits before each retry through the policy's clock.
 */
export async function withRetries<T>(
  policy: RetryPolicy,
  attempt: (n: number) => Promise<T>,
  judge: RetryJudge,
  onRetry?: () => void,
): Promise<T> {
  for (let n = 1; ; n++) {
    let retry: Retry | undefined;
    try {
      return await attempt(n);
    } catch (error) {
      retry = judge.retry(error, n);
      if (retry === undefined || n >= policy.attempts) throw judge.giveUp ? judge.giveUp(error, n) : error;
    }
    onRetry?.();
    await policy.clock.sleep(retry.retryAfterMs ?? backoffMs(n, policy.baseDelayMs));
  }
}

/**
 * Exponential with "equal jitter": between half and all of the step, never below
 * half, so retries spread out without collapsing to zero.
 */
export function backoffMs(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const step = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** (attempt - 1));
  return step / 2 + random() * (step / 2);
}

/** Retry-After as delta-seconds or an HTTP-date, capped at MAX_RETRY_AFTER_MS; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  const text = value?.trim();
  if (text === undefined || text === '') return undefined;
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, MAX_RETRY_AFTER_MS);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.min(Math.max(0, date - now), MAX_RETRY_AFTER_MS);
}
