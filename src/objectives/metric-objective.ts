import { resolve } from "node:path";
import { z } from "zod";
import { parseOptions } from "../errors/format-zod-error.js";
import type { Objective } from "../spec/objective.js";
import type { Measurement } from "../spec/records.js";
import { checkConstraints, constraintsSchema } from "./constraints.js";
import { compareByNoise, compareByThreshold, compareByWelch } from "./decision-rules.js";
import { type ReadMetrics, readJsonMetrics, readLogMetrics } from "./read-metrics.js";

function captureGroups(regex: RegExp): number {
  // Matching the empty alternative reports one slot per capture group.
  return (new RegExp(`${regex.source}|`).exec("")?.length ?? 1) - 1;
}

function toRegex(pattern: string | RegExp): RegExp {
  // Without g and y, exec() keeps no state between lines.
  return typeof pattern === "string"
    ? new RegExp(pattern)
    : new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ""));
}

/**
 * A regular expression given as a string or a RegExp: it must compile, and pass `check`, which names what was
 * expected when it does not.
 */
function patternSchema(check: (regex: RegExp) => string | undefined) {
  return z.union([z.string().min(1), z.instanceof(RegExp)]).superRefine((pattern, context) => {
    let regex: RegExp;
    try {
      regex = toRegex(pattern);
    } catch (error) {
      context.addIssue({
        code: "custom",
        message: `a valid regular expression (${(error as Error).message})`,
      });
      return;
    }
    const expected = check(regex);
    if (expected !== undefined) context.addIssue({ code: "custom", message: expected });
  });
}

const sourceSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("summary") }),
  z.strictObject({
    type: z.literal("regex"),
    pattern: patternSchema((regex) =>
      captureGroups(regex) === 0 ? "a pattern with a capture group, or a group named `value`" : undefined,
    ),
  }),
  z.strictObject({ type: z.literal("json"), file: z.string().min(1) }),
]);

/**
 * Where a run's progress is printed while it streams: by names (`{ progress: "step", value: "val_loss" }` reads
 * `step 300 ... val_loss 3.91`, with `:`, `=` or a space before each number, both on one line), or by a pattern
 * whose named groups `progress` and `value` hold the two numbers.
 */
const progressSchema = z.union([
  z.strictObject({ progress: z.string().min(1), value: z.string().min(1) }),
  z.strictObject({
    pattern: patternSchema((regex) =>
      !/\(\?<progress>/.test(regex.source) || !/\(\?<value>/.test(regex.source)
        ? "a pattern with the named groups `progress` and `value`"
        : undefined,
    ),
  }),
]);

const number = String.raw`[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?`;

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A reader of progress lines for `progress`, or `undefined` without it. */
function progressReader(
  progress: z.output<typeof progressSchema> | undefined,
): ((line: string) => { progress: number; value: number } | undefined) | undefined {
  if (progress === undefined) return undefined;
  if ("pattern" in progress) {
    const regex = toRegex(progress.pattern);
    return (line) => {
      const groups = regex.exec(line)?.groups;
      if (groups?.progress === undefined || groups.value === undefined) return undefined;
      return { progress: Number(groups.progress), value: Number(groups.value) };
    };
  }
  const named = (name: string) =>
    new RegExp(String.raw`(?:^|[^\w.])${escapeRegex(name)}\s*[:= ]\s*(${number})`);
  const progressRegex = named(progress.progress);
  const valueRegex = named(progress.value);
  return (line) => {
    const at = progressRegex.exec(line)?.[1];
    const value = valueRegex.exec(line)?.[1];
    if (at === undefined || value === undefined) return undefined;
    return { progress: Number(at), value: Number(value) };
  };
}

const decisionSchema = z.discriminatedUnion("rule", [
  z.strictObject({
    rule: z.literal("noise"),
    screenLevel: z.number().gt(0).lt(1).default(0.05),
    alpha: z.number().gt(0).lt(1).default(0.005),
  }),
  z.strictObject({ rule: z.literal("threshold") }),
  // Karpathy's rule: keep whatever is better, by any margin, whatever the noise.
  z.strictObject({ rule: z.literal("strictly-better") }),
  z.strictObject({ rule: z.literal("welch"), alpha: z.number().gt(0).lt(1).default(0.05) }),
]);

const metricObjectiveOptionsSchema = z.strictObject({
  /** The optimized metric, e.g. `val_bpb`. */
  metric: z.string().min(1),
  direction: z.enum(["minimize", "maximize"]),
  /** Where the metrics come from: `name: value` lines (default), a regex over the log, or a JSON file. */
  source: sourceSchema.default({ type: "summary" }),
  /** Bounds on any metric, e.g. `{ peak_vram_mb: { max: 80000 } }`. A violation makes the trial a discard. */
  constraints: constraintsSchema,
  /** The smallest improvement worth keeping, in the metric's units. 0: any strict improvement. */
  minImprovement: z.number().nonnegative().default(0),
  decision: decisionSchema.default({ rule: "noise", screenLevel: 0.05, alpha: 0.005 }),
  /**
   * Keep only improvements of at least this many noise floors (the standard deviation of the baseline's
   * repeated runs; see `evaluation.baselineRepeats`). 0 turns it off; 2 means "twice what chance alone moves".
   */
  noiseMultiple: z.number().nonnegative().default(0),
  /** How to read a learning curve from the streamed output, for early stopping and the report's curves. */
  progress: progressSchema.optional(),
});

/** Options of {@link createMetricObjective}. */
export type MetricObjectiveOptions = z.input<typeof metricObjectiveOptionsSchema>;

function listNames(metrics: Record<string, number>): string {
  const names = Object.keys(metrics);
  if (names.length === 0) return "found no metrics";
  const shown = names.slice(0, 10).join(", ");
  return `found ${shown}${names.length > 10 ? `, … (${names.length} in all)` : ""}`;
}

function describeError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const message = error instanceof Error ? error.message : String(error);
  return code === "ENOENT" ? "no such file" : message;
}

/**
 * The built-in objective: one named metric, read from the run's own output, never from what the proposer says.
 *
 * - `source: { type: "summary" }` (default) reads `name: value` lines, such as autoresearch's summary block
 *   (`val_bpb:          0.997900`); every such line of the log becomes a metric.
 * - `source: { type: "regex", pattern }` reads the optimized metric from the pattern's first capture group (or
 *   the group named `value`); `name: value` lines still give the other metrics.
 * - `source: { type: "json", file }` reads a JSON object the experiment wrote, relative to its directory;
 *   nested names are joined with dots. `name: value` lines of the log fill in metrics the file does not have.
 *
 * When a metric is printed several times, the last value wins: the final summary overrides anything printed
 * while training. A missing, NaN or infinite optimized metric gives `value: undefined` and an `error`.
 *
 * `noiseMultiple: k` raises `minImprovement` to k times the noise floor the loop measured on the baseline.
 *
 * `decision: { rule: "welch", alpha }` keeps a candidate only when a one-sided Welch t-test says its runs are
 * better than the incumbent's at level `alpha` (default 0.05); with one run on either side it falls back to
 * `threshold`, which keeps any improvement of at least `minImprovement`.
 */
export function createMetricObjective(options: MetricObjectiveOptions): Objective {
  const parsed = parseOptions(metricObjectiveOptionsSchema, options);
  const { metric, direction, source, constraints, minImprovement, decision, noiseMultiple } = parsed;
  const regex = source.type === "regex" ? toRegex(source.pattern) : undefined;
  const readProgress = progressReader(parsed.progress);

  return {
    name: "metric",
    metric,
    direction,
    ...(readProgress === undefined ? {} : { readProgress }),
    noiseAware: decision.rule === "noise",
    async measure({ run, directory, abortSignal }): Promise<Measurement> {
      abortSignal.throwIfAborted();
      let found: ReadMetrics = { metrics: {}, nonFinite: {} };
      let error: string | undefined;
      let patternMatched = false;
      try {
        const fromLog = await readLogMetrics(run.logFile, {
          abortSignal,
          ...(regex === undefined ? {} : { pattern: { name: metric, regex } }),
        });
        found = fromLog;
        patternMatched = fromLog.patternMatched;
      } catch (cause) {
        if (abortSignal.aborted) throw cause;
        // A JSON objective can do without the log; the others cannot.
        if (source.type !== "json") error = `cannot read the log ${run.logFile}: ${describeError(cause)}`;
      }

      if (source.type === "json") {
        // The file alone decides the optimized metric; the log only adds the metrics the file lacks.
        delete found.metrics[metric];
        delete found.nonFinite[metric];
        try {
          const fromFile = await readJsonMetrics(resolve(directory, source.file));
          found = {
            metrics: { ...found.metrics, ...fromFile.metrics },
            nonFinite: { ...found.nonFinite, ...fromFile.nonFinite },
          };
          for (const name of Object.keys(fromFile.nonFinite)) delete found.metrics[name];
          for (const name of Object.keys(fromFile.metrics)) delete found.nonFinite[name];
          if (found.metrics[metric] === undefined && found.nonFinite[metric] === undefined) {
            error = `no number \`${metric}\` in ${source.file} (${listNames(fromFile.metrics)})`;
          }
        } catch (cause) {
          error = `cannot read ${source.file} in the run directory: ${describeError(cause)}`;
        }
      }

      const value = found.metrics[metric];
      const nonFinite = found.nonFinite[metric];
      if (value === undefined && error === undefined) {
        if (nonFinite !== undefined) {
          error =
            source.type === "regex"
              ? `${String(regex)} matched \`${nonFinite}\`, which is not a finite number`
              : `\`${metric}\` is ${nonFinite}, not a finite number (the last value printed counts)`;
        } else if (source.type === "regex") {
          error = patternMatched
            ? `${String(regex)} matched, but its value is not a number`
            : `no line matching ${String(regex)} in the output`;
        } else {
          error = `no \`${metric}: <number>\` line in the output (${listNames(found.metrics)})`;
        }
      }
      const measurement: Measurement = {
        metrics: found.metrics,
        value,
        violations: checkConstraints(constraints, found.metrics),
      };
      if (value === undefined && error !== undefined) measurement.error = error;
      return measurement;
    },
    compare({ candidate, incumbent, noiseFloor, noiseRuns, confirmation }) {
      const fromNoise = noiseFloor === undefined ? 0 : noiseMultiple * noiseFloor;
      const rule = { metric, direction, minImprovement: Math.max(minImprovement, fromNoise) };
      switch (decision.rule) {
        case "welch":
          return compareByWelch(candidate, incumbent, { ...rule, alpha: decision.alpha });
        case "noise":
          return compareByNoise(candidate, incumbent, {
            ...rule,
            noiseFloor,
            noiseRuns,
            confirmation,
            screenLevel: decision.screenLevel,
            alpha: decision.alpha,
          });
        case "strictly-better":
          return {
            ...compareByThreshold(candidate, incumbent, { ...rule, minImprovement: 0 }),
            rule: "strictly-better",
          };
        default:
          return compareByThreshold(candidate, incumbent, rule);
      }
    },
  };
}
