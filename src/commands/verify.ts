import os from 'node:os';
import { Args, Flags } from '@oclif/core';
import { AirgapCommand } from '../cli/base-command.js';
import { LIST } from '../cli/flags/repeatable.js';
import { s3Access, s3CaCertFlag, s3ReadFlags } from '../cli/flags/s3-flags.js';
import { insecureSkipSignatureFlag, trustedKeyFlag } from '../cli/flags/signature-flags.js';
import { EXIT } from '../cli/exit-codes.js';
import { paintLeadingStatus, painter } from '../cli/colour.js';
import { renderVerifyTable, verdictLine, type VerifyReport } from '../core/transfer/verify-report.js';
import { runVerify } from '../services/verify/verify-service.js';

export default class Verify extends AirgapCommand {
  static override summary =
    'Verify a transfer tarball or bundle directory: signature, checksums, packages, lock files.';

  static override description = `TARGET is a transfer tarball (plain or gzip), the first part FILE.000 of a split one, a bundle directory (extracted, or written by \`airgap mirror\`), or an import destination (a directory holding airgap-state.json: its mirror's zips are checked against their VERSION.json hashes, and the imports the state records against the mirror). Bundle checks, each a row of the report: the SHA256SUMS signature against --trusted-key; every file against SHA256SUMS and airgap.json; every provider zip against the h1: and zh: airgap.json records; every tofu/terraform release zip against its vendor's signed SHA256SUMS (pinned keys, or --tofu-key/--terraform-key); with --lockfile, that each provider version and platform the lock files need is present with a matching hash; with --against DEST, that the import destination DEST holds every file a delta bundle expects from its base (by sha256, as import checks it; DEST is only read). Files present but listed nowhere are warnings. Unsafe archive entries (absolute or .. paths, links, devices) stop the reading. The table counts the checks by kind and lists the rows that are not ok (--all: every row), within the terminal's width; with --json the report is documented in docs/VERIFY-REPORT.md.

EXIT CODES
  0  everything verified (warnings allowed)
  1  a verification failed (a FAILED row)
  2  usage or input error (flags, missing TARGET, unreadable key or lock file)
  4  local filesystem error
  130/143  interrupted (Ctrl-C / SIGTERM)`;

  static override examples = [
    '<%= config.bin %> verify airgap-bundle.tar.gz --trusted-key release-signer.asc',
    '<%= config.bin %> verify airgap-bundle.tar.000 --trusted-key signer.asc --lockfile stacks/app/.terraform.lock.hcl',
    '<%= config.bin %> verify ./bundle --insecure-skip-signature --json',
    '<%= config.bin %> verify delta.tar --trusted-key signer.asc --against /opt/airgap',
  ];

  static override args = {
    target: Args.string({
      description: 'Tarball, FILE.000, bundle directory, or import destination; or s3://BUCKET/KEY.',
      required: true,
    }),
  };

  static override flags = {
    'trusted-key': trustedKeyFlag,
    'insecure-skip-signature': insecureSkipSignatureFlag,
    'tofu-key': Flags.string({
      summary: 'Public key that replaces the pinned OpenTofu release key.',
      helpGroup: 'SIGNATURES',
    }),
    'terraform-key': Flags.string({
      summary: 'Public key that replaces the pinned HashiCorp release key.',
      helpGroup: 'SIGNATURES',
    }),
    lockfile: Flags.string({
      summary:
        'A .terraform.lock.hcl whose providers must all be in the bundle, hashes matching (repeatable, or a comma list).',
      ...LIST,
      helpGroup: 'INPUTS',
    }),
    all: Flags.boolean({
      summary: 'List every check in the table, not only those that are not ok.',
      default: false,
      helpGroup: 'DISPLAY',
    }),
    against: Flags.string({
      summary:
        "An import destination that must hold the delta's base: checked by sha256, as import checks it, read only.",
      helpGroup: 'DELTA',
    }),
    ...s3ReadFlags,
    'ca-cert': s3CaCertFlag,
  };

  async run(): Promise<VerifyReport> {
    const { args, flags } = await this.parse(Verify);
    const reporter = this.createReporter(flags);
    const report = await runVerify(
      {
        target: args.target,
        s3: s3Access(flags, process.env, flags['ca-cert'] ?? []),
        trustedKeyFiles: flags['trusted-key'] ?? [],
        insecureSkipSignature: flags['insecure-skip-signature'],
        ...(flags['tofu-key'] ? { tofuKeyFile: flags['tofu-key'] } : {}),
        ...(flags['terraform-key'] ? { terraformKeyFile: flags['terraform-key'] } : {}),
        lockfiles: flags.lockfile ?? [],
        tempDir: os.tmpdir(),
        cwd: process.cwd(),
        ...(flags.against === undefined ? {} : { against: flags.against }),
      },
      reporter,
    );
    reporter.finish();
    if (!this.jsonEnabled()) {
      // The table fits the terminal; piped, it is laid out for 100 columns.
      const width = process.stdout.isTTY && process.stdout.columns > 0 ? process.stdout.columns : 100;
      const paint = painter(this.stdoutColour());
      const table = flags.quiet ? verdictLine(report) : renderVerifyTable(report, { width, all: flags.all });
      this.log(
        table
          .split('\n')
          .map((l) => paintLeadingStatus(l, paint))
          .join('\n'),
      );
    }
    // The report is the output either way; the exit code carries the verdict.
    if (report.verdict === 'failed') process.exitCode = EXIT.verificationFailed;
    return report;
  }
}
