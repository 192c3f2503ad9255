import { studentTQuantile } from "../objectives/student-t.js";
import type { Direction } from "../spec/objective.js";
import type { CaseScores } from "../spec/records.js";

/**
 * What a change contributes: the best's metric minus the metric without the change, oriented so that a positive
 * number means the change helps. With per-case results the difference is paired case by case; otherwise it is
 * the difference of the runs' means.
 */
export interface Contribution {
  mean: number;
  /** `undefined` when there is nothing to estimate a spread from (one run each, no cases). */
  standardError: number | undefined;
  /** A two-sided 95% interval, when there is a standard error. */
  low: number | undefined;
  high: number | undefined;
  /** What the uncertainty is over: `cases` (paired per case) or `runs`. */
  over: "cases" | "runs";
  count: number;
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

function variance(values: readonly number[]): number {
  const center = mean(values);
  return values.reduce((sum, value) => sum + (value - center) ** 2, 0) / (values.length - 1);
}

function interval(center: number, standardError: number, df: number) {
  const t = studentTQuantile(0.975, df);
  return { low: center - t * standardError, high: center + t * standardError };
}

/** The contribution of a change, from the best's runs and the runs without it. */
export function contributionOf(
  best: { samples: readonly number[]; cases?: CaseScores | undefined },
  without: { samples: readonly number[]; cases?: CaseScores | undefined },
  direction: Direction,
): Contribution | undefined {
  if (best.samples.length === 0 || without.samples.length === 0) return undefined;
  const sign = direction === "minimize" ? -1 : 1;
  if (best.cases !== undefined && without.cases !== undefined) {
    const common = Object.keys(best.cases).filter((id) => (without.cases?.[id]?.length ?? 0) > 0);
    const differences = common.map(
      (id) => sign * (mean(best.cases?.[id] ?? []) - mean(without.cases?.[id] ?? [])),
    );
    if (differences.length > 0) {
      const center = mean(differences);
      if (differences.length < 2) {
        return {
          mean: center,
          standardError: undefined,
          low: undefined,
          high: undefined,
          over: "cases",
          count: 1,
        };
      }
      const standardError = Math.sqrt(variance(differences) / differences.length);
      return {
        mean: center,
        standardError,
        ...interval(center, standardError, differences.length - 1),
        over: "cases",
        count: differences.length,
      };
    }
  }
  const center = sign * (mean(best.samples) - mean(without.samples));
  const count = Math.min(best.samples.length, without.samples.length);
  if (best.samples.length < 2 || without.samples.length < 2) {
    return { mean: center, standardError: undefined, low: undefined, high: undefined, over: "runs", count };
  }
  const a = variance(best.samples) / best.samples.length;
  const b = variance(without.samples) / without.samples.length;
  const standardError = Math.sqrt(a + b);
  if (standardError === 0)
    return { mean: center, standardError, low: center, high: center, over: "runs", count };
  const df = (a + b) ** 2 / (a ** 2 / (best.samples.length - 1) + b ** 2 / (without.samples.length - 1));
  return { mean: center, standardError, ...interval(center, standardError, df), over: "runs", count };
}
