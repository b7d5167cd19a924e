import os from 'node:os';
import { AirgapCommand } from '../cli/base-command.js';
import { EXIT_CODES_HELP } from '../cli/exit-codes.js';
import { mirrorFlags, mirrorRequestFromFlags } from '../cli/flags/mirror-flags.js';
import { mirrorOutputs } from '../cli/flags/mirror-outputs.js';
import { checkParents, parentsFlag } from '../cli/flags/parents.js';
import { s3Access } from '../cli/flags/s3-flags.js';
import { runMirror, type MirrorResult } from '../services/mirror/mirror-service.js';

export default class Mirror extends AirgapCommand {
  static override summary = 'Mirror every provider your lock files name, for every platform, verified.';

  static override description = `Reads the spec (airgap.yaml in this directory, or --file; see docs/SPEC-FORMAT.md) and .terraform.lock.hcl files, and writes a packed provider mirror (the layout \`tofu providers mirror\` writes) under OUT/providers, with network-mirror index.json and VERSION.json listing h1: and zh: hashes. Each package's SHA256SUMS signature is checked against the registry's signing keys, then the package against SHA256SUMS, the download response and the lock files' hashes; nothing unverified is written. Re-runs fetch only what is missing. Flags win over the spec for the run they are given in; a repeatable flag replaces the spec's list.

${EXIT_CODES_HELP}`;

  static override examples = [
    '<%= config.bin %> mirror                      # everything airgap.yaml says',
    '<%= config.bin %> mirror --lockfile .terraform.lock.hcl --out ./bundle',
    '<%= config.bin %> mirror --dir ./stacks --platform linux_amd64 --platform linux_arm64 --out ./bundle --update-lockfiles',
    '<%= config.bin %> mirror --local-provider registry.myorg.io/myorg/sops@1.0.0=linux_amd64:./terraform-provider-sops --out ./bundle',
  ];

  static override flags = { ...mirrorFlags, parents: parentsFlag('--out, --tarball and --image-archive') };

  static override interruptHint = 'run the same command again to resume: finished packages are kept';

  async run(): Promise<MirrorResult> {
    const { flags } = await this.parse(Mirror);
    const request = await mirrorRequestFromFlags(flags, process.cwd());
    await checkParents(mirrorOutputs(request, flags), process.cwd(), flags.parents);
    const reporter = this.createReporter(flags);
    try {
      const result = await runMirror(
        {
          request,
          concurrency: flags.concurrency,
          updateLockfiles: flags['update-lockfiles'],
          skipMissingPlatforms: flags['skip-missing-platforms'],
          env: process.env,
          cwd: process.cwd(),
          tempDir: os.tmpdir(),
          httpObserver: reporter,
          s3: s3Access(flags, process.env, request.caCertFiles),
          s3AbortIncomplete: flags['s3-abort-incomplete'],
        },
        reporter,
      );
      reporter.finish();
      this.log(
        `Mirrored ${result.providers.length} provider version(s): ${result.packagesDownloaded} package(s) downloaded ` +
          `(${(result.bytesDownloaded / 1e6).toFixed(1)} MB), ${result.packagesCached} cached (already in the bundle), ${result.skipped.length} skipped.`,
      );
      if (result.image)
        this.detail(
          `Built the runner image ${result.image.digest} for ${result.image.platforms.map((p) => p.platform).join(', ')} in ${result.outDir}/image (oci:${result.outDir}/image:latest).`,
        );
      if (result.image?.archive)
        this.detail(`Wrote ${result.image.archive.path} (${result.image.archive.platform}) for docker load.`);
      if (result.modules.length > 0)
        this.log(
          `Carried ${result.modules.length} module version(s) (no signatures: pinned by sha256 and git commit).`,
        );
      for (const b of result.binaries)
        this.detail(`Bundled ${b.tool} ${b.version} for ${b.platforms.join(', ')}.`);
      this.detail(`Wrote ${result.configs.join(', ')} and airgap.json in ${result.outDir}.`);
      if (result.export)
        this.detail(
          `Packed ${result.export.files} files into ${result.export.parts.map((p) => p.path).join(', ')}; sha256 ${result.export.sha256}`,
        );
      return result;
    } catch (e) {
      reporter.finish();
      throw e;
    }
  }
}
