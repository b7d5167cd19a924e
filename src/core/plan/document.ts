// The plan document from its items: order, totals and the verdict. Pure.

import { compareStrings } from '../compare.js';
import {
  KIND_ORDER,
  PLAN_SCHEMA_VERSION,
  type PlanDocument,
  type PlanItem,
  type PlanSkipped,
  type PlanTotals,
} from './types.js';

export interface PlanParts {
  tool: string;
  outDir: string;
  platforms: string[];
  items: readonly PlanItem[];
  removals: readonly string[];
  /**
   * Every bundle file mirror would delete, items or not (an index.json or VERSION.json of
   * a version no longer asked for has no item and no line of its own): any makes a change.
   */
  removedFiles: readonly string[];
  skipped: readonly PlanSkipped[];
  warnings: readonly string[];
}

export function buildPlanDocument(parts: PlanParts): PlanDocument {
  const items = sortItems(parts.items);
  const totals = planTotals(items);
  return {
    schemaVersion: PLAN_SCHEMA_VERSION,
    tool: parts.tool,
    outDir: parts.outDir,
    platforms: [...parts.platforms],
    items,
    removals: [...parts.removals].sort(compareStrings),
    skipped: [...parts.skipped],
    warnings: [...parts.warnings],
    totals,
    changes:
      items.some((i) => i.action !== 'present') || parts.removals.length > 0 || parts.removedFiles.length > 0,
  };
}

export function sortItems(items: readonly PlanItem[]): PlanItem[] {
  return [...items].sort(
    (a, b) =>
      KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) ||
      compareStrings(a.path ?? '', b.path ?? '') ||
      compareStrings(a.subject, b.subject),
  );
}

export function planTotals(items: readonly PlanItem[]): PlanTotals {
  const totals: PlanTotals = {
    bytesToDownload: 0,
    unknownSizes: 0,
    bundleBytes: 0,
    download: 0,
    present: 0,
    remove: 0,
    build: 0,
  };
  for (const item of items) {
    totals[item.action] += 1;
    if (item.size === null) {
      if (item.action === 'download' || item.action === 'build') totals.unknownSizes += 1;
      continue;
    }
    if (item.action === 'download') totals.bytesToDownload += item.size;
    if (item.action !== 'remove') totals.bundleBytes += item.size;
  }
  return totals;
}
