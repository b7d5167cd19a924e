// `airgap serve --listen ADDR:PORT` and `--url`: where the server binds, and the base
// URL it tells runners (in the CLI config it writes and in X-Terraform-Get).

import { AirgapError } from '../errors.js';
import { redactUrl } from '../redact.js';

export const DEFAULT_LISTEN = '127.0.0.1:8443';

export interface ListenAddress {
  host: string;
  port: number;
}

export function parseListen(text: string): ListenAddress {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || port > 65535) {
    throw new AirgapError('USAGE', `--listen ${JSON.stringify(text)} is not ADDR:PORT`, {
      expected: 'ADDR:PORT, e.g. 127.0.0.1:8443, 0.0.0.0:8443 or [::1]:8443 (port 0: any free port)',
      actual: text,
    });
  }
  return { host: m[1] ?? m[2]!, port };
}

function isUnspecified(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

/**
 * A serve base URL as runners reach it (`--url`, and `image.serve.url` in airgap.yaml):
 * "https://HOST[:PORT]" with no path, query, fragment or credentials, returned without a
 * trailing slash. `what` names where it was given, for the message.
 */
export function parseServeBaseUrl(url: string, what: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    u = new URL('invalid://');
  }
  if (
    u.protocol !== 'https:' ||
    u.hostname === '' ||
    u.pathname !== '/' ||
    u.search !== '' ||
    u.hash !== '' ||
    u.username !== '' ||
    u.password !== ''
  ) {
    const shown = redactUrl(url);
    throw new AirgapError('USAGE', `${what} ${JSON.stringify(shown)} is not https://HOST[:PORT]`, {
      expected: 'https://HOST[:PORT], the address runners reach airgap serve at',
      actual: shown,
    });
  }
  return `https://${u.host}`;
}

/**
 * The advertised base URL, "https://HOST:PORT" without a trailing slash: --url when given,
 * else the listen address with the bound port. Listening on every address names no host
 * runners could use, so --url is required then.
 */
export function advertisedUrl(listen: ListenAddress, boundPort: number, url: string | undefined): string {
  if (url !== undefined) return parseServeBaseUrl(url, '--url');
  if (isUnspecified(listen.host)) {
    throw new AirgapError(
      'USAGE',
      `--listen ${listen.host}:${listen.port} names no address runners can use`,
      {
        expected: '--url https://HOST[:PORT] with it',
        actual: 'no --url',
      },
      'pass --url with the name or address runners reach this host by',
    );
  }
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  return `https://${host}:${boundPort}`;
}
