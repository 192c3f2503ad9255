import type { Comparison, FinalEvaluation } from "../spec/records.js";
import { decimalsFor, formatDelta, formatMetric } from "./format-values.js";

function formatP(p: number): string {
  return p < 1e-4 ? p.toExponential(1) : String(Number(p.toPrecision(2)));
}

/** `on 40 paired cases: 6 better, 1 worse (exact p=0.062)`, from a per-case comparison's statistics. */
export function describeCaseStatistics(comparison: Comparison | undefined): string | undefined {
  const statistics = comparison?.statistics;
  if (statistics?.pairedCases === undefined) return undefined;
  const test = comparison?.rule.replace(/^paired-/, "") ?? "";
  const p =
    statistics.p === undefined ? "" : ` (${test === "t" ? "paired t" : test} p=${formatP(statistics.p)})`;
  return `on ${statistics.pairedCases} paired cases: ${statistics.improvedCases ?? 0} better, ${statistics.regressedCases ?? 0} worse${p}`;
}

/**
 * The sealed test in one line, for the terminal and the status table:
 * `sealed test (pass_rate): best #4 0.8333 vs baseline #0 0.5000 (+0.3333) on 12 paired cases: 4 better, 0 worse`.
 */
export function formatFinalEvaluation(evaluation: FinalEvaluation): string {
  const { best, baseline } = evaluation;
  const decimals = decimalsFor(baseline.metric ?? best.metric ?? 1);
  const delta =
    best.metric !== null && baseline.metric !== null
      ? ` (${formatDelta(best.metric - baseline.metric, decimals)})`
      : "";
  const runs = best.samples.length > 1 ? `, means of ${best.samples.length} runs` : "";
  const parts = [
    `sealed test (${evaluation.metric}${runs}): best #${best.trial} ${formatMetric(best.metric, decimals)} vs baseline #${baseline.trial} ${formatMetric(baseline.metric, decimals)}${delta}`,
  ];
  const cases = describeCaseStatistics(evaluation.comparison);
  if (cases !== undefined) parts.push(cases);
  if (best.commit === baseline.commit) parts.push("nothing was kept, so both are the baseline");
  if (best.error !== undefined) parts.push(`best: ${best.error}`);
  if (baseline.error !== undefined && best.commit !== baseline.commit)
    parts.push(`baseline: ${baseline.error}`);
  return parts.join("; ");
}

/** Which cases a trial turned, both ways: `better: a, b; worse: c`, cut to `limit` ids each. */
export function formatFlips(comparison: Comparison | undefined, limit = 8): string | undefined {
  const flips = comparison?.flips;
  if (flips === undefined || (flips.improved.length === 0 && flips.regressed.length === 0)) return undefined;
  const list = (ids: string[], total: number | undefined) => {
    const shown = ids.slice(0, limit).join(", ");
    const more = (total ?? ids.length) - Math.min(ids.length, limit);
    return more > 0 ? `${shown}, … (${more} more)` : shown;
  };
  const parts: string[] = [];
  if (flips.improved.length > 0)
    parts.push(`better: ${list(flips.improved, comparison?.statistics?.improvedCases)}`);
  if (flips.regressed.length > 0)
    parts.push(`worse: ${list(flips.regressed, comparison?.statistics?.regressedCases)}`);
  return parts.join("; ");
}
