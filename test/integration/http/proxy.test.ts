// Proxy choice from the passed env: which variable wins, and NO_PROXY matching.
import { describe, expect, it } from 'vitest';
import { bypassesProxy, proxyForUrl, proxySettingsFromEnv } from '../../../src/adapters/http/proxy.js';
import { AirgapError } from '../../../src/core/errors.js';
import { redactUrl } from '../../../src/core/redact.js';

function bypass(url: string, noProxy: string): boolean {
  return bypassesProxy(new URL(url), noProxy);
}

describe('proxySettingsFromEnv', () => {
  it('prefers upper case like Go, normalises bare host:port, and never reads process.env', () => {
    expect(
      proxySettingsFromEnv({
        HTTPS_PROXY: 'http://upper:3128',
        https_proxy: 'http://lower:3128',
        http_proxy: 'proxy.corp:8080',
        no_proxy: '.corp',
      }),
    ).toEqual({ httpsProxy: 'http://upper:3128/', httpProxy: 'http://proxy.corp:8080/', noProxy: '.corp' });
    expect(proxySettingsFromEnv({})).toEqual({ noProxy: '' });
  });

  it('rejects a socks proxy with USAGE naming the variable', () => {
    let error: unknown;
    try {
      proxySettingsFromEnv({ HTTPS_PROXY: 'socks5://127.0.0.1:1080' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AirgapError);
    expect((error as AirgapError).code).toBe('USAGE');
    expect((error as AirgapError).message).toBe(
      'HTTPS_PROXY must be an http:// or https:// proxy URL, got socks5://127.0.0.1:1080',
    );
  });
});

describe('proxyForUrl', () => {
  const settings = proxySettingsFromEnv({
    HTTPS_PROXY: 'http://p:1',
    HTTP_PROXY: 'http://q:2',
    NO_PROXY: 'internal',
  });

  it('picks the proxy by scheme, with no https fallback to HTTP_PROXY', () => {
    expect(proxyForUrl(new URL('https://registry.opentofu.org/v1'), settings)).toBe('http://p:1/');
    expect(proxyForUrl(new URL('http://example.com/'), settings)).toBe('http://q:2/');
    expect(proxyForUrl(new URL('https://a.internal/'), settings)).toBeUndefined();
    expect(
      proxyForUrl(new URL('https://x/'), proxySettingsFromEnv({ HTTP_PROXY: 'http://q:2' })),
    ).toBeUndefined();
  });
});

describe('bypassesProxy (NO_PROXY)', () => {
  it('matches a bare domain and its subdomains, not lookalikes', () => {
    expect(bypass('https://example.com/', 'example.com')).toBe(true);
    expect(bypass('https://releases.example.com/', 'example.com')).toBe(true);
    expect(bypass('https://badexample.com/', 'example.com')).toBe(false);
    expect(bypass('https://example.com.evil.net/', 'example.com')).toBe(false);
  });

  it('treats .domain and *.domain as the domain and its subdomains', () => {
    for (const entry of ['.example.com', '*.example.com']) {
      expect(bypass('https://a.b.example.com/', entry)).toBe(true);
      expect(bypass('https://example.com/', entry)).toBe(true);
      expect(bypass('https://notexample.com/', entry)).toBe(false);
    }
  });

  it('honours ports, with the scheme default when the URL has none', () => {
    expect(bypass('https://example.com:8443/', 'example.com:8443')).toBe(true);
    expect(bypass('https://example.com/', 'example.com:8443')).toBe(false);
    expect(bypass('https://example.com/', 'example.com:443')).toBe(true);
    expect(bypass('http://example.com/', 'example.com:443')).toBe(false);
  });

  it('handles *, lists with spaces, case and trailing dots', () => {
    expect(bypass('https://anything.test/', '*')).toBe(true);
    expect(bypass('https://anything.test/', 'a.test, *')).toBe(true);
    expect(bypass('https://B.Example.COM./', ' foo.org ,  example.com ')).toBe(true);
    expect(bypass('https://example.com/', '')).toBe(false);
    expect(bypass('https://example.com/', ' , ')).toBe(false);
  });

  it('matches IP addresses exactly and by CIDR, IPv4 and IPv6', () => {
    expect(bypass('https://127.0.0.1:4443/', '127.0.0.1')).toBe(true);
    expect(bypass('https://127.0.0.10/', '127.0.0.1')).toBe(false);
    expect(bypass('https://10.20.30.40/', '10.0.0.0/8')).toBe(true);
    expect(bypass('https://11.0.0.1/', '10.0.0.0/8')).toBe(false);
    expect(bypass('https://[::1]:8080/', '::1')).toBe(true);
    expect(bypass('https://[::1]:8080/', '[::1]:8080')).toBe(true);
    expect(bypass('https://[::1]:9090/', '[::1]:8080')).toBe(false);
    expect(bypass('https://[fd00::5]/', 'fd00::/8')).toBe(true);
    expect(bypass('https://10.0.0.1/', 'fd00::/8')).toBe(false);
  });
});

describe('redactUrl', () => {
  it('hides proxy credentials', () => {
    expect(redactUrl('http://user:pa55@proxy:3128/')).toBe('http://***@proxy:3128/');
    expect(redactUrl('https://example.com/x?y=1')).toBe('https://example.com/x?y=1');
  });
});
