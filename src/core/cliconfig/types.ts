// The parts of tofu's CLI configuration (.tofurc / .terraformrc, the *.tfrc files of the
// config directory, credentials.tfrc.json) that airgap reads.

export type ServiceValue = string | Record<string, unknown>;

export interface HostBlock {
  /** e.g. { "providers.v1": "https://127.0.0.1:4443/v1/providers/" }, as written (URLs may be relative). */
  services: Record<string, ServiceValue>;
  /** The file the block came from, for messages. */
  sourcePath?: string;
}

/** A `credentials_helper "NAME" { args = [...] }` block. */
export interface CredentialsHelperConfig {
  /** The helper program is terraform-credentials-NAME in a plugin directory. */
  name: string;
  args: string[];
  sourcePath?: string;
}

export interface CliConfig {
  /** Keyed by hostname as written (compare with normalizeHostname). */
  hosts: Record<string, HostBlock>;
  /** Keyed by hostname as written. */
  credentials: Record<string, { token: string }>;
  credentialsHelper?: CredentialsHelperConfig;
  /** The file it came from, for a configuration read from one file. */
  sourcePath?: string;
}

export const EMPTY_CLI_CONFIG: CliConfig = { hosts: {}, credentials: {} };

/**
 * The configured credentials helper, ready to run (an adapter: it starts a process).
 * Asked only for hosts that have no TF_TOKEN_* variable and no `credentials` block.
 */
export interface CredentialsHelper {
  /** The token the helper gives for `hostname` (comparison form), or undefined if it has none. */
  token(hostname: string): Promise<string | undefined>;
}
