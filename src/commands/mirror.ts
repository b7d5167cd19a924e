import { AirgapCommand } from '../cli/base-command.js';
import { AirgapError } from '../core/errors.js';
import { mirrorFlags } from '../cli/flags/mirror-flags.js';
import { packOptions } from '../cli/flags/pack-flags.js';
import { EXIT_CODES_HELP } from '../cli/exit-codes.js';
import { createReporter } from '../cli/reporter.js';
import { runMirror, type MirrorResult } from '../services/mirror/mirror-service.js';
import type { RunnerImageOptions } from '../services/mirror/runner-image.js';

function imageOptions(flags: {
  'base-image': string;
  'base-registry-insecure': boolean;
  'ca-cert-into-image'?: string | undefined;
  'image-archive'?: string | undefined;
  'image-archive-platform'?: string | undefined;
  'image-archive-tag': string;
  platform: string[];
}): RunnerImageOptions {
  const archive = flags['image-archive'];
  const platform =
    flags['image-archive-platform'] ?? (flags.platform.length === 1 ? flags.platform[0]! : 'linux_amd64');
  return {
    baseImage: flags['base-image'],
    baseRegistryInsecure: flags['base-registry-insecure'],
    ...(flags['ca-cert-into-image'] === undefined ? {} : { caCertIntoImage: flags['ca-cert-into-image'] }),
    ...(archive === undefined
      ? {}
      : { archive: { file: archive, platform, tag: flags['image-archive-tag'] } }),
  };
}

export default class Mirror extends AirgapCommand {
  static override summary = 'Mirror every provider your lock files name, for every platform, verified.';

  static override description = `Reads .terraform.lock.hcl files and writes a packed provider mirror (the layout \`tofu providers mirror\` writes) under OUT/providers, with network-mirror index.json and VERSION.json listing h1: and zh: hashes. Each package's SHA256SUMS signature is checked against the registry's signing keys, then the package against SHA256SUMS, the download response and the lock files' hashes; nothing unverified is written. Re-runs fetch only what is missing.

${EXIT_CODES_HELP}`;

  static override examples = [
    '<%= config.bin %> mirror --lockfile .terraform.lock.hcl --out ./bundle',
    '<%= config.bin %> mirror --dir ./stacks --platform linux_amd64 --platform linux_arm64 --out ./bundle --update-lockfiles',
    '<%= config.bin %> mirror --local-provider registry.myorg.io/myorg/sops@1.0.0=linux_amd64:./terraform-provider-sops --out ./bundle',
  ];

  static override flags = mirrorFlags;

  async run(): Promise<MirrorResult> {
    const { flags } = await this.parse(Mirror);
    const imageOnly = [
      'base-registry-insecure',
      'ca-cert-into-image',
      'image-archive',
      'image-archive-platform',
    ] as const;
    const stray = imageOnly.filter((f) => flags[f] !== undefined && flags[f] !== false);
    if (!flags.image && stray.length > 0) {
      throw new AirgapError('USAGE', `--${stray.join(', --')} only apply with --image`, {
        expected: '--image',
        actual: stray.map((f) => `--${f}`).join(' '),
      });
    }
    const reporter = createReporter({ stream: process.stderr, json: this.jsonEnabled() });
    try {
      const result = await runMirror(
        {
          lockfiles: flags.lockfile ?? [],
          dirs: flags.dir ?? [],
          platforms: flags.platform,
          outDir: flags.out,
          concurrency: flags.concurrency,
          updateLockfiles: flags['update-lockfiles'],
          skipMissingPlatforms: flags['skip-missing-platforms'],
          localProviders: flags['local-provider'] ?? [],
          caCertFiles: flags['ca-cert'] ?? [],
          env: process.env,
          ...(flags.tarball === undefined
            ? {}
            : { pack: packOptions({ ...flags, tarball: flags.tarball }, process.env) }),
          binaries: {
            tofu: flags.tofu ?? [],
            tofuApiUrl: flags['tofu-api-url'],
            tofuBaseUrl: flags['tofu-base-url'],
            ...(flags['tofu-key'] ? { tofuKeyFile: flags['tofu-key'] } : {}),
            terraform: flags.terraform ?? [],
            terraformApiUrl: flags['terraform-api-url'],
            terraformBaseUrl: flags['terraform-base-url'],
            ...(flags['terraform-key'] ? { terraformKeyFile: flags['terraform-key'] } : {}),
          },
          config: {
            ...(flags['network-mirror-url']
              ? { networkMirrorUrl: flags['network-mirror-url'] }
              : { mirrorPath: flags['mirror-path'] }),
            allowDirect: flags['allow-direct'] ?? [],
            workflowTool: flags['workflow-tool'] as 'tofu' | 'terraform',
            baseImage: flags['base-image'],
          },
          ...(flags.image ? { image: imageOptions(flags) } : {}),
        },
        reporter,
      );
      reporter.finish();
      this.log(
        `Mirrored ${result.providers.length} provider version(s): ${result.packagesDownloaded} package(s) downloaded ` +
          `(${(result.bytesDownloaded / 1e6).toFixed(1)} MB), ${result.packagesCached} already present, ${result.skipped.length} skipped.`,
      );
      if (result.image)
        this.log(
          `Built the runner image ${result.image.digest} for ${result.image.platforms.map((p) => p.platform).join(', ')} in ${result.outDir}/image (oci:${result.outDir}/image:latest).`,
        );
      if (result.image?.archive)
        this.log(`Wrote ${result.image.archive.path} (${result.image.archive.platform}) for docker load.`);
      for (const b of result.binaries)
        this.log(`Bundled ${b.tool} ${b.version} for ${b.platforms.join(', ')}.`);
      this.log(`Wrote ${result.configs.join(', ')} and airgap.json in ${result.outDir}.`);
      if (result.export)
        this.log(
          `Packed ${result.export.files} files into ${result.export.parts.map((p) => p.path).join(', ')}; sha256 ${result.export.sha256}`,
        );
      return result;
    } catch (e) {
      reporter.finish();
      throw e;
    }
  }
}
