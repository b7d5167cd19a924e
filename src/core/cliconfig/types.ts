// The parts of tofu's CLI configuration (.tofurc / .terraformrc) that airgap reads.

export type ServiceValue = string | Record<string, unknown>;

export interface HostBlock {
  /** e.g. { "providers.v1": "https://127.0.0.1:4443/v1/providers/" } */
  services: Record<string, ServiceValue>;
}

export interface CliConfig {
  /** Keyed by hostname as written (compare with normalizeHostname). */
  hosts: Record<string, HostBlock>;
  /** Keyed by hostname as written. */
  credentials: Record<string, { token: string }>;
  /** The file it came from, for error messages; undefined when no file was found. */
  sourcePath?: string;
}

export const EMPTY_CLI_CONFIG: CliConfig = { hosts: {}, credentials: {} };
