// Preloaded (`--import`, through NODE_OPTIONS) into an airgap CLI process a test starts:
// records every module file the process loads, one path a line, in the file named by
// AIRGAP_MODULE_TRACE (test/helpers/module-trace.ts reads it). ES modules, and CommonJS
// packages reached by `import`, are seen by the loader hooks (hooks.mjs) as they load;
// CommonJS files required from them are in require.cache at exit. Only the CLI's own
// main thread records: its worker threads and the processes it starts do not.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import path from 'node:path';
import { isMainThread } from 'node:worker_threads';

const out = process.env.AIRGAP_MODULE_TRACE;
const entry = process.argv[1] ?? '';

if (out !== undefined && out !== '' && isMainThread && entry.endsWith(path.join('bin', 'run.js'))) {
  register('./hooks.mjs', import.meta.url, { data: { out } });
  const require = createRequire(import.meta.url);
  process.on('exit', () => {
    appendFileSync(
      out,
      Object.keys(require.cache)
        .map((file) => `${file}\n`)
        .join(''),
    );
  });
}
