// `airgap serve --workers N`: the HTTPS server in N worker processes (node:cluster) that
// share one listening socket, so that more than one core encrypts. The primary (the
// command's process) forks them with a dedicated entry module, hands each the same start
// message, prints the one log line per request they relay (one writer: lines never
// interleave), and on close tells every worker to stop accepting and waits until each
// has finished its requests in flight and exited. The worker side is `connectToPrimary`.
//
// Messages are plain JSON over the cluster's IPC channel:
//   primary -> worker  { t: 'start', config }  { t: 'close' }
//   worker -> primary  { t: 'ready' } (its listener is on: a message sent before is lost)
//                      { t: 'listening', port }  { t: 'failed', code?, message }
//                      { t: 'log', log }  { t: 'generation' }  { t: 'stopped-accepting' }
//                      { t: 'finished' } (its last: once written, every log line before it is too)

import cluster, { type Worker } from 'node:cluster';
import type { RequestLog } from './https-server.js';

type ToWorker<C> = { t: 'start'; config: C } | { t: 'close' };
type ToPrimary =
  | { t: 'ready' }
  | { t: 'listening'; port: number }
  | { t: 'failed'; code?: string; message: string }
  | { t: 'log'; log: RequestLog }
  | { t: 'generation' }
  | { t: 'stopped-accepting' }
  | { t: 'finished' };

export interface ClusterOptions<C> {
  count: number;
  /** The worker's entry module (an absolute path to a .js file). */
  exec: string;
  /** Sent to every worker as it starts (JSON: no functions). */
  config: C;
  onLog(log: RequestLog): void;
  /** A worker has seen a catalogue (the first, or a new import generation). */
  onGeneration(): void;
  onWarning(message: string): void;
}

export interface RunningCluster {
  port: number;
  workers: number;
  /** Tells every worker to stop accepting; `stoppedAccepting` runs once all have; resolves once all have exited. */
  close(stoppedAccepting?: () => void): Promise<void>;
}

/** A worker's failure to start: the errno code of a failed listen travels with it. */
export class WorkerStartError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

export async function startCluster<C>(options: ClusterOptions<C>): Promise<RunningCluster> {
  cluster.setupPrimary({ exec: options.exec, args: [] });
  let closing = false;
  let started = false;
  const live = new Set<Worker>();
  const stopped = new Set<Worker>();
  let onStopped: (() => void) | undefined;
  const checkStopped = (): void => {
    if (onStopped !== undefined && [...live].every((w) => stopped.has(w))) {
      const once = onStopped;
      onStopped = undefined;
      once();
    }
  };
  let port = 0;
  const allExited = new Set<() => void>();

  const fork = (): Promise<number> =>
    new Promise((resolve, reject) => {
      const worker = cluster.fork();
      live.add(worker);
      let listening = false;
      worker.on('message', (m: ToPrimary) => {
        switch (m.t) {
          case 'ready':
            worker.send({ t: 'start', config: options.config } satisfies ToWorker<C>);
            break;
          case 'listening':
            listening = true;
            resolve(m.port);
            break;
          case 'failed':
            reject(new WorkerStartError(m.message, m.code));
            break;
          case 'log':
            options.onLog(m.log);
            break;
          case 'generation':
            options.onGeneration();
            break;
          case 'stopped-accepting':
            stopped.add(worker);
            checkStopped();
            break;
          case 'finished':
            break;
        }
      });
      // Gone once it has exited and its channel is drained: 'exit' can come before the
      // last messages (its log lines) have been read.
      const exited = new Promise<string>((resolve) =>
        worker.on('exit', (code, signal) => resolve(String(signal ?? code))),
      );
      const drained = new Promise<void>((resolve) => worker.on('disconnect', resolve));
      void Promise.all([exited, drained]).then(([how]) => {
        live.delete(worker);
        if (!listening) {
          reject(new WorkerStartError(`a serve worker exited with ${how} before listening`, undefined));
        }
        if (closing) {
          checkStopped();
          if (live.size === 0) for (const done of allExited) done();
          return;
        }
        if (!started || !listening) return;
        // One worker died (a bug, or killed by hand): the others keep serving; replace it.
        options.onWarning(`serve worker ${worker.process.pid} exited with ${how}: starting another`);
        fork().catch((e: unknown) =>
          options.onWarning(`cannot start another serve worker: ${(e as Error).message}`),
        );
      });
    });

  // The first worker binds (port 0: the kernel's choice); the rest share its socket.
  try {
    port = await fork();
    const rest = await Promise.all(Array.from({ length: options.count - 1 }, () => fork()));
    for (const p of rest) if (p !== port) throw new Error(`serve workers listen on ports ${port} and ${p}`);
  } catch (e) {
    closing = true;
    await stopAll(live, allExited);
    throw e;
  }
  started = true;

  return {
    port,
    workers: options.count,
    close: (stoppedAccepting) => {
      closing = true;
      onStopped = stoppedAccepting ?? (() => undefined);
      const done = stopAll(live, allExited);
      checkStopped();
      return done;
    },
  };
}

function stopAll(live: Set<Worker>, allExited: Set<() => void>): Promise<void> {
  if (live.size === 0) return Promise.resolve();
  return new Promise((resolve) => {
    allExited.add(resolve);
    for (const w of live) if (w.isConnected()) w.send({ t: 'close' } satisfies ToWorker<unknown>);
  });
}

export interface PrimaryLink<C> {
  /** The start message's config. */
  config: Promise<C>;
  listening(port: number): void;
  failed(e: unknown): void;
  log(log: RequestLog): void;
  generation(): void;
  /**
   * `stop` is called once, on the primary's close message or on SIGTERM/SIGINT sent to
   * this process (Ctrl-C reaches every process of the group): it stops accepting and
   * resolves once the requests in flight have finished; then this process exits.
   */
  onClose(stop: (stoppedAccepting: () => void) => Promise<void>): void;
}

/** The worker side, in the process `startCluster` forked. */
export function connectToPrimary<C>(): PrimaryLink<C> {
  const send = (m: ToPrimary, sent?: () => void): void => {
    if (process.connected) process.send!(m, undefined, {}, sent);
    else sent?.();
  };
  let stop: ((stoppedAccepting: () => void) => Promise<void>) | undefined;
  let stopping = false;
  let closeAsked = false;
  const close = (): void => {
    closeAsked = true;
    // Not serving yet: nothing in flight.
    if (stop === undefined) process.exit(0);
    if (stopping) return;
    stopping = true;
    const exit = (code: number) => () => send({ t: 'finished' }, () => process.exit(code));
    stop(() => send({ t: 'stopped-accepting' })).then(exit(0), exit(1));
  };
  process.on('SIGTERM', close);
  process.on('SIGINT', close);
  const config = new Promise<C>((resolve) => {
    process.on('message', (m: ToWorker<C>) => {
      if (m.t === 'start') resolve(m.config);
      else close();
    });
    send({ t: 'ready' });
  });
  return {
    config,
    listening: (port) => send({ t: 'listening', port }),
    failed: (e) => {
      const err = e as NodeJS.ErrnoException;
      const code = typeof err.code === 'string' ? { code: err.code } : {};
      send({ t: 'failed', message: err.message ?? String(e), ...code }, () => process.exit(1));
    },
    log: (log) => send({ t: 'log', log }),
    generation: () => send({ t: 'generation' }),
    onClose: (fn) => {
      stop = fn;
      if (closeAsked) close();
    },
  };
}
