// Finds and reads the CLI configuration file the way tofu does:
// TF_CLI_CONFIG_FILE, else ~/.tofurc, else ~/.terraformrc.

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseCliConfig } from '../../core/cliconfig/parse.js';
import { EMPTY_CLI_CONFIG, type CliConfig } from '../../core/cliconfig/types.js';
import { AirgapError } from '../../core/errors.js';

export interface LoadedCliConfig {
  config: CliConfig;
  /** e.g. TF_CLI_CONFIG_FILE names a file that does not exist: tofu warns and goes on. */
  warnings: string[];
}

export async function loadCliConfig(
  env: Record<string, string | undefined>,
  home = os.homedir(),
): Promise<LoadedCliConfig> {
  const explicit = env.TF_CLI_CONFIG_FILE;
  const candidates = explicit ? [explicit] : [path.join(home, '.tofurc'), path.join(home, '.terraformrc')];
  for (const file of candidates) {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        if (!explicit) continue;
        return {
          config: EMPTY_CLI_CONFIG,
          warnings: [`the CLI configuration ${file} (from TF_CLI_CONFIG_FILE) does not exist; using none`],
        };
      }
      throw new AirgapError(
        'CLICONFIG_INVALID',
        `cannot read the CLI configuration ${file} (from TF_CLI_CONFIG_FILE): ${(e as Error).message}`,
        {
          path: file,
          cause: e,
        },
      );
    }
    return { config: { ...parseCliConfig(text, file), sourcePath: file }, warnings: [] };
  }
  return { config: EMPTY_CLI_CONFIG, warnings: [] };
}
