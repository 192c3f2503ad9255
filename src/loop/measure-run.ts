import type { Objective } from "../spec/objective.js";
import type { Measurement, RunResult } from "../spec/records.js";
import type { Runner, RunStartInfo } from "../spec/runner.js";
import type { SandboxPolicy } from "../spec/sandbox.js";
import { classifyRun, isMeasuredExit, type RunFailure } from "./classify-run.js";

export interface MeasureRunOptions {
  runner: Runner;
  objective: Objective;
  /** Where the experiment runs. */
  directory: string;
  trial: number;
  logFile: string;
  env: Record<string, string>;
  onLine?: (line: string) => void;
  onStart?: (info: RunStartInfo) => void;
  /** The research's sandbox policy of this run and the secrets to redact, when it has them. */
  sandbox?: SandboxPolicy | undefined;
  secrets?: readonly string[] | undefined;
  /** The protected files the run changed, checked once it ended. */
  changedProtectedFiles: () => Promise<string[]>;
  abortSignal: AbortSignal;
}

/** One run measured outside the research loop (a sealed test, an ablation). */
export interface MeasuredRun {
  result: RunResult;
  measurement: Measurement;
  failure: RunFailure | undefined;
  /** Protected files the run changed; the checkout is no longer the commit it ran. */
  tampered: string[];
}

export const emptyMeasurement: Measurement = { metrics: {}, value: undefined, violations: [] };

/** The result of a run whose runner threw: a failed run, with the error as its output. */
export function runnerFailure(error: unknown, logFile: string, durationMs: number): RunResult {
  const message = error instanceof Error ? error.message : String(error);
  return {
    exitCode: null,
    signal: null,
    durationMs,
    timedOut: false,
    interrupted: false,
    logFile,
    outputTail: `runner failed: ${message}`,
  };
}

/**
 * Runs one experiment and measures it: the runner's result, the protected files checked, the objective's
 * measurement, and what went wrong if anything. A runner or an objective that throws gives a failed run, not an
 * exception; only an abort stops it early.
 */
export async function measureRun(options: MeasureRunOptions): Promise<MeasuredRun> {
  const { runner, objective, directory, logFile, abortSignal } = options;
  const started = Date.now();
  let result: RunResult;
  try {
    result = await runner.run({
      directory,
      trial: options.trial,
      logFile,
      env: options.env,
      ...(options.onLine === undefined ? {} : { onLine: options.onLine }),
      ...(options.onStart === undefined ? {} : { onStart: options.onStart }),
      ...(options.sandbox === undefined ? {} : { sandbox: options.sandbox }),
      ...(options.secrets === undefined ? {} : { secrets: options.secrets }),
      abortSignal,
    });
  } catch (error) {
    result = runnerFailure(error, logFile, Date.now() - started);
    if (abortSignal.aborted) result = { ...result, interrupted: true };
  }
  const tampered = await options.changedProtectedFiles();
  let measurement = emptyMeasurement;
  if (isMeasuredExit(result, objective) && tampered.length === 0) {
    try {
      measurement = await objective.measure({ run: result, directory, abortSignal });
    } catch (error) {
      // An objective that throws is a failed measurement of this run, not a failure of the research.
      if (abortSignal.aborted) result = { ...result, interrupted: true };
      const message = error instanceof Error ? error.message : String(error);
      measurement = { ...emptyMeasurement, error: `the objective failed: ${message}` };
    }
  }
  return { result, measurement, failure: classifyRun(result, measurement, tampered, objective), tampered };
}
