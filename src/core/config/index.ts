// The configuration airgap generates for the isolated side (DIR/config/):
// the CLI configuration, the Spacelift workflow file and the runner Dockerfile.

export type { DockerfileOptions } from './dockerfile.js';
export {
  DEFAULT_BASE_IMAGE,
  IMAGE_CLI_CONFIG_PATH,
  RUNNER_USER,
  dockerfilePaths,
  renderDockerfile,
  toolZipPath,
} from './dockerfile.js';
export type { TofurcOptions } from './tofurc.js';
export {
  DEFAULT_MIRROR_PATH,
  normalizeProviderPattern,
  normalizeProviderPatterns,
  renderTofurc,
} from './tofurc.js';
export type { WorkflowKey, WorkflowTool } from './workflow.js';
export {
  WORKFLOW_KEYS,
  WORKFLOW_PLACEHOLDERS,
  WORKFLOW_TEMPLATE_ACTIONS,
  WORKFLOW_TOOLS,
  renderWorkflow,
  workflowCommands,
} from './workflow.js';
