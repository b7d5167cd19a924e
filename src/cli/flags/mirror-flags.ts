// The flag surface of `airgap mirror`: a contract (see README), kept apart so the
// command reads as flags -> one service call -> output.

import { Flags } from '@oclif/core';
import { packFlags } from './pack-flags.js';
import { LIST, listDefaultHelp, REPEATABLE } from './repeatable.js';
import { s3WriteFlags } from './s3-flags.js';
import { loadSpec } from '../../adapters/fs/spec-file.js';
import { AirgapError } from '../../core/errors.js';
import {
  buildMirrorRequest,
  DEFAULT_IMAGE_ARCHIVE_TAG,
  type MirrorFlagValues,
  type MirrorRequest,
} from '../../core/mirror/request.js';
import { parseSplitSize } from '../../core/transfer/pack-size.js';
import { SPEC_FILE_NAME } from '../../core/spec/types.js';
import { DEFAULT_BASE_IMAGE, DEFAULT_MIRROR_PATH } from '../../core/config/index.js';
import { DEFAULT_PLATFORMS } from '../../core/provider/platform.js';
import {
  DEFAULT_TERRAFORM_API_URL,
  DEFAULT_TERRAFORM_BASE_URL,
  DEFAULT_TOFU_API_URL,
  DEFAULT_TOFU_BASE_URL,
} from '../../core/releases/index.js';

/** What --tofu and --terraform take; a constraint may hold commas, so these flags are never comma lists. */
const VERSION_SYNTAX =
  '1.8.5, latest (the newest stable release), or a constraint such as "~> 1.8" or ">= 1.8, < 1.10"';
const ONE_PER_FLAG = 'one version or constraint each time, commas included';

export const mirrorFlags = {
  file: Flags.string({
    char: 'f',
    summary: `The spec: airgap.yaml describing the bundle (default: ./${SPEC_FILE_NAME} when it exists). Flags win over it.`,
    helpGroup: 'INPUTS',
  }),
  ...packFlags(false),
  ...s3WriteFlags,
  lockfile: Flags.string({
    summary: 'A .terraform.lock.hcl file to mirror (repeatable, or a comma list).',
    ...LIST,
    helpGroup: 'INPUTS',
  }),
  dir: Flags.string({
    summary: 'Find every .terraform.lock.hcl below this directory (repeatable, or a comma list).',
    ...LIST,
    helpGroup: 'INPUTS',
  }),
  platform: Flags.string({
    summary: 'OS_ARCH to mirror (repeatable, or a comma list).',
    ...LIST,
    defaultHelp: listDefaultHelp(DEFAULT_PLATFORMS),
    helpGroup: 'PLATFORMS',
  }),
  out: Flags.string({
    summary: 'Output (bundle) directory (or output.dir in the spec).',
    helpGroup: 'OUTPUT',
  }),
  concurrency: Flags.integer({
    summary: 'Downloads at once: provider packages and release zips together.',
    default: 8,
    min: 1,
    max: 64,
    helpGroup: 'REGISTRY ACCESS',
  }),
  'update-lockfiles': Flags.boolean({
    summary: 'Add h1: and zh: for every mirrored platform to each input lock file.',
    default: false,
    helpGroup: 'OUTPUT',
  }),
  'skip-missing-platforms': Flags.boolean({
    summary: 'Warn instead of failing when a provider has no package for a platform.',
    default: false,
    helpGroup: 'PLATFORMS',
  }),
  'local-provider': Flags.string({
    summary:
      'In-house package: HOST/NS/TYPE@VERSION=OS_ARCH:PATH (zip or executable; repeatable, or a comma list).',
    ...LIST,
    helpGroup: 'INPUTS',
  }),
  module: Flags.string({
    summary:
      'Registry module to carry: SOURCE@CONSTRAINT, e.g. "terraform-aws-modules/vpc/aws@~> 5.0" (repeatable; the modules spec key).',
    ...REPEATABLE,
    helpGroup: 'INPUTS',
  }),
  configuration: Flags.string({
    summary:
      'Directory of .tf files whose registry module calls are carried, with the modules they call (repeatable, or a comma list).',
    ...LIST,
    helpGroup: 'INPUTS',
  }),
  'ca-cert': Flags.string({
    summary: 'Extra CA certificate (PEM) to trust (repeatable, or a comma list).',
    ...LIST,
    helpGroup: 'REGISTRY ACCESS',
  }),
  tofu: Flags.string({
    summary: `OpenTofu version to bundle: ${VERSION_SYNTAX} (repeatable; ${ONE_PER_FLAG}).`,
    ...REPEATABLE,
    helpGroup: 'BINARIES',
  }),
  'tofu-api-url': Flags.string({
    summary: `OpenTofu release list, for constraints (default ${DEFAULT_TOFU_API_URL}).`,
    helpGroup: 'BINARIES',
  }),
  'tofu-base-url': Flags.string({
    summary: `OpenTofu release files, at BASE/vVERSION/NAME (default ${DEFAULT_TOFU_BASE_URL}).`,
    helpGroup: 'BINARIES',
  }),
  'tofu-key': Flags.string({
    summary: 'Public key that replaces the pinned OpenTofu release key (internal re-signing).',
    helpGroup: 'BINARIES',
  }),
  terraform: Flags.string({
    summary: `Terraform version to bundle: ${VERSION_SYNTAX} (repeatable; ${ONE_PER_FLAG}).`,
    ...REPEATABLE,
    helpGroup: 'BINARIES',
  }),
  'terraform-api-url': Flags.string({
    summary: `Terraform release index, for constraints (default ${DEFAULT_TERRAFORM_API_URL}).`,
    helpGroup: 'BINARIES',
  }),
  'terraform-base-url': Flags.string({
    summary: `Terraform release files, at BASE/VERSION/NAME (default ${DEFAULT_TERRAFORM_BASE_URL}).`,
    helpGroup: 'BINARIES',
  }),
  'terraform-key': Flags.string({
    summary: 'Public key that replaces the pinned HashiCorp release key.',
    helpGroup: 'BINARIES',
  }),
  'mirror-path': Flags.string({
    summary: `Where the mirror lives on the isolated side, for config/tofurc and the Dockerfile (default ${DEFAULT_MIRROR_PATH}).`,
    helpGroup: 'CONFIGS',
  }),
  'network-mirror-url': Flags.string({
    summary: "Point config/tofurc at a network mirror serving the bundle's providers/ instead.",
    helpGroup: 'CONFIGS',
  }),
  'allow-direct': Flags.string({
    summary:
      'HOST/NS/TYPE pattern (* allowed) that may still install from the internet (repeatable, or a comma list).',
    ...LIST,
    helpGroup: 'CONFIGS',
  }),
  'workflow-tool': Flags.string({
    summary: 'Binary named in workflow.yml and installed by the Dockerfile (default tofu).',
    options: ['tofu', 'terraform'],
    helpGroup: 'CONFIGS',
  }),
  'base-image': Flags.string({
    summary: `Base of the Dockerfile and of --image: REGISTRY/REPO[:TAG|@DIGEST], oci:DIR[:TAG], oci-archive:FILE[:TAG] or docker-archive:FILE (default ${DEFAULT_BASE_IMAGE}).`,
    helpGroup: 'IMAGE',
  }),
  image: Flags.boolean({
    summary:
      'Build the runner image (OCI image layout, one manifest per --platform) into OUT/image, without Docker.',
    helpGroup: 'IMAGE',
  }),
  'base-registry-insecure': Flags.boolean({
    summary: "Reach --base-image's registry over plain http (a local test registry), anonymously.",
    helpGroup: 'IMAGE',
  }),
  'ca-cert-into-image': Flags.string({
    summary:
      "PEM CA certificate(s) appended to the image's /etc/ssl/certs/ca-certificates.crt (with --image).",
    helpGroup: 'IMAGE',
  }),
  'image-archive': Flags.string({
    summary:
      'Also write a `docker load` archive of one platform of the image here (with --image; outside --out).',
    helpGroup: 'IMAGE',
  }),
  'image-archive-platform': Flags.string({
    summary: 'OS_ARCH of the --image-archive; default linux_amd64, or the only --platform.',
    helpGroup: 'IMAGE',
  }),
  'image-archive-tag': Flags.string({
    summary: `NAME[:TAG] the --image-archive loads as (default ${DEFAULT_IMAGE_ARCHIVE_TAG}).`,
    helpGroup: 'IMAGE',
  }),
};

/** The parsed flags of `mirror` or `plan` that describe the bundle. */
export interface MirrorFlagValuesRaw extends Omit<MirrorFlagValues, 'split-size'> {
  'split-size'?: string | undefined;
  file?: string | undefined;
}

/**
 * The run's request from the spec (`--file`, else ./airgap.yaml) and the flags given:
 * shared by `mirror` and `plan`, so the same arguments describe the same bundle.
 */
export async function mirrorRequestFromFlags(
  flags: MirrorFlagValuesRaw,
  cwd: string,
): Promise<MirrorRequest> {
  const spec = await loadSpec(flags.file, cwd);
  const imageOnly = [
    'base-registry-insecure',
    'ca-cert-into-image',
    'image-archive',
    'image-archive-platform',
    'image-archive-tag',
  ] as const;
  const stray = imageOnly.filter((f) => flags[f] !== undefined && flags[f] !== false);
  const specBuildsImage = spec?.image !== undefined && spec.image.value.build?.value !== false;
  if (flags.image !== true && !specBuildsImage && stray.length > 0) {
    throw new AirgapError('USAGE', `--${stray.join(', --')} only apply with --image`, {
      expected: '--image',
      actual: stray.map((f) => `--${f}`).join(' '),
    });
  }
  const { 'split-size': splitSize, file: _file, ...rest } = flags;
  const values: MirrorFlagValues = {
    ...rest,
    ...(splitSize === undefined ? {} : { 'split-size': parseSplitSize(splitSize) }),
  };
  return buildMirrorRequest(spec, values);
}
