// The CLI configuration `airgap serve` writes for runners (docs/SERVE.md): a `host`
// block per original module host, pointing its modules.v1 at this server, and the
// network mirror at /providers/. Rendered by the one tofurc renderer.

import { renderTofurc } from '../config/tofurc.js';
import { SERVE_URL } from '../layout/names.js';
import { moduleHosts, type ServeCatalogue } from './catalogue.js';

/** `baseUrl`: "https://HOST[:PORT]", no trailing slash. */
export function renderServeCliConfig(baseUrl: string, catalogue: ServeCatalogue): string {
  return renderTofurc({
    networkMirrorUrl: `${baseUrl}/${SERVE_URL.providers}/`,
    moduleServices: moduleHosts(catalogue).map((hostname) => ({
      hostname,
      url: `${baseUrl}/${SERVE_URL.moduleApi}/${hostname}/`,
    })),
  });
}
