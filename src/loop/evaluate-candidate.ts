import type { CaseScores, Comparison, TrialRecord, TrialStatus } from "../spec/records.js";
import { caseCompareOptions, mergeCaseScores } from "./case-results.js";
import { shouldStopEarly } from "./early-stopping.js";
import type { InFlightTrial } from "./in-flight.js";
import type { LoopContext, Slot } from "./loop-context.js";
import { autoBaselineRuns, autoConfirmRuns } from "./research-options.js";
import { runOnce } from "./run-once.js";
import type { Evaluation, RunOutcome } from "./trial-record.js";

export interface EvaluateOptions {
  slot: Slot;
  trial: InFlightTrial;
  /** The commit measured. */
  commit: string;
  /** The incumbent the candidate must beat: the trial's parent. Absent for the baseline. */
  reference: TrialRecord | undefined;
  isBaseline: boolean;
}

type Failure = { status: TrialStatus; reason: string };

function samplesOf(record: TrialRecord | undefined): number[] {
  if (record === undefined) return [];
  if (record.samples !== undefined && record.samples.length > 0) return record.samples;
  return record.metric === null ? [] : [record.metric];
}

function standardDeviation(values: readonly number[]): number {
  const average = values.reduce((sum, value) => sum + value, 0) / values.length;
  return Math.sqrt(values.reduce((sum, value) => sum + (value - average) ** 2, 0) / (values.length - 1));
}

/** The baseline's comparison holds the noise floor its repeated runs measured. */
export function baselineStatistics(samples: readonly number[]): { comparison: Comparison } | undefined {
  if (samples.length < 2) return undefined;
  return {
    comparison: {
      better: false,
      delta: 0,
      reason: `noise floor from ${samples.length} baseline runs`,
      rule: "baseline",
      statistics: {
        mean: samples.reduce((sum, value) => sum + value, 0) / samples.length,
        sd: standardDeviation(samples),
      },
    },
  };
}

/**
 * Measures a candidate in a slot and decides: its runs (repeats), the incumbent's re-runs interleaved for a
 * paired comparison, the objective's comparison, the confirmation runs of a candidate that looks better, and the
 * holdout of one about to be kept. A failed run ends the evaluation with that run's status.
 */
export async function evaluateCandidate(context: LoopContext, options: EvaluateOptions): Promise<Evaluation> {
  const { state } = context;
  const { objective, runner, evaluation } = context.options;
  const { slot, trial, commit, reference, isBaseline } = options;
  const samples: number[] = [];
  const incumbentSamples: number[] = [];
  // Per case, for objectives that measure cases (an eval suite): each run's scores, paired by the rule.
  const candidateCases: (CaseScores | undefined)[] = [];
  const incumbentCases: (CaseScores | undefined)[] = [];
  let last: RunOutcome | undefined;
  let runMs = 0;
  const noiseAware = objective.noiseAware === true;
  const referenceCommit = reference?.commit ?? undefined;
  const incumbentRuns = isBaseline || referenceCommit === undefined ? 0 : evaluation.incumbentRepeats;
  const rechecked = referenceCommit === undefined ? [] : state.rechecks(referenceCommit);
  const noise = state.noiseFloor();
  // "auto": a noisy target's candidate that looks better is confirmed against fresh runs of the incumbent.
  const confirmRuns =
    evaluation.confirm === "auto"
      ? noiseAware && (noise ?? 0) > 0
        ? autoConfirmRuns
        : 0
      : evaluation.confirm;
  const confirmIncumbent = evaluation.confirm === "auto" ? confirmRuns > 0 : incumbentRuns > 0;
  const earlyStopping = context.options.earlyStopping;
  const onProgress =
    isBaseline || earlyStopping === undefined
      ? undefined
      : (point: { progress: number; value: number }) =>
          shouldStopEarly(earlyStopping, objective.direction, state.keptCurves(), point);

  const runBatch = async (
    from: number,
    count: number,
    incumbentCount: number,
  ): Promise<Failure | undefined> => {
    const total = from + count;
    for (let index = 0; index < Math.max(count, incumbentCount); index++) {
      const sample = from + index;
      if (index < count) {
        last = await runOnce(context, {
          slot,
          commit,
          trial,
          sample,
          of: total,
          role: "candidate",
          judge: { runner, objective },
          ...(onProgress === undefined ? {} : { onProgress }),
        });
        runMs += last.result.durationMs;
        if (last.failure !== undefined) return last.failure;
        samples.push(last.measurement.value as number);
        candidateCases.push(last.measurement.cases);
      }
      if (index < incumbentCount && referenceCommit !== undefined) {
        const again = await runOnce(context, {
          slot,
          commit: referenceCommit,
          trial,
          sample,
          of: total,
          role: "incumbent",
          judge: { runner, objective },
        });
        runMs += again.result.durationMs;
        if (again.result.interrupted) return { status: "interrupted", reason: "the research was stopped" };
        if (again.failure === undefined) {
          incumbentSamples.push(again.measurement.value as number);
          rechecked.push(again.measurement.value as number);
          incumbentCases.push(again.measurement.cases);
        }
      }
    }
    return undefined;
  };

  const ended = (failure: Failure, extra: Partial<Evaluation> = {}): Evaluation => {
    const cases = mergeCaseScores(candidateCases);
    return {
      ...failure,
      samples,
      incumbentSamples,
      last,
      runMs,
      ...(cases === undefined ? {} : { cases }),
      ...extra,
    };
  };

  if (isBaseline) {
    const { baselineRepeats } = evaluation;
    const first =
      typeof baselineRepeats === "number"
        ? baselineRepeats
        : noiseAware
          ? Math.max(2, evaluation.repeats)
          : evaluation.repeats;
    const failure = await runBatch(0, first, 0);
    if (failure !== undefined) return ended(failure);
    // Runs that differ mean a noisy target: measure enough of them for a noise floor worth deciding against.
    const noisy = samples.some((value) => value !== samples[0]);
    if (baselineRepeats === "auto" && noiseAware && noisy && samples.length < autoBaselineRuns) {
      const more = await runBatch(samples.length, autoBaselineRuns - samples.length, 0);
      if (more !== undefined) return ended(more);
    }
    return ended({ status: "keep", reason: "baseline" });
  }

  const failure = await runBatch(0, evaluation.repeats, incumbentRuns);
  if (failure !== undefined) return ended(failure);
  const measurement = (last as RunOutcome | undefined)?.measurement;
  if (measurement !== undefined && measurement.violations.length > 0) {
    return ended({ status: "discard", reason: `constraint violated: ${measurement.violations.join("; ")}` });
  }
  const noiseRuns = state.baseline()?.samples?.length;
  const compare = (confirmation?: { candidate: number[]; incumbent: number[] }) =>
    objective.compare({
      candidate: samples,
      incumbent:
        incumbentRuns > 0 && rechecked.length > 0 ? rechecked : [...samplesOf(reference), ...rechecked],
      ...(noise === undefined ? {} : { noiseFloor: noise }),
      ...(noiseRuns === undefined ? {} : { noiseRuns }),
      ...(confirmation === undefined ? {} : { confirmation }),
      ...caseCompareOptions(candidateCases, incumbentCases, reference),
    });
  let comparison = compare();
  if (comparison.better && confirmRuns > 0) {
    const screened = samples.length;
    const freshFrom = incumbentSamples.length;
    const confirmFailure = await runBatch(screened, confirmRuns, confirmIncumbent ? confirmRuns : 0);
    if (confirmFailure !== undefined) return ended(confirmFailure);
    comparison = compare({
      candidate: samples.slice(screened),
      incumbent: incumbentSamples.slice(freshFrom),
    });
  }
  let holdout: TrialRecord["holdout"];
  let reason = comparison.reason;
  if (comparison.better && context.options.holdout !== undefined) {
    const judged = await runHoldout(context, options);
    runMs += judged.runMs;
    if (judged.failure !== undefined) return ended(judged.failure, { comparison });
    holdout = judged.holdout;
    if (!holdout.passed) {
      reason = `${comparison.reason}; but the holdout regressed: ${holdout.metric} vs ${holdout.incumbent}`;
    }
  }
  const keep = comparison.better && (holdout === undefined || holdout.passed);
  return ended(
    { status: keep ? "keep" : "discard", reason },
    { comparison, ...(holdout === undefined ? {} : { holdout }) },
  );
}

/**
 * The holdout of a candidate about to be kept, and of its incumbent when that figure is not known yet (measured
 * once per incumbent). Each holdout run writes its own log.
 */
async function runHoldout(
  context: LoopContext,
  options: EvaluateOptions,
): Promise<
  | { runMs: number; holdout: NonNullable<TrialRecord["holdout"]>; failure: undefined }
  | { runMs: number; failure: Failure }
> {
  const judge = context.options.holdout as NonNullable<typeof context.options.holdout>;
  const { slot, trial, commit, reference } = options;
  const { holdouts } = context.state;
  let runMs = 0;
  const referenceCommit = reference?.commit ?? undefined;
  if (
    referenceCommit !== undefined &&
    !holdouts.has(referenceCommit) &&
    typeof reference?.holdout?.metric === "number"
  ) {
    holdouts.set(referenceCommit, reference.holdout.metric);
  }
  if (referenceCommit !== undefined && (holdouts.get(referenceCommit) ?? null) === null) {
    const outcome = await runOnce(context, {
      slot,
      commit: referenceCommit,
      trial,
      sample: 0,
      of: 1,
      role: "holdout-incumbent",
      judge,
    });
    runMs += outcome.result.durationMs;
    if (outcome.result.interrupted) {
      return { runMs, failure: { status: "interrupted", reason: "the research was stopped" } };
    }
    holdouts.set(referenceCommit, outcome.failure === undefined ? (outcome.measurement.value ?? null) : null);
  }
  const candidate = await runOnce(context, { slot, commit, trial, sample: 0, of: 1, role: "holdout", judge });
  runMs += candidate.result.durationMs;
  if (candidate.failure !== undefined) {
    return { runMs, failure: { ...candidate.failure, reason: `holdout: ${candidate.failure.reason}` } };
  }
  const value = candidate.measurement.value as number;
  const incumbentValue = referenceCommit === undefined ? null : (holdouts.get(referenceCommit) ?? null);
  const worse =
    incumbentValue === null
      ? 0
      : judge.objective.direction === "minimize"
        ? value - incumbentValue
        : incumbentValue - value;
  return {
    runMs,
    holdout: { metric: value, incumbent: incumbentValue, passed: worse <= judge.tolerance },
    failure: undefined,
  };
}
