// The entry module `airgap serve` forks for each worker process (node:cluster exec):
// loads only what serving needs, not the CLI.

import { connectToPrimary } from '../../adapters/serve/cluster.js';
import { runServeWorker, type ServeWorkerConfig } from './serve-worker.js';

await runServeWorker(connectToPrimary<ServeWorkerConfig>());
