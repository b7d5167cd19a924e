// The shared retry policy (src/adapters/http/retry.ts) without a network: back-off
// steps and their jitter, Retry-After in both forms, and the loop's bookkeeping with a
// clock that records the waits instead of waiting.
import { describe, expect, it } from 'vitest';
import {
  backoffMs,
  MAX_RETRY_AFTER_MS,
  parseRetryAfter,
  withRetries,
  type Clock,
} from '../../src/adapters/http/retry.js';

function recordingClock(): Clock & { delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    now: () => 0,
    sleep: (ms) => {
      delays.push(ms);
      return Promise.resolve();
    },
  };
}

describe('backoffMs', () => {
  it('doubles from the base, capped at 8 s, between half and all of the step', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffMs(n, 1_000, () => 0))).toEqual([
      500, 1_000, 2_000, 4_000, 4_000, 4_000,
    ]);
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffMs(n, 1_000, () => 1))).toEqual([
      1_000, 2_000, 4_000, 8_000, 8_000, 8_000,
    ]);
    expect(backoffMs(2, 250, () => 0.5)).toBe(375);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2015-10-21T07:28:00Z');
  it('reads delta-seconds and HTTP-dates, caps both, and ignores what it cannot read', () => {
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter(' 7 ', now)).toBe(7_000);
    expect(parseRetryAfter('86400', now)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:05 GMT', now)).toBe(5_000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:27:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('Thu, 22 Oct 2015 07:28:00 GMT', now)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe('withRetries', () => {
  it('waits Retry-After when given, the back-off otherwise, and gives up after the attempts allowed', async () => {
    const clock = recordingClock();
    const seen: number[] = [];
    const error = await withRetries(
      { attempts: 3, baseDelayMs: 100, clock },
      (n) => {
        seen.push(n);
        return Promise.reject(new Error(`attempt ${n}`));
      },
      {
        retry: (_e, n) => (n === 1 ? { retryAfterMs: 0 } : {}),
        giveUp: (e, n) => new Error(`${(e as Error).message} of ${n}`),
      },
    ).catch((e: unknown) => e as Error);
    expect(error.message).toBe('attempt 3 of 3');
    expect(seen).toEqual([1, 2, 3]);
    expect(clock.delays[0]).toBe(0);
    expect(clock.delays).toHaveLength(2);
    expect(clock.delays[1]).toBeGreaterThanOrEqual(100);
    expect(clock.delays[1]).toBeLessThanOrEqual(200);
  });

  it('stops at once when the judge says another attempt cannot help, and returns a later success', async () => {
    const clock = recordingClock();
    const final = new Error('404');
    await expect(
      withRetries({ attempts: 5, baseDelayMs: 100, clock }, () => Promise.reject(final), {
        retry: () => undefined,
      }),
    ).rejects.toBe(final);
    expect(clock.delays).toEqual([]);

    let calls = 0;
    const value = await withRetries(
      { attempts: 5, baseDelayMs: 100, clock },
      () => (++calls < 3 ? Promise.reject(new Error('reset')) : Promise.resolve('ok')),
      { retry: () => ({ retryAfterMs: 7 }) },
    );
    expect([value, calls, clock.delays]).toEqual(['ok', 3, [7, 7]]);
  });
});
