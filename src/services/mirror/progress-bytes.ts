// A download's byte counts for the progress bar, gathered: the HTTP client reports every
// body chunk (~16-64 KiB), and an event per chunk costs the main thread more than the bar,
// which redraws at most every 100 ms, can show. Counts go out once they reach
// PROGRESS_STEP bytes or PROGRESS_MS passed since the last report, and at once when
// negative (a restart taking back bytes already counted), so totals stay exact.

const PROGRESS_STEP = 256 * 1024;
const PROGRESS_MS = 100;

/** An onProgress for HttpClient.download that calls `report` with gathered counts. */
export function gatheredBytes(
  report: (bytes: number) => void,
  now: () => number = Date.now,
): (bytes: number) => void {
  let pending = 0;
  let last = now();
  return (bytes) => {
    pending += bytes;
    if (bytes >= 0 && pending < PROGRESS_STEP) {
      const t = now();
      if (t - last < PROGRESS_MS) return;
      last = t;
    } else {
      last = now();
    }
    if (pending === 0) return;
    report(pending);
    pending = 0;
  };
}
