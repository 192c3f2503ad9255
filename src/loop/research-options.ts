import { z } from "zod";
import { parseOptions } from "../errors/format-zod-error.js";
import { sandboxOptionSchema } from "../sandbox/sandbox-options.js";
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
export const evaluationSchema = z.strictObject({
  /** Runs per candidate, each with its own seed. */
  repeats: count(1).default(1),
  /**
   * Runs of the unchanged code at the start, for the noise floor. `"auto"` (default): with a noise-aware objective
   * (the metric objective's default rule), two runs, and up to five when those two differ; otherwise `repeats`.
   */
  baselineRepeats: z.union([count(1), z.literal("auto")]).default("auto"),
  /** Re-runs of the incumbent per candidate, interleaved with the candidate's runs, for a paired comparison. */
  incumbentRepeats: count(0).default(0),
  /**
   * Cheap-then-confirm: with `repeats: 1`, a candidate that looks better is run `confirm` more times (and the
   * incumbent as often, when `incumbentRepeats` > 0) before it may be kept. `"auto"` (default): with a noise-aware
   * objective and a noisy target, 3 more runs of the candidate and 3 fresh runs of the incumbent; otherwise none.
   */
  confirm: z.union([count(0), z.literal("auto")]).default("auto"),
  /** The environment variable that carries each run's seed to the experiment. */
  seedVariable: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
    .default("AUTORESEARCH_SEED"),
});

/** Runs of the candidate and of the incumbent that `confirm: "auto"` makes for a noisy target. */
export const autoConfirmRuns = 3;
/** The most runs `baselineRepeats: "auto"` makes when the first two differ. */
export const autoBaselineRuns = 5;

const environmentName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name");

/** One slot's settings: what distinguishes its runs from the other slots' (usually the GPU it owns). */
export const slotSchema = z.strictObject({
  /** Environment of this slot's runs, on top of the research's, e.g. `{ CUDA_VISIBLE_DEVICES: "3" }`. */
  env: z.record(environmentName, z.string()).default({}),
  /** A name for status and reports, e.g. `gpu3`. */
  name: z.string().min(1).optional(),
});

/** Stopping runs whose learning curve is clearly worse than the kept ones'. Needs `objective.readProgress`. */
export const earlyStoppingSchema = z.strictObject({
  /** Never stop a run before it reports this much progress (in the objective's progress units). */
  minProgress: z.number().nonnegative(),
  /**
   * `median`: stop when the run's value is worse than the median of the kept runs' values at the same progress
   * (each kept curve read at the last point at or before that progress), by more than `margin`.
   */
  rule: z.literal("median").default("median"),
  /** How much worse than the median is tolerated, as a fraction of the median's magnitude; 0 by default. */
  margin: z.number().nonnegative().default(0),
  /** Kept curves needed before anything is stopped (the baseline's counts); default 1. */
  minCurves: z.number().int().positive().default(1),
});

/**
 * Every research option, in one place: the config file's schema is derived from this one (src/config/config-schema.ts),
 * so an option added here is settable from a config file too. Objects are strict: an unknown key is an error that
 * names the nearest valid one.
 */
export const researchOptionsSchema = z.strictObject({
  /** The researched directory: a git repository or a folder inside one. */
  directory: z.string().min(1),
  /** Names the run: branch `autoresearch/<tag>`, state in `.autoresearch/<tag>/`. */
  tag: z.string().min(1),
  objective: role<Objective>("objective", "measure"),
  mutator: role<Mutator>("mutator", "propose"),
  runner: role<Runner>("runner", "run"),
  /** Defaults to the JSONL ledger in `.autoresearch/<tag>/`. */
  ledger: role<Ledger>("ledger", "append").optional(),
  scope: z.strictObject({
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
    .strictObject({
      runner: role<Runner>("runner", "run"),
      objective: role<Objective>("objective", "measure"),
      /** How much worse than the incumbent the holdout metric may be, in its own units. */
      tolerance: z.number().min(0).default(0),
    })
    .optional(),
  /**
   * Trials at once, each slot with its own worktree: a number, or one entry per slot with its environment (e.g.
   * `[{ env: { CUDA_VISIBLE_DEVICES: "0" } }, { env: { CUDA_VISIBLE_DEVICES: "1" } }]`). Default 1.
   */
  slots: z.union([count(1), z.array(slotSchema).min(1)]).default(1),
  /** `"auto"`: one slot per GPU that `nvidia-smi -L` lists, each seeing only its own; one slot when there is none. */
  gpus: z.literal("auto").optional(),
  /**
   * Proposals prepared ahead of a free slot, so a slot that finishes starts its next run at once. 0 (default):
   * each proposal is made when a slot is free and sees every result before it; more keeps the accelerator busy
   * while the proposer thinks, at the price of proposing before the latest results are in.
   */
  proposeAhead: count(0).default(0),
  /** How many proposals may be made at the same time; default: the number of slots plus `proposeAhead`. */
  maxConcurrentProposals: count(1).optional(),
  /** Stop runs early when their learning curve is clearly worse than the kept ones' (see `earlyStoppingSchema`). */
  earlyStopping: earlyStoppingSchema.optional(),
  /** Milliseconds since the epoch; tests and simulations pass their own. */
  clock: z
    .custom<() => number>((value) => typeof value === "function", "a function returning the time")
    .optional(),
  /**
   * The sealed test: a runner and objective (e.g. the test split of an eval suite) run once when the research
   * ends, `repeats` times each on the final best and on the baseline. Never used for a decision; reported in the
   * summary, `status` and the report. See docs/evaluation.md for which split is for what.
   */
  finalEvaluation: z
    .strictObject({
      runner: role<Runner>("runner", "run"),
      objective: role<Objective>("objective", "measure"),
      repeats: count(1).default(1),
    })
    .optional(),
  abortSignal: z.custom<AbortSignal>((value) => value instanceof AbortSignal).optional(),
  /**
   * How experiments and coding agents are confined (docs/security.md): `"auto"` (default) uses bubblewrap where it
   * works and says so once when it does not; `"required"` refuses to start without it; `false` runs them
   * unconfined, with the driver's whole environment.
   */
  sandbox: sandboxOptionSchema,
  /** More values to redact from everything the research records, shows or sends (keys it is given, tokens). */
  secrets: z.array(z.string().min(6, "a secret of at least 6 characters")).default([]),
  /**
   * Continue from the branch when something other than autoresearch moved it: its head is measured as a new
   * baseline. Without it, such a start stops with a message saying what differs.
   */
  acceptBranch: z.boolean().default(false),
});

export type ResearchOptions = z.input<typeof researchOptionsSchema>;
export type NormalizedResearchOptions = z.output<typeof researchOptionsSchema>;

export interface RunResearchOptions extends ResearchOptions {
  /** Called with every event, as `streamResearch` would yield it. */
  onEvent?: (event: ResearchEvent) => void;
}

export function normalizeResearchOptions(options: ResearchOptions): NormalizedResearchOptions {
  return parseOptions(researchOptionsSchema, options);
}
