// docker config.json auths: decoding, key normalisation, Docker Hub aliases, and
// where the file is looked for.
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dockerConfigPath, readDockerConfig } from '../../../src/adapters/oci/docker-config.js';
import { AirgapError } from '../../../src/core/errors.js';
import { dockerAuthFor, parseDockerConfig, registryHostFromKey } from '../../../src/core/oci/docker-auths.js';
import { makeTempDir } from '../../helpers/tmp.js';

function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

describe('parseDockerConfig', () => {
  it('decodes auth, username/password and identitytoken entries, bare hosts first', () => {
    const auths = parseDockerConfig(
      JSON.stringify({
        auths: {
          'https://Registry.Example:5000/v1/': { auth: b64('url-user:url-pw') },
          'registry.example:5000': { auth: b64('bob:pa:ss:word') },
          'https://index.docker.io/v1/': { auth: b64('hubuser:hubpw') },
          'ghcr.io': { username: 'gh', password: 'ghp_token' },
          'oauth.example': { identitytoken: 'refresh-abc' },
          'empty.example': {},
        },
        credsStore: 'desktop',
      }),
      '/home/u/.docker/config.json',
    );
    expect(auths.entries).toEqual([
      {
        key: 'registry.example:5000',
        host: 'registry.example:5000',
        username: 'bob',
        password: 'pa:ss:word',
      },
      { key: 'ghcr.io', host: 'ghcr.io', username: 'gh', password: 'ghp_token' },
      { key: 'oauth.example', host: 'oauth.example', identityToken: 'refresh-abc' },
      { key: 'empty.example', host: 'empty.example' },
      {
        key: 'https://Registry.Example:5000/v1/',
        host: 'registry.example:5000',
        username: 'url-user',
        password: 'url-pw',
      },
      { key: 'https://index.docker.io/v1/', host: 'index.docker.io', username: 'hubuser', password: 'hubpw' },
    ]);
    // The bare key wins over the URL key for the same host.
    expect(dockerAuthFor(auths, 'REGISTRY.example:5000')?.username).toBe('bob');
    for (const hub of ['docker.io', 'registry-1.docker.io', 'index.docker.io']) {
      expect(dockerAuthFor(auths, hub)?.password).toBe('hubpw');
    }
    expect(dockerAuthFor(auths, 'oauth.example')?.identityToken).toBe('refresh-abc');
    expect(dockerAuthFor(auths, 'empty.example')).toBeUndefined();
    expect(dockerAuthFor(auths, 'registry.example')).toBeUndefined();
  });

  it('finds http:// keys and keys with paths', () => {
    const auths = parseDockerConfig(
      JSON.stringify({ auths: { 'http://127.0.0.1:5000/v2/': { auth: b64('a:b') } } }),
      'c.json',
    );
    expect(dockerAuthFor(auths, '127.0.0.1:5000')).toEqual({
      key: 'http://127.0.0.1:5000/v2/',
      host: '127.0.0.1:5000',
      username: 'a',
      password: 'b',
    });
    expect(registryHostFromKey('https://index.docker.io/v1/')).toBe('index.docker.io');
    expect(registryHostFromKey(' Quay.IO ')).toBe('quay.io');
  });

  it('returns no entries when there is no auths map', () => {
    expect(parseDockerConfig('{"credsStore":"osxkeychain"}', 'c.json')).toEqual({ entries: [] });
  });

  it('rejects malformed files with DOCKER_CONFIG_INVALID naming the file and key', () => {
    const cases: [string, string][] = [
      ['{', 'docker config /x/config.json is not valid JSON'],
      ['[]', 'docker config /x/config.json is not a JSON object'],
      ['{"auths":[]}', 'docker config /x/config.json: "auths" is not an object'],
      ['{"auths":{"h":"s"}}', 'docker config /x/config.json: auths["h"] is not an object'],
      ['{"auths":{"h":{"auth":5}}}', 'docker config /x/config.json: auths["h"].auth is not a string'],
      [
        `{"auths":{"h":{"auth":"${b64('no-colon')}"}}}`,
        'docker config /x/config.json: auths["h"].auth is not base64 of "username:password"',
      ],
      [
        '{"auths":{"h":{"auth":"%%%not base64"}}}',
        'docker config /x/config.json: auths["h"].auth is not base64 of "username:password"',
      ],
    ];
    for (const [text, message] of cases) {
      let caught: unknown;
      try {
        parseDockerConfig(text, '/x/config.json');
      } catch (error) {
        caught = error;
      }
      expect(caught, text).toBeInstanceOf(AirgapError);
      expect((caught as AirgapError).code).toBe('DOCKER_CONFIG_INVALID');
      expect((caught as AirgapError).message).toBe(message);
      expect((caught as AirgapError).details.path).toBe('/x/config.json');
    }
  });
});

describe('readDockerConfig', () => {
  it('reads $DOCKER_CONFIG/config.json, else ~/.docker/config.json, and treats a missing file as empty', async () => {
    const dir = await makeTempDir();
    await fs.writeFile(
      path.join(dir, 'config.json'),
      JSON.stringify({ auths: { 'r.example': { auth: b64('u:p') } } }),
    );
    expect(dockerConfigPath({ DOCKER_CONFIG: dir, HOME: '/nowhere' })).toBe(path.join(dir, 'config.json'));
    expect(dockerConfigPath({ HOME: '/home/x' })).toBe('/home/x/.docker/config.json');
    expect(await readDockerConfig({ DOCKER_CONFIG: dir })).toEqual({
      entries: [{ key: 'r.example', host: 'r.example', username: 'u', password: 'p' }],
    });

    const home = await makeTempDir();
    await fs.mkdir(path.join(home, '.docker'));
    await fs.writeFile(
      path.join(home, '.docker', 'config.json'),
      JSON.stringify({ auths: { 'h.example': { username: 'x', password: 'y' } } }),
    );
    expect((await readDockerConfig({ HOME: home })).entries.map((e) => e.host)).toEqual(['h.example']);
    expect(await readDockerConfig({ DOCKER_CONFIG: path.join(dir, 'absent') })).toEqual({ entries: [] });
  });
});
