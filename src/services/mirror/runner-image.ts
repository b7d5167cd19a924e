// The `--image` part of `airgap mirror`: checks its options before anything is
// written, opens the base image source, builds BUNDLE/image (services/image/),
// and writes the optional docker-archive. Without --image, an image left by an
// earlier run is removed: the bundle must be exactly what airgap.json lists.

import fs from 'node:fs/promises';
import path from 'node:path';
import { parseRepoTag, writeDockerArchive } from '../../adapters/oci/docker-archive-write.js';
import { readDockerConfig } from '../../adapters/oci/docker-config.js';
import { openImageSource } from '../../adapters/oci/image-source/index.js';
import {
  creationTime,
  type ManifestBinary,
  type ManifestImage,
  type ManifestProvider,
} from '../../core/bundle/manifest.js';
import { AirgapError, isAirgapError } from '../../core/errors.js';
import { BUNDLE } from '../../core/layout/names.js';
import { parseBaseImageReference } from '../../core/oci/base-reference.js';
import type { ConfigRequest, ImageRequest } from '../../core/mirror/request.js';
import { renderServedImageCliConfig } from '../../core/serve/cli-config.js';
import type { HttpObserver, ImageSource, Reporter } from '../../core/ports.js';
import { parsePlatform } from '../../core/provider/platform.js';
import { PACK_DEFAULT_MTIME } from '../../core/transfer/pack-plan.js';
import { buildRunnerImage } from '../image/build-image.js';
import { configTofurcOptions } from './config-writer.js';
import { TOOL_VERSION, USER_AGENT } from '../tool-version.js';

/** What the run asks of the image (src/core/mirror/request.ts). */
export type RunnerImageOptions = ImageRequest;

export interface CheckedImageOptions extends Omit<RunnerImageOptions, 'caCerts'> {
  /** The CA files' text, appended to the image's bundle (`file` names them for messages). */
  caCerts?: { file: string; text: string };
}

export interface RunnerImageSummary {
  digest: string;
  platforms: { platform: string; manifest: string; base: string }[];
  base: { reference: string; digest: string };
  archive?: { path: string; platform: string; sha256: string; size: number };
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/** Everything --image needs that can be checked offline, before the mirror writes anything. */
export async function checkImageOptions(
  options: RunnerImageOptions,
  context: {
    /** Absolute. */
    outDir: string;
    /** Relative paths in the options are relative to this. */
    cwd: string;
    platforms: string[];
    tool: 'tofu' | 'terraform';
    toolRequested: boolean;
  },
): Promise<CheckedImageOptions> {
  parseBaseImageReference(options.baseImage);
  if (!context.toolRequested) {
    throw new AirgapError(
      'USAGE',
      `--image puts ${context.tool} at /bin/${context.tool}: pass --${context.tool} VERSION (or --workflow-tool to pick the other tool)`,
      { expected: `--${context.tool} VERSION`, actual: 'none' },
    );
  }
  const { caCerts: _named, ...rest } = options;
  const checked: CheckedImageOptions = { ...rest };
  const texts: string[] = [];
  for (const { file, from } of options.caCerts) {
    const text = await fs.readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw new AirgapError('INPUT_NOT_FOUND', `${from} ${file}: ${e.code ?? e.message}`, {
        path: file,
        cause: e,
      });
    });
    if (!PEM_CERT.test(text)) {
      throw new AirgapError('USAGE', `${from} ${file} holds no PEM certificate`, {
        path: file,
        expected: '-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----',
        actual: text.slice(0, 40),
      });
    }
    texts.push(text.endsWith('\n') ? text : `${text}\n`);
  }
  if (texts.length > 0) {
    const names = options.caCerts.map((c) => path.basename(c.file));
    checked.caCerts = { file: names.join(', '), text: texts.join('') };
  }
  const archive = options.archive;
  if (archive !== undefined) {
    parsePlatform(archive.platform);
    if (!context.platforms.includes(archive.platform)) {
      throw new AirgapError(
        'USAGE',
        `--image-archive-platform ${archive.platform} is not one of the --platform values (${context.platforms.join(', ')})`,
        { platform: archive.platform, expected: context.platforms.join(', '), actual: archive.platform },
      );
    }
    try {
      parseRepoTag(repoTagOf(archive.tag));
    } catch (e) {
      if (!isAirgapError(e)) throw e;
      throw new AirgapError(e.code, `--image-archive-tag: ${e.message}`, e.details);
    }
    const rel = path.relative(context.outDir, path.resolve(context.cwd, archive.file));
    if (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))) {
      throw new AirgapError(
        'USAGE',
        `--image-archive ${archive.file} is inside the bundle directory ${context.outDir}; write it elsewhere (the bundle holds only what airgap.json lists)`,
        { path: archive.file, expected: 'a path outside --out', actual: archive.file },
      );
    }
  }
  return checked;
}

export interface BuildImageInput {
  outDir: string;
  platforms: string[];
  providers: readonly ManifestProvider[];
  binaries: readonly ManifestBinary[];
  tool: 'tofu' | 'terraform';
  mirrorPath: string;
  caCertFiles: string[];
  env: Record<string, string | undefined>;
  image: CheckedImageOptions;
  /** config/'s options: with image.serve, the image keeps their provider installation. */
  configs: ConfigRequest;
  /** "HOST/NS/NAME/SYSTEM" of every carried module: with image.serve, their hosts point at serve. */
  moduleSources: readonly string[];
  /** Tests inject a source; otherwise one is opened from --base-image. */
  source?: ImageSource;
  /** Told of every base-image registry request (--verbose). */
  httpObserver?: HttpObserver;
}

/** Builds BUNDLE/image (and the docker-archive); returns the manifest section and a summary. */
export async function buildBundleImage(
  input: BuildImageInput,
  reporter: Reporter,
): Promise<{ image: ManifestImage; summary: RunnerImageSummary; warnings: string[] }> {
  const source =
    input.source ??
    openImageSource(input.image.baseImage, {
      insecure: input.image.baseRegistryInsecure,
      caCertFiles: input.caCertFiles,
      dockerConfig: await readDockerConfig(input.env),
      env: input.env,
      userAgent: USER_AGENT,
      ...(input.httpObserver === undefined ? {} : { observer: input.httpObserver }),
    });
  const warnings: string[] = [];
  const cliConfig =
    input.image.serveUrl === undefined
      ? undefined
      : servedCliConfig(input.image.serveUrl, input, (message) => {
          warnings.push(message);
          reporter.warn(message);
        });
  try {
    const built = await buildRunnerImage(
      {
        bundleDir: input.outDir,
        platforms: input.platforms,
        source,
        providers: input.providers,
        binaries: input.binaries,
        tool: input.tool,
        mirrorPath: input.mirrorPath,
        ...(input.image.caCerts === undefined ? {} : { caCerts: input.image.caCerts }),
        ...(cliConfig === undefined ? {} : { cliConfig }),
        created: creationTime(input.env, () => PACK_DEFAULT_MTIME),
        toolVersion: TOOL_VERSION,
      },
      reporter,
    );
    const summary: RunnerImageSummary = {
      digest: built.image.digest,
      platforms: built.manifests,
      base: built.image.base,
    };
    const archive = input.image.archive;
    if (archive !== undefined) {
      const target = built.manifests.find((m) => m.platform === archive.platform);
      if (target === undefined) {
        throw new AirgapError(
          'IMAGE_INVALID',
          `--image-archive-platform ${archive.platform}: the base image ${input.image.baseImage} has no such platform, so neither does the runner image`,
          {
            platform: archive.platform,
            expected: archive.platform,
            actual: built.manifests.map((m) => m.platform).join(', '),
          },
        );
      }
      const written = await writeDockerArchive({
        layoutDir: path.join(input.outDir, BUNDLE.imageDir),
        manifestDigest: target.manifest,
        repoTag: repoTagOf(archive.tag),
        dest: archive.file,
        mtime: creationTime(input.env, () => PACK_DEFAULT_MTIME),
      });
      summary.archive = {
        path: written.path,
        platform: archive.platform,
        sha256: written.sha256,
        size: written.size,
      };
    }
    return { image: built.image, summary, warnings: [...warnings, ...built.warnings] };
  } catch (e) {
    throw isAirgapError(e) && e.remedy === undefined ? withBaseImageRemedy(e, input.image.baseImage) : e;
  } finally {
    await source.close();
  }
}

/**
 * With image.serve: config/tofurc's provider installation (the image carries the
 * providers, so they install from its own mirror) plus a host block per carried module
 * host pointing modules.v1 at serve, so a stack needs only TF_CLI_CONFIG_FILE.
 */
function servedCliConfig(
  serveUrl: string,
  input: BuildImageInput,
  warn: (message: string) => void,
): Uint8Array {
  if (input.moduleSources.length === 0) {
    warn(
      `image.serve: the bundle carries no registry modules, so the image's CLI configuration points no module host at ${serveUrl}`,
    );
  }
  const text = renderServedImageCliConfig(configTofurcOptions(input.configs), serveUrl, input.moduleSources);
  return new TextEncoder().encode(text);
}

// The image source and OCI client serve import --push too; the advice for pulling the
// base belongs here, where the flags that change it are known.
function withBaseImageRemedy(e: AirgapError, baseImage: string): AirgapError {
  if (e.code === 'OCI_REGISTRY_ERROR') {
    if (e.details.status === 401 || e.details.status === 403) {
      return e.withRemedy(
        `log in to the registry of ${baseImage} (docker login; DOCKER_CONFIG or ~/.docker/config.json auths), or pull it elsewhere and pass --base-image oci-archive:FILE`,
      );
    }
    if (/certificate|TLS|SSL/i.test(e.message)) {
      return e.withRemedy(
        'pass --ca-cert FILE for a private CA, or --base-registry-insecure for a plain-http registry',
      );
    }
  }
  if (e.code === 'IMAGE_INVALID') {
    return e.withRemedy(
      'check --base-image: it must name a Linux image (OCI or Docker schema 2) for every --platform',
    );
  }
  return e;
}

/** --image-archive-tag as `docker load` names it: a tag after the last "/", else `:latest`. */
function repoTagOf(text: string): string {
  return text.lastIndexOf(':') > text.lastIndexOf('/') ? text : `${text}:latest`;
}
