// The CLI configurations that point runners at `airgap serve`: serve's own, and the
// runner image's with image.serve (one renderer; exact text).
import { describe, expect, it } from 'vitest';
import { moduleHostsOf, renderServedImageCliConfig } from '../../../src/core/serve/cli-config.js';
import { parseServeBaseUrl } from '../../../src/core/serve/listen.js';

describe('renderServedImageCliConfig', () => {
  it("keeps config/tofurc's provider installation and adds one host block per module host", () => {
    const text = renderServedImageCliConfig(
      { networkMirrorUrl: 'https://mirror.corp.example/providers/', allowDirect: ['registry.myorg.io/*/*'] },
      'https://tf.corp.example:8443',
      [
        'registry.terraform.io/a/b/aws',
        'registry.terraform.io/c/d/aws',
        'git.corp.example/e/f/aws',
        'not-an-address',
      ],
    );
    expect(text.slice(text.indexOf('\nhost '))).toBe(
      [
        '',
        'host "git.corp.example" {',
        '  services = {',
        '    "modules.v1" = "https://tf.corp.example:8443/v1/modules/git.corp.example/"',
        '  }',
        '}',
        '',
        'host "registry.terraform.io" {',
        '  services = {',
        '    "modules.v1" = "https://tf.corp.example:8443/v1/modules/registry.terraform.io/"',
        '  }',
        '}',
        '',
        'provider_installation {',
        '  network_mirror {',
        '    url     = "https://mirror.corp.example/providers/"',
        '    exclude = [',
        '      "registry.myorg.io/*/*",',
        '    ]',
        '  }',
        '  direct {',
        '    include = [',
        '      "registry.myorg.io/*/*",',
        '    ]',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('lists module hosts once, sorted', () => {
    expect(moduleHostsOf(['b.example/x/y/z', 'a.example/x/y/z', 'b.example/q/y/z'])).toEqual([
      'a.example',
      'b.example',
    ]);
  });
});

describe('parseServeBaseUrl', () => {
  it('never repeats credentials given in the URL', () => {
    expect(() => parseServeBaseUrl('https://user:s3cret@tf.corp.example', '--url')).toThrow(
      '--url "https://***@tf.corp.example/" is not https://HOST[:PORT]',
    );
  });
  it('takes https://HOST[:PORT] and gives it without a trailing slash', () => {
    expect(parseServeBaseUrl('https://tf.corp.example:8443/', 'image.serve.url')).toBe(
      'https://tf.corp.example:8443',
    );
  });
  it.each([
    'http://tf.corp.example',
    'https://tf.corp.example/airgap',
    'https://tf.corp.example/?x=1',
    'tf.corp.example',
  ])('refuses %s, naming where it was given', (url) => {
    expect(() => parseServeBaseUrl(url, 'image.serve.url')).toThrow(
      `image.serve.url ${JSON.stringify(url)} is not https://HOST[:PORT]`,
    );
  });
});
