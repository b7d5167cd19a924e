import os from 'node:os';
import { Args, Flags } from '@oclif/core';
import { AirgapCommand } from '../cli/base-command.js';
import { EXIT_CODES_HELP } from '../cli/exit-codes.js';
import { packFlags, packOptions } from '../cli/flags/pack-flags.js';
import { LIST } from '../cli/flags/repeatable.js';
import { checkParents, parentsFlag } from '../cli/flags/parents.js';
import { s3Access, s3CaCertFlag, s3WriteFlags } from '../cli/flags/s3-flags.js';
import { exportBundle, type ExportResult } from '../services/export/export-service.js';

export default class Export extends AirgapCommand {
  static override summary = 'Pack a bundle directory into one transfer tarball, signed and optionally split.';

  static override description = `Writes a deterministic POSIX tar of the bundle (docs/TRANSFER-FORMAT.md): SHA256SUMS.sig (with --sign-key), SHA256SUMS listing every other file, airgap.json, then the bundle and tool/airgap-VERSION.tgz (this tool, installable with npm and no registry). Checkable on the other side with tar -xf, sha256sum -c SHA256SUMS and gpg --verify SHA256SUMS.sig SHA256SUMS. --tarball s3://BUCKET/KEY streams it into S3 instead (docs/S3.md): resumable multipart uploads, nothing sent again when the object already holds the same sha256; credentials and region as for the AWS CLI. Entry times come from SOURCE_DATE_EPOCH (else 2020-01-01): the same bundle gives the same bytes; signed, it does so only with SOURCE_DATE_EPOCH set, as the signature records when it was made. The passphrase of an encrypted --sign-key is read from AIRGAP_SIGN_PASSPHRASE.

${EXIT_CODES_HELP}`;

  static override examples = [
    '<%= config.bin %> export ./bundle --tarball airgap-bundle.tar --sign-key signing-key.asc',
    '<%= config.bin %> export ./bundle --tarball /media/dvd/bundle.tar --split-size 4G',
    '<%= config.bin %> export ./bundle --tarball s3://transfer-bucket/bundles/2026-02.tar --sign-key signing-key.asc --s3-sse aws:kms',
  ];

  static override args = {
    dir: Args.string({ description: 'Bundle directory written by airgap mirror --out.', required: true }),
  };

  static override flags = {
    ...packFlags(true),
    parents: parentsFlag('--tarball'),
    ...s3WriteFlags,
    'ca-cert': s3CaCertFlag,
    base: Flags.string({
      summary:
        'Pack a delta: leave out every file (by sha256) the receiver holds: a previous bundle (directory, airgap.json, tarball or FILE.000), or an `airgap inventory` of the destination.',
      helpGroup: 'DELTA',
    }),
    'trusted-key': Flags.string({
      summary:
        'With --base TARBALL or a signed inventory: a public key whose signature is accepted (repeatable, or a comma list).',
      ...LIST,
      dependsOn: ['base'],
      helpGroup: 'DELTA',
    }),
    'insecure-skip-signature': Flags.boolean({
      summary:
        'With --base TARBALL or a signed inventory: accept the base though its signature is missing or not checked.',
      default: false,
      helpGroup: 'DELTA',
    }),
  };

  async run(): Promise<ExportResult> {
    const { args, flags } = await this.parse(Export);
    await checkParents([{ from: '--tarball', path: flags.tarball }], process.cwd(), flags.parents);
    const reporter = this.createReporter(flags);
    // --tarball is required by this command's flags; oclif types it as optional because the flag table is shared.
    const result = await exportBundle(
      {
        bundleDir: args.dir,
        ...packOptions({ ...flags, tarball: flags.tarball! }, process.env, {
          cwd: process.cwd(),
          tempDir: os.tmpdir(),
        }),
        s3: s3Access(flags, process.env, flags['ca-cert'] ?? []),
        s3AbortIncomplete: flags['s3-abort-incomplete'],
        ...(flags.base === undefined
          ? {}
          : {
              base: {
                source: flags.base,
                trustedKeyFiles: flags['trusted-key'] ?? [],
                insecureSkipSignature: flags['insecure-skip-signature'],
              },
            }),
      },
      reporter,
    );
    reporter.finish();
    const signed = result.signedBy === null ? 'unsigned' : `signed by ${result.signedBy}`;
    this.log(`Wrote ${result.files} files, ${result.bytes} bytes, ${signed}; sha256 ${result.sha256}`);
    if (result.delta !== undefined) {
      const d = result.delta;
      this.log(
        `Delta: ${d.carried} files (${d.carriedBytes} bytes) carried, ${d.fromBase} (${d.fromBaseBytes} bytes) expected from the base created at ${d.base.createdAt}`,
      );
    }
    for (const p of result.parts) this.detail(`  ${p.path}  ${p.size}`);
    return result;
  }
}
