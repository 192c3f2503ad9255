import type { Preflight } from "./preflight.js";
import type { RunResult } from "./records.js";

export interface RunOptions {
  /** Where to run: the trial worktree's researched directory. */
  directory: string;
  /** Trial number, for naming and for runners that schedule. */
  trial: number;
  /** Where the full output must be written. */
  logFile: string;
  /** Extra environment for this run (seed, trial number, …), on top of the runner's own. */
  env: Record<string, string>;
  /** Called with each output line as it arrives, for live progress and early abort. */
  onLine?: (line: string) => void;
  /** Called with the process group id once the experiment started, so a restarted driver can clean up. */
  onStart?: (info: { pid: number }) => void;
  abortSignal: AbortSignal;
}

/** How to execute one experiment and what it printed. */
export interface Runner {
  readonly name: string;
  run(options: RunOptions): Promise<RunResult>;
  /** Checks, before the baseline, that runs can start (e.g. the program is installed). */
  preflight?: Preflight;
}
