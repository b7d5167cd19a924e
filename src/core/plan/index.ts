// `airgap plan`: the plan document, its totals and its table. Pure: the service
// (src/services/plan/) gathers the items from the registries and the bundle.

export { plannedConfigs, type PlannedConfig, type PlannedRelease } from './configs.js';
export { buildPlanDocument, planTotals, sortItems, type PlanParts } from './document.js';
export {
  DEFAULT_WIDTH,
  MAX_WIDTH,
  MIN_WIDTH,
  bytes,
  humanSize,
  renderPlanTable,
  shorten,
  shortenSubject,
} from './render.js';
export {
  KIND_ORDER,
  PLAN_SCHEMA_VERSION,
  type PlanAction,
  type PlanDocument,
  type PlanItem,
  type PlanItemKind,
  type PlanSkipped,
  type PlanTotals,
  type SizeSource,
} from './types.js';
