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
  'REGISTRY ACCESS',
  'S3',
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
}
