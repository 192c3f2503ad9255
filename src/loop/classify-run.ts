import type { Objective } from "../spec/objective.js";
import type { Measurement, RunResult, TrialStatus } from "../spec/records.js";

/** The outcome of one run that went wrong, or `undefined` when it produced a usable measurement. */
export interface RunFailure {
  status: TrialStatus;
  reason: string;
}

/**
 * Whether the run's output is to be measured: it exited with 0, or with a code the objective declares a
 * measured outcome (promptfoo's 100 when a test failed), and was neither timed out nor interrupted.
 */
export function isMeasuredExit(result: RunResult, objective: Pick<Objective, "measuredExitCodes">): boolean {
  if (result.timedOut || result.interrupted || result.exitCode === null || result.failure !== undefined)
    return false;
  return result.exitCode === 0 || (objective.measuredExitCodes ?? []).includes(result.exitCode);
}

function describeExit(result: RunResult): string {
  if (result.signal !== null) return `killed by ${result.signal}`;
  return `exited with code ${result.exitCode}`;
}

/**
 * What went wrong with a run, if anything: tampering, stopped early (`pruned`, with its reason), an interruption,
 * a timeout, a crash (a runner's own failure, such as a scheduler's verdict, says more than the exit code, and
 * may come with exit 0), no metric.
 */
export function classifyRun(
  result: RunResult,
  measurement: Measurement,
  tampered: readonly string[],
  objective: Pick<Objective, "measuredExitCodes">,
  pruned?: string,
): RunFailure | undefined {
  if (tampered.length > 0) {
    return { status: "invalid", reason: `protected files changed during the run: ${tampered.join(", ")}` };
  }
  if (pruned !== undefined) return { status: "pruned", reason: pruned };
  if (result.interrupted) return { status: "interrupted", reason: "the research was stopped during the run" };
  if (result.timedOut) {
    const reason = result.failure?.reason ?? `timed out after ${(result.durationMs / 1000).toFixed(1)} s`;
    return { status: "timeout", reason };
  }
  if (result.failure !== undefined) return { status: "crash", reason: result.failure.reason };
  if (!isMeasuredExit(result, objective)) return { status: "crash", reason: describeExit(result) };
  if (measurement.value === undefined) {
    return { status: "crash", reason: measurement.error ?? "the objective's metric was not found" };
  }
  return undefined;
}
