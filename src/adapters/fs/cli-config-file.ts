// Finds and reads the CLI configuration the way tofu does (opentofu
// internal/command/cliconfig/cliconfig.go LoadConfig, config_unix.go), and builds the
// RegistryHosts port from it:
//
// 1. the main file: TF_CLI_CONFIG_FILE, else TERRAFORM_CONFIG (warned about when it
//    does not exist); else ~/.tofurc, or ~/.terraformrc when only that one exists, or
//    $XDG_CONFIG_HOME/opentofu/tofurc when neither exists and XDG_CONFIG_HOME is set;
// 2. unless one of those variables is set: every *.tfrc and *.tfrc.json file of the
//    config directory (~/.terraform.d, or $XDG_CONFIG_HOME/opentofu when that does not
//    exist), in name order; credentials.tfrc.json, where `tofu login` and
//    `terraform login` store tokens, is one of them;
// 3. merged by core/cliconfig/merge.ts; the credentials helper is looked up in the
//    plugin directories (adapters/process/credentials-helper.ts).
//
// Terraform 1.11 reads the same except the tofu names: no ~/.tofurc and no XDG paths.
// Windows locations (%APPDATA%\tofu.rc, %APPDATA%\terraform.d) are not handled.

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cliConfigHosts } from '../../core/cliconfig/credentials.js';
import { mergeCliConfigs } from '../../core/cliconfig/merge.js';
import { parseCliConfig } from '../../core/cliconfig/parse.js';
import type { CliConfig, CredentialsHelper } from '../../core/cliconfig/types.js';
import { AirgapError } from '../../core/errors.js';
import type { RegistryHosts } from '../../core/ports.js';
import { hostPlatformName } from '../../core/transfer/import-platform.js';
import { credentialsHelperProgram, findCredentialsHelper } from '../process/credentials-helper.js';

type Env = Record<string, string | undefined>;

export interface CliConfigOptions {
  /** Default: HOME from `env`, else the account's home directory (tofu's homeDir). */
  home?: string;
  /** Go's OS_ARCH of this machine, for the plugins/OS_ARCH directory; default from Node. */
  platform?: string;
}

export interface CliConfigLocations {
  /** The main file, and whether an environment variable named it (it must then exist). */
  file: { path: string; from: 'TF_CLI_CONFIG_FILE' | 'TERRAFORM_CONFIG' | undefined } | undefined;
  /** The config directory whose *.tfrc / *.tfrc.json files are read; undefined when skipped. */
  dir: string | undefined;
  /** Where credentials helpers are looked for, in order. */
  pluginDirs: string[];
}

export interface LoadedCliConfig {
  config: CliConfig;
  /** Every file read, in increasing precedence. */
  files: string[];
  pluginDirs: string[];
  /** e.g. TF_CLI_CONFIG_FILE names a file that does not exist: tofu warns and goes on. */
  warnings: string[];
}

export async function cliConfigLocations(
  env: Env,
  options: CliConfigOptions = {},
): Promise<CliConfigLocations> {
  const home = options.home ?? homeDir(env);
  const xdgConfig = nonEmpty(env.XDG_CONFIG_HOME);
  const xdgData = nonEmpty(env.XDG_DATA_HOME);

  // cliconfig.go cliConfigFileOverride.
  const from = nonEmpty(env.TF_CLI_CONFIG_FILE)
    ? 'TF_CLI_CONFIG_FILE'
    : nonEmpty(env.TERRAFORM_CONFIG)
      ? 'TERRAFORM_CONFIG'
      : undefined;

  let file: CliConfigLocations['file'];
  if (from !== undefined) {
    file = { path: env[from] as string, from };
  } else if (home !== undefined) {
    // config_unix.go configFile, util.go getNewOrLegacyPath.
    const tofurc = path.join(home, '.tofurc');
    const terraformrc = path.join(home, '.terraformrc');
    const [hasTofurc, hasTerraformrc] = await Promise.all([exists(tofurc), exists(terraformrc)]);
    if (xdgConfig !== undefined && !hasTofurc && !hasTerraformrc) {
      file = { path: path.join(xdgConfig, 'opentofu', 'tofurc'), from };
    } else {
      file = { path: hasTerraformrc && !hasTofurc ? terraformrc : tofurc, from };
    }
  }

  let dir: string | undefined;
  if (from === undefined && home !== undefined) {
    // config_unix.go configDir.
    dir = path.join(home, '.terraform.d');
    if (xdgConfig !== undefined && !(await exists(dir))) dir = path.join(xdgConfig, 'opentofu');
  }

  // config_unix.go dataDirs, cmd/tofu/plugins.go globalPluginDirs.
  const dataDirs = [
    ...(home === undefined ? [] : [path.join(home, '.terraform.d')]),
    ...(xdgData === undefined ? [] : [path.join(xdgData, 'opentofu')]),
  ];
  const machine = options.platform ?? nodePlatform();
  const pluginDirs = dataDirs.flatMap((d) => [
    path.join(d, 'plugins'),
    ...(machine === undefined ? [] : [path.join(d, 'plugins', machine)]),
  ]);
  return { file, dir, pluginDirs };
}

/** The merged CLI configuration, read from where tofu reads it. */
export async function loadCliConfig(env: Env, options: CliConfigOptions = {}): Promise<LoadedCliConfig> {
  const where = await cliConfigLocations(env, options);
  const warnings: string[] = [];
  const configs: CliConfig[] = [];
  const files: string[] = [];

  if (where.file !== undefined) {
    const text = await readConfigFile(where.file.path, where.file.from);
    if (text !== undefined) {
      configs.push(parseCliConfig(text, where.file.path));
      files.push(where.file.path);
    } else if (where.file.from !== undefined) {
      warnings.push(
        `the CLI configuration ${where.file.path} (from ${where.file.from}) does not exist; using none`,
      );
    }
  }

  if (where.dir !== undefined) {
    for (const name of await configDirFiles(where.dir)) {
      const file = path.join(where.dir, name);
      const text = await readConfigFile(file, undefined);
      if (text === undefined) continue; // removed since the listing
      configs.push(parseCliConfig(text, file));
      files.push(file);
    }
  }

  return { config: mergeCliConfigs(configs), files, pluginDirs: where.pluginDirs, warnings };
}

/**
 * The RegistryHosts port as tofu would answer it: the merged CLI configuration, the
 * TF_TOKEN_* variables of `env`, and the credentials helper (run with `env`).
 */
export async function loadRegistryHosts(
  env: Env,
  options: CliConfigOptions = {},
): Promise<{ hosts: RegistryHosts; warnings: string[] }> {
  const loaded = await loadCliConfig(env, options);
  const warnings = [...loaded.warnings];
  let helper: CredentialsHelper | undefined;
  const wanted = loaded.config.credentialsHelper;
  if (wanted !== undefined) {
    const program = await findCredentialsHelper(wanted.name, loaded.pluginDirs);
    if (program === undefined) {
      // tofu logs "Unable to find credentials helper" and goes on without one.
      warnings.push(
        `credentials_helper "${wanted.name}"${wanted.sourcePath === undefined ? '' : ` (${wanted.sourcePath})`}: no terraform-credentials-${wanted.name} program in ${loaded.pluginDirs.join(', ')}; going on without it, as tofu does`,
      );
    } else {
      helper = credentialsHelperProgram(program, wanted.args, env);
    }
  }
  return { hosts: cliConfigHosts(loaded.config, env, helper), warnings };
}

// The file's text; undefined when it does not exist.
async function readConfigFile(file: string, from: string | undefined): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AirgapError(
      'CLICONFIG_INVALID',
      `cannot read the CLI configuration ${file}${from === undefined ? '' : ` (from ${from})`}: ${(e as Error).message}`,
      { path: file, cause: e },
    );
  }
}

// cliconfig.go loadConfigDir: names matching *.tfrc or *.tfrc.json, in os.ReadDir's
// (bytewise) order.
async function configDirFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    if (!(await fs.stat(dir)).isDirectory()) return [];
    names = await fs.readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new AirgapError(
      'CLICONFIG_INVALID',
      `cannot read the CLI config directory ${dir}: ${(e as Error).message}`,
      { path: dir, cause: e },
    );
  }
  return names
    .filter((n) => n.endsWith('.tfrc') || n.endsWith('.tfrc.json'))
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

function homeDir(env: Env): string | undefined {
  const home = nonEmpty(env.HOME);
  if (home !== undefined) return home;
  try {
    return nonEmpty(os.userInfo().homedir);
  } catch {
    return undefined;
  }
}

function nodePlatform(): string | undefined {
  try {
    return hostPlatformName(process.platform, process.arch);
  } catch {
    return undefined;
  }
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.stat(p);
    return true;
  } catch {
    return false;
  }
}
