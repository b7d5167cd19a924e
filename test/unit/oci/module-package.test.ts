// The OpenTofu module package manifest as exact bytes, every field against what
// OpenTofu requires (opentofu/opentofu website/docs/cli/oci_registries/module-package.mdx,
// internal/getmodules/oci_getter.go): an image manifest, artifactType
// application/vnd.opentofu.modulepkg, exactly one archive/zip layer; and the names:
// repository, tag and the oci:// source address.

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AirgapError } from '../../../src/core/errors.js';
import {
  buildModulePackageManifest,
  moduleRegistryAccessNotes,
  moduleRepository,
  modulePackageFilename,
  moduleVersionTag,
  ociModuleSource,
} from '../../../src/core/oci/module-package.js';

const ZIP_SHA = createHash('sha256').update('a module zip').digest('hex');
const VPC = {
  hostname: 'registry.terraform.io',
  namespace: 'terraform-aws-modules',
  name: 'vpc',
  system: 'aws',
};

describe('buildModulePackageManifest', () => {
  it('renders the exact manifest tofu accepts, its digest the sha256 of those bytes', () => {
    const m = buildModulePackageManifest({ sha256: ZIP_SHA, size: 40213, filename: 'x-vpc-aws-5.8.1.zip' });
    const text =
      '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.opentofu.modulepkg",' +
      '"config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},' +
      `"layers":[{"mediaType":"archive/zip","digest":"sha256:${ZIP_SHA}","size":40213,` +
      '"annotations":{"org.opencontainers.image.title":"x-vpc-aws-5.8.1.zip"}}]}';
    expect(Buffer.from(m.bytes).toString('utf8')).toBe(text);
    expect(m.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(m.digest).toBe(`sha256:${createHash('sha256').update(text).digest('hex')}`);
    expect(m.size).toBe(Buffer.byteLength(text));
    expect(m.layerDigest).toBe(`sha256:${ZIP_SHA}`);
    // Same input, same bytes.
    expect(
      buildModulePackageManifest({ sha256: ZIP_SHA, size: 40213, filename: 'x-vpc-aws-5.8.1.zip' }).digest,
    ).toBe(m.digest);
  });

  it('refuses a hash that is not 64 lower-case hex digits, and a size that is not positive', () => {
    expect(() =>
      buildModulePackageManifest({ sha256: ZIP_SHA.toUpperCase(), size: 1, filename: 'a.zip' }),
    ).toThrow(/a\.zip: sha256 "[0-9A-F]{64}" is not 64 lower-case hex digits/);
    expect(() => buildModulePackageManifest({ sha256: ZIP_SHA, size: 0, filename: 'a.zip' })).toThrow(
      'a.zip: size 0 is not a positive integer',
    );
  });
});

describe('names', () => {
  it('repository PREFIX/HOST/NS/NAME/SYSTEM, lower case, the host in ASCII with _PORT', () => {
    expect(moduleRepository('tofu-modules', VPC, 'registry.terraform.io/terraform-aws-modules/vpc/aws')).toBe(
      'tofu-modules/registry.terraform.io/terraform-aws-modules/vpc/aws',
    );
    expect(moduleRepository('', VPC, 'x')).toBe('registry.terraform.io/terraform-aws-modules/vpc/aws');
    expect(
      moduleRepository(
        'm',
        { hostname: 'TF.Corp.Example:8443', namespace: 'Team', name: 'DNS', system: 'aws' },
        'tf.corp.example:8443/Team/DNS/aws',
      ),
    ).toBe('m/tf.corp.example_8443/team/dns/aws');
    expect(
      moduleRepository('m', { hostname: 'bücher.example', namespace: 'a', name: 'b', system: 'c' }, 'x'),
    ).toBe('m/xn--bcher-kva.example/a/b/c');
  });

  it('refuses a module whose address makes no repository name, naming the module', () => {
    const e = (() => {
      try {
        moduleRepository('m', { ...VPC, namespace: 'a___b' }, 'registry.terraform.io/a___b/vpc/aws');
      } catch (x) {
        return x as AirgapError;
      }
      return undefined;
    })();
    expect(e?.code).toBe('OCI_REFERENCE_INVALID');
    expect(e?.message).toBe(
      'module registry.terraform.io/a___b/vpc/aws: "m/registry.terraform.io/a___b/vpc/aws" cannot be an OCI repository path (at most 255 characters; lower-case [a-z0-9] joined by "/", ".", "_", "__" or "-")',
    );
  });

  it('tags the version, + written _ (an OCI tag cannot hold +)', () => {
    expect(moduleVersionTag('a/b/c/d', '5.8.1')).toBe('5.8.1');
    expect(moduleVersionTag('a/b/c/d', '2.0.0-rc.1+build.5')).toBe('2.0.0-rc.1_build.5');
    expect(() => moduleVersionTag('a/b/c/d', '1.0.0+a/b')).toThrow(
      'module a/b/c/d 1.0.0+a/b: the version does not make a valid OCI tag ("1.0.0_a/b")',
    );
  });

  it('the oci:// source: //SUBDIR before the query, tag last', () => {
    expect(ociModuleSource('r.example:5000', 'm/h/a/b/c', '1.0.0')).toBe(
      'oci://r.example:5000/m/h/a/b/c?tag=1.0.0',
    );
    expect(ociModuleSource('r.example', 'm/h/a/b/c', '1.0.0', 'modules/x')).toBe(
      'oci://r.example/m/h/a/b/c//modules/x?tag=1.0.0',
    );
  });

  it('the layer title names the module and version', () => {
    expect(modulePackageFilename(VPC, '5.8.1')).toBe('terraform-aws-modules-vpc-aws-5.8.1.zip');
  });

  it('says what tofu needs after --registry-insecure or --ca-cert, and nothing otherwise', () => {
    expect(moduleRegistryAccessNotes({ registry: 'r.example', insecure: false, caCert: false })).toEqual([]);
    const notes = moduleRegistryAccessNotes({ registry: 'r.example', insecure: true, caCert: true });
    expect(notes).toHaveLength(2);
    expect(notes[0]).toMatch(/^The modules were pushed to r\.example over plain HTTP/);
    expect(notes[1]).toMatch(/^The push trusted r\.example's certificate through --ca-cert/);
  });
});
