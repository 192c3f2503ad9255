import type { CaseScores, Comparison, Measurement, RunResult } from "./records.js";

/** Which way is better. */
export type Direction = "minimize" | "maximize";

export interface MeasureOptions {
  /** The run to measure. Its log file is the only source of metrics besides files the run wrote. */
  run: RunResult;
  /** The directory the experiment ran in. */
  directory: string;
  abortSignal: AbortSignal;
}

export interface CompareOptions {
  /** The candidate's metric, one value per run. */
  candidate: readonly number[];
  /** The incumbent's metric, one value per run (its history plus any re-measurements). */
  incumbent: readonly number[];
  /**
   * The standard deviation of the metric over repeated runs of the unchanged code, when the baseline was run
   * more than once: how much the number moves with nothing changed.
   */
  noiseFloor?: number;
  /**
   * Per-case results of the candidate's runs and of the incumbent's, when the objective measures cases: a rule may
   * pair them case by case instead of comparing the averages.
   */
  candidateCases?: CaseScores;
  incumbentCases?: CaseScores;
}

/**
 * What is measured, which way is better, and when a result is better enough to keep.
 */
export interface Objective {
  readonly name: string;
  /** The optimized metric's name, e.g. `val_bpb`. */
  readonly metric: string;
  readonly direction: Direction;
  /**
   * Exit codes besides 0 after which the run is still measured, e.g. 100, which promptfoo returns when some test
   * failed. Any other non-zero exit is a crash.
   */
  readonly measuredExitCodes?: readonly number[];
  measure(options: MeasureOptions): Promise<Measurement>;
  compare(options: CompareOptions): Comparison;
}
