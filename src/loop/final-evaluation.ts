import { join } from "node:path";
import { appendFinalEvaluation, readLatestFinalEvaluation } from "../ledgers/final-evaluation-file.js";
import type { ResearchEvent, StopReason } from "../spec/events.js";
import type { Objective } from "../spec/objective.js";
import type { CaseScores, FinalEvaluation, FinalEvaluationSide, TrialRecord } from "../spec/records.js";
import type { Runner } from "../spec/runner.js";
import type { SandboxPolicy } from "../spec/sandbox.js";
import type { Workspace } from "../workspace/workspace.js";
import { mergeCaseScores } from "./case-results.js";
import { measureRun } from "./measure-run.js";

/** The `finalEvaluation` option: the sealed test's runner and objective, and how many runs per side. */
export interface FinalEvaluationSettings {
  runner: Runner;
  objective: Objective;
  repeats: number;
}

export interface RunFinalEvaluationOptions {
  settings: FinalEvaluationSettings | undefined;
  workspace: Pick<
    Workspace,
    "tag" | "checkout" | "changedProtectedFiles" | "trialDirectory" | "stateDirectory"
  >;
  best: TrialRecord | undefined;
  baseline: TrialRecord | undefined;
  stopReason: StopReason;
  /** The environment of every run; the seed variable is set per run. */
  env: Record<string, string>;
  seedVariable: string;
  /** The research's sandbox policy for these runs and the secrets to redact, when it has them. */
  sandbox?: SandboxPolicy | undefined;
  secrets?: readonly string[] | undefined;
  emit: (event: ResearchEvent) => void;
  abortSignal: AbortSignal;
}

// A research that was stopped, or never had a measured baseline, has no final answer to test.
const untested: readonly StopReason[] = ["aborted", "baseline-failed"];

interface SideRuns {
  side: FinalEvaluationSide;
  caseRuns: (CaseScores | undefined)[];
}

function startSide(record: TrialRecord & { commit: string }): SideRuns {
  return {
    side: { trial: record.id, commit: record.commit, metric: null, metrics: {}, samples: [] },
    caseRuns: [],
  };
}

function finishSide({ side, caseRuns }: SideRuns): FinalEvaluationSide {
  const cases = mergeCaseScores(caseRuns);
  const metric =
    side.samples.length === 0
      ? null
      : side.samples.reduce((sum, value) => sum + value, 0) / side.samples.length;
  return { ...side, metric, ...(cases === undefined ? {} : { cases }) };
}

/**
 * The sealed test: when the research ends, runs the final evaluation on the final best and on the baseline,
 * `repeats` times each, interleaved, and appends the figures to `final-evaluation.jsonl`. Nothing the loop
 * decides ever reads them, and the proposer never sees them. A research that ends again with the same best and
 * baseline reuses the figures instead of testing again. Returns `undefined` when there is nothing to test (no
 * `finalEvaluation`, a stopped research, no baseline).
 */
export async function runFinalEvaluation(
  options: RunFinalEvaluationOptions,
): Promise<FinalEvaluation | undefined> {
  const { settings, workspace, best, baseline, emit, abortSignal } = options;
  if (settings === undefined || untested.includes(options.stopReason) || abortSignal.aborted)
    return undefined;
  if (best?.commit == null || baseline?.commit == null) return undefined;
  const bestRecord = best as TrialRecord & { commit: string };
  const baselineRecord = baseline as TrialRecord & { commit: string };

  const previous = await readLatestFinalEvaluation(workspace.stateDirectory);
  if (
    previous?.best.commit === bestRecord.commit &&
    previous.baseline.commit === baselineRecord.commit &&
    previous.best.metric !== null &&
    previous.baseline.metric !== null
  ) {
    emit({ type: "final-evaluation-end", finalEvaluation: previous });
    return previous;
  }

  emit({ type: "final-evaluation-start", best: bestRecord.id, baseline: baselineRecord.id });
  const startedAt = new Date().toISOString();
  const bestRuns = startSide(bestRecord);
  const baselineRuns = startSide(baselineRecord);
  const same = bestRecord.commit === baselineRecord.commit;
  const plan: [string, SideRuns][] = same
    ? [["best", bestRuns]]
    : [
        ["best", bestRuns],
        ["baseline", baselineRuns],
      ];
  runs: for (let sample = 0; sample < settings.repeats; sample++) {
    for (const [name, runs] of plan) {
      await workspace.checkout(runs.side.commit);
      const outcome = await measureRun({
        runner: settings.runner,
        objective: settings.objective,
        directory: workspace.trialDirectory,
        trial: runs.side.trial,
        logFile: join(workspace.stateDirectory, "logs", `final-${name}-${sample}.log`),
        env: {
          ...options.env,
          AUTORESEARCH_TAG: workspace.tag,
          AUTORESEARCH_TRIAL: String(runs.side.trial),
          AUTORESEARCH_SAMPLE: String(sample),
          [options.seedVariable]: String(sample),
        },
        changedProtectedFiles: () => workspace.changedProtectedFiles(),
        sandbox: options.sandbox,
        secrets: options.secrets,
        abortSignal,
      });
      if (outcome.failure !== undefined) {
        runs.side.error ??= `${outcome.failure.status}: ${outcome.failure.reason}`;
        if (outcome.failure.status === "interrupted") break runs;
        continue;
      }
      runs.side.samples.push(outcome.measurement.value as number);
      runs.side.metrics = outcome.measurement.metrics;
      runs.caseRuns.push(outcome.measurement.cases);
    }
  }

  const bestSide = finishSide(bestRuns);
  const baselineSide = same ? { ...bestSide, trial: baselineRecord.id } : finishSide(baselineRuns);
  const comparison =
    !same && bestSide.samples.length > 0 && baselineSide.samples.length > 0
      ? settings.objective.compare({
          candidate: bestSide.samples,
          incumbent: baselineSide.samples,
          ...(bestSide.cases === undefined || baselineSide.cases === undefined
            ? {}
            : { candidateCases: bestSide.cases, incumbentCases: baselineSide.cases }),
        })
      : undefined;
  const finalEvaluation: FinalEvaluation = {
    tag: workspace.tag,
    metric: settings.objective.metric,
    direction: settings.objective.direction,
    best: bestSide,
    baseline: baselineSide,
    ...(comparison === undefined ? {} : { comparison }),
    startedAt,
    endedAt: new Date().toISOString(),
  };
  await appendFinalEvaluation(workspace.stateDirectory, finalEvaluation);
  emit({ type: "final-evaluation-end", finalEvaluation });
  return finalEvaluation;
}
