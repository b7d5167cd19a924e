// The CLI configuration that points runners at `airgap serve` (docs/SERVE.md): a `host`
// block per original module host, pointing its modules.v1 at the server, and the
// providers from the server's network mirror. The runner image `mirror --image` builds
// with `image.serve` carries the same host blocks, with the providers from the image's
// own filesystem mirror (docs/IMAGE-FORMAT.md). Both are rendered here, by the one
// tofurc renderer.

import { compareStrings } from '../compare.js';
import { renderTofurc, type TofurcOptions } from '../config/tofurc.js';
import { SERVE_URL } from '../layout/names.js';
import { moduleHosts, parseModuleSource, type ServeCatalogue } from './catalogue.js';

/** `baseUrl`: "https://HOST[:PORT]", no trailing slash (parseServeBaseUrl). */
export function serveModuleServices(
  baseUrl: string,
  hostnames: readonly string[],
): NonNullable<TofurcOptions['moduleServices']> {
  return hostnames.map((hostname) => ({
    hostname,
    url: `${baseUrl}/${SERVE_URL.moduleApi}/${hostname}/`,
  }));
}

/** What `airgap serve` writes: modules and providers both from the server. */
export function renderServeCliConfig(baseUrl: string, catalogue: ServeCatalogue): string {
  return renderTofurc({
    networkMirrorUrl: `${baseUrl}/${SERVE_URL.providers}/`,
    moduleServices: serveModuleServices(baseUrl, moduleHosts(catalogue)),
  });
}

/**
 * The runner image's CLI configuration with `image.serve`: the provider installation of
 * config/tofurc (`providers`: the image's filesystem mirror, or the network mirror and
 * direct patterns configs names), plus a host block per module host pointing at serve.
 */
export function renderServedImageCliConfig(
  providers: Omit<TofurcOptions, 'moduleServices'>,
  baseUrl: string,
  moduleSources: readonly string[],
): string {
  return renderTofurc({
    ...providers,
    moduleServices: serveModuleServices(baseUrl, moduleHostsOf(moduleSources)),
  });
}

/** The distinct hostnames of "HOST/NS/NAME/SYSTEM" module sources, sorted. */
export function moduleHostsOf(sources: readonly string[]): string[] {
  const hosts = new Set<string>();
  for (const s of sources) {
    const coords = parseModuleSource(s);
    if (coords !== undefined) hosts.add(coords.hostname);
  }
  return [...hosts].sort(compareStrings);
}
