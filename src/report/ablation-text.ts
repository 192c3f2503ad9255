import type { AblationResult } from "../ablation/ablate.js";
import type { Contribution } from "../ablation/contribution.js";
import { describeCaseStatistics } from "./evaluation-text.js";
import { decimalsFor, formatDelta, formatMetric, truncate } from "./format-values.js";

function formatContribution(contribution: Contribution | undefined, decimals: number): string {
  if (contribution === undefined) return "-";
  const { mean } = contribution;
  const center = Number(mean.toFixed(decimals)) === 0 ? (0).toFixed(decimals) : formatDelta(mean, decimals);
  const over =
    contribution.over === "cases"
      ? `paired over ${contribution.count} cases`
      : `${contribution.count} runs each`;
  if (contribution.standardError === undefined) return `${center} (${over}: no spread to estimate)`;
  const interval =
    contribution.low === undefined || contribution.high === undefined
      ? ""
      : `; 95% interval ${contribution.low.toFixed(decimals)} to ${contribution.high.toFixed(decimals)}`;
  return `${center} (se ${contribution.standardError.toFixed(decimals)}${interval}; ${over})`;
}

/** An ablation as text for a terminal: each kept change, what the best is without it, what it contributes. */
export function formatAblation(result: AblationResult): string {
  const decimals = decimalsFor(result.best.metric ?? 1);
  const direction = result.direction === "minimize" ? "lower is better" : "higher is better";
  const lines = [
    `ablation of ${result.tag}: ${result.metric}, ${direction}; ${result.repeats} run${result.repeats === 1 ? "" : "s"} of each variant`,
    `best (trial ${result.best.trial}): ${formatMetric(result.best.metric, decimals)}${result.best.error === undefined ? "" : `  (${result.best.error})`}`,
    "",
  ];
  for (const change of result.changes) {
    lines.push(`#${change.trial} ${truncate(change.description, 70)}`);
    if (change.conflict !== undefined) {
      lines.push(
        `   not measured: undoing it conflicts with later changes in ${change.conflict.join(", ") || "some files"}`,
      );
      continue;
    }
    const without = change.without;
    lines.push(
      `   without it: ${formatMetric(without?.metric, decimals)}${without?.error === undefined ? "" : `  (${without.error})`}`,
      `   contribution: ${formatContribution(change.contribution, decimals)}`,
    );
    const cases = describeCaseStatistics(change.comparison);
    const verdict = change.removable
      ? "removable: the best is not significantly better with it"
      : "needed: the best is significantly better with it";
    lines.push(`   ${verdict}${cases === undefined ? "" : ` (${cases})`}`);
  }
  lines.push("");
  const removable = result.changes.filter((change) => change.removable);
  lines.push(
    removable.length === 0
      ? "every kept change that could be measured is needed"
      : `removable: ${removable.map((change) => `#${change.trial} ${truncate(change.description, 50)}`).join("; ")}`,
  );
  const branch = result.branch;
  if (branch !== undefined) {
    if (branch.error !== undefined) lines.push(`branch ${branch.name} not written: ${branch.error}`);
    else if (branch.removed.length === 0)
      lines.push(`branch ${branch.name} written at the best: nothing to remove`);
    else {
      lines.push(
        `branch ${branch.name} written without ${branch.removed.map((trial) => `#${trial}`).join(", ")}: ${result.metric} ${formatMetric(branch.measurement?.metric, decimals)} (best ${formatMetric(result.best.metric, decimals)})`,
      );
    }
  }
  return lines.join("\n");
}
