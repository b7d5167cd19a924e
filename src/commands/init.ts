import { Flags } from '@oclif/core';
import { AirgapCommand } from '../cli/base-command.js';
import { EXIT_CODES_HELP } from '../cli/exit-codes.js';
import { checkParents, parentsFlag } from '../cli/flags/parents.js';
import { LIST, listDefaultHelp } from '../cli/flags/repeatable.js';
import { DEFAULT_PLATFORMS } from '../core/provider/platform.js';
import { SPEC_FILE_NAME } from '../core/spec/types.js';
import { runInit, type InitResult } from '../services/init/init-service.js';

export default class Init extends AirgapCommand {
  static override summary = 'Write a starting airgap.yaml from the lock files below the working directory.';

  static override description = `Finds every .terraform.lock.hcl below the working directory (or --dir; skipping .terraform/, node_modules/ and .git/, following no symlink out of it) and writes ${SPEC_FILE_NAME} (or -f FILE) listing them, with the platforms of the isolated side (default ${DEFAULT_PLATFORMS.join(', ')}: lock files do not say which platforms their hashes are for), the providers they name (in a comment), the workflow tool their registries suggest, tofu/terraform versions from .opentofu-version and .terraform-version files, and every other key as a commented example (docs/SPEC-FORMAT.md). With no lock file found it still writes the file, with an empty lockfiles list, and warns. An existing file is replaced only with --force.

${EXIT_CODES_HELP}`;

  static override examples = [
    '<%= config.bin %> init',
    '<%= config.bin %> init --dir stacks --platform linux_amd64',
    '<%= config.bin %> init -f infra/airgap.yaml --force',
  ];

  static override flags = {
    dir: Flags.string({
      summary: 'Find the lock files below this directory instead of the working directory.',
      helpGroup: 'INPUTS',
    }),
    file: Flags.string({
      char: 'f',
      summary: `The file to write (default ${SPEC_FILE_NAME}).`,
      helpGroup: 'OUTPUT',
    }),
    platform: Flags.string({
      summary: 'OS_ARCH of the isolated side (repeatable, or a comma list).',
      ...LIST,
      defaultHelp: listDefaultHelp(DEFAULT_PLATFORMS),
      helpGroup: 'PLATFORMS',
    }),
    force: Flags.boolean({ summary: 'Replace the file if it exists.', default: false, helpGroup: 'OUTPUT' }),
    parents: parentsFlag('--file'),
  };

  async run(): Promise<InitResult> {
    const { flags } = await this.parse(Init);
    await checkParents([{ from: '--file', path: flags.file }], process.cwd(), flags.parents);
    const reporter = this.createReporter(flags);
    const result = await runInit(
      {
        cwd: process.cwd(),
        ...(flags.dir === undefined ? {} : { dir: flags.dir }),
        ...(flags.file === undefined ? {} : { file: flags.file }),
        ...(flags.platform === undefined ? {} : { platforms: flags.platform }),
        force: flags.force,
      },
      reporter,
    );
    reporter.finish();
    const shown = flags.file ?? SPEC_FILE_NAME;
    const f = flags.file === undefined ? '' : ` -f ${flags.file}`;
    this.log(
      `${result.replaced ? 'Replaced' : 'Wrote'} ${shown}: ${count(result.lockfiles.length, 'lock file')} naming ` +
        `${count(result.providers.length, 'provider')}; platforms ${result.platforms.join(', ')}; workflow tool ${result.workflowTool}.`,
    );
    this.detail(
      `Next: review it, run \`airgap plan${f}\` to see what would cross, then \`airgap mirror${f}\`.`,
    );
    return result;
  }
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}
