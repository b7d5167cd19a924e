// One worker process of `airgap serve --workers N` (N > 1): it opens DIR as the primary
// did (a bundle directory's airgap.json must still have the hash that was verified; an
// import destination's live generation is looked up per request, so every worker sees a
// new generation at once), listens on the socket the workers share, and relays each
// request's log line and each new catalogue to the primary. The primary verified the
// bundle before forking: a worker never verifies and never writes.

import type { PrimaryLink } from '../../adapters/serve/cluster.js';
import { startHttpsServer } from '../../adapters/serve/https-server.js';
import { advertisedUrl, type ListenAddress } from '../../core/serve/listen.js';
import { openServedDir } from './served-dir.js';

/** What the primary hands each worker (JSON over IPC). */
export interface ServeWorkerConfig {
  /** Absolute. */
  dir: string;
  listen: ListenAddress;
  url?: string;
  cert: string;
  key: string;
  /** A bundle directory: the sha256 airgap.json had when the primary verified it. */
  manifestSha256?: string;
  logRequests: boolean;
}

export async function runServeWorker(link: PrimaryLink<ServeWorkerConfig>): Promise<void> {
  const config = await link.config;
  try {
    const served = await openServedDir(config.dir, () => link.generation(), config.manifestSha256);
    let baseUrl = '';
    const server = await startHttpsServer({
      host: config.listen.host,
      port: config.listen.port,
      cert: config.cert,
      key: config.key,
      view: () => served.view(),
      get baseUrl() {
        return baseUrl;
      },
      ...(config.logRequests ? { onRequest: link.log } : {}),
    });
    baseUrl = advertisedUrl(config.listen, server.port, config.url);
    link.onClose(async (stoppedAccepting) => {
      const closed = server.close();
      stoppedAccepting();
      await closed;
    });
    link.listening(server.port);
  } catch (e) {
    link.failed(e);
  }
}
