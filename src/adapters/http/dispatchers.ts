// The undici connection pools every HTTP user shares the setup of: one keep-alive
// Agent for direct connections and one ProxyAgent per proxy, all with the same
// trust store (Node's roots plus --ca-cert, SSL_CERT_FILE, NODE_EXTRA_CA_CERTS)
// and the proxy choice of HTTPS_PROXY/HTTP_PROXY/NO_PROXY from the given env.

import { createRequire } from 'node:module';
import type { SecureContext } from 'node:tls';
import type { Agent, Dispatcher, ProxyAgent } from 'undici';
import { caSources, readExtraCas, trustContext } from './ca.js';
import { proxyForUrl, proxySettingsFromEnv } from './proxy.js';

export interface DispatcherOptions {
  env: Record<string, string | undefined>;
  caCertFiles: string[];
  connectTimeoutMs: number;
  /** Idle time allowed for headers and between body chunks. */
  bodyTimeoutMs: number;
  connections: number;
}

export interface Dispatchers {
  /** The pool for `url`, and the proxy it goes through, if any. */
  forUrl(url: URL): Promise<{ dispatcher: Dispatcher; proxy?: string }>;
  close(): Promise<void>;
}

interface Pools {
  tlsOptions: { secureContext?: SecureContext };
  direct: Agent;
  proxied: Map<string, ProxyAgent>;
}

export function createDispatchers(options: DispatcherOptions): Dispatchers {
  // Read now, so a bad --ca-cert or proxy setting fails before the run does any work.
  const proxySettings = proxySettingsFromEnv(options.env);
  const ca = readExtraCas(caSources(options.caCertFiles, options.env));
  const connectMs = options.connectTimeoutMs;
  const pool = {
    connections: options.connections,
    bodyTimeout: options.bodyTimeoutMs,
    headersTimeout: options.bodyTimeoutMs,
  };
  // undici is loaded with the first request, not at start-up: it costs ~100 ms and
  // ~10 MB, and many runs that create a client never send a request (a mirror with
  // nothing to fetch from a registry, an import without --push).
  let pools: Promise<Pools> | undefined;
  function open(): Promise<Pools> {
    pools ??= Promise.resolve().then(() => {
      // One context for every connection: given only `ca`, each TLS connection would build its
      // own and parse the ~140 roots again (about 10 ms of CPU per connection). Built with the
      // first request too, not for runs that send none.
      const tlsOptions = ca === undefined ? {} : { secureContext: trustContext(ca) };
      return {
        tlsOptions,
        direct: new (undiciPool<typeof Agent>('agent.js'))({
          ...pool,
          connect: { ...tlsOptions, timeout: connectMs },
        }),
        proxied: new Map<string, ProxyAgent>(),
      };
    });
    return pools;
  }

  return {
    async forUrl(url) {
      const { tlsOptions, direct, proxied } = await open();
      const proxy = proxyForUrl(url, proxySettings);
      if (proxy === undefined) return { dispatcher: direct };
      let agent = proxied.get(proxy);
      if (agent === undefined) {
        agent = new (undiciPool<typeof ProxyAgent>('proxy-agent.js'))({
          ...pool,
          uri: proxy,
          // The origin's certificate is checked inside the tunnel with the same trust store.
          requestTls: { ...tlsOptions, timeout: connectMs },
          proxyTls: { ...tlsOptions, timeout: connectMs },
          // Plain http through an http proxy is forwarded, not tunnelled: many proxies
          // only allow CONNECT to port 443.
          proxyTunnel: false,
        });
        proxied.set(proxy, agent);
      }
      return { dispatcher: agent, proxy };
    },
    async close() {
      if (pools === undefined) return;
      const { direct, proxied } = await pools;
      await Promise.all([direct.close(), ...[...proxied.values()].map((agent) => agent.close())]);
    },
  };
}

// undici's index loads all of undici (fetch, WebSocket, EventSource, mocks, caches,
// interceptors: ~110 files, ~150 ms of CPU at every run that sends a request); the pools
// and request() need ~35 of them (~50 ms). They are taken from undici's own files (the
// package has no "exports" map; the copy airgap ships is the one it was tested with,
// bundleDependencies), and request() is put on Dispatcher as undici's index does.
const requireUndici = createRequire(import.meta.url);

function undiciPool<T>(file: string): T {
  const base = requireUndici('undici/lib/dispatcher/dispatcher.js') as typeof Dispatcher;
  if (!('request' in base.prototype)) Object.assign(base.prototype, requireUndici('undici/lib/api/index.js'));
  return requireUndici(`undici/lib/dispatcher/${file}`) as T;
}
