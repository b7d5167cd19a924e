// Merges the CLI configuration files tofu reads into one configuration, with tofu's
// precedence (opentofu internal/command/cliconfig/cliconfig.go, LoadConfig and
// Config.Merge): the main file first, then every *.tfrc / *.tfrc.json file of the
// config directory in file-name order, each later file replacing the `host` and
// `credentials` entries of earlier ones for the same host (a whole entry, not its
// keys). So a token that `tofu login` wrote into credentials.tfrc.json beats a
// `credentials` block of ~/.tofurc, and a.tfrc loses to credentials.tfrc.json, which
// loses to z.tfrc. Terraform 1.11 merges the same way (checked against it by the
// end-to-end tests).

import { AirgapError } from '../errors.js';
import { checkHostname } from '../provider/address.js';
import type { CliConfig, CredentialsHelperConfig, HostBlock } from './types.js';

/** `files` in increasing precedence: the main file, then the config directory's files by name. */
export function mergeCliConfigs(files: readonly CliConfig[]): CliConfig {
  const hosts = new Map<string, [string, HostBlock]>();
  const credentials = new Map<string, [string, { token: string }]>();
  const helpers = new Map<string, CredentialsHelperConfig>();
  for (const file of files) {
    for (const [label, block] of Object.entries(file.hosts)) {
      hosts.set(comparisonKey(label), [
        label,
        block.sourcePath === undefined && file.sourcePath !== undefined
          ? { ...block, sourcePath: file.sourcePath }
          : block,
      ]);
    }
    for (const [label, creds] of Object.entries(file.credentials)) {
      credentials.set(comparisonKey(label), [label, creds]);
    }
    const helper = file.credentialsHelper;
    if (helper !== undefined) {
      helpers.delete(helper.name);
      helpers.set(
        helper.name,
        helper.sourcePath === undefined ? { ...helper, sourcePath: file.sourcePath } : helper,
      );
    }
  }

  // tofu's Config.Validate: the merged configuration may name one helper only.
  if (helpers.size > 1) {
    const all = [...helpers.values()];
    const listed = all
      .map((h) => `${JSON.stringify(h.name)} (${h.sourcePath ?? 'unknown file'})`)
      .join(' and ');
    throw new AirgapError(
      'CLICONFIG_INVALID',
      `the CLI configuration has ${all.length} credentials_helper blocks, ${listed}; no more than one may be specified`,
      { path: all[all.length - 1]?.sourcePath, expected: 'one credentials_helper block', actual: listed },
      'keep a single credentials_helper block across ~/.tofurc and the *.tfrc files of the CLI config directory',
    );
  }

  const merged: CliConfig = {
    hosts: Object.fromEntries(hosts.values()),
    credentials: Object.fromEntries(credentials.values()),
  };
  const helper = helpers.values().next();
  if (!helper.done) merged.credentialsHelper = helper.value;
  return merged;
}

// Labels were checked when their file was parsed; an invalid one still merges by its text.
function comparisonKey(label: string): string {
  const host = checkHostname(label);
  return host.ok ? host.value : label;
}
