// The text `airgap publish --dry-run` prints: every object it would upload and delete,
// with sizes, in the order it would do so. A pure function of the plan, so the output
// is pinned byte for byte by tests.

import type { PublishPlan } from './plan.js';

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function bytes(n: number): string {
  return plural(n, 'byte', 'bytes');
}

function sum(items: readonly { size: number }[]): number {
  return items.reduce((t, i) => t + i.size, 0);
}

/** `target` is the published mirror's address, e.g. "s3://bucket/prefix/providers/". */
export function renderDryRun(plan: PublishPlan, target: string): string[] {
  const lines = [
    `Dry run: nothing uploaded or deleted. Publishing to ${target} would:`,
    `  upload ${plural(plan.uploads.length, 'object', 'objects')} (${bytes(sum(plan.uploads))})`,
    `  skip ${plural(plan.unchanged.length, 'object', 'objects')} already there with the same sha256 (${bytes(sum(plan.unchanged))})`,
  ];
  if (plan.kept.length > 0) {
    lines.push(
      `  keep ${plural(plan.kept.length, 'object', 'objects')} the source no longer has (${bytes(sum(plan.kept))}; --prune deletes them)`,
    );
  } else {
    lines.push(
      `  delete ${plural(plan.deletions.length, 'object', 'objects')} (${bytes(sum(plan.deletions))})`,
    );
  }
  for (const u of plan.uploads) lines.push(`upload  ${u.path}  ${u.size}  ${u.contentType}`);
  for (const d of plan.deletions) lines.push(`delete  ${d.path}  ${d.size}`);
  return lines;
}
