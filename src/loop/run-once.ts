import { join } from "node:path";
import type { Objective } from "../spec/objective.js";
import type { Curve, RunResult } from "../spec/records.js";
import type { Runner } from "../spec/runner.js";
import type { SandboxPolicy } from "../spec/sandbox.js";
import { classifyRun, isMeasuredExit } from "./classify-run.js";
import type { InFlightTrial } from "./in-flight.js";
import { noteRunStart, writeInFlightSync } from "./in-flight.js";
import type { LoopContext, Slot } from "./loop-context.js";
import { emptyMeasurement, runnerFailure } from "./measure-run.js";
import { researchEnvironment } from "./preflight.js";
import type { RunOutcome } from "./trial-record.js";

/** Which run of a trial this is: the candidate's, the incumbent's re-measurement, or a holdout evaluation. */
export type RunRole = "candidate" | "incumbent" | "holdout" | "holdout-incumbent";

export interface RunOnceOptions {
  slot: Slot;
  /** The commit to run, checked out in the slot's worktree first. */
  commit: string;
  trial: InFlightTrial;
  /** The run's number within its role (0-based), and how many the role has so far. */
  sample: number;
  of: number;
  role: RunRole;
  /** The runner and objective that judge this run: the research's, or the holdout's. */
  judge: { runner: Runner; objective: Objective };
  /**
   * Called with each progress point the objective reads from the output; returning a reason stops the run early
   * (it is then `pruned`).
   */
  onProgress?: (point: { progress: number; value: number }) => string | undefined;
}

/** The log's file name: each run of a trial keeps its own. */
export function logName(trial: number, role: RunRole, sample: number): string {
  switch (role) {
    case "incumbent":
      return `${trial}-incumbent-${sample}`;
    case "holdout":
      return `${trial}-holdout`;
    case "holdout-incumbent":
      return `${trial}-holdout-incumbent`;
    default:
      // The first run is always <trial>.log, whether more follow (repeats, confirmation) or not.
      return sample === 0 ? `${trial}` : `${trial}-${sample}`;
  }
}

/** What a runner gets of the research's guard: the sandbox policy of a run in this slot and the secrets. */
function sandboxRunOptions(
  context: LoopContext,
  slot: Slot,
): { sandbox?: SandboxPolicy; secrets: readonly string[] } {
  const policy = context.guard.runPolicy(slot.worktree);
  return { ...(policy === undefined ? {} : { sandbox: policy }), secrets: context.guard.secrets };
}

/**
 * One run of the experiment in a slot: check out the commit, run it with the slot's environment, check the
 * protected files, measure. What went wrong is part of the outcome, never an exception.
 */
export async function runOnce(context: LoopContext, options: RunOnceOptions): Promise<RunOutcome> {
  const { workspace } = context;
  const { slot, commit, trial, sample, of, role, judge } = options;
  await slot.worktree.checkout(commit);
  const directory = slot.worktree.directory;
  context.emit({
    type: "run-start",
    trial: trial.id,
    sample,
    of,
    role: role === "holdout-incumbent" ? "holdout" : role,
    slot: slot.index,
  });
  const logFile = join(workspace.stateDirectory, "logs", `${logName(trial.id, role, sample)}.log`);
  // The run stops when the research does, or when its curve says it is hopeless.
  const controller = new AbortController();
  const stopWithResearch = () => controller.abort(context.abortSignal.reason);
  if (context.abortSignal.aborted) stopWithResearch();
  context.abortSignal.addEventListener("abort", stopWithResearch, { once: true });
  const curve: Curve = [];
  let pruned: string | undefined;
  const readProgress = judge.objective.readProgress?.bind(judge.objective);
  const started = context.now();
  let result: RunResult;
  try {
    result = await judge.runner.run({
      directory,
      trial: trial.id,
      sample,
      slot: slot.index,
      logFile,
      env: {
        ...context.options.env,
        ...slot.env,
        ...researchEnvironment(workspace),
        ...context.guard.environment,
        AUTORESEARCH_TRIAL: String(trial.id),
        AUTORESEARCH_SAMPLE: String(sample),
        AUTORESEARCH_SLOT: String(slot.index),
        [context.options.evaluation.seedVariable]: String(sample),
      },
      ...sandboxRunOptions(context, slot),
      onLine: (line) => {
        context.emit(
          { type: "run-line", trial: trial.id, line: context.guard.redactText(line), slot: slot.index },
          { droppable: true },
        );
        if (readProgress === undefined || pruned !== undefined) return;
        const point = readProgress(line);
        if (point === undefined || !Number.isFinite(point.progress) || !Number.isFinite(point.value)) return;
        curve.push([point.progress, point.value]);
        context.emit(
          { type: "run-progress", trial: trial.id, slot: slot.index, ...point },
          { droppable: true },
        );
        const hopeless = options.onProgress?.(point);
        if (hopeless !== undefined) {
          pruned = `stopped early at progress ${point.progress}: ${judge.objective.metric} ${point.value} is worse than the ${hopeless}`;
          controller.abort(new Error(pruned));
        }
      },
      onStart: (info) => {
        noteRunStart(trial, info);
        // Synchronously, so the group or job is on disk before the experiment gets far.
        writeInFlightSync(workspace.stateDirectory, trial);
      },
      abortSignal: controller.signal,
    });
  } catch (error) {
    result = {
      ...runnerFailure(error, logFile, context.now() - started),
      interrupted: controller.signal.aborted,
    };
  } finally {
    context.abortSignal.removeEventListener("abort", stopWithResearch);
  }
  result = context.guard.redact(result);
  // A pruned run was stopped by us, not by the research.
  if (pruned !== undefined && !context.abortSignal.aborted) result = { ...result, interrupted: false };
  else pruned = undefined;
  const tampered = await slot.worktree.changedProtectedFiles();
  const ran = isMeasuredExit(result, judge.objective) && tampered.length === 0;
  let measurement = emptyMeasurement;
  if (ran && pruned === undefined) {
    try {
      measurement = await judge.objective.measure({
        run: result,
        directory,
        abortSignal: context.abortSignal,
      });
    } catch (error) {
      // An objective that throws is a failed measurement of this run, not a failure of the research.
      if (context.abortSignal.aborted) result = { ...result, interrupted: true };
      const message = error instanceof Error ? error.message : String(error);
      measurement = { ...emptyMeasurement, error: `the objective failed: ${message}` };
    }
  }
  measurement = context.guard.redact(measurement);
  context.emit({ type: "run-end", trial: trial.id, result, measurement, slot: slot.index });
  return {
    result,
    measurement,
    failure: classifyRun(result, measurement, tampered, judge.objective, pruned),
    curve,
  };
}
