import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { ConfigurationError, LedgerError } from "../errors/autoresearch-error.js";
import { toConfigurationError } from "../errors/format-zod-error.js";
import { readLedgerFile } from "../ledgers/jsonl-ledger.js";
import { mergeCaseScores } from "../loop/case-results.js";
import { measureRun } from "../loop/measure-run.js";
import type { Objective } from "../spec/objective.js";
import type { CaseScores, Comparison, TrialRecord } from "../spec/records.js";
import type { Runner } from "../spec/runner.js";
import { type AblationWorktree, openAblationWorktree } from "./ablation-worktree.js";
import { type Contribution, contributionOf } from "./contribution.js";

const ablateOptionsSchema = z.strictObject({
  /** The researched directory. */
  directory: z.string().min(1),
  tag: z.string().min(1),
  /** How to run and measure the experiment: the research's own runner and objective. */
  runner: z.custom<Runner>((value) => typeof (value as Runner | undefined)?.run === "function", "a runner"),
  objective: z.custom<Objective>(
    (value) => typeof (value as Objective | undefined)?.measure === "function",
    "an objective",
  ),
  /** Runs of the best and of each variant, interleaved. */
  repeats: z.number().int().min(1).default(3),
  /** Protected files: a run that changes one is a failed run, as in the research. */
  protected: z.array(z.string()).default([]),
  env: z.record(z.string(), z.string()).default({}),
  seedVariable: z.string().default("AUTORESEARCH_SEED"),
  /** Also write a branch of this name: the best without the changes whose removal does not hurt. */
  writeBranch: z.string().min(1).optional(),
  /** Called with a line of progress now and then. */
  onProgress: z.custom<(line: string) => void>((value) => typeof value === "function").optional(),
  abortSignal: z.instanceof(AbortSignal).optional(),
});

/** Options of {@link runAblation}. */
export type AblateOptions = z.input<typeof ablateOptionsSchema>;

/** A variant measured by the ablation: its runs and their per-case results. */
export interface AblationMeasurement {
  commit: string;
  samples: number[];
  metric: number | null;
  cases?: CaseScores;
  /** The first failed run's reason, when one failed. */
  error?: string;
}

/** One kept change, and what the best is without it. */
export interface AblatedChange {
  trial: number;
  description: string;
  commit: string;
  /** The files that conflicted when later kept changes built on this one; nothing was measured then. */
  conflict?: string[];
  without?: AblationMeasurement;
  /** Best minus without, oriented so that positive means the change helps. */
  contribution?: Contribution;
  /** The objective's own rule on best (candidate) against the best without the change (incumbent). */
  comparison?: Comparison;
  /** True when, by the objective's own rule, the best is not better than the best without this change: removing it does not hurt. */
  removable: boolean;
}

/** What `runAblation` found; also written to `.autoresearch/<tag>/ablation.json`. */
export interface AblationResult {
  tag: string;
  metric: string;
  direction: "minimize" | "maximize";
  repeats: number;
  best: AblationMeasurement & { trial: number };
  changes: AblatedChange[];
  /** Trials whose change can go without hurting. */
  removable: number[];
  /** The branch written without the removable changes, when asked for and possible. */
  branch?: {
    name: string;
    removed: number[];
    measurement?: AblationMeasurement;
    comparison?: Comparison;
    error?: string;
  };
  startedAt: string;
  endedAt: string;
}

interface Variant {
  name: string;
  /** The trial whose commit it is, or whose change it lacks: what the runner is told it runs. */
  trial: number;
  commit: string;
  samples: number[];
  caseRuns: (CaseScores | undefined)[];
  error?: string;
}

function keptChanges(records: readonly TrialRecord[]): (TrialRecord & { commit: string })[] {
  return records.filter(
    (record): record is TrialRecord & { commit: string } =>
      record.status === "keep" && record.kind !== "baseline" && record.commit !== null,
  );
}

function toMeasurement(variant: Variant): AblationMeasurement {
  const cases = mergeCaseScores(variant.caseRuns);
  const metric =
    variant.samples.length === 0
      ? null
      : variant.samples.reduce((sum, value) => sum + value, 0) / variant.samples.length;
  return {
    commit: variant.commit,
    samples: variant.samples,
    metric,
    ...(cases === undefined ? {} : { cases }),
    ...(variant.error === undefined ? {} : { error: variant.error }),
  };
}

/** The noise floor from repeated runs of the same code (their standard deviation), when there are two or more. */
function noiseOf(samples: readonly number[]): { noiseFloor?: number; noiseRuns?: number } {
  if (samples.length < 2) return {};
  const mean = samples.reduce((sum, value) => sum + value, 0) / samples.length;
  const variance = samples.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (samples.length - 1);
  return { noiseFloor: Math.sqrt(variance), noiseRuns: samples.length };
}

/**
 * Re-measures the best of a research with each kept change undone (`git revert` of its commit onto the best,
 * in a worktree of its own), `repeats` times each, interleaved with runs of the best itself. Reports what each
 * change contributes, with its uncertainty, and names those whose removal does not hurt by the objective's own
 * keep rule. With `writeBranch`, writes a branch of the best without them (measured too). The user's checkout
 * and the research branch are never touched.
 */
export async function runAblation(options: AblateOptions): Promise<AblationResult> {
  const parsed = ablateOptionsSchema.safeParse(options);
  if (!parsed.success) throw toConfigurationError(parsed.error, options);
  const { directory, tag, runner, objective, repeats, env, seedVariable, writeBranch } = parsed.data;
  const abortSignal = parsed.data.abortSignal ?? new AbortController().signal;
  const progress = parsed.data.onProgress ?? (() => undefined);
  const state = join(directory, ".autoresearch", tag);
  const records = await readLedgerFile(join(state, "ledger.jsonl"));
  if (records.length === 0)
    throw new LedgerError({ message: `No trials recorded for tag "${tag}" in ${state}` });
  const kept = keptChanges(records);
  const best = kept.at(-1);
  if (best === undefined) {
    throw new ConfigurationError({
      field: "tag",
      message: `The research ${tag} kept no change: there is nothing to ablate`,
    });
  }
  const startedAt = new Date().toISOString();
  const worktree = await openAblationWorktree({ directory, tag, protected: parsed.data.protected });
  try {
    const bestVariant: Variant = {
      name: "best",
      trial: best.id,
      commit: best.commit,
      samples: [],
      caseRuns: [],
    };
    const changes: { record: TrialRecord & { commit: string }; variant?: Variant; conflict?: string[] }[] =
      [];
    for (const record of kept) {
      const reverted = await worktree.revert(
        best.commit,
        [record.commit],
        `autoresearch ablate ${tag}: best without trial ${record.id}`,
      );
      if ("conflict" in reverted) changes.push({ record, conflict: reverted.conflict });
      else
        changes.push({
          record,
          variant: {
            name: `without-${record.id}`,
            trial: record.id,
            commit: reverted.commit,
            samples: [],
            caseRuns: [],
          },
        });
    }
    const variants = [
      bestVariant,
      ...changes.flatMap((change) => (change.variant === undefined ? [] : [change.variant])),
    ];
    const context: MeasureContext = {
      tag,
      worktree,
      runner,
      objective,
      repeats,
      env,
      seedVariable,
      state,
      abortSignal,
      progress,
    };
    await measureVariants(variants, context);

    const bestMeasurement = toMeasurement(bestVariant);
    const ablated: AblatedChange[] = changes.map(({ record, variant, conflict }) => {
      const base = { trial: record.id, description: record.description, commit: record.commit };
      if (variant === undefined) return { ...base, conflict: conflict ?? [], removable: false };
      const without = toMeasurement(variant);
      const contribution = contributionOf(bestMeasurement, without, objective.direction);
      const comparison =
        without.samples.length > 0 && bestMeasurement.samples.length > 0
          ? objective.compare({
              candidate: bestMeasurement.samples,
              incumbent: without.samples,
              // The best's repeated runs are the noise of unchanged code, and both sides' runs are fresh and
              // interleaved: what the noise rule's confirmation test needs.
              ...noiseOf(bestMeasurement.samples),
              confirmation: { candidate: bestMeasurement.samples, incumbent: without.samples },
              ...(bestMeasurement.cases === undefined || without.cases === undefined
                ? {}
                : { candidateCases: bestMeasurement.cases, incumbentCases: without.cases }),
            })
          : undefined;
      return {
        ...base,
        without,
        ...(contribution === undefined ? {} : { contribution }),
        ...(comparison === undefined ? {} : { comparison }),
        removable: comparison !== undefined && !comparison.better,
      };
    });
    const removable = ablated.filter((change) => change.removable).map((change) => change.trial);
    const result: AblationResult = {
      tag,
      metric: objective.metric,
      direction: objective.direction,
      repeats,
      best: { ...bestMeasurement, trial: best.id },
      changes: ablated,
      removable,
      startedAt,
      endedAt: startedAt,
    };
    if (writeBranch !== undefined) {
      result.branch = await writePrunedBranch(writeBranch, result, kept, context);
    }
    result.endedAt = new Date().toISOString();
    await writeFile(join(state, "ablation.json"), `${JSON.stringify(result, null, 2)}\n`);
    return result;
  } finally {
    await worktree.close();
  }
}

interface MeasureContext {
  tag: string;
  worktree: AblationWorktree;
  runner: Runner;
  objective: Objective;
  repeats: number;
  env: Record<string, string>;
  seedVariable: string;
  state: string;
  abortSignal: AbortSignal;
  progress: (line: string) => void;
}

/** Runs every variant `repeats` times, round by round, so that drift hits them all alike. */
async function measureVariants(variants: readonly Variant[], context: MeasureContext): Promise<void> {
  const { worktree, abortSignal } = context;
  for (let sample = 0; sample < context.repeats; sample++) {
    for (const variant of variants) {
      abortSignal.throwIfAborted();
      context.progress(`run ${sample + 1}/${context.repeats}: ${variant.name}`);
      await worktree.checkout(variant.commit);
      const outcome = await measureRun({
        runner: context.runner,
        objective: context.objective,
        directory: worktree.directory,
        trial: variant.trial,
        logFile: join(context.state, "logs", `ablate-${variant.name}-${sample}.log`),
        env: {
          ...context.env,
          AUTORESEARCH_TAG: context.tag,
          AUTORESEARCH_SAMPLE: String(sample),
          [context.seedVariable]: String(sample),
        },
        changedProtectedFiles: () => worktree.changedProtectedFiles(),
        abortSignal,
      });
      if (outcome.failure !== undefined) {
        variant.error ??= `${outcome.failure.status}: ${outcome.failure.reason}`;
        continue;
      }
      variant.samples.push(outcome.measurement.value as number);
      variant.caseRuns.push(outcome.measurement.cases);
    }
  }
}

/** Writes the best without its removable changes to a branch, measured against the best. */
async function writePrunedBranch(
  name: string,
  result: AblationResult,
  kept: readonly (TrialRecord & { commit: string })[],
  context: MeasureContext,
): Promise<NonNullable<AblationResult["branch"]>> {
  const removed = result.removable;
  const commits = kept
    .filter((record) => removed.includes(record.id))
    .map((record) => record.commit)
    .reverse();
  const base = result.best.commit;
  if (commits.length === 0) {
    await context.worktree.createBranch(name, base);
    return { name, removed };
  }
  const pruned = await context.worktree.revert(
    base,
    commits,
    `autoresearch ablate ${result.tag}: best without trial${removed.length > 1 ? "s" : ""} ${removed.join(", ")}`,
  );
  if ("conflict" in pruned) {
    return {
      name,
      removed,
      error: `the removable changes conflict when undone together: ${pruned.conflict.join(", ")}`,
    };
  }
  const variant: Variant = {
    name: "pruned",
    trial: result.best.trial,
    commit: pruned.commit,
    samples: [],
    caseRuns: [],
  };
  await measureVariants([variant], context);
  const measurement = toMeasurement(variant);
  await context.worktree.createBranch(name, pruned.commit);
  const comparison =
    measurement.samples.length > 0 && result.best.samples.length > 0
      ? context.objective.compare({
          candidate: result.best.samples,
          incumbent: measurement.samples,
          ...(result.best.cases === undefined || measurement.cases === undefined
            ? {}
            : { candidateCases: result.best.cases, incumbentCases: measurement.cases }),
        })
      : undefined;
  return { name, removed, measurement, ...(comparison === undefined ? {} : { comparison }) };
}
