import type { RunResult } from "./records.js";
import type { SandboxPolicy } from "./sandbox.js";

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
  /**
   * How to confine the run, when the research runs sandboxed: pass the command through `wrapCommand`. A runner
   * that does so says `appliesSandbox: true`; one that ignores this field still works, unconfined.
   */
  sandbox?: SandboxPolicy;
  /** Values to replace with `[redacted]` in everything the run's output becomes: the log, lines, the tail. */
  secrets?: readonly string[];
}

/** How to execute one experiment and what it printed. */
export interface Runner {
  readonly name: string;
  /** True when `run` confines the experiment to `RunOptions.sandbox`; otherwise the research says it is not. */
  readonly appliesSandbox?: boolean;
  run(options: RunOptions): Promise<RunResult>;
}
