import { Flags } from '@oclif/core';
import { AirgapCommand } from '../cli/base-command.js';
import { EXIT_CODES_HELP } from '../cli/exit-codes.js';
import { createReporter } from '../cli/reporter.js';
import { DEFAULT_BASE_IMAGE, DEFAULT_MIRROR_PATH } from '../core/config/index.js';
import { DEFAULT_PLATFORMS } from '../core/provider/platform.js';
import {
  DEFAULT_TERRAFORM_API_URL,
  DEFAULT_TERRAFORM_BASE_URL,
  DEFAULT_TOFU_API_URL,
  DEFAULT_TOFU_BASE_URL,
} from '../core/releases/index.js';
import { runMirror, type MirrorResult } from '../services/mirror/mirror-service.js';

export default class Mirror extends AirgapCommand {
  static override summary = 'Mirror every provider your lock files name, for every platform, verified.';

  static override description = `Reads .terraform.lock.hcl files and writes a packed provider mirror (the layout \`tofu providers mirror\` writes) under OUT/providers, with network-mirror index.json and VERSION.json listing h1: and zh: hashes. Each package's SHA256SUMS signature is checked against the registry's signing keys, then the package against SHA256SUMS, the download response and the lock files' hashes; nothing unverified is written. Re-runs fetch only what is missing.

${EXIT_CODES_HELP}`;

  static override examples = [
    '<%= config.bin %> mirror --lockfile .terraform.lock.hcl --out ./bundle',
    '<%= config.bin %> mirror --dir ./stacks --platform linux_amd64 --platform linux_arm64 --out ./bundle --update-lockfiles',
    '<%= config.bin %> mirror --local-provider registry.myorg.io/myorg/sops@1.0.0=linux_amd64:./terraform-provider-sops --out ./bundle',
  ];

  static override flags = {
    lockfile: Flags.string({
      summary: 'A .terraform.lock.hcl file to mirror (repeatable).',
      multiple: true,
      default: [],
    }),
    dir: Flags.string({
      summary: 'Find every .terraform.lock.hcl below this directory (repeatable).',
      multiple: true,
      default: [],
    }),
    platform: Flags.string({
      summary: 'OS_ARCH to mirror (repeatable).',
      multiple: true,
      default: [...DEFAULT_PLATFORMS],
    }),
    out: Flags.string({ summary: 'Output (bundle) directory.', required: true }),
    concurrency: Flags.integer({ summary: 'Packages downloaded at once.', default: 8, min: 1, max: 64 }),
    'update-lockfiles': Flags.boolean({
      summary: 'Add h1: and zh: for every mirrored platform to each input lock file.',
      default: false,
    }),
    'skip-missing-platforms': Flags.boolean({
      summary: 'Warn instead of failing when a provider has no package for a platform.',
      default: false,
    }),
    'local-provider': Flags.string({
      summary: 'In-house package: HOST/NS/TYPE@VERSION=OS_ARCH:PATH (zip or executable; repeatable).',
      multiple: true,
      default: [],
    }),
    'ca-cert': Flags.string({
      summary: 'Extra CA certificate (PEM) to trust (repeatable).',
      multiple: true,
      default: [],
    }),
    tofu: Flags.string({
      summary: 'OpenTofu version or constraint to bundle, e.g. 1.8.5 or "~> 1.8" (repeatable).',
      multiple: true,
      default: [],
    }),
    'tofu-api-url': Flags.string({
      summary: 'OpenTofu release list, for constraints.',
      default: DEFAULT_TOFU_API_URL,
    }),
    'tofu-base-url': Flags.string({
      summary: 'OpenTofu release files, at BASE/vVERSION/NAME.',
      default: DEFAULT_TOFU_BASE_URL,
    }),
    'tofu-key': Flags.string({
      summary: 'Public key that replaces the pinned OpenTofu release key (internal re-signing).',
    }),
    terraform: Flags.string({
      summary: 'Terraform version or constraint to bundle (repeatable).',
      multiple: true,
      default: [],
    }),
    'terraform-api-url': Flags.string({
      summary: 'Terraform release index, for constraints.',
      default: DEFAULT_TERRAFORM_API_URL,
    }),
    'terraform-base-url': Flags.string({
      summary: 'Terraform release files, at BASE/VERSION/NAME.',
      default: DEFAULT_TERRAFORM_BASE_URL,
    }),
    'terraform-key': Flags.string({ summary: 'Public key that replaces the pinned HashiCorp release key.' }),
    'mirror-path': Flags.string({
      summary: 'Where the mirror lives on the isolated side, for config/tofurc and the Dockerfile.',
      default: DEFAULT_MIRROR_PATH,
    }),
    'network-mirror-url': Flags.string({
      summary: "Point config/tofurc at a network mirror serving the bundle's providers/ instead.",
    }),
    'allow-direct': Flags.string({
      summary: 'HOST/NS/TYPE pattern (* allowed) that may still install from the internet (repeatable).',
      multiple: true,
      default: [],
    }),
    'workflow-tool': Flags.string({
      summary: 'Binary named in workflow.yml and installed by the Dockerfile.',
      options: ['tofu', 'terraform'],
      default: 'tofu',
    }),
    'base-image': Flags.string({ summary: 'Base of the generated Dockerfile.', default: DEFAULT_BASE_IMAGE }),
  };

  async run(): Promise<MirrorResult> {
    const { flags } = await this.parse(Mirror);
    const reporter = createReporter({ stream: process.stderr, json: this.jsonEnabled() });
    try {
      const result = await runMirror(
        {
          lockfiles: flags.lockfile,
          dirs: flags.dir,
          platforms: flags.platform,
          outDir: flags.out,
          concurrency: flags.concurrency,
          updateLockfiles: flags['update-lockfiles'],
          skipMissingPlatforms: flags['skip-missing-platforms'],
          localProviders: flags['local-provider'],
          caCertFiles: flags['ca-cert'],
          env: process.env,
          binaries: {
            tofu: flags.tofu,
            tofuApiUrl: flags['tofu-api-url'],
            tofuBaseUrl: flags['tofu-base-url'],
            ...(flags['tofu-key'] ? { tofuKeyFile: flags['tofu-key'] } : {}),
            terraform: flags.terraform,
            terraformApiUrl: flags['terraform-api-url'],
            terraformBaseUrl: flags['terraform-base-url'],
            ...(flags['terraform-key'] ? { terraformKeyFile: flags['terraform-key'] } : {}),
          },
          config: {
            ...(flags['network-mirror-url']
              ? { networkMirrorUrl: flags['network-mirror-url'] }
              : { mirrorPath: flags['mirror-path'] }),
            allowDirect: flags['allow-direct'],
            workflowTool: flags['workflow-tool'] as 'tofu' | 'terraform',
            baseImage: flags['base-image'],
          },
        },
        reporter,
      );
      reporter.finish();
      this.log(
        `Mirrored ${result.providers.length} provider version(s): ${result.packagesDownloaded} package(s) downloaded ` +
          `(${(result.bytesDownloaded / 1e6).toFixed(1)} MB), ${result.packagesCached} already present, ${result.skipped.length} skipped.`,
      );
      for (const b of result.binaries)
        this.log(`Bundled ${b.tool} ${b.version} for ${b.platforms.join(', ')}.`);
      this.log(`Wrote ${result.configs.join(', ')} and airgap.json in ${result.outDir}.`);
      return result;
    } catch (e) {
      reporter.finish();
      throw e;
    }
  }
}
