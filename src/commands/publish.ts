import { Args, Flags } from '@oclif/core';
import { AirgapCommand } from '../cli/base-command.js';
import { EXIT_CODES_HELP } from '../cli/exit-codes.js';
import { s3Access, s3CaCertFlag, s3ReadFlags, s3WriteFlags } from '../cli/flags/s3-flags.js';
import { publishMirror, type PublishResult } from '../services/publish/publish-service.js';

export default class Publish extends AirgapCommand {
  static override summary =
    'Publish the provider mirror of a bundle or import destination to S3, as a network mirror.';

  static override description = `Uploads DIR's providers/ to s3://BUCKET/PREFIX/providers/ as a Provider Network Mirror that every runner can install from (docs/PUBLISH.md). DIR is a bundle directory (its files are checked against airgap.json) or an import destination (its live generation). Zips go up as application/zip, index.json and VERSION.json as application/json (tofu refuses other types), each with its sha256 in the object's metadata and as its S3 SHA-256 checksum. Incremental: an object already holding the same sha256 is not uploaded again. Ordered: every zip, then every VERSION.json, then every index.json, so a reader never sees JSON naming a file that is not there yet. Nothing is deleted unless --prune, which removes what DIR no longer has after the uploads. Then writes tofurc.network-mirror (into an import destination, else the working directory; --tofurc-out to choose) with a network_mirror block at --mirror-url, or at the bucket's own https address. Credentials and region come from the AWS SDK's default chain, as for the AWS CLI.

${EXIT_CODES_HELP}`;

  static override examples = [
    '<%= config.bin %> publish /srv/airgap s3://tf-mirror/prod/ --mirror-url https://mirror.corp.example/prod/providers/',
    '<%= config.bin %> publish ./bundle s3://tf-mirror/ --prune --dry-run',
    '<%= config.bin %> publish ./bundle s3://mirror/tf/ --s3-endpoint https://minio.corp:9000 --s3-path-style',
  ];

  static override args = {
    dir: Args.string({
      description: 'Bundle directory, or import destination (--dest of airgap import).',
      required: true,
    }),
    target: Args.string({
      description: 's3://BUCKET/PREFIX/ to publish under (the mirror goes to PREFIX/providers/).',
      required: true,
    }),
  };

  static override flags = {
    'mirror-url': Flags.string({
      summary: "The https address runners reach PREFIX/providers/ at (default: the bucket's own).",
    }),
    'tofurc-out': Flags.string({
      summary:
        'Where to write the CLI configuration (default: DIR/tofurc.network-mirror for an import destination, ./tofurc.network-mirror for a bundle).',
    }),
    prune: Flags.boolean({
      summary: 'Delete objects under PREFIX/providers/ that DIR no longer has, after the uploads.',
      default: false,
    }),
    'dry-run': Flags.boolean({
      summary: 'List what would be uploaded and deleted, with sizes; change nothing.',
      default: false,
    }),
    concurrency: Flags.integer({ summary: 'Uploads at once.', default: 8, min: 1, max: 64 }),
    ...s3ReadFlags,
    // Writes, but whole objects only: no multipart uploads to abort.
    's3-sse': s3WriteFlags['s3-sse'],
    's3-kms-key-id': s3WriteFlags['s3-kms-key-id'],
    'ca-cert': s3CaCertFlag,
  };

  async run(): Promise<PublishResult> {
    const { args, flags } = await this.parse(Publish);
    const reporter = this.createReporter(flags);
    const result = await publishMirror(
      {
        dir: args.dir,
        target: args.target,
        ...(flags['mirror-url'] === undefined ? {} : { mirrorUrl: flags['mirror-url'] }),
        ...(flags['tofurc-out'] === undefined ? {} : { tofurcOut: flags['tofurc-out'] }),
        prune: flags.prune,
        dryRun: flags['dry-run'],
        concurrency: flags.concurrency,
        s3: s3Access(flags, process.env, flags['ca-cert'] ?? []),
        cwd: process.cwd(),
      },
      reporter,
    );
    reporter.finish();
    if (result.dryRun) {
      for (const line of result.dryRunLines) this.log(line);
      return result;
    }
    this.log(
      `Published to ${result.target}: ${result.uploaded.length} uploaded (${result.bytesUploaded} bytes), ` +
        `${result.unchanged} unchanged, ${result.deleted.length} deleted` +
        (result.kept.length > 0 ? `, ${result.kept.length} kept (--prune deletes them)` : ''),
    );
    this.log(`Wrote ${result.tofurc} (network_mirror ${result.mirrorUrl})`);
    return result;
  }
}
