import type { CaseScores } from "../spec/records.js";

/** What a reader of an eval harness's output gives an objective: per-case results and metrics. */
export interface CaseReadout {
  /** Per case id, one value per attempt. */
  cases: CaseScores;
  /** Aggregates (pass rate, mean score, the harness's own metrics) and secondary numbers (cost, latency, tokens). */
  metrics: Record<string, number>;
  /** Metrics whose value was NaN or infinite, as written. */
  nonFinite: Record<string, string>;
  /** A prefix that completes a bare metric name: Inspect's chosen scorer (`accuracy` is `<scorer>.accuracy`). */
  metricPrefix?: string;
}

/** Collects attempts per case; a Map underneath, so ids such as `__proto__` are ordinary keys. */
export function createCaseCollector() {
  const byId = new Map<string, number[]>();
  return {
    add(id: string, value: number): void {
      const attempts = byId.get(id);
      if (attempts === undefined) byId.set(id, [value]);
      else attempts.push(value);
    },
    get size(): number {
      return byId.size;
    },
    values(): number[] {
      return [...byId.values()].flat();
    },
    toCases(): CaseScores {
      return Object.fromEntries(byId);
    },
  };
}

/** Adds `<name>.mean`, `<name>.total` and `<name>.max` of the finite values, when there are any. */
export function addSummaries(into: Record<string, number>, name: string, values: readonly number[]): void {
  const finite = values.filter((value) => Number.isFinite(value));
  if (finite.length === 0) return;
  const total = finite.reduce((sum, value) => sum + value, 0);
  into[`${name}.total`] = total;
  into[`${name}.mean`] = total / finite.length;
  into[`${name}.max`] = finite.reduce((max, value) => Math.max(max, value), -Infinity);
}

/** `value` as a finite number, if it is one. */
export function finiteNumber(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
