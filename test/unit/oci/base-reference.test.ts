// --base-image references: registry (Docker Hub defaults), oci:, oci-archive:, docker-archive:.
import { describe, expect, it } from 'vitest';
import { AirgapError } from '../../../src/core/errors.js';
import { normalizeImageName, parseBaseImageReference } from '../../../src/core/oci/base-reference.js';

const DIGEST = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';

function failure(text: string): AirgapError {
  try {
    parseBaseImageReference(text);
  } catch (error) {
    expect(error).toBeInstanceOf(AirgapError);
    return error as AirgapError;
  }
  throw new Error(`expected ${text} to be refused`);
}

describe('parseBaseImageReference: registries', () => {
  it('sends bare names to Docker Hub under library/, with tag latest by default', () => {
    expect(parseBaseImageReference('alpine:3')).toEqual({
      kind: 'registry',
      registry: 'registry-1.docker.io',
      repository: 'library/alpine',
      tag: '3',
      display: 'docker.io/library/alpine:3',
    });
    expect(parseBaseImageReference('alpine')).toEqual({
      kind: 'registry',
      registry: 'registry-1.docker.io',
      repository: 'library/alpine',
      tag: 'latest',
      display: 'docker.io/library/alpine:latest',
    });
    expect(parseBaseImageReference('docker://alpine')).toEqual(parseBaseImageReference('alpine'));
  });

  it('treats a first component without "." or ":" (and not localhost) as a Docker Hub namespace', () => {
    expect(parseBaseImageReference('spacelift/runner-terraform')).toMatchObject({
      registry: 'registry-1.docker.io',
      repository: 'spacelift/runner-terraform',
      tag: 'latest',
      display: 'docker.io/spacelift/runner-terraform:latest',
    });
  });

  it('maps docker.io, index.docker.io and registry-1.docker.io to registry-1.docker.io', () => {
    expect(parseBaseImageReference('docker.io/x/y')).toEqual({
      kind: 'registry',
      registry: 'registry-1.docker.io',
      repository: 'x/y',
      tag: 'latest',
      display: 'docker.io/x/y:latest',
    });
    expect(parseBaseImageReference('index.docker.io/alpine:3.20')).toMatchObject({
      registry: 'registry-1.docker.io',
      repository: 'library/alpine',
      display: 'docker.io/library/alpine:3.20',
    });
    expect(parseBaseImageReference('docker://registry-1.docker.io/library/ubuntu:24.04')).toMatchObject({
      registry: 'registry-1.docker.io',
      repository: 'library/ubuntu',
      display: 'docker.io/library/ubuntu:24.04',
    });
  });

  it('keeps an explicit registry (dots, a port or localhost), lower-cased, with tag and digest', () => {
    expect(parseBaseImageReference('public.ecr.aws/spacelift/runner-terraform:latest')).toEqual({
      kind: 'registry',
      registry: 'public.ecr.aws',
      repository: 'spacelift/runner-terraform',
      tag: 'latest',
      display: 'public.ecr.aws/spacelift/runner-terraform:latest',
    });
    expect(parseBaseImageReference(`Localhost:5000/base/runner:v1@${DIGEST}`)).toEqual({
      kind: 'registry',
      registry: 'localhost:5000',
      repository: 'base/runner',
      tag: 'v1',
      digest: DIGEST,
      display: `localhost:5000/base/runner:v1@${DIGEST}`,
    });
    // A digest alone: no default tag.
    expect(parseBaseImageReference(`localhost/base@${DIGEST}`)).toEqual({
      kind: 'registry',
      registry: 'localhost',
      repository: 'base',
      digest: DIGEST,
      display: `localhost/base@${DIGEST}`,
    });
    expect(parseBaseImageReference('127.0.0.1:5000/a/b')).toMatchObject({
      registry: '127.0.0.1:5000',
      repository: 'a/b',
      tag: 'latest',
    });
  });

  it('refuses what breaks the grammar, naming the text, expected and actual', () => {
    const upper = failure('Alpine:3');
    expect(upper.code).toBe('OCI_REFERENCE_INVALID');
    expect(upper.message).toBe(
      'invalid base image reference "Alpine:3": repository name "library/Alpine" must be lower-case [a-z0-9] path components joined by "/"',
    );
    expect(upper.details).toMatchObject({ address: 'Alpine:3', actual: 'library/Alpine' });

    const tag = failure('alpine:-bad');
    expect(tag.message).toContain('tag "-bad" is not 1-128');
    expect(tag.details).toMatchObject({ expected: '[A-Za-z0-9_][A-Za-z0-9._-]{0,127}', actual: '-bad' });

    const digest = failure('alpine@sha256:1234');
    expect(digest.message).toContain('digest "sha256:1234" is not ALGORITHM:HEX');
    expect(digest.details.actual).toBe('sha256:1234');

    const host = failure('my_registry.example:5000/a');
    expect(host.message).toContain('registry "my_registry.example:5000" is not HOST[:PORT]');

    const transport = failure('docker-daemon:alpine:3');
    expect(transport.message).toBe(
      'invalid base image reference "docker-daemon:alpine:3": the docker-daemon: transport is not supported',
    );
    expect(transport.details).toMatchObject({
      expected: 'docker://, oci:, oci-archive: or docker-archive:',
      actual: 'docker-daemon:',
    });

    expect(failure('').code).toBe('OCI_REFERENCE_INVALID');
    expect(failure('docker://').code).toBe('OCI_REFERENCE_INVALID');
  });
});

describe('parseBaseImageReference: layouts and archives', () => {
  it('splits oci:PATH:TAG at the last colon only when a valid tag without "/" follows', () => {
    expect(parseBaseImageReference('oci:/tmp/layout:base')).toEqual({
      kind: 'oci',
      path: '/tmp/layout',
      tag: 'base',
    });
    expect(parseBaseImageReference('oci:/tmp/layout')).toEqual({ kind: 'oci', path: '/tmp/layout' });
    expect(parseBaseImageReference('oci:relative/dir:v1.2')).toEqual({
      kind: 'oci',
      path: 'relative/dir',
      tag: 'v1.2',
    });
    // "b/c" cannot be a tag: the colon is part of the path.
    expect(parseBaseImageReference('oci:/a:b/c')).toEqual({ kind: 'oci', path: '/a:b/c' });
    expect(parseBaseImageReference('oci:/a:b:c')).toEqual({ kind: 'oci', path: '/a:b', tag: 'c' });
    expect(parseBaseImageReference('oci-archive:/tmp/base.tar:base')).toEqual({
      kind: 'oci-archive',
      path: '/tmp/base.tar',
      tag: 'base',
    });
    expect(parseBaseImageReference('oci-archive:/tmp/base.tar')).toEqual({
      kind: 'oci-archive',
      path: '/tmp/base.tar',
    });
  });

  it('reads docker-archive:FILE and docker-archive:FILE:NAME:TAG', () => {
    expect(parseBaseImageReference('docker-archive:/tmp/d.tar')).toEqual({
      kind: 'docker-archive',
      path: '/tmp/d.tar',
    });
    expect(parseBaseImageReference('docker-archive:/tmp/d.tar:base:latest')).toEqual({
      kind: 'docker-archive',
      path: '/tmp/d.tar',
      ref: 'base:latest',
    });
    expect(parseBaseImageReference('docker-archive:/tmp/d.tar:docker.io/library/base:1.0')).toEqual({
      kind: 'docker-archive',
      path: '/tmp/d.tar',
      ref: 'docker.io/library/base:1.0',
    });
    // One colon: part of the file name. Two, but "B:C" not NAME:TAG (upper case): file name too.
    expect(parseBaseImageReference('docker-archive:/tmp/a:b.tar')).toEqual({
      kind: 'docker-archive',
      path: '/tmp/a:b.tar',
    });
    expect(parseBaseImageReference('docker-archive:/tmp/x:B:C')).toEqual({
      kind: 'docker-archive',
      path: '/tmp/x:B:C',
    });
  });

  it('refuses an empty path', () => {
    for (const text of ['oci:', 'oci::base', 'oci-archive:', 'docker-archive:']) {
      const error = failure(text);
      expect(error.code).toBe('OCI_REFERENCE_INVALID');
      expect(error.message).toBe(`invalid base image reference ${JSON.stringify(text)}: the path is empty`);
    }
  });
});

describe('normalizeImageName', () => {
  it('gives docker save and skopeo RepoTags one form', () => {
    expect(normalizeImageName('base:latest')).toBe('docker.io/library/base:latest');
    expect(normalizeImageName('docker.io/library/base:latest')).toBe('docker.io/library/base:latest');
    expect(normalizeImageName('base')).toBe('docker.io/library/base:latest');
    expect(normalizeImageName('registry.example/a/b:1')).toBe('registry.example/a/b:1');
    expect(normalizeImageName('Base:1')).toBeUndefined();
    expect(normalizeImageName(`base@${DIGEST}`)).toBeUndefined();
  });
});
