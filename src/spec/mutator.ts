import type { Preflight } from "./preflight.js";
import type { TokenUsage, TrialRecord } from "./records.js";
import type { SandboxPolicy } from "./sandbox.js";

/** What a mutator may touch, as globs relative to the researched directory. */
export interface Scope {
  editable: readonly string[];
  protected: readonly string[];
}

/** A trial in flight while another is proposed. */
export interface RunningTrial {
  id: number;
  description: string;
  /** The commit it started from. */
  parent: string;
  changedFiles: readonly string[];
}

/** A crashed trial the mutator is asked to repair. */
export interface RepairRequest {
  trial: TrialRecord;
  /** The last lines of the crashed run's output. */
  logTail: string;
  /** 1 for the first repair attempt of this crash, 2 for the second, … */
  attempt: number;
}

export interface ProposeOptions {
  /** The trial worktree's researched directory, checked out at the incumbent commit. Edit files here. */
  directory: string;
  /** The number the trial will get. */
  trial: number;
  scope: Scope;
  /** Every trial so far, in order. */
  history: readonly TrialRecord[];
  /** The trial whose commit is the current incumbent. */
  incumbent: TrialRecord | undefined;
  /** The objective's metric and direction, for prompts. */
  objective: { metric: string; direction: "minimize" | "maximize" };
  /** Present when the loop asks to repair a crash instead of trying a new idea. */
  repair?: RepairRequest;
  /**
   * Trials proposed or running right now, in parallel with this proposal, and not yet in `history`: ideas not to
   * propose again.
   */
  running?: readonly RunningTrial[];
  /** Diff of the incumbent against the baseline, and of each kept trial, for context. */
  readDiff(trial: TrialRecord): Promise<string>;
  abortSignal: AbortSignal;
  /** How to confine a program the mutator starts (a coding agent), when the research runs sandboxed. */
  sandbox?: SandboxPolicy;
}

/**
 * The result of a proposal. The mutator's edits are in the working directory; the loop reads them from git.
 * A mutator that cannot propose returns `failed` (recorded, the loop goes on) or `exhausted` (the loop stops).
 */
export type Proposal =
  | {
      type: "edit";
      /** One line: what was tried. */
      description: string;
      rationale?: string;
      usage?: TokenUsage;
      costUsd?: number;
      metadata?: Record<string, unknown>;
    }
  | {
      type: "failed";
      error: string;
      usage?: TokenUsage;
      costUsd?: number;
      metadata?: Record<string, unknown>;
    }
  | { type: "exhausted"; reason: string };

/** What to try next, as edits in a working directory. */
export interface Mutator {
  readonly name: string;
  propose(options: ProposeOptions): Promise<Proposal>;
  /** Checks, before the baseline, that proposals can be made (e.g. a key is set, a file holds the parameters). */
  preflight?: Preflight;
}
