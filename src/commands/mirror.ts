import { AirgapCommand } from '../cli/base-command.js';
import { mirrorFlags } from '../cli/flags/mirror-flags.js';
import { packOptions } from '../cli/flags/pack-flags.js';
import { EXIT_CODES_HELP } from '../cli/exit-codes.js';
import { createReporter } from '../cli/reporter.js';
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

  static override flags = mirrorFlags;

  async run(): Promise<MirrorResult> {
    const { flags } = await this.parse(Mirror);
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
