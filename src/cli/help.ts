// `--help` and `airgap help CMD` (package.json "oclif.helpClass"): oclif's help, with the
// flag groups in the order a person fills them in (what goes in, for which platforms,
// what is written) rather than the order their alphabetically first flag happens to give.

import { CommandHelp, Help, type Command } from '@oclif/core';

/** Flag groups (each flag's helpGroup) in the order --help lists them; ungrouped FLAGS come first. */
export const HELP_GROUP_ORDER: readonly string[] = [
  'INPUTS',
  'PLATFORMS',
  'BINARIES',
  'CONFIGS',
  'IMAGE',
  'SIGNATURES',
  'DESTINATION',
  'PUSH',
  'SERVER',
  'PUBLISH',
  'REGISTRY ACCESS',
  'S3',
  'DELTA',
  'OUTPUT',
  'DISPLAY',
  'GLOBAL',
];

function rank(group: string): number {
  const at = HELP_GROUP_ORDER.indexOf(group);
  return at === -1 ? HELP_GROUP_ORDER.length : at;
}

export class AirgapCommandHelp extends CommandHelp {
  protected override groupFlags(flags: Command.Flag.Any[]): {
    flagGroups: Record<string, Command.Flag.Any[]>;
    mainFlags: Command.Flag.Any[];
  } {
    const { flagGroups, mainFlags } = super.groupFlags(flags);
    const ordered = Object.entries(flagGroups).sort(([a], [b]) => rank(a) - rank(b));
    return { flagGroups: Object.fromEntries(ordered), mainFlags };
  }
}

export class AirgapHelp extends Help {
  protected override CommandHelpClass = AirgapCommandHelp;

  // A flag with a defaultHelp function marks its command's help "dynamic", and oclif then
  // imports the command, and with it everything the command runs (for mirror: every
  // stage, openpgp, undici, tar, yaml: ~0.5 CPU-s and 35 MB), only to call that function
  // again. Ours return constants (listDefaultHelp in flags/repeatable.ts), whose text
  // oclif.manifest.json already holds, so `CMD --help` reads the manifest alone.
  override async showHelp(argv: string[]): Promise<void> {
    for (const command of this.config.commands) {
      if (command.pluginType === 'core') command.hasDynamicHelp = false;
    }
    await super.showHelp(argv);
  }
}
