import type { Direction } from "../spec/objective.js";
import type { Curve } from "../spec/records.js";

export interface EarlyStoppingRule {
  minProgress: number;
  rule: "median";
  margin: number;
  minCurves: number;
}

/** A curve's value at `progress`: its last point at or before it, or `undefined` when it had not got there. */
export function valueAt(curve: Curve, progress: number): number | undefined {
  let found: number | undefined;
  for (const [at, value] of curve) {
    if (at > progress) break;
    found = value;
  }
  return found;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/**
 * The median rule: a run is hopeless at `progress` when its value there is worse than the median of the kept
 * curves' values at the same progress by more than `margin` (a fraction of the median's magnitude). Never before
 * `minProgress`, and never with fewer than `minCurves` kept curves that reached that progress: without a reference
 * nothing is stopped. Returns a reason when the run should stop, otherwise `undefined`.
 */
export function shouldStopEarly(
  rule: EarlyStoppingRule,
  direction: Direction,
  keptCurves: readonly Curve[],
  point: { progress: number; value: number },
): string | undefined {
  if (point.progress < rule.minProgress) return undefined;
  const references = keptCurves
    .filter((curve) => (curve.at(-1)?.[0] ?? Number.NEGATIVE_INFINITY) >= point.progress)
    .map((curve) => valueAt(curve, point.progress))
    .filter((value): value is number => value !== undefined && Number.isFinite(value));
  if (references.length < rule.minCurves) return undefined;
  const reference = median(references);
  const tolerance = rule.margin * Math.abs(reference);
  const worse =
    direction === "minimize" ? point.value > reference + tolerance : point.value < reference - tolerance;
  if (!worse) return undefined;
  return `median of ${references.length} kept curve${references.length === 1 ? "" : "s"} ${Number(reference.toPrecision(6))}`;
}
