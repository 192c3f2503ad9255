import type { Preflight } from "./preflight.js";
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
  /** How many runs of the unchanged code the noise floor comes from. */
  noiseRuns?: number;
  /**
   * Present when a candidate that looked better was confirmed: its fresh runs and the incumbent's fresh runs made
   * alongside them (paired seeds), without the run that screened it. `candidate` and `incumbent` above hold every
   * sample as before; a rule may decide on these alone, so that the screen's selection does not bias the test.
   */
  confirmation?: { candidate: readonly number[]; incumbent: readonly number[] };
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
  /**
   * True when `compare` decides against the measured noise floor. The loop then measures the baseline until two
   * runs differ (up to five), unless `evaluation.baselineRepeats` says otherwise, and confirms a candidate that
   * looks better with fresh runs of both sides before it is kept (`evaluation.confirm: "auto"`). A deterministic
   * target (two baseline runs agree exactly) pays one extra baseline run and nothing per candidate.
   */
  readonly noiseAware?: boolean;
  /**
   * Reads the run's progress from one streamed output line, e.g. `step 300 val_loss 3.91` as
   * `{ progress: 300, value: 3.91 }` (the value in the same direction as the metric), or `undefined`. With it
   * the loop can stop hopeless runs early (`earlyStopping`) and records learning curves.
   */
  readProgress?(line: string): { progress: number; value: number } | undefined;
  /** Checks, before the baseline, that runs can be measured. */
  preflight?: Preflight;
}
