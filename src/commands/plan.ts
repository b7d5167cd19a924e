import os from 'node:os';
import { Flags } from '@oclif/core';
import { AirgapCommand } from '../cli/base-command.js';
import { EXIT, PLAN_EXIT_CODES_HELP } from '../cli/exit-codes.js';
import { mirrorFlags, mirrorRequestFromFlags } from '../cli/flags/mirror-flags.js';
import { MAX_WIDTH, renderPlanTable } from '../core/plan/index.js';
import { runPlan, type PlanDocument } from '../services/plan/plan-service.js';

export default class Plan extends AirgapCommand {
  static override summary =
    'Show what `airgap mirror` would download, keep, build and remove, from metadata only.';

  static override description = `Reads the spec (airgap.yaml in this directory, or --file) and the lock files as \`airgap mirror\` does, with the same flags, and resolves every constraint against the registries and release lists: versions, download answers, and SHA256SUMS with their signatures verified. Nothing is written and no package, release zip or image layer is downloaded. Prints each provider package, tofu/terraform zip, image layer, config and lock file with its size (from the registry's package_size, a HEAD's Content-Length, the image manifest, or the bundle) and what mirror would do with it: download, present (already in the bundle, intact), build (made on this machine) or remove; then the bytes to download and the bundle's size after the run. --json prints the plan document (docs/JSON-OUTPUT.md). Packing (--tarball) is not planned.

${PLAN_EXIT_CODES_HELP}`;

  static override examples = [
    '<%= config.bin %> plan                       # what `airgap mirror` would do with airgap.yaml',
    '<%= config.bin %> plan --json | jq .totals',
    '<%= config.bin %> plan -f infra/airgap.yaml --out ./bundle   # exit 10: mirror would change the bundle',
  ];

  // mirror's flags, so that the same command line plans and mirrors the same bundle; the
  // three that say how a run behaves keep their meaning for the run planned.
  static override flags = {
    ...mirrorFlags,
    concurrency: Flags.integer({
      summary: 'Metadata requests and file hashes at once.',
      default: 8,
      min: 1,
      max: 64,
      helpGroup: 'REGISTRY ACCESS',
    }),
    'update-lockfiles': Flags.boolean({
      summary:
        'Plan a mirror run with --update-lockfiles: the bundle gets completed lock files (nothing is written now).',
      default: false,
      helpGroup: 'OUTPUT',
    }),
    'skip-missing-platforms': Flags.boolean({
      summary:
        'Plan a mirror run with --skip-missing-platforms: a missing package is listed as skipped, not a failure.',
      default: false,
      helpGroup: 'PLATFORMS',
    }),
  };

  async run(): Promise<PlanDocument> {
    const { flags } = await this.parse(Plan);
    const request = await mirrorRequestFromFlags(flags, process.cwd());
    const reporter = this.createReporter(flags);
    try {
      const plan = await runPlan(
        {
          request,
          concurrency: flags.concurrency,
          updateLockfiles: flags['update-lockfiles'],
          skipMissingPlatforms: flags['skip-missing-platforms'],
          env: process.env,
          cwd: process.cwd(),
          tempDir: os.tmpdir(),
        },
        reporter,
      );
      reporter.finish();
      if (!this.jsonEnabled())
        this.log(renderPlanTable(plan, process.stdout.isTTY ? process.stdout.columns : MAX_WIDTH).trimEnd());
      // The plan is the output either way; the exit code says whether mirror would change anything.
      if (plan.changes) process.exitCode = EXIT.planChanges;
      return plan;
    } catch (e) {
      reporter.finish();
      throw e;
    }
  }
}
