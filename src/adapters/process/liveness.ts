// Whether a process id names a running process: the import lock's test for a holder
// that is gone (src/services/import/lock.ts, docs/IMPORT-STATE.md "One import at a time").

/**
 * True when a process with this pid exists. kill(2) with signal 0 sends nothing and
 * only checks: EPERM means one exists that we may not signal (another user's), which
 * counts as alive; any other error (ESRCH: no such process) as gone.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
