import { z } from "zod";
import type { Objective } from "../spec/objective.js";
import type { CaseScores, Measurement } from "../spec/records.js";
import type { CaseReadout } from "./case-readout.js";
import { checkConstraints, constraintsSchema } from "./constraints.js";
import { compareByThreshold, compareByWelch } from "./decision-rules.js";
import { compareCasesPaired } from "./paired-decision.js";
import { passHatK } from "./paired-statistics.js";

const alpha = z.number().gt(0).lt(1).default(0.05);

const caseDecisionSchema = z.discriminatedUnion("rule", [
  z.strictObject({
    rule: z.literal("paired"),
    alpha,
    /** `auto`: the exact test for pass/fail cases, the paired t-test for scores. */
    test: z.enum(["auto", "exact", "t", "bootstrap"]).default("auto"),
    bootstrapSamples: z.number().int().min(100).default(2000),
  }),
  z.strictObject({ rule: z.literal("threshold") }),
  z.strictObject({ rule: z.literal("welch"), alpha }),
]);

/** The options every eval-suite objective shares. */
export const caseObjectiveOptionsShape = {
  direction: z.enum(["minimize", "maximize"]).default("maximize"),
  /** Bounds on any metric, e.g. `{ "cost.total": { max: 0.5 }, "latency_ms.mean": { max: 2000 } }`. */
  constraints: constraintsSchema,
  /** The smallest mean improvement per case worth keeping. */
  minImprovement: z.number().nonnegative().default(0),
  /**
   * `paired` (default): candidate and incumbent compared case by case on the cases both ran. `threshold` and
   * `welch` compare the runs' averages, as the metric objective does.
   */
  decision: caseDecisionSchema.default({ rule: "paired", alpha: 0.05, test: "auto", bootstrapSamples: 2000 }),
  /**
   * Decide on pass^k per case: the chance that k attempts all pass (an attempt passes with a value of 1). The
   * attempts are the harness's repeats plus the runs of `evaluation.repeats`; each run also reports `pass^k`
   * when it attempted every case k times.
   */
  passK: z.number().int().min(1).optional(),
  /** Exit codes besides 0 after which the run is still measured. */
  measuredExitCodes: z.array(z.number().int().min(1).max(255)).optional(),
};

type CommonOptions = z.output<z.ZodObject<typeof caseObjectiveOptionsShape>>;

export interface CaseObjectiveDefinition {
  name: string;
  metric: string;
  /** What is read, for messages: "promptfoo's results.json". */
  source: string;
  measuredExitCodes: readonly number[];
  read(directory: string): Promise<CaseReadout>;
  /**
   * The metrics that are the mean of the per-case values (a pass rate, a mean score): only for those do the
   * paired per-case tests decide the same thing the metric measures. Any other metric (a cost, a
   * latency, another scorer's) is compared by its averages, with a note saying so.
   */
  caseMetrics: readonly string[];
}

function describeError(error: unknown): string {
  if ((error as NodeJS.ErrnoException).code === "ENOENT") return "no such file";
  return error instanceof Error ? error.message : String(error);
}

/** pass^k over cases, when every case was attempted at least k times. */
function passKOf(cases: CaseScores, k: number): number | undefined {
  const estimates = Object.values(cases).map((attempts) =>
    passHatK(attempts.filter((value) => value >= 1).length, attempts.length, k),
  );
  if (estimates.length === 0 || estimates.some((estimate) => estimate === undefined)) return undefined;
  return (estimates as number[]).reduce((sum, value) => sum + value, 0) / estimates.length;
}

function listNames(metrics: Record<string, number>): string {
  const names = Object.keys(metrics);
  return names.length === 0
    ? "found none"
    : `found ${names.slice(0, 12).join(", ")}${names.length > 12 ? ", …" : ""}`;
}

/** An objective over an eval harness's per-case output: measures with `definition.read`, decides case by case. */
export function buildCaseObjective(definition: CaseObjectiveDefinition, options: CommonOptions): Objective {
  const { direction, constraints, minImprovement, decision, passK } = options;
  const { metric } = definition;
  // The per-case tests decide on the per-case values (in the objective's direction): only a metric that is their
  // mean is decided by them.
  const pairsCases =
    definition.caseMetrics.includes(metric) || (passK !== undefined && metric === `pass^${passK}`);
  return {
    name: definition.name,
    metric,
    direction,
    measuredExitCodes: options.measuredExitCodes ?? definition.measuredExitCodes,
    async measure({ directory, abortSignal }): Promise<Measurement> {
      abortSignal.throwIfAborted();
      let readout: CaseReadout;
      try {
        readout = await definition.read(directory);
      } catch (error) {
        return {
          metrics: {},
          value: undefined,
          violations: [],
          error: `cannot read ${definition.source}: ${describeError(error)}`,
        };
      }
      const metrics = { ...readout.metrics };
      if (passK !== undefined) {
        const estimate = passKOf(readout.cases, passK);
        if (estimate !== undefined) metrics[`pass^${passK}`] = estimate;
      }
      const prefixed = readout.metricPrefix === undefined ? undefined : `${readout.metricPrefix}.${metric}`;
      if (metrics[metric] === undefined && prefixed !== undefined && metrics[prefixed] !== undefined) {
        metrics[metric] = metrics[prefixed];
      }
      const value = metrics[metric];
      const measurement: Measurement = {
        metrics,
        value,
        violations: checkConstraints(constraints, metrics),
        cases: readout.cases,
      };
      if (value === undefined) {
        const nonFinite =
          readout.nonFinite[metric] ?? (prefixed === undefined ? undefined : readout.nonFinite[prefixed]);
        measurement.error =
          nonFinite !== undefined
            ? `\`${metric}\` is ${nonFinite} in ${definition.source}, not a finite number`
            : `no metric \`${metric}\` in ${definition.source} (${listNames(metrics)})`;
      }
      return measurement;
    },
    compare({ candidate, incumbent, candidateCases, incumbentCases }) {
      const rule = { metric, direction, minImprovement };
      if (decision.rule === "welch")
        return compareByWelch(candidate, incumbent, { ...rule, alpha: decision.alpha });
      if (decision.rule === "threshold") return compareByThreshold(candidate, incumbent, rule);
      if (!pairsCases) {
        return compareByThreshold(
          candidate,
          incumbent,
          rule,
          ` (paired rule: \`${metric}\` is not the mean of the per-case values; compared the averages)`,
        );
      }
      if (candidateCases === undefined || incumbentCases === undefined) {
        return compareByThreshold(
          candidate,
          incumbent,
          rule,
          " (paired rule: no per-case results to pair; compared the averages)",
        );
      }
      return (
        compareCasesPaired(candidateCases, incumbentCases, {
          ...rule,
          alpha: decision.alpha,
          test: decision.test,
          passK,
          bootstrapSamples: decision.bootstrapSamples,
        }) ??
        compareByThreshold(
          candidate,
          incumbent,
          rule,
          " (paired rule: no case in common; compared the averages)",
        )
      );
    },
  };
}
