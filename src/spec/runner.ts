import type { Preflight } from "./preflight.js";
import type { RunResult } from "./records.js";
import type { SandboxPolicy } from "./sandbox.js";

/** What a runner reports once the experiment started, so that a restarted driver can clean up after it. */
export interface RunStartInfo {
  /** The process group of a local experiment. */
  pid?: number;
  /** The job of an experiment submitted to a cluster scheduler (e.g. a Slurm job id). */
  jobId?: string;
}

export interface RunOptions {
  /** Where to run: the trial worktree's researched directory. */
  directory: string;
  /** Trial number, for naming and for runners that schedule. */
  trial: number;
  /** Which run of the trial this is (0-based), for naming; the seed variable carries the same number. */
  sample?: number;
  /** The slot (0-based) the run belongs to, when the research runs trials in parallel. */
  slot?: number;
  /** Where the full output must be written. */
  logFile: string;
  /** Extra environment for this run (seed, trial number, …), on top of the runner's own. */
  env: Record<string, string>;
  /** Called with each output line as it arrives, for live progress and early abort. */
  onLine?: (line: string) => void;
  /** Called once the experiment started (a process group, a submitted job), so a restarted driver can clean up. */
  onStart?: (info: RunStartInfo) => void;
  abortSignal: AbortSignal;
  /**
   * How to confine the run, when the research runs sandboxed: pass the command through `wrapCommand`. A runner
   * that does so says `appliesSandbox: true`; one that ignores this field still works, unconfined.
   */
  sandbox?: SandboxPolicy;
  /** Values to replace with `[redacted]` in everything the run's output becomes: the log, lines, the tail. */
  secrets?: readonly string[];
}

/** What a restarted driver tells a runner about the runs a dead driver may have left behind. */
export interface RecoverOptions {
  /** The research's tag. */
  tag: string;
  /** The research's state directory (`.autoresearch/<tag>/`); everything the research ran from lies below it. */
  stateDirectory: string;
  /** Jobs the dead driver recorded through `onStart`. */
  jobIds: string[];
  abortSignal: AbortSignal;
}

/** What a runner stopped while recovering, one line each, for the research's warnings. */
export interface RecoverResult {
  stopped: string[];
}

/** How to execute one experiment and what it printed. */
export interface Runner {
  readonly name: string;
  /** True when `run` confines the experiment to `RunOptions.sandbox`; otherwise the research says it is not. */
  readonly appliesSandbox?: boolean;
  run(options: RunOptions): Promise<RunResult>;
  /**
   * Stops what a driver that died left running (jobs on a cluster). Called once when a research starts, before
   * anything runs; runners whose experiments cannot outlive the driver need not implement it.
   */
  recover?(options: RecoverOptions): Promise<RecoverResult>;
  /**
   * Checks, before the baseline, that runs can start: the program is installed, a cluster answers and sees the
   * repository. It may return warnings.
   */
  preflight?: Preflight;
}
