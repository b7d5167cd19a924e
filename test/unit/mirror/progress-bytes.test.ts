// Byte counts for the progress bar gathered per 256 KiB or 100 ms, a negative one (a
// restart) passed on at once with what was pending: the running total is the same.
import { describe, expect, it } from 'vitest';
import { gatheredBytes } from '../../../src/services/mirror/progress-bytes.js';

function recorder(): { reports: number[]; clock: { t: number }; add: (n: number) => void } {
  const reports: number[] = [];
  const clock = { t: 1000 };
  return {
    reports,
    clock,
    add: gatheredBytes(
      (n) => reports.push(n),
      () => clock.t,
    ),
  };
}

describe('gatheredBytes', () => {
  it('passes on 256 KiB at a time while chunks come within 100 ms', () => {
    const { reports, add } = recorder();
    for (let i = 0; i < 10; i++) add(65_536);
    expect(reports).toEqual([262_144, 262_144]);
  });

  it('passes on what gathered once 100 ms went by since the last report', () => {
    const { reports, clock, add } = recorder();
    add(16_384);
    clock.t += 99;
    add(16_384);
    clock.t += 1;
    add(16_384);
    add(16_384);
    clock.t += 100;
    add(1);
    expect(reports).toEqual([49_152, 16_385]);
  });

  it('passes on a negative count at once, netted with what was pending', () => {
    const { reports, add } = recorder();
    add(100_000);
    add(-300_000);
    add(50_000);
    add(-50_000);
    expect(reports).toEqual([-200_000]);
  });
});
