import type { Scope } from "./mutator.js";
import type { TrialRecord } from "./records.js";

/**
 * What a role's `preflight` may look at. The loop calls it once at every start, before the baseline, so that a
 * mistake (a program not installed, a key not set, a file not there) is found in a second, not after a run.
 */
export interface PreflightOptions {
  /** The researched directory in the trial worktree, checked out at the incumbent: what the next trial sees. */
  directory: string;
  /** The researched directory in the user's own checkout, where untracked files (a virtualenv, data) live. */
  checkout: string;
  scope: Scope;
  /** The environment every run gets on top of this process's: the research's `env` and the loop's variables. */
  env: Record<string, string>;
  /** Every trial recorded so far (empty before the baseline). */
  history: readonly TrialRecord[];
  abortSignal: AbortSignal;
}

/**
 * An optional check a role may implement: it resolves when the role can work, and throws an error whose message
 * says what is wrong and how to fix it otherwise. It must be quick (no experiment, no model call) and change nothing.
 */
export type Preflight = (options: PreflightOptions) => Promise<void> | void;
