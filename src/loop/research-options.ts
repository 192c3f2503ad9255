import { z } from "zod";
import { toConfigurationError } from "../errors/format-zod-error.js";
import type { ResearchEvent, StopCondition } from "../spec/events.js";
import type { Ledger } from "../spec/ledger.js";
import type { Mutator } from "../spec/mutator.js";
import type { Objective } from "../spec/objective.js";
import type { Runner } from "../spec/runner.js";

function role<T>(name: string, method: string) {
  return z.custom<T>(
    (value) =>
      typeof value === "object" &&
      value !== null &&
      typeof (value as Record<string, unknown>)[method] === "function",
    { message: `expected a ${name} (an object with a \`${method}\` method)` },
  );
}

const stopConditionSchema = z.custom<StopCondition>((value) => typeof value === "function", {
  message: "expected a stop condition (a function of the research state, e.g. isTrialCount(20))",
});

const count = (minimum: number) => z.number().int().min(minimum);

/** How many runs measure a candidate, and how it is compared against the incumbent. */
export const evaluationSchema = z.object({
  /** Runs per candidate, each with its own seed. */
  repeats: count(1).default(1),
  /** Runs of the unchanged code at the start, to estimate the noise floor. Defaults to `repeats`. */
  baselineRepeats: count(1).optional(),
  /** Re-runs of the incumbent per candidate, interleaved with the candidate's runs, for a paired comparison. */
  incumbentRepeats: count(0).default(0),
  /**
   * Cheap-then-confirm: with `repeats: 1`, a candidate that looks better is run `confirm` more times (and the
   * incumbent as often, when `incumbentRepeats` > 0) before it may be kept.
   */
  confirm: count(0).default(0),
  /** The environment variable that carries each run's seed to the experiment. */
  seedVariable: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
    .default("AUTORESEARCH_SEED"),
});

export const researchOptionsSchema = z.object({
  /** The researched directory: a git repository or a folder inside one. */
  directory: z.string().min(1),
  /** Names the run: branch `autoresearch/<tag>`, state in `.autoresearch/<tag>/`. */
  tag: z.string().min(1),
  objective: role<Objective>("objective", "measure"),
  mutator: role<Mutator>("mutator", "propose"),
  runner: role<Runner>("runner", "run"),
  /** Defaults to the JSONL ledger in `.autoresearch/<tag>/`. */
  ledger: role<Ledger>("ledger", "append").optional(),
  scope: z.object({
    editable: z.array(z.string().min(1)).min(1),
    protected: z.array(z.string().min(1)).default([]),
  }),
  /** Any condition returning a reason stops the research before the next trial. Without one, it runs until aborted. */
  stopWhen: z.union([stopConditionSchema, z.array(stopConditionSchema)]).optional(),
  evaluation: evaluationSchema.prefault({}),
  /** How many times the mutator may try to repair a crashed trial, each attempt a trial of its own. */
  repairAttempts: count(0).default(0),
  /** Extra environment for every run. */
  env: z.record(z.string(), z.string()).default({}),
  /** Stop after this many proposals in a row failed (the mutator cannot produce anything useful). */
  maxConsecutiveFailures: count(1).default(5),
  /** Run the unchanged code first. Only turn off when resuming a ledger that has a baseline. */
  baseline: z.boolean().default(true),
  /**
   * A second evaluation (e.g. on held-out data) run only for a candidate about to be kept, and for the incumbent
   * when its holdout figure is not known yet. The keep requires no regression there beyond `tolerance`.
   */
  holdout: z
    .object({
      runner: role<Runner>("runner", "run"),
      objective: role<Objective>("objective", "measure"),
      /** How much worse than the incumbent the holdout metric may be, in its own units. */
      tolerance: z.number().min(0).default(0),
    })
    .optional(),
  /**
   * The sealed test: a runner and objective (e.g. the test split of an eval suite) run once when the research
   * ends, `repeats` times each on the final best and on the baseline. Never used for a decision; reported in the
   * summary, `status` and the report. See docs/evaluation.md for which split is for what.
   */
  finalEvaluation: z
    .object({
      runner: role<Runner>("runner", "run"),
      objective: role<Objective>("objective", "measure"),
      repeats: count(1).default(1),
    })
    .optional(),
  abortSignal: z.custom<AbortSignal>((value) => value instanceof AbortSignal).optional(),
});

export type ResearchOptions = z.input<typeof researchOptionsSchema>;
export type NormalizedResearchOptions = z.output<typeof researchOptionsSchema>;

export interface RunResearchOptions extends ResearchOptions {
  /** Called with every event, as `streamResearch` would yield it. */
  onEvent?: (event: ResearchEvent) => void;
}

export function normalizeResearchOptions(options: ResearchOptions): NormalizedResearchOptions {
  const parsed = researchOptionsSchema.safeParse(options);
  if (!parsed.success) throw toConfigurationError(parsed.error, options);
  return parsed.data;
}
