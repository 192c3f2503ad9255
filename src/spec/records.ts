/**
 * The records the four roles exchange. Types only: this folder has no runtime code.
 */

/**
 * What happened to a trial. `keep` moves the incumbent branch; every other status leaves it. `pruned`: stopped
 * early because its learning curve was clearly worse than the kept ones at the same progress.
 */
export type TrialStatus = "keep" | "discard" | "crash" | "timeout" | "invalid" | "interrupted" | "pruned";

/**
 * Why a trial exists: the unchanged code, a new idea, a repair of a crashed trial, or `rebase`: a change that
 * looked better on an older incumbent, applied onto the current one and measured again there.
 */
export type TrialKind = "baseline" | "proposal" | "repair" | "rebase";

/** A learning curve: `[progress, value]` pairs read from a run's output as it streamed (e.g. step, val_loss). */
export type Curve = [progress: number, value: number][];

/** Tokens spent by a proposer, as the provider reported them. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  /** Input tokens served from the provider's cache, when it reports them. */
  cachedInputTokens?: number;
}

/** Why a run ended badly, when the runner knows more than its exit code tells (a cluster scheduler's verdict). */
export type RunFailureKind =
  | "failed"
  | "time-limit"
  | "out-of-memory"
  | "node-failure"
  | "preempted"
  | "cancelled"
  | "not-submitted"
  | "lost";

/** A job on a cluster scheduler that ran the experiment. */
export interface RunJob {
  id: string;
  /** The scheduler's final state, e.g. `COMPLETED`, `FAILED`, `OUT_OF_MEMORY`. */
  state: string;
  /** The node(s) it ran on, when known. */
  nodes?: string;
}

/** What a runner reports about one execution of the experiment. A failure is a value, never an exception. */
export interface RunResult {
  /** Exit code of the experiment's main process; `null` when it was ended by a signal. */
  exitCode: number | null;
  /** The signal that ended it, e.g. `SIGKILL`, or `null`. */
  signal: string | null;
  durationMs: number;
  /** True when the runner stopped it because it exceeded its time limit. */
  timedOut: boolean;
  /** True when it was stopped because the research was aborted (Ctrl-C). */
  interrupted: boolean;
  /** Absolute path of the full log of this run. */
  logFile: string;
  /** The last lines of output, for crash reports and repair prompts. */
  outputTail: string;
  /** Bytes of output the run produced, and how many of those did not fit in the log. */
  outputBytes?: number;
  droppedBytes?: number;
  /** Time spent waiting for a scheduler before the run started (a cluster's queue); not part of `durationMs`. */
  queuedMs?: number;
  /** Why the run failed, in words a user understands, with a kind the loop can branch on. */
  failure?: { kind: RunFailureKind; reason: string };
  /** The cluster job that ran it, for runners that submit one. */
  job?: RunJob;
}

/**
 * Per-case results of an eval suite: for each case id, one value per attempt (1 or 0 for a pass/fail case, else
 * its score). A case is attempted more than once when the harness repeats it (epochs, `--repeat`) or the run is
 * repeated.
 */
export type CaseScores = Record<string, number[]>;

/** Metrics read from one run by an objective. */
export interface Measurement {
  /** Every metric found, by name. */
  metrics: Record<string, number>;
  /** The optimized metric, or `undefined` when it is missing or not finite. */
  value: number | undefined;
  /** Constraint violations, e.g. `peak_vram_mb 81234 > 80000`. A violated constraint makes the trial a discard. */
  violations: string[];
  /** Why no value could be read, when `value` is undefined. */
  error?: string;
  /** Per-case results, from objectives that read an eval suite's output; compared case by case. */
  cases?: CaseScores;
}

/** The outcome of comparing a candidate against the incumbent. */
export interface Comparison {
  /** True when the candidate is better by enough to be kept. */
  better: boolean;
  /** Candidate minus incumbent, in the metric's own units (on the sample means). */
  delta: number;
  /** One line a person can read: why it was or was not kept. */
  reason: string;
  /** The rule that decided, e.g. `min-improvement` or `welch-t`. */
  rule: string;
  /** Any statistics the rule computed (t, p, noise floor, …). */
  statistics?: Record<string, number>;
  /** For a per-case comparison: the cases the candidate does better on, and worse on, than the incumbent. */
  flips?: { improved: string[]; regressed: string[] };
}

/** The decision the loop takes for a trial. */
export interface Decision {
  status: TrialStatus;
  reason: string;
  comparison?: Comparison;
}

/** One line of the ledger: everything known about one trial. */
export interface TrialRecord {
  /** Trial number within the tag; the baseline is 0. */
  id: number;
  tag: string;
  kind: TrialKind;
  /** For a repair, the trial it repairs. */
  repairOf?: number;
  /** For a rebase, the trial whose change it measures again on the current incumbent. */
  rebaseOf?: number;
  /** The rebase trial that measures this trial's change again, when another keep landed while it ran. */
  rebasedAs?: number;
  /** The slot (0-based) that ran it, when the research runs trials in parallel. */
  slot?: number;
  /** The incumbent commit the trial started from. */
  parent: string;
  /** The trial's own commit (reachable at `refs/autoresearch/<tag>/trials/<id>`), `null` when nothing was committed. */
  commit: string | null;
  description: string;
  rationale?: string;
  status: TrialStatus;
  /** Why the loop decided as it did. */
  reason: string;
  /** The optimized metric (mean of the samples when repeated), `null` when none was read. */
  metric: number | null;
  /** Every metric of the last sample. */
  metrics: Record<string, number>;
  /** The optimized metric of each repeated run, in order. */
  samples?: number[];
  /** The incumbent's samples measured alongside, for paired comparison. */
  incumbentSamples?: number[];
  /** Per-case results over all of the trial's runs, when the objective reads them: the next trials pair with these. */
  cases?: CaseScores;
  comparison?: Comparison;
  /** Holdout metric, when a holdout was run for this trial. */
  holdout?: { metric: number | null; incumbent: number | null; passed: boolean };
  /** Files the proposal changed, relative to the researched directory. */
  changedFiles: string[];
  run: {
    exitCode: number | null;
    signal: string | null;
    timedOut: boolean;
    durationMs: number;
    /** Time the run waited in a scheduler's queue, when it went through one. */
    queuedMs?: number;
    /** The cluster job that ran it, when it was one. */
    job?: RunJob;
  } | null;
  /** The log of the (last) run, relative to `.autoresearch/<tag>/`. */
  log: string | null;
  /** The learning curve of the (last) candidate run, when the objective reads progress; downsampled. */
  curve?: Curve;
  proposer: {
    name: string;
    metadata?: Record<string, unknown>;
    usage?: TokenUsage;
    costUsd?: number;
  };
  /** `runMs`: every run of the trial (candidate, incumbent re-runs, holdout), summed: its compute time. */
  durations: { proposeMs: number; runMs: number; totalMs: number };
  startedAt: string;
  endedAt: string;
}

/** One side of the sealed test: a commit measured by the final evaluation. */
export interface FinalEvaluationSide {
  /** The trial whose commit was measured. */
  trial: number;
  commit: string;
  /** The optimized metric (mean over the runs), `null` when no run could be measured. */
  metric: number | null;
  /** Every metric of the last run. */
  metrics: Record<string, number>;
  samples: number[];
  cases?: CaseScores;
  /** Why a run failed, when one did. */
  error?: string;
}

/**
 * The sealed test: the final evaluation's runs of the final best and of the baseline, made once when the research
 * ended. Never used for a decision; reported beside the research, not in its ledger.
 */
export interface FinalEvaluation {
  tag: string;
  /** The final evaluation's own metric and direction. */
  metric: string;
  direction: "minimize" | "maximize";
  best: FinalEvaluationSide;
  baseline: FinalEvaluationSide;
  /** The final evaluation objective's comparison of best against baseline, for information only. */
  comparison?: Comparison;
  startedAt: string;
  endedAt: string;
}
